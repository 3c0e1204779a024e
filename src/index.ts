// jigtree library API: the public types, functions and error classes.
export {
  JigtreeError, UsageError, FormatError, IntegrityError, NotFoundError, IoError, InternalError,
  type ErrorCode, type ErrorData, type FormatName,
} from './core/index.js';
export * from './pkg/index.js';
export * from './api/index.js';
export type {
  ArchiveEntry, EntryBody, EntryFlags, EntryType, FileDigest, PackageDep, PackageDepExpr, PackageInfo, PackageScript,
  Compression, DecoderPreference, OpenedPackage, RpmDetails, DebDetails,
} from './unpack/index.js';
export { openPackage } from './unpack/index.js';
