/*
 * CRC-64 as xz uses it for its CRC64 check (xz-file-format §3.4: the ECMA-182 polynomial,
 * reflected, initial value and final XOR all ones). JS has no 64-bit integer that is fast, so
 * the register is two uint32 halves; slicing-by-8 folds eight input bytes per step.
 */

/* eslint-disable @typescript-eslint/no-non-null-assertion -- table and data indices are in range by construction; this is a hot loop */

// The word loop reads the bytes as little-endian 32-bit integers.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const POLY_LO = 0xd7870f42; // 0xC96C5795D7870F42, low half
const POLY_HI = 0xc96c5795;

// LO/HI[k * 256 + n]: the register after byte n followed by k zero bytes, as two halves.
const LO = new Int32Array(8 * 256);
const HI = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let lo = n;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const odd = lo & 1;
    lo = (lo >>> 1) | (hi << 31);
    hi >>>= 1;
    if (odd) {
      lo ^= POLY_LO;
      hi ^= POLY_HI;
    }
  }
  LO[n] = lo;
  HI[n] = hi;
}
for (let n = 0; n < 256; n++) {
  let lo = LO[n]!;
  let hi = HI[n]!;
  for (let k = 1; k < 8; k++) {
    const idx = lo & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ LO[idx]!;
    hi = (hi >>> 8) ^ HI[idx]!;
    LO[k * 256 + n] = lo;
    HI[k * 256 + n] = hi;
  }
}

// foldWords() takes at most this many words per call. Short calls get foldWords optimized as a
// function; one long first call had V8 compile its loop on the stack (OSR) and then deoptimize
// at the loop's exit again and again: ~500 against ~800 MB/s.
const SLICE = 4096;

// Slicing-by-8 over w[from, to) (pairs of little-endian words), tables read through locals.
function foldWords(reg: Int32Array, w: Int32Array, from: number, to: number): void {
  const tlo = LO;
  const thi = HI;
  let lo = reg[0]!;
  let hi = reg[1]!;
  for (let k = from; k < to; k += 2) {
    lo ^= w[k]!;
    hi ^= w[k + 1]!;
    const a = 1792 + (lo & 0xff);
    const b = 1536 + ((lo >>> 8) & 0xff);
    const c = 1280 + ((lo >>> 16) & 0xff);
    const d = 1024 + (lo >>> 24);
    const e = 768 + (hi & 0xff);
    const f = 512 + ((hi >>> 8) & 0xff);
    const g = 256 + ((hi >>> 16) & 0xff);
    const h = hi >>> 24;
    lo = tlo[a]! ^ tlo[b]! ^ tlo[c]! ^ tlo[d]! ^ tlo[e]! ^ tlo[f]! ^ tlo[g]! ^ tlo[h]!;
    hi = thi[a]! ^ thi[b]! ^ thi[c]! ^ thi[d]! ^ thi[e]! ^ thi[f]! ^ thi[g]! ^ thi[h]!;
  }
  reg[0] = lo;
  reg[1] = hi;
}

/** A CRC-64 register as two uint32 halves; `update` folds in bytes, `lo`/`hi` read the value. */
export class Crc64 {
  // [lo, hi]. An Int32Array, not two fields: storing a field wants a tagged value, and that
  // made TurboFan keep lo/hi tagged through the whole loop (as in lzma-decoder.ts).
  private readonly reg = new Int32Array([-1, -1]);

  /** Clears the register for a new message. */
  reset(): void {
    this.reg[0] = -1;
    this.reg[1] = -1;
  }

  /** Folds data[start, end) into the register. */
  update(data: Uint8Array, start = 0, end = data.length): void {
    const reg = this.reg;
    let i = start;
    const words = (end - start) >>> 3;
    if (LITTLE_ENDIAN && ((data.byteOffset + start) & 3) === 0 && words > 0) {
      // Two aligned 32-bit loads per 8 bytes instead of eight byte loads: ~1.5x faster.
      const w = new Int32Array(data.buffer, data.byteOffset + start, words * 2);
      for (let k = 0; k < w.length; k += SLICE) foldWords(reg, w, k, Math.min(w.length, k + SLICE));
      i += words * 8;
    }
    const tlo = LO;
    const thi = HI;
    let lo = reg[0]!;
    let hi = reg[1]!;
    while (i < end) {
      const idx = (lo ^ data[i++]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ tlo[idx]!;
      hi = (hi >>> 8) ^ thi[idx]!;
    }
    reg[0] = lo;
    reg[1] = hi;
  }

  /** The value's eight bytes, little-endian, as the check field stores them (xz-file-format §3.4). */
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~this.reg[0]! >>> 0, true);
    view.setUint32(4, ~this.reg[1]! >>> 0, true);
    return out;
  }
}

/** CRC-64/XZ of data as 16 lowercase hex digits (for tests and messages). */
export function crc64(data: Uint8Array): string {
  const c = new Crc64();
  c.update(data);
  const d = c.digest();
  let s = '';
  for (let i = 7; i >= 0; i--) s += d[i]!.toString(16).padStart(2, '0');
  return s;
}
