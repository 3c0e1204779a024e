// Issue 6 on the rpmbuild fixture tree: the jigdo as an .rpm that rpm and createrepo_c read,
// assembled by name from a copy of the repo alone (signature checked with --keyring), and every
// kind of bad input: a tampered package, a mirror lacking packages, a tampered manifest, a wrong
// or missing signature, an unknown format version, a damaged part. Each is one clear error,
// nothing is set under the ref, and the repo passes `ostree fsck`.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWithFaults, type FaultServer } from '../helpers/fault-server.js';
import { describeResult, ok, runJigtree, runOstree, type CliResult } from '../helpers/ostree-cli.js';
import { ensureRpmRepo, makeGpgKey, type TestKey } from '../helpers/signed-repos.js';
import { diffManifests, manifestOfDir } from '../helpers/tree-manifest.js';

const exec = promisify(execFile);
const REF = 'test/demo/app';

type AssembleJson = { status: string; commit: string; signer?: string; packages: { total: number; needed: number; downloaded: number } };

let work: string;
let repoDir: string;
let composeRepo: string;
let composed: string;
let composedPackages: { name: string; evr: string; arch: string }[];
let key: TestKey;
let otherKey: TestKey;
let secretKey: string;
let server: FaultServer;
let mirror: string;
let set: string;
let signedSet: string;

const jigtree = (what: string, args: string[]): Promise<string> => ok(what, runJigtree(args));

async function fsckOk(repo: string): Promise<void> {
  const r = await runOstree(['fsck', `--repo=${repo}`]);
  expect(r.code, describeResult('ostree fsck', r)).toBe(0);
}

async function noRef(repo: string): Promise<void> {
  const r = await runOstree(['refs', `--repo=${repo}`]);
  expect(r.stdout.trim(), 'no ref may point at a partial commit').toBe('');
}

/** One failing assemble: exit 1, one line (plus an optional hint) on stderr. */
function oneLineFailure(r: CliResult): string {
  expect(r.code, describeResult('jigtree assemble', r)).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('jigtree: '));
  expect(lines.length, r.stderr).toBe(1);
  return lines[0] as string;
}

async function copySet(from: string, name: string): Promise<string> {
  const to = path.join(work, name);
  await cp(from, to, { recursive: true });
  return to;
}

let n = 0;
function fresh(): { repo: string; cache: string } {
  n++;
  return { repo: path.join(work, `client-${n}`), cache: path.join(work, `cache-${n}`) };
}

beforeAll(async () => {
  repoDir = await ensureRpmRepo();
  work = await mkdtemp(path.join(os.tmpdir(), 'jigtree-jigdo-rpm-'));
  key = await makeGpgKey(path.join(work, 'keys'), 'jigdo signer');
  otherKey = await makeGpgKey(path.join(work, 'keys'), 'someone else');
  secretKey = path.join(work, 'keys', 'signer.sec.asc');
  const { stdout } = await exec('gpg', ['--homedir', key.home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--armor', '--export-secret-keys', key.fingerprint]);
  await writeFile(secretKey, stdout);
  const treefile = path.join(work, 'demo.yaml');
  await writeFile(treefile, [
    `ref: ${REF}`,
    'arch: x86_64',
    'repos:',
    `  - {id: demo, kind: rpm-md, baseurl: "${repoDir}", gpgcheck: false}`,
    'packages: [demo-filesystem, demo-app, demo-files, demo-user]',
    'automatic-version-prefix: "1.0"',
    'timestamp: 1767225600',
  ].join('\n'));
  composeRepo = path.join(work, 'compose-repo');
  const c = JSON.parse(await jigtree('compose', ['compose', treefile, '--repo', composeRepo, '--cachedir', path.join(work, 'compose-cache'), '--json'])) as { commit: string; packageList: { name: string; evr: string; arch: string }[] };
  composed = c.commit;
  composedPackages = c.packageList;
  mirror = path.join(work, 'mirror');
  await exec('cp', ['-al', repoDir, mirror]);
  set = path.join(work, 'set');
  await jigtree('jigdo', ['jigdo', REF, '--repo', composeRepo, '-o', set]);
  signedSet = path.join(work, 'signed-set');
  await jigtree('jigdo', ['jigdo', REF, '--repo', composeRepo, '-o', signedSet, '--sign', secretKey]);
  server = await serveWithFaults(mirror);
}, 600_000);

afterAll(async () => {
  await server.close();
  await key.dispose();
  await otherKey.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('jigdo: RPM fixture tree', () => {
  it('signs the manifest so that gpg verifies it', async () => {
    const r = await exec('gpg', ['--homedir', key.home, '--batch', '--verify', path.join(signedSet, 'jigdo.json.asc'), path.join(signedSet, 'jigdo.json')]).then(() => 0, (e: unknown) => (e as { code: number }).code);
    expect(r).toBe(0);
  });

  it('wraps the set as an .rpm that rpm reads and createrepo_c indexes, pinning every package exactly', async () => {
    const out = JSON.parse(await jigtree('jigdo', ['jigdo', REF, '--repo', composeRepo, '-o', mirror, '--as-package', 'rpm', '--sign', secretKey, '--json'])) as { package: { file: string; name: string } };
    const req = (await exec('rpm', ['-qp', '--requires', out.package.file])).stdout.split('\n').filter((l) => l !== '' && !l.startsWith('rpmlib('));
    const want = composedPackages.map((p) => `${p.name}${p.arch === 'noarch' ? '' : '(x86-64)'} = ${p.evr}`).sort();
    expect(req.sort()).toEqual(want);
    const prov = (await exec('rpm', ['-qp', '--provides', out.package.file])).stdout;
    expect(prov).toContain(`jigtree-jigdo-commit(${composed})`);
    await exec('createrepo_c', ['--update', mirror]);
    const { stdout } = await exec('sh', ['-c', `zcat ${mirror}/repodata/*-primary.xml.gz`], { maxBuffer: 1 << 26 });
    expect(stdout).toContain(`<name>${out.package.name}</name>`);
  }, 300_000);

  it('assembles the commit by name from the mirror alone, signature checked', async () => {
    const { repo, cache } = fresh();
    const name = (await readdir(mirror)).find((f) => f.includes('-jigdo-') && f.endsWith('.rpm'))?.replace(/-[^-]+-[^-]+\.x86_64\.rpm$/, '') ?? '';
    expect(name).not.toBe('');
    const r = JSON.parse(await jigtree('assemble', ['assemble', name, '--repo', repo, '--cachedir', cache, '--mirror', server.url, '--keyring', key.publicArmored, '--json'])) as AssembleJson;
    expect(r.commit).toBe(composed);
    expect(r.signer).toBeDefined();
    await fsckOk(repo);
    await jigtree('checkout', ['checkout', '--repo', composeRepo, REF, path.join(work, 'co-a')]);
    await jigtree('checkout', ['checkout', '--repo', repo, REF, path.join(work, 'co-b')]);
    expect(diffManifests(await manifestOfDir(path.join(work, 'co-a')), await manifestOfDir(path.join(work, 'co-b')))).toEqual([]);
    // A second assemble finds the commit present and fetches nothing.
    const before = server.requests.length;
    const again = JSON.parse(await jigtree('assemble', ['assemble', path.join(set), '--repo', repo, '--cachedir', cache, '--mirror', server.url, '--json'])) as AssembleJson;
    expect(again.status).toBe('present');
    expect(server.requests.length).toBe(before);
  }, 300_000);

  it('emits the same bytes twice (set and package)', async () => {
    const again = path.join(work, 'set-again');
    await jigtree('jigdo', ['jigdo', REF, '--repo', composeRepo, '-o', again]);
    const list = async (d: string): Promise<string[]> => (await readdir(d, { recursive: true })).map(String).sort();
    expect(await list(again)).toEqual(await list(set));
    for (const f of await list(set)) {
      if (f === 'parts') continue;
      expect((await readFile(path.join(again, f))).equals(await readFile(path.join(set, f))), f).toBe(true);
    }
    const p1 = JSON.parse(await jigtree('jigdo', ['jigdo', REF, '--repo', composeRepo, '-o', path.join(work, 'pkg-1'), '--as-package', 'rpm', '--json'])) as { package: { sha256: string } };
    const p2 = JSON.parse(await jigtree('jigdo', ['jigdo', REF, '--repo', composeRepo, '-o', path.join(work, 'pkg-2'), '--as-package', 'rpm', '--json'])) as { package: { sha256: string } };
    expect(p1.package.sha256).toBe(p2.package.sha256);
  }, 120_000);

  it('assembles from a set URL and from a package URL, failing over from a dead mirror', async () => {
    const setServer = await serveWithFaults(work);
    try {
      const a = fresh();
      const r = JSON.parse(await jigtree('assemble', ['assemble', `${setServer.url}/set/`, '--repo', a.repo, '--cachedir', a.cache, '--mirror', 'http://127.0.0.1:9/dead', '--mirror', server.url, '--json'])) as AssembleJson;
      expect(r.commit).toBe(composed);
      expect(setServer.count('/set/jigdo.json', 'GET')).toBe(1);
      const pkg = (await readdir(mirror)).find((f) => f.includes('-jigdo-') && f.endsWith('.rpm'));
      expect(pkg).toBeDefined();
      const b = fresh();
      const r2 = JSON.parse(await jigtree('assemble', ['assemble', `${server.url}/${pkg ?? ''}`, '--repo', b.repo, '--cachedir', b.cache, '--mirror', server.url, '--json'])) as AssembleJson;
      expect(r2.commit).toBe(composed);
      await fsckOk(b.repo);
    } finally {
      await setServer.close();
    }
  }, 120_000);

  it('refuses a tampered package by name and writes nothing under the ref', async () => {
    const bad = path.join(work, 'mirror-tampered');
    await exec('cp', ['-al', repoDir, bad]);
    const m = JSON.parse(await readFile(path.join(set, 'jigdo.json'), 'utf8')) as { packages: { name: string; location: string }[] };
    const loc = (name: string): string => m.packages.find((p) => p.name === name)?.location ?? '';
    const victim = path.join(bad, loc('demo-app'));
    await rm(victim);
    await cp(path.join(bad, loc('demo-libs')), victim);
    const { repo, cache } = fresh();
    const line = oneLineFailure(await runJigtree(['assemble', set, '--repo', repo, '--cachedir', cache, '--mirror', bad]));
    expect(line).toContain('demo-app');
    expect(line).toMatch(/sha256|digest|expected/);
    await fsckOk(repo);
    await noRef(repo);
  }, 120_000);

  it('names every package a mirror lacks in one error', async () => {
    const thin = path.join(work, 'mirror-thin');
    await exec('cp', ['-al', repoDir, thin]);
    const m = JSON.parse(await readFile(path.join(set, 'jigdo.json'), 'utf8')) as { packages: { name: string; location: string }[] };
    for (const name of ['demo-app', 'demo-libs']) await rm(path.join(thin, m.packages.find((p) => p.name === name)?.location ?? 'none'));
    const { repo, cache } = fresh();
    const line = oneLineFailure(await runJigtree(['assemble', set, '--repo', repo, '--cachedir', cache, '--mirror', thin]));
    expect(line).toContain('demo-app');
    expect(line).toContain('demo-libs');
    expect(line).toMatch(/2 of \d+ packages could not be fetched/);
    await noRef(repo);
  }, 120_000);

  it('refuses a tampered signed manifest before fetching any package', async () => {
    const t = await copySet(signedSet, 'set-tampered');
    const m = await readFile(path.join(t, 'jigdo.json'), 'utf8');
    await writeFile(path.join(t, 'jigdo.json'), m.replace(`"ref": "${REF}"`, '"ref": "test/evil"'));
    const before = server.requests.length;
    const { repo, cache } = fresh();
    const line = oneLineFailure(await runJigtree(['assemble', t, '--repo', repo, '--cachedir', cache, '--mirror', server.url, '--keyring', key.publicArmored]));
    expect(line).toMatch(/signature/i);
    expect(server.requests.length).toBe(before);
  }, 120_000);

  it('refuses a signature by another key, and an unsigned set when a keyring is given, before fetching', async () => {
    const before = server.requests.length;
    const a = fresh();
    expect(oneLineFailure(await runJigtree(['assemble', signedSet, '--repo', a.repo, '--cachedir', a.cache, '--mirror', server.url, '--keyring', otherKey.publicArmored]))).toMatch(/signature|key/i);
    const b = fresh();
    expect(oneLineFailure(await runJigtree(['assemble', set, '--repo', b.repo, '--cachedir', b.cache, '--mirror', server.url, '--keyring', key.publicArmored]))).toMatch(/not signed/);
    expect(server.requests.length).toBe(before);
  }, 120_000);

  it('refuses a manifest whose commit object does not hash to its checksum, before fetching', async () => {
    const t = await copySet(set, 'set-bad-commit');
    const m = JSON.parse(await readFile(path.join(t, 'jigdo.json'), 'utf8')) as { commit: string };
    const flipped = m.commit.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await writeFile(path.join(t, 'jigdo.json'), (await readFile(path.join(t, 'jigdo.json'), 'utf8')).replace(`"commit": "${m.commit}"`, `"commit": "${flipped}"`));
    const before = server.requests.length;
    const { repo, cache } = fresh();
    const line = oneLineFailure(await runJigtree(['assemble', t, '--repo', repo, '--cachedir', cache, '--mirror', server.url]));
    expect(line).toContain('commitObject');
    expect(server.requests.length).toBe(before);
  }, 120_000);

  it('names an unknown format version', async () => {
    const t = await copySet(set, 'set-v2');
    await writeFile(path.join(t, 'jigdo.json'), (await readFile(path.join(t, 'jigdo.json'), 'utf8')).replace('"version": 1,', '"version": 2,'));
    const { repo, cache } = fresh();
    const line = oneLineFailure(await runJigtree(['assemble', t, '--repo', repo, '--cachedir', cache, '--mirror', server.url]));
    expect(line).toContain('jigdo.json');
    expect(line).toContain('format version 2 is newer');
  }, 120_000);

  it('refuses a damaged part by name', async () => {
    const t = await copySet(set, 'set-bad-part');
    const parts = await readdir(path.join(t, 'parts'));
    const files = parts.find((p) => p.endsWith('.files')) ?? '';
    const bytes = await readFile(path.join(t, 'parts', files));
    bytes.writeUInt8((bytes.readUInt8(bytes.length - 10) ^ 0xff) & 0xff, bytes.length - 10);
    await writeFile(path.join(t, 'parts', files), bytes);
    const { repo, cache } = fresh();
    const line = oneLineFailure(await runJigtree(['assemble', t, '--repo', repo, '--cachedir', cache, '--mirror', server.url]));
    expect(line).toContain(files.slice(0, 16));
    await noRef(repo);
  }, 120_000);
});

describe('jigdo: a bootable tree with large generated files', () => {
  /** Deterministic bytes (a stand-in kernel and initramfs: generated content no package holds). */
  function bytesOf(n: number, seed: number): Buffer {
    const b = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    return b;
  }
  const bootTreefile = async (name: string, osVersion: string): Promise<string> => {
    const dir = path.join(work, name);
    await rm(dir, { recursive: true, force: true });
    await exec('mkdir', ['-p', dir]);
    await writeFile(path.join(dir, 'vmlinuz'), bytesOf(3_000_000, 1));
    await writeFile(path.join(dir, 'initramfs.img'), bytesOf(2_500_000, 2));
    await writeFile(path.join(dir, 'os-release'), `NAME="jigtree test"\nID=jigtree-test\nVERSION_ID=${osVersion}\n`);
    const t = path.join(dir, 'boot.yaml');
    await writeFile(t, [
      'ref: test/demo/bootable',
      'arch: x86_64',
      'repos:',
      `  - {id: demo, kind: rpm-md, baseurl: "${repoDir}", gpgcheck: false}`,
      'packages: [demo-filesystem, demo-app]',
      'automatic-version-prefix: "1.0"',
      'timestamp: 1767225600',
      'add-files:',
      '  - [vmlinuz, /usr/lib/modules/6.1.0-test/vmlinuz]',
      '  - [initramfs.img, /usr/lib/modules/6.1.0-test/initramfs.img]',
      '  - [os-release, /etc/os-release]',
    ].join('\n'));
    return t;
  };
  type Part = { role: string; size: number; sha256: string };

  it('ships each large generated file as its own part, deploys with ostree admin, and an upgrade re-fetches only changed parts', async () => {
    const repo = path.join(work, 'boot-compose');
    const c1 = JSON.parse(await jigtree('compose', ['compose', await bootTreefile('boot-1', '1'), '--repo', repo, '--cachedir', path.join(work, 'compose-cache'), '--jigdo', path.join(work, 'boot-set-1'), '--json'])) as { commit: string };
    const m1 = JSON.parse(await readFile(path.join(work, 'boot-set-1', 'jigdo.json'), 'utf8')) as { parts: Part[] };
    const big = m1.parts.filter((p) => p.role === 'object');
    expect(big.length, 'the kernel and the initramfs travel alone').toBe(2);
    const client = path.join(work, 'boot-client');
    const cache = path.join(work, 'boot-client-cache');
    const a1 = JSON.parse(await jigtree('assemble', ['assemble', path.join(work, 'boot-set-1'), '--repo', client, '--cachedir', cache, '--mirror', repoDir, '--json'])) as AssembleJson & { jigdo: { partsFetched: number; bytesDownloaded: number } };
    expect(a1.commit).toBe(c1.commit);
    await fsckOk(client);

    // `ostree admin deploy` takes the assembled commit like any pulled one.
    const sysroot = path.join(work, 'sysroot');
    await exec('mkdir', ['-p', sysroot]);
    await exec('ostree', ['admin', 'init-fs', sysroot]);
    await exec('ostree', ['admin', 'os-init', 'test', `--sysroot=${sysroot}`]);
    await exec('ostree', ['pull-local', `--repo=${sysroot}/ostree/repo`, client, 'test/demo/bootable']);
    const dep = await runOstree(['admin', 'deploy', `--sysroot=${sysroot}`, '--os=test', 'test/demo/bootable']);
    expect(dep.code, describeResult('ostree admin deploy', dep)).toBe(0);
    const status = await runOstree(['admin', 'status', `--sysroot=${sysroot}`]);
    expect(status.stdout).toContain(c1.commit);
    // ostree marks deployment roots immutable; let the cleanup remove them.
    await exec('sh', ['-c', `chattr -i ${sysroot}/ostree/deploy/*/deploy/*.0 || true`]);

    // Only os-release changes: the big parts keep their names and are not fetched again.
    const c2 = JSON.parse(await jigtree('compose', ['compose', await bootTreefile('boot-2', '2'), '--repo', repo, '--cachedir', path.join(work, 'compose-cache'), '--jigdo', path.join(work, 'boot-set-2'), '--json'])) as { commit: string };
    const m2 = JSON.parse(await readFile(path.join(work, 'boot-set-2', 'jigdo.json'), 'utf8')) as { parts: Part[] };
    expect(m2.parts.filter((p) => p.role === 'object').map((p) => p.sha256).sort()).toEqual(big.map((p) => p.sha256).sort());
    const a2 = JSON.parse(await jigtree('assemble', ['assemble', path.join(work, 'boot-set-2'), '--repo', client, '--cachedir', cache, '--mirror', repoDir, '--json'])) as AssembleJson & { jigdo: { partsFetched: number; bytesDownloaded: number } };
    expect(a2.commit).toBe(c2.commit);
    expect(a2.packages.needed).toBe(0);
    expect(a2.jigdo.bytesDownloaded).toBeLessThan(100_000);
    await fsckOk(client);
  }, 300_000);
});
