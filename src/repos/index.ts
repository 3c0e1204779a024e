// Repository metadata readers (issue 4): pure parsers over decompressed bytes; I/O lives in load.ts.
export { parseRepomd } from './rpm-md/repomd.js';
export { parsePrimary } from './rpm-md/primary.js';
export { parseFilelists } from './rpm-md/filelists.js';
export { parseRelease } from './apt/release.js';
export { parsePackages } from './apt/packages.js';
export type { DebMultiArch, DebPackageRecord, Digest, DigestAlgo, FilelistsEntry, PackageRecord, Release, ReleaseFile, Repomd, RepomdData, RpmDepEntry, RpmPackageRecord } from './types.js';
export { createPackageIndexBuilder, openPackageIndex, type PackageFlag, type PackageIndex, type PackageIndexBuilder, type IndexSource } from './package-index.js';
export { loadRepos, loadFileProviders, type LoadReposOptions, type LoadFileProvidersOptions } from './load.js';
export type { AptRepoSource, Decompressor, LoadedRepo, LoadEvent, MetadataCompression, MetadataFileRef, RepoSource, RpmMdRepoSource } from './types.js';
export { locationUrl } from './metadata-url.js';
export { readKeyring, verifyRpmSignature, type Keyring, type RpmSignatureBlobs, type VerifyRpmSignatureOptions } from './verify-rpm-signature.js';
export { verifyDetached } from './verify-openpgp.js';
