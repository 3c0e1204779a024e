// Loading source repos (issue 4, depsolve.md §4): fetch, verify, decompress, parse and cache
// their metadata, and hand back opened package indexes. The one file of repos/ that does I/O
// (architecture.md §1); the decisions it needs are pure and live next to it:
// apt/select-indexes.ts (which Packages files, which variants, by-hash), verify-openpgp.ts
// (signatures), metadata-cache-key.ts (cache entry names), metadata-url.ts (URLs, compression).
//
// The metadata cache (`<cacheDir>/metadata/`) is keyed by content digests that the signed
// (In)Release or repomd.xml pins, so an unchanged repo is neither downloaded nor parsed again:
//   index/<key>.idx            package index (package-index.ts) of one Packages / primary.xml
//   verified/<key>             empty marker: these signed bytes verified against this key file
//   apt-plan/<key>.json        what one verified (In)Release said: indexes, digests, Valid-Until
//   rpmmd-plan/<key>.json      what one repomd.xml said: revision, primary and filelists refs
//   files/<algo>-<hex>.<z>     raw downloaded metadata kept for later reads (rpm-md filelists)
//   file-providers/<key>.json  loadFileProviders answers
// Every write goes to a temporary name and is renamed into place; a damaged index entry fails
// openPackageIndex (FormatError) and is rebuilt, a damaged plan is made again: never trusted.
//
// The warm path (nothing changed since the last run) reads the (In)Release or repomd.xml, the
// key file, the plan and the index tables, and nothing else: no openpgp.js (the verified marker
// answers), no undici for file:// sources, no parser modules (the plan answers), and package
// records are read from the index file only when asked for. Valid-Until is checked every time.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dispatcher } from 'undici';
import { createLimit, fsError, NET_ERRORS, FetchError, redactUrl, FormatError, IntegrityError, InternalError, JigtreeError, NotFoundError, SignatureError, UsageError, type FormatName, type Limit } from '../core/index.js';
import type { PackageRecord } from '../pkg/index.js';
import { selectAptIndexes, type IndexTarget, type SkippedIndex } from './apt/select-indexes.js';
import { parseRelease } from './apt/release.js';
import { aptPlanCacheName, fileProvidersCacheName, indexCacheName, rpmmdPlanCacheName, rawFileCacheName, sha256Hex, verifiedMarkerName } from './metadata-cache-key.js';
import { compressionOfBytes, compressionOfName, describeHead, joinUrl, locationUrl, urlScheme } from './metadata-url.js';
import { createPackageIndexBuilder, openPackageIndex, type PackageIndex } from './package-index.js';
import type { AptRepoSource, Decompressor, Digest, LoadedRepo, LoadEvent, MetadataCompression, MetadataFileRef, Release, RepoSource, RpmMdRepoSource } from './types.js';

/** Options of loadRepos. */
export type LoadReposOptions = {
  /** Native architecture (`amd64`, `x86_64`); selects apt's binary-ARCH indexes. */
  arch: string;
  /** apt foreign architectures (dpkg --add-architecture), each loaded when the Release has it. */
  foreignArchs?: string[];
  /** The cache root; metadata goes to `<cacheDir>/metadata/`. */
  cacheDir: string;
  /** Unix seconds: Valid-Until is checked, and signatures verified, as of this time. */
  now: number;
  /** Decompressor for gz/xz/zst/bz2 metadata (pass unpack's `decompress`). */
  decompress: Decompressor;
  signal?: AbortSignal;
  reporter?: (e: LoadEvent) => void;
};

/** Options of loadFileProviders. */
export type LoadFileProvidersOptions = { cacheDir: string; decompress: Decompressor; signal?: AbortSignal; reporter?: (e: LoadEvent) => void };

/** Metadata downloads in flight at once (architecture.md §7: network limit 8). */
const NETWORK_LIMIT = 8;
/** Attempts for a transient failure (connection reset, timeout, 5xx), with these waits between. */
const RETRY_WAITS_MS = [250, 1000];
/** The largest signature-carrying file we read whole (an InRelease is ~150 KiB). */
const MAX_SMALL_FILE = 64 * 1024 * 1024;
/** fs read size: the deb822 and XML stream parsers are fastest with chunks of this order. */
const READ_CHUNK = 64 * 1024;
/** Bytes needed to tell the compressions apart (xz's magic is the longest, depsolve.md §4.4). */
const MAGIC_LENGTH = 6;

// ---------------------------------------------------------------------------------------------
// Fetching: file:// and http(s):// behind one interface. A missing file (404, 410, ENOENT) is
// `undefined`, so callers can fall back (InRelease → Release, by-hash → plain path); any other
// failure is an error naming the URL, credentials redacted (core/errors.ts FetchError).

type Ctx = {
  metaDir: string;
  signal: AbortSignal;
  limit: Limit;
  decompress: Decompressor;
  report: (e: LoadEvent) => void;
  http(): Promise<HttpClient>;
  madeDirs: Set<string>;
};

type HttpClient = { request: typeof import('undici').request; dispatcher: Dispatcher };

/** Failures worth another attempt (the mirror may answer next time). */
const transient = new WeakSet<object>();

function transientError(url: string, why: string, opts: { status?: number; cause?: unknown } = {}): FetchError {
  const e = new FetchError(url, why, opts);
  transient.add(e);
  return e;
}

/** An error thrown by undici (or the socket under it) as a FetchError naming the URL. */
function networkError(url: string, err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (err instanceof JigtreeError) return err;
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const known = code === undefined ? undefined : NET_ERRORS[code];
  const msg = typeof e.message === 'string' ? e.message : String(err);
  if (known === undefined) return transientError(url, `download failed (${code ?? msg})`, { cause: err });
  const why = `${known[0]} (${code ?? ''})`;
  return known[1] ? transientError(url, why, { cause: err }) : new FetchError(url, why, { cause: err });
}

/** Runs `fn`, again after a pause when it fails transiently; the last failure says how many tries. */
async function retrying<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    ctx.signal.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      const wait = RETRY_WAITS_MS[attempt];
      if (!(err instanceof FetchError) || !transient.has(err) || ctx.signal.aborted) throw err;
      if (wait === undefined) {
        err.message += ` (${attempt + 1} attempts)`;
        throw err;
      }
      await sleep(wait, undefined, { signal: ctx.signal });
    }
  }
}

/** HTTP statuses meaning "not there" (a fallback may apply), as apt treats them. */
const ABSENT = new Set([404, 410]);

/** GET `url`: the body, or undefined when absent. */
async function httpGet(ctx: Ctx, url: string): Promise<Dispatcher.ResponseData | undefined> {
  const { request, dispatcher } = await ctx.http();
  let res: Dispatcher.ResponseData;
  try {
    const { target, headers } = withCredentials(url);
    res = await request(target, { dispatcher, signal: ctx.signal, maxRedirections: 5, headers });
  } catch (err) {
    throw networkError(url, err, ctx.signal);
  }
  if (res.statusCode === 200) return res;
  await res.body.dump().catch(() => undefined);
  if (ABSENT.has(res.statusCode)) return undefined;
  const why = `HTTP ${res.statusCode}`;
  if (res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408) throw transientError(url, why, { status: res.statusCode });
  throw new FetchError(url, why, { status: res.statusCode });
}

/**
 * `http://user:pass@host/...` → the URL without them and a Basic Authorization header (as apt
 * and dnf accept credentials in a baseurl); they never reach a message (FetchError redacts).
 */
function withCredentials(url: string): { target: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'user-agent': 'jigtree' };
  if (!/^https?:\/\/[^/]*@/i.test(url)) return { target: url, headers };
  const u = new URL(url);
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  headers['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  return { target: u.toString(), headers };
}

/** The path of a file:// URL; UsageError when it has a host or cannot be a path. */
function filePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (err) {
    throw new UsageError(`${url}: not a local file URL (${err instanceof Error ? err.message : String(err)}): expected file:///absolute/path`);
  }
}

/** Reads a small file whole (InRelease, repomd.xml, a signature, a key): bytes, or undefined when absent. */
async function readSmall(ctx: Ctx, url: string, repo: string): Promise<Uint8Array | undefined> {
  ctx.signal.throwIfAborted();
  if (urlScheme(url, repo) === 'file') {
    const p = filePath(url);
    try {
      return await fs.readFile(p, { signal: ctx.signal });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw fsError(p, err);
    }
  }
  return ctx.limit(() =>
    retrying(ctx, async () => {
      const res = await httpGet(ctx, url);
      if (res === undefined) return undefined;
      const parts: Uint8Array[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          if (size > MAX_SMALL_FILE) throw new FetchError(url, `larger than ${MAX_SMALL_FILE} bytes: not a metadata file`);
          parts.push(chunk);
        }
      } catch (err) {
        res.body.destroy();
        throw networkError(url, err, ctx.signal);
      }
      return Buffer.concat(parts);
    }),
  );
}

/** A stream of a file's bytes and how to release it early. */
type Source = { chunks: AsyncIterable<Uint8Array>; close(): void };

/** Opens `url` for streaming: a Source, or undefined when absent. Network errors surface as FetchError. */
async function openSource(ctx: Ctx, url: string, repo: string): Promise<Source | undefined> {
  ctx.signal.throwIfAborted();
  if (urlScheme(url, repo) === 'file') {
    const p = filePath(url);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(p, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw fsError(p, err);
    }
    const stream = handle.createReadStream({ highWaterMark: READ_CHUNK });
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for await (const c of stream) yield c as Uint8Array;
      } catch (err) {
        throw fsError(p, err);
      }
    }
    return { chunks: chunks(), close: () => stream.destroy() };
  }
  const res = await httpGet(ctx, url);
  if (res === undefined) return undefined;
  const body = res.body;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const c of body as AsyncIterable<Uint8Array>) yield c;
    } catch (err) {
      throw networkError(url, err, ctx.signal);
    }
  }
  return { chunks: chunks(), close: () => body.destroy() };
}

// ---------------------------------------------------------------------------------------------
// Checked streams: every byte that reaches the decompressor is counted and hashed, and the first
// bytes must be what the file name promises (depsolve.md §4.4: by extension, confirmed by magic).

/** Digest algorithms node:crypto knows under rpm-md's / apt's names. */
function hasher(algo: string): Hash {
  return createHash(algo === 'sha' ? 'sha1' : algo);
}

/**
 * Wraps a source: hashes and counts each chunk on its way through, fails early when the file
 * grows past its pinned size, and can be drained to the end after the consumer stopped reading
 * (a decoder that fails on a tampered file leaves the rest unread: the digest still decides
 * whether the complaint is "corrupt" or "not what the Release signed").
 */
class CheckedSource implements AsyncIterable<Uint8Array> {
  readonly #it: AsyncIterator<Uint8Array>;
  readonly #hash: Hash;
  readonly #want: { algo: string; hex: string; size: number | undefined; compression: MetadataCompression; file: string };
  #size = 0;
  #done = false;
  #head: Buffer | undefined = Buffer.alloc(0);
  #queue: Promise<unknown> = Promise.resolve();

  constructor(chunks: AsyncIterable<Uint8Array>, want: { algo: string; hex: string; size: number | undefined; compression: MetadataCompression; file: string }) {
    this.#it = chunks[Symbol.asyncIterator]();
    this.#hash = hasher(want.algo);
    this.#want = want;
  }

  /** Pulls one chunk; pulls are serialized so each chunk is hashed exactly once, in order. */
  #pull(): Promise<IteratorResult<Uint8Array>> {
    const p = this.#queue.then(async (): Promise<IteratorResult<Uint8Array>> => {
      if (this.#done) return { done: true, value: undefined };
      const r = await this.#it.next();
      if (r.done === true) {
        this.#done = true;
        this.#checkMagic();
        return r;
      }
      this.#account(r.value);
      return r;
    });
    this.#queue = p.catch(() => undefined);
    return p;
  }

  #account(chunk: Uint8Array): void {
    const w = this.#want;
    this.#hash.update(chunk);
    this.#size += chunk.length;
    if (w.size !== undefined && this.#size > w.size) {
      // Stop reading: a file longer than pinned is wrong whatever follows (and may not end).
      this.#done = true;
      throw new IntegrityError(`${w.file}: size`, `${w.size} bytes`, `more than that`, { data: { file: w.file } });
    }
    if (this.#head !== undefined) {
      this.#head = Buffer.concat([this.#head, chunk.subarray(0, MAGIC_LENGTH - this.#head.length)]);
      if (this.#head.length >= MAGIC_LENGTH) this.#checkMagic();
    }
  }

  /** The first bytes must be what the file name says (a clearer error than the decoder's). */
  #checkMagic(): void {
    const head = this.#head;
    this.#head = undefined;
    if (head === undefined || head.length === 0) return;
    const w = this.#want;
    const found = compressionOfBytes(head);
    if (found === w.compression) return;
    const format: FormatName = w.compression === 'none' ? (found as FormatName) : w.compression;
    throw new FormatError(format, `expected ${w.compression === 'none' ? 'uncompressed data' : `${w.compression} data`} (by the file name), found ${describeHead(head)}`, { file: w.file });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.#pull(),
      // The consumer stopping early does not close the source: finish() may still read it.
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  }

  /** Reads what is left and compares size and digest with the pinned ones (IntegrityError). */
  async finish(): Promise<void> {
    while ((await this.#pull()).done !== true) {
      // hashed in #pull
    }
    const w = this.#want;
    if (w.size !== undefined && this.#size !== w.size) throw new IntegrityError(`${w.file}: size`, `${w.size} bytes`, `${this.#size} bytes`, { data: { file: w.file } });
    const actual = this.#hash.digest('hex');
    if (actual !== w.hex) throw new IntegrityError(`${w.file}: ${w.algo}`, w.hex, actual, { data: { file: w.file } });
  }
}

/**
 * Consumes `parse(decompressed bytes)` and checks the digest afterwards. When parsing or
 * decoding fails, the rest of the file is still hashed: a digest mismatch is the real story
 * (a tampered or truncated download), so it wins over the parse error.
 */
async function parseChecked<T>(src: Source, want: ConstructorParameters<typeof CheckedSource>[1], ctx: Ctx, parse: (plain: AsyncIterable<Uint8Array>) => AsyncIterable<T>, each: (item: T) => void): Promise<void> {
  const checked = new CheckedSource(src.chunks, want);
  try {
    let n = 0;
    for await (const item of parse(ctx.decompress(want.compression, checked, { file: want.file }))) {
      each(item);
      if ((++n & 4095) === 0) ctx.signal.throwIfAborted();
    }
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    try {
      await checked.finish();
    } catch (integrity) {
      if (integrity instanceof IntegrityError) throw integrity;
    }
    throw err;
  }
  await checked.finish();
}

// ---------------------------------------------------------------------------------------------
// The cache.

async function ensureDir(ctx: Ctx, dir: string): Promise<void> {
  if (ctx.madeDirs.has(dir)) return;
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw fsError(dir, err);
  }
  ctx.madeDirs.add(dir);
}

/** Writes `bytes` to a temporary name next to `file`, then renames it into place. */
async function writeAtomic(ctx: Ctx, file: string, bytes: Uint8Array | string): Promise<void> {
  await ensureDir(ctx, path.dirname(file));
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw fsError(file, err);
  }
}

/** Reads a cache entry; undefined when it is not there. */
async function readCache(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(file, err);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Package indexes: open the cached one, or build it from the first variant that exists.

/** One way to fetch a metadata file that becomes a package index. */
type IndexSource = { url: string; file: string; compression: MetadataCompression; algo: string; hex: string; size: number | undefined };

/** What loadIndex needs: identity, cache key, and the sources to try in order. */
type IndexJob = { repo: string; kind: 'rpm' | 'deb'; name: string; contentDigest: string; sources: IndexSource[] };

/** Parses one decompressed metadata stream into records (the parsers are imported on first use). */
async function recordParser(kind: 'rpm' | 'deb', repo: string, file: string): Promise<(plain: AsyncIterable<Uint8Array>) => AsyncIterable<PackageRecord>> {
  if (kind === 'deb') {
    const { parsePackages } = await import('./apt/packages.js');
    return (plain) => parsePackages(plain, { repoId: repo, file });
  }
  const { parsePrimary } = await import('./rpm-md/primary.js');
  return (plain) => parsePrimary(plain, { repoId: repo, file });
}

/** Builds the index from one source; undefined when the source does not exist. */
async function buildIndex(ctx: Ctx, job: IndexJob, s: IndexSource): Promise<{ bytes: Uint8Array; count: number } | undefined> {
  const src = await openSource(ctx, s.url, job.repo);
  if (src === undefined) return undefined;
  ctx.report({ type: 'repo-fetch', repo: job.repo, file: s.file });
  try {
    const builder = createPackageIndexBuilder(job.repo, job.kind);
    let count = 0;
    const parse = await recordParser(job.kind, job.repo, s.file);
    await parseChecked(src, { algo: s.algo, hex: s.hex, size: s.size, compression: s.compression, file: s.file }, ctx, parse, (rec) => {
      builder.add(rec);
      count++;
    });
    return { bytes: builder.finish(), count };
  } finally {
    src.close();
  }
}

/** Closes the file descriptor of a cached index once nothing refers to the index any more. */
const openIndexFiles = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/**
 * Opens a cached index with positioned reads (package-index.ts IndexSource): opening reads the
 * tables only, a record is read when the solver first asks for it, so a warm run does not read
 * the whole 60 MB of a bookworm index. Sync calls on purpose: a handful of syscalls, no thread
 * pool round trips. Undefined when there is no entry; FormatError when it is damaged.
 */
function openCachedIndex(file: string): PackageIndex | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(file, err);
  }
  try {
    const byteLength = fstatSync(fd).size;
    const read = (position: number, length: number): Uint8Array => {
      const b = Buffer.allocUnsafeSlow(length);
      let done = 0;
      try {
        while (done < length) {
          const n = readSync(fd, b, done, length - done, position + done);
          if (n === 0) break;
          done += n;
        }
      } catch (err) {
        throw fsError(file, err);
      }
      return done === length ? b : b.subarray(0, done);
    };
    const index = openPackageIndex({ byteLength, read }, { file });
    openIndexFiles.register(index, fd);
    return index;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The index of one metadata file: from the cache when it is there and sound, else built and cached. */
async function loadIndex(ctx: Ctx, job: IndexJob): Promise<PackageIndex> {
  const cacheFile = path.join(ctx.metaDir, indexCacheName(job.kind, job.repo, job.contentDigest));
  try {
    const index = openCachedIndex(cacheFile);
    if (index !== undefined) {
      ctx.report({ type: 'repo-cached', repo: job.repo, file: job.name, packages: index.size });
      return index;
    }
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    ctx.report({ type: 'repo-warn', repo: job.repo, file: job.name, message: `damaged cache entry ${cacheFile} (${err.message}): rebuilding it` });
    await fs.rm(cacheFile, { force: true }).catch(() => undefined);
  }
  for (const s of job.sources) {
    ctx.signal.throwIfAborted();
    const built = await ctx.limit(() => retrying(ctx, () => buildIndex(ctx, job, s)));
    if (built === undefined) continue;
    await writeAtomic(ctx, cacheFile, built.bytes);
    let index: PackageIndex;
    try {
      index = openPackageIndex(built.bytes);
    } catch (err) {
      throw new InternalError(`${job.name}: the package index just built does not open`, { cause: err });
    }
    ctx.report({ type: 'repo-parsed', repo: job.repo, file: s.file, packages: built.count });
    return index;
  }
  throw new NotFoundError(`${job.name} (tried ${job.sources.map((s) => redactUrl(s.url)).join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Signatures, with the verified marker that lets a warm run skip openpgp.js.

/** Reads a key file (path or URL); NotFoundError naming what the config called it. */
async function readKeyFile(ctx: Ctx, ref: string, field: string, repo: string): Promise<Uint8Array> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    const bytes = await readSmall(ctx, ref, repo);
    if (bytes === undefined) throw new NotFoundError(`${field} ${redactUrl(ref)}`);
    return bytes;
  }
  if (!path.isAbsolute(ref)) throw new UsageError(`repo ${repo}: ${field} ${JSON.stringify(ref)} must be an absolute path`);
  try {
    return await fs.readFile(ref);
  } catch (err) {
    const e = fsError(ref, err);
    if (e instanceof NotFoundError) throw new NotFoundError(`${field} ${ref}`, { cause: err });
    throw e;
  }
}

/**
 * Runs `verify` unless the marker for exactly these signed bytes and this key file exists (it is
 * written after a successful verification). The marker holds no time: Valid-Until is checked
 * on every run by the caller.
 */
async function verifiedOnce(ctx: Ctx, repo: string, file: string, signed: Uint8Array[], keyring: Uint8Array, verify: () => Promise<void>): Promise<void> {
  const marker = path.join(ctx.metaDir, verifiedMarkerName(signed, keyring));
  if (await exists(marker)) {
    ctx.report({ type: 'repo-verified', repo, file, cached: true });
    return;
  }
  await verify();
  await writeAtomic(ctx, marker, '');
  ctx.report({ type: 'repo-verified', repo, file, cached: false });
}

// ---------------------------------------------------------------------------------------------
// apt (depsolve.md §4.6, §4.7).

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Uint8Array, file: string, format: FormatName): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new FormatError(format, 'not valid UTF-8', { file });
  }
}

const isoDate = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** What an apt source's verified (In)Release says to do: kept in the cache by its bytes. */
type AptPlan = { validUntil?: number; targets: IndexTarget[]; skipped: SkippedIndex[] };

/** A cached plan when it has the shape we write; anything else is rebuilt, never trusted. */
function readPlan(bytes: Uint8Array | undefined): AptPlan | undefined {
  if (bytes === undefined) return undefined;
  try {
    const p = JSON.parse(new TextDecoder().decode(bytes)) as Partial<AptPlan> | null;
    if (p === null || typeof p !== 'object' || !Array.isArray(p.targets) || !Array.isArray(p.skipped)) return undefined;
    if (p.validUntil !== undefined && typeof p.validUntil !== 'number') return undefined;
    const okTarget = (t: IndexTarget): boolean => typeof t.name === 'string' && typeof t.contentDigest === 'string' && Array.isArray(t.attempts) && t.attempts.length > 0;
    if (!p.targets.every(okTarget)) return undefined;
    return p as AptPlan;
  } catch {
    return undefined;
  }
}

const CLEARSIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';

async function loadApt(ctx: Ctx, src: AptRepoSource, opts: LoadReposOptions): Promise<LoadedRepo> {
  const repo = src.id;
  const local = urlScheme(src.baseurl, repo) === 'file';
  const dists = `dists/${src.suite}`;
  const distsUrl = joinUrl(src.baseurl, dists);
  let releaseFile = `${dists}/InRelease`;
  ctx.report({ type: 'repo-fetch', repo, file: releaseFile });
  let bytes = await readSmall(ctx, `${distsUrl}/InRelease`, repo);
  let detached: Uint8Array | undefined;
  if (bytes === undefined) {
    // No InRelease: the older Release + Release.gpg pair (apt falls back the same way).
    releaseFile = `${dists}/Release`;
    ctx.report({ type: 'repo-fetch', repo, file: releaseFile });
    bytes = await readSmall(ctx, `${distsUrl}/Release`, repo);
    if (bytes === undefined) throw new NotFoundError(`${dists}/InRelease and ${dists}/Release at ${redactUrl(src.baseurl)} (is the suite ${JSON.stringify(src.suite)} right?)`);
    if (!src.trusted) detached = await readSmall(ctx, `${distsUrl}/Release.gpg`, repo);
  }
  const foreignArchs = opts.foreignArchs ?? [];
  const planFile = path.join(ctx.metaDir, aptPlanCacheName(bytes, releaseFile, { components: src.components, arch: opts.arch, foreignArchs, local }));
  const signed = src.trusted ? undefined : await checkSignedAndKey(ctx, src, releaseFile, bytes, detached);
  // Warm: these exact bytes were verified with this exact key before (or need no signature),
  // and the plan made from them is cached: no parse, no openpgp.js.
  let plan = signed?.verified === false ? undefined : readPlan(await readCache(planFile));
  if (plan === undefined) {
    const text = decodeText(bytes, releaseFile, 'deb822');
    // parseRelease reads only the cleartext of an InRelease: the signed part, nothing around it.
    const release = parseRelease(text, { file: releaseFile });
    if (signed !== undefined && !signed.verified) await verifyRelease(ctx, src, opts, { releaseFile, bytes, text, release, detached, ...signed });
    const selection = selectAptIndexes(release, { releaseFile, components: src.components, arch: opts.arch, foreignArchs, local });
    plan = { ...selection, ...(release.validUntil === undefined ? {} : { validUntil: release.validUntil }) };
    await writeAtomic(ctx, planFile, JSON.stringify(plan));
  }
  if (plan.validUntil !== undefined && plan.validUntil < opts.now) {
    throw new SignatureError(releaseFile, `expired: Valid-Until ${isoDate(plan.validUntil)} is before now (${isoDate(opts.now)})`, {
      data: { validUntil: plan.validUntil, now: opts.now },
      hint: 'the mirror is stale or replayed; use an up-to-date mirror (apt would refuse it too)',
    });
  }
  for (const s of plan.skipped) ctx.report({ type: 'repo-warn', repo, file: s.name, message: `skipped: ${s.reason}` });
  const indexes = await Promise.all(plan.targets.map((t) => loadIndex(ctx, aptJob(src, dists, distsUrl, t))));
  return { id: repo, kind: 'apt', source: src, revision: sha256Hex(bytes), indexes, packageBaseUrl: stripSlash(src.baseurl) };
}

function aptJob(src: AptRepoSource, dists: string, distsUrl: string, t: IndexTarget): IndexJob {
  return {
    repo: src.id,
    kind: 'deb',
    name: `${dists}/${t.name}`,
    contentDigest: t.contentDigest,
    sources: t.attempts.map((a) => ({ url: joinUrl(distsUrl, a.path), file: `${dists}/${a.path}`, compression: a.compression, algo: a.algo, hex: a.hex, size: a.size })),
  };
}

/**
 * The checks that need no parsing: is there a signature at all, is a keyring configured; then
 * reads the keyring and looks for the verified marker of exactly these bytes and this keyring.
 */
async function checkSignedAndKey(ctx: Ctx, src: AptRepoSource, releaseFile: string, bytes: Uint8Array, detached: Uint8Array | undefined): Promise<{ keyBytes: Uint8Array; marker: string; verified: boolean }> {
  const hint = 'configure its key with signed-by, or set trusted: true to accept unsigned metadata';
  if (releaseFile.endsWith('/InRelease')) {
    const head = new TextDecoder().decode(bytes.subarray(0, 64)).replace(/^\uFEFF/, '');
    if (!head.startsWith(CLEARSIGNED)) throw new SignatureError(releaseFile, 'not signed (no OpenPGP cleartext signature)', { hint });
  } else if (detached === undefined) {
    throw new SignatureError(releaseFile, `not signed: no InRelease and no ${path.posix.dirname(releaseFile)}/Release.gpg`, { hint });
  }
  if (src.signedBy === undefined) throw new SignatureError(releaseFile, 'cannot be verified: the repo config names no signed-by keyring', { hint });
  const keyBytes = await readKeyFile(ctx, src.signedBy, 'signed-by keyring', src.id);
  const marker = path.join(ctx.metaDir, verifiedMarkerName(detached === undefined ? [bytes] : [bytes, detached], keyBytes));
  const verified = await exists(marker);
  if (verified) ctx.report({ type: 'repo-verified', repo: src.id, file: releaseFile, cached: true });
  return { keyBytes, marker, verified };
}

/** Verifies the (In)Release with openpgp.js and leaves the marker that spares the next run. */
async function verifyRelease(ctx: Ctx, src: AptRepoSource, opts: LoadReposOptions, r: { releaseFile: string; bytes: Uint8Array; text: string; release: Release; detached: Uint8Array | undefined; keyBytes: Uint8Array; marker: string }): Promise<void> {
  const keyFile = src.signedBy ?? '';
  const pgp = await import('./verify-openpgp.js');
  const keyring = await pgp.readKeyring(r.keyBytes, keyFile);
  if (r.detached === undefined) {
    const { signedText } = await pgp.verifyCleartext(r.text, keyring, { what: r.releaseFile, now: opts.now });
    // What we parsed must be exactly what was signed (our unwrapping vs openpgp.js's).
    if (signedText !== r.release.signedText) throw new SignatureError(r.releaseFile, 'the signed text differs from the text that would be used (malformed cleartext framing)');
  } else {
    await pgp.verifyDetached(r.bytes, r.detached, keyring, { what: r.releaseFile, signatureFile: `${path.posix.dirname(r.releaseFile)}/Release.gpg`, now: opts.now });
  }
  await writeAtomic(ctx, r.marker, '');
  ctx.report({ type: 'repo-verified', repo: src.id, file: r.releaseFile, cached: false });
}

const stripSlash = (u: string): string => (u.endsWith('/') ? u.slice(0, -1) : u);

// ---------------------------------------------------------------------------------------------
// rpm-md (depsolve.md §4.1-4.3).

const REPOMD = 'repodata/repomd.xml';

function metadataRef(src: RpmMdRepoSource, d: { location: string; locationBase?: string; checksum: Digest; size?: number }): MetadataFileRef {
  const ref: MetadataFileRef = { url: locationUrl(src.baseurl, d.location, d.locationBase), file: d.location, checksum: d.checksum, compression: compressionOfName(d.location) };
  if (d.size !== undefined) ref.size = d.size;
  return ref;
}

/** What load.ts needs from one repomd.xml; cached by its bytes. */
type RpmmdPlan = { revision: string; primary: MetadataFileRef; filelists?: MetadataFileRef };

const isRef = (r: unknown): r is MetadataFileRef => {
  const x = r as Partial<MetadataFileRef> | null;
  return typeof x === 'object' && x !== null && typeof x.url === 'string' && typeof x.file === 'string' && typeof x.compression === 'string' && typeof x.checksum?.hex === 'string' && typeof x.checksum.algo === 'string';
};

/** A cached repomd plan when it has the shape we write; else undefined (parsed again). */
function readRpmmdPlan(bytes: Uint8Array | undefined): RpmmdPlan | undefined {
  if (bytes === undefined) return undefined;
  try {
    const p = JSON.parse(new TextDecoder().decode(bytes)) as Partial<RpmmdPlan> | null;
    if (p === null || typeof p !== 'object' || typeof p.revision !== 'string' || !isRef(p.primary) || (p.filelists !== undefined && !isRef(p.filelists))) return undefined;
    return p as RpmmdPlan;
  } catch {
    return undefined;
  }
}

async function loadRpmMd(ctx: Ctx, src: RpmMdRepoSource, opts: LoadReposOptions): Promise<LoadedRepo> {
  const repo = src.id;
  urlScheme(src.baseurl, repo);
  ctx.report({ type: 'repo-fetch', repo, file: REPOMD });
  const bytes = await readSmall(ctx, joinUrl(src.baseurl, REPOMD), repo);
  if (bytes === undefined) throw new NotFoundError(`${REPOMD} at ${redactUrl(src.baseurl)} (is baseurl the repository root?)`);
  if (src.gpgcheck) await verifyRepomd(ctx, src, opts, bytes);
  // Warm: what these exact repomd bytes said, from the cache (no XML parser loaded).
  const planFile = path.join(ctx.metaDir, rpmmdPlanCacheName(bytes, src.baseurl));
  let plan = readRpmmdPlan(await readCache(planFile));
  if (plan === undefined) {
    const { parseRepomd } = await import('./rpm-md/repomd.js');
    const repomd = parseRepomd(decodeText(bytes, REPOMD, 'xml'), { file: REPOMD });
    const primaryData = repomd.data.get('primary');
    if (primaryData === undefined) throw new FormatError('xml', 'lists no <data type="primary">', { file: REPOMD });
    const filelistsData = repomd.data.get('filelists');
    plan = { revision: repomd.revision ?? sha256Hex(bytes), primary: metadataRef(src, primaryData), ...(filelistsData === undefined ? {} : { filelists: metadataRef(src, filelistsData) }) };
    await writeAtomic(ctx, planFile, JSON.stringify(plan));
  }
  const { primary, revision } = plan;
  const rpmmd: NonNullable<LoadedRepo['rpmmd']> = { primary };
  if (plan.filelists !== undefined) rpmmd.filelists = plan.filelists;
  const index = await loadIndex(ctx, {
    repo,
    kind: 'rpm',
    name: primary.file,
    contentDigest: `${primary.checksum.algo}:${primary.checksum.hex}`,
    sources: [{ url: primary.url, file: primary.file, compression: primary.compression, algo: primary.checksum.algo, hex: primary.checksum.hex, size: primary.size }],
  });
  return { id: repo, kind: 'rpm-md', source: src, revision, indexes: [index], packageBaseUrl: stripSlash(src.baseurl), rpmmd };
}

async function verifyRepomd(ctx: Ctx, src: RpmMdRepoSource, opts: LoadReposOptions, bytes: Uint8Array): Promise<void> {
  const hint = 'configure gpgkey, or set gpgcheck: false to accept unsigned metadata';
  const asc = await readSmall(ctx, joinUrl(src.baseurl, `${REPOMD}.asc`), src.id);
  if (asc === undefined) throw new SignatureError(REPOMD, `not signed: ${REPOMD}.asc is missing`, { hint });
  if (src.gpgkey === undefined) throw new SignatureError(REPOMD, 'cannot be verified: gpgcheck is on but the repo config names no gpgkey', { hint });
  const keyRef = src.gpgkey;
  const keyBytes = await readKeyFile(ctx, keyRef, 'gpgkey', src.id);
  await verifiedOnce(ctx, src.id, REPOMD, [bytes, asc], keyBytes, async () => {
    const pgp = await import('./verify-openpgp.js');
    const keyring = await pgp.readKeyring(keyBytes, keyRef);
    await pgp.verifyDetached(bytes, asc, keyring, { what: REPOMD, signatureFile: `${REPOMD}.asc`, now: opts.now });
  });
}

// ---------------------------------------------------------------------------------------------
// Entry points.

function createCtx(cacheDir: string, decompress: Decompressor, signal: AbortSignal, reporter: ((e: LoadEvent) => void) | undefined): Ctx & { close(): Promise<void> } {
  let client: Promise<HttpClient> | undefined;
  return {
    metaDir: path.join(cacheDir, 'metadata'),
    signal,
    limit: createLimit(NETWORK_LIMIT),
    decompress,
    report: reporter ?? (() => undefined),
    madeDirs: new Set(),
    // undici is loaded only when a source is remote (a warm file:// run never needs it); one
    // Agent serves every download of the call.
    http: () =>
      (client ??= import('undici').then(({ Agent, request }) => ({
        request,
        dispatcher: new Agent({ connections: NETWORK_LIMIT, connectTimeout: 15_000, headersTimeout: 60_000, bodyTimeout: 60_000 }),
      }))),
    close: async () => {
      if (client !== undefined) await (await client).dispatcher.close();
    },
  };
}

/** opts.signal, plus our own abort when one repo fails (the others stop early). */
function linkedSignal(outer: AbortSignal | undefined): { signal: AbortSignal; abort(reason: unknown): void } {
  const own = new AbortController();
  return { signal: outer === undefined ? own.signal : AbortSignal.any([outer, own.signal]), abort: (r) => { own.abort(r); } };
}

/**
 * Loads every source repo's metadata (verified, cached) and opens its package indexes, in the
 * order given. Errors name the repo (`repo <id>: ...`), then the file and what was wrong.
 */
export async function loadRepos(sources: RepoSource[], opts: LoadReposOptions): Promise<LoadedRepo[]> {
  const ids = new Set<string>();
  for (const s of sources) {
    if (ids.has(s.id)) throw new UsageError(`repo id ${JSON.stringify(s.id)} is used twice`);
    ids.add(s.id);
  }
  const link = linkedSignal(opts.signal);
  const ctx = createCtx(opts.cacheDir, opts.decompress, link.signal, opts.reporter);
  let first: { error: unknown } | undefined;
  try {
    const settled = await Promise.allSettled(
      sources.map(async (s) => {
        try {
          return s.kind === 'apt' ? await loadApt(ctx, s, opts) : await loadRpmMd(ctx, s, opts);
        } catch (err) {
          // The first failure names its repo and stops the others (their aborts are not news).
          if (!link.signal.aborted && err instanceof JigtreeError) err.prefix(`repo ${s.id}`);
          first ??= { error: err };
          link.abort(err);
          throw err;
        }
      }),
    );
    if (first !== undefined) throw first.error;
    return settled.map((r) => {
      if (r.status === 'rejected') throw new InternalError('loadRepos: a repo failed without being recorded', { cause: r.reason });
      return r.value;
    });
  } finally {
    await ctx.close();
  }
}

/**
 * rpm-md only: which packages ship each of `paths`, read from filelists.xml (depsolve.md §2.5,
 * §4.3) — for file dependencies outside primary's file subset. Streams the file (checksum
 * verified against repomd; kept in the cache when it was downloaded), keeping only the paths
 * asked for. Returns, for every requested path, the ascending indices into `repo.indexes[0]`
 * of the packages shipping it (empty when none does). Answers are cached per path set.
 */
export async function loadFileProviders(repo: LoadedRepo, paths: ReadonlySet<string>, opts: LoadFileProvidersOptions): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>([...paths].sort().map((p) => [p, []]));
  const index = repo.indexes[0];
  if (repo.kind !== 'rpm-md' || repo.rpmmd === undefined || index === undefined) throw new UsageError(`repo ${repo.id}: file lists are read from rpm-md repos only`);
  const ref = repo.rpmmd.filelists;
  if (ref === undefined || paths.size === 0) return out;
  const link = linkedSignal(opts.signal);
  const ctx = createCtx(opts.cacheDir, opts.decompress, link.signal, opts.reporter);
  try {
    const primary = repo.rpmmd.primary.checksum;
    const answerFile = path.join(ctx.metaDir, fileProvidersCacheName(repo.id, `${ref.checksum.algo}:${ref.checksum.hex}|${primary.algo}:${primary.hex}`, paths));
    const cached = await readCache(answerFile);
    if (cached !== undefined) {
      const parsed = readAnswer(cached, paths, index.size);
      if (parsed !== undefined) return parsed;
    }
    await scanFilelists(ctx, repo, ref, index, paths, out);
    await writeAtomic(ctx, answerFile, JSON.stringify(Object.fromEntries(out)));
    return out;
  } catch (err) {
    if (err instanceof JigtreeError && !(err.data.context ?? []).includes(`repo ${repo.id}`)) err.prefix(`repo ${repo.id}`);
    throw err;
  } finally {
    await ctx.close();
  }
}

/** A cached answer, when it is well-formed and covers exactly `paths`; else undefined (rebuilt). */
function readAnswer(bytes: Uint8Array, paths: ReadonlySet<string>, size: number): Map<string, number[]> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const entries = Object.entries(data as Record<string, unknown>);
  if (entries.length !== paths.size) return undefined;
  const out = new Map<string, number[]>();
  for (const [p, v] of entries) {
    if (!paths.has(p) || !Array.isArray(v) || !v.every((i) => Number.isInteger(i) && (i as number) >= 0 && (i as number) < size)) return undefined;
    out.set(p, v as number[]);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Streams filelists.xml into `out`; a downloaded copy is kept in the cache (digest-named). */
async function scanFilelists(ctx: Ctx, repo: LoadedRepo, ref: MetadataFileRef, index: PackageIndex, paths: ReadonlySet<string>, out: Map<string, number[]>): Promise<void> {
  const local = urlScheme(ref.url, repo.id) === 'file';
  const rawFile = path.join(ctx.metaDir, rawFileCacheName(ref.checksum.algo, ref.checksum.hex, ref.compression));
  const want = { algo: ref.checksum.algo, hex: ref.checksum.hex, size: ref.size, compression: ref.compression, file: ref.file };
  const { parseFilelists } = await import('./rpm-md/filelists.js');
  const found = new Map<string, Set<number>>();
  const scan = async (src: Source): Promise<void> => {
    found.clear();
    await parseChecked(src, want, ctx, (plain) => parseFilelists(plain, { file: ref.file }), (entry) => {
      for (const f of entry.files) {
        if (!paths.has(f)) continue;
        // Join on pkgid (the package file's digest) within the packages of that name (§4.3).
        for (const i of index.named(entry.name)) {
          const rec = index.record(i);
          if (rec.digest.hex === entry.pkgid && rec.arch === entry.arch) {
            let set = found.get(f);
            if (set === undefined) found.set(f, (set = new Set()));
            set.add(i);
          }
        }
      }
    });
  };
  if (local) {
    const src = await openSource(ctx, ref.url, repo.id);
    if (src === undefined) throw new NotFoundError(`${ref.file} at ${redactUrl(repo.packageBaseUrl)}`);
    ctx.report({ type: 'repo-fetch', repo: repo.id, file: ref.file });
    try {
      await scan(src);
    } finally {
      src.close();
    }
  } else {
    const cachedRaw = await openSource(ctx, pathToFileURL(rawFile).href, repo.id);
    let done = false;
    if (cachedRaw !== undefined) {
      try {
        await scan(cachedRaw);
        done = true;
      } catch (err) {
        if (!(err instanceof IntegrityError || err instanceof FormatError)) throw err;
        ctx.report({ type: 'repo-warn', repo: repo.id, file: ref.file, message: `damaged cache entry ${rawFile}: downloading again` });
        await fs.rm(rawFile, { force: true }).catch(() => undefined);
      } finally {
        cachedRaw.close();
      }
    }
    if (!done) await ctx.limit(() => retrying(ctx, () => downloadAndScan(ctx, repo, ref, rawFile, scan)));
  }
  for (const [f, set] of found) out.set(f, [...set].sort((a, b) => a - b));
}

/** Downloads `ref` into the raw cache (tmp + rename after the digest checked) while scanning it. */
async function downloadAndScan(ctx: Ctx, repo: LoadedRepo, ref: MetadataFileRef, rawFile: string, scan: (src: Source) => Promise<void>): Promise<void> {
  const src = await openSource(ctx, ref.url, repo.id);
  if (src === undefined) throw new FetchError(ref.url, 'HTTP 404 (not found)', { status: 404 });
  ctx.report({ type: 'repo-fetch', repo: repo.id, file: ref.file });
  await ensureDir(ctx, path.dirname(rawFile));
  const tmp = `${rawFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await fs.open(tmp, 'w').catch((err: unknown) => {
    throw fsError(tmp, err);
  });
  let ok = false;
  try {
    const body = src.chunks;
    async function* teed(): AsyncGenerator<Uint8Array> {
      for await (const c of body) {
        await handle.write(c);
        yield c;
      }
    }
    await scan({ chunks: teed(), close: () => { src.close(); } });
    ok = true;
  } finally {
    src.close();
    await handle.close();
    if (ok) await fs.rename(tmp, rawFile).catch((err: unknown) => { throw fsError(rawFile, err); });
    else await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}
