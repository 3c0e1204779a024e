import type { Compression } from './codecs.js';

/** What kind of file system object an archive entry is. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

/** File flags an RPM header records (RPMFILE_*); a .deb marks conffiles only. */
export type EntryFlags = {
  config: boolean;
  doc: boolean;
  ghost: boolean;
  license: boolean;
  /** RPM %config(noreplace) */
  noreplace: boolean;
  /** RPM %config(missingok) */
  missingok: boolean;
  /** RPM %readme */
  readme: boolean;
  /** RPM %artifact */
  artifact: boolean;
};

/** Expected digest of a regular file, from the package's own metadata (RPM FILEDIGESTS). */
export type FileDigest = { algo: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sha224'; hex: string };

/**
 * The bytes of one entry. It must be consumed (or `drain()`ed) before the next entry is pulled
 * (architecture.md §7); chunks are views that stay valid after iteration moves on.
 */
export interface EntryBody extends AsyncIterable<Uint8Array> {
  /** Discards whatever of the body has not been read. */
  drain(): Promise<void>;
}

/**
 * One file as it appears inside a package, header record and payload merged (for an RPM the
 * header is authoritative for owners, mode, flags and caps; architecture.md §3).
 */
export type ArchiveEntry = {
  /** Absolute, normalized (`/usr/bin/env`): no `.`/`..` segments, no trailing or double `/`. */
  path: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  /** Owner names (RPM headers and tar headers carry them). */
  user: string | undefined;
  group: string | undefined;
  /** Numeric owners (tar and cpio; an RPM header has names only). */
  uid: number | undefined;
  gid: number | undefined;
  /** Size of the content in bytes (0 for non-regular files and payload-less hardlinks). */
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /**
   * Symlink: the target as recorded (never followed, may point anywhere).
   * Hardlink: the absolute normalized path of the entry this one links to.
   */
  linkTarget: string | undefined;
  /** Device numbers for chardev/blockdev. */
  rdev: { major: number; minor: number } | undefined;
  /** Extended attributes, sorted by name (tar pax `SCHILY.xattr.*`). */
  xattrs: [name: string, value: Uint8Array][];
  /** File capabilities in `cap_from_text` form, as `rpm -qp --filecaps` prints them. */
  caps: string | undefined;
  flags: EntryFlags;
  /** Expected content digest from the package metadata, verified while the body streams. */
  digest: FileDigest | undefined;
  /** Content of regular files; undefined for everything else (and for %ghost files). */
  body: EntryBody | undefined;
};

/** A dependency as the package states it: name, optional relation and version. */
export type PackageDep = {
  name: string;
  /** `<`, `<=`, `=`, `>=`, `>` (Debian `<<`/`>>` are normalized to `<`/`>`) or undefined. */
  op: '<' | '<=' | '=' | '>=' | '>' | undefined;
  version: string | undefined;
  /** RPM sense flags beyond the comparison (pre, post, ... as names), when present. */
  qualifiers?: string[];
  /** Debian architecture restriction as written (`[!i386 !armel]` → `['!i386', '!armel']`); source fields. */
  arches?: string[];
  /** Debian build-profile restriction: alternatives of conjunctions (`<!nocheck> <stage1 cross>`). */
  profiles?: string[][];
};

/**
 * A dependency field entry: a plain dep, or Debian alternatives (`a | b`), or an RPM rich
 * dependency kept as its string (`(a if b)`), parsed by the solver when it needs it.
 */
export type PackageDepExpr = PackageDep | { anyOf: PackageDep[] } | { rich: string };

/** A scriptlet: its body and interpreter (RPM), or a maintainer script (deb). */
export type PackageScript = { name: string; interpreter: string | undefined; body: string };

/** Package-level metadata every later stage needs, from either format. */
export type PackageInfo = {
  kind: 'rpm' | 'deb';
  name: string;
  /** RPM epoch; Debian epoch (0 when absent). */
  epoch: number | undefined;
  /** RPM version; Debian full version string (`[epoch:]upstream[-revision]`). */
  version: string;
  /** RPM release; undefined for Debian. */
  release: string | undefined;
  arch: string;
  summary: string;
  description: string;
  /** Dependencies by kind: requires, provides, conflicts, obsoletes, recommends, suggests,
   * supplements, enhances, orderwithrequires (RPM); depends, pre-depends, recommends, suggests,
   * enhances, breaks, conflicts, replaces, provides, built-using (deb). */
  deps: Record<string, PackageDepExpr[]>;
  /** Compression of the payload (RPM) or of data.tar (deb). */
  payloadCompressor: Compression;
  /** Scripts present, by name (`prein`, `postin`, ... for RPM; `preinst`, ... for deb). */
  scripts: PackageScript[];
  /** Every header/control field, raw, for `pkg info --json` and later stages. */
  fields: Record<string, unknown>;
};
