// The lockfile: the pinned result of resolving (issue 4), consumed unchanged by compose (issue 5).

/** One package pinned by a lockfile (issue-4 interfaces). */
export type LockedPackage = {
  kind: 'rpm' | 'deb';
  name: string;
  /** rpm `[E:]V-R` (no epoch when it is 0); deb the Version field as written. */
  evr: string;
  arch: string;
  /** The id of the source repo it comes from (one of Lockfile.repos). */
  repo: string;
  /** Absolute URL of the package file. */
  location: string;
  size: number;
  /** `sha256:<64 hex>`, or `sha512:<128 hex>` when that is all rpm-md gives. */
  digest: string;
};

/** A source repo a lockfile was resolved against, with the metadata revision it saw. */
export type LockedRepo = {
  id: string;
  kind: 'rpm-md' | 'apt';
  baseurl: string;
  /** What identifies the metadata seen: repomd `<revision>` or checksum, the Release digest... */
  revision: string;
};

/** A lockfile; packages sorted by name, then arch, then evr (version order). */
export type Lockfile = {
  version: 1;
  ref: string;
  arch: string;
  repos: LockedRepo[];
  packages: LockedPackage[];
};
