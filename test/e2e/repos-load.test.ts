// The metadata loader on the real signed bookworm index (make-apt-index output, 63,440
// packages, Debian's own InRelease and keyring; depsolve.md §7.1) and on make-rpm-repo's
// repository, read through file:// and through a loopback HTTP server.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError, IntegrityError, NotFoundError, SignatureError } from '../../src/core/index.js';
import { loadFileProviders, loadRepos, type AptRepoSource, type LoadedRepo, type LoadEvent, type LoadReposOptions, type RpmMdRepoSource } from '../../src/repos/index.js';
import { decompress } from '../../src/unpack/index.js';
import { rejectionOf } from '../helpers/errors.js';
import { APT_INDEX, BOOKWORM_PACKAGES, DEBIAN_KEYRING, ensureRpmRepo, requireAptIndex } from '../helpers/signed-repos.js';
import { serveDirectory, type StaticServer } from '../helpers/static-server.js';

const run = promisify(execFile);
const NOW = Math.floor(Date.now() / 1000);

let tmp: string;
let expected: number;
let server: StaticServer;

beforeAll(async () => {
  requireAptIndex();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jt-repos-e2e-'));
  expected = Number((await run('grep', ['-c', '^Package:', BOOKWORM_PACKAGES])).stdout.trim());
  server = await serveDirectory(APT_INDEX);
});

afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

function bookworm(baseurl: string, over: Partial<AptRepoSource> = {}): AptRepoSource {
  return { kind: 'apt', id: 'bookworm', baseurl, suite: 'bookworm', components: ['main'], signedBy: DEBIAN_KEYRING, trusted: false, priority: 500, ...over };
}

function options(cacheDir: string, events: LoadEvent[] = []): LoadReposOptions {
  return { arch: 'amd64', cacheDir, now: NOW, decompress, reporter: (e) => events.push(e) };
}

/** A few records as the solver would read them, for comparing two loads. */
function probe(repo: LoadedRepo | undefined): unknown[] {
  const index = repo?.indexes[0];
  if (index === undefined) return [];
  return ['bash', 'libc6', 'apt', 'zstd', 'python3'].flatMap((name) => index.named(name).map((i) => index.record(i)));
}

describe('bookworm through file://', () => {
  const cache = (): string => path.join(tmp, 'file-cache');
  let cold: LoadedRepo | undefined;

  it('loads every package of the signed index, verified against the Debian keyring', async () => {
    const events: LoadEvent[] = [];
    [cold] = await loadRepos([bookworm(pathToFileURL(APT_INDEX).href)], options(cache(), events));
    expect(cold?.indexes.map((i) => i.size)).toEqual([expected]);
    expect(expected).toBe(63440);
    const inRelease = await readFile(path.join(APT_INDEX, 'dists/bookworm/InRelease'));
    expect(cold?.revision).toBe((await run('sha256sum', [path.join(APT_INDEX, 'dists/bookworm/InRelease')])).stdout.split(' ')[0]);
    expect(inRelease.length).toBeGreaterThan(1000);
    // Acquire-By-Hash: yes, but this copy has no by-hash/: the plain path is read (apt does the same).
    expect(events).toEqual([
      { type: 'repo-fetch', repo: 'bookworm', file: 'dists/bookworm/InRelease' },
      { type: 'repo-verified', repo: 'bookworm', file: 'dists/bookworm/InRelease', cached: false },
      { type: 'repo-fetch', repo: 'bookworm', file: 'dists/bookworm/main/binary-amd64/Packages' },
      { type: 'repo-parsed', repo: 'bookworm', file: 'dists/bookworm/main/binary-amd64/Packages', packages: expected },
    ]);
    const bash = cold?.indexes[0]?.record(cold.indexes[0].named('bash')[0] ?? -1);
    expect(bash).toMatchObject({ kind: 'deb', name: 'bash', essential: true, repoId: 'bookworm', location: expect.stringMatching(/^pool\/main\/b\/bash\/bash_.*_amd64\.deb$/) as unknown });
  });

  it('opens the cached index on the next run, without verifying or parsing again', async () => {
    const events: LoadEvent[] = [];
    const [warm] = await loadRepos([bookworm(pathToFileURL(APT_INDEX).href)], options(cache(), events));
    expect(events).toEqual([
      { type: 'repo-fetch', repo: 'bookworm', file: 'dists/bookworm/InRelease' },
      { type: 'repo-verified', repo: 'bookworm', file: 'dists/bookworm/InRelease', cached: true },
      { type: 'repo-cached', repo: 'bookworm', file: 'dists/bookworm/main/binary-amd64/Packages', packages: expected },
    ]);
    expect(warm?.revision).toBe(cold?.revision);
    expect(probe(warm)).toEqual(probe(cold));
    expect(probe(warm).length).toBeGreaterThan(4);
  });

  it('refuses the InRelease with one byte of its signed part changed', async () => {
    const root = path.join(tmp, 'tampered');
    await mkdir(path.join(root, 'dists/bookworm'), { recursive: true });
    const text = await readFile(path.join(APT_INDEX, 'dists/bookworm/InRelease'), 'utf8');
    await writeFile(path.join(root, 'dists/bookworm/InRelease'), text.replace('Suite: oldstable', 'Suite: oldstablf'));
    const err = await rejectionOf(loadRepos([bookworm(pathToFileURL(root).href)], options(cache())), SignatureError);
    expect(err.message).toMatch(/^repo bookworm: dists\/bookworm\/InRelease: no valid signature by a key in \/usr\/share\/keyrings\/debian-archive-keyring\.gpg: bad signature by key [0-9A-F]{16} \(Signed digest did not match\)/);
  });
});

describe('bookworm through http', () => {
  it('downloads the InRelease and Packages.gz (by-hash first, then the plain path), same records as file://', async () => {
    server.requests.length = 0;
    const events: LoadEvent[] = [];
    const [repo] = await loadRepos([bookworm(server.url)], options(path.join(tmp, 'http-cache'), events));
    expect(repo?.indexes.map((i) => i.size)).toEqual([expected]);
    expect(repo?.packageBaseUrl).toBe(server.url);
    expect(server.requests.map((r) => r.replace(/[0-9a-f]{64}/, 'HEX'))).toEqual([
      'GET /dists/bookworm/InRelease 200',
      'GET /dists/bookworm/main/binary-amd64/by-hash/SHA256/HEX 404',
      'GET /dists/bookworm/main/binary-amd64/Packages.gz 200',
    ]);
    expect(events.find((e) => e.type === 'repo-parsed')).toEqual({ type: 'repo-parsed', repo: 'bookworm', file: 'dists/bookworm/main/binary-amd64/Packages.gz', packages: expected });
    const [local] = await loadRepos([bookworm(pathToFileURL(APT_INDEX).href)], options(path.join(tmp, 'file-cache')));
    expect(probe(repo)).toEqual(probe(local));
    // The revision is the InRelease's digest, whichever way it came.
    expect(repo?.revision).toBe(local?.revision);
  });

  it('keeps credentials out of messages and names a missing suite', async () => {
    const withCreds = server.url.replace('http://', 'http://user:s3cret@');
    const err = await rejectionOf(loadRepos([bookworm(withCreds, { suite: 'trixie' })], options(path.join(tmp, 'http-cache'))), NotFoundError);
    expect(err.message).toBe(`repo bookworm: dists/trixie/InRelease and dists/trixie/Release at ${server.url}/ (is the suite "trixie" right?): not found`);
    expect(JSON.stringify(err)).not.toContain('s3cret');
  });

  it('gives one clear line for a dead mirror', async () => {
    const dead = await serveDirectory(tmp);
    const url = dead.url;
    await dead.close();
    const err = await rejectionOf(loadRepos([bookworm(`${url}/debian`)], options(path.join(tmp, 'http-cache'))), FetchError);
    expect(err.message).toBe(`repo bookworm: ${url}/debian/dists/bookworm/InRelease: connection refused (ECONNREFUSED) (3 attempts)`);
    expect(err.message).not.toContain('\n');
  });
});

describe('http failures', () => {
  let flaky: http.Server;
  let base: string;
  const hits: string[] = [];
  let failures = 0;
  beforeAll(async () => {
    const inRelease = await readFile(path.join(APT_INDEX, 'dists/bookworm/InRelease'));
    flaky = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/forbidden/dists/bookworm/InRelease') res.writeHead(403).end();
      else if (req.url === '/debian/dists/bookworm/InRelease' && failures-- > 0) res.writeHead(503).end();
      else if (req.url === '/debian/dists/bookworm/InRelease') res.writeHead(200, { 'content-length': inRelease.length }).end(inRelease);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    flaky.closeAllConnections();
    await new Promise((resolve) => flaky.close(resolve));
  });

  it('retries a 503, does not retry a 403, and lists what it tried when no Packages variant exists', async () => {
    hits.length = 0;
    failures = 1;
    const err = await rejectionOf(loadRepos([bookworm(`${base}/debian`)], options(path.join(tmp, 'flaky-cache'))), NotFoundError);
    // The InRelease came on the second try; then by-hash and plain paths of .gz, .xz, plain.
    expect(hits.slice(0, 2)).toEqual(['/debian/dists/bookworm/InRelease', '/debian/dists/bookworm/InRelease']);
    expect(hits.length).toBe(2 + 6);
    expect(err.message).toMatch(/^repo bookworm: dists\/bookworm\/main\/binary-amd64\/Packages \(tried http:\/\/127\.0\.0\.1:\d+\/debian\/dists\/bookworm\/main\/binary-amd64\/by-hash\/SHA256\/[0-9a-f]{64}, .*\/Packages\.gz, .*\/Packages\.xz, .*\/Packages\): not found$/);
    hits.length = 0;
    const forbidden = await rejectionOf(loadRepos([bookworm(`${base}/forbidden`)], options(path.join(tmp, 'flaky-cache'))), FetchError);
    expect(forbidden.message).toBe(`repo bookworm: ${base}/forbidden/dists/bookworm/InRelease: HTTP 403`);
    expect(forbidden.status).toBe(403);
    expect(hits).toEqual(['/forbidden/dists/bookworm/InRelease']);
  });
});

describe('rpm-md through http', () => {
  let rpm: StaticServer;
  let repoDir: string;
  beforeAll(async () => {
    repoDir = await ensureRpmRepo();
    rpm = await serveDirectory(repoDir);
  }, 300_000);
  afterAll(async () => {
    await rpm.close();
  });

  it('loads primary, and reads filelists once into the cache for file dependencies', async () => {
    const src: RpmMdRepoSource = { kind: 'rpm-md', id: 'demo', baseurl: rpm.url, gpgcheck: false, priority: 99, cost: 1000 };
    const cacheDir = path.join(tmp, 'rpm-cache');
    const [repo] = await loadRepos([src], options(cacheDir));
    if (repo === undefined) throw new Error('no repo');
    const index = repo.indexes[0];
    expect(index?.named('demo-data').length).toBe(1);
    rpm.requests.length = 0;
    const found = await loadFileProviders(repo, new Set(['/opt/demo/share/demo-data/table.txt']), { cacheDir, decompress });
    expect(found.get('/opt/demo/share/demo-data/table.txt')).toEqual(index?.named('demo-data'));
    expect(rpm.requests).toEqual([expect.stringMatching(/^GET \/repodata\/[0-9a-f]{64}-filelists\.xml\.xz 200$/)]);
    expect((await readdir(path.join(cacheDir, 'metadata/files'))).filter((f) => !f.includes('.tmp-'))).toEqual([`${repo.rpmmd?.filelists?.checksum.algo ?? ''}-${repo.rpmmd?.filelists?.checksum.hex ?? ''}.xz`]);
    // Other paths: answered from the kept copy, no download.
    const more = await loadFileProviders(repo, new Set(['/etc/demo/app.conf']), { cacheDir, decompress });
    expect(more.get('/etc/demo/app.conf')?.length).toBe(2);
    expect(rpm.requests.length).toBe(1);
  });
});

describe('a copied index with a tampered Packages', () => {
  it('is a SHA256 mismatch naming the file', async () => {
    const root = path.join(tmp, 'copy');
    const dir = path.join(root, 'dists/bookworm/main/binary-amd64');
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(APT_INDEX, 'dists/bookworm/InRelease'), path.join(root, 'dists/bookworm/InRelease'));
    const gz = await readFile(path.join(APT_INDEX, 'dists/bookworm/main/binary-amd64/Packages.gz'));
    gz[gz.length - 1000] = (gz[gz.length - 1000] ?? 0) ^ 0x40;
    await writeFile(path.join(dir, 'Packages.gz'), gz);
    const err = await rejectionOf(loadRepos([bookworm(pathToFileURL(root).href)], options(path.join(tmp, 'copy-cache'))), IntegrityError);
    // The SHA256 the signed InRelease lists for main/binary-amd64/Packages.gz.
    expect(err.message).toMatch(/^repo bookworm: dists\/bookworm\/main\/binary-amd64\/Packages\.gz: sha256: expected 6777ea16514725f9427f48c240d92e0a6b8496138e37a1491d8597e66774e309, got [0-9a-f]{64}$/);
  });
});
