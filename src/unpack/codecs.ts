import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, type Duplex, type Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import unbzip2Stream from 'unbzip2-stream';
import { FormatError, IntegrityError, JigtreeError, type FormatName } from '../core/index.js';
import { decodeXz } from './xz/index.js';

/** Compression of an RPM payload or a .deb member. */
export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none';

/** Which decoders to use: `auto` prefers the system's `xz`/`zstd`/`bzip2` when on PATH. */
export type DecoderPreference = 'auto' | 'builtin';

/** Options of decompress(). */
export type DecompressOptions = { file?: string; decoders?: DecoderPreference };

/*
 * Decoder choice, measured (bench/codecs.mjs; README "Performance"): gzip is node:zlib. For xz,
 * the data.tar.xz members of all 97 minbase .debs (167 MB out) decode and hash in 3.6 s through
 * a spawned `xz -dc`, which also runs on the other core (2.2 s for two at once). The built-in
 * decoder is ours (xz/: pure TypeScript, every check type incl. rpm's SHA-256, offsets in its
 * errors): in a fresh process 4.8 s (median) against 4.5 s for xz-decompress (xz-embedded in
 * WASM), JIT warm-up included; once warm 3.7-4.6 s against 4.0-4.7 s (xz/README.md). It
 * replaced xz-decompress, whose build rejects SHA-256-checked streams, i.e. every rpm xz
 * payload, and whose errors carry no offset. The fastest napi binding with a streaming API
 * needs Node 22, and lzma-native needs a build step. So: the system decoder when there is one
 * (xz-utils is Priority: standard, not required), else the built-in one — same bytes either
 * way (codecs.test.ts checks both). zstd likewise (`zstd` ~1 GB/s vs fzstd ~260 MB/s, pure
 * JS), bzip2 likewise (unbzip2-stream, pure JS).
 */
const EXTERNAL: Partial<Record<Compression, { cmd: string; args: string[] }>> = {
  xz: { cmd: 'xz', args: ['--decompress', '--stdout', '--quiet'] },
  zstd: { cmd: 'zstd', args: ['--decompress', '--stdout', '--quiet'] },
  bzip2: { cmd: 'bzip2', args: ['--decompress', '--stdout', '--quiet'] },
};

const onPath = new Map<string, string | undefined>();

/** The absolute path of an executable found on PATH, or undefined (looked up once). */
function findExecutable(cmd: string): string | undefined {
  if (onPath.has(cmd)) return onPath.get(cmd);
  let found: string | undefined;
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, cmd);
    try {
      accessSync(candidate, fsConstants.X_OK);
      found = candidate;
      break;
    } catch {
      // not here
    }
  }
  onPath.set(cmd, found);
  return found;
}

/** Recognises a compressed stream by its magic bytes (RFC 1952, xz-file-format, RFC 8878, bzip2). */
export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'none';
}

/**
 * Decompresses a chunk stream. Decoder failures become a FormatError of the codec naming `file`;
 * errors thrown by the source itself pass through unchanged.
 */
export function decompress(kind: Compression, source: AsyncIterable<Uint8Array>, opts: DecompressOptions = {}): AsyncIterable<Uint8Array> {
  const { file } = opts;
  const external = EXTERNAL[kind];
  if (external !== undefined && (opts.decoders ?? 'auto') === 'auto') {
    const exe = findExecutable(external.cmd);
    if (exe !== undefined) return throughProcess(kind as FormatName, exe, external.args, source, file);
  }
  switch (kind) {
    case 'none':
      return source;
    case 'gzip':
      return throughNodeStream('gzip', source, createGunzip(), file);
    case 'bzip2':
      return throughNodeStream('bzip2', source, unbzip2Stream(), file);
    case 'xz':
      return xzDecompress(source, file);
    case 'zstd':
      return zstdDecompress(source, file);
  }
}

function codecError(format: FormatName, err: unknown, file: string | undefined): JigtreeError {
  if (err instanceof JigtreeError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new FormatError(format, `corrupt compressed data (${msg})`, { ...(file === undefined ? {} : { file }), cause: err });
}

async function* throughNodeStream(format: FormatName, source: AsyncIterable<Uint8Array>, decoder: Duplex, file: string | undefined): AsyncGenerator<Uint8Array> {
  let sourceError: { error: unknown } | undefined;
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (err) => {
    sourceError = { error: err };
    decoder.destroy(err);
  });
  // unbzip2-stream is a classic (streams1) `through` stream: read it through a PassThrough.
  const output = decoder.pipe(new PassThrough());
  decoder.on('error', (err) => output.destroy(err));
  input.pipe(decoder);
  try {
    for await (const chunk of output) yield chunk as Uint8Array;
  } catch (err) {
    if (sourceError !== undefined) throw sourceError.error;
    throw codecError(format, err, file);
  } finally {
    input.destroy();
    decoder.destroy();
  }
}

// The built-in xz decoder (xz/) reports a failed block check as an IntegrityError; decompress()
// promises a FormatError for any bad compressed data, whichever decoder runs (the system xz
// says "Compressed data is corrupt" for the same damage), so it becomes one here, offset kept.
// Errors of the source itself (an IntegrityError of a download, say) pass through unchanged.
async function* xzDecompress(source: AsyncIterable<Uint8Array>, file: string | undefined): AsyncGenerator<Uint8Array> {
  const seen = { sourceFailed: false };
  async function* tracked(): AsyncGenerator<Uint8Array> {
    try {
      yield* source;
    } catch (err) {
      seen.sourceFailed = true;
      throw err;
    }
  }
  try {
    yield* decodeXz(tracked(), file);
  } catch (err) {
    if (seen.sourceFailed || !(err instanceof IntegrityError)) throw err;
    const d = err.data;
    const offset = typeof d['offset'] === 'number' ? d['offset'] : undefined;
    const what = `block ${String(d['block'])} ${String(d['check'])} mismatch: expected ${String(d['expected'])}, got ${String(d['actual'])}`;
    throw new FormatError('xz', `corrupt compressed data (${what})`, { ...(offset === undefined ? {} : { offset }), ...(file === undefined ? {} : { file }), cause: err });
  }
}

// fzstd does not check a frame's optional XXH64 content checksum, so it catches structural
// damage only; the package digests (RPM payload and file digests) catch the rest.
async function* zstdDecompress(source: AsyncIterable<Uint8Array>, file: string | undefined): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  const decoder = new ZstdDecompress((data) => {
    // fzstd may reuse its window buffer between callbacks: copy out.
    out.push(data.slice());
  });
  let sawInput = false;
  for await (const chunk of source) {
    sawInput = true;
    try {
      decoder.push(chunk);
    } catch (err) {
      throw codecError('zstd', err, file);
    }
    if (out.length > 0) {
      const ready = out;
      out = [];
      yield* ready;
    }
  }
  try {
    decoder.push(new Uint8Array(0), true);
  } catch (err) {
    throw codecError('zstd', err, file);
  }
  if (!sawInput) throw new FormatError('zstd', 'empty input: expected a zstd frame', { ...(file === undefined ? {} : { file }) });
  yield* out;
}

/**
 * Pipes the source through a decoder process. Backpressure both ways; a source error kills the
 * process and is rethrown as is; a failing decoder becomes a FormatError with its message.
 */
async function* throughProcess(format: FormatName, exe: string, args: string[], source: AsyncIterable<Uint8Array>, file: string | undefined): AsyncGenerator<Uint8Array> {
  const child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 2048) stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { resolve(code); }));
  const spawnFailed = new Promise<Error>((resolve) => child.on('error', resolve));
  // EPIPE when the decoder stops early on corrupt input: its exit status tells the story.
  child.stdin.on('error', () => undefined);
  let sourceError: { error: unknown } | undefined;
  const feeding = (async () => {
    try {
      for await (const chunk of source) {
        if (child.stdin.destroyed) return;
        if (!child.stdin.write(chunk)) await drainedOrClosed(child.stdin);
      }
      child.stdin.end();
    } catch (err) {
      sourceError = { error: err };
      child.kill('SIGKILL');
    }
  })();
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Uint8Array;
    const code = await Promise.race([exited, spawnFailed.then((e) => { throw codecError(format, e, file); })]);
    await feeding;
    finished = true;
    if (sourceError !== undefined) throw sourceError.error;
    if (code !== 0) {
      const why = stderr.trim().split('\n')[0]?.replace(/^[^:]+: \(stdin\): /, '') ?? '';
      throw new FormatError(format, `corrupt compressed data (${why || `decoder exit ${code}`})`, { ...(file === undefined ? {} : { file }) });
    }
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      child.stdout.destroy();
      await feeding;
    }
  }
}

/** Resolves when a writable drains or closes, leaving no listener behind. */
function drainedOrClosed(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}
