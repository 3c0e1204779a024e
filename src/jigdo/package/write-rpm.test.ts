import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, UsageError } from '../../core/index.js';
import { parseHeader, parseHeaderIntro, type TagData } from '../../unpack/rpm/header.js';
import { formatDep } from '../../unpack/rpm/package-info.js';
import { readRpm } from '../../unpack/rpm/read-rpm.js';
import { HEADER_TAGS, SIGNATURE_TAGS } from '../../unpack/rpm/tags.js';
import { rejectionOf } from '../../../test/helpers/errors.js';
import { RPMSIGTAG, RPMTAG, encodeHeader, rpmFileName, rpmIsaSuffix, tags, writeRpmPackage, type HeaderTag } from './write-rpm.js';
import type { PackageSpec } from './types.js';

let dir: string;
let spec: PackageSpec;
const BASE = '/usr/share/jigtree/jigdo/demo';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jigtree-rpm-'));
  await writeFile(path.join(dir, 'jigdo.json'), '{"format":1}\n');
  await writeFile(path.join(dir, 'part-z'), Buffer.alloc(70000, 0x7a));
  await writeFile(path.join(dir, 'part-a'), Buffer.alloc(5, 0x61));
  spec = {
    name: 'demo-jigdo', version: '2.0~rc1', release: '3.fc40', arch: 'x86_64', summary: 'Jigdo set of demo',
    description: 'First paragraph.\n\nSecond.', license: 'MIT', maintainer: 'Jig Tree <jig@example.org>', url: 'https://example.org/',
    requires: [
      { name: 'bash', arch: 'x86_64', evr: '5.2.26-3.fc40' }, { name: 'glibc', arch: 'i686', evr: '2.39-2.fc40' },
      { name: 'tzdata', arch: 'noarch', evr: '2024a-5.fc40' }, { name: 'filesystem', evr: '1:3.18-8.fc40' },
    ],
    provides: [{ name: 'jigtree-jigdo(1)' }, { name: 'jigtree-jigdo-commit(abc123)' }, { name: 'demo-tree', evr: '2.0' }],
    // Deliberately not sorted: the payload keeps this order, the header sorts.
    files: [
      { path: `${BASE}/jigdo.json`, source: path.join(dir, 'jigdo.json'), size: 13, mode: 0o644 },
      { path: `${BASE}/parts/z`, source: path.join(dir, 'part-z'), size: 70000, mode: 0o600 },
      { path: `${BASE}/parts/a`, source: path.join(dir, 'part-a'), size: 5, mode: 0o644 },
    ],
    mtime: 1700000000,
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tag numbers', () => {
  it('match rpmtag.h as our reader knows it', () => {
    for (const [name, tag] of Object.entries(RPMTAG)) expect(HEADER_TAGS.get(tag)?.[0], name).toBe(name.toLowerCase());
    for (const [name, tag] of Object.entries(RPMSIGTAG)) expect(SIGNATURE_TAGS.get(tag)?.[0], name).toBe(name.toLowerCase());
  });
});

describe('encodeHeader', () => {
  it('parses back with our header parser (region, alignment, data order)', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0')).map((s) => ({ kind: 'string' as const, s })),
      fc.array(fc.string({ maxLength: 10 }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 4 }).map((v) => ({ kind: 'strings' as const, v })),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 4 }).map((v) => ({ kind: 'int32' as const, v })),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 5 }).map((v) => ({ kind: 'int16' as const, v })),
      fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { minLength: 1, maxLength: 3 }).map((v) => ({ kind: 'int64' as const, v })),
      fc.uint8Array({ minLength: 1, maxLength: 9 }).map((b) => ({ kind: 'bin' as const, b })),
    );
    // Tags unknown to rpmtag.h, so the parser does not hold them to a declared type.
    fc.assert(fc.property(fc.uniqueArray(fc.record({ tag: fc.integer({ min: 30000, max: 30050 }), value }), { minLength: 1, maxLength: 12, selector: (e) => e.tag }), (entries) => {
      const built: HeaderTag[] = entries.map(({ tag, value: v }) => {
        switch (v.kind) {
          case 'string': return tags.string(tag, v.s);
          case 'strings': return tags.strings(tag, v.v);
          case 'int32': return tags.int32(tag, v.v);
          case 'int16': return tags.int16(tag, v.v);
          case 'int64': return tags.int64(tag, v.v);
          case 'bin': return tags.bin(tag, v.b);
        }
      });
      const bytes = encodeHeader(built, 63);
      const intro = parseHeaderIntro(bytes, { kind: 'main', start: 0 });
      const h = parseHeader(intro, bytes.subarray(16), { kind: 'main', start: 0 });
      const expected = new Map<number, TagData>(entries.map(({ tag, value: v }) => {
        switch (v.kind) {
          case 'string': return [tag, { kind: 'string', value: v.s }];
          case 'strings': return [tag, { kind: 'strings', values: v.v }];
          case 'int32':
          case 'int16': return [tag, { kind: 'numbers', values: v.v }];
          case 'int64': return [tag, { kind: 'bigints', values: v.v.map(BigInt) }];
          case 'bin': return [tag, { kind: 'bytes', value: Buffer.from(v.b) }];
        }
      }));
      expect(new Map([...h.entries.values()].map((e) => [e.tag, e.data]))).toEqual(expected);
      expect([...h.entries.keys()]).toEqual([...expected.keys()].sort((a, b) => a - b));
    }), { numRuns: 200 });
  });
});

describe('writeRpmPackage', () => {
  it('writes an .rpm our reader reads back: digests, deps, file list, payload in spec order', async () => {
    const out = path.join(dir, rpmFileName(spec));
    expect(path.basename(out)).toBe('demo-jigdo-2.0~rc1-3.fc40.x86_64.rpm');
    const written = await writeRpmPackage(out, spec);
    const bytes = await readFile(out);
    expect(written).toEqual({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });

    // readRpm checks the header SHA-1/SHA-256 digests, entries() the payload digest.
    const pkg = await readRpm(createReadStream(out), { file: path.basename(out) });
    expect(pkg.rpm.lead).toMatchObject({ major: 3, minor: 0, type: 'binary', archnum: 1, osnum: 1, signatureType: 5, name: 'demo-jigdo-2.0~rc1-3.fc40' });
    expect(pkg.info).toMatchObject({ name: 'demo-jigdo', version: '2.0~rc1', release: '3.fc40', arch: 'x86_64', summary: 'Jigdo set of demo', description: 'First paragraph.\n\nSecond.' });
    expect(pkg.info.deps['requires']?.map(formatDep)).toEqual([
      'bash(x86-64) = 5.2.26-3.fc40', 'filesystem = 1:3.18-8.fc40', 'glibc(x86-32) = 2.39-2.fc40',
      'rpmlib(CompressedFileNames) <= 3.0.4-1', 'rpmlib(FileDigests) <= 4.6.0-1', 'rpmlib(PayloadFilesHavePrefix) <= 4.0-1', 'tzdata = 2024a-5.fc40',
    ]);
    expect(pkg.info.deps['provides']?.map(formatDep)).toEqual([
      'demo-jigdo = 2.0~rc1-3.fc40', 'demo-jigdo(x86-64) = 2.0~rc1-3.fc40', 'demo-tree = 2.0', 'jigtree-jigdo(1)', 'jigtree-jigdo-commit(abc123)',
    ]);
    expect(pkg.rpm.signature.size).toBe(bytes.length - pkg.rpm.header.range.start);
    expect(pkg.rpm.payload).toMatchObject({ format: 'cpio', compressor: 'gzip', flags: '9', digest: { algo: 'sha256' }, digestAlt: { algo: 'sha256' } });
    expect(pkg.rpm.fields['sourcerpm']).toBe('demo-jigdo-2.0~rc1-3.fc40.src.rpm');
    expect(pkg.rpm.fields['buildtime']).toBe(1700000000);

    const entries: { path: string; type: string; mode: number; user: string | undefined; group: string | undefined; size: number; mtime: number; sha?: string }[] = [];
    for await (const e of pkg.entries()) {
      let sha: string | undefined;
      if (e.body !== undefined) {
        const h = createHash('sha256');
        for await (const c of e.body) h.update(c);
        sha = h.digest('hex');
      }
      entries.push({ path: e.path, type: e.type, mode: e.mode, user: e.user, group: e.group, size: e.size, mtime: e.mtime, ...(sha === undefined ? {} : { sha }) });
    }
    const dir0 = { type: 'dir', mode: 0o755, user: 'root', group: 'root', size: 0, mtime: 1700000000 };
    expect(entries).toEqual([
      { path: BASE, ...dir0 },
      { path: `${BASE}/parts`, ...dir0 },
      ...await Promise.all(spec.files.map(async (f) => ({
        path: f.path, type: 'file', mode: f.mode, user: 'root', group: 'root', size: f.size, mtime: 1700000000,
        sha: createHash('sha256').update(await readFile(f.source)).digest('hex'),
      }))),
    ]);
  });

  it('is deterministic: the same spec and bytes give the same package bytes', async () => {
    const a = await writeRpmPackage(path.join(dir, 'a.rpm'), spec);
    const b = await writeRpmPackage(path.join(dir, 'b.rpm'), spec);
    expect(b).toEqual(a);
    expect(await readFile(path.join(dir, 'b.rpm'))).toEqual(await readFile(path.join(dir, 'a.rpm')));
    const c = await writeRpmPackage(path.join(dir, 'c.rpm'), { ...spec, mtime: spec.mtime + 1 });
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('owns the deepest common directory by default, what ownedDirs says otherwise, never /', async () => {
    const list = async (s: PackageSpec): Promise<string[]> => {
      const out = path.join(dir, 'owned.rpm');
      await writeRpmPackage(out, s);
      const pkg = await readRpm(createReadStream(out), { file: 'owned.rpm' });
      const paths: string[] = [];
      for await (const e of pkg.entries()) {
        paths.push(`${e.type} ${e.path}`);
        await e.body?.drain();
      }
      return paths;
    };
    const one = spec.files[0];
    if (one === undefined) throw new Error('no file');
    expect(await list({ ...spec, files: [one] })).toEqual([`dir ${BASE}`, `file ${BASE}/jigdo.json`]);
    expect(await list({ ...spec, files: [one, { ...one, path: '/etc/x' }] })).toEqual([`file ${BASE}/jigdo.json`, 'file /etc/x']);
    expect(await list({ ...spec, files: [one], ownedDirs: ['/usr/share/jigtree/jigdo', BASE] })).toEqual(['dir /usr/share/jigtree/jigdo', `dir ${BASE}`, `file ${BASE}/jigdo.json`]);
    expect(await list({ ...spec, files: [one], ownedDirs: [] })).toEqual([`file ${BASE}/jigdo.json`]);
  });

  it('a noarch package has no (isa) provide', async () => {
    const out = path.join(dir, 'noarch.rpm');
    await writeRpmPackage(out, { ...spec, arch: 'noarch', provides: [] });
    const pkg = await readRpm(createReadStream(out), { file: 'noarch.rpm' });
    await pkg.entries()[Symbol.asyncIterator]().return?.();
    expect(pkg.info.deps['provides']?.map(formatDep)).toEqual(['demo-jigdo = 2.0~rc1-3.fc40']);
  });
});

describe('names', () => {
  it('rpmFileName is N-V-R.A.rpm with release 1 by default', () => {
    const { release: _r, ...noRelease } = spec;
    expect(rpmFileName(noRelease)).toBe('demo-jigdo-2.0~rc1-1.x86_64.rpm');
  });
  it('rpmIsaSuffix follows rpm platform macros', () => {
    expect(rpmIsaSuffix('x86_64')).toBe('(x86-64)');
    expect(rpmIsaSuffix('i686')).toBe('(x86-32)');
    expect(rpmIsaSuffix('aarch64')).toBe('(aarch-64)');
    expect(rpmIsaSuffix('ppc64le')).toBe('(ppc-64)');
    expect(rpmIsaSuffix('s390x')).toBe('(s390-64)');
    expect(rpmIsaSuffix('noarch')).toBeUndefined();
  });
});

describe('bad input is one UsageError naming the field', () => {
  const file0 = (s: PackageSpec): PackageSpec['files'][number] => {
    const f = s.files[0];
    if (f === undefined) throw new Error('no file');
    return f;
  };
  const cases: [string, (s: PackageSpec) => PackageSpec, RegExp][] = [
    ['name with a space', (s) => ({ ...s, name: 'demo jigdo' }), /^package spec: name: expected an rpm package name/],
    ['version with -', (s) => ({ ...s, version: '1.0-2' }), /^package spec: version: expected an rpm version: .*no "-"/],
    ['release with whitespace', (s) => ({ ...s, release: '1 2' }), /^package spec: release:/],
    ['arch rpm does not know', (s) => ({ ...s, arch: 'vax' }), /^package spec: arch: expected an architecture rpm knows/],
    ['license', (s) => ({ ...s, license: '' }), /^package spec: license:/],
    ['description with NUL', (s) => ({ ...s, description: 'a\0b' }), /^package spec: description:/],
    ['path with ..', (s) => ({ ...s, files: [{ ...file0(s), path: '/usr/share/../x' }] }), /^package spec: files\[0\]\.path:/],
    ['trailing /', (s) => ({ ...s, files: [{ ...file0(s), path: '/usr/share/x/' }] }), /^package spec: files\[0\]\.path:/],
    ['size too large for cpio', (s) => ({ ...s, files: [{ ...file0(s), size: 2 ** 32 }] }), /^package spec: files\[0\]\.size: expected a byte count in 0\.\.4294967295 \(the cpio newc limit\)/],
    ['dep evr', (s) => ({ ...s, requires: [{ name: 'bash', evr: '5.2 1' }] }), /^package spec: requires\[0\]\.evr: expected an exact rpm \[E:\]V-R/],
    ['dep arch', (s) => ({ ...s, requires: [{ name: 'bash', arch: 'pdp11', evr: '5.2-1' }] }), /^package spec: requires\[0\]\.arch:/],
    ['dep pinned twice', (s) => ({ ...s, requires: [{ name: 'bash', evr: '1-1' }, { name: 'bash', evr: '2-1' }] }), /^package spec: requires: bash is listed twice/],
    ['provide with an operator', (s) => ({ ...s, provides: [{ name: 'a>b' }] }), /^package spec: provides\[0\]\.name:/],
    ['owned dir that is a file', (s) => ({ ...s, ownedDirs: [file0(s).path] }), /^package spec: ownedDirs\[0\]: expected a directory, not one of the files/],
    ['owned dir inside a file', (s) => ({ ...s, ownedDirs: [`${file0(s).path}/x`] }), /^package spec: ownedDirs: expected no directory inside the file/],
    ['missing source', (s) => ({ ...s, files: [{ ...file0(s), source: path.join(dir, 'nope') }] }), /^package spec: files\[0\]\.source: .*nope: no such file/],
    ['source is a directory', (s) => ({ ...s, files: [{ ...file0(s), source: dir }] }), /^package spec: files\[0\]\.source: expected a regular file/],
  ];
  it.each(cases)('%s', async (_what, edit, message) => {
    const out = path.join(dir, 'bad.rpm');
    const err = await rejectionOf(writeRpmPackage(out, edit(spec)), UsageError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('a source that grows while it is packaged fails and leaves nothing behind', async () => {
    const sub = await mkdtemp(path.join(dir, 'grow-'));
    const err = await rejectionOf(writeRpmPackage(path.join(sub, 'x.rpm'), { ...spec, files: [{ path: '/x/y', source: '/proc/self/status', size: 0, mode: 0o644 }] }), IntegrityError);
    expect(err.message).toMatch(/\/proc\/self\/status \(changed while being packaged\)/);
    expect(await readdir(sub)).toEqual([]);
  });

  it('an aborted signal stops it before anything is written', async () => {
    const sub = await mkdtemp(path.join(dir, 'abort-'));
    const ac = new AbortController();
    ac.abort();
    await expect(writeRpmPackage(path.join(sub, 'x.rpm'), spec, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readdir(sub)).toEqual([]);
  });
});
