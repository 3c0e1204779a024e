// Records the repository readers hand to the solver (architecture.md §3 "PackageRecord").
// Only the rpm-md half exists so far; the apt half joins this union as `kind: 'deb'`.

/** Digest algorithms rpm-md writes in `<checksum type>` (depsolve.md §4.1; `sha` is read as sha1). */
export type DigestAlgo = 'sha256' | 'sha1' | 'sha512' | 'sha384' | 'sha224' | 'md5';

/** A digest as repository metadata records it: algorithm and lowercase hex. */
export type Digest = { algo: DigestAlgo; hex: string };

/**
 * One `<rpm:entry>` of primary.xml (depsolve.md §2.2): `flags` holds RPMSENSE bits (LESS 2,
 * GREATER 4, EQUAL 8; 0 = unversioned); `evr` is '' or `[E:]V[-R]`, with `E:` left out when the
 * metadata's epoch is absent or 0 (createrepo_c writes `epoch="0"` for "no epoch", and a 0 epoch
 * compares like a missing one, §1.2). `pre` marks Requires(pre/post/...) (`pre="1"`); `rich`
 * marks a boolean dependency (§2.3), whose whole expression is in `name`.
 */
export type RpmDepEntry = { name: string; flags: number; evr: string; pre?: true; rich?: true };

/** A binary or source RPM as primary.xml describes it (depsolve.md §4.2). */
export type RpmPackageRecord = {
  kind: 'rpm';
  name: string;
  /** 0 when the package has no epoch (createrepo_c writes `epoch="0"`). */
  epoch: number;
  version: string;
  release: string;
  arch: string;
  repoId: string;
  /** `<location href>`, relative to the repo base (or to `locationBase` when given). */
  location: string;
  /** `<location xml:base>`: another base URL for this package. */
  locationBase?: string;
  /** Digest of the whole .rpm file; its hex is the `pkgid` that filelists.xml joins on. */
  digest: Digest;
  /** Bytes of the .rpm file. */
  size: number;
  /** Sum of the installed file sizes (0 when the metadata does not say). */
  installedSize: number;
  /** `<rpm:sourcerpm>`; absent for source packages (empty element). */
  sourcerpm?: string;
  /** Byte range [start, end) of the main header inside the .rpm (`<rpm:header-range>`). */
  headerRange?: [number, number];
  provides: RpmDepEntry[];
  requires: RpmDepEntry[];
  conflicts: RpmDepEntry[];
  obsoletes: RpmDepEntry[];
  recommends: RpmDepEntry[];
  suggests: RpmDepEntry[];
  supplements: RpmDepEntry[];
  enhances: RpmDepEntry[];
  /** The primary subset of the package's paths (depsolve.md §2.5): files, dirs and ghosts alike. */
  files: string[];
};

/** A package of any repository kind; the solver's pool holds these. */
export type PackageRecord = RpmPackageRecord;

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
