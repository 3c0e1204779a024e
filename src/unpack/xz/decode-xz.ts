/*
 * The .xz container (xz-file-format 1.2.1 §2-§4): streams, each a header, blocks, an index and
 * a footer, optionally followed by stream padding and further streams, as `xz -dc` accepts.
 *
 * Stream header (§2.1.1), 12 bytes:  magic FD 37 7A 58 5A 00 | flags (2) | CRC32 of the flags
 * Stream flags (§2.1.1.2):           byte 0 = 0x00, byte 1 = check ID in bits 0-3, rest 0
 * Index (§4):                        0x00 | VLI record count | records (VLI unpadded size,
 *                                    VLI uncompressed size) | zero padding to 4 | CRC32
 * Stream footer (§2.1.2), 12 bytes:  CRC32 of the next 6 | backward size (4, LE; index size
 *                                    = (value + 1) × 4) | flags (same as the header) | 59 5A
 * Stream padding (§2.2):             zero bytes in multiples of four, between and after streams
 *
 * The index is checked against the blocks decoded before it the way liblzma does it: each
 * block's (unpadded, uncompressed) pair is hashed as it is decoded, the index records are
 * hashed as they are read, and count, sums and hashes must agree — memory does not grow with
 * the number of blocks.
 */

import { createHash, type Hash } from 'node:crypto';
import { BlockCheck, checkName, isSupportedCheck } from './block-check.js';
import { crc32 } from './crc32.js';
import { decodeBlock } from './decode-block.js';
import { InputReader } from './input-reader.js';
import { LzmaDecoder } from './lzma-decoder.js';

/* eslint-disable @typescript-eslint/no-non-null-assertion -- fixed-size header buffers, indices in range */

const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC_0 = 0x59; // 'Y'
const FOOTER_MAGIC_1 = 0x5a; // 'Z'

/** Running totals of one stream's blocks, compared with its index. */
class BlockList {
  count = 0;
  unpaddedSum = 0;
  uncompressedSum = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly rec = new DataView(new ArrayBuffer(16));

  add(unpadded: number, uncompressed: number): void {
    this.count++;
    this.unpaddedSum += unpadded;
    this.uncompressedSum += uncompressed;
    this.rec.setFloat64(0, unpadded, true);
    this.rec.setFloat64(8, uncompressed, true);
    this.hash.update(new Uint8Array(this.rec.buffer));
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Decodes an .xz file (one or more streams, with stream padding) from a chunk source.
 * Yields fresh Uint8Arrays of at most 1 MiB; throws FormatError ('xz', with the offset in the
 * compressed input) for malformed or unsupported input and IntegrityError for a check mismatch.
 */
export async function* decodeXz(source: AsyncIterable<Uint8Array>, file?: string): AsyncGenerator<Uint8Array> {
  const input = new InputReader(source, file);
  const lz = new LzmaDecoder();
  const scratch = new Uint8Array(1024);
  try {
    if ((await input.peek()) === -1) throw input.error('empty input: expected an xz stream header', 0);
    for (;;) {
      yield* decodeStream(input, lz, scratch);
      const padAt = input.offset;
      const padding = await input.skipZeros();
      if (padding % 4 !== 0) throw input.error(`stream padding of ${padding} bytes is not a multiple of four`, padAt);
      if ((await input.peek()) === -1) return;
    }
  } finally {
    await input.close();
  }
}

async function* decodeStream(input: InputReader, lz: LzmaDecoder, scratch: Uint8Array): AsyncGenerator<Uint8Array> {
  const streamAt = input.offset;
  await input.readExact(scratch, 0, 12, 'the stream header');
  for (let i = 0; i < 6; i++) {
    if (scratch[i] !== HEADER_MAGIC[i]) {
      throw input.error(streamAt === 0 ? 'not an xz stream (bad magic bytes)' : 'data after the end of an xz stream is neither stream padding nor another stream', streamAt);
    }
  }
  if (crc32(scratch, 0, 6, 8) !== readLe32(scratch, 8)) throw input.error('stream header CRC32 mismatch (corrupt header)', streamAt + 6);
  const flags0 = scratch[6]!;
  const flags1 = scratch[7]!;
  if (flags0 !== 0 || (flags1 & 0xf0) !== 0) throw input.error('unsupported stream flags (reserved bits set; a newer xz format?)', streamAt + 6);
  const checkId = flags1 & 0x0f;
  if (!isSupportedCheck(checkId)) {
    throw input.error(`unsupported integrity check type ${checkName(checkId)}: this decoder verifies None, CRC32, CRC64 and SHA-256`, streamAt + 7);
  }
  const check = new BlockCheck(checkId);
  const blocks = new BlockList();

  for (;;) {
    const b = await input.peek();
    if (b === -1) await input.byte('a block header or the index');
    if (b === 0) break;
    const sizes = yield* decodeBlock(input, lz, check, scratch, blocks.count + 1);
    blocks.add(sizes.unpadded, sizes.uncompressed);
  }

  const indexSize = await readIndex(input, blocks);

  const footerAt = input.offset;
  await input.readExact(scratch, 0, 12, 'the stream footer');
  if (scratch[10] !== FOOTER_MAGIC_0 || scratch[11] !== FOOTER_MAGIC_1) throw input.error('bad stream footer magic bytes', footerAt + 10);
  if (crc32(scratch, 0, 4, 10) !== readLe32(scratch, 0)) throw input.error('stream footer CRC32 mismatch (corrupt footer)', footerAt);
  if (scratch[8] !== flags0 || scratch[9] !== flags1) throw input.error('stream footer flags differ from the stream header flags', footerAt + 8);
  const backwardSize = (readLe32(scratch, 4) + 1) * 4;
  if (backwardSize !== indexSize) throw input.error(`stream footer gives an index size of ${backwardSize} bytes, but the index has ${indexSize}`, footerAt + 4);
}

// Reads the index (§4) after its indicator byte was peeked; checks it against the blocks and
// returns its size in bytes.
async function readIndex(input: InputReader, blocks: BlockList): Promise<number> {
  const start = input.offset;
  const one = new Uint8Array(1);
  let crc = 0;
  const byte = async (what: string): Promise<number> => {
    const b = await input.byte(what);
    one[0] = b;
    crc = crc32(one, crc);
    return b;
  };
  const vli = async (what: string): Promise<number> => {
    const at = input.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 9; i++) {
      const b = await byte('the index');
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if ((b === 0 && i > 0) || value > Number.MAX_SAFE_INTEGER) break;
        return value;
      }
      scale *= 128;
    }
    throw input.error(`malformed ${what} in the index`, at);
  };

  await byte('the index');
  const countAt = input.offset;
  const count = await vli('record count');
  if (count !== blocks.count) throw input.error(`the index lists ${count} blocks, but the stream has ${blocks.count}`, countAt);
  const seen = new BlockList();
  for (let i = 0; i < count; i++) {
    const at = input.offset;
    const unpadded = await vli('unpadded size');
    const uncompressed = await vli('uncompressed size');
    seen.add(unpadded, uncompressed);
    if (seen.unpaddedSum > blocks.unpaddedSum || seen.uncompressedSum > blocks.uncompressedSum) {
      throw input.error(`index record ${i + 1} does not match block ${i + 1} (sizes ${unpadded}/${uncompressed})`, at);
    }
  }
  if (seen.unpaddedSum !== blocks.unpaddedSum || seen.uncompressedSum !== blocks.uncompressedSum || seen.digest() !== blocks.digest()) {
    throw input.error('the index records do not match the blocks decoded', countAt);
  }
  while ((input.offset - start) % 4 !== 0) {
    const at = input.offset;
    if ((await byte('the index padding')) !== 0) throw input.error('non-zero index padding', at);
  }
  const crcAt = input.offset;
  const expected = crc;
  let stored = 0;
  for (let i = 0; i < 4; i++) stored += (await input.byte('the index CRC32')) * 2 ** (8 * i);
  if (stored !== expected) throw input.error('index CRC32 mismatch (corrupt index)', crcAt);
  return input.offset - start;
}

function readLe32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}
