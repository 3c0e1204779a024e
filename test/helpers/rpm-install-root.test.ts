import { execSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRpmOwnPath, RPM_ORACLE_DBPATH, rpmInstallRoot, type RpmInstallRootResult } from './rpm-install-root.js';
import { ensureRpmRepo } from './signed-repos.js';
import { manifestOfDir, type ManifestEntry } from './tree-manifest.js';

let base: string;
let target: string;
let rpms: string[];
let result: RpmInstallRootResult;
let tree: Map<string, ManifestEntry>;

beforeAll(async () => {
  const repo = await ensureRpmRepo();
  rpms = ['x86_64/demo-files-1.0-1.x86_64.rpm', 'noarch/demo-filesystem-1.0-1.noarch.rpm', 'x86_64/demo-user-1.0-1.x86_64.rpm', 'x86_64/demo-sh-5.2-1.x86_64.rpm'].map((r) => path.join(repo, r));
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-rpmroot-'));
  target = path.join(base, 'root');
  result = await rpmInstallRoot({ rpms, target });
  tree = await manifestOfDir(target, { xattrs: (n) => n === 'security.capability' });
}, 120_000);
afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

describe('rpmInstallRoot', () => {
  it('puts the rpmdb under RPM_ORACLE_DBPATH and nothing else of its own', () => {
    expect(tree.get(RPM_ORACLE_DBPATH)?.type).toBe('dir');
    expect(isRpmOwnPath(`${RPM_ORACLE_DBPATH}/rpmdb.sqlite`)).toBe(true);
    expect(isRpmOwnPath('/opt/demo')).toBe(false);
    const unexplained = [...tree.keys()].filter((p) => p !== '/' && !isRpmOwnPath(p) && !result.packagePaths.has(p) && !result.impliedDirs.has(p));
    expect(unexplained).toEqual([]);
    for (const d of result.impliedDirs) expect(tree.get(d), d).toMatchObject({ type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  });

  it('creates every listed path but the %ghost ones', () => {
    expect(result.ghostPaths).toEqual(new Set(['/var/lib/demo/initialized', '/var/log/demo/demo.log']));
    expect(tree.has('/var/log/demo/demo.log')).toBe(false);
    expect(tree.get('/var/log/demo')?.type).toBe('dir');
    const missing = [...result.packagePaths].filter((p) => !tree.has(p) && !result.ghostPaths.has(p));
    expect(missing).toEqual([]);
  });

  it('falls back to root for owners the target cannot resolve, numeric ones included', () => {
    expect(result.ownerFallbacks).toEqual(expect.arrayContaining(['group 1001', 'group adm', 'user 1001', 'user demo']));
    expect(tree.get('/opt/demo/owned')).toMatchObject({ type: 'dir', uid: 0, gid: 0, mode: 0o755 });
  });

  it('writes %caps as security.capability and keeps setuid, config and link entries', () => {
    const caps = tree.get('/opt/demo/bin/demo-ping')?.xattrs?.['security.capability'];
    expect(caps).toBeDefined();
    expect(execSync(`getcap ${JSON.stringify(path.join(target, 'opt/demo/bin/demo-ping'))}`, { encoding: 'utf8' })).toMatch(/cap_net_raw=ep/);
    expect(tree.get('/opt/demo/bin/demo-su')).toMatchObject({ mode: 0o4755 });
    expect(tree.get('/opt/demo/etc/secret.conf')).toMatchObject({ type: 'file', mode: 0o600 });
    expect(tree.get('/opt/demo/share/links/hardlink1.txt')?.sha256).toBe(tree.get('/opt/demo/share/links/original.txt')?.sha256);
    expect(tree.get('/opt/demo/share/links/dangling-symlink')).toMatchObject({ type: 'symlink', target: 'does-not-exist' });
  });
});
