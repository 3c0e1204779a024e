// The normalized treefile (issue 4 keys, plus the compose keys issue 5 names, parsed but not yet
// used). Everything here is plain JSON data so it can be hashed (canonicalTreefileJson).

/** Any JSON value: what `add-commit-metadata` may hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An rpm-md (yum/dnf) source repo, as fixed in the issue-4 interfaces. */
export type RpmMdRepoConfig = {
  kind: 'rpm-md';
  id: string;
  /** Absolute URL: `file:///abs/dir` or `http(s)://host/path`, no trailing `/`, variables substituted; = mirrors[0]. */
  baseurl: string;
  /**
   * Every URL of the repo, resolved as baseurl is, in the order to try them (dnf's baseurl list):
   * `[baseurl]` when the treefile gives one baseurl, else its `mirrors`. Never empty.
   */
  mirrors: string[];
  /** Default true: repodata/repomd.xml.asc must verify against `gpgkey`. */
  gpgcheck: boolean;
  /** Absolute file path (resolved against the declaring treefile's dir) or an http(s) URL. */
  gpgkey?: string;
  /** dnf priority, default 99; lower wins. */
  priority: number;
  /** dnf cost, default 1000. */
  cost: number;
};

/** An apt source repo (one `deb` line: archive root, suite, components). */
export type AptRepoConfig = {
  kind: 'apt';
  id: string;
  /** The archive root (the directory holding `dists/` and `pool/`), as for RpmMdRepoConfig; = mirrors[0]. */
  baseurl: string;
  /** Every archive root, in the order to try them, as for RpmMdRepoConfig (apt's mirror+file lists). */
  mirrors: string[];
  suite: string;
  /** Default `['main']`. */
  components: string[];
  /** Treefile key `signed-by`: absolute path of a keyring (binary .gpg or armored .asc). */
  signedBy?: string;
  /** Default false; true accepts unsigned or badly signed metadata (apt's `[trusted=yes]`). */
  trusted: boolean;
  /** apt pin priority, default 500. */
  priority: number;
};

/** A source repo: union on `kind`. */
export type RepoConfig = RpmMdRepoConfig | AptRepoConfig;

/** The deb bootstrap base (mmdebstrap's variants, issue 4). */
export type Bootstrap = 'essential' | 'apt' | 'minbase' | 'buildd';

/** dnf's `multilib_policy`. */
export type MultilibPolicy = 'best' | 'all';

/** `[src, dest]` of `add-files`; `src` is made absolute against the declaring treefile's dir. */
export type AddFile = [src: string, dest: string];

/** `[package, regex, ...]` of `remove-from-packages`. */
export type RemoveFromPackage = [pkg: string, ...regexes: string[]];

/**
 * Keys issue 5 (compose) names, with rpm-ostree's meaning (treefile.md §3): validated and merged
 * across includes now, so treefiles written for compose already resolve; compose gives them
 * effect. Absent when no file sets them (their defaults are compose's business).
 */
export type TreefileComposeKeys = {
  documentation?: boolean;
  installLangs?: string[];
  addCommitMetadata?: Record<string, JsonValue>;
  automaticVersionPrefix?: string;
  removeFiles?: string[];
  removeFromPackages?: RemoveFromPackage[];
  addFiles?: AddFile[];
  units?: string[];
  defaultTarget?: string;
  etcGroupMembers?: string[];
  tmpIsDir?: boolean;
  machineidCompat?: boolean;
  /** Seconds since the epoch, or an RFC 3339 date-time with a zone, as written. */
  timestamp?: number | string;
};

/** What both package worlds share. */
type TreefileCommon = {
  /** The ostree ref, variables substituted (ostree_validate_rev rules, no `..`). */
  ref: string;
  /** The native architecture as the package world names it (rpm `x86_64`, deb `amd64`). */
  arch: string;
  releasever?: string;
  /** Package specs as written (split on blanks, as rpm-ostree does), deduplicated, includes first. */
  packages: string[];
  excludePackages: string[];
  /** Install weak deps (dnf install_weak_deps / apt Install-Recommends); default true. */
  recommends: boolean;
} & TreefileComposeKeys;

/** A treefile whose repos are rpm-md. */
export type RpmTreefile = {
  kind: 'rpm';
  /** dnf's basearch of `arch` (used for `$basearch` and `packages-<basearch>`). */
  basearch: string;
  repos: RpmMdRepoConfig[];
  /** Names that may be installed in several versions; default dnf's installonlypkgs. */
  installonly: string[];
  multilibPolicy: MultilibPolicy;
} & TreefileCommon;

/** A treefile whose repos are apt. */
export type DebTreefile = {
  kind: 'deb';
  repos: AptRepoConfig[];
  bootstrap?: Bootstrap;
  /** Foreign architectures (dpkg --add-architecture); default []. */
  architectures: string[];
} & TreefileCommon;

/** A normalized treefile: includes merged, defaults applied, paths and URLs absolute. */
export type Treefile = RpmTreefile | DebTreefile;

/** Where a value came from: the file and the JSON pointer inside it. */
export type Origin = { file: string; pointer: string };
