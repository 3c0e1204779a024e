// Metadata-file shapes of the repository readers; the package records themselves are in
// pkg/record.ts (shared with the solver and lockfile).
import type { Digest } from '../pkg/index.js';
import type { PackageIndex } from './package-index.js';
export type { DebMultiArch, DebPackageRecord, Digest, DigestAlgo, PackageRecord, RpmDepEntry, RpmPackageRecord } from '../pkg/index.js';

/** One `<data>` entry of repomd.xml (depsolve.md §4.1). */
export type RepomdData = {
  type: string;
  /** `<location href>`, relative to the repo root (e.g. `repodata/<sum>-primary.xml.gz`). */
  location: string;
  locationBase?: string;
  /** Digest of the file as stored (compressed). */
  checksum: Digest;
  /** Digest of the decompressed content. */
  openChecksum?: Digest;
  size?: number;
  openSize?: number;
  timestamp?: number;
};

/** A parsed repomd.xml: the revision and the metadata files by type. */
export type Repomd = { revision?: string; data: Map<string, RepomdData> };

/** One `<package>` of filelists.xml: every path of one package (depsolve.md §4.3). */
export type FilelistsEntry = { pkgid: string; name: string; arch: string; files: string[] };

/** One file a Release lists: its size and the digests given for it (lowercase hex). */
export type ReleaseFile = { size: number; sha256?: string; sha512?: string; md5?: string };

/**
 * A parsed Release / InRelease (depsolve.md §4.6). Times are seconds since the Unix epoch.
 * `signedText` is set only when the input was an OpenPGP cleartext-signed message (InRelease):
 * the cleartext with the framing removed and dash-escapes undone; verifying it is not the
 * parser's job.
 */
export type Release = {
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  version?: string;
  date?: number;
  validUntil?: number;
  architectures: string[];
  components: string[];
  acquireByHash: boolean;
  notAutomatic: boolean;
  butAutomaticUpgrades: boolean;
  /** `No-Support-for-Architecture-all` as written (`Packages`: arch:all packages are in each binary-ARCH index). */
  noSupportForArchitectureAll?: string;
  /** Index files by path relative to `dists/<suite>/`. */
  files: Map<string, ReleaseFile>;
  signedText?: string;
};

// ---------------------------------------------------------------------------------------------
// Loading (load.ts): the repo configs it reads, what it hands back and what it reports.

/**
 * An rpm-md source repo, the same shape as the treefile's rpm-md repo config (repos/ may not
 * import treefile/, so the type is repeated here and matched structurally).
 */
export type RpmMdRepoSource = {
  kind: 'rpm-md';
  id: string;
  /** Absolute URL of the repo root (`file:///abs/dir` or `http(s)://host/path`). */
  baseurl: string;
  /** repodata/repomd.xml.asc must verify against `gpgkey` (dnf `repo_gpgcheck`; depsolve.md §4.8). */
  gpgcheck: boolean;
  /** Absolute file path or URL of the key, armored or binary. */
  gpgkey?: string;
  priority: number;
  cost: number;
};

/** An apt source repo, the same shape as the treefile's apt repo config. */
export type AptRepoSource = {
  kind: 'apt';
  id: string;
  /** The archive root: the directory holding `dists/` and `pool/`. */
  baseurl: string;
  suite: string;
  components: string[];
  /** Absolute path of the keyring the (In)Release must be signed with (binary .gpg or armored). */
  signedBy?: string;
  /** apt's `[trusted=yes]`: accept unsigned or badly signed metadata. */
  trusted: boolean;
  priority: number;
};

/** A source repo to load metadata from. */
export type RepoSource = RpmMdRepoSource | AptRepoSource;

/** Compression of a metadata file (depsolve.md §4.4), named like unpack's `Compression`. */
export type MetadataCompression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none';

/**
 * A streaming decompressor, e.g. unpack's `decompress`. It is handed in by the caller because
 * repos/ sits on the same layer as unpack/ and may not import it (architecture.md §2).
 */
export type Decompressor = (kind: MetadataCompression, source: AsyncIterable<Uint8Array>, opts: { file?: string }) => AsyncIterable<Uint8Array>;

/** A metadata file a loaded repo may still need later (rpm-md filelists), pinned by repomd. */
export type MetadataFileRef = {
  /** Absolute URL. */
  url: string;
  /** Path as repomd names it, for messages (`repodata/<sum>-filelists.xml.gz`). */
  file: string;
  checksum: Digest;
  size?: number;
  compression: MetadataCompression;
};

/** Progress of loadRepos / loadFileProviders, delivered to `opts.reporter`. */
export type LoadEvent =
  /** A metadata file is being read or downloaded. */
  | { type: 'repo-fetch'; repo: string; file: string }
  /** The (In)Release / repomd.xml signature was checked; `cached`: verified on an earlier run. */
  | { type: 'repo-verified'; repo: string; file: string; cached: boolean }
  /** A package index was built from the metadata (the cold path). */
  | { type: 'repo-parsed'; repo: string; file: string; packages: number }
  /** A package index was opened from the metadata cache (the warm path). */
  | { type: 'repo-cached'; repo: string; file: string; packages: number }
  /** Something was skipped or repaired; the load went on. */
  | { type: 'repo-warn'; repo: string; file: string; message: string };

/** A source repo with its metadata verified and its package indexes opened. */
export type LoadedRepo = {
  id: string;
  kind: 'rpm-md' | 'apt';
  source: RepoSource;
  /** rpm-md: repomd `<revision>` (sha256 of repomd.xml when it has none); apt: sha256 of the (In)Release bytes. */
  revision: string;
  /** rpm-md: one (primary); apt: one per component × architecture Packages file, in config order. */
  indexes: PackageIndex[];
  /** What a record's `location` is relative to (rpm-md: baseurl; apt: the archive root); no trailing '/'. */
  packageBaseUrl: string;
  /** rpm-md: the primary and filelists files repomd pins (filelists is read by loadFileProviders only). */
  rpmmd?: { primary: MetadataFileRef; filelists?: MetadataFileRef };
};
