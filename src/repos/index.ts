// Repository metadata readers (issue 4): pure parsers over decompressed bytes; I/O lives in load.ts.
export { parseRepomd } from './rpm-md/repomd.js';
export { parsePrimary } from './rpm-md/primary.js';
export { parseFilelists } from './rpm-md/filelists.js';
export type { Digest, DigestAlgo, FilelistsEntry, PackageRecord, Repomd, RepomdData, RpmDepEntry, RpmPackageRecord } from './types.js';
