import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRange, serveWithFaults, type FaultServer } from './fault-server.js';

let base: string;
let server: FaultServer;
const big = Buffer.alloc(300_000);
for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-fault-'));
  await fs.mkdir(path.join(base, 'root/pool/main/a'), { recursive: true });
  await fs.writeFile(path.join(base, 'root/pool/main/a/a_1.deb'), big);
  await fs.writeFile(path.join(base, 'root/Release'), 'Suite: bookworm\n');
  await fs.writeFile(path.join(base, 'other.deb'), 'not the package\n');
  await fs.writeFile(path.join(base, 'secret'), 'outside\n');
  await fs.symlink('../secret', path.join(base, 'root/escape'));
  server = await serveWithFaults(path.join(base, 'root'));
});
afterEach(() => {
  server.clearFaults();
});
afterAll(async () => {
  await server.close();
  await fs.rm(base, { recursive: true, force: true });
});

type Outcome = { status: number; headers: http.IncomingHttpHeaders; body: Buffer; error: string | null };

/**
 * A raw request; a connection error after the headers is reported with the status and the bytes
 * received so far (Node reports a socket error on the request, even mid-response).
 */
function request(method: string, urlPath: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    let status = 0;
    let got: http.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (error: string | null): void => {
      if (settled) return;
      settled = true;
      resolve({ status, headers: got, body: Buffer.concat(chunks), error });
    };
    const req = http.request(`${server.url}/`, { method, path: urlPath, headers, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      got = res.headers;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done(null);
      });
      res.on('error', (e: NodeJS.ErrnoException) => {
        done(e.code ?? e.message);
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      done(e.code ?? e.message);
    });
    req.end();
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const DEB = '/pool/main/a/a_1.deb';

describe('serveWithFaults: plain serving', () => {
  it('serves GET and HEAD with a length, ETag and Accept-Ranges', async () => {
    const get = await request('GET', DEB);
    expect(get.status).toBe(200);
    expect(sha(get.body)).toBe(sha(big));
    expect(get.headers['accept-ranges']).toBe('bytes');
    const head = await request('HEAD', DEB);
    expect(head).toMatchObject({ status: 200, headers: { 'content-length': String(big.length) } });
    expect(head.body).toHaveLength(0);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 404, 403 and 405 like static-server', async () => {
    expect((await request('GET', '/missing')).status).toBe(404);
    expect((await request('GET', '/pool/')).status).toBe(404);
    expect((await request('GET', '/escape')).status).toBe(403);
    expect((await request('GET', '/pool/../Release')).status).toBe(403);
    expect((await request('POST', '/Release')).status).toBe(405);
  });

  it('serves one byte range with 206 and rejects unsatisfiable ones with 416', async () => {
    const r = await request('GET', DEB, { range: 'bytes=1000-1999' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 1000-1999/${big.length}`);
    expect(r.body.equals(big.subarray(1000, 2000))).toBe(true);
    const tail = await request('GET', DEB, { range: 'bytes=-10' });
    expect(tail.body.equals(big.subarray(big.length - 10))).toBe(true);
    const open = await request('GET', DEB, { range: 'bytes=299990-' });
    expect(open.body.equals(big.subarray(299_990))).toBe(true);
    const bad = await request('GET', DEB, { range: `bytes=${big.length}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${big.length}`);
  });

  it('serves the whole file when If-Range does not match the ETag', async () => {
    const { headers } = await request('HEAD', DEB);
    const etag = String(headers.etag);
    expect((await request('GET', DEB, { range: 'bytes=5-9', 'if-range': etag })).status).toBe(206);
    const stale = await request('GET', DEB, { range: 'bytes=5-9', 'if-range': '"other"' });
    expect(stale.status).toBe(200);
    expect(stale.body).toHaveLength(big.length);
  });
});

describe('serveWithFaults: faults', () => {
  it('fails a path n times, then serves it; HEAD consumes fail rules too', async () => {
    server.fail(DEB, { status: 503, times: 2 });
    expect((await request('HEAD', DEB)).status).toBe(503);
    expect((await request('GET', DEB)).status).toBe(503);
    expect((await request('GET', DEB)).status).toBe(200);
    server.fail('/Release');
    expect((await request('GET', '/Release')).status).toBe(500);
    expect((await request('GET', '/Release')).status).toBe(500);
  });

  it('resets the connection after afterBytes of the body', async () => {
    server.reset(DEB, { afterBytes: 100_000, times: 1 });
    const r = await request('GET', DEB);
    expect(r.status).toBe(200);
    expect(r.error).toBe('ECONNRESET');
    expect(r.body.length).toBeLessThanOrEqual(100_000);
    expect(r.body.equals(big.subarray(0, r.body.length))).toBe(true);
    expect(server.requests.at(-1)).toMatchObject({ path: DEB, fault: 'reset', bytes: 100_000 });
    expect(sha((await request('GET', DEB)).body)).toBe(sha(big));
  });

  it('truncates a body under the full Content-Length, also within a range', async () => {
    server.truncate(DEB, { bytes: 5000, times: 2 });
    const r = await request('GET', DEB);
    expect(r.headers['content-length']).toBe(String(big.length));
    expect(r.error).not.toBeNull();
    expect(r.body.equals(big.subarray(0, 5000))).toBe(true);
    const ranged = await request('GET', DEB, { range: 'bytes=100000-' });
    expect(ranged.status).toBe(206);
    expect(ranged.error).not.toBeNull();
    expect(ranged.body.equals(big.subarray(100_000, 105_000))).toBe(true);
    const whole = await request('GET', DEB);
    expect(whole.error).toBeNull();
    expect(whole.body).toHaveLength(big.length);
  });

  it('substitutes other bytes under the right name; HEAD shows their size', async () => {
    server.substitute(DEB, path.join(base, 'other.deb'), { times: 1 });
    expect((await request('HEAD', DEB)).headers['content-length']).toBe('16');
    expect((await request('GET', DEB)).body.toString()).toBe('not the package\n');
    expect((await request('GET', DEB)).body).toHaveLength(big.length);
  });

  it('throttles a body and stalls a response without changing the bytes', async () => {
    server.slow('/Release', { bytesPerSecond: 40, times: 1 });
    const slow = await request('GET', '/Release');
    expect(slow.body.toString()).toBe('Suite: bookworm\n');
    expect(server.requests.at(-1)).toMatchObject({ fault: 'slow', bytes: 16 });
    server.slow('/Release', { stallMs: 50, times: 1 });
    expect((await request('GET', '/Release')).body.toString()).toBe('Suite: bookworm\n');
  });

  it('applies queued rules in order and counts requests by prefix and method', async () => {
    const before = server.count('/pool/', 'GET');
    server.truncate(DEB, { bytes: 1, times: 1 });
    server.fail(DEB, { status: 502, times: 1 });
    const outcomes = [await request('GET', DEB), await request('GET', DEB), await request('GET', DEB)];
    expect(outcomes.map((o) => [o.status, o.error === null])).toEqual([[200, false], [502, true], [200, true]]);
    expect(server.count('/pool/', 'GET') - before).toBe(3);
    expect(server.requests.slice(-3).map((r) => r.fault)).toEqual(['truncate', 'fail', null]);
  });

  it('rejects malformed rules', () => {
    expect(() => {
      server.fail('pool/x');
    }).toThrow(/must start with/);
    expect(() => {
      server.fail('/x', { times: 0 });
    }).toThrow(/positive/);
  });
});

describe('parseRange', () => {
  it('follows RFC 9110 for single ranges', () => {
    expect(parseRange(undefined, 10)).toBe('all');
    expect(parseRange('bytes=0-4', 10)).toEqual({ start: 0, end: 4 });
    expect(parseRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe(416);
    expect(parseRange('bytes=-0', 10)).toBe(416);
    expect(parseRange('bytes=0-1,3-4', 10)).toBe('all');
    expect(parseRange('items=0-1', 10)).toBe('all');
  });
});
