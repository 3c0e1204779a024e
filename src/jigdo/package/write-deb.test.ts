import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError, UsageError } from '../../core/index.js';
import { readDeb } from '../../unpack/deb/read-deb.js';
import { rejectionOf } from '../../../test/helpers/errors.js';
import { debFileName, debProvideName, writeDebPackage } from './write-deb.js';
import type { PackageSpec } from './types.js';

let dir: string;
let spec: PackageSpec;
const BASE = '/usr/share/jigtree/jigdo/demo';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jigtree-deb-'));
  const files = [
    { name: 'jigdo.json', data: Buffer.from('{"format":1}\n') },
    { name: 'part-b', data: Buffer.alloc(3000, 0x62) },
    { name: 'part-a', data: Buffer.alloc(1024, 0x61) },
    { name: 'empty', data: Buffer.alloc(0) },
  ];
  for (const f of files) await writeFile(path.join(dir, f.name), f.data);
  spec = {
    name: 'demo-jigdo', version: '1:2.0~rc1-3', arch: 'amd64', summary: 'Jigdo set of demo',
    description: 'First paragraph.\n\n  indented\nlast', license: 'MIT', maintainer: 'Jig Tree <jig@example.org>', url: 'https://example.org/',
    requires: [
      { name: 'tzdata', arch: 'all', evr: '2024a-0+deb12u1' }, { name: 'libc6', arch: 'amd64', evr: '2.36-9+deb12u4' },
      { name: 'libc6', arch: 'i386', evr: '2.36-9+deb12u4' }, { name: 'base-files', evr: '12.4+deb12u5' },
    ],
    provides: [{ name: 'jigtree-jigdo(1)' }, { name: 'jigtree-jigdo-commit(ABC123)' }, { name: 'demo-tree', evr: '2.0' }],
    // Deliberately not sorted: the payload keeps this order.
    files: [
      { path: `${BASE}/jigdo.json`, source: path.join(dir, 'jigdo.json'), size: 13, mode: 0o644 },
      { path: `${BASE}/parts/b`, source: path.join(dir, 'part-b'), size: 3000, mode: 0o600 },
      { path: `${BASE}/parts/a`, source: path.join(dir, 'part-a'), size: 1024, mode: 0o644 },
      { path: `/usr/share/doc/demo-jigdo/empty`, source: path.join(dir, 'empty'), size: 0, mode: 0o644 },
    ],
    mtime: 1700000000,
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

describe('writeDebPackage', () => {
  it('writes a .deb our reader reads back: control fields, entries in order, md5sums', async () => {
    const out = path.join(dir, debFileName(spec));
    const written = await writeDebPackage(out, spec);
    expect(written.sha256).toBe(await sha256(out));
    expect(written.size).toBe((await readFile(out)).length);

    const pkg = await readDeb(createReadStream(out), { file: path.basename(out), verifyMd5sums: true });
    expect(pkg.deb.formatVersion).toBe('2.0');
    expect(pkg.deb.controlMember.name).toBe('control.tar.gz');
    expect(pkg.deb.dataMember.name).toBe('data.tar.gz');
    const control = pkg.deb.controlFiles.find((f) => f.name === 'control');
    expect(new TextDecoder().decode(control?.bytes)).toBe([
      'Package: demo-jigdo',
      'Version: 1:2.0~rc1-3',
      'Architecture: amd64',
      'Maintainer: Jig Tree <jig@example.org>',
      // 1 + 3 + 1 + 0 KiB of files, plus 1 per directory: ./ and the 8 parents.
      'Installed-Size: 14',
      'Depends: base-files (= 12.4+deb12u5), libc6 (= 2.36-9+deb12u4), libc6:i386 (= 2.36-9+deb12u4), tzdata (= 2024a-0+deb12u1)',
      'Provides: demo-tree (= 2.0), jigtree-jigdo-1, jigtree-jigdo-commit-abc123',
      'Section: misc',
      'Priority: optional',
      'Homepage: https://example.org/',
      'Description: Jigdo set of demo',
      ' First paragraph.',
      ' .',
      '   indented',
      ' last',
      '',
    ].join('\n'));
    expect([...pkg.deb.md5sums.keys()]).toEqual(['/usr/share/doc/demo-jigdo/empty', `${BASE}/jigdo.json`, `${BASE}/parts/a`, `${BASE}/parts/b`]);

    const entries: { path: string; type: string; mode: number; size: number; uid: number | undefined; user: string | undefined; mtime: number; sha?: string }[] = [];
    for await (const e of pkg.entries()) {
      let sha: string | undefined;
      if (e.body !== undefined) {
        const h = createHash('sha256');
        for await (const c of e.body) h.update(c);
        sha = h.digest('hex');
      }
      entries.push({ path: e.path, type: e.type, mode: e.mode, size: e.size, uid: e.uid, user: e.user, mtime: e.mtime, ...(sha === undefined ? {} : { sha }) });
    }
    const dirs = ['/', '/usr', '/usr/share', '/usr/share/doc', '/usr/share/doc/demo-jigdo', '/usr/share/jigtree', '/usr/share/jigtree/jigdo', BASE, `${BASE}/parts`];
    expect(entries.map((e) => e.path)).toEqual([...dirs, ...spec.files.map((f) => f.path)]);
    for (const e of entries.slice(0, dirs.length)) expect(e).toMatchObject({ type: 'dir', mode: 0o755, uid: 0, user: 'root', mtime: 1700000000 });
    for (const [i, f] of spec.files.entries()) {
      expect(entries[dirs.length + i]).toEqual({ path: f.path, type: 'file', mode: f.mode, size: f.size, uid: 0, user: 'root', mtime: 1700000000, sha: await sha256(f.source) });
    }
  });

  it('is deterministic: the same spec and bytes give the same package bytes', async () => {
    const a = await writeDebPackage(path.join(dir, 'a.deb'), spec);
    const b = await writeDebPackage(path.join(dir, 'b.deb'), spec);
    expect(b).toEqual(a);
    expect(await readFile(path.join(dir, 'b.deb'))).toEqual(await readFile(path.join(dir, 'a.deb')));
    // ...and a different mtime gives different bytes (the timestamp is in the package).
    const c = await writeDebPackage(path.join(dir, 'c.deb'), { ...spec, mtime: spec.mtime + 1 });
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('omits Depends, Provides and Homepage when there are none', async () => {
    const out = path.join(dir, 'bare.deb');
    const { url: _url, ...noUrl } = spec;
    await writeDebPackage(out, { ...noUrl, requires: [], provides: [], description: '' });
    const pkg = await readDeb(createReadStream(out), { file: 'bare.deb' });
    await pkg.close();
    expect(pkg.deb.control.fields.map((f) => f.name)).toEqual(['Package', 'Version', 'Architecture', 'Maintainer', 'Installed-Size', 'Section', 'Priority', 'Description']);
  });
});

describe('names', () => {
  it('debFileName drops the epoch (dpkg-name)', () => {
    expect(debFileName({ ...spec, version: '1:2.0-3' })).toBe('demo-jigdo_2.0-3_amd64.deb');
    expect(debFileName({ ...spec, version: '2.0' })).toBe('demo-jigdo_2.0_amd64.deb');
  });
  it('debProvideName maps capabilities to package names', () => {
    expect(debProvideName('jigtree-jigdo(1)')).toBe('jigtree-jigdo-1');
    expect(debProvideName('jigtree-jigdo-commit(0fAb)')).toBe('jigtree-jigdo-commit-0fab');
    expect(debProvideName('(x) y__z')).toBe('x-y-z');
  });
});

describe('bad input is one UsageError naming the field', () => {
  const cases: [string, (s: PackageSpec) => PackageSpec, RegExp][] = [
    ['name', (s) => ({ ...s, name: 'Demo_Jigdo' }), /^package spec: name: expected a Debian package name/],
    ['version', (s) => ({ ...s, version: 'v1.0' }), /^package spec: version: expected a Debian version/],
    ['version with a colon and no epoch', (s) => ({ ...s, version: '1.0:2' }), /^package spec: version:/],
    ['arch', (s) => ({ ...s, arch: 'AMD64' }), /^package spec: arch:/],
    ['summary', (s) => ({ ...s, summary: 'two\nlines' }), /^package spec: summary: expected one non-empty line/],
    ['maintainer', (s) => ({ ...s, maintainer: '' }), /^package spec: maintainer:/],
    ['relative path', (s) => ({ ...s, files: [{ ...fileOf(s, 0), path: 'usr/x' }] }), /^package spec: files\[0\]\.path: expected an absolute normalized path/],
    ['.. segment', (s) => ({ ...s, files: [{ ...fileOf(s, 0), path: '/usr/../etc/x' }] }), /^package spec: files\[0\]\.path:/],
    ['duplicate path', (s) => ({ ...s, files: [fileOf(s, 0), fileOf(s, 0)] }), /^package spec: files\[1\]\.path: expected a path listed once/],
    ['file as a directory', (s) => ({ ...s, files: [fileOf(s, 0), { ...fileOf(s, 1), path: `${BASE}/jigdo.json/x` }] }), /^package spec: files\[0\]\.path: expected a file, not a directory/],
    ['mode', (s) => ({ ...s, files: [{ ...fileOf(s, 0), mode: 0o100644 }] }), /^package spec: files\[0\]\.mode:/],
    ['mtime', (s) => ({ ...s, mtime: -1 }), /^package spec: mtime:/],
    ['dep name', (s) => ({ ...s, requires: [{ name: 'Bad Name', evr: '1' }] }), /^package spec: requires\[0\]\.name:/],
    ['dep version', (s) => ({ ...s, requires: [{ name: 'ok', evr: '1 (x)' }] }), /^package spec: requires\[0\]\.evr:/],
    ['dep pinned twice', (s) => ({ ...s, requires: [{ name: 'ok', evr: '1' }, { name: 'ok', evr: '2' }] }), /^package spec: requires: ok is listed twice/],
    ['provide name', (s) => ({ ...s, provides: [{ name: '()' }] }), /^package spec: provides\[0\]\.name:/],
    ['size mismatch', (s) => ({ ...s, files: [{ ...fileOf(s, 0), size: 12 }] }), /^package spec: files\[0\]\.size: expected the size of .*jigdo\.json \(13 bytes\), got 12$/],
    ['missing source', (s) => ({ ...s, files: [{ ...fileOf(s, 0), source: path.join(dir, 'nope') }] }), /^package spec: files\[0\]\.source: .*nope: no such file/],
  ];
  it.each(cases)('%s', async (_what, edit, message) => {
    const out = path.join(dir, 'bad.deb');
    const err = await rejectionOf(writeDebPackage(out, edit(spec)), UsageError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('a missing output directory is a NotFoundError naming it', async () => {
    const err = await rejectionOf(writeDebPackage(path.join(dir, 'no-such-dir', 'x.deb'), spec), NotFoundError);
    expect(err.message).toBe(`${path.join(dir, 'no-such-dir')}: not found`);
  });

  it('a source that grows while it is packaged fails and leaves nothing behind', async () => {
    const sub = await mkdtemp(path.join(dir, 'grow-'));
    // /proc files stat as 0 bytes but read as more: the size check passes, the copy does not.
    const err = await rejectionOf(writeDebPackage(path.join(sub, 'x.deb'), { ...spec, files: [{ path: '/x', source: '/proc/self/status', size: 0, mode: 0o644 }] }), IntegrityError);
    expect(err.message).toMatch(/\/proc\/self\/status \(changed while being packaged\): expected 0 bytes/);
    expect(await readdir(sub)).toEqual([]);
  });
});

function fileOf(s: PackageSpec, i: number): PackageSpec['files'][number] {
  const f = s.files[i];
  if (f === undefined) throw new Error(`no file ${i}`);
  return f;
}
