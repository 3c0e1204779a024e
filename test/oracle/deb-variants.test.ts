/*
 * Oracle: .debs built here from a generated tree that has every kind of entry (symlinks,
 * hardlinks, setuid/setgid/sticky modes, an empty dir, a fifo, non-ASCII names, paths and link
 * targets over 100 bytes), with `dpkg-deb -Z{gzip,xz,zstd,none} --root-owner-group -b`, plus one
 * with data.tar.bz2 (assembled with binutils `ar` from dpkg-deb's parts, recompressed with
 * `bzip2`) and one with a `tar --format=pax --xattrs` data.tar.gz carrying binary xattrs and
 * fractional mtimes. Each is read by readDeb and compared with dpkg-deb + Python tarfile + GNU
 * tar. Never skipped: missing tools fail the test.
 */
import { execFile } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectMatchesOracle, gnuTarListing, oracle, readOurs, type OracleDeb } from '../helpers/deb-oracle.js';

const run = promisify(execFile);
const SOURCE_DATE_EPOCH = '1700000000';
const env = { ...process.env, SOURCE_DATE_EPOCH, LC_ALL: 'C.UTF-8', TZ: 'UTC' };

let work: string;
let root: string;
const debs: Record<string, string> = {};
let theirs: Record<string, OracleDeb>;

const LONG_DIR = `usr/share/${'a'.repeat(70)}/${'b'.repeat(60)}`;
const LONG_TARGET = `../../${'t'.repeat(120)}/target`;
const BIG = new Uint8Array(1_048_577).map((_, i) => (i * 31 + (i >> 9)) % 256);

async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run(cmd, args, { env, maxBuffer: 64 << 20, ...(cwd === undefined ? {} : { cwd }) });
  return stdout;
}

/** md5sums as dh_md5sums writes them: regular files only, paths relative to the root. */
function md5sums(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    if (r === 'DEBIAN') continue;
    const st = lstatSync(path.join(dir, r));
    if (st.isDirectory()) out.push(...md5sums(dir, r));
    else if (st.isFile()) out.push(`${createHash('md5').update(readFileSync(path.join(dir, r))).digest('hex')}  ${r}`);
  }
  return out;
}

/** The package tree: one of every entry kind dpkg-deb can put in a data.tar. */
async function buildTree(): Promise<void> {
  const f = (rel: string, data: string | Uint8Array, mode = 0o644): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), data);
    chmodSync(path.join(root, rel), mode);
  };
  f('DEBIAN/control', `Package: jigtree-test
Version: 1:2.3-4
Architecture: amd64
Maintainer: Tëst Maintainer <test@example.org>
Installed-Size: 1100
Pre-Depends: dpkg (>= 1.19.0)
Depends: libc6 (>= 2.36), foo (<< 2) | bar:any,
 baz (>> 1:0.5-1), qux (= 3.0-1)
Recommends: rec
Provides: virt (= 1.0)
Conflicts: old (<< 1)
Breaks: older (<= 0.9)
Replaces: old (<< 1)
X-Custom-Field: custom value
Description: test package for jigtree
 Long description line.
 .
 Second paragraph with ünïcode.
`);
  f('DEBIAN/conffiles', '/etc/jigtree/jigtree.conf\n');
  f('DEBIAN/postinst', '#!/bin/sh -e\necho configured\n', 0o755);
  f('DEBIAN/prerm', '#! /usr/bin/perl -w\nprint "x";\n', 0o755);
  f('DEBIAN/triggers', '# a comment\ninterest-noawait /usr/share/jigtree\nactivate-noawait ldconfig\n');
  f('DEBIAN/shlibs', 'libjigtree 1 jigtree-test (>= 1:2.3)\n');
  f('etc/jigtree/jigtree.conf', 'key = value\n');
  f('usr/bin/tool', BIG, 0o755);
  f('usr/bin/setuid-tool', '#!/bin/sh\n', 0o4755);
  linkSync(path.join(root, 'usr/bin/tool'), path.join(root, 'usr/bin/tool-hardlink'));
  symlinkSync('tool', path.join(root, 'usr/bin/tool-symlink'));
  mkdirSync(path.join(root, 'usr/share/empty-dir'), { recursive: true });
  mkdirSync(path.join(root, 'var/mail'), { recursive: true });
  chmodSync(path.join(root, 'var/mail'), 0o2775);
  mkdirSync(path.join(root, 'var/tmp'), { recursive: true });
  chmodSync(path.join(root, 'var/tmp'), 0o1777);
  await sh('mkfifo', ['-m', '0640', mkdirFor('usr/share/jigtree/fifo')]);
  f('usr/share/doc/jigtree-test/ünïcode-名前.txt', 'non-ASCII name\n');
  f('usr/share/doc/jigtree-test/with space.txt', 'space\n');
  f('usr/share/doc/jigtree-test/empty', '');
  f('usr/share/doc/jigtree-test/block', 'b'.repeat(512));
  f(`${LONG_DIR}/file-with-a-long-path.txt`, 'long path\n');
  symlinkSync(LONG_TARGET, path.join(root, `${LONG_DIR}/long-symlink`));
  linkSync(path.join(root, `${LONG_DIR}/file-with-a-long-path.txt`), path.join(root, `${LONG_DIR}/long-hardlink`));
  f('DEBIAN/md5sums', `${md5sums(root).join('\n')}\n`);
}

function mkdirFor(rel: string): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  return p;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'jigtree-deb-variants-'));
  root = path.join(work, 'root');
  mkdirSync(root);
  await buildTree();
  for (const z of ['gzip', 'xz', 'zstd', 'none']) {
    debs[z] = path.join(work, `jigtree-test_${z}.deb`);
    await sh('dpkg-deb', [`-Z${z}`, '--root-owner-group', '-b', root, debs[z]]);
  }

  // data.tar.bz2: dpkg-deb's own members, data recompressed with bzip2, put back with binutils ar.
  const parts = path.join(work, 'parts');
  mkdirSync(parts);
  await sh('ar', ['x', debs['xz'] ?? '', 'debian-binary', 'control.tar.xz', 'data.tar.xz'], parts);
  await sh('sh', ['-c', 'xz -dc data.tar.xz | bzip2 -9 > data.tar.bz2'], parts);
  debs['bzip2'] = path.join(work, 'jigtree-test_bzip2.deb');
  await sh('ar', ['rc', debs['bzip2'], 'debian-binary', 'control.tar.xz', 'data.tar.bz2'], parts);

  // pax data.tar with xattrs (text and binary values) and fractional mtimes, made by GNU tar.
  const paxRoot = path.join(work, 'pax-root');
  await sh('cp', ['-a', root, paxRoot]);
  rmSync(path.join(paxRoot, 'DEBIAN'), { recursive: true });
  await sh('setfattr', ['-n', 'user.jigtree.text', '-v', 'hello', path.join(paxRoot, 'usr/bin/tool')]);
  await sh('setfattr', ['-n', 'user.jigtree.binary', '-v', '0x00ff0a3d20', path.join(paxRoot, 'usr/bin/tool')]);
  await sh('setfattr', ['-n', 'user.jigtree.dir', '-v', 'on-a-dir', path.join(paxRoot, 'usr/share/empty-dir')]);
  await sh('sh', ['-c', 'find . -exec touch -h -d @1700000000.123456789 {} +'], paxRoot);
  await sh('tar', ['--format=pax', '--xattrs', '--xattrs-include=user.*', '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-C', paxRoot, '-czf', path.join(parts, 'data.tar.gz'), '.']);
  debs['pax'] = path.join(work, 'jigtree-test_pax.deb');
  await sh('ar', ['rc', debs['pax'], 'debian-binary', 'control.tar.xz', 'data.tar.gz'], parts);

  theirs = await oracle(Object.values(debs));
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.each(['gzip', 'xz', 'zstd', 'none', 'bzip2', 'pax'])('data.tar variant %s', (variant) => {
  it('matches dpkg-deb, Python tarfile and GNU tar', async () => {
    const deb = debs[variant] ?? '';
    const o = theirs[deb];
    if (o === undefined) throw new Error(`no oracle result for ${deb}`);
    const ours = await readOurs(deb, { verifyMd5sums: variant !== 'pax' });
    expectMatchesOracle(ours, o, await gnuTarListing(deb));

    // The tree really has what the comparison is meant to cover.
    const { pkg, entries } = ours;
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const expectedCompression = { gzip: 'gzip', xz: 'xz', zstd: 'zstd', none: 'none', bzip2: 'bzip2', pax: 'gzip' }[variant];
    expect(pkg.deb.dataMember.compression).toBe(expectedCompression);
    expect(pkg.info).toMatchObject({ name: 'jigtree-test', version: '1:2.3-4', epoch: 1, arch: 'amd64', summary: 'test package for jigtree' });
    expect(pkg.info.description).toBe('Long description line.\n\nSecond paragraph with ünïcode.');
    expect(pkg.info.deps['depends']).toEqual([
      { name: 'libc6', op: '>=', version: '2.36' },
      { anyOf: [{ name: 'foo', op: '<', version: '2' }, { name: 'bar:any', op: undefined, version: undefined }] },
      { name: 'baz', op: '>', version: '1:0.5-1' },
      { name: 'qux', op: '=', version: '3.0-1' },
    ]);
    expect(pkg.info.deps['enhances']).toEqual([]);
    expect(pkg.info.fields['X-Custom-Field']).toBe('custom value');
    expect(pkg.deb.scripts.map((s) => [s.name, s.interpreter])).toEqual([
      ['postinst', '/bin/sh'],
      ['prerm', '/usr/bin/perl'],
    ]);
    expect(pkg.deb.triggers).toEqual([
      { directive: 'interest-noawait', name: '/usr/share/jigtree' },
      { directive: 'activate-noawait', name: 'ldconfig' },
    ]);
    expect(pkg.deb.shlibs).toBe(true);
    expect(ours.configPaths).toEqual(['/etc/jigtree/jigtree.conf']);
    expect(byPath.get('/usr/bin/setuid-tool')?.mode).toBe(0o4755);
    expect(byPath.get('/var/mail')?.mode).toBe(0o2775);
    expect(byPath.get('/var/tmp')?.mode).toBe(0o1777);
    expect(byPath.get('/usr/share/empty-dir')?.type).toBe('dir');
    expect(byPath.get('/usr/share/jigtree/fifo')).toMatchObject({ type: 'fifo', mode: 0o640 });
    expect(byPath.get('/usr/bin/tool-symlink')).toMatchObject({ type: 'symlink', linkTarget: 'tool' });
    expect(byPath.get('/usr/share/doc/jigtree-test/ünïcode-名前.txt')?.type).toBe('file');
    expect(byPath.get('/usr/share/doc/jigtree-test/empty')).toMatchObject({ type: 'file', size: 0, sha256: createHash('sha256').digest('hex') });
    expect(byPath.get(`/${LONG_DIR}/long-symlink`)).toMatchObject({ type: 'symlink', linkTarget: LONG_TARGET });
    const hardlinks = entries.filter((e) => e.type === 'hardlink').map((e) => [e.path, e.linkTarget]).sort();
    expect(hardlinks).toHaveLength(2);
    expect(hardlinks.flat()).toEqual(expect.arrayContaining(['/usr/bin/tool', '/usr/bin/tool-hardlink', `/${LONG_DIR}/long-hardlink`, `/${LONG_DIR}/file-with-a-long-path.txt`]));
    const tool = entries.find((e) => e.type === 'file' && (e.path === '/usr/bin/tool' || e.path === '/usr/bin/tool-hardlink'));
    expect(tool?.sha256).toBe(createHash('sha256').update(BIG).digest('hex'));
    if (variant === 'pax') {
      expect(byPath.get('/usr/bin/tool')?.xattrs).toEqual([
        ['user.jigtree.binary', '00ff0a3d20'],
        ['user.jigtree.text', Buffer.from('hello').toString('hex')],
      ]);
      expect(byPath.get('/usr/share/empty-dir')?.xattrs).toEqual([['user.jigtree.dir', Buffer.from('on-a-dir').toString('hex')]]);
      expect(byPath.get('/usr/bin/tool')?.mtime).toBe(Number('1700000000.123456789'));
      expect(byPath.get('/usr/bin/tool')).toMatchObject({ user: null, group: null, uid: 0, gid: 0 });
    } else {
      expect(entries.every((e) => e.xattrs.length === 0 && e.mtime <= Number(SOURCE_DATE_EPOCH))).toBe(true);
      expect(byPath.get('/usr/bin/tool')).toMatchObject({ user: 'root', group: 'root', uid: 0, gid: 0 });
    }
  });
});
