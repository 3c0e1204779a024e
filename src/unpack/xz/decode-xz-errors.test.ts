// decodeXz on streams that are unusual, unsupported, damaged or hostile. Containers are built
// here byte by byte around LZMA2 data from `xz --format=raw`, so each test breaks exactly one
// thing; `xz -dc` confirms the builder itself writes valid streams.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, IntegrityError } from '../../core/index.js';
import { chunked, collect } from '../../../test/helpers/bytes.js';
import { rejectionOf } from '../../../test/helpers/errors.js';
import { crc32 } from './crc32.js';
import { Crc64 } from './crc64.js';
import { decodeXz } from './index.js';

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const NONE = 0x00;
const CRC32 = 0x01;
const CRC64 = 0x04;
const SHA256 = 0x0a;

function vli(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function checkOf(id: number, plain: Uint8Array): number[] {
  if (id === CRC32) return le32(crc32(plain));
  if (id === CRC64) {
    const c = new Crc64();
    c.update(plain);
    return [...c.digest()];
  }
  if (id === SHA256) return [...createHash('sha256').update(plain).digest()];
  return [];
}

type Block = {
  lzma2: Uint8Array;
  plain: Uint8Array; // what it decodes to, for the check and the index
  dictProp?: number; // LZMA2 dictionary size byte (default 0x16: 8 MiB)
  filters?: number[]; // raw filter flags replacing the LZMA2 one
  filterCount?: number;
  compressedSize?: number; // written into the block header when given
  uncompressedSize?: number;
  padByte?: number; // value of the block padding bytes
};

type StreamOptions = { records?: [number, number][]; backwardSize?: number; footerFlags?: number; indexCrc?: number };

function blockHeader(b: Block): number[] {
  const filters = b.filters ?? [0x21, 0x01, b.dictProp ?? 0x16];
  const flags = ((b.filterCount ?? 1) - 1) | (b.compressedSize === undefined ? 0 : 0x40) | (b.uncompressedSize === undefined ? 0 : 0x80);
  const body = [flags, ...(b.compressedSize === undefined ? [] : vli(b.compressedSize)), ...(b.uncompressedSize === undefined ? [] : vli(b.uncompressedSize)), ...filters];
  const size = Math.ceil((1 + body.length + 4) / 4) * 4;
  const header = [size / 4 - 1, ...body];
  while (header.length < size - 4) header.push(0);
  return [...header, ...le32(crc32(Uint8Array.from(header)))];
}

/** An .xz stream with the given check and blocks; `o` overrides index and footer fields. */
function stream(check: number, blocks: Block[], o: StreamOptions = {}): Uint8Array {
  const out: number[] = [...MAGIC, 0, check, ...le32(crc32(Uint8Array.from([0, check])))];
  const records: [number, number][] = [];
  for (const b of blocks) {
    const bh = blockHeader(b);
    const field = checkOf(check, b.plain);
    out.push(...bh, ...b.lzma2);
    const pad = (4 - ((bh.length + b.lzma2.length) % 4)) % 4;
    for (let i = 0; i < pad; i++) out.push(b.padByte ?? 0);
    out.push(...field);
    records.push([bh.length + b.lzma2.length + field.length, b.plain.length]);
  }
  const index = [0, ...vli((o.records ?? records).length)];
  for (const [u, n] of o.records ?? records) index.push(...vli(u), ...vli(n));
  while (index.length % 4 !== 0) index.push(0);
  index.push(...le32(o.indexCrc ?? crc32(Uint8Array.from(index))));
  out.push(...index);
  const tail = [...le32(o.backwardSize ?? index.length / 4 - 1), 0, o.footerFlags ?? check];
  out.push(...le32(crc32(Uint8Array.from(tail))), ...tail, 0x59, 0x5a);
  return Uint8Array.from(out);
}

function rawLzma2(plain: Uint8Array, opts = 'preset=6'): Uint8Array {
  return execFileSync('xz', ['--format=raw', `--lzma2=${opts}`, '-c'], { input: plain, maxBuffer: 1 << 26 });
}

function xz(input: Uint8Array, ...args: string[]): Buffer {
  return execFileSync('xz', ['-c', '-T1', ...args], { input, maxBuffer: 1 << 26 });
}

function flip(buf: Uint8Array, at: number, xor: number): void {
  buf[at] = (buf[at] ?? 0) ^ xor;
}

const xzDc = (input: Uint8Array): Buffer => execFileSync('xz', ['-dc'], { input, maxBuffer: 1 << 26 });

const decode = (data: Uint8Array, chunk = 4096): Promise<Buffer> => collect(decodeXz(chunked(data, chunk), 'test.xz'));

async function formatError(data: Uint8Array, chunk = 4096): Promise<FormatError> {
  const err = await rejectionOf(decode(data, chunk), FormatError);
  expect(err.format).toBe('xz');
  expect(err.data['file']).toBe('test.xz');
  expect(err.message).toMatch(/^test\.xz: xz at byte \d+: /);
  return err;
}

const plain = Buffer.from('jigtree unpacks packages; '.repeat(3000) + 'the end\n');
const raw = rawLzma2(plain);
const good: Block = { lzma2: raw, plain };

describe('the test stream builder', () => {
  it('writes streams xz -dc accepts, with and without sizes in the block header', async () => {
    for (const check of [NONE, CRC32, CRC64, SHA256]) {
      for (const b of [good, { ...good, compressedSize: raw.length, uncompressedSize: plain.length }]) {
        const s = stream(check, [b, b]);
        const twice = Buffer.concat([plain, plain]);
        expect(xzDc(s).equals(twice)).toBe(true);
        expect((await decode(s)).equals(twice)).toBe(true);
      }
    }
  });
});

describe('valid but unusual LZMA2 data', () => {
  it('stored chunks, with and without a dictionary reset', async () => {
    const lzma2 = Uint8Array.from([0x01, 0x00, 0x02, ...Buffer.from('abc'), 0x02, 0x00, 0x02, ...Buffer.from('def'), 0x00]);
    const s = stream(CRC64, [{ lzma2, plain: Buffer.from('abcdef') }]);
    expect(xzDc(s).toString()).toBe('abcdef');
    expect((await decode(s, 1)).toString()).toBe('abcdef');
  });

  it('dictionary resets in the middle of a block (two LZMA2 streams joined)', async () => {
    // a's length is odd: after the reset, positions (for pb/lp) must count from 0 again.
    const a = Buffer.from('first part, first part, first part\n'.repeat(500) + 'x');
    const b = Buffer.from('second part differs, second part differs\n'.repeat(400));
    const lzma2 = Buffer.concat([rawLzma2(a).subarray(0, -1), rawLzma2(b)]); // drop a's end marker
    const both = Buffer.concat([a, b]);
    const s = stream(SHA256, [{ lzma2, plain: both }]);
    expect(xzDc(s).equals(both)).toBe(true);
    expect((await decode(s, 333)).equals(both)).toBe(true);
  });

  it('an empty block (LZMA2 end marker only) and an empty index', async () => {
    const s = stream(CRC32, [{ lzma2: Uint8Array.from([0x00]), plain: new Uint8Array(0) }, good]);
    expect((await decode(s)).equals(plain)).toBe(true);
    expect((await decode(stream(CRC32, []))).length).toBe(0);
  });

  it('a 1.5 GiB dictionary costs memory by the data, not by the declared size', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const out = await decode(stream(CRC64, [{ ...good, dictProp: 37 }]));
    expect(out.equals(plain)).toBe(true);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });
});

describe('unsupported streams say what is unsupported', () => {
  it('BCJ and Delta filters', async () => {
    const bcj = await formatError(stream(CRC64, [{ ...good, filterCount: 2, filters: [0x04, 0x00, 0x21, 0x01, 0x16] }]));
    expect(bcj.message).toMatch(/filter chain BCJ x86 \+ LZMA2 is not supported.*dpkg-deb and rpm/);
    expect(bcj.offset).toBe(12);
    const delta = await formatError(stream(CRC64, [{ ...good, filters: [0x03, 0x01, 0x00] }]));
    expect(delta.message).toMatch(/filter chain Delta is not supported/);
    const unknown = await formatError(stream(CRC64, [{ ...good, filters: [0x30, 0x00] }]));
    expect(unknown.message).toMatch(/unknown filter 0x30/);
  });

  it('check types other than None, CRC32, CRC64 and SHA-256', async () => {
    for (const id of [0x02, 0x05, 0x08, 0x0b, 0x0f]) {
      const s = Uint8Array.from([...MAGIC, 0, id, ...le32(crc32(Uint8Array.from([0, id])))]);
      const err = await formatError(s);
      expect(err.message).toMatch(/unsupported integrity check type check ID 0x0[0-9a-f]/);
      expect(err.offset).toBe(7);
    }
  });

  it('dictionaries over 1.5 GiB, and invalid dictionary size bytes', async () => {
    const big = await formatError(stream(CRC64, [{ ...good, dictProp: 38 }]));
    expect(big.message).toMatch(/dictionary of 2147483648 bytes is over this decoder's limit of 1\.5 GiB/);
    expect(big.offset).toBe(12 + 4);
    expect((await formatError(stream(CRC64, [{ ...good, dictProp: 41 }]))).message).toMatch(/invalid LZMA2 dictionary size byte 0x29/);
    expect((await formatError(stream(CRC64, [{ ...good, dictProp: 0x40 }]))).message).toMatch(/invalid LZMA2 dictionary size byte 0x40/);
  });
});

describe('damage is a FormatError at the byte where it was found', () => {
  const s = stream(CRC64, [good, good]);

  it('empty input, bad magic, header CRC and reserved flags', async () => {
    expect((await formatError(new Uint8Array(0))).message).toMatch(/empty input/);
    const notXz = await formatError(Buffer.from('BZh91AY&SY this is bzip2'));
    expect(notXz.message).toMatch(/not an xz stream/);
    expect(notXz.offset).toBe(0);
    const crc = Uint8Array.from(s);
    flip(crc, 8, 1);
    expect(await formatError(crc)).toMatchObject({ offset: 6, message: expect.stringMatching(/stream header CRC32 mismatch/) as unknown });
    const flags = Uint8Array.from([...MAGIC, 0x01, 0x04, ...le32(crc32(Uint8Array.from([0x01, 0x04])))]);
    expect((await formatError(flags)).message).toMatch(/unsupported stream flags/);
  });

  it('block header: CRC, reserved flag bits, sizes that do not match', async () => {
    const hcrc = Uint8Array.from(s);
    flip(hcrc, 13, 0x80); // block flags byte
    expect(await formatError(hcrc)).toMatchObject({ offset: 12, message: expect.stringMatching(/block 1: block header CRC32 mismatch/) as unknown });
    expect((await formatError(stream(CRC64, [{ ...good, compressedSize: raw.length - 1 }]))).message).toMatch(/LZMA2 data is longer than the compressed size/);
    expect((await formatError(stream(CRC64, [{ ...good, compressedSize: raw.length + 4 }]))).message).toMatch(/LZMA2 data is \d+ bytes but the block header says/);
    expect((await formatError(stream(CRC64, [{ ...good, uncompressedSize: plain.length - 1 }]))).message).toMatch(/decodes to more than the uncompressed size/);
    expect((await formatError(stream(CRC64, [{ ...good, uncompressedSize: plain.length + 1 }]))).message).toMatch(/decodes to \d+ bytes but the block header says/);
    // A huge declared size is only a number to compare with, never an allocation.
    expect((await formatError(stream(CRC64, [{ ...good, uncompressedSize: 2 ** 50 }]))).message).toMatch(/but the block header says 1125899906842624/);
  });

  it('LZMA2 chunk framing', async () => {
    const at = 12 + 12; // stream header + a 12-byte block header
    const noReset = await formatError(stream(CRC64, [{ lzma2: Uint8Array.from([0x02, 0x00, 0x00, 0x61, 0x00]), plain: Buffer.from('a') }]));
    expect(noReset).toMatchObject({ offset: at, message: expect.stringMatching(/first LZMA2 chunk does not reset the dictionary/) as unknown });
    const bad = await formatError(stream(CRC64, [{ lzma2: Uint8Array.from([0x03, 0x00]), plain: new Uint8Array(0) }]));
    expect(bad.message).toMatch(/invalid LZMA2 control byte 0x3/);
    const noProps = Uint8Array.from([0x01, 0x00, 0x00, 0x61, 0x80, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0x00]);
    expect((await formatError(stream(CRC64, [{ lzma2: noProps, plain: Buffer.from('aa') }]))).message).toMatch(/LZMA chunk without properties after a dictionary reset/);
    const props = Uint8Array.from(raw);
    expect((props[0] ?? 0) & 0xe0).toBe(0xe0); // dictionary reset + new properties
    props[5] = (2 * 5 + 1) * 9 + 4; // lc=4, lp=1: lc + lp > 4
    expect(await formatError(stream(CRC64, [{ ...good, lzma2: props }]))).toMatchObject({ offset: at + 5, message: expect.stringMatching(/invalid LZMA properties byte 0x67/) as unknown });
    const notZero = Uint8Array.from(raw);
    notZero[6] = 0x01; // the range coder's first byte must be 0
    expect((await formatError(stream(CRC64, [{ ...good, lzma2: notZero }]))).message).toMatch(/LZMA chunk is shorter than 5 bytes or does not start with a zero byte/);
  });

  it('LZMA data: a match before any byte, a chunk shorter than its symbols', async () => {
    // Fresh probabilities and a code of 0x7FFFFFFF decode isMatch = 1, isRep = 0, then a
    // distance from an empty dictionary. 16 bytes out, 10 in, lc=3 lp=0 pb=2.
    const lzma = Uint8Array.from([0xe0, 0x00, 0x0f, 0x00, 0x09, 0x5d, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]);
    const dist = await formatError(stream(CRC64, [{ lzma2: lzma, plain: new Uint8Array(16) }]));
    expect(dist.message).toMatch(/corrupt LZMA data: a match distance reaches outside the dictionary/);
    expect(dist.offset).toBeGreaterThanOrEqual(24 + 6);
    const short = Uint8Array.from(raw);
    const packed = ((short[3] ?? 0) << 8) | (short[4] ?? 0);
    short[3] = (packed - 8) >> 8;
    short[4] = (packed - 8) & 0xff;
    expect((await formatError(stream(CRC64, [{ ...good, lzma2: short }]))).message).toMatch(/corrupt LZMA data|LZMA2 control byte|chunk/);
  });

  it('block padding and the check', async () => {
    // A size whose LZMA2 data needs block padding.
    let n = 1001;
    while ((12 + rawLzma2(plain.subarray(0, n)).length) % 4 === 0) n++;
    const odd = { ...good, lzma2: rawLzma2(plain.subarray(0, n)), plain: plain.subarray(0, n) };
    const s1 = stream(CRC64, [odd]);
    expect((await formatError(stream(CRC64, [{ ...odd, padByte: 1 }]))).message).toMatch(/non-zero block padding/);
    const flipped = Uint8Array.from(s1);
    const checkAt = 12 + 12 + odd.lzma2.length + ((4 - ((12 + odd.lzma2.length) % 4)) % 4);
    flip(flipped, checkAt, 0xff);
    const err = await rejectionOf(decode(flipped), IntegrityError);
    expect(err.message).toMatch(/^test\.xz: xz block 1 CRC64 \(stored at byte \d+\): expected [0-9a-f]{16}, got [0-9a-f]{16}$/);
    expect(err.data).toMatchObject({ format: 'xz', offset: checkAt, file: 'test.xz' });
    for (const check of [CRC32, SHA256]) {
      const t = stream(check, [odd]);
      const bad = Uint8Array.from(t);
      flip(bad, checkAt, 0x01);
      await rejectionOf(decode(bad), IntegrityError);
    }
  });

  it('index and footer that do not match the blocks', async () => {
    const u = blockHeader(good).length + raw.length + 8;
    expect((await formatError(stream(CRC64, [good], { records: [[u, plain.length], [u, plain.length]] }))).message).toMatch(/the index lists 2 blocks, but the stream has 1/);
    expect((await formatError(stream(CRC64, [good, good], { records: [[u, plain.length], [u, plain.length + 1]] }))).message).toMatch(/index record 2 does not match block 2/);
    expect((await formatError(stream(CRC64, [good, good], { records: [[u + 4, plain.length], [u - 4, plain.length]] }))).message).toMatch(/index record 1 does not match|do not match the blocks/);
    expect((await formatError(stream(CRC64, [good], { indexCrc: 1 }))).message).toMatch(/index CRC32 mismatch/);
    expect((await formatError(stream(CRC64, [good], { backwardSize: 7 }))).message).toMatch(/stream footer gives an index size of 32 bytes, but the index has/);
    expect((await formatError(stream(CRC64, [good], { footerFlags: CRC32 }))).message).toMatch(/footer flags differ/);
    const magic = Uint8Array.from(stream(CRC64, [good]));
    magic[magic.length - 1] = 0x00;
    expect((await formatError(magic)).message).toMatch(/bad stream footer magic/);
  });

  it('stream padding that is not a multiple of four, and trailing garbage', async () => {
    const one = xz(plain);
    const two = await formatError(Buffer.concat([one, Buffer.alloc(2)]));
    expect(two).toMatchObject({ offset: one.length, message: expect.stringMatching(/stream padding of 2 bytes is not a multiple of four/) as unknown });
    const garbage = await formatError(Buffer.concat([one, Buffer.alloc(4), Buffer.from('garbage!!!!!')]));
    expect(garbage).toMatchObject({ offset: one.length + 4, message: expect.stringMatching(/neither stream padding nor another stream/) as unknown });
  });

  it('a stream cut anywhere is a FormatError at or before the cut', async () => {
    const small = xz(Buffer.from('short stream, cut everywhere '.repeat(20)), '--check=sha256');
    for (let cut = 0; cut < small.length; cut++) {
      const err = await formatError(small.subarray(0, cut), 1 + (cut % 5));
      expect(err.message, `cut ${cut}`).toMatch(/truncated input|empty input/);
      expect(err.offset ?? -1, `cut ${cut}`).toBeLessThanOrEqual(cut);
    }
  });
});

describe('hostile input', () => {
  const base = Buffer.concat([
    xz(Buffer.from('property test payload: packages, payloads, digests. '.repeat(80)), '--check=crc64', '--block-size=1500'),
    xz(randomBytes(700), '--check=sha256'),
  ]);

  /** Decodes; resolves to the outcome class, fails on anything but FormatError/IntegrityError. */
  async function outcome(data: Uint8Array, chunk: number): Promise<string> {
    const t0 = Date.now();
    try {
      await collect(decodeXz(chunked(data, chunk)));
      return 'ok';
    } catch (err) {
      if (err instanceof FormatError || err instanceof IntegrityError) return err.name;
      throw err;
    } finally {
      expect(Date.now() - t0).toBeLessThan(5000);
    }
  }

  it('random mutations only ever decode or throw FormatError/IntegrityError, quickly', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 5000 }), async (muts, chunk) => {
        let d = Buffer.from(base);
        for (const m of muts) {
          const at = m.at % Math.max(1, d.length);
          if (m.kind === 'flip') d[at] = (d[at] ?? 0) ^ m.xor;
          else if (m.kind === 'set') d.set(m.bytes.subarray(0, d.length - at), at);
          else if (m.kind === 'cut') d = d.subarray(0, at);
          else if (m.kind === 'insert') d = Buffer.concat([d.subarray(0, at), m.bytes, d.subarray(at)]);
          else d = Buffer.concat([d.subarray(0, at), d.subarray(at + m.n)]);
        }
        seen.add(await outcome(d, chunk));
      }),
      { numRuns: 400 },
    );
    expect(seen.has('FormatError')).toBe(true);
  });

  it('random bytes behind a valid stream header and block header', async () => {
    const head = stream(CRC64, [good]).subarray(0, 24);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4000 }), fc.integer({ min: 1, max: 700 }), async (tail, chunk) => {
        const result = await outcome(Buffer.concat([head, tail]), chunk);
        expect(['FormatError', 'IntegrityError']).toContain(result);
      }),
      { numRuns: 300 },
    );
  });

  it('random LZMA chunks (valid framing, random range-coder bytes) never hang or escape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 5, maxLength: 3000 }), fc.integer({ min: 0, max: 0x1f }), async (body, hi) => {
        const packed = body.length;
        const unpacked = hi * 65536 + 65535 + 1;
        body[0] = 0;
        const lzma2 = Uint8Array.from([0xe0 | hi, 0xff, 0xff, (packed - 1) >> 8, (packed - 1) & 0xff, 0x5d, ...body, 0x00]);
        const result = await outcome(stream(CRC64, [{ lzma2, plain: new Uint8Array(unpacked) }]), 4096);
        expect(['FormatError', 'IntegrityError']).toContain(result);
      }),
      { numRuns: 200 },
    );
  });
});
