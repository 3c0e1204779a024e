/*
 * The LZMA decoder under LZMA2 (LZMA SDK's lzma-specification.txt; the LZMA2 framing around it
 * is in decode-block.ts): a binary range decoder, adaptive bit models (11-bit probabilities,
 * move bits 5), the literal coder with lc/lp/pb context, match and rep-match lengths, distance
 * slots with reverse-coded low bits and 4 align bits, and the dictionary as a ring buffer.
 *
 * LZMA2 states every LZMA chunk's compressed size (≤ 64 KiB) up front, so the caller buffers a
 * whole chunk in `inBuf` before decoding it: the range decoder never stops in the middle of a
 * symbol for lack of input, only for lack of output space, and the one thing carried across
 * such a stop is the rest of a match. That keeps the hot loop free of resumable state.
 *
 * Speed (measured on the 97 data.tar.xz of a Debian minbase; numbers in README.md):
 * - all state is typed arrays and numbers on one class; decode() copies it into locals, runs
 *   one monomorphic loop with the bit decoder written out at every site (V8 will not inline a
 *   helper that must update range, code and inPos together), and writes it back;
 * - the range coder is int32 throughout: `range` holds the uint32 bit pattern, and `code` is
 *   kept XOR 0x80000000 ("biased") so that a signed `<` against `bound ^ 0x80000000` is the
 *   unsigned comparison the algorithm needs. No value ever becomes a heap number;
 * - the loop state is saved in an Int32Array, not in object fields: a field store wants a
 *   tagged value, and that one use made TurboFan keep inPos tagged through the whole loop;
 * - one decode() call produces at most DECODE_STEP bytes: with short calls V8 optimizes
 *   decode() as a whole function instead of on-stack-replacing its loop, and OSR code (whose
 *   loop variables arrive untyped) was ~15% slower and kept deoptimizing;
 * - bits inside bit trees (literals, lengths, distance slots, reverse trees, direct bits) are
 *   decoded without a branch: those bits are close to random, so a branch on them mispredicts
 *   often. `m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31` is -1 when c < bound
 *   unsigned (Hacker's Delight §2-12, borrow of c − bound), i.e. when the bit is 0, else 0; the
 *   range, code and probability updates then select with m. The single decisions (isMatch,
 *   isRep…) keep a branch because the code takes different paths on them anyway;
 * - the eight bits of a plain literal are unrolled (no loop branch left in them at all).
 * Each of these gave 4-15% on the Debian set; together they brought decode from 25 to ~45 MB/s.
 */

import { InternalError } from '../../core/index.js';

/* eslint-disable @typescript-eslint/no-non-null-assertion -- every index into probs, dict, inBuf and regs is in range by construction (see the layout and IN_SLACK below); this is the hot loop */

/** Output is handed out in pieces of at most this many bytes (and the ring is never smaller). */
export const OUT_CHUNK = 1 << 20;

/** Largest compressed size of one LZMA2 chunk (a 16-bit "size − 1" field). */
export const MAX_CHUNK_INPUT = 1 << 16;

// decode() checks `inPos > inEnd` once per symbol; one symbol reads at most 48 bytes (isMatch,
// isRep, 10 length bits, 6 slot bits, 26 direct bits, 4 align bits: at most one byte per bit),
// so this much slack after a chunk keeps a corrupt symbol's reads inside the buffer.
const IN_SLACK = 64;

const DECODE_STEP = 1 << 14;

// Probability model layout in one Uint16Array (offsets; sizes in the comments).
const IS_MATCH = 0; // [state 12][posState 16]
const IS_REP = IS_MATCH + 12 * 16; // [state]
const IS_REP_G0 = IS_REP + 12;
const IS_REP_G1 = IS_REP_G0 + 12;
const IS_REP_G2 = IS_REP_G1 + 12;
const IS_REP0_LONG = IS_REP_G2 + 12; // [state][posState]
const DIST_SLOT = IS_REP0_LONG + 12 * 16; // [lenState 4][64]: 6-bit trees
// Reverse trees of slots 4..13, back to back: slot s with base distance b and f footer bits
// uses indices (b − s) + 1 … (b − s) + 2^f − 1, and the next slot's tree starts right after.
const DIST_SPECIAL = DIST_SLOT + 4 * 64;
const DIST_ALIGN = DIST_SPECIAL + 115; // one 4-bit reverse tree
const MATCH_LEN = DIST_ALIGN + 16;
const REP_LEN = MATCH_LEN + 514;
const LITERAL = REP_LEN + 514; // [lc + lp context bits ≤ 4][0x300]
// One length coder: choice, choice2, low [posState][8], mid [posState][8], high [256].
const LEN_CHOICE2 = 1;
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + 16 * 8;
const LEN_HIGH = LEN_MID + 16 * 8;
const PROBS_SIZE = LITERAL + 0x300 * 16;

// Slots of the saved loop state in `regs`.
const R_RANGE = 0;
const R_CODE = 1; // biased: the range coder's code XOR 0x80000000
const R_IN_POS = 2;
const R_POS = 3;
const R_STATE = 4;
const R_REP0 = 5;
const R_REP1 = 6;
const R_REP2 = 7;
const R_REP3 = 8;
const R_PENDING = 9; // bytes of a match still to copy when output space ran out

/** decode() status: fine. */
export const LZMA_OK = 0;
/** decode() status: a match reaches before the dictionary's first byte or beyond its size. */
export const LZMA_BAD_DISTANCE = 1;
/** decode() status: the symbols need more compressed bytes than the chunk has. */
export const LZMA_INPUT_OVERRUN = 2;

/** LZMA decoder state plus the dictionary ring; decode-block.ts drives it chunk by chunk. */
export class LzmaDecoder {
  /** One LZMA2 chunk's compressed bytes, [0, inEnd), with slack after. */
  readonly inBuf = new Uint8Array(MAX_CHUNK_INPUT + IN_SLACK);
  private inEnd = 0;
  private readonly regs = new Int32Array(10);
  private readonly probs = new Uint16Array(PROBS_SIZE);
  private lc = 0;
  private lpMask = 0;
  private pbMask = 0;

  /*
   * The dictionary: a ring of `ringMax` bytes (the dictionary size, but at least OUT_CHUNK so
   * a small dictionary does not mean small output pieces), allocated lazily: `dict` grows by
   * doubling until the first wrap, so a small stream with a 64 MiB dictionary costs little.
   * Positions count from the last dictionary reset, and ringMax and every length `dict` takes
   * are multiples of 16, so `pos & mask` is the position modulo 2^pb and 2^lp as LZMA needs.
   */
  private dict: Uint8Array = new Uint8Array(0);
  private dictSize = 0; // the declared size: no match may reach further back
  private ringMax = 0;
  private flushPos = 0; // start of the bytes not yet handed out
  private wrapped = false; // whether the ring has filled once since the reset

  /** Next unread byte of inBuf. */
  get inPos(): number {
    return this.regs[R_IN_POS]!;
  }

  /** Write position in the ring. */
  get pos(): number {
    return this.regs[R_POS]!;
  }

  /** Bytes decoded but not yet taken. */
  get pending(): number {
    return this.regs[R_POS]! - this.flushPos;
  }

  /** Forgets the dictionary contents (LZMA2 dictionary reset); output must have been taken. */
  resetDictionary(dictSize: number): void {
    this.dictSize = dictSize;
    this.ringMax = Math.max(dictSize, OUT_CHUNK);
    this.regs[R_POS] = 0;
    this.flushPos = 0;
    this.wrapped = false;
  }

  /** Sets lc/lp/pb (the caller checked lc + lp ≤ 4 and pb ≤ 4). */
  setProperties(lc: number, lp: number, pb: number): void {
    this.lc = lc;
    this.lpMask = (1 << lp) - 1;
    this.pbMask = (1 << pb) - 1;
  }

  /** LZMA state reset: all probabilities to ½, state and rep distances to 0. */
  resetState(): void {
    const r = this.regs;
    this.probs.fill(1024);
    r[R_STATE] = 0;
    r[R_REP0] = 0;
    r[R_REP1] = 0;
    r[R_REP2] = 0;
    r[R_REP3] = 0;
    r[R_PENDING] = 0;
  }

  /** Starts the range decoder on inBuf[0, size); false if it is too short or byte 0 is not 0. */
  startChunk(size: number): boolean {
    const b = this.inBuf;
    const r = this.regs;
    this.inEnd = size;
    r[R_IN_POS] = 5;
    r[R_RANGE] = -1; // 0xFFFFFFFF
    r[R_CODE] = ((b[1]! << 24) | (b[2]! << 16) | (b[3]! << 8) | b[4]!) ^ 0x80000000;
    return size >= 5 && b[0] === 0;
  }

  /** Whether the chunk ended cleanly: all input used, range decoder flushed, no match open. */
  chunkFinished(): boolean {
    const r = this.regs;
    // The encoder's flush leaves the decoder's range normalized: take that last byte too.
    if ((r[R_RANGE]! & 0xff000000) === 0 && r[R_IN_POS]! < this.inEnd) {
      r[R_RANGE] = r[R_RANGE]! << 8;
      r[R_CODE] = ((r[R_CODE]! << 8) | this.inBuf[r[R_IN_POS]!]!) ^ 0x80000000;
      r[R_IN_POS] = r[R_IN_POS]! + 1;
    }
    return r[R_IN_POS] === this.inEnd && r[R_CODE] === (0 ^ 0x80000000) && r[R_PENDING] === 0;
  }

  /** Whether output must be taken before decoding on: a full piece, or a full ring. */
  needsFlush(): boolean {
    const pos = this.regs[R_POS]!;
    return pos - this.flushPos >= OUT_CHUNK || (pos === this.ringMax && pos > this.flushPos);
  }

  /** Hands out the decoded bytes not yet taken, as a fresh array (never a view of the ring). */
  takeOutput(): Uint8Array {
    const pos = this.regs[R_POS]!;
    const out = this.dict.slice(this.flushPos, pos);
    this.flushPos = pos;
    return out;
  }

  /**
   * Makes room to write at least one byte and returns the limit decode()/appendStored may
   * write up to (at most `want` bytes on): grows the ring until it reaches ringMax, then wraps
   * it. The caller must have taken the output whenever needsFlush() said so. Returns -1 if the
   * grown ring cannot be allocated (a stream may ask for a 1.5 GiB dictionary).
   */
  prepare(want: number): number {
    const r = this.regs;
    const pos = r[R_POS]!;
    if (pos === this.ringEnd()) {
      if (pos < this.ringMax) {
        let grown: Uint8Array;
        try {
          grown = new Uint8Array(Math.min(this.ringMax, Math.max(this.dict.length * 2, 1 << 16)));
        } catch {
          return -1; // RangeError: array buffer allocation failed
        }
        grown.set(this.dict.subarray(0, pos));
        this.dict = grown;
      } else if (this.flushPos === pos) {
        r[R_POS] = 0;
        this.flushPos = 0;
        this.wrapped = true;
      } else {
        // Would spin forever: a bug in the driver, not bad input.
        throw new InternalError('xz: the LZMA ring is full of output nobody took');
      }
    }
    const at = r[R_POS]!;
    return Math.min(this.ringEnd(), this.flushPos + OUT_CHUNK, at + want);
  }

  /** Appends stored bytes (an LZMA2 uncompressed chunk) up to a limit from prepare(). */
  appendStored(src: Uint8Array, start: number, end: number): void {
    this.dict.set(src.subarray(start, end), this.regs[R_POS]);
    this.regs[R_POS] = this.regs[R_POS]! + end - start;
  }

  private ringEnd(): number {
    return Math.min(this.dict.length, this.ringMax);
  }

  /**
   * Decodes symbols from inBuf into the ring until `pos` reaches `limit` (from prepare), or
   * DECODE_STEP bytes on, or an error; returns an LZMA_* status. A match cut off by the limit
   * continues on the next call.
   */
  decode(limit: number): number {
    const regs = this.regs;
    if (regs[R_PENDING]! > 0) this.copyPending(limit);
    const probs = this.probs;
    const dict = this.dict;
    const buf = this.inBuf;
    const inEnd = this.inEnd;
    const lc = this.lc;
    const lcShift = 8 - lc;
    const lpMask = this.lpMask;
    const pbMask = this.pbMask;
    const dictSize = this.dictSize;
    const ringEnd = this.ringEnd();
    const wrapped = this.wrapped;
    let range = regs[R_RANGE]!;
    let code = regs[R_CODE]!;
    let inPos = regs[R_IN_POS]!;
    let pos = regs[R_POS]!;
    let state = regs[R_STATE]!;
    let rep0 = regs[R_REP0]!;
    let rep1 = regs[R_REP1]!;
    let rep2 = regs[R_REP2]!;
    let rep3 = regs[R_REP3]!;
    let len = regs[R_PENDING]!; // non-zero only if copyPending hit the limit again
    const end = Math.min(limit, pos + DECODE_STEP);
    let status = LZMA_OK;
    let pi = 0;
    let prob = 0;
    let bound = 0;

    while (pos < end) {
      if (inPos > inEnd) {
        status = LZMA_INPUT_OVERRUN;
        break;
      }
      const posState = pos & pbMask;

      // The bit decoder, written out at each site: normalize first (as the specification's
      // decoder does, so the byte count matches the encoder's flush exactly), split the range
      // by the probability, move the probability towards the decoded bit.
      pi = IS_MATCH + (state << 4) + posState;
      prob = probs[pi]!;
      if ((range & 0xff000000) === 0) {
        range <<= 8;
        code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
        inPos = (inPos + 1) | 0;
      }
      bound = Math.imul(range >>> 11, prob);
      if (code < (bound ^ 0x80000000)) {
        range = bound;
        probs[pi] = prob + ((2048 - prob) >>> 5);

        // Literal. Context: the low lp bits of the position, the high lc bits of the last byte.
        const prev = pos > 0 ? dict[pos - 1]! : wrapped ? dict[ringEnd - 1]! : 0;
        const base = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> lcShift));
        let sym = 1;
        if (state < 7) {
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
          {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
        } else {
          // After a match the byte at rep0 predicts this one: its bits select the
          // probabilities until the first decoded bit that differs ("matched literal").
          let src = pos - rep0 - 1;
          if (src < 0) src += ringEnd;
          let matchByte = dict[src]!;
          do {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            pi = base + ((1 + matchBit) << 8) + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
            if (m + 1 !== matchBit) break;
          } while (sym < 0x100);
          while (sym < 0x100) {
            pi = base + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
          }
        }
        dict[pos] = sym; // the typed array keeps the low 8 bits
        pos = (pos + 1) | 0;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      range = (range - bound) | 0;
      code = (code - bound) | 0;
      probs[pi] = prob - (prob >>> 5);

      // isRep: 0 = a match with a new distance, 1 = a repeat of one of the last four.
      pi = IS_REP + state;
      prob = probs[pi]!;
      if ((range & 0xff000000) === 0) {
        range <<= 8;
        code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
        inPos = (inPos + 1) | 0;
      }
      bound = Math.imul(range >>> 11, prob);
      let lenBase: number;
      let simple: boolean;
      if (code < (bound ^ 0x80000000)) {
        range = bound;
        probs[pi] = prob + ((2048 - prob) >>> 5);
        simple = true;
        lenBase = MATCH_LEN;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        probs[pi] = prob - (prob >>> 5);
        simple = false;
        lenBase = REP_LEN;
        pi = IS_REP_G0 + state;
        prob = probs[pi]!;
        if ((range & 0xff000000) === 0) {
          range <<= 8;
          code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
          inPos = (inPos + 1) | 0;
        }
        bound = Math.imul(range >>> 11, prob);
        if (code < (bound ^ 0x80000000)) {
          range = bound;
          probs[pi] = prob + ((2048 - prob) >>> 5);
          // rep0; isRep0Long = 0 means a "short rep": one byte from distance rep0.
          pi = IS_REP0_LONG + (state << 4) + posState;
          prob = probs[pi]!;
          if ((range & 0xff000000) === 0) {
            range <<= 8;
            code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
            inPos = (inPos + 1) | 0;
          }
          bound = Math.imul(range >>> 11, prob);
          if (code < (bound ^ 0x80000000)) {
            range = bound;
            probs[pi] = prob + ((2048 - prob) >>> 5);
            if (rep0 >= dictSize || (!wrapped && rep0 >= pos)) {
              status = LZMA_BAD_DISTANCE;
              break;
            }
            let src = pos - rep0 - 1;
            if (src < 0) src += ringEnd;
            dict[pos] = dict[src]!;
            pos = (pos + 1) | 0;
            state = state < 7 ? 9 : 11;
            continue;
          }
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[pi] = prob - (prob >>> 5);
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[pi] = prob - (prob >>> 5);
          // rep1, rep2 or rep3 moves to the front.
          let dist: number;
          pi = IS_REP_G1 + state;
          prob = probs[pi]!;
          if ((range & 0xff000000) === 0) {
            range <<= 8;
            code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
            inPos = (inPos + 1) | 0;
          }
          bound = Math.imul(range >>> 11, prob);
          if (code < (bound ^ 0x80000000)) {
            range = bound;
            probs[pi] = prob + ((2048 - prob) >>> 5);
            dist = rep1;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            probs[pi] = prob - (prob >>> 5);
            pi = IS_REP_G2 + state;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            if (code < (bound ^ 0x80000000)) {
              range = bound;
              probs[pi] = prob + ((2048 - prob) >>> 5);
              dist = rep2;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              probs[pi] = prob - (prob >>> 5);
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        state = state < 7 ? 8 : 11;
      }

      // Length (lzma-specification "The length decoder"): 2 + (3 bits | 8 + 3 bits | 16 + 8 bits).
      pi = lenBase;
      prob = probs[pi]!;
      if ((range & 0xff000000) === 0) {
        range <<= 8;
        code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
        inPos = (inPos + 1) | 0;
      }
      bound = Math.imul(range >>> 11, prob);
      let treeBase: number;
      let treeTop: number;
      let lenOffset: number;
      if (code < (bound ^ 0x80000000)) {
        range = bound;
        probs[pi] = prob + ((2048 - prob) >>> 5);
        treeBase = lenBase + LEN_LOW + (posState << 3);
        treeTop = 8;
        lenOffset = 0;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        probs[pi] = prob - (prob >>> 5);
        pi = lenBase + LEN_CHOICE2;
        prob = probs[pi]!;
        if ((range & 0xff000000) === 0) {
          range <<= 8;
          code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
          inPos = (inPos + 1) | 0;
        }
        bound = Math.imul(range >>> 11, prob);
        if (code < (bound ^ 0x80000000)) {
          range = bound;
          probs[pi] = prob + ((2048 - prob) >>> 5);
          treeBase = lenBase + LEN_MID + (posState << 3);
          treeTop = 8;
          lenOffset = 8;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[pi] = prob - (prob >>> 5);
          treeBase = lenBase + LEN_HIGH;
          treeTop = 256;
          lenOffset = 16;
        }
      }
      let sym = 1;
      do {
        pi = treeBase + sym;
        prob = probs[pi]!;
        if ((range & 0xff000000) === 0) {
          range <<= 8;
          code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
          inPos = (inPos + 1) | 0;
        }
        bound = Math.imul(range >>> 11, prob);
        const c = code ^ 0x80000000;
        const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
        const nm = ~m;
        range = (bound & m) | ((range - bound) & nm);
        code = (code - (bound & nm)) | 0;
        probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
        sym = (sym << 1) | (m + 1);
      } while (sym < treeTop);
      const lenCode = lenOffset + sym - treeTop; // 0..271, i.e. the length − 2

      if (simple) {
        // Distance (lzma-specification "The distance decoder"): a 6-bit slot picked by the
        // length (0..3), then for slot ≥ 4 the low bits: a reverse tree (slots 4..13), or
        // direct bits followed by 4 reverse-coded align bits (slots ≥ 14).
        const slotBase = DIST_SLOT + ((lenCode < 4 ? lenCode : 3) << 6);
        sym = 1;
        do {
          pi = slotBase + sym;
          prob = probs[pi]!;
          if ((range & 0xff000000) === 0) {
            range <<= 8;
            code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
            inPos = (inPos + 1) | 0;
          }
          bound = Math.imul(range >>> 11, prob);
          const c = code ^ 0x80000000;
          const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
          const nm = ~m;
          range = (bound & m) | ((range - bound) & nm);
          code = (code - (bound & nm)) | 0;
          probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
          sym = (sym << 1) | (m + 1);
        } while (sym < 64);
        const slot = sym - 64;
        let dist: number;
        if (slot < 4) {
          dist = slot;
        } else {
          const footerBits = (slot >>> 1) - 1;
          // Up to 3 << 30: kept as a uint32 number (>>> 0), it only has to compare right.
          dist = ((2 | (slot & 1)) << footerBits) >>> 0;
          let revBase: number;
          let revBits: number;
          if (slot < 14) {
            revBase = DIST_SPECIAL + dist - slot;
            revBits = footerBits;
          } else {
            // Direct bits: the range is halved, no probability (DecodeDirectBits).
            let direct = 0;
            for (let n = footerBits - 4; n > 0; n--) {
              if ((range & 0xff000000) === 0) {
                range <<= 8;
                code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
                inPos = (inPos + 1) | 0;
              }
              range >>>= 1;
              const c = code ^ 0x80000000;
              const m = ((~c & range) | ((~c | range) & (c - range))) >> 31; // -1: bit 0
              code = (code - (range & ~m)) | 0;
              direct = (direct << 1) | (m + 1);
            }
            dist = (dist + (direct << 4)) >>> 0;
            revBase = DIST_ALIGN;
            revBits = 4;
          }
          // Reverse bit tree: the first decoded bit is the least significant one.
          sym = 1;
          let rev = 0;
          for (let i = 0; i < revBits; i++) {
            pi = revBase + sym;
            prob = probs[pi]!;
            if ((range & 0xff000000) === 0) {
              range <<= 8;
              code = ((code << 8) | buf[inPos]!) ^ 0x80000000;
              inPos = (inPos + 1) | 0;
            }
            bound = Math.imul(range >>> 11, prob);
            const c = code ^ 0x80000000;
            const m = ((~c & bound) | ((~c | bound) & (c - bound))) >> 31; // -1: bit 0
            const nm = ~m;
            range = (bound & m) | ((range - bound) & nm);
            code = (code - (bound & nm)) | 0;
            probs[pi] = prob + ((((((2048 - prob) & m) | (prob & nm)) >> 5) ^ nm) - nm);
            sym = (sym << 1) | (m + 1);
            rev |= (m + 1) << i;
          }
          dist = (dist + rev) >>> 0;
        }
        // Check before it becomes rep0 (an int32 slot): no distance may reach past the bytes
        // written since the dictionary reset nor past the declared size. This also rejects
        // LZMA's end marker (distance 2^32 − 1), which LZMA2 does not allow.
        if (dist >= dictSize || (!wrapped && dist >= pos)) {
          status = LZMA_BAD_DISTANCE;
          break;
        }
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        rep0 = dist;
        state = state < 7 ? 7 : 10;
      } else if (rep0 >= dictSize || (!wrapped && rep0 >= pos)) {
        status = LZMA_BAD_DISTANCE;
        break;
      }

      // Copy the match; what does not fit before `limit` waits in `len` for the next call.
      len = lenCode + 2;
      let src = pos - rep0 - 1;
      if (src < 0) src += ringEnd;
      let n = limit - pos;
      if (n > len) n = len;
      len -= n;
      if (src + n <= ringEnd) {
        if (n > 64 && src + n <= pos) {
          // Far enough back not to overlap: a block copy beats the byte loop.
          dict.copyWithin(pos, src, src + n);
          pos = (pos + n) | 0;
        } else {
          // Overlapping copies (distance < length) must go byte by byte: they repeat a pattern.
          const stop = pos + n;
          while (pos < stop) {
            dict[pos] = dict[src]!;
            pos = (pos + 1) | 0;
            src = (src + 1) | 0;
          }
        }
      } else {
        while (n-- > 0) {
          dict[pos] = dict[src]!;
          pos = (pos + 1) | 0;
          src = src + 1 === ringEnd ? 0 : src + 1;
        }
      }
      if (len > 0) break; // pos === limit
    }

    regs[R_RANGE] = range;
    regs[R_CODE] = code;
    regs[R_IN_POS] = inPos;
    regs[R_POS] = pos;
    regs[R_STATE] = state;
    regs[R_REP0] = rep0;
    regs[R_REP1] = rep1;
    regs[R_REP2] = rep2;
    regs[R_REP3] = rep3;
    regs[R_PENDING] = len;
    return status;
  }

  // Continues a match that decode() had to stop at its output limit; rep0 was checked then.
  private copyPending(limit: number): void {
    const regs = this.regs;
    const dict = this.dict;
    const ringEnd = this.ringEnd();
    let pos = regs[R_POS]!;
    let n = Math.min(regs[R_PENDING]!, limit - pos);
    regs[R_PENDING] = regs[R_PENDING]! - n;
    let src = pos - regs[R_REP0]! - 1;
    if (src < 0) src += ringEnd;
    while (n-- > 0) {
      dict[pos++] = dict[src++]!;
      if (src === ringEnd) src = 0;
    }
    regs[R_POS] = pos;
  }
}
