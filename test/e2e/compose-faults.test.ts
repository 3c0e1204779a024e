// `jigtree compose` under faults (issue 5 tests "Faults" and "Bad treefiles"), with the real
// `ostree fsck` as the oracle for the repository:
// - a loopback mirror the test controls (fault-server.ts) serving two copies (m1/, m2/) of
//   make-rpm-repo's repository: HTTP 500, connection resets, truncated bodies, wrong packages
//   under the right name, a slow first mirror, a package no mirror serves. Every compose that
//   succeeds must give the very commit of a fault-free compose (timestamps are fixed, so the
//   commit checksum is a digest of everything that went in), and a failed one leaves the ref
//   where it was;
// - SIGKILL at seeded random points of a Debian minbase compose from the loopback mirror (in
//   fetch, twice in import, in commit): the repo passes fsck, the ref is absent or complete, the
//   download cache holds only verified files, and the reruns reuse exactly what was verified;
// - bad treefiles: one clear line naming the file and the problem, exit 2 (1 for the solver).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCliInProcess, type InProcessResult } from '../helpers/cli-inprocess.js';
import { buildMinbaseMirror, MINBASE_MIRROR, minbaseDebs } from '../helpers/deb-mirror.js';
import { serveWithFaults, type FaultRequest, type FaultServer } from '../helpers/fault-server.js';
import { describeResult, explainCommitDifference, ostreeFsck, runJigtree, runOstree, startJigtree, type CliResult } from '../helpers/ostree-cli.js';
import { ensureRpmRepo } from '../helpers/signed-repos.js';

/** The parts of `compose --json` these tests read (compose-plan.md, CLI). */
type ComposeJson = {
  status: 'committed' | 'unchanged' | 'rootfs' | 'dry-run';
  ref: string;
  commit: string | null;
  packages: number;
  download: { bytes: number; fetched: number; reused: number };
  import: { imported: number; reused: number };
  packageList: { name: string; evr: string; arch: string; digest: string; size: number }[];
};

let tmp: string;
let dirCounter = 0;

/** A fresh directory under the test's temp dir. */
async function freshDir(name: string): Promise<string> {
  dirCounter++;
  const dir = path.join(tmp, `${name}-${dirCounter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** The JSON document of a successful `compose --json`; fails the test with the run's output otherwise. */
function composeJson(what: string, r: CliResult): ComposeJson {
  expect(r.code, describeResult(what, r)).toBe(0);
  return JSON.parse(r.stdout) as ComposeJson;
}

/** `ostree fsck` must pass. */
async function expectFsck(repo: string, what: string): Promise<void> {
  const r = await ostreeFsck(repo);
  expect(r.code, describeResult(`ostree fsck after ${what}`, r)).toBe(0);
}

/** The commit `ref` points at (per the real ostree), or null when the ref does not exist. */
async function revParse(repo: string, ref: string): Promise<string | null> {
  const r = await runOstree(['rev-parse', `--repo=${repo}`, ref]);
  if (r.code !== 0) {
    expect(r.stderr, describeResult('ostree rev-parse', r)).toMatch(/not found|No such/i);
    return null;
  }
  expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  return r.stdout.trim();
}

/** The requests `server` saw since index `from`, for `urlPath` (GETs unless `method` says otherwise). */
function seen(server: FaultServer, from: number, urlPath: string, method = 'GET'): FaultRequest[] {
  return server.requests.slice(from).filter((r) => r.path === urlPath && r.method === method);
}

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jigtree-compose-faults-'));
});

// --- 1. Faults on an RPM compose -------------------------------------------------------------

describe('compose: faults of the package mirrors (rpm)', () => {
  const REF = 'demo/x86_64/app';
  const APP = 'x86_64/demo-app-2.0-1.x86_64.rpm';
  const FILES = 'x86_64/demo-files-1.0-1.x86_64.rpm';
  const DATA = 'noarch/demo-data-1.0-1.noarch.rpm';
  const LIBS = 'x86_64/demo-libs-2.0-1.x86_64.rpm';
  const EPOCH = 'noarch/demo-epoch-0.5-1.noarch.rpm';
  let server: FaultServer;
  let www: string;
  /** The commit of a compose without faults: every compose that succeeds must give it. */
  let baseline: string;
  /** The package files (relative to the repo root) a compose of the demo treefile fetches. */
  let packagePaths: string[];

  /** The demo treefile (treefiles/rpm-demo.yaml) on the two loopback mirrors, plus `over`. */
  async function treefile(over: Record<string, unknown> = {}): Promise<string> {
    const dir = await freshDir('treefile');
    const file = path.join(dir, 'demo.yaml');
    const doc = {
      ref: REF,
      arch: 'x86_64',
      repos: [{ id: 'demo', kind: 'rpm-md', mirrors: [`${server.url}/m1`, `${server.url}/m2`], gpgcheck: false }],
      packages: ['demo-filesystem', 'demo-app', 'demo-files', 'demo-user'],
      recommends: true,
      'automatic-version-prefix': '1.0',
      timestamp: '2026-01-01T00:00:00Z',
      ...over,
    };
    await writeFile(file, stringify(doc));
    return file;
  }

  /** `compose --json` into `repo` (fresh unless given) with a fresh download cache. */
  async function compose(file: string, repo?: string, ...flags: string[]): Promise<{ r: CliResult; repo: string }> {
    const target = repo ?? path.join(await freshDir('repo'), 'repo');
    const cache = await freshDir('cache');
    const r = await runJigtree(['compose', file, '--repo', target, '--cachedir', cache, ...flags], { timeoutMs: 60_000 });
    return { r, repo: target };
  }

  beforeAll(async () => {
    const src = await ensureRpmRepo();
    www = await freshDir('www');
    await cp(src, path.join(www, 'm1'), { recursive: true });
    await cp(src, path.join(www, 'm2'), { recursive: true });
    server = await serveWithFaults(www);
    const from = server.requests.length;
    const { r, repo } = await compose(await treefile(), undefined, '--json');
    const out = composeJson('fault-free compose', r);
    expect(out.status).toBe('committed');
    expect(out.commit).toMatch(/^[0-9a-f]{64}$/);
    baseline = out.commit ?? '';
    await expectFsck(repo, 'the fault-free compose');
    // Everything came from the first mirror; the second was never asked.
    const got = server.requests.slice(from);
    expect(got.filter((q) => q.path.startsWith('/m2/'))).toEqual([]);
    packagePaths = got.filter((q) => q.method === 'GET' && q.path.endsWith('.rpm')).map((q) => q.path.slice('/m1/'.length)).sort();
    expect(packagePaths).toHaveLength(out.packages);
    expect(packagePaths).toEqual(expect.arrayContaining([APP, FILES, DATA, LIBS]));
  });

  afterAll(async () => {
    await server.close();
  });

  /** A compose with the faults `arrange` programs must succeed with the baseline commit. */
  async function composeThrough(arrange: () => void): Promise<{ from: number; out: ComposeJson }> {
    server.clearFaults();
    arrange();
    const from = server.requests.length;
    const { r, repo } = await compose(await treefile(), undefined, '--json');
    server.clearFaults();
    const out = composeJson('compose through faults', r);
    expect(out.status).toBe('committed');
    expect(out.commit, 'the tree differs from the fault-free compose').toBe(baseline);
    expect(out.download.fetched).toBe(packagePaths.length);
    await expectFsck(repo, 'a compose through faults');
    return { from, out };
  }

  it('retries a package after HTTP 500 twice, on the same mirror', async () => {
    const { from } = await composeThrough(() => {
      server.fail(`/m1/${APP}`, { times: 2 });
    });
    expect(seen(server, from, `/m1/${APP}`).map((q) => [q.status, q.fault])).toEqual([
      [500, 'fail'],
      [500, 'fail'],
      [200, null],
    ]);
    expect(seen(server, from, `/m2/${APP}`)).toEqual([]);
  });

  it('resumes with Range after a connection reset in the middle of the body', async () => {
    const { from } = await composeThrough(() => {
      server.reset(`/m1/${FILES}`, { afterBytes: 4096, times: 1 });
    });
    const reqs = seen(server, from, `/m1/${FILES}`);
    expect(reqs[0]?.fault).toBe('reset');
    const resumed = reqs.slice(1).filter((q) => q.range !== null);
    expect(resumed.length, JSON.stringify(reqs)).toBeGreaterThan(0);
    const offset = Number(/^bytes=(\d+)-$/.exec(resumed[0]?.range ?? '')?.[1]);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(4096);
    expect(resumed[0]?.status).toBe(206);
    expect(seen(server, from, `/m2/${FILES}`)).toEqual([]);
  });

  it('resumes after a truncated body (full Content-Length, short body, FIN)', async () => {
    const { from } = await composeThrough(() => {
      server.truncate(`/m1/${DATA}`, { bytes: 5000, times: 1 });
    });
    const reqs = seen(server, from, `/m1/${DATA}`);
    expect(reqs.map((q) => q.fault)).toEqual(['truncate', null]);
    // The retry resumes from what it kept (Range) or, when the socket error won the race against
    // reading the buffered bytes, starts over; either way exactly one more request, and it succeeds.
    const retry = reqs[1];
    const offset = Number(/^bytes=(\d+)-$/.exec(retry?.range ?? '')?.[1] ?? 0);
    expect([retry?.range === null ? 200 : 206, offset >= 0 && offset <= 5000]).toEqual([retry?.status, true]);
  });

  it('fails over to mirror 2 when mirror 1 serves another package under the right name', async () => {
    // demo-app's name serves demo-libs (another size); demo-files's name serves a copy of
    // demo-files with one byte changed (the same size: only the digest can tell).
    const corrupt = path.join(await freshDir('corrupt'), 'demo-files.rpm');
    const bytes = await readFile(path.join(www, 'm1', FILES));
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
    await writeFile(corrupt, bytes);
    const { from } = await composeThrough(() => {
      server.substitute(`/m1/${APP}`, path.join(www, 'm1', LIBS));
      server.substitute(`/m1/${FILES}`, corrupt);
    });
    for (const p of [APP, FILES]) {
      expect(seen(server, from, `/m1/${p}`).map((q) => q.fault), p).toEqual(['substitute']);
      expect(seen(server, from, `/m2/${p}`).map((q) => q.status), p).toEqual([200]);
    }
    // Only the two bad packages were taken from the second mirror.
    const fromM2 = server.requests.slice(from).filter((q) => q.path.startsWith('/m2/')).map((q) => q.path).sort();
    expect(fromM2).toEqual([`/m2/${APP}`, `/m2/${FILES}`]);
  });

  it('gets every package through a slow first mirror (the second one healthy)', async () => {
    // A short stall before the headers and a throttled body, well under the fetch stall timeout.
    const { from } = await composeThrough(() => {
      for (const p of packagePaths) server.slow(`/m1/${p}`, { stallMs: 200, bytesPerSecond: 40_000 });
    });
    for (const p of packagePaths) expect(seen(server, from, `/m1/${p}`).map((q) => [q.fault, q.status]), p).toEqual([['slow', 200]]);
  });

  it('a package no mirror serves: exit 1, one line naming it and its URL, the ref stays where it was', async () => {
    const first = await compose(await treefile(), undefined, '--json');
    const out = composeJson('first compose', first.r);
    expect(out.commit).toBe(baseline);
    const repo = first.repo;
    // The second compose wants one more package (demo-epoch, not imported in the repo yet, so
    // it must be fetched) and other metadata; m1 does not have it, m2 fails with 500.
    const changed = await treefile({
      packages: ['demo-filesystem', 'demo-app', 'demo-files', 'demo-user', 'demo-epoch'],
      'add-commit-metadata': { 'example.note': 'second' },
    });
    const label = 'demo-epoch-2:0.5-1.noarch';
    const url2 = `${server.url}/m2/${EPOCH}`;
    for (const json of [true, false]) {
      server.clearFaults();
      server.fail(`/m1/${EPOCH}`, { status: 404 });
      server.fail(`/m2/${EPOCH}`, { status: 500 });
      const from = server.requests.length;
      const { r } = await compose(changed, repo, ...(json ? ['--json'] : []));
      server.clearFaults();
      expect(r.code, describeResult('compose with a package no mirror serves', r)).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at |TypeError|internal error/);
      // m1: 404 means "not here", no retry; m2: 500 is retried (3 retries after the first try).
      expect(seen(server, from, `/m1/${EPOCH}`).map((q) => q.status)).toEqual([404]);
      expect(seen(server, from, `/m2/${EPOCH}`).map((q) => q.status)).toEqual([500, 500, 500, 500]);
      let message: string;
      if (json) {
        // --json: stderr is exactly one line, the error as JSON.
        expect(r.stderr).toMatch(/^[^\n]+\n$/);
        const err = (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;
        expect(err.code).toBe('E_FETCH');
        message = err.message;
        expect(message).not.toContain('\n');
      } else {
        // Plain: the progress lines, then one `jigtree:` line, the last one.
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        const errors = lines.filter((l) => l.startsWith('jigtree:'));
        expect(errors, r.stderr).toHaveLength(1);
        expect(lines[lines.length - 1]).toBe(errors[0]);
        message = (errors[0] ?? '').slice('jigtree: '.length);
      }
      expect(message).toContain(`fetch ${label}`);
      expect(message).toContain(url2);
      expect(message).toContain('HTTP 500');
      expect(message).toContain('1 other URL failed too');
      expect(await revParse(repo, REF), 'the ref moved').toBe(baseline);
      await expectFsck(repo, 'a failed compose');
    }
  });
});

// --- 2. SIGKILL during a Debian minbase compose ----------------------------------------------

/** mulberry32: a tiny seeded PRNG, so the kill points are random but the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every regular file under `dir` (recursively), as paths relative to it; [] when it is missing. */
async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

describe('compose: SIGKILL at seeded random points (deb minbase from a loopback mirror)', () => {
  const SEED = 0x5eed2026;
  const REF = 'debian/12/x86_64/minbase';
  let server: FaultServer;
  let file: string;
  let repo: string;
  let cache: string;
  let plan: ComposeJson;
  /** URL path -> size of every .deb of the mirror. */
  const debs = new Map<string, number>();

  beforeAll(async () => {
    await buildMinbaseMirror();
    for (const deb of minbaseDebs()) debs.set(`/${path.relative(MINBASE_MIRROR, deb).split(path.sep).join('/')}`, (await stat(deb)).size);
    server = await serveWithFaults(MINBASE_MIRROR);
    const dir = await freshDir('minbase');
    file = path.join(dir, 'minbase.yaml');
    await writeFile(
      file,
      stringify({
        ref: REF,
        arch: 'amd64',
        repos: [{ id: 'bookworm', kind: 'apt', mirrors: [server.url], suite: 'bookworm', components: ['main'], trusted: true }],
        bootstrap: 'minbase',
        recommends: false,
        packages: [],
        'automatic-version-prefix': '12.<date:%Y%m%d>',
        timestamp: '2026-01-01T00:00:00Z',
      }),
    );
    repo = path.join(dir, 'repo');
    cache = path.join(dir, 'cache');
    plan = composeJson('compose --dry-run', await runJigtree(['compose', file, '--dry-run', '--json', '--cachedir', cache]));
    expect(plan.packages).toBeGreaterThan(50);
  });

  afterAll(async () => {
    await server.close();
  });

  const label = (p: ComposeJson['packageList'][number]): string => `${p.name}_${p.evr}_${p.arch}`;

  /** Digests (sha256:hex) of the verified packages in the download cache; every one must hash to its name. */
  async function verifiedDownloads(): Promise<Set<string>> {
    const root = path.join(cache, 'packages', 'sha256');
    const out = new Set<string>();
    for (const rel of await listFiles(root)) {
      const hex = path.basename(rel);
      expect(rel, 'a stray file in the download cache').toBe(path.join(hex.slice(0, 2), hex));
      expect(await sha256File(path.join(root, rel)), `cache file ${rel} is corrupt`).toBe(hex);
      out.add(`sha256:${hex}`);
    }
    return out;
  }

  /** Unfinished downloads: digest -> bytes in its .part. */
  async function partials(): Promise<Map<string, number>> {
    const dir = path.join(cache, 'packages', 'partial');
    const out = new Map<string, number>();
    for (const rel of await listFiles(dir)) out.set(`sha256:${rel.replace(/\.part$/, '')}`, (await stat(path.join(dir, rel))).size);
    return out;
  }

  /** Digests of the packages with an import record in the repo; every record must be whole JSON. */
  async function importRecords(): Promise<Set<string>> {
    const dir = path.join(repo, 'extensions', 'jigtree', 'imports');
    const out = new Set<string>();
    for (const rel of await listFiles(dir)) {
      const m = /^sha256-([0-9a-f]{64})\.json$/.exec(rel);
      if (m === null) continue;
      const rec = JSON.parse(await readFile(path.join(dir, rel), 'utf8')) as { digest?: unknown };
      expect(rec.digest, `import record ${rel}`).toBe(`sha256:${m[1] ?? ''}`);
      out.add(`sha256:${m[1] ?? ''}`);
    }
    return out;
  }

  /** After a kill: fsck passes, the ref is absent or names a complete commit, the caches are sound. */
  async function checkAfterKill(what: string): Promise<{ commit: string | null; downloads: Set<string>; imports: Set<string>; parts: Map<string, number> }> {
    await expectFsck(repo, what);
    const commit = await revParse(repo, REF);
    if (commit !== null) {
      expect(existsSync(path.join(repo, 'state', `${commit}.commitpartial`)), `${what}: the ref names a partial commit`).toBe(false);
      const ls = await runOstree(['ls', `--repo=${repo}`, '-R', commit, '/usr/bin']);
      expect(ls.code, describeResult('ostree ls', ls)).toBe(0);
    }
    return { commit, downloads: await verifiedDownloads(), imports: await importRecords(), parts: await partials() };
  }

  /** Runs `compose -v` and SIGKILLs it once `when` says so (checked on each stderr chunk and every 5 ms). */
  async function killWhen(when: (stderr: string) => boolean): Promise<{ r: CliResult; stderr: string; from: number }> {
    const from = server.requests.length;
    const started = startJigtree(['compose', file, '--repo', repo, '--cachedir', cache, '-v'], { timeoutMs: 90_000 });
    let stderr = '';
    let killed = false;
    const check = (): void => {
      if (!killed && when(stderr)) {
        killed = true;
        started.child.kill('SIGKILL');
      }
    };
    started.child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      check();
    });
    const timer = setInterval(check, 5);
    const r = await started.done;
    clearInterval(timer);
    // A compose that got to its end before the kill is allowed (the last point is in commit).
    if (r.code !== 0) expect(r.signal, describeResult('compose to be killed', r)).toBe('SIGKILL');
    return { r, stderr, from };
  }

  const importLines = (stderr: string): number => stderr.split('\n').filter((l) => l.startsWith('import ')).length;

  it('leaves a sound repo and cache after each kill, and the reruns reuse what was verified', async () => {
    const rand = prng(SEED);
    const total = plan.packages;

    // Kill 1, in fetch: every .deb throttled; killed once k downloads were fully served.
    for (const p of debs.keys()) server.slow(p, { bytesPerSecond: 1_500_000 });
    const k1 = 12 + Math.floor(rand() * 20);
    const start1 = server.requests.length;
    const served = (): number => server.requests.slice(start1).filter((q) => q.method === 'GET' && q.status === 200 && q.bytes === debs.get(q.path)).length;
    const run1 = await killWhen(() => served() >= k1);
    server.clearFaults();
    expect(run1.r.signal, 'the kill in fetch came too late').toBe('SIGKILL');
    const s1 = await checkAfterKill(`kill 1 (fetch, after ${k1} downloads)`);
    expect(s1.commit).toBeNull();
    expect(s1.imports.size).toBe(0);
    expect(s1.downloads.size, 'no download finished before the kill').toBeGreaterThan(0);
    expect(s1.downloads.size).toBeLessThan(total);

    // Kill 2, in import: the rerun fetches only what is not verified yet, resuming each .part.
    const k2 = 5 + Math.floor(rand() * 40);
    const run2 = await killWhen((e) => importLines(e) >= k2);
    expect(run2.r.signal, 'the kill in import came too late').toBe('SIGKILL');
    const fetchedNames = run2.stderr.split('\n').flatMap((l) => /^fetch (\S+) from /.exec(l)?.[1] ?? []).sort();
    // (A .part killed after its last byte is verified and renamed without the network.)
    const missing = plan.packageList.filter((p) => !s1.downloads.has(p.digest) && s1.parts.get(p.digest) !== p.size);
    expect(fetchedNames).toEqual(missing.map(label).sort());
    expect(fetchedNames.length).toBeLessThan(total);
    for (const [digest, bytes] of s1.parts) {
      const pkg = plan.packageList.find((p) => p.digest === digest);
      if (pkg === undefined || bytes === 0 || bytes >= pkg.size) continue;
      const asked = server.requests.slice(run2.from).filter((q) => q.method === 'GET' && q.range !== null).map((q) => q.range);
      expect(asked, `${label(pkg)}: its ${bytes}-byte .part was not resumed`).toContain(`bytes=${bytes}-`);
    }
    const s2 = await checkAfterKill(`kill 2 (import, after ${k2} packages)`);
    expect(s2.commit).toBeNull();
    expect(s2.downloads.size).toBe(total);

    // Kill 3, later in import: the records of kill 2's run are reused ("(cached)").
    const k3 = s2.imports.size + 1 + Math.floor(rand() * Math.max(1, total - s2.imports.size - 2));
    const run3 = await killWhen((e) => importLines(e) >= k3);
    expect(run3.stderr.split('\n').filter((l) => /^fetch /.test(l) && / from /.test(l)), 'kill 3 run fetched again').toEqual([]);
    const s3 = await checkAfterKill(`kill 3 (import, after ${k3} packages)`);
    for (const d of s2.imports) expect(s3.imports.has(d), 'an import record disappeared').toBe(true);

    // Kill 4, in commit: some time after assemble ended (the run may also finish first).
    const delay = Math.floor(rand() * 600);
    let assembledAt: number | undefined;
    const run4 = await killWhen((e) => {
      if (assembledAt === undefined && /^assemble: /m.test(e)) assembledAt = performance.now();
      return assembledAt !== undefined && performance.now() - assembledAt >= delay;
    });
    const s4 = await checkAfterKill(`kill 4 (${delay} ms after assemble${run4.r.code === 0 ? '; the compose finished first' : ''})`);

    // The final rerun completes, fetching nothing verified and re-importing nothing recorded.
    const final = composeJson('final rerun', await runJigtree(['compose', file, '--repo', repo, '--cachedir', cache, '--json'], { timeoutMs: 90_000 }));
    expect(final.packages).toBe(total);
    if (s4.commit !== null) {
      expect(final.status).toBe('unchanged');
      expect(final.commit).toBe(s4.commit);
    } else {
      expect(final.status).toBe('committed');
      const notImported = plan.packageList.filter((p) => !s4.imports.has(p.digest));
      expect(final.import.reused).toBe(total - notImported.length);
      expect(final.import.imported).toBe(notImported.length);
      expect(final.download.fetched).toBe(notImported.filter((p) => !s4.downloads.has(p.digest)).length);
      expect(final.download.fetched).toBe(0);
    }
    await expectFsck(repo, 'the final rerun');
    expect(await revParse(repo, REF)).toBe(final.commit);
    // Nothing is left half-done: no .part, no partial commit marker.
    expect(await partials()).toEqual(new Map());
    expect((await listFiles(path.join(repo, 'state'))).filter((f) => f.endsWith('.commitpartial'))).toEqual([]);

    // The interrupted composes built the same tree as one uninterrupted compose (into a fresh
    // repo, from the same download cache: nothing is downloaded again).
    const clean = path.join(await freshDir('clean'), 'repo');
    const once = composeJson('uninterrupted compose', await runJigtree(['compose', file, '--repo', clean, '--cachedir', cache, '--json'], { timeoutMs: 90_000 }));
    expect(once.download).toMatchObject({ fetched: 0, reused: total });
    expect(once.import).toEqual({ imported: total, reused: 0 });
    if (once.commit !== final.commit) expect.fail(await explainCommitDifference(repo, final.commit ?? '', clean, once.commit ?? ''));
  });
});

// --- 3. Bad treefiles ------------------------------------------------------------------------

describe('compose: bad treefiles get one clear line', () => {
  let dir: string;
  let rpmRepoUrl: string;

  beforeAll(async () => {
    dir = await freshDir('bad');
    rpmRepoUrl = pathToFileURL(await ensureRpmRepo()).href;
  });

  /** The repos block of a valid treefile (YAML lines). */
  const repos = (): string => `repos:\n  - id: demo\n    kind: rpm-md\n    baseurl: ${rpmRepoUrl}\n    gpgcheck: false\n`;

  async function write(name: string, text: string): Promise<string> {
    const f = path.join(dir, name);
    await writeFile(f, text);
    return f;
  }

  /** `compose FILE --repo R --cachedir C` in process; the repo must not have been created. */
  async function composeBad(f: string, ...flags: string[]): Promise<InProcessResult> {
    const repo = path.join(dir, `repo-${path.basename(f)}`);
    const r = await runCliInProcess('compose', f, '--repo', repo, '--cachedir', path.join(dir, 'cache'), ...flags);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at |TypeError|internal error/);
    expect(existsSync(repo), 'a bad treefile created the repo').toBe(false);
    return r;
  }

  /** A validation error: exit 2 and exactly `jigtree: FILE: <problem>` on stderr. */
  async function expectValidation(f: string, problem: string): Promise<void> {
    const r = await composeBad(f);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`jigtree: ${f}: ${problem}\n`);
  }

  it('unknown key: names the key, its line and the closest valid key', async () => {
    const f = await write('unknown-key.yaml', `ref: a/b\narch: x86_64\n${repos()}packages: [demo-app]\npackagez: [demo-files]\n`);
    await expectValidation(f, '/packagez: unknown treefile key "packagez"; did you mean "packages"? (line 9)');
  });

  it('wrong type: names the key, what was expected and what was found', async () => {
    const f = await write('wrong-type.yaml', `ref: a/b\narch: x86_64\n${repos()}packages: demo-app\n`);
    await expectValidation(f, '/packages: expected a list of strings, got the string "demo-app" (line 8)');
  });

  it('include cycle: names the include that closes it and the chain', async () => {
    const a = path.join(dir, 'cycle-a.yaml');
    const b = await write('cycle-b.yaml', 'include: cycle-a.yaml\n');
    await write('cycle-a.yaml', `include: cycle-b.yaml\nref: a/b\narch: x86_64\n${repos()}packages: [demo-app]\n`);
    const r = await composeBad(a);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`jigtree: ${b}: /include: include cycle: ${a} -> ${b} -> ${a} (line 1)\n`);
  });

  it('no repos (empty or missing): names the file and what to add', async () => {
    const empty = await write('no-repos.yaml', 'ref: a/b\narch: x86_64\nrepos: []\npackages: [demo-app]\n');
    await expectValidation(empty, 'no repos: add at least one entry to "repos"');
    const missing = await write('missing-repos.yaml', 'ref: a/b\narch: x86_64\npackages: [demo-app]\n');
    await expectValidation(missing, 'no repos: add at least one entry to "repos"');
  });

  it('a ref with "..": names the key and the rule', async () => {
    const f = await write('dotdot.yaml', `ref: demo/../app\narch: x86_64\n${repos()}packages: [demo-app]\n`);
    const r = await composeBad(f);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^jigtree: [^\n]+\n$/);
    expect(r.stderr.startsWith(`jigtree: ${f}: /ref: expected an ostree ref (`)).toBe(true);
    expect(r.stderr).toContain('no ".."');
    expect(r.stderr).toContain('got "demo/../app" (line 1)');
  });

  it('unknown package: exit 1, the solver names it', async () => {
    const f = await write('unknown-package.yaml', `ref: a/b\narch: x86_64\n${repos()}packages: [demo-app, no-such-package]\n`);
    const plain = await composeBad(f);
    expect(plain.code, plain.stderr).toBe(1);
    const lines = plain.stderr.split('\n').filter((l) => l !== '');
    const at = lines.findIndex((l) => l.startsWith('jigtree: '));
    expect(lines.slice(at)).toEqual([`jigtree: ${f}: the package set cannot be installed: Problem: No match for argument: no-such-package`]);
    const json = await composeBad(f, '--json');
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/^[^\n]+\n$/);
    const err = (JSON.parse(json.stderr) as { error: { code: string; message: string; data: { problems: string[] } } }).error;
    expect(err.code).toBe('E_SOLVE');
    expect(err.message).toBe(`${f}: the package set cannot be installed: Problem: No match for argument: no-such-package`);
    expect(err.data.problems).toEqual(['Problem: No match for argument: no-such-package']);
  });
});
