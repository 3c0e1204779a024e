import { FormatError } from '../core/index.js';

/** A Debian version `[epoch:]upstream[-revision]`; an absent revision is the empty string. */
export type DebianVersion = { epoch: number; upstream: string; revision: string };

const INT_MAX = 0x7fffffff;

/**
 * Parses a Debian version with dpkg's rules (parseversion, depsolve.md §1.5): blanks trimmed,
 * epoch a decimal integer <= INT_MAX before the first `:`, revision after the last `-`. Errors
 * where dpkg errors (empty, embedded blanks, empty epoch or revision, nothing after `:`); dpkg's
 * mere warnings (odd characters, upstream not starting with a digit) are accepted.
 */
export function parseDebianVersion(s: string): DebianVersion {
  const bad = (why: string): FormatError => new FormatError('deb-version', `invalid version ${JSON.stringify(s)}: ${why}`);
  const v = s.trim();
  if (v === '') throw bad('empty');
  if (/\s/.test(v)) throw bad('embedded blanks');
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (e === '' || !/^\d+$/.test(e)) throw bad('epoch is not a number');
    epoch = Number(e);
    if (epoch > INT_MAX) throw bad('epoch is too big');
    rest = v.slice(colon + 1);
    if (rest === '') throw bad('nothing after colon');
  }
  const dash = rest.lastIndexOf('-');
  let upstream = rest;
  let revision = '';
  if (dash >= 0) {
    upstream = rest.slice(0, dash);
    revision = rest.slice(dash + 1);
    if (revision === '') throw bad('revision is empty');
    if (upstream === '') throw bad('upstream version is empty');
  }
  return { epoch, upstream, revision };
}

/** Formats a parsed Debian version (epoch shown only when non-zero). */
export function formatDebianVersion(v: DebianVersion): string {
  return `${v.epoch === 0 ? '' : `${v.epoch}:`}${v.upstream}${v.revision === '' ? '' : `-${v.revision}`}`;
}

// dpkg's order(): `~` first, then end/digit, letters, then every other character.
function order(c: number): number {
  if (c >= 0x30 && c <= 0x39) return 0;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return c;
  if (c === 0x7e) return -1;
  return c + 256;
}

/** dpkg's verrevcmp over one upstream or revision string. */
export function verrevcmp(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = i < a.length ? order(a.charCodeAt(i)) : 0;
      const bc = j < b.length ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    while (i < a.length && isDigit(a.charCodeAt(i)) && j < b.length && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

/** Orders two Debian versions exactly as `dpkg --compare-versions` (so `1.0` == `1.0-0`). */
export function compareDebianVersions(a: string | DebianVersion, b: string | DebianVersion): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseDebianVersion(a) : a;
  const y = typeof b === 'string' ? parseDebianVersion(b) : b;
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}
