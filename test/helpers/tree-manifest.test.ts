import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setAttributeSync } from '@napi-rs/xattr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffManifests, filterManifest, manifestOfDir, type ManifestEntry } from './tree-manifest.js';

let base: string;
let tree: string;
const big = Buffer.alloc(3 << 20, 0x5a);
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
// cap_net_raw=ep as `setcap` writes it (VFS_CAP_REVISION_2).
const CAP = Buffer.from('0000000200200000000000000000000000000000', 'hex');

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-manifest-'));
  tree = path.join(base, 'tree');
  await fs.mkdir(path.join(tree, 'usr/bin'), { recursive: true });
  await fs.mkdir(path.join(tree, 'var/cache/apt'), { recursive: true });
  await fs.writeFile(path.join(tree, 'usr/bin/env'), 'ENV\n');
  await fs.chmod(path.join(tree, 'usr/bin/env'), 0o4755);
  await fs.writeFile(path.join(tree, 'usr/bin/big'), big);
  await fs.link(path.join(tree, 'usr/bin/env'), path.join(tree, 'usr/bin/env2'));
  await fs.symlink('usr/bin', path.join(tree, 'bin'));
  await fs.writeFile(path.join(tree, 'var/cache/apt/pkgcache.bin'), 'x');
  await fs.chown(path.join(tree, 'var/cache'), 100, 101);
  execFileSync('mkfifo', ['-m', '0600', path.join(tree, 'fifo')]);
  execFileSync('mknod', ['-m', '0666', path.join(tree, 'null'), 'c', '1', '3']);
  setAttributeSync(path.join(tree, 'usr/bin/big'), 'security.capability', CAP);
  await fs.chmod(tree, 0o755);
});
afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

describe('manifestOfDir', () => {
  it('records every path with lstat data, content hashes and link targets, sorted', async () => {
    const m = await manifestOfDir(tree);
    expect([...m.keys()]).toEqual([
      '/', '/bin', '/fifo', '/null', '/usr', '/usr/bin', '/usr/bin/big', '/usr/bin/env', '/usr/bin/env2',
      '/var', '/var/cache', '/var/cache/apt', '/var/cache/apt/pkgcache.bin',
    ]);
    expect(m.get('/')).toEqual({ type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    expect(m.get('/usr/bin/env')).toEqual({ type: 'file', mode: 0o4755, uid: 0, gid: 0, sha256: sha('ENV\n') });
    expect(m.get('/usr/bin/env2')).toEqual(m.get('/usr/bin/env'));
    expect(m.get('/usr/bin/big')?.sha256).toBe(sha(big));
    expect(m.get('/bin')).toMatchObject({ type: 'symlink', target: 'usr/bin' });
    expect(m.get('/fifo')).toMatchObject({ type: 'fifo', mode: 0o600 });
    expect(m.get('/null')).toMatchObject({ type: 'chardev', mode: 0o666, rdev: (1 << 8) | 3 });
    expect(m.get('/var/cache')).toMatchObject({ uid: 100, gid: 101 });
    expect(m.get('/usr/bin/big')?.xattrs).toBeUndefined();
  });

  it('skips excluded paths and their subtrees, and records xattrs when asked', async () => {
    const m = await manifestOfDir(tree, { exclude: (p) => p === '/var/cache', xattrs: (n) => n === 'security.capability' });
    expect([...m.keys()].filter((p) => p.startsWith('/var'))).toEqual(['/var']);
    expect(m.get('/usr/bin/big')?.xattrs).toEqual({ 'security.capability': CAP.toString('hex') });
    expect(m.get('/usr/bin/env')?.xattrs).toBeUndefined();
  });
});

describe('diffManifests', () => {
  const entry = (e: Partial<ManifestEntry> = {}): ManifestEntry => ({ type: 'file', mode: 0o644, uid: 0, gid: 0, sha256: 'aa', ...e });

  it('is empty for equal manifests, including a tree against itself', async () => {
    const m = await manifestOfDir(tree, { xattrs: true });
    expect(diffManifests(m, await manifestOfDir(tree, { xattrs: true }))).toEqual([]);
  });

  it('names every difference in one sorted line each', () => {
    const a = new Map<string, ManifestEntry>([
      ['/x', entry()],
      ['/y', entry({ mode: 0o755, uid: 1 })],
      ['/l', { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 'a' }],
      ['/t', entry()],
      ['/c', entry({ xattrs: { 'security.capability': '01' } })],
    ]);
    const b = new Map<string, ManifestEntry>([
      ['/y', entry({ sha256: 'bb' })],
      ['/l', { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 'b' }],
      ['/t', { type: 'dir', mode: 0o755, uid: 0, gid: 0 }],
      ['/c', entry()],
      ['/z', { type: 'dir', mode: 0o755, uid: 0, gid: 0 }],
    ]);
    expect(diffManifests(a, b, { a: 'ours', b: 'mmdebstrap' })).toEqual([
      '/c: xattr security.capability 01 != (none)',
      '/l: target a != b',
      '/t: type file != dir',
      '/y: mode 0755 != 0644',
      '/y: sha256 aa != bb',
      '/y: uid 1 != 0',
      'only in mmdebstrap: /z (dir 0755 0:0)',
      'only in ours: /x (file 0644 0:0 sha256 aa)',
    ]);
  });

  it('filterManifest keeps what the predicate accepts', () => {
    const m = new Map<string, ManifestEntry>([['/a', entry()], ['/b', entry()]]);
    expect([...filterManifest(m, (p) => p !== '/a').keys()]).toEqual(['/b']);
  });
});
