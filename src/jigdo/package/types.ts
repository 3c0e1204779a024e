/*
 * What a jigdo package is made of (issue 6, "--as-package rpm|deb"): a name, a version, exact
 * pins on every package of the tree, and a handful of files copied from disk. Shared by the .deb
 * and .rpm writers, with the checks both formats need (paths, modes, sizes, timestamps); the
 * format-specific checks (names, versions) live in each writer.
 */
import { UsageError } from '../../core/index.js';

/** One file of the package payload. */
export type PackageFile = {
  /** Absolute install path, e.g. /usr/share/jigtree/jigdo/debian-12-minbase/jigdo.json */
  path: string;
  /** The file on disk to copy the bytes from (streamed, never read whole). */
  source: string;
  /** Size of `source` in bytes; checked against the file before anything is written. */
  size: number;
  /** Permission bits, e.g. 0o644. */
  mode: number;
};

/** An exact pin on another package. */
export type PackageDep = {
  name: string;
  /** rpm: archful packages pin `name(x86-64)`; deb: a foreign architecture becomes `name:arch`. */
  arch?: string;
  /** Exact version: rpm `[E:]V-R`, deb `[epoch:]upstream[-revision]`. */
  evr: string;
};

/** A capability the package provides (the package's own name is added by the writers). */
export type PackageProvide = { name: string; evr?: string };

/** Everything a jigdo package holds; same spec and same file bytes give the same package bytes. */
export type PackageSpec = {
  name: string;
  version: string;
  /** rpm only; default "1". */
  release?: string;
  arch: string;
  summary: string;
  description: string;
  license: string;
  maintainer: string;
  url?: string;
  /** Exact pins: rpm `Requires: name(isa) = EVR` (or `name = EVR` when arch is noarch/all or absent), deb `Depends: name (= V)`. */
  requires: PackageDep[];
  /** Extra provides, e.g. { name: 'jigtree-jigdo(1)' } (deb maps names: see debProvideName). */
  provides: PackageProvide[];
  /** Files in payload order exactly as given (the jigdo needs commit-first order); parent directories are implied. */
  files: PackageFile[];
  /**
   * rpm only: the directories the package owns (lists in its header, removes on erase). Default:
   * the deepest directory holding every file, and each directory between it and the files (for
   * a jigdo set, /usr/share/jigtree/jigdo/<name> and its parts/ directory, never /usr).
   */
  ownedDirs?: string[];
  /** Every timestamp in the package (seconds since the epoch, 0..2^32-1). */
  mtime: number;
};

/** Options of the package writers. */
export type WritePackageOptions = { signal?: AbortSignal };

/** What a writer produced: the package's size and SHA-256 (lowercase hex). */
export type WrittenPackage = { size: number; sha256: string };

/** The largest timestamp both formats hold (rpm BUILDTIME and FILEMTIMES are 32-bit unsigned). */
const MAX_MTIME = 0xffffffff;

/** A one-line UsageError naming the spec field and what was expected there. */
export function specError(field: string, expected: string, got: unknown): UsageError {
  const shown = JSON.stringify(got) as string | undefined;
  return new UsageError(`package spec: ${field}: expected ${expected}, got ${shown ?? String(got)}`);
}

/**
 * Checks an install path: absolute and normalized (no empty, `.` or `..` segment, no trailing
 * `/`), not `/` itself, and free of control characters (they would break md5sums lines and the
 * cpio/tar names).
 */
export function checkInstallPath(p: unknown, field: string): string {
  const what = 'an absolute normalized path without "." or ".." segments or control characters';
  if (typeof p !== 'string' || !p.startsWith('/') || p === '/' || p.endsWith('/')) throw specError(field, what, p);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
  if (/[\u0000-\u001f\u007f]/.test(p)) throw specError(field, what, p);
  for (const seg of p.slice(1).split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw specError(field, what, p);
  }
  return p;
}

/** Checks a one-line text field: a string, non-empty unless `optional`, no control characters. */
export function checkLine(v: unknown, field: string, opts: { empty?: boolean } = {}): string {
  // eslint-disable-next-line no-control-regex -- a header/control field holds one line
  if (typeof v !== 'string' || (v.trim() === '' && opts.empty !== true) || /[\u0000-\u001f\u007f]/.test(v)) {
    throw specError(field, opts.empty === true ? 'one line of text' : 'one non-empty line of text', v);
  }
  return v;
}

/** Checks a multi-line text field (description): a string without NUL or other control characters but newline and tab. */
export function checkText(v: unknown, field: string): string {
  // eslint-disable-next-line no-control-regex -- NUL ends an rpm string; others have no place in a description
  if (typeof v !== 'string' || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(v)) throw specError(field, 'text (newlines allowed, no other control characters)', v);
  return v;
}

/** Byte order of UTF-8 strings (strcmp, as rpm and dpkg sort paths and names). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The parent directory of an absolute normalized path (`/a/b` → `/a`, `/a` → `/`). */
export function parentDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** Every ancestor directory of the paths, `/` excluded, in byte order (a parent sorts before its children). */
export function ancestorDirs(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    for (let d = parentDir(p); d !== '/' && !dirs.has(d); d = parentDir(d)) dirs.add(d);
  }
  return [...dirs].sort(compareBytes);
}

/**
 * Checks what both formats need of a spec: the file list (paths, duplicates, a file used as a
 * directory, modes, sizes) and the timestamp. Returns nothing; throws one UsageError.
 */
export function checkCommonSpec(spec: PackageSpec, limits: { maxFileSize: number; format: string }): void {
  if (typeof spec !== 'object') throw specError('spec', 'an object', spec);
  if (!Number.isInteger(spec.mtime) || spec.mtime < 0 || spec.mtime > MAX_MTIME) {
    throw specError('mtime', `an integer number of seconds in 0..${MAX_MTIME}`, spec.mtime);
  }
  if (!Array.isArray(spec.files)) throw specError('files', 'an array', spec.files);
  if (!Array.isArray(spec.requires)) throw specError('requires', 'an array', spec.requires);
  if (!Array.isArray(spec.provides)) throw specError('provides', 'an array', spec.provides);
  const seen = new Set<string>();
  spec.files.forEach((f, i) => {
    const p = checkInstallPath(f.path, `files[${i}].path`);
    if (seen.has(p)) throw specError(`files[${i}].path`, 'a path listed once', p);
    seen.add(p);
    if (typeof f.source !== 'string' || f.source === '') throw specError(`files[${i}].source`, 'a file name', f.source);
    if (!Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777) throw specError(`files[${i}].mode`, 'permission bits in 0..0o7777', f.mode);
    if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > limits.maxFileSize) {
      throw specError(`files[${i}].size`, `a byte count in 0..${limits.maxFileSize} (the ${limits.format} limit)`, f.size);
    }
  });
  // A file cannot also be the parent directory of another file.
  for (const d of ancestorDirs([...seen])) {
    if (seen.has(d)) throw specError(`files[${spec.files.findIndex((f) => f.path === d)}].path`, 'a file, not a directory that holds other files', d);
  }
}
