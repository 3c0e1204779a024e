// `jigtree demo` (issue 6, "The whole story in one command"), run as a user runs it: the built CLI
// on the committed fixtures/demo mirrors. Per kind the composed and the assembled commit must be
// the same checksum, the assembled repo must pass the real `ostree fsck`, `ostree checkout` of
// both must give the same tree, and assemble must have read packages only from the mirror copy.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runJigtree, runOstree } from '../helpers/ostree-cli.js';
import { ROOT } from '../helpers/paths.js';
import { diffManifests, manifestOfDir } from '../helpers/tree-manifest.js';

const exec = promisify(execFile);

type KindJson = {
  kind: 'deb' | 'rpm';
  ref: string;
  mirror: { dir: string; url: string; packages: number; bytes: number };
  compose: { repo: string; commit: string; packages: number; packageBytes: number };
  jigdo: { file: string; name: string; size: number; setBytes: number; signed: boolean };
  assemble: {
    repo: string;
    commit: string;
    signer: string | undefined;
    packages: { total: number; needed: number; downloaded: number; cached: number; bytesDownloaded: number };
    urls: string[];
  };
  identical: boolean;
};
type DemoJson = { dir: string; fixturesDir: string; kinds: KindJson[]; identical: boolean };

const HEX64 = /^[0-9a-f]{64}$/;
let work: string;
let dir: string;
let demo: DemoJson;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'jigtree-demo-'));
  dir = path.join(work, 'demo');
  const r = await runJigtree(['demo', dir, '--json'], { cwd: work });
  expect(r.code, describeResult('jigtree demo --json', r)).toBe(0);
  demo = JSON.parse(r.stdout) as DemoJson;
}, 600_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function kind(k: 'deb' | 'rpm'): KindJson {
  const found = demo.kinds.find((x) => x.kind === k);
  if (found === undefined) throw new Error(`the demo ran no ${k} kind: ${JSON.stringify(demo.kinds.map((x) => x.kind))}`);
  return found;
}

describe('jigtree demo', () => {
  it('runs both kinds on the bundled fixtures and assembles each composed commit bit for bit', () => {
    expect(demo.fixturesDir).toBe(path.join(ROOT, 'fixtures', 'demo'));
    expect(demo.kinds.map((k) => k.kind)).toEqual(['deb', 'rpm']);
    expect(demo.identical).toBe(true);
    for (const k of demo.kinds) {
      expect(k.compose.commit, k.kind).toMatch(HEX64);
      expect(k.assemble.commit, k.kind).toBe(k.compose.commit);
      expect(k.identical).toBe(true);
      expect(k.jigdo.signed).toBe(true);
      expect(k.assemble.signer, `${k.kind}: the demo checks the jigdo's signature`).toMatch(/^[0-9A-F]{16}$/);
    }
    expect(kind('deb').compose.packages).toBe(5);
  });

  it('assembles from the mirror copy alone, with a cold download cache', async () => {
    for (const k of demo.kinds) {
      const copy = path.join(dir, k.kind, 'mirror');
      expect(k.mirror.dir).toBe(copy);
      expect(k.mirror.url).toBe(pathToFileURL(copy).href);
      // The jigdo package lives in the copy, not in the committed fixtures.
      expect(path.relative(copy, k.jigdo.file).startsWith('..'), k.jigdo.file).toBe(false);
      expect(existsSync(k.jigdo.file)).toBe(true);
      const fixtureFiles = await readdir(path.join(ROOT, 'fixtures', 'demo', k.kind), { recursive: true });
      expect(fixtureFiles.some((f) => f.includes('jigdo')), `${k.kind}: fixtures/demo stays untouched`).toBe(false);
      // Every package the commit needs was downloaded (none reused from a cache)...
      const p = k.assemble.packages;
      expect(p.needed).toBeGreaterThan(0);
      expect(p.downloaded).toBe(p.needed);
      expect(p.cached).toBe(0);
      // ...and each from the mirror copy; nothing came from the fixtures, the compose repo or its cache.
      const packageUrls = k.assemble.urls.filter((u) => /\.(deb|rpm)$/.test(u));
      expect(packageUrls.length).toBe(p.downloaded);
      for (const u of packageUrls) expect(u.startsWith(`${k.mirror.url}/`), u).toBe(true);
      for (const u of k.assemble.urls) expect(u.startsWith(pathToFileURL(path.join(dir, k.kind)).href), u).toBe(true);
    }
    // The Debian tree: every file of every package is in the commit, so all five are needed.
    expect(kind('deb').assemble.packages.downloaded).toBe(5);
  });

  it('the assembled repos pass ostree fsck and check out to the same trees as the compose repos', async () => {
    for (const k of demo.kinds) {
      const fsck = await runOstree(['fsck', `--repo=${k.assemble.repo}`]);
      expect(fsck.code, describeResult(`ostree fsck ${k.kind}`, fsck)).toBe(0);
      const rev = await runOstree(['rev-parse', `--repo=${k.assemble.repo}`, k.ref]);
      expect(rev.stdout.trim(), describeResult('ostree rev-parse', rev)).toBe(k.compose.commit);
      const a = path.join(work, `co-${k.kind}-composed`);
      const b = path.join(work, `co-${k.kind}-assembled`);
      for (const [repo, out] of [[k.compose.repo, a], [k.assemble.repo, b]] as const) {
        const co = await runOstree(['checkout', `--repo=${repo}`, '-U', k.ref, out]);
        expect(co.code, describeResult(`ostree checkout ${repo}`, co)).toBe(0);
      }
      const ma = await manifestOfDir(a, { xattrs: true });
      const mb = await manifestOfDir(b, { xattrs: true });
      expect(diffManifests(ma, mb, { a: 'composed', b: 'assembled' }), k.kind).toEqual([]);
      expect(ma.size, k.kind).toBeGreaterThan(20);
    }
  }, 300_000);

  it('the jigdo packages are ordinary packages that dpkg-deb and rpm read', async () => {
    const deb = await exec('dpkg-deb', ['-f', kind('deb').jigdo.file, 'Package', 'Depends']);
    expect(deb.stdout).toContain(`Package: ${kind('deb').jigdo.name}`);
    expect(deb.stdout).toMatch(/^Depends: .*netbase \(= 6\.4\)/m);
    const rpm = await exec('rpm', ['-qp', '--qf', '%{NAME}\\n', kind('rpm').jigdo.file]);
    expect(rpm.stdout.trim()).toBe(kind('rpm').jigdo.name);
  });

  it('a rerun in the same directory prints the steps and the side-by-side table, with the same checksums', async () => {
    const r = await runJigtree(['demo', dir], { cwd: work });
    expect(r.code, describeResult('jigtree demo', r)).toBe(0);
    for (const step of ['1. mirror', '2. compose', '3. jigdo', '4. assemble']) expect(r.stdout).toContain(step);
    const table = r.stdout.split('\n').filter((l) => /^(kind|deb|rpm) /.test(l));
    expect(table[0]).toMatch(/^kind\s+composed commit\s+assembled commit\s+identical\?$/);
    for (const k of demo.kinds) {
      // Composing the same treefile again gives the same commit, on any run.
      expect(table).toContainEqual(`${k.kind.padEnd(4)}  ${k.compose.commit}  ${k.compose.commit}  yes`);
    }
  }, 300_000);

  it('refuses a non-empty directory it did not make, and writes nothing there', async () => {
    const foreign = path.join(work, 'foreign');
    await mkdir(foreign);
    await writeFile(path.join(foreign, 'keep.txt'), 'mine\n');
    const r = await runJigtree(['demo', foreign], { cwd: work });
    expect(r.code, describeResult('jigtree demo foreign', r)).toBe(2);
    expect(r.stderr).toMatch(/foreign is not empty and was not made by jigtree demo/);
    expect(r.stdout).toBe('');
    expect(await readdir(foreign)).toEqual(['keep.txt']);
    // Nor a directory inside the fixtures (a rerun wipes <DIR>/deb, the mirrors are copied into DIR).
    const inside = await runJigtree(['demo', path.join(ROOT, 'fixtures', 'demo', 'work')], { cwd: work });
    expect(inside.code, describeResult('jigtree demo inside the fixtures', inside)).toBe(2);
    expect(inside.stderr).toMatch(/overlap/);
    expect(existsSync(path.join(ROOT, 'fixtures', 'demo', 'work'))).toBe(false);
  });

  it('names the missing fixture when --fixtures lacks one', async () => {
    const fixtures = path.join(work, 'no-fixtures');
    await mkdir(fixtures);
    await writeFile(path.join(fixtures, 'debian.yaml'), 'ref: x\n');
    const r = await runJigtree(['demo', path.join(work, 'demo-missing'), '--fixtures', fixtures, '--only', 'deb'], { cwd: work });
    expect(r.code, describeResult('jigtree demo --fixtures', r)).toBe(1);
    expect(r.stderr).toContain(`demo fixture ${path.join(fixtures, 'deb')}: not found`);
    expect(existsSync(path.join(work, 'demo-missing'))).toBe(false);
  });
});
