// Jigdo (issue 6): the set format, building a set for a commit, and writing a set's objects
// back. Only api/ imports this module, so that removing or redesigning it touches nothing else
// (architecture.md §2, the rojig lesson).
export * from './format.js';
export { buildJigdo, type BuildJigdoOptions, type BuiltJigdo, type ImportedFiles } from './build.js';
export { headerOf, missingObjects, neededObjectParts, planPackages, writeCommit, writeMetaPart, writeObjectPart, writeObjectsPart, type PackagePlan } from './assemble.js';
export * from './package/index.js';
