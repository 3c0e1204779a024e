import { FormatError } from '../core/index.js';
import { rpmvercmp } from './vercmp-rpm.js';

/** rpm sense bits (rpmds.h): which side of the version a dependency range covers. */
export const RPMSENSE = { LESS: 0x02, GREATER: 0x04, EQUAL: 0x08 } as const;

/** A versioned RPM capability range: `name`, sense flags (LESS|GREATER|EQUAL), and an EVR. */
export type RpmDepRange = { name: string; flags: number; evr: string };

const OPS: Record<string, number> = { '<': 0x02, '<=': 0x0a, '=': 0x08, '==': 0x08, '>=': 0x0c, '>': 0x04 };

/** Parses `name [op evr]` as rpm writes dependencies (`foo >= 1:2.0-3`). */
export function parseRpmDep(s: string): RpmDepRange {
  const parts = s.trim().split(/\s+/);
  const [name = '', op, evr, ...rest] = parts;
  if (name === '' || rest.length > 0 || (op !== undefined && (evr === undefined || OPS[op] === undefined))) {
    throw new FormatError('rpm-version', `invalid dependency ${JSON.stringify(s)}: expected "name [<|<=|=|>=|> EVR]"`);
  }
  return { name, flags: op === undefined ? 0 : (OPS[op] ?? 0), evr: evr ?? '' };
}

function splitEvr(evr: string): { e: string; v: string; r: string } {
  const m = /^(\d*):/.exec(evr);
  const e = m?.[1] ?? '';
  const rest = m === null ? evr : evr.slice(m[0].length);
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? { e, v: rest, r: '' } : { e, v: rest.slice(0, dash), r: rest.slice(dash + 1) };
}

/**
 * Whether two ranges of the same capability overlap, as rpm decides whether a Provides
 * satisfies a Requires (rpmverOverlap; depsolve.md §1.2): an unversioned side matches all; an
 * epoch given on one side only counts against the other when it is > 0; releases are compared
 * only when both sides have one, and when exactly one has none, that side's EQUAL makes a match.
 */
export function rpmDepOverlaps(a: RpmDepRange, b: RpmDepRange): boolean {
  if (a.name !== b.name) return false;
  const senseMask = RPMSENSE.LESS | RPMSENSE.GREATER | RPMSENSE.EQUAL;
  const af = a.flags & senseMask;
  const bf = b.flags & senseMask;
  if (af === 0 || bf === 0) return true;
  const x = splitEvr(a.evr);
  const y = splitEvr(b.evr);
  let sense = 0;
  if (x.e !== '' && y.e !== '') sense = rpmvercmp(x.e, y.e);
  else if (x.e !== '' && Number(x.e) > 0) sense = 1;
  else if (y.e !== '' && Number(y.e) > 0) sense = -1;
  if (sense === 0) {
    sense = rpmvercmp(x.v, y.v);
    if (sense === 0) {
      if (x.r !== '' && y.r !== '') sense = rpmvercmp(x.r, y.r);
      else if ((x.r !== '' && bf & RPMSENSE.EQUAL) || (y.r !== '' && af & RPMSENSE.EQUAL)) return true;
    }
  }
  if (sense < 0) return (af & RPMSENSE.GREATER) !== 0 || (bf & RPMSENSE.LESS) !== 0;
  if (sense > 0) return (af & RPMSENSE.LESS) !== 0 || (bf & RPMSENSE.GREATER) !== 0;
  return (af & bf & (RPMSENSE.EQUAL | RPMSENSE.LESS | RPMSENSE.GREATER)) !== 0;
}
