import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { chunked, collect } from '../../test/helpers/bytes.js';
import { decompress, detectCompression, type Compression, type DecoderPreference } from './codecs.js';

// Real encoder output: the system tools compress, both decoder paths must give the same bytes.
const plain = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 'jigtree '), randomBytes(50_000)]);
const encoders: Record<Exclude<Compression, 'none'>, string[]> = {
  gzip: ['gzip', '-9nc'],
  xz: ['xz', '-6c'],
  zstd: ['zstd', '-19c', '-q'],
  bzip2: ['bzip2', '-9c'],
};
const compressed = Object.fromEntries(
  Object.entries(encoders).map(([k, [cmd = '', ...args]]) => [k, execFileSync(cmd, args, { input: plain, maxBuffer: 1 << 26 })]),
) as Record<Exclude<Compression, 'none'>, Buffer>;


const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe.each<DecoderPreference>(['auto', 'builtin'])('decoders=%s', (decoders) => {
  it.each(Object.keys(encoders) as Exclude<Compression, 'none'>[])('%s decodes the system encoder output', async (kind) => {
    const input = compressed[kind];
    expect(detectCompression(input)).toBe(kind);
    for (const size of [101, 4093, 65536]) {
      const out = await collect(decompress(kind, chunked(input, size), { decoders, file: 'x' }));
      expect(sha(out)).toBe(sha(plain));
    }
  });
  it.each(Object.keys(encoders) as Exclude<Compression, 'none'>[])('%s: corrupt input is a FormatError naming the file', async (kind) => {
    const bad = Buffer.from(compressed[kind]);
    // fzstd ignores zstd's content checksum (see codecs.ts): damage the frame header instead.
    const [from, to] = kind === 'zstd' && decoders === 'builtin' ? [4, 6] : [64, 400];
    for (let o = from; o < to; o += 7) bad[o] = (bad[o] ?? 0) ^ 0x5a;
    const err = await collect(decompress(kind, chunked(bad, 8192), { decoders, file: 'pkg.deb: data.tar' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toMatch(/^pkg\.deb: data\.tar: /);
  });
  it.each(Object.keys(encoders) as Exclude<Compression, 'none'>[])('%s: a truncated stream is a FormatError', async (kind) => {
    const cut = compressed[kind].subarray(0, Math.floor(compressed[kind].length / 2));
    await expect(collect(decompress(kind, chunked(cut, 8192), { decoders, file: 'f' }))).rejects.toBeInstanceOf(FormatError);
  });
  it('passes a source error through unchanged', async () => {
    const boom = new Error('disk on fire');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* chunked(compressed.xz.subarray(0, 1000));
      throw boom;
    }
    await expect(collect(decompress('xz', failing(), { decoders }))).rejects.toBe(boom);
  });
  it('stops cleanly when the consumer stops early', async () => {
    for await (const c of decompress('xz', chunked(compressed.xz, 4096), { decoders })) {
      expect(c.length).toBeGreaterThan(0);
      break;
    }
  });
});

it('detects no compression on other bytes', () => {
  expect(detectCompression(Buffer.from('ustar'))).toBe('none');
});
