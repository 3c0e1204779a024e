/**
 * Fetching a file whose digest is not known in advance: a jigdo manifest and its signature (they
 * are verified by signature and by the hashes they carry, not by a digest given beforehand), or a
 * jigdo package named by URL. http(s) goes through undici; file:// reads the file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { FetchError, fsError, NotFoundError } from '../core/index.js';
import { splitCredentials } from './http.js';

async function openUrl(url: string, signal: AbortSignal | undefined): Promise<{ body: Readable; size: number | undefined } | undefined> {
  if (/^file:/i.test(url)) {
    const file = fileURLToPath(url);
    try {
      const body = createReadStream(file, signal === undefined ? {} : { signal });
      await new Promise<void>((resolve, reject) => {
        body.once('open', () => {
          resolve();
        });
        body.once('error', reject);
      });
      return { body, size: undefined };
    } catch (err) {
      const e = fsError(file, err);
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }
  const { request } = await import('undici');
  const { target, headers } = splitCredentials(url);
  let res;
  try {
    res = await request(target, { headers, maxRedirections: 5, ...(signal === undefined ? {} : { signal }), headersTimeout: 30_000, bodyTimeout: 30_000 });
  } catch (err) {
    throw new FetchError(url, (err as Error).message, { cause: err });
  }
  if (res.statusCode === 404 || res.statusCode === 410) {
    await res.body.dump();
    return undefined;
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new FetchError(url, `HTTP ${res.statusCode}`, { status: res.statusCode });
  }
  const cl = res.headers['content-length'];
  return { body: res.body, size: typeof cl === 'string' && /^\d+$/.test(cl) ? Number(cl) : undefined };
}

/** The bytes at `url` (at most `maxBytes`), or undefined when it does not exist (404, no such file). */
export async function fetchBytes(url: string, opts: { maxBytes: number; signal?: AbortSignal }): Promise<Uint8Array | undefined> {
  if (/^file:/i.test(url)) {
    const file = fileURLToPath(url);
    try {
      const b = await readFile(file);
      if (b.length > opts.maxBytes) throw new FetchError(url, `larger than ${opts.maxBytes} bytes`);
      return b;
    } catch (err) {
      if (err instanceof FetchError) throw err;
      const e = fsError(file, err);
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }
  const r = await openUrl(url, opts.signal);
  if (r === undefined) return undefined;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of r.body) {
    n += (c as Buffer).length;
    if (n > opts.maxBytes) {
      r.body.destroy();
      throw new FetchError(url, `larger than ${opts.maxBytes} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/** Streams `url` into `dest` atomically; returns the bytes received, or undefined when it does not exist. */
export async function fetchToFile(url: string, dest: string, opts: { signal?: AbortSignal } = {}): Promise<number | undefined> {
  const r = await openUrl(url, opts.signal);
  if (r === undefined) return undefined;
  const tmp = `${dest}.${process.pid}.tmp`;
  const counter = new Counter();
  try {
    await pipeline(r.body, counter, createWriteStream(tmp));
    if (r.size !== undefined && counter.bytes !== r.size) throw new FetchError(url, `body ended after ${counter.bytes} of ${r.size} bytes`);
    await rename(tmp, dest);
    return counter.bytes;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err instanceof FetchError ? err : new FetchError(url, (err as Error).message, { cause: err });
  }
}
