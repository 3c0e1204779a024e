import { FormatError } from '../core/index.js';

/** An RPM epoch:version-release. `release` undefined means "no release" (sorts lowest). */
export type RpmEvr = { epoch: number | undefined; version: string; release: string | undefined };

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const TILDE = 0x7e;
const CARET = 0x5e;

/**
 * rpmvercmp: compares one version or release string segment by segment (depsolve.md §1.1).
 * ASCII only, locale-independent: every byte outside [0-9A-Za-z~^] is a separator. Returns -1, 0, 1.
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    while (i < la && !isSegmentChar(a.charCodeAt(i))) i++;
    while (j < lb && !isSegmentChar(b.charCodeAt(j))) j++;
    const ca = i < la ? a.charCodeAt(i) : -1;
    const cb = j < lb ? b.charCodeAt(j) : -1;
    // `~` sorts before everything, even the end of the string.
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the string but before any further segment.
    if (ca === CARET || cb === CARET) {
      if (i >= la) return -1;
      if (j >= lb) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= la || j >= lb) break;
    const numeric = isDigit(ca);
    const inClass = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < la && inClass(a.charCodeAt(i))) i++;
    while (j < lb && inClass(b.charCodeAt(j))) j++;
    // b has the other class here: numbers are newer than letters.
    if (j === sj) return numeric ? 1 : -1;
    let sa = a.slice(si, i);
    let sb = b.slice(sj, j);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
  }
  if (i >= la && j >= lb) return 0;
  return i < la ? 1 : -1;
}

function isSegmentChar(c: number): boolean {
  return isDigit(c) || isAlpha(c) || c === TILDE || c === CARET;
}

/**
 * Parses `[epoch:]version[-release]` as rpm does: the epoch is a leading digit run before `:`
 * (empty means 0), the release is the text after the last `-`; an empty release (`1.0-`) counts
 * as none. Rejects empty versions, non-numeric epochs, blanks and control characters.
 */
export function parseRpmEvr(s: string): RpmEvr {
  const bad = (why: string): FormatError => new FormatError('rpm-version', `invalid EVR ${JSON.stringify(s)}: ${why}`);
  if (s.length === 0) throw bad('empty');
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(s)) throw bad('contains blanks or control characters');
  let epoch: number | undefined;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (!/^\d*$/.test(e)) throw bad('epoch must be a decimal number');
    epoch = e === '' ? 0 : Number(e);
    if (!Number.isSafeInteger(epoch) || epoch > 0xffffffff) throw bad('epoch out of range');
    rest = s.slice(colon + 1);
    if (rest.includes(':')) throw bad('more than one ":"');
  }
  const dash = rest.lastIndexOf('-');
  const version = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : undefined;
  if (version === '') throw bad('empty version');
  return { epoch, version, release: release === '' ? undefined : release };
}

/** Formats an EVR the way rpm prints it (`E:V-R`, epoch omitted when absent). */
export function formatRpmEvr(evr: RpmEvr): string {
  return `${evr.epoch === undefined ? '' : `${evr.epoch}:`}${evr.version}${evr.release === undefined ? '' : `-${evr.release}`}`;
}

/**
 * Orders two RPM EVRs as rpm, libsolv and dnf sort packages: epoch (missing = 0), then version,
 * then release, a missing release sorting before any release (depsolve.md §1.2). Strings are
 * parsed with parseRpmEvr, like rpm's Lua `rpm.vercmp`.
 */
export function compareRpmVersions(a: string | RpmEvr, b: string | RpmEvr): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseRpmEvr(a) : a;
  const y = typeof b === 'string' ? parseRpmEvr(b) : b;
  const ea = x.epoch ?? 0;
  const eb = y.epoch ?? 0;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0) return v;
  if (x.release === undefined || y.release === undefined) {
    if (x.release === y.release) return 0;
    return x.release === undefined ? -1 : 1;
  }
  return rpmvercmp(x.release, y.release);
}
