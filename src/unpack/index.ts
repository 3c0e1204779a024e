// Package readers: RPM and .deb, streamed into ArchiveEntry records (architecture.md §3, §7).
export { openPackage, type OpenedPackage, type OpenPackageOptions } from './read-package.js';
export { decompress, detectCompression, type Compression, type DecoderPreference, type DecompressOptions } from './codecs.js';
export type { RpmDetails } from './rpm/read-rpm.js';
export type { DebDetails } from './deb/read-deb.js';
export type {
  ArchiveEntry, EntryBody, EntryFlags, EntryType, FileDigest, PackageDep, PackageDepExpr, PackageInfo, PackageScript,
} from './types.js';
