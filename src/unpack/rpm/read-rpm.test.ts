import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { FormatError, IntegrityError, InternalError } from '../../core/index.js';
import { chunked } from '../../../test/helpers/bytes.js';
import { assembleRpm, buildSyntheticRpm, synthesize, type SynthFile } from '../../../test/helpers/rpm-builder.js';
import { buildRpmFixtures, rpmFixture } from '../../../test/helpers/rpm-fixtures.js';
import type { DecoderPreference } from '../codecs.js';
import type { ArchiveEntry } from '../types.js';
import { readRpm, type RpmPackage } from './read-rpm.js';
import { TAG } from './tags.js';
import { rejectionOf } from '../../../test/helpers/errors.js';

const FILE = 'pkg.rpm';

async function open(bytes: Uint8Array, decoders: DecoderPreference = 'builtin', chunk = 64 * 1024): Promise<RpmPackage> {
  return readRpm(chunked(bytes, chunk), { file: FILE, decoders });
}

/** Reads every entry; bodies are read (`consume`) or left for entries() to drain. */
async function readAll(pkg: RpmPackage, consume: boolean): Promise<(ArchiveEntry & { sha256?: string })[]> {
  const out: (ArchiveEntry & { sha256?: string })[] = [];
  for await (const e of pkg.entries()) {
    if (consume && e.body !== undefined) {
      const h = createHash('sha256');
      for await (const c of e.body) h.update(c);
      out.push({ ...e, sha256: h.digest('hex') });
    } else {
      out.push(e);
    }
  }
  return out;
}

const FILES: SynthFile[] = [
  { path: '/etc/app.conf', content: 'key = value\n', flags: 1 | 16 },
  { path: '/usr/bin/app', mode: 0o104755, content: 'binary', user: 'bin', group: 'wheel' },
  { path: '/usr/lib/app', mode: 0o040755 },
  { path: '/usr/lib/app/h1', content: 'linked\n', inode: 5 },
  { path: '/usr/lib/app/h2', content: 'linked\n', inode: 5 },
  { path: '/usr/lib/app/ln', mode: 0o120777, linkTarget: '/etc/app.conf' },
  { path: '/var/log/app.log', flags: 64 },
];

describe('readRpm on synthetic packages', () => {
  for (const longSizes of [false, true]) {
    test(`reads a ${longSizes ? 'stripped (LONGFILESIZES)' : 'newc'} payload end to end`, async () => {
      // rpm writes the stripped format only for files >= 4 GiB; this is the practical test of it.
      const pkg = await open(buildSyntheticRpm({ files: FILES, longSizes }), 'builtin', 13);
      expect(pkg.info).toMatchObject({ kind: 'rpm', name: 'synthetic', version: '1.0', release: '1', epoch: undefined, arch: 'noarch', payloadCompressor: 'gzip' });
      const entries = await readAll(pkg, true);
      expect(entries.map((e) => [e.path, e.type, e.size, e.linkTarget])).toEqual([
        ['/etc/app.conf', 'file', 12, undefined],
        ['/usr/bin/app', 'file', 6, undefined],
        ['/usr/lib/app', 'dir', 0, undefined],
        ['/usr/lib/app/ln', 'symlink', 0, '/etc/app.conf'],
        ['/usr/lib/app/h1', 'file', 7, undefined],
        ['/usr/lib/app/h2', 'hardlink', 0, '/usr/lib/app/h1'],
        ['/var/log/app.log', 'file', 0, undefined],
      ]);
      expect(entries[0]).toMatchObject({ flags: { config: true, noreplace: true, ghost: false }, sha256: createHash('sha256').update('key = value\n').digest('hex') });
      expect(entries[1]).toMatchObject({ mode: 0o4755, user: 'bin', group: 'wheel', uid: undefined, gid: undefined });
    });
  }

  test('a header digest that disagrees with the content → IntegrityError naming the path', async () => {
    const bytes = buildSyntheticRpm({ files: [{ path: '/a', content: 'real' }, { path: '/b', content: 'x', digest: createHash('sha256').update('claimed').digest('hex') }] });
    for (const consume of [true, false]) {
      const err = await rejectionOf(readAll(await open(bytes), consume), IntegrityError);
      expect(err.message).toContain(`${FILE}: /b: sha256 digest`);
    }
  });

  test('packages without PAYLOADDIGEST are checked with the signature MD5', async () => {
    const { tags, cpio } = synthesize({ files: FILES });
    const bytes = assembleRpm({ tags, cpio, legacyDigests: true });
    const pkg = await open(bytes);
    expect(pkg.rpm.payload.digest).toBeUndefined();
    expect(pkg.rpm.signature.md5).toMatch(/^[0-9a-f]{32}$/);
    expect((await readAll(pkg, false)).length).toBe(7);
    // The signature header is not covered by any digest: change its MD5 and the check fails.
    const md5 = Buffer.from(pkg.rpm.signature.md5 ?? '', 'hex');
    const at = Buffer.from(bytes).indexOf(md5);
    expect(at).toBeGreaterThan(96);
    const bad = bytes.slice();
    bad[at] = (bad[at] ?? 0) ^ 1;
    const err = await rejectionOf(readAll(await open(bad), false), IntegrityError);
    expect(err.message).toContain(`${FILE}: header and payload md5 digest (signature header MD5): expected ${md5.toString('hex').slice(0, 1)}`);
  });

  test('no PAYLOADCOMPRESSOR: the magic tells gzip from uncompressed', async () => {
    const { tags, cpio } = synthesize({ files: FILES });
    for (const compression of ['gzip', 'none'] as const) {
      const pkg = await open(assembleRpm({ tags, cpio, compression, compressorTag: null }));
      expect(pkg.info.payloadCompressor).toBe(compression);
      expect(pkg.rpm.payload.compressor).toBeUndefined();
      expect((await readAll(pkg, true)).length).toBe(7);
    }
  });

  test('an unsupported compressor is reported, and entries() fails with a FormatError', async () => {
    const { tags, cpio } = synthesize({ files: FILES });
    const pkg = await open(assembleRpm({ tags, cpio, compression: 'none', compressorTag: 'lzma' }));
    expect(pkg.rpm.payload).toMatchObject({ compressor: 'lzma', compression: undefined });
    const err = await rejectionOf(readAll(pkg, false), FormatError);
    expect(err.message).toContain('payload compressor "lzma" is not supported');
    expect(err.offset).toBe(pkg.rpm.payload.offset);
  });

  test('an unsupported file digest algorithm fails entries(), not readRpm', async () => {
    const { tags, cpio } = synthesize({ files: FILES });
    const pkg = await open(assembleRpm({ tags: tags.map((t) => (t.tag === TAG.FILEDIGESTALGO ? { ...t, value: [12] } : t)), cpio }));
    expect(String(await rejectionOf(readAll(pkg, false), Error))).toContain('file digest algorithm sha3-256 (FILEDIGESTALGO 12) is not supported');
  });

  test('entries() can be called once; an aborted signal stops between entries', async () => {
    const bytes = buildSyntheticRpm({ files: FILES });
    const pkg = await open(bytes);
    pkg.entries();
    expect(() => pkg.entries()).toThrow(InternalError);
    const ac = new AbortController();
    const p2 = await readRpm(chunked(bytes, 7), { file: FILE, signal: ac.signal });
    const seen: string[] = [];
    const err = await rejectionOf((async () => {
      for await (const e of p2.entries()) {
        seen.push(e.path);
        ac.abort();
      }
    })(), Error);
    expect(seen).toEqual(['/etc/app.conf']);
    expect(err.name).toBe('AbortError');
  });

  test('random corruption and truncation only ever raise FormatError or IntegrityError', async () => {
    const good = buildSyntheticRpm({ files: FILES });
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.record({ cut: fc.nat(good.length - 1) }),
        fc.record({ at: fc.nat(good.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
      ),
      async (edit) => {
        const bytes = 'cut' in edit ? good.subarray(0, edit.cut) : good.slice();
        if ('at' in edit) bytes[edit.at] = edit.value;
        try {
          await readAll(await open(bytes, 'builtin', 17), true);
        } catch (err) {
          if (!(err instanceof FormatError) && !(err instanceof IntegrityError)) throw err;
        }
      },
    ), { numRuns: 300 });
  });
});

describe('readRpm on the rpmbuild fixtures', () => {
  let gz: Uint8Array;
  beforeAll(async () => {
    await buildRpmFixtures();
    gz = new Uint8Array(readFileSync(rpmFixture('gzip')));
  });

  test('truncation anywhere → FormatError with the offset where data ran out or the part began', async () => {
    const pkg = await open(gz);
    const { signature, header, payload } = pkg.rpm;
    const cases: [cut: number, offset: number, message: string][] = [
      [50, 0, 'truncated: expected the 96-byte lead (96 bytes), found 50 bytes'],
      [100, 96, 'truncated: expected the signature header (16 bytes)'],
      [200, 112, 'truncated: expected the signature header index and data'],
      [header.range.start + 10, header.range.start, 'truncated: expected the main header (16 bytes)'],
      [header.range.end - 1, header.range.start + 16, 'truncated: expected the main header index and data'],
    ];
    for (const [cut, offset, message] of cases) {
      const err = await rejectionOf(open(gz.subarray(0, cut)), FormatError);
      expect({ cut, offset: err.offset }).toEqual({ cut, offset });
      expect(err.message).toContain(message);
      expect(err.message).toContain(FILE);
    }
    expect(signature.range.end).toBeLessThan(header.range.start);
    // In the payload: the signature header's SIZE says where the file should end.
    const cut = payload.offset + 100_000;
    const p2 = await open(gz.subarray(0, cut));
    const err = await rejectionOf(readAll(p2, false), FormatError);
    expect(err.offset).toBe(cut);
    expect(err.message).toContain(`truncated: the signature header's SIZE says the package ends at byte ${gz.length}, the file ends at byte ${cut}`);
  });

  test('data after the payload → FormatError at the end SIZE declares', async () => {
    const longer = new Uint8Array(gz.length + 3);
    longer.set(gz);
    const err = await rejectionOf(readAll(await open(longer), false), FormatError);
    expect(err.offset).toBe(gz.length);
    expect(err.message).toContain('3 bytes of unexpected data after the payload');
  });

  test('a tampered main header byte → IntegrityError (SHA256HEADER)', async () => {
    const pkg = await open(gz);
    const bad = gz.slice();
    const at = pkg.rpm.header.range.end - 20;
    bad[at] = (bad[at] ?? 0) ^ 0x20;
    const err = await rejectionOf(open(bad), IntegrityError);
    expect(err.message).toContain(`${FILE}: main header sha256 (signature header sha256header)`);
  });

  for (const compressor of ['gzip', 'xz', 'zstd', 'bzip2', 'none'] as const) {
    for (const decoders of ['builtin', 'auto'] as const) {
      test(`a tampered payload byte (${compressor}, ${decoders} decoders) → IntegrityError (payload digest)`, async () => {
        const bytes = new Uint8Array(readFileSync(rpmFixture(compressor)));
        const pkg = await open(bytes, decoders);
        const bad = bytes.slice();
        // A byte a third into the payload: inside compressed data, or (uncompressed) a file.
        const at = pkg.rpm.payload.offset + Math.floor((bytes.length - pkg.rpm.payload.offset) / 3);
        bad[at] = (bad[at] ?? 0) ^ 0x55;
        const err = await rejectionOf(readAll(await open(bad, decoders), false), IntegrityError);
        expect(err.message).toContain(`${FILE}: payload sha256 digest (PAYLOADDIGEST): expected ${pkg.rpm.payload.digest?.hex ?? '?'}`);
      });
    }
  }

  test('a large file streams as many small views, never as one buffer', async () => {
    for (const decoders of ['builtin', 'auto'] as const) {
      const pkg = await open(gz, decoders);
      let chunks = 0;
      let largest = 0;
      let total = 0;
      for await (const e of pkg.entries()) {
        if (e.path !== '/usr/lib/demo/big.bin') continue;
        for await (const c of e.body ?? []) {
          chunks++;
          largest = Math.max(largest, c.length);
          total += c.length;
        }
      }
      expect({ decoders, total }).toEqual({ decoders, total: 8912896 });
      expect(chunks).toBeGreaterThan(8);
      expect(largest).toBeLessThanOrEqual(1024 * 1024);
    }
  });

  test('the fixture header decodes to the expected details', async () => {
    const pkg = await open(gz);
    expect(pkg.rpm.lead).toMatchObject({ major: 3, minor: 0, type: 'binary', osnum: 1, signatureType: 5, name: 'jt-demo-2:1.2-3' });
    expect(pkg.rpm.payload).toMatchObject({ format: 'cpio', compressor: 'gzip', compression: 'gzip', flags: '9' });
    expect(pkg.rpm.scriptlets.map((s) => [s.name, s.interpreter])).toEqual([
      ['pretrans', ['<lua>']], ['prein', ['/bin/sh']], ['postin', ['/bin/sh']], ['preun', ['/bin/sh']],
      ['postun', ['<lua>']], ['posttrans', ['/bin/sh']], ['verifyscript', ['/bin/sh']],
    ]);
    expect(pkg.rpm.triggers.map((t) => [t.kind, t.interpreter, t.conditions])).toEqual([
      ['in', ['/bin/sh'], [{ name: 'bash', op: undefined, version: undefined, flags: 1 << 16 }]],
      ['un', ['<lua>'], [{ name: 'demo-old', op: '<', version: '1.0', flags: (1 << 17) | 2 }]],
    ]);
    expect(pkg.rpm.fileTriggers).toMatchObject([{ scope: 'file', kind: 'in', priority: 1000000, conditions: [{ name: '/usr/lib/demo' }] }]);
    expect(pkg.info.epoch).toBe(2);
    expect(pkg.rpm.signature.fields).toMatchObject({ size: gz.length - pkg.rpm.header.range.start });
  });
});
