import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setAttributeSync } from '@napi-rs/xattr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteOrder, compareTrees, makeSourceTree, mixedBytes, seededBytes, xattrList, type SourceTreeInfo } from './source-tree.js';

// The generated tree has what the oracle tests rely on, and compareTrees notices each kind of
// difference it claims to (a comparison that cannot fail would make every round trip pass).
let base: string;
let info: SourceTreeInfo;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-srctree-'));
  info = await makeSourceTree(path.join(base, 'src'), { bigDirEntries: 50 });
});
afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

/** A fresh copy of the generated tree (cp -a keeps modes, owners, xattrs, symlinks, hardlinks). */
function copy(name: string): string {
  const dst = path.join(base, name);
  execFileSync('cp', ['-a', info.root, dst]);
  return dst;
}

describe('makeSourceTree', () => {
  it('creates every kind of entry with the exact modes and owners, whatever the umask', async () => {
    const st = async (rel: string) => fs.lstat(path.join(info.root, rel));
    expect((await st('.')).mode & 0o7777).toBe(0o755);
    expect((await st('setuid')).mode & 0o7777).toBe(0o4755);
    expect((await st('owned/setgid')).mode & 0o7777).toBe(0o2755);
    expect((await st('secret')).mode & 0o7777).toBe(0o600);
    expect((await st('perms/world-write')).mode & 0o7777).toBe(0o666);
    expect((await st('private')).mode & 0o7777).toBe(0o700);
    expect((await st('sticky')).mode & 0o7777).toBe(0o1777);
    expect((await st('big.bin')).size).toBeGreaterThan(1024 * 1024);
    expect((await st('empty')).size).toBe(0);
    expect(await fs.readdir(path.join(info.root, 'emptydir'))).toEqual([]);
    expect(await fs.readlink(path.join(info.root, 'links/dangling'))).toBe('does-not-exist/anywhere');
    expect(await fs.readlink(path.join(info.root, 'links/abs'))).toMatch(/^\//);
    expect((await st('hard/tri-2')).ino).toBe((await st('hard/tri-1')).ino);
    expect((await st('hard/tri-1')).nlink).toBe(3);
    expect((await st('owned/link'))).toMatchObject({ uid: 1234, gid: 5678 });
    expect((await st('owned/sub/x'))).toMatchObject({ uid: 5678, gid: 1234 });
    expect(await fs.readdir(info.bigDir)).toHaveLength(50);
    expect(info.paths).toContain('/unicode/😀');
    expect(info.paths).toContain('/unicode/Ｚ');
    // UTF-16 (JS default) order and UTF-8 byte order disagree on these names.
    expect(['😀', 'Ｚ'].sort()).toEqual(['😀', 'Ｚ']);
    expect(['😀', 'Ｚ'].sort(byteOrder)).toEqual(['Ｚ', '😀']);
    expect(info.paths.filter((p) => p.startsWith('/order/') && !p.includes('/Zdir/'))).toEqual(['/order/A1', '/order/B', '/order/Zdir', '/order/_x', '/order/a']);
  });

  it('sets xattrs (sorted by bytes when listed), including on a symlink and the root', () => {
    expect(xattrList(path.join(info.root, 'xattr/file')).map((x) => x.split('=')[0])).toEqual(['trusted.t', 'user.B', 'user.a', 'user.b', 'user.binary', 'user.empty']);
    expect(xattrList(path.join(info.root, 'xattr/file'))).toContain('user.empty=');
    expect(xattrList(path.join(info.root, 'xattr/link'))).toEqual([`trusted.link=${Buffer.from('on the link itself').toString('hex')}`]);
    expect(xattrList(info.root)).toHaveLength(1);
    expect(Object.keys(info.xattrPaths).sort()).toEqual(['/', '/owned/file', '/xattr', '/xattr/file', '/xattr/link', '/xattr/plain']);
  });

  it('is deterministic: two trees compare equal, and xattrs: false leaves them out', async () => {
    const other = await makeSourceTree(path.join(base, 'again'), { bigDirEntries: 50 });
    expect(await compareTrees(info.root, other.root)).toEqual([]);
    expect(other.paths).toEqual(info.paths);
    const plain = await makeSourceTree(path.join(base, 'plain'), { bigDirEntries: 50, xattrs: false });
    expect(plain.xattrPaths).toEqual({});
    expect(xattrList(path.join(plain.root, 'xattr/file'))).toEqual([]);
    expect(await compareTrees(info.root, plain.root, { xattrs: false })).toEqual([]);
    expect(seededBytes(7, 16)).toEqual(seededBytes(7, 16));
    expect(seededBytes(7, 16)).not.toEqual(seededBytes(8, 16));
    expect(mixedBytes(1, 200_000)).toHaveLength(200_000);
  });
});

describe('compareTrees', () => {
  it('finds no difference between a tree and its copy', async () => {
    expect(await compareTrees(info.root, copy('same'))).toEqual([]);
  });

  it('reports each kind of difference, once per path', async () => {
    const b = copy('changed');
    const at = (rel: string): string => path.join(b, rel);
    await fs.rm(at('hello.txt'));
    await fs.writeFile(at('extra'), 'new');
    await fs.rm(at('order/Zdir'), { recursive: true });
    await fs.writeFile(at('order/Zdir'), 'now a file');
    await fs.chmod(at('setuid'), 0o755);
    await fs.writeFile(at('secret'), 'other secret\n');
    await fs.unlink(at('links/rel'));
    await fs.symlink('../other', at('links/rel'));
    await fs.lchown(at('owned/link'), 1, 2);
    setAttributeSync(at('xattr/plain'), 'user.one', '2');
    setAttributeSync(at('emptydir'), 'user.new', '');
    expect(await compareTrees(info.root, b)).toEqual([
      '/emptydir: xattrs [] != [user.new=]',
      '/extra: only in b (extra)',
      '/hello.txt: only in a (missing from b)',
      '/links/rel: symlink target "../hello.txt" != "../other"',
      '/order/Zdir: type dir != file',
      '/owned/link: owner 1234:5678 != 1:2',
      `/secret: content sha256 ${sha('secret\n')} != ${sha('other secret\n')}`,
      '/setuid: mode 04755 != 0755',
      '/xattr/plain: xattrs [user.one=31] != [user.one=32]',
    ]);
    // Owners and xattrs are only compared when asked for.
    expect((await compareTrees(info.root, b, { owners: false, xattrs: false })).join('\n')).not.toMatch(/owner|xattrs/);
  });

  it('compares the roots themselves', async () => {
    const b = copy('root-mode');
    await fs.chmod(b, 0o700);
    await fs.chown(b, 7, 7);
    expect(await compareTrees(info.root, b)).toEqual(['/: mode 0755 != 0700', '/: owner 0:0 != 7:7']);
  });
});

function sha(s: string): string {
  return execFileSync('sha256sum', { input: s, encoding: 'utf8' }).split(' ')[0] ?? '';
}
