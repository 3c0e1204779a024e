/*
 * A minimal static file server on 127.0.0.1 (ephemeral port) for `ostree pull` over HTTP
 * (ostree-format.md §5.6): GET and HEAD of regular files under `root`, 404 for anything else
 * (missing files, directories: no listings), 403 for paths that escape `root` (`..`, or a
 * symlink pointing outside), 405 for other methods. Only loopback, never another address.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** A running server: its base URL (no trailing slash) and how to stop it. */
export type StaticServer = { url: string; requests: string[]; close(): Promise<void> };

/** The file `urlPath` names under `realRoot`, or an HTTP status saying why there is none. */
async function resolveFile(realRoot: string, urlPath: string): Promise<string | 403 | 404> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return 404;
  }
  if (decoded.includes('\0')) return 404;
  const segments = decoded.split('/');
  if (segments.includes('..')) return 403;
  const candidate = path.join(realRoot, ...segments);
  let real: string;
  try {
    real = await fs.realpath(candidate);
  } catch {
    return 404;
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return 403;
  const st = await fs.stat(real).catch(() => null);
  return st?.isFile() === true ? real : 404;
}

/** Serves `root` read-only on 127.0.0.1; `requests` records `METHOD /path STATUS` in order. */
export async function serveDirectory(root: string): Promise<StaticServer> {
  const realRoot = await fs.realpath(root);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    const reply = (status: number): void => {
      requests.push(`${method} ${urlPath} ${status}`);
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(method === 'HEAD' ? undefined : `${status}\n`);
    };
    if (method !== 'GET' && method !== 'HEAD') {
      reply(405);
      return;
    }
    void resolveFile(realRoot, urlPath).then(async (found) => {
      if (typeof found === 'number') {
        reply(found);
        return;
      }
      const st = await fs.stat(found);
      requests.push(`${method} ${urlPath} 200`);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
      if (method === 'HEAD') {
        res.end();
        return;
      }
      const stream = createReadStream(found);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    }).catch(() => {
      if (!res.headersSent) reply(500);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
