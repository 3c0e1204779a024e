import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FetchError, IntegrityError, JigtreeError, UsageError } from '../core/index.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { serveWithFaults, type FaultServer } from '../../test/helpers/fault-server.js';
import { cachedPackagePath, fetchPackages, partialPackagePath, PROGRESS_STEP, type FetchEvent, type FetchOptions, type FetchRequest } from './index.js';

// Faults come from a loopback server the test controls (issue 5 "Faults"); the mirrors are two
// directories m1/ and m2/ of one server holding the same packages.
let base: string;
let server: FaultServer;
let cache: string;
const files = new Map<string, Buffer>();

/** Deterministic bytes that differ per seed. */
function bytesOf(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The request for pool/<name> on the given mirrors (m1, m2) of the server. */
function req(name: string, mirrors: string[] = ['m1']): FetchRequest {
  const b = files.get(name);
  if (b === undefined) throw new Error(`no fixture ${name}`);
  return { name, urls: mirrors.map((m) => `${server.url}/${m}/pool/${name}`), size: b.length, digest: sha256(b) };
}

const gets = (p: string): FaultServerRequest[] => server.requests.filter((r) => r.path === p && r.method === 'GET');
type FaultServerRequest = FaultServer['requests'][number];

/** Small waits so the faults cost milliseconds. */
function opts(over: Partial<FetchOptions> = {}): FetchOptions & { events: FetchEvent[] } {
  const events: FetchEvent[] = [];
  return { cacheDir: cache, backoffMs: 1, stallTimeoutMs: 2000, reporter: (e) => events.push(e), events, ...over };
}

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-fetch-'));
  const sizes: [string, number][] = [['a.deb', 300_000], ['b.deb', 70_000], ['c.rpm', 2_600_000], ['d.deb', 5_000], ['e.deb', 6_000], ['f.deb', 7_000], ['g.deb', 8_000]];
  for (const [i, [name, size]] of sizes.entries()) {
    const b = bytesOf(size, i + 1);
    files.set(name, b);
    for (const m of ['m1', 'm2']) {
      await fs.mkdir(path.join(base, 'root', m, 'pool'), { recursive: true });
      await fs.writeFile(path.join(base, 'root', m, 'pool', name), b);
    }
  }
  // The same length as a.deb, other bytes: a wrong package under the right name.
  await fs.writeFile(path.join(base, 'impostor.deb'), bytesOf(300_000, 99));
  server = await serveWithFaults(path.join(base, 'root'));
});
beforeEach(async () => {
  cache = await fs.mkdtemp(path.join(base, 'cache-'));
});
afterEach(() => {
  server.clearFaults();
  server.requests.length = 0;
});
afterAll(async () => {
  await server.close();
  await fs.rm(base, { recursive: true, force: true });
});

describe('fetchPackages', () => {
  it('downloads into the digest-keyed cache, in request order, and reuses it without a request', async () => {
    const reqs = [req('a.deb'), req('b.deb')];
    const o = opts();
    const got = await fetchPackages(reqs, o);
    expect(got.map((g) => [g.request.name, g.path, g.downloaded, g.bytes])).toEqual([
      ['a.deb', cachedPackagePath(cache, reqs[0]?.digest ?? ''), true, 300_000],
      ['b.deb', cachedPackagePath(cache, reqs[1]?.digest ?? ''), true, 70_000],
    ]);
    expect(sha256(await fs.readFile(got[0]?.path ?? ''))).toBe(sha256(files.get('a.deb') ?? Buffer.alloc(0)));
    const hex = (reqs[0]?.digest ?? '').slice('sha256:'.length);
    expect(got[0]?.path).toBe(path.join(cache, 'packages', 'sha256', hex.slice(0, 2), hex));
    expect(await fs.readdir(path.join(cache, 'packages', 'partial'))).toEqual([]);
    expect(o.events.filter((e) => e.type === 'fetch-done')).toHaveLength(2);

    const before = server.requests.length;
    const again = opts();
    const reused = await fetchPackages(reqs, again);
    expect(server.requests.length).toBe(before);
    expect(reused.map((g) => [g.downloaded, g.bytes, g.path])).toEqual(got.map((g) => [false, 0, g.path]));
    expect(again.events).toEqual([
      { type: 'fetch-done', name: 'a.deb', bytes: 0, cached: true },
      { type: 'fetch-done', name: 'b.deb', bytes: 0, cached: true },
    ]);
  });

  it('keeps at most `concurrency` packages in flight', async () => {
    const names = ['b.deb', 'd.deb', 'e.deb', 'f.deb', 'g.deb', 'a.deb'];
    for (const n of names) server.slow(`/m1/pool/${n}`, { stallMs: 100 });
    let inFlight = 0;
    let peak = 0;
    const got = await fetchPackages(names.map((n) => req(n)), {
      ...opts({ concurrency: 2 }),
      reporter: (e) => {
        if (e.type === 'fetch-start') peak = Math.max(peak, ++inFlight);
        if (e.type === 'fetch-done') inFlight--;
      },
    });
    expect(got.map((g) => g.request.name)).toEqual(names);
    expect(peak).toBe(2);
  });

  it('throttles progress events by bytes, not per chunk', async () => {
    const o = opts();
    await fetchPackages([req('c.rpm')], o);
    expect(o.events.filter((e) => e.type === 'fetch-progress').map((e) => Math.floor(e.bytes / PROGRESS_STEP))).toEqual([1, 2]);
  });

  it('retries an HTTP 500 with backoff, then succeeds', async () => {
    server.fail('/m1/pool/b.deb', { times: 2 });
    const o = opts();
    const [got] = await fetchPackages([req('b.deb')], o);
    expect(got?.downloaded).toBe(true);
    expect(gets('/m1/pool/b.deb').map((r) => r.status)).toEqual([500, 500, 200]);
    expect(o.events.filter((e) => e.type === 'fetch-retry').map((e) => [e.attempt, e.reason])).toEqual([[2, 'HTTP 500'], [3, 'HTTP 500']]);
  });

  it('retries 408 and 429 too, but not 404', async () => {
    server.fail('/m1/pool/d.deb', { status: 429, times: 1 });
    server.fail('/m1/pool/d.deb', { status: 408, times: 1 });
    await fetchPackages([req('d.deb')], opts());
    expect(gets('/m1/pool/d.deb').map((r) => r.status)).toEqual([429, 408, 200]);
  });

  it('resumes with Range after a connection reset mid-body', async () => {
    server.reset('/m1/pool/a.deb', { afterBytes: 100_000, times: 1 });
    const o = opts();
    const [got] = await fetchPackages([req('a.deb')], o);
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(files.get('a.deb') ?? Buffer.alloc(0)));
    const [first, second] = gets('/m1/pool/a.deb');
    expect(first?.fault).toBe('reset');
    // Whatever arrived before the reset was kept and not asked for again.
    const kept = Number(/^bytes=(\d+)-$/.exec(second?.range ?? 'bytes=0-')?.[1] ?? 0);
    expect(second?.status).toBe(kept > 0 ? 206 : 200);
    expect(got?.bytes).toBe(300_000);
    expect(o.events.some((e) => e.type === 'fetch-retry' && /connection|reset|closed/.test(e.reason))).toBe(true);
  });

  it('resumes a truncated body from where it stopped', async () => {
    server.truncate('/m1/pool/a.deb', { bytes: 120_000, times: 1 });
    const [got] = await fetchPackages([req('a.deb')], opts());
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(files.get('a.deb') ?? Buffer.alloc(0)));
    const [first, second, ...more] = gets('/m1/pool/a.deb');
    expect([first?.range, first?.status, first?.bytes]).toEqual([null, 200, 120_000]);
    expect(more).toEqual([]);
    // What arrived was kept and only the rest asked for. (The last chunks before the close can
    // still be lost with the socket, so the resume point is at most, not exactly, 120000.)
    const kept = Number(/^bytes=(\d+)-$/.exec(second?.range ?? '')?.[1] ?? 0);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(120_000);
    expect([second?.status, second?.bytes]).toEqual([206, 300_000 - kept]);
    expect(got?.bytes).toBe(300_000);
  });

  it('fails over to the next mirror when one serves a wrong package under the right name', async () => {
    server.substitute('/m1/pool/a.deb', path.join(base, 'impostor.deb'));
    const o = opts();
    const [got] = await fetchPackages([req('a.deb', ['m1', 'm2'])], o);
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(files.get('a.deb') ?? Buffer.alloc(0)));
    // A digest mismatch is not retried on the same mirror.
    expect(gets('/m1/pool/a.deb')).toHaveLength(1);
    expect(gets('/m2/pool/a.deb')).toHaveLength(1);
    expect(o.events.filter((e) => e.type === 'fetch-start').map((e) => e.url)).toEqual([`${server.url}/m1/pool/a.deb`, `${server.url}/m2/pool/a.deb`]);
    expect(got?.bytes).toBe(600_000);
  });

  it('gives an IntegrityError when every mirror serves other bytes, and keeps nothing', async () => {
    server.substitute('/m1/pool/a.deb', path.join(base, 'impostor.deb'));
    server.substitute('/m2/pool/a.deb', path.join(base, 'impostor.deb'));
    const r = req('a.deb', ['m1', 'm2']);
    const err = await rejectionOf(fetchPackages([r], opts()), IntegrityError);
    expect(err.message).toBe(`fetch a.deb: all 2 URLs, last ${server.url}/m2/pool/a.deb: expected ${r.digest}, got ${sha256(await fs.readFile(path.join(base, 'impostor.deb')))}`);
    expect(await fs.readdir(path.join(cache, 'packages', 'partial'))).toEqual([]);
    await expect(fs.stat(cachedPackagePath(cache, r.digest))).rejects.toThrow(/ENOENT/);
  });

  it('treats a size that disagrees with the metadata as another file: next mirror, no retry', async () => {
    server.substitute('/m1/pool/b.deb', path.join(base, 'impostor.deb'));
    const [got] = await fetchPackages([req('b.deb', ['m1', 'm2'])], opts());
    expect(got?.downloaded).toBe(true);
    expect(gets('/m1/pool/b.deb')).toHaveLength(1);
  });

  it('leaves a stalled mirror at once for the healthy one, and retries a stall when it is the only URL', async () => {
    server.slow('/m1/pool/b.deb', { stallMs: 10_000 });
    const o = opts({ stallTimeoutMs: 200, retries: 1 });
    const [got] = await fetchPackages([req('b.deb', ['m1', 'm2'])], o);
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(files.get('b.deb') ?? Buffer.alloc(0)));
    expect(gets('/m1/pool/b.deb')).toHaveLength(1);
    expect(o.events.filter((e) => e.type === 'fetch-retry')).toEqual([]);
    const alone = opts({ stallTimeoutMs: 200, retries: 1 });
    await expect(fetchPackages([req('b.deb', ['m1'])], { ...alone, cacheDir: path.join(cache, 'other') })).rejects.toThrow(/stalled: no response headers.* after 2 attempts/);
    expect(gets('/m1/pool/b.deb')).toHaveLength(3);
    expect(alone.events.filter((e) => e.type === 'fetch-retry').map((e) => e.reason)).toEqual(['stalled: no response headers (UND_ERR_HEADERS_TIMEOUT)']);
  });

  it('resumes an existing .part with Range and transfers only the rest', async () => {
    const r = req('a.deb');
    const part = partialPackagePath(cache, r.digest);
    await fs.mkdir(path.dirname(part), { recursive: true });
    await fs.writeFile(part, files.get('a.deb')?.subarray(0, 200_000) ?? Buffer.alloc(0));
    const [got] = await fetchPackages([r], opts());
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(files.get('a.deb') ?? Buffer.alloc(0)));
    expect(gets('/m1/pool/a.deb').map((x) => [x.range, x.status, x.bytes])).toEqual([['bytes=200000-', 206, 100_000]]);
    expect(got?.bytes).toBe(100_000);
    await expect(fs.stat(part)).rejects.toThrow(/ENOENT/);
  });

  it('starts over on the same mirror when a resumed .part had a bad prefix', async () => {
    const r = req('a.deb');
    const part = partialPackagePath(cache, r.digest);
    await fs.mkdir(path.dirname(part), { recursive: true });
    await fs.writeFile(part, bytesOf(1000, 42));
    const [got] = await fetchPackages([r], opts());
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(files.get('a.deb') ?? Buffer.alloc(0)));
    expect(gets('/m1/pool/a.deb').map((x) => [x.range, x.status])).toEqual([['bytes=1000-', 206], [null, 200]]);
  });

  it('verifies a complete .part left by a killed run without any request', async () => {
    const r = req('b.deb');
    const part = partialPackagePath(cache, r.digest);
    await fs.mkdir(path.dirname(part), { recursive: true });
    await fs.writeFile(part, files.get('b.deb') ?? Buffer.alloc(0));
    const [got] = await fetchPackages([r], opts());
    expect(got?.downloaded).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('drops a .part longer than the package before asking', async () => {
    const r = req('b.deb');
    const part = partialPackagePath(cache, r.digest);
    await fs.mkdir(path.dirname(part), { recursive: true });
    await fs.writeFile(part, bytesOf(80_000, 7));
    await fetchPackages([r], opts());
    expect(gets('/m1/pool/b.deb').map((x) => [x.range, x.status])).toEqual([[null, 200]]);
  });

  it('starts over without Range after a 416, and moves on when the mirror\'s file is shorter', async () => {
    const r = req('b.deb', ['m1', 'm2']);
    const part = partialPackagePath(cache, r.digest);
    await fs.mkdir(path.dirname(part), { recursive: true });
    await fs.writeFile(part, files.get('b.deb')?.subarray(0, 10_000) ?? Buffer.alloc(0));
    server.substitute('/m1/pool/b.deb', path.join(base, 'root/m1/pool/d.deb'));
    const [got] = await fetchPackages([r], opts());
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(files.get('b.deb') ?? Buffer.alloc(0)));
    expect(gets('/m1/pool/b.deb').map((x) => [x.range, x.status])).toEqual([['bytes=10000-', 416], [null, 200]]);
    expect(gets('/m2/pool/b.deb').map((x) => [x.range, x.status])).toEqual([[null, 200]]);
  });

  it('names the package, the URL and why after the last attempt', async () => {
    server.fail('/m1/pool/b.deb');
    const err = await rejectionOf(fetchPackages([req('b.deb')], opts()), FetchError);
    expect(err.message).toBe(`fetch b.deb: ${server.url}/m1/pool/b.deb: HTTP 500 after 4 attempts`);
    expect(err.status).toBe(500);
    expect(gets('/m1/pool/b.deb')).toHaveLength(4);
  });

  it('fails over on 404 without retrying, and reports the last URL when all are missing', async () => {
    server.fail('/m1/pool/b.deb', { status: 404 });
    server.fail('/m2/pool/b.deb', { status: 410 });
    const err = await rejectionOf(fetchPackages([req('b.deb', ['m1', 'm2'])], opts()), FetchError);
    expect(err.message).toBe(`fetch b.deb: ${server.url}/m2/pool/b.deb: HTTP 410 (1 other URL failed too)`);
    expect(gets('/m1/pool/b.deb')).toHaveLength(1);
    expect(gets('/m2/pool/b.deb')).toHaveLength(1);
  });

  it('retries a refused connection, then gives up naming it, credentials redacted', async () => {
    // A port nothing listens on: bind one, note it, close it.
    const dead = await serveWithFaults(base);
    const url = dead.url.replace('http://', 'http://user:secret@');
    await dead.close();
    const r: FetchRequest = { ...req('b.deb'), urls: [`${url}/pool/b.deb?token=x`] };
    const err = await rejectionOf(fetchPackages([r], opts({ retries: 1 })), FetchError);
    expect(err.message).toBe(`fetch b.deb: ${dead.url}/pool/b.deb: connection refused (ECONNREFUSED) after 2 attempts`);
    expect(JSON.stringify(err.toJSON())).not.toContain('secret');
  });

  it('aborts the packages in flight when one finally fails, keeping the verified ones', async () => {
    server.slow('/m1/pool/a.deb', { stallMs: 1500 });
    server.fail('/m1/pool/e.deb', { status: 404 });
    const reqs = [req('d.deb'), req('a.deb'), req('e.deb')];
    // Two slots: d.deb finishes while a.deb stalls, then e.deb fails with a.deb in flight.
    const o = opts({ concurrency: 2 });
    const err = await rejectionOf(fetchPackages(reqs, o), FetchError);
    expect(err.message).toBe(`fetch e.deb: ${server.url}/m1/pool/e.deb: HTTP 404`);
    expect(o.events.filter((e) => e.type === 'fetch-done').map((e) => e.name)).toEqual(['d.deb']);
    expect((await fs.stat(cachedPackagePath(cache, reqs[0]?.digest ?? ''))).size).toBe(5_000);
    await expect(fs.stat(cachedPackagePath(cache, reqs[1]?.digest ?? ''))).rejects.toThrow(/ENOENT/);
  });

  it('rejects with the abort reason of the caller\'s signal', async () => {
    server.slow('/m1/pool/a.deb', { stallMs: 5000 });
    const ac = new AbortController();
    const p = fetchPackages([req('a.deb')], opts({ signal: ac.signal, reporter: (e) => { if (e.type === 'fetch-start') ac.abort(new Error('stop now')); } }));
    await expect(p).rejects.toThrow('stop now');
  });

  it('copies file:// URLs into the cache, verified, and falls over from a missing one to http', async () => {
    const b = files.get('b.deb') ?? Buffer.alloc(0);
    const r: FetchRequest = {
      name: 'b.deb', size: b.length, digest: sha256(b),
      urls: [pathToFileURL(path.join(base, 'nowhere.deb')).href, pathToFileURL(path.join(base, 'root/m1/pool/b.deb')).href],
    };
    const [got] = await fetchPackages([r], opts());
    expect(sha256(await fs.readFile(got?.path ?? ''))).toBe(sha256(b));
    expect(server.requests).toHaveLength(0);
    const wrong: FetchRequest = { ...r, urls: [pathToFileURL(path.join(base, 'impostor.deb')).href, `${server.url}/m2/pool/b.deb`] };
    await fs.rm(got?.path ?? '');
    const [again] = await fetchPackages([wrong], opts());
    expect(again?.downloaded).toBe(true);
    expect(gets('/m2/pool/b.deb')).toHaveLength(1);
  });

  it('fetches a digest requested twice once', async () => {
    const r = req('d.deb');
    const got = await fetchPackages([r, { ...r, name: 'd-again' }], opts());
    expect(got.map((g) => [g.request.name, g.path, g.downloaded])).toEqual([['d.deb', got[0]?.path, true], ['d-again', got[0]?.path, false]]);
    expect(gets('/m1/pool/d.deb')).toHaveLength(1);
  });

  it('re-downloads a cache entry whose size is wrong (a damaged cache)', async () => {
    const r = req('d.deb');
    const final = cachedPackagePath(cache, r.digest);
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.writeFile(final, 'short');
    const [got] = await fetchPackages([r], opts());
    expect(got?.downloaded).toBe(true);
    expect(sha256(await fs.readFile(final))).toBe(sha256(files.get('d.deb') ?? Buffer.alloc(0)));
  });

  it('refuses requests that cannot be fetched, before any request', async () => {
    const r = req('d.deb');
    await expect(fetchPackages([{ ...r, digest: 'md5:abc' }], opts())).rejects.toThrow(UsageError);
    expect((await rejectionOf(fetchPackages([{ ...r, urls: [] }], opts()), UsageError)).message).toBe('fetch d.deb: no URL to fetch it from');
    expect((await rejectionOf(fetchPackages([{ ...r, urls: ['ftp://x/d.deb'] }], opts()), UsageError)).message).toBe('fetch d.deb: expected an http, https or file URL, got "ftp://x/d.deb"');
    expect(() => cachedPackagePath(cache, 'sha256:XYZ')).toThrow(UsageError);
    expect(server.requests).toHaveLength(0);
  });
  it('with keepGoing, fetches every package it can and names every one it cannot in one error', async () => {
    const bad1 = { ...req('a.deb'), urls: [`${server.url}/m1/pool/missing-1.deb`] };
    const bad2 = { ...req('b.deb'), urls: [`${server.url}/m1/pool/missing-2.deb`] };
    const good = req('d.deb');
    const err = await rejectionOf(fetchPackages([bad1, good, bad2], { ...opts(), keepGoing: true }), JigtreeError);
    expect(err.message).toMatch(/^2 of 3 packages could not be fetched: /);
    expect(err.message).toContain('missing-1.deb');
    expect(err.message).toContain('missing-2.deb');
    expect(err.message.includes('\n')).toBe(false);
    // The healthy package was not aborted: it is in the cache.
    expect(await fs.stat(cachedPackagePath(cache, good.digest)).then(() => true, () => false)).toBe(true);
  });
});
