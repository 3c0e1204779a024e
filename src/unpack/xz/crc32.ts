/*
 * CRC-32 as xz uses it (xz-file-format §5.2 and §3.4: the IEEE 802.3 polynomial, reflected,
 * initial value and final XOR 0xFFFFFFFF), for header fields, the index and the CRC32 check.
 * Slicing-by-8: eight 256-entry tables let the loop fold eight input bytes per step, which is
 * what keeps the check from dominating decode time on highly compressible data.
 */

/* eslint-disable @typescript-eslint/no-non-null-assertion -- table and data indices are in range by construction; this is a hot loop */

const POLY = 0xedb88320;

// The word loop reads the bytes as little-endian 32-bit integers.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// TABLE[k * 256 + n]: the CRC register after byte n followed by k zero bytes.
const TABLE = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n]!;
  for (let k = 1; k < 8; k++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8);
    TABLE[k * 256 + n] = c;
  }
}

/** CRC-32 of data[start, end), continuing from `crc` (the value returned for the bytes before). */
export function crc32(data: Uint8Array, crc = 0, start = 0, end = data.length): number {
  const t = TABLE;
  let c = ~crc;
  let i = start;
  const words = (end - start) >>> 3;
  if (LITTLE_ENDIAN && ((data.byteOffset + start) & 3) === 0 && words > 0) {
    // Two aligned 32-bit loads per 8 bytes instead of eight byte loads.
    const w = new Int32Array(data.buffer, data.byteOffset + start, words * 2);
    const n = w.length;
    for (let k = 0; k < n; k += 2) {
      c ^= w[k]!;
      const h = w[k + 1]!;
      c =
        t[1792 + (c & 0xff)]! ^
        t[1536 + ((c >>> 8) & 0xff)]! ^
        t[1280 + ((c >>> 16) & 0xff)]! ^
        t[1024 + (c >>> 24)]! ^
        t[768 + (h & 0xff)]! ^
        t[512 + ((h >>> 8) & 0xff)]! ^
        t[256 + ((h >>> 16) & 0xff)]! ^
        t[h >>> 24]!;
    }
    i += words * 8;
  }
  while (i < end) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
