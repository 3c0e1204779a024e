// Issue 5, RPM side: compose the make-rpm-repo fixture tree and check it against the real tools:
// `ostree fsck`, `rpm -i --noscripts --nodeps --root` of the same packages (path by path, file
// capabilities included), the same commit checksum in a fresh repo, "no change", and the
// commit metadata rpm-ostree clients read.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runJigtree, runOstree } from '../helpers/ostree-cli.js';
import { isRpmOwnPath, rpmInstallRoot } from '../helpers/rpm-install-root.js';
import { ensureRpmRepo } from '../helpers/signed-repos.js';
import { diffManifests, filterManifest, manifestOfDir } from '../helpers/tree-manifest.js';

type ComposeJson = { status: string; commit?: string; version?: string; packages: number; packageList: { name: string; evr: string; arch: string }[]; import: { imported: number; reused: number } };

let work: string;
let repoDir: string;
let treefile: string;

async function compose(args: string[]): Promise<ComposeJson> {
  const r = await runJigtree(['compose', ...args, '--json']);
  expect(r.code, describeResult('jigtree compose', r)).toBe(0);
  return JSON.parse(r.stdout) as ComposeJson;
}

beforeAll(async () => {
  repoDir = await ensureRpmRepo();
  work = await mkdtemp(path.join(os.tmpdir(), 'jigtree-compose-rpm-'));
  treefile = path.join(work, 'demo.yaml');
  await writeFile(
    treefile,
    [
      'ref: test/demo/app',
      'arch: x86_64',
      'repos:',
      `  - {id: demo, kind: rpm-md, baseurl: "${repoDir}", gpgcheck: false}`,
      'packages: [demo-filesystem, demo-app, demo-files, demo-user]',
      'automatic-version-prefix: "1.0"',
      'add-commit-metadata: {demo.builder: ci, demo.build: 7}',
      'timestamp: 1767225600',
    ].join('\n'),
  );
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('compose: RPM fixture tree', () => {
  let first: ComposeJson;

  it('commits a tree ostree fsck accepts, with version and package metadata', async () => {
    const repo = path.join(work, 'repo-a');
    first = await compose([treefile, '--repo', repo, '--cachedir', path.join(work, 'cache')]);
    expect(first.status).toBe('committed');
    expect(first.version).toBe('1.0');
    expect(first.packageList.map((p) => p.name)).toEqual(expect.arrayContaining(['demo-app', 'demo-libs', 'demo-glibc', 'demo-files', 'demo-user']));
    const fsck = await runOstree(['fsck', `--repo=${repo}`]);
    expect(fsck.code, describeResult('ostree fsck', fsck)).toBe(0);
    const show = await runOstree(['show', `--repo=${repo}`, '--print-metadata-key=rpmostree.rpmdb.pkglist', 'test/demo/app']);
    expect(show.stdout).toContain("('demo-app', '0', '2.0', '1', 'x86_64')");
    const extra = await runOstree(['show', `--repo=${repo}`, '--print-metadata-key=demo.build', 'test/demo/app']);
    // Encoded as `ostree commit --add-metadata='demo.build=int64 7'` encodes it (native order;
    // `ostree show` prints every metadata value byte-swapped, so compare the two printouts).
    const ref = path.join(work, 'ostree-ref');
    await mkdir(path.join(ref, 'empty'), { recursive: true });
    for (const args of [['init', `--repo=${ref}/r`, '--mode=archive'], ['commit', `--repo=${ref}/r`, '-b', 'x', "--add-metadata=demo.build=int64 7", `${ref}/empty`]]) {
      const r = await runOstree(args);
      expect(r.code, describeResult('ostree', r)).toBe(0);
    }
    const want = await runOstree(['show', `--repo=${ref}/r`, '--print-metadata-key=demo.build', 'x']);
    expect(extra.stdout).toBe(want.stdout);
    // A recompose of unchanged inputs stops before fetching; a change bumps the version.
    const again = await compose([treefile, '--repo', repo, '--cachedir', path.join(work, 'cache')]);
    expect(again).toMatchObject({ status: 'unchanged', commit: first.commit });
    const forced = await compose([treefile, '--repo', repo, '--cachedir', path.join(work, 'cache'), '--force']);
    expect(forced).toMatchObject({ status: 'committed', version: '1.0.1', import: { imported: 0, reused: forced.packages } });
  }, 120_000);

  it('gives the same commit checksum in a fresh archive repo', async () => {
    const b = await compose([treefile, '--repo', path.join(work, 'repo-b'), '--mode', 'archive', '--cachedir', path.join(work, 'cache-b')]);
    expect(b.commit).toBe(first.commit);
  }, 120_000);

  it('equals rpm -i --noscripts --nodeps --root of the same packages, path by path (--rootfs)', async () => {
    const ours = path.join(work, 'rootfs');
    const out = await compose([treefile, '--rootfs', ours, '--cachedir', path.join(work, 'cache')]);
    expect(out.status).toBe('rootfs');
    const theirs = path.join(work, 'rpmroot');
    // Merged /usr first, as Fedora's filesystem package provides it (and compose sets it up):
    // rpm then follows /bin into /usr/bin, as it does on every UsrMove system.
    for (const d of ['bin', 'sbin', 'lib', 'lib64']) {
      await mkdir(path.join(theirs, 'usr', d), { recursive: true });
      await symlink(`usr/${d}`, path.join(theirs, d));
    }
    const rpms = out.packageList.map((p) => path.join(repoDir, p.arch, `${p.name}-${p.evr}.${p.arch}.rpm`));
    const oracle = await rpmInstallRoot({ rpms, target: theirs });
    // rpm falls back to root for owners it cannot resolve (no scripts ran to create `demo`), as we do.
    expect(oracle.ownerFallbacks).toEqual(expect.arrayContaining(['user demo', 'group demo']));
    const caps = { xattrs: (n: string): boolean => n === 'security.capability' };
    const a = await manifestOfDir(ours, caps);
    const b = filterManifest(await manifestOfDir(theirs, caps), (p) => !isRpmOwnPath(p));
    expect(diffManifests(a, b, { a: 'jigtree', b: 'rpm' })).toEqual([]);
    expect([...a.values()].some((e) => e.xattrs?.['security.capability'] !== undefined)).toBe(true);
  }, 120_000);
});

describe('compose: the shipped example treefiles', () => {
  it('treefiles/rpm-demo.yaml composes from the fixture repository', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    // The example points at fixtures/build/rpm-repo relative to itself: copy both so the test
    // does not write into the checkout's repo directory.
    const dir = path.join(work, 'example');
    await cp(path.join(root, 'treefiles'), path.join(dir, 'treefiles'), { recursive: true });
    await mkdir(path.join(dir, 'fixtures/build'), { recursive: true });
    await symlink(path.dirname(repoDir), path.join(dir, 'fixtures/build/rpm-repo'));
    const out = await compose([path.join(dir, 'treefiles/rpm-demo.yaml'), '--repo', path.join(dir, 'repo'), '--cachedir', path.join(dir, 'cache')]);
    expect(out.status).toBe('committed');
    expect(out.packages).toBeGreaterThan(5);
  }, 120_000);
});
