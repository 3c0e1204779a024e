import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDirectory, type StaticServer } from './static-server.js';

let base: string;
let server: StaticServer;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-static-'));
  await fs.mkdir(path.join(base, 'root/objects/ab'), { recursive: true });
  await fs.writeFile(path.join(base, 'root/config'), '[core]\n');
  await fs.writeFile(path.join(base, 'root/objects/ab/cd.filez'), Buffer.from([0, 1, 2, 255]));
  await fs.writeFile(path.join(base, 'secret'), 'outside\n');
  await fs.symlink('../secret', path.join(base, 'root/escape'));
  await fs.symlink('config', path.join(base, 'root/inside'));
  server = await serveDirectory(path.join(base, 'root'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(base, { recursive: true, force: true });
});

/** A raw request: the path is sent as given (no client-side normalization of `..`). */
function request(method: string, urlPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/`, { method, path: urlPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveDirectory', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves files with GET and their length with HEAD', async () => {
    const get = await request('GET', '/objects/ab/cd.filez');
    expect(get.status).toBe(200);
    expect([...get.body]).toEqual([0, 1, 2, 255]);
    const head = await request('HEAD', '/config');
    expect(head).toMatchObject({ status: 200, headers: { 'content-length': '7' } });
    expect(head.body).toHaveLength(0);
    expect((await request('GET', '/inside')).body.toString()).toBe('[core]\n');
    expect((await request('GET', '/con%66ig?x=1')).status).toBe(200);
  });

  it('answers 404 for missing files and directories (no listings)', async () => {
    expect((await request('GET', '/summary')).status).toBe(404);
    expect((await request('GET', '/objects/ab/')).status).toBe(404);
    expect((await request('GET', '/')).status).toBe(404);
    expect((await request('GET', '/%zz')).status).toBe(404);
  });

  it('refuses paths that escape the root, other methods, and records every request', async () => {
    expect((await request('GET', '/../secret')).status).toBe(403);
    expect((await request('GET', '/%2e%2e/secret')).status).toBe(403);
    expect((await request('GET', '/escape')).status).toBe(403);
    expect((await request('POST', '/config')).status).toBe(405);
    expect(server.requests).toContain('GET /../secret 403');
    expect(server.requests).toContain('POST /config 405');
  });
});
