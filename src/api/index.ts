// The library's verbs; each validates its options and runs the module steps.
export { inspectPackage, listPackage, type InspectOptions, type ListedEntry } from './inspect.js';
export { init, type InitOptions } from './init.js';
export { commit, type CommitOptions, type CommitResult } from './commit.js';
export { updateRepoSummary } from './summary.js';
export { revParse, refs, log, ls, cat, resolveRevision, type RepoOptions, type LogEntry, type TreeEntry, type LsOptions } from './inspect-repo.js';
export { fsck, type FsckOptions } from './fsck.js';
export { checkout, type CheckoutOptions } from './checkout.js';
export { diff, type DiffOptions } from './diff.js';
export { show, parseObjectType, type ShowOptions, type ShowResult } from './show.js';
export type { Finding, FindingKind, FsckReport, FsckEvent, DiffResult, TreeDiff, CommitChange, CheckoutMode, CheckoutResult, JsonValue, RefEntry } from '../ostree/index.js';
export { resolve, type ResolveOptions, type ResolveResult } from './resolve.js';
export { compose, nextVersion, COMPOSE_METADATA, type ComposeOptions, type ComposeResult, type ComposeEvent, type ComposeStage } from './compose.js';
export { emitJigdo, jigdoPackageName, type JigdoOptions, type JigdoResult } from './jigdo.js';
export { assemble, type AssembleOptions, type AssembleResult, type AssembleEvent, type AssembleStage } from './assemble.js';
export { runDemo, type DemoOptions, type DemoResult, type DemoEvent } from './demo.js';
