// Lockfiles: the canonical JSON form (pure) and atomic reading/writing.
export type { LockedPackage, LockedRepo, Lockfile } from './types.js';
export { formatLockfile, parseLockfile, checkLockfile, compareLockedPackages, LOCKFILE_VERSION } from './format.js';
export { readLockfile, writeLockfile } from './read-write.js';
