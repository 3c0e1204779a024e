// Issue 5, Debian side: compose minbase from the make-deb-mirror mirror served on loopback and
// check it against the real tools: `ostree fsck`, `mmdebstrap --variant=extract` of the same
// package set (path by path), `dpkg-query` on the written database, determinism across repos,
// "no change" on an unchanged recompose, and a one-package swap that fetches and imports only
// that package.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMinbaseMirror, MINBASE_MIRROR } from '../helpers/deb-mirror.js';
import { serveWithFaults, type FaultServer } from '../helpers/fault-server.js';
import { isMmdebstrapOwnPath, mmdebstrapExtract } from '../helpers/mmdebstrap-extract.js';
import { describeResult, runJigtree, runOstree } from '../helpers/ostree-cli.js';
import { diffManifests, filterManifest, manifestOfDir, type ManifestEntry } from '../helpers/tree-manifest.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

type ComposeJson = {
  status: string;
  commit?: string;
  inputhash: string;
  packages: number;
  packageList: { name: string; evr: string; arch: string }[];
  download: { bytes: number; fetched: number; reused: number };
  import: { imported: number; reused: number };
  objects: { written: number; reused: number };
};

let work: string;
let server: FaultServer;
let treefile: string;

function treefileText(extra = ''): string {
  return [
    'ref: test/debian/minbase',
    'arch: amd64',
    'repos:',
    `  - {id: bookworm, kind: apt, baseurl: "${server.url}", suite: bookworm, components: [main], trusted: true}`,
    'bootstrap: minbase',
    'recommends: false',
    'timestamp: 1767225600',
    extra,
  ].join('\n');
}

async function compose(args: string[]): Promise<ComposeJson> {
  const r = await runJigtree(['compose', ...args, '--json']);
  expect(r.code, describeResult('jigtree compose', r)).toBe(0);
  return JSON.parse(r.stdout) as ComposeJson;
}

async function fsckOk(repo: string): Promise<void> {
  const r = await runOstree(['fsck', `--repo=${repo}`]);
  expect(r.code, describeResult('ostree fsck', r)).toBe(0);
}

beforeAll(async () => {
  await buildMinbaseMirror();
  work = await mkdtemp(path.join(os.tmpdir(), 'jigtree-compose-deb-'));
  server = await serveWithFaults(MINBASE_MIRROR);
  treefile = path.join(work, 'minbase.yaml');
  await writeFile(treefile, treefileText());
}, 600_000);

afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('compose: Debian minbase', () => {
  let first: ComposeJson;
  const repoA = (): string => path.join(work, 'repo-a');
  const cache = (): string => path.join(work, 'cache');

  it('commits a tree ostree fsck accepts, with the dpkg database in /usr/share/dpkg/database', async () => {
    first = await compose([treefile, '--repo', repoA(), '--cachedir', cache()]);
    expect(first.status).toBe('committed');
    expect(first.packages).toBe(96);
    expect(first.download.fetched).toBe(96);
    expect(server.count('/pool/', 'GET')).toBe(96);
    await fsckOk(repoA());
    const co = path.join(work, 'checkout-a');
    // As root, so owners and setuid bits are applied as a deployment would have them.
    const r = await runOstree(['checkout', `--repo=${repoA()}`, 'test/debian/minbase', co]);
    expect(r.code, describeResult('ostree checkout', r)).toBe(0);
    const { stdout } = await exec('dpkg-query', [`--admindir=${co}/usr/share/dpkg/database`, '-W', '-f=${Package} ${Version} ${db:Status-Abbrev}\n']);
    const lines = stdout.trim().split('\n').map((l) => l.trimEnd()).sort();
    expect(lines).toEqual(first.packageList.map((p) => `${p.name} ${p.evr} iU`).sort());
    // `dpkg -L` reads the info/*.list files the compose wrote.
    const { stdout: files } = await exec('dpkg-query', [`--admindir=${co}/usr/share/dpkg/database`, '-L', 'bash']);
    expect(files.split('\n')).toContain('/usr/bin/bash');
  }, 300_000);

  it('equals mmdebstrap --variant=extract of the same packages, path by path (--rootfs)', async () => {
    const ours = path.join(work, 'rootfs');
    const out = await compose([treefile, '--rootfs', ours, '--cachedir', cache()]);
    expect(out.status).toBe('rootfs');
    const theirs = path.join(work, 'mmdebstrap');
    const mm = await mmdebstrapExtract({ packages: out.packageList.map((p) => `${p.name}=${p.evr}`), mirrorUrl: server.url, target: theirs, mergedUsr: true });
    // Excluded on both sides: what mmdebstrap itself made (its own list, computed from the
    // packages' contents), and the dpkg database, which mmdebstrap's extract does not write
    // (ours is checked with dpkg-query above).
    // The merged-usr hook also extracts its usr-is-merged package (documentation only) into the tree.
    const skip = (p: string): boolean => p.startsWith('/usr/share/doc/usr-is-merged') || mm.ownPaths.has(p) || isMmdebstrapOwnPath(p) && !mm.packagePaths.has(p) || p === '/var/lib/dpkg/status' || p.startsWith('/var/lib/dpkg/info/') || p === '/var/lib/dpkg/arch' || p.startsWith('/var/lib/dpkg/triggers/');
    const a = filterManifest(await manifestOfDir(ours, { xattrs: (n) => n === 'security.capability' }), (p) => !skip(p) && !isOurDpkgFile(p));
    const b = filterManifest(await manifestOfDir(theirs, { xattrs: (n) => n === 'security.capability' }), (p) => !skip(p));
    expect(a.size).toBeGreaterThan(8000);
    expect(diffManifests(a, b, { a: 'jigtree', b: 'mmdebstrap' })).toEqual([]);
  }, 600_000);

  it('commits the same tree after only the documented layout moves', async () => {
    const rootfs = await manifestOfDir(path.join(work, 'rootfs'));
    const co = await manifestOfDir(path.join(work, 'checkout-a'));
    // layout.ts: /etc -> /usr/etc; /var/lib/dpkg -> /usr/share/dpkg/database; the rest of /var and
    // /run become tmpfiles.d lines; generated files are ours (tmpfiles.d snippets, machine-id).
    const moved = new Map<string, ManifestEntry>();
    for (const [p, e] of rootfs) {
      if (p.startsWith('/usr/')) moved.set(p, e);
      else if (p === '/etc' || p.startsWith('/etc/')) moved.set(`/usr${p}`, e);
      else if (p === '/var/lib/dpkg' || p.startsWith('/var/lib/dpkg/')) moved.set(p.replace('/var/lib/dpkg', '/usr/share/dpkg/database'), e);
    }
    const generated = (p: string): boolean => p.startsWith('/usr/lib/tmpfiles.d/') || p === '/usr/etc/machine-id' || p === '/usr/share/dpkg/database' || p === '/usr/etc/default/useradd' || p === '/usr/etc/adduser.conf' || p === '/usr/local';
    const a = filterManifest(co, (p) => p.startsWith('/usr/') && !generated(p));
    const b = filterManifest(moved, (p) => !generated(p) && !p.startsWith('/usr/local/'));
    expect(diffManifests(a, b, { a: 'commit', b: 'rootfs+moves' })).toEqual([]);
    // The layout's own links and moves.
    expect(co.get('/home')).toMatchObject({ type: 'symlink', target: 'var/home' });
    expect(co.get('/bin')).toMatchObject({ type: 'symlink', target: 'usr/bin' });
    expect([...co.keys()].filter((p) => p.startsWith('/var/'))).toEqual([]);
    const tmpfiles = await readFile(path.join(work, 'checkout-a/usr/lib/tmpfiles.d/jigtree-0-integration.conf'), 'utf8');
    expect(tmpfiles).toContain('L /var/lib/dpkg - - - - ../../usr/share/dpkg/database');
  }, 120_000);

  it('gives the same commit checksum in a fresh repo, and says "no change" when nothing changed', async () => {
    const b = await compose([treefile, '--repo', path.join(work, 'repo-b'), '--cachedir', path.join(work, 'cache-b')]);
    expect(b.commit).toBe(first.commit);
    const before = server.count('/pool/');
    const again = await compose([treefile, '--repo', repoA(), '--cachedir', cache()]);
    expect(again.status).toBe('unchanged');
    expect(again.commit).toBe(first.commit);
    expect(server.count('/pool/')).toBe(before);
  }, 300_000);

  it('re-downloads and re-imports only the package a treefile change swaps in', async () => {
    // usrmerge and usr-is-merged both satisfy init-system-helpers' `usrmerge | usr-is-merged`;
    // excluding usrmerge swaps in usr-is-merged (and drops what only usrmerge needed).
    await writeFile(treefile, treefileText('exclude-packages: [usrmerge]'));
    const before = server.count('/pool/', 'GET');
    const swapped = await compose([treefile, '--repo', repoA(), '--cachedir', cache()]);
    expect(swapped.status).toBe('committed');
    const names = swapped.packageList.map((p) => p.name);
    expect(names).toContain('usr-is-merged');
    expect(names).not.toContain('usrmerge');
    expect(server.count('/pool/', 'GET') - before).toBe(1);
    expect(server.requests.filter((r) => r.path.startsWith('/pool/')).at(-1)?.path).toMatch(/usr-is-merged_.*\.deb$/);
    expect(swapped.download.fetched).toBe(1);
    expect(swapped.import).toEqual({ imported: 1, reused: swapped.packages - 1 });
    await fsckOk(repoA());
  }, 300_000);
});

/** Files our compose writes into /var/lib/dpkg that mmdebstrap's extract does not (checked with dpkg-query instead). */
function isOurDpkgFile(p: string): boolean {
  return ['/var/lib/dpkg/available', '/var/lib/dpkg/diversions', '/var/lib/dpkg/statoverride'].includes(p);
}
