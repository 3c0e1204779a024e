// loadRepos / loadFileProviders on small real repositories in temp dirs: apt indexes cut from
// the real bookworm Packages and signed by a throwaway gpg key, rpm-md repos from make-rpm-repo's
// RPMs through createrepo_c; then the same damaged in the ways depsolve.md §4 names.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, IntegrityError, NotFoundError, SignatureError, UsageError } from '../core/index.js';
import { decompress } from '../unpack/index.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { bookwormSample, ensureRpmRepo, makeGpgKey, writeAptRepo, type AptRepoSpec, type TestKey } from '../../test/helpers/signed-repos.js';
import { loadFileProviders, loadRepos, type LoadReposOptions } from './load.js';
import type { AptRepoSource, LoadEvent, RpmMdRepoSource } from './types.js';

const run = promisify(execFile);
/** Now, a minute ahead: the throwaway keys and signatures are made during the run. */
const now = (): number => Math.floor(Date.now() / 1000) + 60;

let tmp: string;
let key: TestKey;
let stranger: TestKey;
let sample: string[];
let rpmRepo: string;
let n = 0;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jt-load-'));
  key = await makeGpgKey(path.join(tmp, 'keys'), 'archive');
  stranger = await makeGpgKey(path.join(tmp, 'keys'), 'stranger');
  sample = await bookwormSample(200);
  rpmRepo = await ensureRpmRepo();
}, 300_000);

afterAll(async () => {
  await key.dispose();
  await stranger.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh directory under the test's temp dir. */
async function fresh(name: string): Promise<string> {
  const d = path.join(tmp, `${name}-${++n}`);
  await mkdir(d, { recursive: true });
  return d;
}

function options(cacheDir: string, events?: LoadEvent[], extra: Partial<LoadReposOptions> = {}): LoadReposOptions {
  return { arch: 'amd64', cacheDir, now: now(), decompress, ...(events === undefined ? {} : { reporter: (e: LoadEvent) => events.push(e) }), ...extra };
}

function aptSource(root: string, over: Partial<AptRepoSource> = {}): AptRepoSource {
  return { kind: 'apt', id: 'test', baseurl: pathToFileURL(root).href, suite: 'testing', components: ['main'], signedBy: key.publicBinary, trusted: false, priority: 500, ...over };
}

/** An apt repo of `sample`, signed with `key` unless the spec says otherwise. */
async function aptRepo(spec: Partial<AptRepoSpec> = {}): Promise<string> {
  const root = await fresh('apt');
  await writeAptRepo(root, { indexes: { 'main/amd64': sample }, sign: { key, mode: 'inrelease' }, ...spec });
  return root;
}

describe('loadRepos: apt', () => {
  it('loads a clearsigned InRelease and its Packages: every paragraph, the revision, the archive root', async () => {
    const root = await aptRepo();
    const events: LoadEvent[] = [];
    const [repo] = await loadRepos([aptSource(root)], options(path.join(root, 'cache'), events));
    expect(repo?.kind).toBe('apt');
    expect(repo?.indexes.map((i) => i.size)).toEqual([200]);
    const inRelease = await readFile(path.join(root, 'dists/testing/InRelease'));
    expect(repo?.revision).toBe(createHash('sha256').update(inRelease).digest('hex'));
    expect(repo?.packageBaseUrl).toBe(pathToFileURL(root).href);
    const index = repo?.indexes[0];
    const first = index?.record(index.named('0ad')[0] ?? -1);
    expect(first).toMatchObject({ kind: 'deb', name: '0ad', version: '0.0.26-3', location: 'pool/main/0/0ad/0ad_0.0.26-3_amd64.deb', repoId: 'test' });
    // file://: the plain Packages is read (cheapest), nothing else.
    expect(events).toEqual([
      { type: 'repo-fetch', repo: 'test', file: 'dists/testing/InRelease' },
      { type: 'repo-verified', repo: 'test', file: 'dists/testing/InRelease', cached: false },
      { type: 'repo-fetch', repo: 'test', file: 'dists/testing/main/binary-amd64/Packages' },
      { type: 'repo-parsed', repo: 'test', file: 'dists/testing/main/binary-amd64/Packages', packages: 200 },
    ]);
  });

  it('on the second run neither verifies nor parses again, and rebuilds a truncated cache entry', async () => {
    const root = await aptRepo();
    const cache = path.join(root, 'cache');
    await loadRepos([aptSource(root)], options(cache));
    const events: LoadEvent[] = [];
    const [again] = await loadRepos([aptSource(root)], options(cache, events));
    expect(events.map((e) => e.type)).toEqual(['repo-fetch', 'repo-verified', 'repo-cached']);
    expect(events[1]).toMatchObject({ cached: true });
    expect(again?.indexes[0]?.size).toBe(200);

    const [entry] = await readdir(path.join(cache, 'metadata/index'));
    const file = path.join(cache, 'metadata/index', entry ?? '');
    await truncate(file, (await stat(file)).size - 100);
    const repaired: LoadEvent[] = [];
    const [rebuilt] = await loadRepos([aptSource(root)], options(cache, repaired));
    expect(repaired.map((e) => e.type)).toEqual(['repo-fetch', 'repo-verified', 'repo-warn', 'repo-fetch', 'repo-parsed']);
    expect(repaired[2]).toMatchObject({ message: expect.stringMatching(/^damaged cache entry .*: rebuilding it$/) as unknown });
    expect(rebuilt?.indexes[0]?.record(199).kind).toBe('deb');
    // The rebuilt entry is whole again: a third run opens it.
    const third: LoadEvent[] = [];
    await loadRepos([aptSource(root)], options(cache, third));
    expect(third.map((e) => e.type)).toEqual(['repo-fetch', 'repo-verified', 'repo-cached']);
    // A damaged plan (what the InRelease said) is read again from the InRelease, not trusted.
    const [plan] = await readdir(path.join(cache, 'metadata/apt-plan'));
    const planFile = path.join(cache, 'metadata/apt-plan', plan ?? '');
    const good = await readFile(planFile, 'utf8');
    await writeFile(planFile, '{"targets":');
    const [fourth] = await loadRepos([aptSource(root)], options(cache));
    expect(fourth?.indexes[0]?.size).toBe(200);
    expect(await readFile(planFile, 'utf8')).toBe(good);
  });

  it('verifies Release + Release.gpg when there is no InRelease', async () => {
    const root = await aptRepo({ sign: { key, mode: 'detached' } });
    const events: LoadEvent[] = [];
    const [repo] = await loadRepos([aptSource(root)], options(path.join(root, 'cache'), events));
    expect(repo?.indexes[0]?.size).toBe(200);
    expect(events.slice(0, 3)).toEqual([
      { type: 'repo-fetch', repo: 'test', file: 'dists/testing/InRelease' },
      { type: 'repo-fetch', repo: 'test', file: 'dists/testing/Release' },
      { type: 'repo-verified', repo: 'test', file: 'dists/testing/Release', cached: false },
    ]);
  });

  it('refuses an unsigned Release unless the repo is trusted', async () => {
    const root = await aptRepo({ sign: 'none' });
    const err = await rejectionOf(loadRepos([aptSource(root)], options(path.join(root, 'cache'))), SignatureError);
    expect(err.message).toBe('repo test: dists/testing/Release: not signed: no InRelease and no dists/testing/Release.gpg');
    expect(err.hint).toMatch(/trusted: true/);
    const [repo] = await loadRepos([aptSource(root, { trusted: true, signedBy: undefined as unknown as string })], options(path.join(root, 'cache')));
    expect(repo?.indexes[0]?.size).toBe(200);
  });

  it('refuses an InRelease whose signed part changed by one byte', async () => {
    const root = await aptRepo();
    const file = path.join(root, 'dists/testing/InRelease');
    await writeFile(file, (await readFile(file, 'utf8')).replace('Origin: jigtree-test', 'Origin: jigtree-tesu'));
    const err = await rejectionOf(loadRepos([aptSource(root)], options(path.join(root, 'cache'))), SignatureError);
    expect(err.message).toMatch(/^repo test: dists\/testing\/InRelease: no valid signature by a key in .*archive\.gpg: bad signature by key [0-9A-F]{16} \(Signed digest did not match\)$/);
    // trusted: true accepts it (apt's [trusted=yes]).
    const [repo] = await loadRepos([aptSource(root, { trusted: true })], options(path.join(root, 'cache')));
    expect(repo?.indexes[0]?.size).toBe(200);
  });

  it('refuses a Release signed by a key the config does not name, and names a bad or missing key file', async () => {
    const root = await aptRepo();
    const wrong = await rejectionOf(loadRepos([aptSource(root, { signedBy: stranger.publicArmored })], options(path.join(root, 'cache'))), SignatureError);
    expect(wrong.message).toMatch(/^repo test: dists\/testing\/InRelease: no valid signature by a key in .*stranger\.asc: signed by key [0-9A-F]{16}, which is not in .*stranger\.asc$/);
    const missing = await rejectionOf(loadRepos([aptSource(root, { signedBy: path.join(root, 'nope.gpg') })], options(path.join(root, 'cache'))), NotFoundError);
    expect(missing.message).toBe(`repo test: signed-by keyring ${path.join(root, 'nope.gpg')}: not found`);
    const garbage = path.join(root, 'garbage.gpg');
    await writeFile(garbage, 'this is not a keyring\n');
    const bad = await rejectionOf(loadRepos([aptSource(root, { signedBy: garbage })], options(path.join(root, 'cache'))), FormatError);
    expect(bad.message).toMatch(new RegExp(`^repo test: ${garbage.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: openpgp: cannot read the OpenPGP public keys`));
    const none = await rejectionOf(loadRepos([aptSource(root, { signedBy: undefined as unknown as string })], options(path.join(root, 'cache'))), SignatureError);
    expect(none.message).toBe('repo test: dists/testing/InRelease: cannot be verified: the repo config names no signed-by keyring');
  });

  it('refuses a Release whose Valid-Until has passed, naming the date', async () => {
    const root = await aptRepo({ fields: { 'Valid-Until': 'Sat, 18 Jul 2026 10:16:37 UTC' } });
    const err = await rejectionOf(loadRepos([aptSource(root)], options(path.join(root, 'cache'))), SignatureError);
    expect(err.message).toMatch(/^repo test: dists\/testing\/InRelease: expired: Valid-Until 2026-07-18T10:16:37Z is before now \(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
  });

  it('checks Valid-Until on every run, also when the signature was verified before', async () => {
    const until = now() + 86400;
    const root = await aptRepo({ fields: { 'Valid-Until': new Date(until * 1000).toUTCString() } });
    const cache = path.join(root, 'cache');
    const [repo] = await loadRepos([aptSource(root)], options(cache));
    expect(repo?.indexes[0]?.size).toBe(200);
    const events: LoadEvent[] = [];
    const err = await rejectionOf(loadRepos([aptSource(root)], options(cache, events, { now: until + 1 })), SignatureError);
    expect(events.find((e) => e.type === 'repo-verified')).toMatchObject({ cached: true });
    expect(err.message).toMatch(/^repo test: dists\/testing\/InRelease: expired: Valid-Until /);
  });

  it('reports a changed byte in Packages as a SHA256 mismatch naming the file, even when it breaks the parse', async () => {
    for (const [from, to] of [['Priority: optional', 'Priority: optionaL'], ['Package: 0ad-data', 'Pbckage: 0ad-data']] as const) {
      const root = await aptRepo({ variants: [''] });
      const file = path.join(root, 'dists/testing/main/binary-amd64/Packages');
      const text = await readFile(file, 'utf8');
      expect(text).toContain(from);
      await writeFile(file, text.replace(from, to));
      const err = await rejectionOf(loadRepos([aptSource(root)], options(path.join(root, 'cache'))), IntegrityError);
      const want = createHash('sha256').update(text).digest('hex');
      const got = createHash('sha256').update(text.replace(from, to)).digest('hex');
      expect(err.message).toBe(`repo test: dists/testing/main/binary-amd64/Packages: sha256: expected ${want}, got ${got}`);
    }
  });

  it('names the repo, file, package and line of a broken paragraph in a correctly signed index', async () => {
    const broken = sample.slice(0, 5).map((p, i) => (i === 3 ? p.replace(/^Filename: .*\n/m, '') : p));
    const root = await aptRepo({ indexes: { 'main/amd64': broken } });
    const err = await rejectionOf(loadRepos([aptSource(root)], options(path.join(root, 'cache'))), FormatError);
    expect(err.message).toMatch(/^repo test: dists\/testing\/main\/binary-amd64\/Packages: deb822: line \d+: package "[^"]+": missing Filename$/);
  });

  it('reads .xz and .gz variants, and falls back past a variant the Release lists but the mirror lacks', async () => {
    for (const variants of [['.xz'], ['.gz']] as const) {
      const root = await aptRepo({ variants: [...variants], listedOnly: [''] });
      const events: LoadEvent[] = [];
      const [repo] = await loadRepos([aptSource(root)], options(path.join(root, 'cache'), events));
      expect(repo?.indexes[0]?.size).toBe(200);
      expect(events.find((e) => e.type === 'repo-parsed')).toMatchObject({ file: `dists/testing/main/binary-amd64/Packages${variants[0]}` });
    }
  });

  it('fetches by-hash when the Release says Acquire-By-Hash: yes', async () => {
    const root = await aptRepo({ byHash: true, variants: ['.gz'] });
    const events: LoadEvent[] = [];
    const [repo] = await loadRepos([aptSource(root)], options(path.join(root, 'cache'), events));
    expect(repo?.indexes[0]?.size).toBe(200);
    expect(events.find((e) => e.type === 'repo-parsed')).toMatchObject({ file: expect.stringMatching(/^dists\/testing\/main\/binary-amd64\/by-hash\/SHA256\/[0-9a-f]{64}$/) as unknown });
  });

  it('loads foreign architectures and binary-all when the Release has them, and skips the rest', async () => {
    const all = sample.filter((p) => /^Architecture: all$/m.test(p));
    const arm = sample.slice(0, 7).map((p) => p.replace(/^Architecture: amd64$/m, 'Architecture: arm64'));
    const root = await aptRepo({ indexes: { 'main/amd64': sample, 'main/arm64': arm, 'main/all': all } });
    const events: LoadEvent[] = [];
    const [repo] = await loadRepos([aptSource(root)], options(path.join(root, 'cache'), events, { foreignArchs: ['arm64', 'i386'] }));
    expect(repo?.indexes.map((i) => i.size)).toEqual([200, 7, all.length]);
    expect(events.filter((e) => e.type === 'repo-warn')).toEqual([{ type: 'repo-warn', repo: 'test', file: 'main/binary-i386/Packages', message: 'skipped: dists/testing/InRelease does not list main/binary-i386/Packages' }]);
  });

  it('names the file and line of a malformed Release', async () => {
    const root = await aptRepo({ sign: 'none', fields: { 'Valid-Until': 'yesterday' } });
    const err = await rejectionOf(loadRepos([aptSource(root, { trusted: true })], options(path.join(root, 'cache'))), FormatError);
    expect(err.message).toBe('repo test: dists/testing/Release: deb822: line 7: Valid-Until: "yesterday" is not an RFC 2822 date (e.g. \'Sat, 11 Jul 2026 10:16:37 UTC\')');
  });

  it('names a suite that is not there, and a native index the Release lacks', async () => {
    const root = await aptRepo();
    const err = await rejectionOf(loadRepos([aptSource(root, { suite: 'sid' })], options(path.join(root, 'cache'))), NotFoundError);
    expect(err.message).toBe(`repo test: dists/sid/InRelease and dists/sid/Release at ${pathToFileURL(root).href} (is the suite "sid" right?): not found`);
    const arch = await rejectionOf(loadRepos([aptSource(root)], options(path.join(root, 'cache'), undefined, { arch: 'arm64' })), NotFoundError);
    expect(arch.message).toBe('repo test: main/binary-arm64/Packages in dists/testing/InRelease (components: main; architectures: amd64): not found');
  });

  it('stops when the signal is aborted, and rejects a repo id given twice', async () => {
    const root = await aptRepo();
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(loadRepos([aptSource(root)], options(path.join(root, 'cache'), undefined, { signal: ac.signal }))).rejects.toThrow('stop');
    // Aborted between files: after the InRelease, before any Packages is read.
    const between = new AbortController();
    const events: LoadEvent[] = [];
    const opts = options(path.join(root, 'cache'), undefined, { signal: between.signal, reporter: (e) => { events.push(e); if (e.type === 'repo-verified') between.abort(new Error('stopped between files')); } });
    await expect(loadRepos([aptSource(root)], opts)).rejects.toThrow('stopped between files');
    expect(events.map((e) => e.type)).toEqual(['repo-fetch', 'repo-verified']);
    await expect(rejectionOf(loadRepos([aptSource(root), aptSource(root)], options(path.join(root, 'cache'))), UsageError)).resolves.toMatchObject({ message: 'repo id "test" is used twice' });
  });

  it('writes only into the cache directory', async () => {
    const root = await aptRepo();
    const before = (await readdir(root, { recursive: true })).sort();
    const cache = path.join(tmp, `cache-only-${++n}`);
    await loadRepos([aptSource(root)], options(cache));
    expect((await readdir(root, { recursive: true })).sort()).toEqual(before);
    expect((await readdir(cache)).sort()).toEqual(['metadata']);
    expect((await readdir(path.join(cache, 'metadata'))).sort()).toEqual(['apt-plan', 'index', 'verified']);
  });
});

// ---------------------------------------------------------------------------------------------
// rpm-md

function rpmSource(baseurl: string, over: Partial<RpmMdRepoSource> = {}): RpmMdRepoSource {
  return { kind: 'rpm-md', id: 'demo', baseurl, gpgcheck: false, priority: 99, cost: 1000, ...over };
}

/** repodata for make-rpm-repo's RPMs, written by createrepo_c with one compression. */
async function createrepo(compress: 'gz' | 'xz' | 'bz2'): Promise<string> {
  const out = await fresh(`rpm-${compress}`);
  await run('createrepo_c', ['--quiet', '--no-database', '--general-compress-type', compress, '--outputdir', out, rpmRepo]);
  return out;
}

async function countPackages(dir: string): Promise<number> {
  const xml = (await run('bash', ['-c', `f=$(ls ${dir}/repodata/*-primary.xml.*); case "$f" in *.gz) zcat "$f";; *.xz) xzcat "$f";; *.bz2) bzcat "$f";; *.zst) zstdcat "$f";; esac`], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  return (xml.match(/<package type="rpm">/g) ?? []).length;
}

/** Replaces the primary file of a repo with `bytes` named `name`, and repomd's entry with it. */
async function replacePrimary(dir: string, bytes: Uint8Array, name: string): Promise<void> {
  const mdFile = path.join(dir, 'repodata/repomd.xml');
  const md = await readFile(mdFile, 'utf8');
  const sum = createHash('sha256').update(bytes).digest('hex');
  await writeFile(path.join(dir, 'repodata', name), bytes);
  const updated = md.replace(/<data type="primary">[\s\S]*?<\/data>/, (block) =>
    block
      .replace(/<checksum type="sha256">[0-9a-f]+<\/checksum>/, `<checksum type="sha256">${sum}</checksum>`)
      .replace(/<location href="[^"]+"\/>/, `<location href="repodata/${name}"/>`)
      .replace(/<size>\d+<\/size>/, `<size>${bytes.length}</size>`),
  );
  await writeFile(mdFile, updated);
}

async function primaryXml(dir: string): Promise<string> {
  return (await run('bash', ['-c', `zcat ${dir}/repodata/*-primary.xml.gz`], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

describe('loadRepos: rpm-md', () => {
  it("loads make-rpm-repo's repository and createrepo_c output in gz, xz and bz2 alike", async () => {
    const want = await countPackages(rpmRepo);
    expect(want).toBeGreaterThan(20);
    const [fixture] = await loadRepos([rpmSource(pathToFileURL(rpmRepo).href)], options(await fresh('cache')));
    expect(fixture?.indexes[0]?.size).toBe(want);
    expect(fixture?.revision).toBe('1747699200');
    expect(fixture?.packageBaseUrl).toBe(pathToFileURL(rpmRepo).href);
    for (const c of ['gz', 'xz', 'bz2'] as const) {
      const dir = await createrepo(c);
      const events: LoadEvent[] = [];
      const [repo] = await loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache'), events));
      // The second run opens the cached index; a damaged repomd plan is parsed again.
      const again: LoadEvent[] = [];
      const [plan] = await readdir(path.join(dir, 'cache/metadata/rpmmd-plan'));
      await writeFile(path.join(dir, 'cache/metadata/rpmmd-plan', plan ?? ''), 'null');
      const [warm] = await loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache'), again));
      expect(again.map((e) => e.type)).toEqual(['repo-fetch', 'repo-cached']);
      expect(warm?.rpmmd).toEqual(repo?.rpmmd);
      expect(warm?.revision).toBe(repo?.revision);
      expect(repo?.indexes[0]?.size).toBe(want);
      expect(events.find((e) => e.type === 'repo-parsed')).toMatchObject({ file: expect.stringMatching(new RegExp(`^repodata/[0-9a-f]{64}-primary\\.xml\\.${c}$`)) as unknown, packages: want });
      const app = repo?.indexes[0]?.named('demo-app').map((i) => repo.indexes[0]?.record(i));
      expect(app?.map((r) => (r?.kind === 'rpm' ? r.version : ''))).toEqual(expect.arrayContaining(['1.0', '2.0']));
    }
  });

  it('reads a zstd primary (createrepo_c >= 1.0 default), confirmed by its magic', async () => {
    const dir = await createrepo('gz');
    const xml = await primaryXml(dir);
    const zst = (await run('bash', ['-c', `zcat ${dir}/repodata/*-primary.xml.gz | zstd -q -c | base64 -w0`], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    await replacePrimary(dir, Buffer.from(zst, 'base64'), 'p-primary.xml.zst');
    const [repo] = await loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache')));
    expect(repo?.indexes[0]?.size).toBe((xml.match(/<package type="rpm">/g) ?? []).length);
  });

  it('names the file whose magic does not match its name', async () => {
    const dir = await createrepo('gz');
    const gz = await readFile(path.join(dir, 'repodata', (await readdir(path.join(dir, 'repodata'))).find((f) => f.endsWith('-primary.xml.gz')) ?? ''));
    await replacePrimary(dir, gz, 'p-primary.xml.xz');
    const err = await rejectionOf(loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache'))), FormatError);
    expect(err.message).toBe('repo demo: repodata/p-primary.xml.xz: xz: expected xz data (by the file name), found gzip data');
  });

  it('reports a tampered primary as a checksum mismatch naming the repo and file', async () => {
    const dir = await createrepo('gz');
    const name = (await readdir(path.join(dir, 'repodata'))).find((f) => f.endsWith('-primary.xml.gz')) ?? '';
    const file = path.join(dir, 'repodata', name);
    const bytes = await readFile(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff; // the gzip trailer: decodes wrong or fails, either way the digest differs
    await writeFile(file, bytes);
    const err = await rejectionOf(loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache'))), IntegrityError);
    expect(err.message).toMatch(new RegExp(`^repo demo: repodata/${name.replace(/\./g, '\\.')}: sha256: expected [0-9a-f]{64}, got [0-9a-f]{64}$`));
  });

  it('names the line and column of malformed XML in a correctly pinned primary', async () => {
    const dir = await createrepo('gz');
    const xml = await primaryXml(dir);
    const broken = xml.replace('<name>demo-app</name>', '<name>demo-app</nmae>');
    await replacePrimary(dir, Buffer.from(broken), 'p-primary.xml');
    const err = await rejectionOf(loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache'))), FormatError);
    expect(err.message).toMatch(/^repo demo: repodata\/p-primary\.xml: xml: line \d+, column \d+: /);
  });

  describe('signed repomd.xml (gpgcheck)', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await createrepo('xz');
      await key.detachSign(path.join(dir, 'repodata/repomd.xml'), path.join(dir, 'repodata/repomd.xml.asc'));
    });

    it('loads when repomd.xml.asc verifies against gpgkey (armored or binary), once per repomd', async () => {
      const cache = await fresh('cache');
      for (const gpgkey of [key.publicArmored, key.publicBinary, pathToFileURL(key.publicArmored).href]) {
        const events: LoadEvent[] = [];
        const [repo] = await loadRepos([rpmSource(pathToFileURL(dir).href, { gpgcheck: true, gpgkey })], options(cache, events));
        expect(repo?.indexes[0]?.size).toBeGreaterThan(20);
        expect(events.find((e) => e.type === 'repo-verified')).toMatchObject({ file: 'repodata/repomd.xml' });
      }
    });

    it('refuses a tampered repomd.xml, a wrong key, a missing signature or key', async () => {
      const copy = await fresh('rpm-signed');
      await cp(dir, copy, { recursive: true });
      const mdFile = path.join(copy, 'repodata/repomd.xml');
      const src = rpmSource(pathToFileURL(copy).href, { gpgcheck: true, gpgkey: key.publicArmored });
      const wrong = await rejectionOf(loadRepos([{ ...src, gpgkey: stranger.publicArmored }], options(path.join(copy, 'cache'))), SignatureError);
      expect(wrong.message).toMatch(/^repo demo: repodata\/repomd\.xml: no valid signature by a key in .*stranger\.asc: signed by key [0-9A-F]{16}, which is not in /);
      const noKey = await rejectionOf(loadRepos([{ ...src, gpgkey: undefined as unknown as string }], options(path.join(copy, 'cache'))), SignatureError);
      expect(noKey.message).toBe('repo demo: repodata/repomd.xml: cannot be verified: gpgcheck is on but the repo config names no gpgkey');
      await writeFile(mdFile, (await readFile(mdFile, 'utf8')).replace('<revision>', '<revision>9'));
      const tampered = await rejectionOf(loadRepos([src], options(path.join(copy, 'cache'))), SignatureError);
      expect(tampered.message).toMatch(/^repo demo: repodata\/repomd\.xml: no valid signature by a key in .*archive\.asc: bad signature by key [0-9A-F]{16} \(Signed digest did not match\)$/);
      // gpgcheck: false takes the same bytes without a signature.
      const [loaded] = await loadRepos([{ ...src, gpgcheck: false }], options(path.join(copy, 'cache')));
      expect(loaded?.revision).toMatch(/^9/);
      await rm(`${mdFile}.asc`);
      const unsigned = await rejectionOf(loadRepos([src], options(path.join(copy, 'cache'))), SignatureError);
      expect(unsigned.message).toBe('repo demo: repodata/repomd.xml: not signed: repodata/repomd.xml.asc is missing');
    });
  });

  it('names the line of malformed XML in repomd.xml', async () => {
    const dir = await createrepo('gz');
    const mdFile = path.join(dir, 'repodata/repomd.xml');
    await writeFile(mdFile, (await readFile(mdFile, 'utf8')).replace('</revision>', '</revisoin>'));
    const err = await rejectionOf(loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache'))), FormatError);
    expect(err.message).toMatch(/^repo demo: repodata\/repomd\.xml: xml: line 3, column \d+: /);
  });

  it('names a baseurl that is not a repository', async () => {
    const dir = await fresh('empty');
    const err = await rejectionOf(loadRepos([rpmSource(pathToFileURL(dir).href)], options(path.join(dir, 'cache'))), NotFoundError);
    expect(err.message).toBe(`repo demo: repodata/repomd.xml at ${pathToFileURL(dir).href} (is baseurl the repository root?): not found`);
  });
});

describe('loadFileProviders', () => {
  it('finds the packages shipping paths outside primary, joined on pkgid, and caches the answer', async () => {
    const dir = await createrepo('gz');
    const cache = path.join(dir, 'cache');
    const [repo] = await loadRepos([rpmSource(pathToFileURL(dir).href)], options(cache));
    if (repo === undefined) throw new Error('no repo');
    const index = repo.indexes[0];
    const paths = new Set(['/opt/demo/share/demo-data/table.txt', '/etc/demo/app.conf', '/no/such/file']);
    const events: LoadEvent[] = [];
    const found = await loadFileProviders(repo, paths, { cacheDir: cache, decompress, reporter: (e) => events.push(e) });
    const names = (p: string): string[] => (found.get(p) ?? []).map((i) => { const r = index?.record(i); return r?.kind === 'rpm' ? `${r.name}-${r.version}` : ''; });
    expect([...found.keys()]).toEqual(['/etc/demo/app.conf', '/no/such/file', '/opt/demo/share/demo-data/table.txt']);
    expect(names('/opt/demo/share/demo-data/table.txt')).toEqual(['demo-data-1.0']);
    expect(names('/etc/demo/app.conf').sort()).toEqual(['demo-app-1.0', 'demo-app-2.0']);
    expect(found.get('/no/such/file')).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['repo-fetch']);
    const again: LoadEvent[] = [];
    expect(await loadFileProviders(repo, paths, { cacheDir: cache, decompress, reporter: (e) => again.push(e) })).toEqual(found);
    expect(again).toEqual([]);
  });

  it('reports a tampered filelists as a checksum mismatch', async () => {
    const dir = await createrepo('gz');
    const cache = path.join(dir, 'cache');
    const [repo] = await loadRepos([rpmSource(pathToFileURL(dir).href)], options(cache));
    if (repo === undefined) throw new Error('no repo');
    const name = (await readdir(path.join(dir, 'repodata'))).find((f) => f.endsWith('-filelists.xml.gz')) ?? '';
    const file = path.join(dir, 'repodata', name);
    const bytes = await readFile(file);
    bytes[bytes.length - 6] = (bytes[bytes.length - 6] ?? 0) ^ 0x55;
    await writeFile(file, bytes);
    const err = await rejectionOf(loadFileProviders(repo, new Set(['/etc/demo/app.conf']), { cacheDir: cache, decompress }), IntegrityError);
    expect(err.message).toMatch(new RegExp(`^repo demo: repodata/${name.replace(/\./g, '\\.')}: sha256: expected [0-9a-f]{64}, got [0-9a-f]{64}$`));
  });
});
