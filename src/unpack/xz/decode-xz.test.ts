// decodeXz against the real encoder: whatever `xz` writes (every check type, presets, block
// sizes, dictionary sizes, lc/lp/pb, concatenated streams, padding) must decode to the input,
// whatever the input chunking. Oracle tests: `xz` and `rpmbuild` must be installed.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunked, collect } from '../../../test/helpers/bytes.js';
import { decodeXz } from './index.js';

function xz(input: Uint8Array, ...args: string[]): Buffer {
  return execFileSync('xz', ['-c', '-T1', ...args], { input, maxBuffer: 1 << 28 });
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// Deterministic data: a seeded PRNG, so a failure reproduces.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function text(size: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const words = ['usr', 'lib', 'share', 'doc', 'copyright', 'the', 'of', 'package', 'Debian', 'x86_64', 'libc.so.6', '\n', '/', 'GPL-2+', 'Version:', '1.2.3-4'];
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const w = words[Math.floor(rnd() * words.length)] ?? '';
    parts.push(w, rnd() < 0.8 ? ' ' : '');
    n += w.length + 1;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

/** Text, random bytes, a run of zeros and a repeat of earlier data (long matches). */
function mixed(size: number, seed = 2): Buffer {
  const t = text(Math.floor(size * 0.4), seed);
  const r = randomBytes(Math.floor(size * 0.2));
  const z = Buffer.alloc(Math.floor(size * 0.1));
  const head = Buffer.concat([t, r, z]);
  return Buffer.concat([head, head.subarray(0, size - head.length)]);
}

const inputs: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  byte: Buffer.from([0x42]),
  random: randomBytes(200_000),
  text: text(400_000),
  mixed: mixed(600_000),
};

async function decode(data: Uint8Array, chunk = 65536): Promise<Buffer> {
  return collect(decodeXz(chunked(data, chunk), 'test.xz'));
}

describe('round trips through the xz CLI', () => {
  for (const check of ['none', 'crc32', 'crc64', 'sha256']) {
    for (const preset of ['-0', '-6', '-9e']) {
      it(`--check=${check} ${preset}`, async () => {
        for (const [name, data] of Object.entries(inputs)) {
          if (preset === '-9e' && name === 'mixed') continue; // slow to encode, adds nothing
          const out = await decode(xz(data, `--check=${check}`, preset));
          expect(out.length, name).toBe(data.length);
          expect(sha(out), name).toBe(sha(data));
        }
      });
    }
  }

  it('decodes whatever the input chunking: 1 byte, odd sizes, 64 KiB', async () => {
    const smallData = mixed(60_000);
    const small = xz(smallData, '--check=crc64');
    const big = xz(inputs['mixed'] ?? Buffer.alloc(0), '--check=sha256');
    expect(sha(await decode(small, 1))).toBe(sha(smallData));
    for (const size of [3, 7, 4093, 65536]) expect(sha(await decode(big, size)), `chunk ${size}`).toBe(sha(inputs['mixed'] ?? Buffer.alloc(0)));
  });

  it('multi-block streams (--block-size), with sizes in the block headers', async () => {
    const data = mixed(1_000_000, 5);
    for (const args of [['--block-size=65536'], ['--block-size=100001', '--check=sha256'], ['-T2', '--block-size=300000']]) {
      const stream = xz(data, ...args);
      expect(sha(await decode(stream, 7777)), args.join(' ')).toBe(sha(data));
    }
  });

  it('dictionary sizes from 4 KiB to 64 MiB, the ring wrapping with matches across its end', async () => {
    // With dict=2MiB the ring is the dictionary and wraps at byte 2 MiB. The second copy of R
    // is coded as matches 300 000 bytes back, and the one whose source straddles byte 2 MiB
    // copies across the ring's end (checked once with a counter in that branch).
    const r = randomBytes(300_000);
    const data = Buffer.concat([randomBytes(1_900_000), r, r, text(300_000, 4)]);
    for (const dict of ['4KiB', '64KiB', '1MiB', '2MiB', '3MiB', '64MiB']) {
      const out = await decode(xz(data, `--lzma2=preset=6,dict=${dict}`));
      expect(sha(out), dict).toBe(sha(data));
    }
  });

  it('every lc/lp/pb shape', async () => {
    const data = mixed(300_000, 11);
    for (const p of ['lc=0,lp=0,pb=0', 'lc=4,lp=0,pb=4', 'lc=0,lp=4,pb=2', 'lc=1,lp=3,pb=1', 'lc=3,lp=1,pb=3', 'lc=2,lp=2,pb=4']) {
      const out = await decode(xz(data, `--lzma2=preset=6,${p}`));
      expect(sha(out), p).toBe(sha(data));
    }
  });

  it('concatenated streams and stream padding, as xz -dc accepts them', async () => {
    const a = text(50_000, 21);
    const b = mixed(80_000, 22);
    const pad = (n: number): Buffer => Buffer.alloc(n);
    const joined = Buffer.concat([xz(a, '--check=crc32'), pad(4), xz(b, '--check=sha256'), xz(Buffer.alloc(0)), pad(12)]);
    const expected = Buffer.concat([a, b]);
    expect(sha(execFileSync('xz', ['-dc'], { input: joined, maxBuffer: 1 << 26 }))).toBe(sha(expected));
    for (const size of [5, 65536]) expect(sha(await decode(joined, size))).toBe(sha(expected));
    expect(sha(await decode(Buffer.concat([pad(0), xz(a), pad(4), pad(4)]), 3))).toBe(sha(a));
  });

  it('the empty file: xz output for empty input decodes to nothing', async () => {
    for (const check of ['none', 'crc32', 'crc64', 'sha256']) {
      expect((await decode(xz(Buffer.alloc(0), `--check=${check}`), 1)).length).toBe(0);
    }
  });
});

describe('output', () => {
  it('comes in fresh arrays of at most 1 MiB, before the input is all read', async () => {
    const data = randomBytes(3_500_000); // incompressible: input and output advance together
    const stream = xz(data, '-0');
    let fed = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let o = 0; o < stream.length; o += 65536) {
        await Promise.resolve(); // as a file stream would
        fed = o + 65536;
        yield stream.subarray(o, o + 65536);
      }
    }
    const pieces: Uint8Array[] = [];
    let fedAtFirst = -1;
    for await (const piece of decodeXz(source())) {
      if (fedAtFirst < 0) fedAtFirst = fed;
      pieces.push(piece);
    }
    expect(fedAtFirst).toBeGreaterThan(0);
    expect(fedAtFirst).toBeLessThan(stream.length / 2);
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(1 << 20);
      expect(p.byteOffset).toBe(0);
      expect(p.buffer.byteLength).toBe(p.length); // its own buffer, not a view of the ring
    }
    expect(new Set(pieces.map((p) => p.buffer)).size).toBe(pieces.length);
    expect(sha(Buffer.concat(pieces))).toBe(sha(data));
  });

  it('stops cleanly when the consumer stops early, and closes the source', async () => {
    const stream = xz(inputs['mixed'] ?? Buffer.alloc(0));
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunked(stream, 4096);
      } finally {
        closed = true;
      }
    }
    for await (const piece of decodeXz(source())) {
      expect(piece.length).toBeGreaterThan(0);
      break;
    }
    expect(closed).toBe(true);
  });
});

describe('real data', () => {
  it('an rpm payload (rpmbuild with w6.xzdio: xz with a SHA-256 check)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jigtree-xz-'));
    try {
      for (const d of ['SPECS', 'BUILD', 'RPMS', 'SOURCES', 'SRPMS', 'BUILDROOT']) mkdirSync(path.join(dir, d));
      writeFileSync(
        path.join(dir, 'SPECS', 't.spec'),
        [
          'Name: xztest', 'Version: 1', 'Release: 1', 'Summary: t', 'License: MIT', 'BuildArch: noarch',
          '%description', 't', '%install',
          'mkdir -p %{buildroot}/usr/share/xztest',
          `head -c 300000 /dev/urandom > %{buildroot}/usr/share/xztest/random`,
          'seq 1 60000 > %{buildroot}/usr/share/xztest/numbers',
          '%files', '/usr/share/xztest', '',
        ].join('\n'),
      );
      execFileSync('rpmbuild', ['-bb', '--define', `_topdir ${dir}`, '--define', '_binary_payload w6.xzdio', '--quiet', path.join(dir, 'SPECS', 't.spec')], { stdio: 'pipe' });
      const rpmPath = path.join(dir, 'RPMS', 'noarch', readdirSync(path.join(dir, 'RPMS', 'noarch'))[0] ?? '');
      const rpm = readFileSync(rpmPath);
      // The payload is the rest of the file after the headers: find its stream header.
      const at = rpm.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
      expect(at).toBeGreaterThan(96);
      const payload = rpm.subarray(at);
      expect(payload[7]).toBe(0x0a); // stream flags: SHA-256 check, which xz-decompress cannot do
      const cpio = execFileSync('rpm2cpio', [rpmPath], { maxBuffer: 1 << 26 });
      for (const size of [1000, 65536]) expect(sha(await decode(payload, size))).toBe(sha(cpio));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a Debian data.tar.xz as dpkg-deb writes it (CRC64)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jigtree-xz-'));
    try {
      mkdirSync(path.join(dir, 'pkg', 'DEBIAN'), { recursive: true });
      mkdirSync(path.join(dir, 'pkg', 'usr', 'share', 'doc'), { recursive: true });
      writeFileSync(path.join(dir, 'pkg', 'DEBIAN', 'control'), 'Package: xztest\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n');
      writeFileSync(path.join(dir, 'pkg', 'usr', 'share', 'doc', 'text'), text(500_000, 31));
      execFileSync('dpkg-deb', ['-Zxz', '--root-owner-group', '--build', path.join(dir, 'pkg'), path.join(dir, 't.deb')], { stdio: 'pipe' });
      execFileSync('ar', ['x', 't.deb', 'data.tar.xz'], { cwd: dir });
      const member = readFileSync(path.join(dir, 'data.tar.xz'));
      const tar = execFileSync('xz', ['-dc'], { input: member, maxBuffer: 1 << 26 });
      expect(sha(await decode(member, 8192))).toBe(sha(tar));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
