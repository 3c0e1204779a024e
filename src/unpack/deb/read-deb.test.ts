import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, IntegrityError, InternalError, JigtreeError, concatBytes } from '../../core/index.js';
import { arArchive, tarArchive, tarEntry } from '../../../test/helpers/archive-builder.js';
import { chunked } from '../../../test/helpers/bytes.js';
import type { ArchiveEntry } from '../types.js';
import { MAX_CONTROL_TAR, readDeb, type DebPackage, type ReadDebOptions } from './read-deb.js';
import { rejectionOf } from '../../../test/helpers/errors.js';

const CONTROL = `Package: demo
Version: 2:1.0-1
Architecture: all
Maintainer: Someone <someone@example.org>
Depends: a (>= 1), b | c
Provides: virtual
Description: a demo package
 With a long description.
`;

const HELLO = 'hello\n';
const HELLO_MD5 = 'b1946ac92492d2347c6235b4d2611184';

function controlTar(files: Record<string, string> = {}): Uint8Array {
  const all: Record<string, string> = {
    control: CONTROL,
    md5sums: `${HELLO_MD5}  usr/share/demo/hello\n`,
    conffiles: '/etc/demo.conf\nremove-on-upgrade /etc/old.conf\n',
    postinst: '#!/bin/sh\nset -e\n',
    ...files,
  };
  return tarArchive([
    tarEntry({ name: './', type: '5', mode: 0o755 }),
    ...Object.entries(all)
      .filter(([, v]) => v !== '')
      .map(([name, data]) => tarEntry({ name: `./${name}`, data, mode: name.endsWith('inst') ? 0o755 : 0o644 })),
  ]);
}

function dataTar(hello = HELLO): Uint8Array {
  return tarArchive([
    tarEntry({ name: './', type: '5', mode: 0o755 }),
    tarEntry({ name: './etc/', type: '5', mode: 0o755 }),
    tarEntry({ name: './etc/demo.conf', data: 'x=1\n' }),
    tarEntry({ name: './usr/share/demo/hello', data: hello }),
    tarEntry({ name: './usr/share/demo/link', type: '2', linkname: 'hello' }),
  ]);
}

type Member = { name: string; data: string | Uint8Array; size?: string };

function deb(members?: Member[]): Uint8Array {
  return arArchive(
    members ?? [
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'control.tar.gz', data: gzipSync(controlTar()) },
      { name: 'data.tar', data: dataTar() },
    ],
  );
}

async function open(data: Uint8Array, opts: Partial<ReadDebOptions> = {}): Promise<DebPackage> {
  return readDeb(chunked(data, 4096), { file: 'demo_1.0_all.deb', decoders: 'builtin', ...opts });
}

async function entriesOf(pkg: DebPackage): Promise<(Omit<ArchiveEntry, 'body'> & { content?: string })[]> {
  const out = [];
  for await (const e of pkg.entries()) {
    const { body, ...rest } = e;
    if (body === undefined) out.push(rest);
    else {
      const parts: Uint8Array[] = [];
      for await (const c of body) parts.push(c);
      out.push({ ...rest, content: new TextDecoder().decode(concatBytes(parts)) });
    }
  }
  return out;
}

describe('readDeb', () => {
  it('reads control data, then streams data.tar with conffiles flagged', async () => {
    const pkg = await open(deb());
    expect(pkg.info).toMatchObject({
      kind: 'deb',
      name: 'demo',
      epoch: 2,
      version: '2:1.0-1',
      release: undefined,
      arch: 'all',
      summary: 'a demo package',
      description: 'With a long description.',
      payloadCompressor: 'none',
    });
    expect(pkg.info.deps).toEqual({
      depends: [{ name: 'a', op: '>=', version: '1' }, { anyOf: [{ name: 'b', op: undefined, version: undefined }, { name: 'c', op: undefined, version: undefined }] }],
      'pre-depends': [],
      recommends: [],
      suggests: [],
      enhances: [],
      breaks: [],
      conflicts: [],
      replaces: [],
      provides: [{ name: 'virtual', op: undefined, version: undefined }],
      'built-using': [],
    });
    expect(pkg.info.fields).toEqual({
      Package: 'demo',
      Version: '2:1.0-1',
      Architecture: 'all',
      Maintainer: 'Someone <someone@example.org>',
      Depends: 'a (>= 1), b | c',
      Provides: 'virtual',
      Description: 'a demo package\n With a long description.',
    });
    expect(pkg.deb).toMatchObject({
      formatVersion: '2.0',
      conffiles: [{ path: '/etc/demo.conf', flags: [] }, { path: '/etc/old.conf', flags: ['remove-on-upgrade'] }],
      scripts: [{ name: 'postinst', interpreter: '/bin/sh', body: '#!/bin/sh\nset -e\n' }],
      triggers: undefined,
      shlibs: false,
      symbols: false,
      templates: false,
      controlMember: { name: 'control.tar.gz', compression: 'gzip' },
      dataMember: { name: 'data.tar', compression: 'none', size: dataTar().length },
    });
    expect([...pkg.deb.md5sums]).toEqual([['/usr/share/demo/hello', HELLO_MD5]]);
    expect(pkg.deb.controlFiles.map((f) => f.name)).toEqual(['conffiles', 'control', 'md5sums', 'postinst']);
    const entries = await entriesOf(pkg);
    expect(entries.map((e) => [e.path, e.type, e.flags.config, e.content])).toEqual([
      ['/', 'dir', false, undefined],
      ['/etc', 'dir', false, undefined],
      ['/etc/demo.conf', 'file', true, 'x=1\n'],
      ['/usr/share/demo/hello', 'file', false, HELLO],
      ['/usr/share/demo/link', 'symlink', false, undefined],
    ]);
    expect(entries.every((e) => e.digest === undefined && e.caps === undefined)).toBe(true);
  });

  it('skips `_` members and reads every control/data compression dpkg allows', async () => {
    const pkg = await open(
      deb([
        { name: 'debian-binary', data: '2.1\nextra line ignored\n' },
        { name: '_gpgorigin', data: 'signature' },
        { name: 'control.tar', data: controlTar() },
        { name: '_extra', data: 'x' },
        { name: 'data.tar.gz/', data: gzipSync(dataTar()) },
      ]),
    );
    expect(pkg.deb.formatVersion).toBe('2.1');
    expect(pkg.info.payloadCompressor).toBe('gzip');
    expect((await entriesOf(pkg)).map((e) => e.path)).toContain('/usr/share/demo/hello');
  });

  it.each([
    [[], 'demo_1.0_all.deb: deb at byte 8: empty archive: expected member debian-binary'],
    [[{ name: 'control.tar', data: 'x' }], 'deb at byte 8: first member is "control.tar": expected debian-binary'],
    [[{ name: 'debian-binary', data: '3.0\n' }], 'deb at byte 8: format version 3.0: only 2.x is supported'],
    [[{ name: 'debian-binary', data: '2.0' }], 'debian-binary "2.0": expected "2.<minor>\\n"'],
    [[{ name: 'debian-binary', data: 'x'.repeat(5000) }], 'debian-binary is 5000 bytes'],
    [[{ name: 'debian-binary', data: '2.0\n' }], 'deb at byte 72: missing control.tar member'],
    [[{ name: 'debian-binary', data: '2.0\n' }, { name: 'data.tar', data: 'x' }], 'deb at byte 72: member "data.tar" before control.tar'],
    [[{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.bz2', data: 'x' }], 'member "control.tar.bz2": unknown compression ".bz2"'],
    [[{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar', data: '' }], 'member "control.tar" is empty'],
    [[{ name: 'debian-binary', data: '2.0\n' }, { name: 'README', data: 'x' }], 'unexpected member "README": expected control.tar'],
  ] as [Member[], string][])('rejects a bad layout: %j', async (members, message) => {
    const e = await rejectionOf(open(arArchive(members)), JigtreeError);
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain(message);
  });

  it('rejects bad data members and a second control member', async () => {
    const base = [{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar', data: controlTar() }];
    await expect(open(arArchive([...base, { name: 'data.tar.lzma', data: 'x' }]))).rejects.toThrow(`deb at byte ${8 + 60 + 4 + 60 + controlTar().length}: member "data.tar.lzma": lzma compression is not supported`);
    await expect(open(arArchive([...base, { name: 'control.tar', data: controlTar() }]))).rejects.toThrow('second control member "control.tar"');
    await expect(open(arArchive([...base, { name: 'data.tar', data: '' }]))).rejects.toThrow('member "data.tar" is empty');
    await expect(open(arArchive(base))).rejects.toThrow('missing data.tar member');
  });

  it('reports a damaged ar layout as such, before decoding control.tar', async () => {
    const control = gzipSync(controlTar());
    const good = deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: control }, { name: 'data.tar', data: dataTar() }]);
    const dataHeader = 8 + 60 + 4 + 60 + control.length + (control.length % 2);
    const withSize = (size: number): Uint8Array => {
      const b = good.slice();
      b.set(new TextEncoder().encode(String(size).padEnd(10)), 72 + 48);
      return b;
    };
    const tooBig = await rejectionOf(open(withSize(control.length + 100_000)), JigtreeError);
    expect(tooBig.message).toBe(`demo_1.0_all.deb: ar at byte 132: truncated: expected ar member control.tar.gz (${control.length + 100_000} bytes), found ${good.length - 132} bytes then end of data`);
    const tooSmall = await rejectionOf(open(withSize(Math.floor(control.length / 3))), JigtreeError);
    expect(tooSmall.message).toMatch(/^demo_1\.0_all\.deb: ar at byte \d+: member header: bad terminator/);
    const cut = await rejectionOf(open(good.subarray(0, dataHeader)), JigtreeError);
    expect(cut.message).toBe(`demo_1.0_all.deb: deb at byte ${dataHeader}: missing data.tar member`);
  });

  it.each([
    [{ control: '' }, 'control.tar.gz: deb: no ./control file'],
    [{ control: 'Package: a\n\nPackage: b\n' }, './control has 2 paragraphs: expected exactly one'],
    [{ control: 'Package: a\nVersion: 1\n' }, './control has no Architecture field'],
    [{ control: 'Package: a\nVersion: 1:\nArchitecture: all\n' }, "./control Version: deb-version: invalid version \"1:\""],
    [{ control: 'Package: a\nVersion: 1\nArchitecture: all\nDepends: b (>= x:1)\n' }, 'control.tar.gz: ./control: deb822: Depends: relation to b'],
    [{ control: 'Package: a\nVersion: 1\nArchitecture: all\nPackage: b\n' }, 'control.tar.gz: ./control: deb822: line 4: duplicate field "Package"'],
    [{ md5sums: 'nothex  usr/bin/x\n' }, 'control.tar.gz: ./md5sums: deb: line 1: expected "<md5>  <path>"'],
    [{ md5sums: `${HELLO_MD5}  ../etc/passwd\n` }, './md5sums: deb: line 1'],
    [{ conffiles: 'etc/relative\n' }, './conffiles: deb: line 1: conffile "etc/relative" is not an absolute path'],
    [{ conffiles: 'keep /etc/x\n' }, 'unknown conffile flag "keep"'],
    [{ triggers: 'interest foo\nbogus bar\n' }, './triggers: deb: line 2: unknown trigger directive "bogus"'],
    [{ triggers: 'activate a b\n' }, 'expected "activate <trigger-name>"'],
  ])('rejects bad control data %j', async (files, message) => {
    const e = await rejectionOf(open(deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(controlTar(files)) }, { name: 'data.tar', data: dataTar() }])), JigtreeError);
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain('demo_1.0_all.deb: ');
    expect(e.message).toContain(message);
  });

  it('parses triggers and marks shlibs/symbols/templates', async () => {
    const pkg = await open(
      deb([
        { name: 'debian-binary', data: '2.0\n' },
        { name: 'control.tar.gz', data: gzipSync(controlTar({ triggers: '# c\n\ninterest-noawait /usr/lib\n activate-await  foo \n', shlibs: 'x', symbols: 'y', templates: 'z' })) },
        { name: 'data.tar', data: dataTar() },
      ]),
    );
    expect(pkg.deb.triggers).toEqual([
      { directive: 'interest-noawait', name: '/usr/lib' },
      { directive: 'activate-await', name: 'foo' },
    ]);
    expect([pkg.deb.shlibs, pkg.deb.symbols, pkg.deb.templates]).toEqual([true, true, true]);
    await pkg.close();
  });

  it('names the package and member in data.tar errors, with the offset in the decompressed tar', async () => {
    const broken = dataTar();
    broken[1024 + 2] = 0x45; // a name byte of ./etc/demo.conf: its checksum no longer matches
    const pkg = await open(deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(controlTar()) }, { name: 'data.tar.gz', data: gzipSync(broken) }]));
    const e = await rejectionOf(entriesOf(pkg), JigtreeError);
    expect(e.message).toMatch(/^demo_1\.0_all\.deb: data\.tar\.gz: tar at byte 1024: header checksum mismatch/);
    const corrupt = gzipSync(dataTar());
    corrupt.set([(corrupt[corrupt.length - 6] ?? 0) ^ 0xff], corrupt.length - 6); // damage the CRC32 trailer
    const pkg2 = await open(deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(controlTar()) }, { name: 'data.tar.gz', data: corrupt }]));
    const e2 = await rejectionOf(entriesOf(pkg2), JigtreeError);
    if (!(e2 instanceof FormatError)) throw new Error(`expected a FormatError, got ${e2.name}`);
    expect(e2.offset).toBe(corrupt.length);
    expect(e2.message).toMatch(new RegExp(`^demo_1\\.0_all\\.deb: data\\.tar\\.gz: gzip at byte ${corrupt.length}: corrupt compressed data \\(.*\\) \\(within the first ${corrupt.length} compressed bytes\\)$`));
  });

  it('gives a decoder failure inside a file body the member and an offset too', async () => {
    const text = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${(i * 7919) % 10007}\n`).join('');
    const tar = tarArchive([tarEntry({ name: './big.txt', data: text })]);
    const gz = gzipSync(tar);
    const at = Math.floor(gz.length / 3);
    gz.set([(gz[at] ?? 0) ^ 0x55, (gz[at + 1] ?? 0) ^ 0xaa], at);
    const pkg = await open(deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(controlTar()) }, { name: 'data.tar.gz', data: gz }]));
    let where = 'nowhere';
    const e = await rejectionOf(
      (async () => {
        for await (const entry of pkg.entries()) {
          where = 'body';
          if (entry.body !== undefined) for await (const _ of entry.body) where = 'body';
          where = 'header';
        }
      })(),
      JigtreeError,
    );
    expect(where).toBe('body');
    if (!(e instanceof FormatError)) throw new Error(`expected a FormatError, got ${e.name}`);
    expect(e.format).toBe('gzip');
    expect(e.offset).toBeGreaterThan(0);
    expect(e.offset).toBeLessThanOrEqual(gz.length);
    expect(e.message).toContain(`demo_1.0_all.deb: data.tar.gz: gzip at byte ${e.offset ?? ''}: corrupt compressed data`);
  });

  it('caps control.tar at MAX_CONTROL_TAR bytes, compressed and decompressed', async () => {
    const bomb = gzipSync(new Uint8Array(MAX_CONTROL_TAR + 1024));
    const e = await rejectionOf(open(deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: bomb }, { name: 'data.tar', data: dataTar() }])), JigtreeError);
    expect(e.message).toBe(`demo_1.0_all.deb: control.tar.gz: deb: decompresses to more than ${MAX_CONTROL_TAR} bytes`);
    const lying = arArchive([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar', data: 'x', size: String(MAX_CONTROL_TAR + 1) }]);
    await expect(open(lying)).rejects.toThrow(`control.tar is ${MAX_CONTROL_TAR + 1} bytes: over the ${MAX_CONTROL_TAR}-byte limit`);
  });

  it('verifies md5sums only when asked', async () => {
    const tampered = deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(controlTar()) }, { name: 'data.tar', data: dataTar('HELLO\n') }]);
    expect((await entriesOf(await open(tampered))).find((e) => e.path === '/usr/share/demo/hello')?.content).toBe('HELLO\n');
    const e = await rejectionOf(entriesOf(await open(tampered, { verifyMd5sums: true })), JigtreeError);
    expect(e).toBeInstanceOf(IntegrityError);
    expect(e.message).toBe(`demo_1.0_all.deb: data.tar: /usr/share/demo/hello: md5sums: expected ${HELLO_MD5}, got ${createHash('md5').update('HELLO\n').digest('hex')}`);
    await expect(entriesOf(await open(deb(), { verifyMd5sums: true }))).resolves.toHaveLength(5);
  });

  it('streams entries once, honours the abort signal between entries, and closes the source', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunked(deb(), 100);
      } finally {
        closed = true;
      }
    }
    const ac = new AbortController();
    const pkg = await readDeb(source(), { file: 'demo.deb', signal: ac.signal });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of pkg.entries()) {
          seen.push(e.path);
          if (seen.length === 2) ac.abort();
        }
      })(),
    ).rejects.toThrow('aborted');
    expect(seen).toEqual(['/', '/etc']);
    expect(closed).toBe(true);
    expect(() => pkg.entries()).toThrow(InternalError);

    closed = false;
    const unused = await readDeb(source(), { file: 'demo.deb' });
    expect(closed).toBe(false);
    await unused.close();
    expect(closed).toBe(true);

    await expect(readDeb(source(), { file: 'demo.deb', signal: AbortSignal.abort() })).rejects.toThrow('aborted');
  });

  it('throws only FormatError or IntegrityError on damaged packages', async () => {
    const sample = deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(controlTar()) }, { name: 'data.tar', data: dataTar() }]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(sample.length), async (flips, cut) => {
        const damaged = sample.slice(0, cut);
        for (const [at, v] of flips) if (at < damaged.length) damaged[at] = v;
        try {
          await entriesOf(await open(damaged, { verifyMd5sums: true }));
        } catch (err) {
          if (!(err instanceof FormatError) && !(err instanceof IntegrityError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('readDeb: control.tar layout', () => {
  it('lists only top-level control files and reads the debconf config script', async () => {
    const pkg = await open(deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(controlTar({ 'sub/dir/file': 'nested', config: '#!/usr/bin/perl\n' })) }, { name: 'data.tar', data: dataTar() }]));
    expect(pkg.deb.controlFiles.map((f) => f.name)).not.toContain('sub/dir/file');
    expect(pkg.deb.scripts.map((s) => [s.name, s.interpreter])).toEqual([
      ['postinst', '/bin/sh'],
      ['config', '/usr/bin/perl'],
    ]);
    await pkg.close();
  });
});
