// `jigtree resolve` end to end, in process (runCliInProcess): treefile → repository metadata →
// solver → lockfile, on make-rpm-repo's repository, small generated apt repositories signed with
// throwaway keys, and the real signed bookworm index (depsolve.md §4, §7; architecture.md §5 for
// exit codes). Every error case checks that stderr is one line naming what was wrong.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatLockfile, parseLockfile } from '../../src/lockfile/index.js';
import { runCliInProcess, type InProcessResult } from '../helpers/cli-inprocess.js';
import { APT_INDEX, DEBIAN_KEYRING, ensureRpmRepo, makeGpgKey, requireAptIndex, writeAptRepo, type TestKey } from '../helpers/signed-repos.js';

type JsonPackage = { name: string; evr: string; arch: string; repo: string; location: string; size: number; digest: string };
type JsonRule = { kind: string; package?: string; dep?: string; other?: string; text: string };
type JsonResult = { packages: JsonPackage[]; downloadSize: number; problems: { text: string; rules: JsonRule[] }[] };

let tmp: string;
let rpmRepo: string;
let counter = 0;

/** A fresh directory under the test's temp dir (a cache, an output...). */
async function freshDir(name: string): Promise<string> {
  counter++;
  const dir = path.join(tmp, `${name}-${counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Writes a treefile (YAML) and returns its absolute path. */
async function treefile(name: string, doc: Record<string, unknown>): Promise<string> {
  const file = path.join(tmp, `${name}.yaml`);
  await writeFile(file, stringify(doc));
  return file;
}

/** The rpm treefile on make-rpm-repo's repository, with `over` merged into the top level. */
function rpmDoc(packages: string[], over: Record<string, unknown> = {}, repo: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'test/rpm/demo',
    arch: 'x86_64',
    repos: [{ id: 'demo', kind: 'rpm-md', baseurl: pathToFileURL(rpmRepo).href, gpgcheck: false, ...repo }],
    packages,
    ...over,
  };
}

const resolveCli = (file: string, cache: string, ...flags: string[]): Promise<InProcessResult> => runCliInProcess('resolve', file, '--cachedir', cache, ...flags);

/**
 * Asserts that stderr is exactly one `jigtree: ...` line (plus, at most, the CLI's `hint:` line)
 * with no stack trace, and returns the error line.
 */
function oneLine(r: InProcessResult): string {
  expect(r.stderr).toMatch(/^jigtree: [^\n]+\n(hint: [^\n]+\n)?$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
  return r.stderr.split('\n')[0] ?? '';
}

const sha256File = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jt-resolve-cli-'));
  rpmRepo = await ensureRpmRepo();
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('rpm-md: make-rpm-repo, gpgcheck: false', () => {
  it('prints the set as name/evr/arch/repo lines and a size line; --json agrees; exit 0', async () => {
    const file = await treefile('happy', rpmDoc(['demo-app']));
    const cache = await freshDir('cache');
    const text = await resolveCli(file, cache);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const json = await resolveCli(file, cache, '--json');
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const parsed = JSON.parse(json.stdout) as JsonResult;
    expect(parsed.problems).toEqual([]);
    // demo-app: the best version (2.0) and its requirement closure, as dnf picks it.
    expect(parsed.packages.map((p) => `${p.name}-${p.evr}.${p.arch}`)).toEqual([
      'demo-app-2.0-1.x86_64',
      'demo-data-1.0-1.noarch',
      'demo-docs-1.0-1.noarch',
      'demo-filesystem-1.0-1.noarch',
      'demo-glibc-2.36-1.x86_64',
      'demo-libs-2.0-1.x86_64',
      'demo-sh-5.2-1.x86_64',
    ]);
    for (const p of parsed.packages) {
      expect(Object.keys(p).sort()).toEqual(['arch', 'digest', 'evr', 'location', 'name', 'repo', 'size']);
      expect(p.repo).toBe('demo');
      expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(p.size).toBeGreaterThan(0);
    }
    expect(parsed.downloadSize).toBe(parsed.packages.reduce((n, p) => n + p.size, 0));
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(parsed.packages.length + 1);
    expect(lines.slice(0, -1).map((l) => l.split(/ +/))).toEqual(parsed.packages.map((p) => [p.name, p.evr, p.arch, p.repo]));
    expect(lines.at(-1)).toMatch(new RegExp(`^${parsed.packages.length} packages, download size [\\d.]+ (B|kB|MB)$`));
  });

  it('--lockfile writes a lockfile parseLockfile accepts, with file:// locations whose sha256 matches', async () => {
    const file = await treefile('lock', rpmDoc(['demo-app', 'demo-big']));
    const out = path.join(await freshDir('out'), 'demo.lock.json');
    const r = await resolveCli(file, await freshDir('cache'), '--lockfile', out, '--json');
    expect(r.code).toBe(0);
    const text = await readFile(out, 'utf8');
    const lock = parseLockfile(text, out);
    expect(formatLockfile(lock)).toBe(text);
    expect(lock).toMatchObject({ version: 1, ref: 'test/rpm/demo', arch: 'x86_64' });
    expect(lock.repos).toEqual([{ id: 'demo', kind: 'rpm-md', baseurl: pathToFileURL(rpmRepo).href, revision: expect.any(String) as unknown }]);
    const printed = (JSON.parse(r.stdout) as JsonResult).packages;
    expect(lock.packages.map(({ name, evr, arch, repo, location, size, digest }) => ({ name, evr, arch, repo, location, size, digest }))).toEqual(printed);
    expect(lock.packages.map((p) => p.name)).toContain('demo-big');
    for (const p of lock.packages) {
      expect(p.kind).toBe('rpm');
      expect(p.location.startsWith(`${pathToFileURL(rpmRepo).href}/`)).toBe(true);
      const local = fileURLToPath(p.location);
      expect(path.isAbsolute(local)).toBe(true);
      expect(existsSync(local)).toBe(true);
      expect(p.digest).toBe(`sha256:${await sha256File(local)}`);
      expect(p.size).toBe((await readFile(local)).length);
    }
  });

  it('is deterministic: two runs with fresh caches write byte-identical lockfiles', async () => {
    const file = await treefile('determinism', rpmDoc(['demo-app', 'demo-meta', 'demo-user']));
    const outs: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      const out = path.join(await freshDir('det'), 'lock.json');
      const r = await resolveCli(file, await freshDir('cache'), '--lockfile', out);
      expect(r.code).toBe(0);
      outs.push(await readFile(out));
    }
    expect(outs[0]?.length).toBeGreaterThan(100);
    expect(outs[1]?.equals(outs[0] ?? Buffer.alloc(0))).toBe(true);
  });

  it('an unsatisfiable request exits 1 with the problem on stderr and writes no lockfile', async () => {
    const file = await treefile('unsat', rpmDoc(['demo-app', 'demo-nosuch']));
    const cache = await freshDir('cache');
    const out = path.join(await freshDir('out'), 'never.json');
    const text = await resolveCli(file, cache, '--lockfile', out);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('No match for argument: demo-nosuch');
    expect(existsSync(out)).toBe(false);
    const json = await resolveCli(file, cache, '--json', '--lockfile', out);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const parsed = JSON.parse(json.stdout) as JsonResult;
    expect(parsed.packages).toEqual([]);
    expect(parsed.downloadSize).toBe(0);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.rules[0]).toMatchObject({ kind: 'not-found', dep: 'demo-nosuch', text: 'No match for argument: demo-nosuch' });
    expect(existsSync(out)).toBe(false);
  });

  it('a second run with the same --cachedir takes the parsed primary from the cache', async () => {
    const file = await treefile('cache', rpmDoc(['demo-app']));
    const cache = await freshDir('cache');
    const cold = await resolveCli(file, cache, '-v');
    expect(cold.code).toBe(0);
    expect(cold.stderr).toMatch(/^demo: repodata\/[0-9a-f]{64}-primary\.xml\.xz: \d+ packages parsed$/m);
    expect(cold.stderr).not.toContain('from the cache');
    const warm = await resolveCli(file, cache, '-v');
    expect(warm.code).toBe(0);
    expect(warm.stderr).toMatch(/^demo: repodata\/[0-9a-f]{64}-primary\.xml\.xz: \d+ packages from the cache$/m);
    expect(warm.stderr).not.toContain('parsed');
    expect(warm.stdout).toBe(cold.stdout);
  });
});

describe('bad treefiles', () => {
  it('a YAML syntax error names the file and line (exit 1: a FormatError, see the note)', async () => {
    const file = path.join(tmp, 'syntax.yaml');
    await writeFile(file, 'ref: a/b\narch: x86_64\nrepos: [\n  - id: x\npackages: [a\n');
    const r = await resolveCli(file, await freshDir('cache'));
    // architecture.md §5 maps "bad flags or treefile" to exit 2, but the YAML parser's FormatError
    // (E_FORMAT) maps to 1 in cli/main.ts; recorded as it is, reported to the lead.
    expect(r.code).toBe(1);
    const line = oneLine(r);
    expect(line).toContain('syntax.yaml');
    expect(line).toMatch(/line 4\b/);
  });

  it('an unknown key is a validation error (exit 2) naming its JSON pointer', async () => {
    const file = await treefile('unknown-key', { ...rpmDoc(['demo-app']), 'packagez': ['x'] });
    const r = await resolveCli(file, await freshDir('cache'));
    expect(r.code).toBe(2);
    const line = oneLine(r);
    expect(line).toContain('unknown-key.yaml');
    expect(line).toContain('/packagez');
    expect(line).toContain('unknown treefile key "packagez"');
  });

  it('a missing arch is a validation error (exit 2) saying what is expected', async () => {
    const doc = rpmDoc(['demo-app']);
    delete doc['arch'];
    const file = await treefile('no-arch', doc);
    const r = await resolveCli(file, await freshDir('cache'));
    expect(r.code).toBe(2);
    const line = oneLine(r);
    expect(line).toContain('no-arch.yaml');
    expect(line).toContain('missing required key "arch"');
    expect(line).toContain('x86_64');
  });

  it('no treefile argument prints the usage (exit 2)', async () => {
    const r = await runCliInProcess('resolve');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: jigtree resolve TREEFILE/);
  });
});

describe('bad repositories', () => {
  it('a baseurl naming a missing directory is one line naming the URL (exit 1)', async () => {
    const url = pathToFileURL(path.join(tmp, 'no-such-repo')).href;
    const file = await treefile('missing-dir', rpmDoc(['demo-app'], {}, { baseurl: url }));
    const r = await resolveCli(file, await freshDir('cache'));
    expect(r.code).toBe(1);
    const line = oneLine(r);
    expect(line).toContain('repo demo');
    expect(line).toContain(url);
    expect(line).toContain('repodata/repomd.xml');
    expect(line).toMatch(/not found/);
  });

  it('http to a closed port is one line naming the URL, no stack trace (exit 1)', async () => {
    const file = await treefile('closed-port', rpmDoc(['demo-app'], {}, { baseurl: 'http://127.0.0.1:1/repo' }));
    const r = await resolveCli(file, await freshDir('cache'));
    expect(r.code).toBe(1);
    const line = oneLine(r);
    expect(line).toContain('repo demo');
    expect(line).toContain('http://127.0.0.1:1/repo/repodata/repomd.xml');
    expect(line).toMatch(/connection refused/);
  });

  describe('apt signatures (throwaway key)', () => {
    let key: TestKey;
    let root: string;
    const hex = (c: string): string => c.repeat(64);
    const paragraphs = [
      'Package: jt-hello\nVersion: 1.0-1\nArchitecture: amd64\nDepends: jt-lib (>= 1.0)\nFilename: pool/main/j/jt-hello/jt-hello_1.0-1_amd64.deb\nSize: 1234\nSHA256: ' + hex('a') + '\nDescription: greeting\n',
      'Package: jt-lib\nVersion: 1.2-1\nArchitecture: amd64\nFilename: pool/main/j/jt-lib/jt-lib_1.2-1_amd64.deb\nSize: 4321\nSHA256: ' + hex('b') + '\nDescription: library\n',
    ];

    beforeAll(async () => {
      key = await makeGpgKey(path.join(tmp, 'keys'));
      root = path.join(tmp, 'unsigned-apt');
      await writeAptRepo(root, { suite: 'testing', indexes: { 'main/amd64': paragraphs }, variants: [''], sign: 'none' });
    });

    afterAll(async () => {
      await key.dispose();
    });

    const aptDoc = (repo: Record<string, unknown>): Record<string, unknown> => ({
      ref: 'test/deb/tiny',
      arch: 'amd64',
      repos: [{ id: 'tiny', kind: 'apt', baseurl: pathToFileURL(root).href, suite: 'testing', components: ['main'], ...repo }],
      packages: ['jt-hello'],
    });

    it('an unsigned apt repo is a signature error (exit 1) naming the repo and Release', async () => {
      const file = await treefile('apt-unsigned', aptDoc({ 'signed-by': key.publicBinary }));
      const r = await resolveCli(file, await freshDir('cache'));
      expect(r.code).toBe(1);
      const line = oneLine(r);
      expect(line).toContain('repo tiny');
      expect(line).toContain('dists/testing/Release');
      expect(line).toMatch(/not signed/);
      expect(r.stderr).toMatch(/\nhint: .*trusted: true/);
    });

    it('a Release changed after it was signed is a bad-signature error (exit 1)', async () => {
      const signed = path.join(tmp, 'badsig-apt');
      const dists = await writeAptRepo(signed, { suite: 'testing', indexes: { 'main/amd64': paragraphs }, variants: [''], sign: { key, mode: 'detached' } });
      const release = path.join(dists, 'Release');
      await writeFile(release, (await readFile(release, 'utf8')).replace('Origin: jigtree-test', 'Origin: jigtree-tesT'));
      const file = await treefile('apt-badsig', { ...aptDoc({ 'signed-by': key.publicArmored }), repos: [{ id: 'tiny', kind: 'apt', baseurl: pathToFileURL(signed).href, suite: 'testing', 'signed-by': key.publicArmored }] });
      const r = await resolveCli(file, await freshDir('cache'));
      expect(r.code).toBe(1);
      const line = oneLine(r);
      expect(line).toContain('repo tiny');
      expect(line).toMatch(/Release(\.gpg)?\b/);
      expect(line).toMatch(/signature/i);
    });

    it('the signed, untouched repo resolves with its key (exit 0)', async () => {
      const signed = path.join(tmp, 'goodsig-apt');
      await writeAptRepo(signed, { suite: 'testing', indexes: { 'main/amd64': paragraphs }, variants: [''], sign: { key, mode: 'inrelease' } });
      const file = await treefile('apt-goodsig', { ...aptDoc({}), repos: [{ id: 'tiny', kind: 'apt', baseurl: pathToFileURL(signed).href, suite: 'testing', 'signed-by': key.publicBinary }] });
      const r = await resolveCli(file, await freshDir('cache'));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^jt-hello +1\.0-1 +amd64 +tiny\njt-lib +1\.2-1 +amd64 +tiny\n2 packages, download size 5\.6 kB\n$/);
    });

    it('an apt repo with neither signed-by nor trusted is a validation error (exit 2) naming the pointer', async () => {
      const file = await treefile('apt-nokey', aptDoc({}));
      const r = await resolveCli(file, await freshDir('cache'));
      expect(r.code).toBe(2);
      const line = oneLine(r);
      expect(line).toContain('apt-nokey.yaml');
      expect(line).toContain('/repos/0');
      expect(line).toContain('signed-by');
    });

    it('the same repo with trusted: true resolves (exit 0)', async () => {
      const file = await treefile('apt-trusted', aptDoc({ trusted: true }));
      const r = await resolveCli(file, await freshDir('cache'), '--json');
      expect(r.code).toBe(0);
      const parsed = JSON.parse(r.stdout) as JsonResult;
      expect(parsed.problems).toEqual([]);
      expect(parsed.packages).toEqual([
        { name: 'jt-hello', evr: '1.0-1', arch: 'amd64', repo: 'tiny', location: `${pathToFileURL(root).href}/pool/main/j/jt-hello/jt-hello_1.0-1_amd64.deb`, size: 1234, digest: `sha256:${hex('a')}` },
        { name: 'jt-lib', evr: '1.2-1', arch: 'amd64', repo: 'tiny', location: `${pathToFileURL(root).href}/pool/main/j/jt-lib/jt-lib_1.2-1_amd64.deb`, size: 4321, digest: `sha256:${hex('b')}` },
      ]);
      expect(parsed.downloadSize).toBe(1234 + 4321);
    });
  });

  describe('the real bookworm index', () => {
    beforeAll(() => {
      requireAptIndex();
    });

    const bookwormDoc = (baseurl: string): Record<string, unknown> => ({
      ref: 'test/deb/hello',
      arch: 'amd64',
      repos: [{ id: 'bookworm', kind: 'apt', baseurl, suite: 'bookworm', components: ['main'], 'signed-by': DEBIAN_KEYRING }],
      packages: ['hello'],
      recommends: false,
    });

    it('resolves hello against the Debian keyring (exit 0)', async () => {
      const file = await treefile('bookworm', bookwormDoc(pathToFileURL(APT_INDEX).href));
      const r = await resolveCli(file, await freshDir('cache'), '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const parsed = JSON.parse(r.stdout) as JsonResult;
      expect(parsed.problems).toEqual([]);
      expect(parsed.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['hello', 'libc6']));
      for (const p of parsed.packages) expect(p.location).toMatch(new RegExp(`^${pathToFileURL(APT_INDEX).href}/pool/main/.+\\.deb$`));
    });

    it('a Packages file with one flipped byte is one line naming the file and the checksum (exit 1)', async () => {
      const root = path.join(tmp, 'tampered-bookworm');
      const rel = 'dists/bookworm/main/binary-amd64/Packages';
      await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await copyFile(path.join(APT_INDEX, 'dists/bookworm/InRelease'), path.join(root, 'dists/bookworm/InRelease'));
      await copyFile(path.join(APT_INDEX, rel), path.join(root, rel));
      const fh = await open(path.join(root, rel), 'r+');
      try {
        const b = Buffer.alloc(1);
        await fh.read(b, 0, 1, 1_000_000);
        b[0] = (b[0] ?? 0) ^ 1;
        await fh.write(b, 0, 1, 1_000_000);
      } finally {
        await fh.close();
      }
      const file = await treefile('bookworm-tampered', bookwormDoc(pathToFileURL(root).href));
      const r = await resolveCli(file, await freshDir('cache'));
      expect(r.code).toBe(1);
      const line = oneLine(r);
      expect(line).toContain('repo bookworm');
      expect(line).toContain(rel);
      expect(line).toMatch(/sha256: expected [0-9a-f]{64}, got [0-9a-f]{64}/);
    });
  });
});
