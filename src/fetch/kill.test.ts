import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWithFaults, type FaultServer } from '../../test/helpers/fault-server.js';
import { ROOT } from '../../test/helpers/paths.js';
import { cachedPackagePath, fetchPackages, partialPackagePath, type FetchRequest } from './index.js';

// issue 5: "SIGKILL at seeded random points ... never leaves a corrupt ... cache, and the rerun
// reuses what was already verified". A child process downloads a throttled package; it is killed
// with SIGKILL once the server has sent a seeded number of bytes. The cache then holds no final
// file and a .part that is a prefix of the package; the rerun resumes it with Range.
let base: string;
let server: FaultServer;
const SIZE = 1_500_000;
const body = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) body[i] = (i * 31 + (i >> 11)) & 0xff;
const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-fetch-kill-'));
  await fs.mkdir(path.join(base, 'root'));
  await fs.writeFile(path.join(base, 'root', 'p.rpm'), body);
  server = await serveWithFaults(path.join(base, 'root'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(base, { recursive: true, force: true });
});

/** Runs fetchPackages in a child and SIGKILLs it once the server has sent `killAfter` bytes. */
async function killedRun(cache: string, request: FetchRequest, killAfter: number): Promise<void> {
  const script = path.join(base, 'child.ts');
  await fs.writeFile(script, `import { fetchPackages } from ${JSON.stringify(path.join(ROOT, 'src/fetch/index.ts'))};
await fetchPackages([${JSON.stringify(request)}], { cacheDir: ${JSON.stringify(cache)} });
`);
  const child = spawn(path.join(ROOT, 'node_modules/.bin/vite-node'), [script], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => { resolve(signal); }));
  const sent = (): number => server.requests.reduce((n, r) => n + r.bytes, 0);
  for (;;) {
    if (sent() >= killAfter || child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('fetchPackages killed with SIGKILL', () => {
  // Seeded kill points (bytes sent), spread over the body.
  for (const killAfter of [200_000, 600_000, 1_000_000]) {
    it(`leaves a verified file or a resumable .part (killed after ${killAfter} bytes sent)`, async () => {
      server.requests.length = 0;
      server.clearFaults();
      server.slow('/p.rpm', { bytesPerSecond: 1_000_000 });
      const cache = await fs.mkdtemp(path.join(base, 'cache-'));
      const request: FetchRequest = { name: 'p-1.0-1.x86_64', urls: [`${server.url}/p.rpm`], size: SIZE, digest };
      await killedRun(cache, request, killAfter);

      // Either a complete verified final file (the kill came after the rename), or none and a
      // .part holding a prefix of the package.
      const final = await fs.readFile(cachedPackagePath(cache, digest)).catch(() => undefined);
      const part = await fs.readFile(partialPackagePath(cache, digest)).catch(() => Buffer.alloc(0));
      if (final !== undefined) expect(final.equals(body)).toBe(true);
      else expect(part.length < SIZE && part.equals(body.subarray(0, part.length))).toBe(true);

      server.clearFaults();
      server.requests.length = 0;
      const [got] = await fetchPackages([request], { cacheDir: cache, backoffMs: 1 });
      const again = await fs.readFile(got?.path ?? '');
      expect(again.equals(body)).toBe(true);
      if (final !== undefined) {
        expect(server.requests).toEqual([]);
      } else {
        expect(server.requests.map((r) => r.range)).toEqual([part.length > 0 ? `bytes=${part.length}-` : null]);
        expect(got?.bytes).toBe(SIZE - part.length);
      }
    });
  }
});
