/**
 * OSTree object names: SHA-256 written as 64 lowercase hex characters, or as 32 raw bytes inside
 * GVariant (ostree-format.md §2.1).
 */
import { FormatError } from '../core/index.js';

declare const checksumBrand: unique symbol;
/** A SHA-256 object name: exactly 64 lowercase hex characters (parse, don't cast). */
export type Checksum = string & { readonly [checksumBrand]: true };

const CHECKSUM_RE = /^[0-9a-f]{64}$/;

/** True if s is 64 lowercase hex characters. */
export function isChecksum(s: string): s is Checksum {
  return CHECKSUM_RE.test(s);
}

/** Returns s as a Checksum, or throws a FormatError naming `what`. */
export function parseChecksum(s: string, what = 'checksum'): Checksum {
  if (!isChecksum(s)) throw new FormatError('ostree', `${what}: expected 64 lowercase hex characters, got ${JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s)}`);
  return s;
}

/** The 32 raw bytes of a checksum, as stored inside GVariant (`ay`). */
export function checksumToBytes(c: Checksum): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(c.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hex form of 32 raw checksum bytes; FormatError if the length is not 32. */
export function checksumFromBytes(b: Uint8Array, what = 'checksum'): Checksum {
  if (b.length !== 32) throw new FormatError('ostree', `${what}: expected 32 bytes, got ${b.length}`);
  let s = '';
  for (const x of b) s += HEX[x] ?? '';
  return s as Checksum;
}
