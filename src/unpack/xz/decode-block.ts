/*
 * One xz block (xz-file-format §3): block header, LZMA2 data (§5.3.1 and the LZMA2 chunk
 * format), block padding and the check. Yields the block's uncompressed bytes and returns the
 * sizes the index must list for it.
 *
 * Block header field table (§3.1), sizes in bytes:
 *   1    header size: (value + 1) × 4, value ≥ 1 (0 would be the index indicator)
 *   1    block flags: bits 0-1 filter count − 1, bits 2-5 reserved (0),
 *        bit 6 compressed size present, bit 7 uncompressed size present
 *   VLI  compressed size (optional), VLI uncompressed size (optional)
 *   …    filter flags × count: VLI filter ID, VLI size of properties, properties
 *   …    header padding: zero bytes up to header size − 4
 *   4    CRC32 of all bytes above, little-endian
 *
 * LZMA2 chunk headers (first byte = control):
 *   0x00                 end of the LZMA2 data
 *   0x01 / 0x02          stored chunk with / without dictionary reset; then 2 bytes BE size − 1
 *   0x80 | r<<5 | u      LZMA chunk, r: 0 nothing reset, 1 state reset, 2 state reset and new
 *                        properties, 3 all that and dictionary reset; u = bits 16-20 of the
 *                        uncompressed size − 1; then 2 bytes BE (its low 16 bits), 2 bytes BE
 *                        compressed size − 1, and for r ≥ 2 one properties byte (pb×5+lp)×9+lc
 *   anything else        invalid
 */

import { IntegrityError, type FormatError } from '../../core/index.js';
import { checkName, checkSize, type BlockCheck } from './block-check.js';
import { crc32 } from './crc32.js';
import type { InputReader } from './input-reader.js';
import { LZMA_BAD_DISTANCE, LZMA_OK, type LzmaDecoder } from './lzma-decoder.js';

/** Largest dictionary we accept: 1.5 GiB (Debian uses 8 MiB, rpm at most 64 MiB). */
export const MAX_DICT_SIZE = 1536 * 1024 * 1024;

/** What the index must say about a decoded block (xz-file-format §4.3). */
export type BlockSizes = { unpadded: number; uncompressed: number };

const LZMA2_ID = 0x21;

// Filter IDs of xz-file-format §5.3, to say precisely what we do not support.
const FILTER_NAMES: Record<number, string> = {
  0x03: 'Delta',
  0x04: 'BCJ x86',
  0x05: 'BCJ PowerPC',
  0x06: 'BCJ IA-64',
  0x07: 'BCJ ARM',
  0x08: 'BCJ ARM-Thumb',
  0x09: 'BCJ SPARC',
  0x0a: 'BCJ ARM64',
  0x0b: 'BCJ RISC-V',
  0x21: 'LZMA2',
};

/**
 * Reads a variable-length integer (§1.2: 7 bits per byte, least significant first, at most 9
 * bytes, no superfluous trailing zero byte) from buf[pos…end); returns -1 if malformed or past end.
 * Values beyond 2^53 are refused as malformed: no real size gets near that.
 */
export function parseVli(buf: Uint8Array, at: { pos: number }, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 9 && at.pos < end; i++) {
    const b = buf[at.pos++] ?? 0;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) return -1;
      return value > Number.MAX_SAFE_INTEGER ? -1 : value;
    }
    scale *= 128;
  }
  return -1;
}

/** The LZMA2 dictionary size a properties byte encodes (§5.3.1), or -1 if the byte is invalid. */
export function lzma2DictSize(prop: number): number {
  if (prop > 40) return -1;
  if (prop === 40) return 0xffffffff;
  return (2 + (prop & 1)) * 2 ** ((prop >>> 1) + 11);
}

type BlockHeader = { size: number; compressed: number | undefined; uncompressed: number | undefined; dictSize: number };

async function readBlockHeader(input: InputReader, scratch: Uint8Array, blockNo: number): Promise<BlockHeader> {
  const start = input.offset;
  const first = await input.byte('a block header');
  const size = (first + 1) * 4;
  scratch[0] = first;
  await input.readExact(scratch, 1, size - 1, 'a block header');
  const stored = readLe32(scratch, size - 4);
  if (crc32(scratch, 0, 0, size - 4) !== stored) throw input.error(`block ${blockNo}: block header CRC32 mismatch (corrupt header)`, start);
  const flags = scratch[1] ?? 0;
  if ((flags & 0x3c) !== 0) throw input.error(`block ${blockNo}: unsupported block flags 0x${flags.toString(16)} (reserved bits set)`, start + 1);
  const at = { pos: 2 };
  const end = size - 4;
  const vli = (what: string): number => {
    const fieldAt = start + at.pos;
    const v = parseVli(scratch, at, end);
    if (v < 0) throw input.error(`block ${blockNo}: malformed ${what} in the block header`, fieldAt);
    return v;
  };
  let compressed: number | undefined;
  let uncompressed: number | undefined;
  if ((flags & 0x40) !== 0) {
    compressed = vli('compressed size');
    if (compressed === 0) throw input.error(`block ${blockNo}: block header says compressed size 0`, start);
  }
  if ((flags & 0x80) !== 0) uncompressed = vli('uncompressed size');
  const count = (flags & 3) + 1;
  const ids: number[] = [];
  let dictSize = -1;
  let dictAt = 0;
  for (let i = 0; i < count; i++) {
    const id = vli('filter ID');
    const propsSize = vli('filter properties size');
    if (at.pos + propsSize > end) throw input.error(`block ${blockNo}: filter properties run past the block header`, start + at.pos);
    ids.push(id);
    if (id === LZMA2_ID && i === count - 1) {
      if (propsSize !== 1) throw input.error(`block ${blockNo}: LZMA2 properties must be 1 byte, not ${propsSize}`, start + at.pos);
      dictAt = start + at.pos;
      const prop = scratch[at.pos] ?? 0;
      dictSize = (prop & 0xc0) === 0 ? lzma2DictSize(prop) : -1;
      if (dictSize < 0) throw input.error(`block ${blockNo}: invalid LZMA2 dictionary size byte 0x${prop.toString(16)}`, dictAt);
    }
    at.pos += propsSize;
  }
  if (count !== 1 || ids[0] !== LZMA2_ID) {
    const names = ids.map((id) => FILTER_NAMES[id] ?? `unknown filter 0x${id.toString(16)}`).join(' + ');
    throw input.error(`block ${blockNo}: filter chain ${names} is not supported; this decoder does LZMA2 alone, which is all dpkg-deb and rpm write (use the system xz for others)`, start);
  }
  for (let p = at.pos; p < end; p++) {
    if (scratch[p] !== 0) throw input.error(`block ${blockNo}: non-zero block header padding`, start + p);
  }
  if (dictSize > MAX_DICT_SIZE) {
    throw input.error(`block ${blockNo}: LZMA2 dictionary of ${dictSize} bytes is over this decoder's limit of 1.5 GiB`, dictAt);
  }
  return { size, compressed, uncompressed, dictSize };
}

/**
 * Decodes one block; the caller has peeked its first byte (non-zero). Yields fresh arrays of
 * at most OUT_CHUNK bytes; returns the sizes for the index. Throws FormatError on malformed
 * data and IntegrityError when the check does not match.
 */
export async function* decodeBlock(input: InputReader, lz: LzmaDecoder, check: BlockCheck, scratch: Uint8Array, blockNo: number): AsyncGenerator<Uint8Array, BlockSizes> {
  const header = await readBlockHeader(input, scratch, blockNo);
  const dataStart = input.offset;
  check.reset();
  lz.resetDictionary(header.dictSize);
  let uncompressed = 0;
  let needDictReset = true;
  let needProps = true;
  const inBuf = lz.inBuf;

  for (;;) {
    const chunkAt = input.offset;
    if (header.compressed !== undefined && chunkAt - dataStart >= header.compressed) {
      throw input.error(`block ${blockNo}: LZMA2 data is longer than the compressed size ${header.compressed} in the block header`, chunkAt);
    }
    const control = await input.byte('an LZMA2 chunk header');
    if (control === 0) break;
    if (control > 0x02 && control < 0x80) {
      throw input.error(`block ${blockNo}: invalid LZMA2 control byte 0x${control.toString(16)}`, chunkAt);
    }
    if (control === 0x01 || control >= 0xe0) {
      // A dictionary reset: what is already decoded goes out first; the next LZMA chunk must
      // bring new properties (and with them a state reset).
      if (lz.pending > 0) {
        const out = lz.takeOutput();
        check.update(out);
        yield out;
      }
      lz.resetDictionary(header.dictSize);
      needDictReset = false;
      needProps = true;
    } else if (needDictReset) {
      throw input.error(`block ${blockNo}: the first LZMA2 chunk does not reset the dictionary (control byte 0x${control.toString(16)})`, chunkAt);
    }

    let unpacked: number;
    let packed: number;
    if (control >= 0x80) {
      await input.readExact(scratch, 0, 4, 'an LZMA2 chunk header');
      unpacked = (control & 0x1f) * 65536 + readBe16(scratch, 0) + 1;
      packed = readBe16(scratch, 2) + 1;
      if (control >= 0xc0) {
        const propsAt = input.offset;
        const props = await input.byte('an LZMA2 chunk header');
        const lc = props % 9;
        const lp = Math.floor(props / 9) % 5;
        const pb = Math.floor(props / 45);
        // lc + lp ≤ 4 is an LZMA2 rule (LZMA alone allows more).
        if (props >= 225 || lc + lp > 4) throw input.error(`block ${blockNo}: invalid LZMA properties byte 0x${props.toString(16)}`, propsAt);
        lz.setProperties(lc, lp, pb);
        lz.resetState();
        needProps = false;
      } else if (needProps) {
        throw input.error(`block ${blockNo}: LZMA chunk without properties after a dictionary reset (control byte 0x${control.toString(16)})`, chunkAt);
      } else if (control >= 0xa0) {
        lz.resetState();
      }
    } else {
      await input.readExact(scratch, 0, 2, 'an LZMA2 chunk header');
      unpacked = readBe16(scratch, 0) + 1;
      packed = unpacked;
    }
    // Sizes declared in the block header are limits we can enforce before decoding (§3.1.3/4).
    if (header.compressed !== undefined && input.offset + packed - dataStart > header.compressed) {
      throw input.error(`block ${blockNo}: LZMA2 data is longer than the compressed size ${header.compressed} in the block header`, chunkAt);
    }
    if (header.uncompressed !== undefined && uncompressed + unpacked > header.uncompressed) {
      throw input.error(`block ${blockNo}: data decodes to more than the uncompressed size ${header.uncompressed} in the block header`, chunkAt);
    }

    const dataAt = input.offset;
    await input.readExact(inBuf, 0, packed, 'LZMA2 chunk data');
    if (control >= 0x80) {
      if (!lz.startChunk(packed)) throw input.error(`block ${blockNo}: LZMA chunk is shorter than 5 bytes or does not start with a zero byte`, dataAt);
      let left = unpacked;
      while (left > 0) {
        const limit = lz.prepare(left);
        if (limit < 0) throw outOfMemory(input, blockNo, header.dictSize);
        const before = lz.pos;
        const status = lz.decode(limit);
        left -= lz.pos - before;
        if (status !== LZMA_OK) {
          const what = status === LZMA_BAD_DISTANCE ? 'a match distance reaches outside the dictionary' : 'the chunk needs more compressed bytes than its header gives';
          throw input.error(`block ${blockNo}: corrupt LZMA data: ${what}`, dataAt + Math.min(lz.inPos, packed));
        }
        if (lz.needsFlush()) {
          const out = lz.takeOutput();
          check.update(out);
          yield out;
        }
      }
      if (!lz.chunkFinished()) {
        throw input.error(`block ${blockNo}: corrupt LZMA data: the chunk does not end where its header says`, dataAt + Math.min(lz.inPos, packed));
      }
    } else {
      let off = 0;
      while (off < packed) {
        const limit = lz.prepare(packed - off);
        if (limit < 0) throw outOfMemory(input, blockNo, header.dictSize);
        const n = limit - lz.pos;
        lz.appendStored(inBuf, off, off + n);
        off += n;
        if (lz.needsFlush()) {
          const out = lz.takeOutput();
          check.update(out);
          yield out;
        }
      }
    }
    uncompressed += unpacked;
  }

  if (lz.pending > 0) {
    const out = lz.takeOutput();
    check.update(out);
    yield out;
  }
  const compressed = input.offset - dataStart;
  if (header.compressed !== undefined && compressed !== header.compressed) {
    throw input.error(`block ${blockNo}: LZMA2 data is ${compressed} bytes but the block header says ${header.compressed}`, input.offset);
  }
  if (header.uncompressed !== undefined && uncompressed !== header.uncompressed) {
    throw input.error(`block ${blockNo}: data decodes to ${uncompressed} bytes but the block header says ${header.uncompressed}`, input.offset);
  }

  // Block padding (§3.2): zero bytes up to a multiple of four.
  for (let n = (4 - ((header.size + compressed) & 3)) & 3; n > 0; n--) {
    const at = input.offset;
    if ((await input.byte('block padding')) !== 0) throw input.error(`block ${blockNo}: non-zero block padding`, at);
  }
  // The check (§3.4).
  const size = checkSize(check.id);
  if (size > 0) {
    const at = input.offset;
    await input.readExact(scratch, 0, size, `the ${checkName(check.id)} check`);
    const actual = check.digest();
    for (let i = 0; i < size; i++) {
      if (actual[i] !== scratch[i]) {
        const where = `${input.file === undefined ? '' : `${input.file}: `}xz block ${blockNo} ${checkName(check.id)} (stored at byte ${at})`;
        throw new IntegrityError(where, hex(scratch.subarray(0, size), check.id), hex(actual, check.id), {
          data: { format: 'xz', offset: at, block: blockNo, check: checkName(check.id), ...(input.file === undefined ? {} : { file: input.file }) },
        });
      }
    }
  }
  return { unpadded: header.size + compressed + size, uncompressed };
}

// Not a format error, but the stream's demand: "only FormatError or IntegrityError" holds.
function outOfMemory(input: InputReader, blockNo: number, dictSize: number): FormatError {
  return input.error(`block ${blockNo}: cannot allocate memory for the dictionary this stream declares (${dictSize} bytes)`);
}

// CRCs are stored little-endian but read as numbers (as `xz -lvv` prints them); SHA-256 as is.
function hex(bytes: Uint8Array, id: number): string {
  const ordered = id === 0x0a ? Array.from(bytes) : Array.from(bytes).reverse();
  return ordered.map((b) => b.toString(16).padStart(2, '0')).join('');
}

function readBe16(buf: Uint8Array, at: number): number {
  return ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);
}

function readLe32(buf: Uint8Array, at: number): number {
  return ((buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16) | ((buf[at + 3] ?? 0) << 24)) >>> 0;
}
