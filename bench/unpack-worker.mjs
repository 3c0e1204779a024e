// One benchmark run of ours: stream every entry of the given packages with its content hashed,
// packages spread over a pool of worker threads (one per core). Prints one JSON line.
import { createHash } from 'node:crypto';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openPackage } from '../dist/index.js';

async function hashPackage(file, decoders) {
  const pkg = await openPackage(file, { decoders });
  let entries = 0;
  let bytes = 0;
  for await (const e of pkg.entries()) {
    entries++;
    if (e.body !== undefined) {
      const h = createHash('sha256');
      for await (const chunk of e.body) {
        h.update(chunk);
        bytes += chunk.length;
      }
      h.digest();
    }
  }
  return { entries, bytes };
}

if (isMainThread) {
  const [decoders, ...files] = process.argv.slice(2);
  const t0 = performance.now();
  let next = 0;
  let entries = 0;
  let bytes = 0;
  const threads = Math.min(os.availableParallelism(), files.length);
  await Promise.all(
    Array.from({ length: threads }, () => new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { decoders } });
      const feed = () => (next < files.length ? w.postMessage(files[next++]) : w.postMessage(null));
      w.on('message', (m) => {
        entries += m.entries;
        bytes += m.bytes;
        feed();
      });
      w.on('error', reject);
      w.on('exit', resolve);
      feed();
    })),
  );
  const wall = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ wall, entries, bytes, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
} else {
  parentPort.on('message', async (file) => {
    if (file === null) {
      parentPort.close();
      return;
    }
    parentPort.postMessage(await hashPackage(file, workerData.decoders));
  });
}
