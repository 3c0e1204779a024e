import { FormatError } from '../core/index.js';
import { parseRpmEvr, formatRpmEvr, type RpmEvr } from './vercmp-rpm.js';

/** An RPM package identity: name, epoch:version-release and architecture. */
export type Nevra = { name: string } & RpmEvr & { arch: string };

/**
 * Parses `name-[epoch:]version-release.arch` (as `rpm -q` prints and file names carry, with an
 * optional `.rpm` suffix). The arch is after the last `.`, the release after the last `-`, the
 * version after the `-` before it; names may themselves contain `-`.
 */
export function parseRpmNevra(s: string): Nevra {
  const bad = (why: string): FormatError => new FormatError('rpm-nevra', `invalid NEVRA ${JSON.stringify(s)}: ${why}`);
  const base = s.endsWith('.rpm') ? s.slice(0, -4) : s;
  const dot = base.lastIndexOf('.');
  const relDash = base.lastIndexOf('-');
  if (dot < 0 || dot < relDash) throw bad('missing .arch');
  const arch = base.slice(dot + 1);
  if (!/^[A-Za-z0-9_]+$/.test(arch)) throw bad('invalid arch');
  const nevr = base.slice(0, dot);
  const r = nevr.lastIndexOf('-');
  if (r <= 0) throw bad('missing -release');
  const v = nevr.lastIndexOf('-', r - 1);
  if (v <= 0) throw bad('missing -version');
  const name = nevr.slice(0, v);
  const evr = parseRpmEvr(nevr.slice(v + 1));
  if (evr.release === undefined) throw bad('empty release');
  return { name, ...evr, arch };
}

/** Formats a NEVRA as rpm's `%{nevra}` does (epoch shown only when set). */
export function formatRpmNevra(n: Nevra): string {
  return `${n.name}-${formatRpmEvr(n)}.${n.arch}`;
}
