// Package records (architecture.md §3 "PackageRecord"): what the repository readers produce and
// the solver, lockfile and compose consume. `kind: 'rpm'` comes from rpm-md's primary.xml,
// `kind: 'deb'` from apt's Packages. They live in pkg/ so every layer above can share them.
import type { DebRelation, DebRelationExpr } from './deb822.js';

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

/** `Multi-Arch` values (depsolve.md §3.5); an absent field means `no`. */
export type DebMultiArch = 'same' | 'foreign' | 'allowed' | 'no';

/**
 * A binary package as one paragraph of apt's `Packages` describes it (depsolve.md §4.7).
 * Relationship fields keep apt's/dpkg's syntax tree (§3.2); the fields that take no
 * alternatives (Conflicts, Breaks, Provides, Replaces) are flat lists.
 */
export type DebPackageRecord = {
  kind: 'deb';
  name: string;
  /** The `Version` field as written (`[epoch:]upstream[-revision]`), checked with parseDebianVersion. */
  version: string;
  /** `Architecture`: a Debian arch (`amd64`) or `all`. */
  arch: string;
  multiArch?: DebMultiArch;
  /** `Essential: yes` (§3.6); false when absent. */
  essential: boolean;
  /** `Protected: yes`; present only when the field is. */
  protected?: boolean;
  /** `Priority` as written (`required`, `important`, `standard`, `optional`, `extra`). */
  priority?: string;
  /** `Source`; absent when the source package has the binary's name and version (§4.7). */
  source?: { name: string; version?: string };
  repoId: string;
  /** `Filename`: the .deb's path relative to the archive root (`pool/main/...`). */
  location: string;
  /** `Size`: bytes of the .deb file. */
  size: number;
  /** `SHA256` of the .deb file (required: apt verifies packages with it). */
  digest: { algo: 'sha256'; hex: string };
  /** `MD5sum`, lowercase hex, when given (legacy; not used for verification). */
  md5?: string;
  /** `Installed-Size` in KiB as dpkg writes it (not bytes, unlike rpm's); 0 when absent. */
  installedSize: number;
  depends: DebRelationExpr[];
  preDepends: DebRelationExpr[];
  recommends: DebRelationExpr[];
  suggests: DebRelationExpr[];
  enhances: DebRelationExpr[];
  conflicts: DebRelation[];
  breaks: DebRelation[];
  provides: DebRelation[];
  replaces: DebRelation[];
};

/** A package of any repository kind; the solver's pool holds these. */
export type PackageRecord = RpmPackageRecord | DebPackageRecord;
