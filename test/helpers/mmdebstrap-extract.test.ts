import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMinbaseMirror, MINBASE_MIRROR, minbaseDebs } from './deb-mirror.js';
import { isMmdebstrapOwnPath, MMDEBSTRAP_OWN_PATHS, mmdebstrapExtract } from './mmdebstrap-extract.js';
import { serveDirectory, type StaticServer } from './static-server.js';
import { diffManifests, manifestOfDir } from './tree-manifest.js';

// A closed set of the minbase mirror: none of these has Depends or Pre-Depends.
const SET = ['gcc-12-base', 'libaudit-common', 'ncurses-base', 'usr-is-merged'];

let base: string;
let server: StaticServer;

beforeAll(async () => {
  await buildMinbaseMirror();
  server = await serveDirectory(MINBASE_MIRROR);
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-mmx-'));
}, 300_000);
afterAll(async () => {
  await server.close();
  await fs.rm(base, { recursive: true, force: true });
});

describe('mmdebstrapExtract', () => {
  it('extracts exactly the set, equal to dpkg-deb -x of the same debs apart from its own paths', async () => {
    const target = path.join(base, 'mm');
    const r = await mmdebstrapExtract({ packages: SET, mirrorUrl: server.url, target });
    expect(r.debs.map((d) => d.split('_')[0]).sort()).toEqual(SET);
    expect(server.requests.filter((l) => l.includes('.deb ')).length).toBe(SET.length);
    // The reference: the same .debs unpacked with dpkg-deb -x, no mmdebstrap involved.
    const ref = path.join(base, 'ref');
    await fs.mkdir(ref, { mode: 0o755 });
    await fs.chmod(ref, 0o755);
    for (const deb of minbaseDebs().filter((d) => SET.includes(path.basename(d).split('_')[0] ?? ''))) execFileSync('dpkg-deb', ['-x', deb, ref]);
    const exclude = (p: string): boolean => r.ownPaths.has(p);
    const diff = diffManifests(await manifestOfDir(target, { exclude }), await manifestOfDir(ref, { exclude }), { a: 'mmdebstrap', b: 'dpkg-deb' });
    expect(diff).toEqual([]);
    // The own paths are the documented ones: setup files, /dev, setup dirs no package ships.
    for (const p of r.ownPaths) expect(isMmdebstrapOwnPath(p), p).toBe(true);
    expect(r.ownPaths).toContain('/etc/apt/sources.list');
    expect(r.ownPaths).toContain('/dev/null');
    // With this set no package ships /etc/apt, so the setup directory is mmdebstrap's own.
    expect(r.ownPaths).toContain('/etc/apt');
    expect(r.packagePaths).toContain('/usr/share/doc/usr-is-merged');
    // merged-/usr is not set up in extract mode: /bin does not exist at all here.
    await expect(fs.lstat(path.join(target, 'bin'))).rejects.toThrow(/ENOENT/);
  }, 300_000);

  it('documents every own path it lists', () => {
    for (const [p, why] of MMDEBSTRAP_OWN_PATHS) {
      expect(p.startsWith('/')).toBe(true);
      expect(why.length).toBeGreaterThan(10);
    }
    expect(isMmdebstrapOwnPath('/usr/bin/env')).toBe(false);
  });
});
