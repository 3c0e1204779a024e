/*
 * The I/O both package writers share: checking the source files before anything is written,
 * streaming a file's bytes (never reading it whole), hashing bytes while they flow, gzip that
 * gives the same bytes on every machine, and the atomic output (a temp file in the target
 * directory, renamed into place only when complete, as ostree writes objects).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { IntegrityError, InternalError, JigtreeError, UsageError, fsError } from '../../core/index.js';
import { specError, type PackageFile } from './types.js';

/** Read size for source files and temp payloads. */
const READ_CHUNK = 256 * 1024;

/**
 * Checks every source before anything is written: it exists, is a regular file, and has the
 * size the spec states (the tar/cpio headers and rpm's FILESIZES are written from the spec).
 */
export async function checkSources(files: readonly PackageFile[]): Promise<void> {
  for (const [i, f] of files.entries()) {
    let st;
    try {
      st = await stat(f.source);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UsageError(`package spec: files[${i}].source: ${f.source}: no such file (expected a readable regular file)`);
      }
      throw fsError(f.source, err);
    }
    if (!st.isFile()) throw specError(`files[${i}].source`, 'a regular file', f.source);
    if (st.size !== f.size) throw specError(`files[${i}].size`, `the size of ${f.source} (${st.size} bytes)`, f.size);
  }
}

/**
 * The bytes of one source file, hashed into `hashes` on the way; fails when the file no longer
 * has the size checkSources saw (it changed while we packaged it).
 */
export async function* fileChunks(f: PackageFile, hashes: readonly ReturnType<typeof createHash>[]): AsyncGenerator<Buffer> {
  let n = 0;
  const stream = createReadStream(f.source, { highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > f.size) break;
      for (const h of hashes) h.update(chunk);
      yield chunk;
    }
  } catch (err) {
    throw fsError(f.source, err);
  } finally {
    stream.destroy();
  }
  if (n !== f.size) throw new IntegrityError(`${f.source} (changed while being packaged)`, `${f.size} bytes`, n > f.size ? 'more bytes' : `${n} bytes`);
}

/** The bytes of a temp file we wrote, streamed. */
export async function* tempChunks(file: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(file, { highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } finally {
    stream.destroy();
  }
}

/** A pass-through that counts and hashes what flows through it. */
export type Tally = { stream: Transform; size(): number; hex(algo: string): string };

/** Creates a Tally over the given node:crypto algorithms. */
export function createTally(algos: readonly string[]): Tally {
  const hashes = new Map(algos.map((a) => [a, createHash(a)]));
  let size = 0;
  const digests = new Map<string, string>();
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb): void {
      size += chunk.length;
      for (const h of hashes.values()) h.update(chunk);
      cb(null, chunk);
    },
  });
  return {
    stream,
    size: () => size,
    hex(algo: string): string {
      let d = digests.get(algo);
      if (d === undefined) {
        const h = hashes.get(algo);
        if (h === undefined) throw new InternalError(`tally: ${algo} was not requested`);
        d = h.digest('hex');
        digests.set(algo, d);
      }
      return d;
    },
  };
}

/*
 * gzip (RFC 1952 §2.3) header: ID1 ID2 CM FLG MTIME(4) XFL OS. zlib writes no name and MTIME 0
 * unless asked; its OS byte is the build platform's (3 on Unix, 10 on Windows), so we set it to 3
 * everywhere: the package bytes must not depend on the machine that wrote them.
 */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNIX = 3;

/** gzip at `level` as transforms to put in a pipeline (the compressor, then the header fix). */
export function gzipTransforms(level: number): Transform[] {
  let pos = 0;
  const fixOs = new Transform({
    transform(chunk: Buffer, _enc, cb): void {
      if (pos <= GZIP_OS_OFFSET && pos + chunk.length > GZIP_OS_OFFSET) {
        const copy = Buffer.from(chunk);
        copy[GZIP_OS_OFFSET - pos] = GZIP_OS_UNIX;
        chunk = copy;
      }
      pos += chunk.length;
      cb(null, chunk);
    },
  });
  return [createGzip({ level }), fixOs];
}

/** gzip of a small in-memory buffer (a control.tar), with the same header as gzipTransforms. */
export function gzipBytes(data: Uint8Array, level: number): Buffer {
  const out = gzipSync(data, { level });
  out[GZIP_OS_OFFSET] = GZIP_OS_UNIX;
  return out;
}

/** Streams `chunks` through `transforms` into `file` (created or truncated). */
export async function writeChunks(file: string, chunks: AsyncIterable<Uint8Array>, transforms: readonly Transform[], signal: AbortSignal | undefined): Promise<void> {
  const source = Readable.from(chunks, { objectMode: false });
  const sink: Writable = createWriteStream(file, { mode: 0o644 });
  await pipeline([source, ...transforms, sink], signal === undefined ? {} : { signal });
}

/**
 * Runs `write(tmp)` to produce the file at a temp path next to `out`, then renames it to `out`
 * (atomic on one file system: readers see the old file or the whole new one). On failure the
 * temp file is removed and nothing appears at `out`.
 */
export async function writeAtomically<T>(out: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const dir = path.dirname(out);
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`${dir}: not a directory (the package's output directory)`);
  } catch (err) {
    throw fsError(dir, err);
  }
  const tmp = path.join(dir, `.${path.basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const result = await write(tmp);
    await rename(tmp, out);
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    // Cancellation stays an AbortError (the CLI maps it); file system errors name the package.
    if (err instanceof JigtreeError || (err instanceof Error && err.name === 'AbortError')) throw err;
    throw fsError(out, err);
  }
}
