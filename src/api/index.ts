// The library's verbs; each validates its options and runs the module steps.
export { inspectPackage, listPackage, type InspectOptions, type ListedEntry } from './inspect.js';
