// Issue 6 on real Debian packages: compose minbase, emit its jigdo as a .deb into a copy of the
// mirror (indexed by apt-ftparchive, as a mirror operator would), then rebuild the commit in a
// fresh repo that never sees the compose repo, from that mirror alone (loopback, requests
// counted): same checksum, `ostree fsck`, identical `ostree checkout`. Then an upgrade of one
// rebuilt package fetches only it and the new jigdo, and a SIGKILL mid-assemble is survived.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMinbaseMirror, MINBASE_MIRROR } from '../helpers/deb-mirror.js';
import { upgradedDebMirror } from '../helpers/deb-upgrade.js';
import { serveWithFaults } from '../helpers/fault-server.js';
import { describeResult, ok, runJigtree, runOstree, startJigtree } from '../helpers/ostree-cli.js';
import { diffManifests, manifestOfDir } from '../helpers/tree-manifest.js';

const exec = promisify(execFile);

type AssembleJson = {
  status: string;
  commit: string;
  ref: string;
  packages: { total: number; needed: number; downloaded: number; cached: number; bytesDownloaded: number };
  jigdo: { bytesDownloaded: number; parts: number; partsFetched: number };
};
type JigdoJson = { commit: string; setBytes: number; packageBytes: number; package?: { file: string; name: string; size: number } };

let work: string;
const REF = 'test/debian/minbase';

function treefile(baseurl: string): string {
  return [
    `ref: ${REF}`,
    'arch: amd64',
    'repos:',
    `  - {id: bookworm, kind: apt, baseurl: "${baseurl}", suite: bookworm, components: [main], trusted: true}`,
    'bootstrap: minbase',
    'recommends: false',
    'automatic-version-prefix: "12.<date:%Y%m%d>"',
    'timestamp: 1767225600',
  ].join('\n');
}

const jigtree = (what: string, args: string[]): Promise<string> => ok(what, runJigtree(args));

async function fsckOk(repo: string): Promise<void> {
  const r = await runOstree(['fsck', `--repo=${repo}`]);
  expect(r.code, describeResult('ostree fsck', r)).toBe(0);
}

async function revParse(repo: string): Promise<string> {
  return (await jigtree('rev-parse', ['rev-parse', '--repo', repo, REF])).trim();
}

/** What a mirror operator does: drop the package into the pool and re-index with apt-ftparchive. */
async function publishDeb(mirror: string): Promise<void> {
  const dists = path.join(mirror, 'dists', 'bookworm');
  const pkgs = path.join(dists, 'main', 'binary-amd64', 'Packages');
  const { stdout } = await exec('apt-ftparchive', ['packages', 'pool'], { cwd: mirror, maxBuffer: 1 << 28 });
  await rm(pkgs, { force: true });
  await rm(`${pkgs}.gz`, { force: true });
  await rm(`${pkgs}.xz`, { force: true });
  await writeFile(pkgs, stdout);
  await exec('sh', ['-c', `gzip -9nk ${pkgs}`]);
  const rel = await exec('apt-ftparchive', ['-o', 'APT::FTPArchive::Release::Suite=bookworm', '-o', 'APT::FTPArchive::Release::Codename=bookworm', '-o', 'APT::FTPArchive::Release::Architectures=amd64', '-o', 'APT::FTPArchive::Release::Components=main', 'release', '.'], { cwd: dists, maxBuffer: 1 << 24 });
  await rm(path.join(dists, 'Release'), { force: true });
  await writeFile(path.join(dists, 'Release'), rel.stdout);
}

/** Emits the commit's jigdo as a .deb into the mirror copy's pool and re-indexes it. */
async function emitInto(repo: string, mirror: string): Promise<JigdoJson> {
  const out = path.join(mirror, 'pool', 'main', 'j', 'jigdo');
  const r = JSON.parse(await jigtree('jigdo', ['jigdo', REF, '--repo', repo, '-o', out, '--as-package', 'deb', '--json'])) as JigdoJson;
  expect(r.package?.file).toMatch(/\.deb$/);
  await publishDeb(mirror);
  return r;
}

beforeAll(async () => {
  await buildMinbaseMirror();
  work = await mkdtemp(path.join(os.tmpdir(), 'jigtree-jigdo-deb-'));
}, 600_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('jigdo: Debian minbase', () => {
  const composeRepo = (): string => path.join(work, 'compose-repo');
  const composeCache = (): string => path.join(work, 'compose-cache');
  const clientRepo = (): string => path.join(work, 'client-repo');
  const clientCache = (): string => path.join(work, 'client-cache');
  let mirror1: string;
  let composed: string;
  let jigdo1: JigdoJson;

  it('emits a jigdo .deb that dpkg-deb reads, pinning every package exactly, a small fraction of their size', async () => {
    await writeFile(path.join(work, 'minbase.yaml'), treefile(MINBASE_MIRROR));
    const c = JSON.parse(await jigtree('compose', ['compose', path.join(work, 'minbase.yaml'), '--repo', composeRepo(), '--cachedir', composeCache(), '--json'])) as { packages: number };
    composed = await revParse(composeRepo());
    mirror1 = path.join(work, 'mirror-1');
    await exec('cp', ['-al', MINBASE_MIRROR, mirror1]);
    jigdo1 = await emitInto(composeRepo(), mirror1);
    expect(jigdo1.commit).toBe(composed);
    // Compact: the set is a small fraction of the packages it rebuilds from.
    expect(jigdo1.setBytes).toBeLessThan(jigdo1.packageBytes * 0.1);
    const info = await exec('dpkg-deb', ['-f', jigdo1.package?.file ?? '', 'Package', 'Depends']);
    expect(info.stdout).toContain(`Package: ${jigdo1.package?.name ?? ''}`);
    const deps = /^Depends: (.*)$/m.exec(info.stdout)?.[1]?.split(', ') ?? [];
    expect(deps.length).toBe(c.packages);
    expect(deps.every((d) => / \(= [^)]+\)$/.test(d))).toBe(true);
  }, 600_000);

  it('assembles the same commit by name from that mirror alone, in a fresh repo', async () => {
    const server = await serveWithFaults(mirror1);
    try {
      const r = JSON.parse(await jigtree('assemble', ['assemble', jigdo1.package?.name ?? '', '--repo', clientRepo(), '--cachedir', clientCache(), '--mirror', server.url, '--suite', 'bookworm', '--json'])) as AssembleJson;
      expect(r.commit).toBe(composed);
      expect(r.packages.downloaded).toBe(r.packages.needed);
      expect(server.count('/pool/main/j/jigdo/', 'GET')).toBe(1);
      // Every .deb fetched came from this server, each once.
      const debs = server.requests.filter((q) => q.method === 'GET' && q.path.endsWith('.deb'));
      expect(debs.length).toBe(r.packages.needed + 1);
    } finally {
      await server.close();
    }
    expect(await revParse(clientRepo())).toBe(composed);
    await fsckOk(clientRepo());
    await jigtree('checkout', ['checkout', '--repo', composeRepo(), REF, path.join(work, 'co-a')]);
    await jigtree('checkout', ['checkout', '--repo', clientRepo(), REF, path.join(work, 'co-b')]);
    const a = await manifestOfDir(path.join(work, 'co-a'));
    const b = await manifestOfDir(path.join(work, 'co-b'));
    expect(diffManifests(a, b, { a: 'composed', b: 'assembled' })).toEqual([]);
    expect(a.size).toBeGreaterThan(1000);
    // `ostree checkout` (the real tool) of the assembled commit works too.
    const co = await runOstree(['checkout', `--repo=${clientRepo()}`, '-U', REF, path.join(work, 'co-ostree')]);
    expect(co.code, describeResult('ostree checkout', co)).toBe(0);
  }, 600_000);

  it('an upgrade of one package downloads only that package and the new jigdo', async () => {
    const mirror2 = path.join(work, 'mirror-2');
    const up = await upgradedDebMirror(MINBASE_MIRROR, mirror2, 'hostname');
    await writeFile(path.join(work, 'minbase-2.yaml'), treefile(mirror2));
    await jigtree('compose', ['compose', path.join(work, 'minbase-2.yaml'), '--repo', composeRepo(), '--cachedir', composeCache(), '--json']);
    const composed2 = await revParse(composeRepo());
    expect(composed2).not.toBe(composed);
    const jigdo2 = await emitInto(composeRepo(), mirror2);
    const server = await serveWithFaults(mirror2);
    try {
      const r = JSON.parse(await jigtree('assemble', ['assemble', jigdo2.package?.name ?? '', '--repo', clientRepo(), '--cachedir', clientCache(), '--mirror', server.url, '--suite', 'bookworm', '--json'])) as AssembleJson;
      expect(r.commit).toBe(composed2);
      expect(r.packages.needed).toBe(1);
      expect(r.packages.downloaded).toBe(1);
      const debs = server.requests.filter((q) => q.method === 'GET' && q.path.endsWith('.deb')).map((q) => path.basename(q.path)).sort();
      expect(debs).toEqual([path.basename(jigdo2.package?.file ?? ''), path.basename(up.file)].sort());
      expect(r.packages.bytesDownloaded).toBe(up.size);
    } finally {
      await server.close();
    }
    await fsckOk(clientRepo());
    expect(await revParse(clientRepo())).toBe(composed2);
  }, 600_000);

  it('SIGKILL during an assemble leaves a repo ostree fsck accepts; the rerun reuses what was fetched', async () => {
    const repo = path.join(work, 'killed-repo');
    const cache = path.join(work, 'killed-cache');
    const server = await serveWithFaults(mirror1);
    try {
      const started = startJigtree(['assemble', jigdo1.package?.name ?? '', '--repo', repo, '--cachedir', cache, '--mirror', server.url, '--suite', 'bookworm', '-v']);
      let stderr = '';
      await new Promise<void>((resolve) => {
        started.child.stderr?.on('data', (d: Buffer) => {
          stderr += d.toString();
          if ((stderr.match(/^import /gm) ?? []).length >= 10) resolve();
        });
        void started.done.then(() => {
          resolve();
        });
      });
      started.child.kill('SIGKILL');
      const killed = await started.done;
      expect(killed.signal, describeResult('killed assemble', killed)).toBe('SIGKILL');
      await fsckOk(repo);
      const refs = await runOstree(['refs', `--repo=${repo}`]);
      expect(refs.stdout.trim()).toBe('');
      const before = server.requests.filter((q) => q.method === 'GET' && q.path.endsWith('.deb')).length;
      const r = JSON.parse(await jigtree('assemble', ['assemble', jigdo1.package?.name ?? '', '--repo', repo, '--cachedir', cache, '--mirror', server.url, '--suite', 'bookworm', '--json'])) as AssembleJson;
      expect(r.commit).toBe(composed);
      // Packages whose objects were written before the kill are not needed again; the others
      // come from the download cache when they were fetched already.
      expect(r.packages.needed).toBeLessThan(r.packages.total);
      const after = server.requests.filter((q) => q.method === 'GET' && q.path.endsWith('.deb')).length - before;
      expect(after).toBeLessThan(r.packages.total);
    } finally {
      await server.close();
    }
    await fsckOk(repo);
    expect((await readdir(path.join(repo, 'refs', 'heads'), { recursive: true })).length).toBeGreaterThan(0);
  }, 600_000);
});
