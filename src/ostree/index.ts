// The OSTree repository engine: objects, repo layout, refs, reading, writing, commit, checkout, fsck.
export * from './checksum.js';
export * from './objects.js';
export * from './keyfile.js';
export * from './repo.js';
export * from './read.js';
export * from './mutable-tree.js';
export * from './write-object.js';
export * from './commit-tree.js';
export * from './commit-dir.js';
export * from './summary.js';
export * from './traverse.js';
export * from './fsck.js';
export * from './checkout.js';
export * from './diff.js';
export * from './show.js';
