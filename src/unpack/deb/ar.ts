import { ByteReader } from '../../core/index.js';
import { SizedBody } from '../tar.js';

/*
 * The ar container of a .deb (deb(5), ar(5); dpkg lib/dpkg/ar.c): the magic `!<arch>\n`, then
 * members, each a 60-byte header followed by its data and one padding byte when the size is
 * odd. Only what a .deb uses is supported: short names (GNU `/` terminator allowed), no symbol
 * table or long-name table (dpkg does not support them either).
 */

/** The global header of an ar archive. */
export const AR_MAGIC = '!<arch>\n';

// Member header (ar(5)); every field is ASCII, space padded:
//  off len field
//    0  16 name      GNU ar ends it with '/'
//   16  12 mtime     decimal (ignored, as dpkg does)
//   28   6 uid       decimal (ignored)
//   34   6 gid       decimal (ignored)
//   40   8 mode      octal   (ignored)
//   48  10 size      decimal: digits, then spaces
//   58   2 fmag      "`\n"
const HEADER = 60;
const O_SIZE = 48;
const O_FMAG = 58;

/** One ar member: its name, data size, offset of its header, and its data as a stream. */
export type ArMember = {
  /** Name with trailing spaces and the GNU `/` terminator removed. */
  name: string;
  size: number;
  /** Byte offset of the member header in the archive. */
  offset: number;
  /** The member's data, streamed; drained automatically when iteration moves on. */
  body: SizedBody;
};

/** Options for `readAr`: `file` names the archive in errors. */
export type ReadArOptions = { file?: string };

/**
 * Streams the members of an ar archive; the generator's return value is the archive's length
 * (where a missing member would have started). FormatError 'ar' (with the byte offset of the
 * member header at fault) for bad magic, a bad member header or size, and data that ends
 * before a member's declared size.
 */
export async function* readAr(source: AsyncIterable<Uint8Array>, opts: ReadArOptions = {}): AsyncGenerator<ArMember, number, undefined> {
  const r = new ByteReader(source, 'ar', opts.file);
  try {
    const magic = await r.readAtMost(AR_MAGIC.length);
    if (ascii(magic) !== AR_MAGIC) {
      throw r.error(`bad magic ${JSON.stringify(ascii(magic))}: expected ${JSON.stringify(AR_MAGIC)} (an ar archive, deb(5))`, 0);
    }
    for (;;) {
      if (await r.atEnd()) return r.offset;
      const hOff = r.offset;
      const h = await r.read(HEADER, 'ar member header');
      if (h[O_FMAG] !== 0x60 || h[O_FMAG + 1] !== 0x0a) {
        throw r.error(`member header: bad terminator ${JSON.stringify(ascii(h.subarray(O_FMAG, HEADER)))}: expected "\`\\n" (wrong size in the member before?)`, hOff);
      }
      const name = memberName(h);
      const size = decimalSize(h, r, hOff);
      const body = new SizedBody(r, size, `ar member ${name}`);
      yield { name, size, offset: hOff, body };
      await body.finish();
      // Odd sizes are padded to even; dpkg never checks the pad of the last member, nor do we.
      if (size % 2 === 1 && !(await r.atEnd())) await r.skip(1, 'ar padding');
    }
  } finally {
    await r.close();
  }
}

function ascii(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** dpkg_ar_normalize_name: trailing spaces go, then one GNU `/` terminator. */
function memberName(h: Uint8Array): string {
  let end = 16;
  while (end > 0 && h[end - 1] === 0x20) end--;
  if (end > 0 && h[end - 1] === 0x2f) end--;
  return ascii(h.subarray(0, end));
}

/** The size field: blanks, decimal digits (at least one), blanks (dpkg_ar_member_get_size). */
function decimalSize(h: Uint8Array, r: ByteReader, hOff: number): number {
  let i = O_SIZE;
  const end = O_SIZE + 10;
  while (i < end && h[i] === 0x20) i++;
  const first = i;
  let n = 0;
  for (; i < end; i++) {
    const c = h[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  const digits = i - first;
  for (; i < end; i++) if (h[i] !== 0x20) break;
  if (digits === 0 || i < end) {
    throw r.error(`member header: bad size field ${JSON.stringify(ascii(h.subarray(O_SIZE, end)))}: expected decimal digits then spaces`, hOff);
  }
  return n;
}
