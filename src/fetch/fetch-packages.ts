// Fetch (issue 5 step 3): bring every package of a compose into the download cache, verified.
// Bounded parallelism (core/limit.ts), per-URL retries with exponential backoff, failover across
// mirrors in the order given, Range resume of .part files, size and digest checked before a file
// gets its final name (download-cache.ts). What apt (Acquire::Retries, partial/ + Range) and
// librepo (mirror failover, checksum before use) do, in one loop per package.
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createLimit, FetchError, fsError, IntegrityError, JigtreeError, redactUrl, UsageError } from '../core/index.js';
import {
  cachedPackagePath, commitPart, digestHash, fileSize, hashFileInto, parseDigest, partialPackagePath, removeFile, type PackageDigest,
} from './download-cache.js';
import { AttemptFailure, downloadHttp, lazyHttpClient, type HttpClient, type PartState } from './http.js';
import type { FetchedPackage, FetchEvent, FetchOptions, FetchRequest } from './types.js';

/** Bytes between two fetch-progress events of one package (throttling without a clock). */
export const PROGRESS_STEP = 1024 * 1024;

/** One URL's final failure, for the error of the package. */
type UrlFailure = { url: string; why: string; status?: number; actual?: string };

type Ctx = {
  cacheDir: string;
  retries: number;
  backoffMs: number;
  stallTimeoutMs: number;
  signal: AbortSignal;
  report: (e: FetchEvent) => void;
  http: () => Promise<HttpClient>;
};

/**
 * Fetches `reqs` into `<opts.cacheDir>/packages/` and resolves in the same order. A package
 * already in the cache is reused without network. When one package finally fails, the others are
 * aborted and the call rejects with that error (FetchError naming the package, the last URL and
 * why; IntegrityError when every URL served other bytes); verified files stay in the cache.
 */
export async function fetchPackages(reqs: FetchRequest[], opts: FetchOptions): Promise<FetchedPackage[]> {
  const concurrency = opts.concurrency ?? 8;
  const retries = opts.retries ?? 3;
  const stallTimeoutMs = opts.stallTimeoutMs ?? 30_000;
  const backoffMs = opts.backoffMs ?? 250;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`fetch: concurrency must be a positive integer, got ${concurrency}`);
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError(`fetch: retries must be a non-negative integer, got ${retries}`);
  if (!(stallTimeoutMs > 0) || !(backoffMs >= 0)) throw new UsageError('fetch: stallTimeoutMs must be positive and backoffMs not negative');
  for (const r of reqs) checkRequest(r);
  opts.signal?.throwIfAborted();

  // Our own abort joins the caller's: the first final failure stops the packages in flight.
  const own = new AbortController();
  const signal = opts.signal === undefined ? own.signal : AbortSignal.any([opts.signal, own.signal]);
  const http = lazyHttpClient(concurrency, stallTimeoutMs);
  const ctx: Ctx = {
    cacheDir: path.resolve(opts.cacheDir), retries, backoffMs, stallTimeoutMs, signal,
    report: opts.reporter ?? (() => undefined), http: () => http.get(),
  };
  const limit = createLimit(concurrency);
  // Two requests for one digest would share one .part: the second waits for the first.
  const byDigest = new Map<string, Promise<FetchedPackage>>();
  let failure: { error: unknown } | undefined;
  try {
    const tasks = reqs.map(async (req): Promise<FetchedPackage> => {
      const first = byDigest.get(req.digest);
      if (first !== undefined) {
        const done = await first;
        return { request: req, path: done.path, downloaded: false, bytes: 0 };
      }
      const p = limit(() => {
        signal.throwIfAborted();
        return fetchOne(ctx, req);
      });
      byDigest.set(req.digest, p);
      try {
        return await p;
      } catch (err) {
        if (opts.keepGoing === true && err instanceof JigtreeError && !signal.aborted) throw err;
        if (failure === undefined) {
          failure = { error: err };
          own.abort(err);
        }
        throw err;
      }
    });
    const settled = await Promise.allSettled(tasks);
    if (failure !== undefined) throw failure.error;
    const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    if (failed.length === 1) throw failed[0];
    if (failed.length > 1) {
      // keepGoing: one error that lists every package that could not be had (assemble, issue 6).
      const lines = failed.map((e) => (e instanceof Error ? e.message : String(e)));
      throw new JigtreeError(failed.every((e) => e instanceof JigtreeError && e.code === 'E_INTEGRITY') ? 'E_INTEGRITY' : 'E_FETCH', `${failed.length} of ${reqs.length} packages could not be fetched: ${lines.join('; ')}`, { data: { failures: lines } });
    }
    return settled.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    });
  } finally {
    await http.close();
  }
}

/** Rejects requests that cannot be fetched at all, before anything starts. */
function checkRequest(r: FetchRequest): void {
  const what = `fetch ${r.name}`;
  parseDigest(r.digest, what);
  if (!Number.isSafeInteger(r.size) || r.size < 0) throw new UsageError(`${what}: expected a size in bytes, got ${String(r.size)}`);
  if (r.urls.length === 0) throw new UsageError(`${what}: no URL to fetch it from`);
  for (const u of r.urls) {
    if (!/^(https?|file):\/\//i.test(u)) throw new UsageError(`${what}: expected an http, https or file URL, got ${JSON.stringify(redactUrl(u))}`);
  }
}

/** One package: the cache, else each URL in turn (with retries) until one gives the right bytes. */
async function fetchOne(ctx: Ctx, req: FetchRequest): Promise<FetchedPackage> {
  const digest = parseDigest(req.digest);
  const final = cachedPackagePath(ctx.cacheDir, req.digest);
  const have = await fileSize(final);
  // Trust the name (it only appears by rename after verification); the size check catches a
  // damaged cache (a truncated disk write) or a request whose size disagrees with its digest.
  if (have === req.size) {
    ctx.report({ type: 'fetch-done', name: req.name, bytes: 0, cached: true });
    return { request: req, path: final, downloaded: false, bytes: 0 };
  }
  if (have !== undefined) await removeFile(final);
  const part = partialPackagePath(ctx.cacheDir, req.digest);
  try {
    await fs.mkdir(path.dirname(part), { recursive: true });
  } catch (err) {
    throw fsError(path.dirname(part), err);
  }
  const counter = { bytes: 0, nextProgress: PROGRESS_STEP };
  const received = (n: number, offset: number): void => {
    counter.bytes += n;
    if (offset >= counter.nextProgress) {
      counter.nextProgress = (Math.floor(offset / PROGRESS_STEP) + 1) * PROGRESS_STEP;
      ctx.report({ type: 'fetch-progress', name: req.name, bytes: offset, size: req.size });
    }
  };
  const done = (): FetchedPackage => {
    ctx.report({ type: 'fetch-done', name: req.name, bytes: counter.bytes, cached: false });
    return { request: req, path: final, downloaded: true, bytes: counter.bytes };
  };

  // A .part left by an earlier attempt or a killed run: hash what it holds, to resume from it.
  const state = await loadPart(part, digest, req.size, ctx.signal);
  if (state.offset === req.size && req.size > 0) {
    // Killed after the last byte, before the rename: verify it, no network needed.
    if (`${digest.algo}:${state.hash.digest('hex')}` === req.digest) {
      await commitPart(part, final);
      return done();
    }
    await removeFile(part);
    reset(state, digest);
  }

  const failures: UrlFailure[] = [];
  for (const url of req.urls) {
    const safe = redactUrl(url);
    ctx.report({ type: 'fetch-start', name: req.name, url: safe, size: req.size });
    let result: 'ok' | UrlFailure;
    if (/^file:/i.test(url)) {
      result = await fromFile(url, part, req, digest, ctx.signal, (n) => { received(n, n); });
    } else {
      const http = await ctx.http();
      result = await fromHttp(ctx, req, url, part, digest, state, http, received);
    }
    if (result === 'ok') {
      await commitPart(part, final);
      return done();
    }
    failures.push(result);
    // A file:// copy or a bad download leaves nothing worth resuming from under another URL.
    if (result.actual !== undefined || /^file:/i.test(url)) reset(state, digest);
  }
  throw finalError(req, failures);
}

/** A new, empty .part state. */
function fresh(d: PackageDigest): PartState {
  return { offset: 0, hash: digestHash(d) };
}

/** Empties a state in place (the download in progress holds the same object). */
function reset(state: PartState, d: PackageDigest): void {
  state.offset = 0;
  state.hash = digestHash(d);
}

/** The state of an existing .part (hashed), or a fresh one; a .part longer than the package goes. */
async function loadPart(part: string, d: PackageDigest, size: number, signal: AbortSignal): Promise<PartState> {
  const n = await fileSize(part);
  if (n === undefined || n === 0) return fresh(d);
  if (n > size) {
    await removeFile(part);
    return fresh(d);
  }
  const hash = digestHash(d);
  const offset = await hashFileInto(part, hash, signal);
  return { offset, hash };
}

/** Retries one http(s) URL up to `ctx.retries` times after the first attempt. */
async function fromHttp(
  ctx: Ctx, req: FetchRequest, url: string, part: string, digest: PackageDigest, initial: PartState, http: HttpClient,
  received: (n: number, offset: number) => void,
): Promise<'ok' | UrlFailure> {
  const state = initial;
  let restartedAfterMismatch = false;
  for (let attempt = 1; ; attempt++) {
    const resumedFrom = state.offset;
    try {
      await downloadHttp(url, {
        client: http, part, size: req.size, state, stallTimeoutMs: ctx.stallTimeoutMs, signal: ctx.signal,
        restart: async () => {
          await removeFile(part);
          reset(state, digest);
        },
        received: (n) => { received(n, state.offset); },
      });
    } catch (err) {
      if (!(err instanceof AttemptFailure)) throw err;
      // A stalled mirror is left for the next one at once (librepo switches mirrors on timeouts
      // too): retrying it would cost another stall timeout per attempt while a healthy one waits.
      const stalled = err.message.startsWith('stalled') && req.urls.indexOf(url) < req.urls.length - 1;
      if (!err.retry || attempt > ctx.retries || stalled) {
        const why = err.retry ? `${err.message} after ${attempt} attempt${attempt === 1 ? '' : 's'}` : err.message;
        return { url, why, ...(err.status === undefined ? {} : { status: err.status }) };
      }
      // Exponential backoff with up to 25% jitter, so parallel retries do not arrive together.
      const delayMs = Math.round(ctx.backoffMs * 2 ** (attempt - 1) * (1 + Math.random() / 4));
      ctx.report({ type: 'fetch-retry', name: req.name, url: redactUrl(url), attempt: attempt + 1, reason: err.message, delayMs });
      await sleep(delayMs, undefined, { signal: ctx.signal }).catch(() => {
        throw ctx.signal.reason;
      });
      continue;
    }
    const actual = `${digest.algo}:${state.hash.digest('hex')}`;
    if (actual === req.digest) return 'ok';
    await removeFile(part);
    reset(state, digest);
    // A resumed download may have joined a bad prefix (from another mirror, or a file changed
    // under its name) to good bytes: try this URL once more from byte 0 before blaming it.
    if (resumedFrom > 0 && !restartedAfterMismatch) {
      restartedAfterMismatch = true;
      attempt--;
      continue;
    }
    return { url, why: `wrong content: expected ${req.digest}, got ${actual}`, actual };
  }
}

/** A file:// URL: a copy (a reflink where the file system can) into the .part, then verified. */
async function fromFile(url: string, part: string, req: FetchRequest, digest: PackageDigest, signal: AbortSignal, copied: (n: number) => void): Promise<'ok' | UrlFailure> {
  let src: string;
  try {
    src = fileURLToPath(url);
  } catch {
    return { url, why: 'not a local file URL (expected file:///absolute/path)' };
  }
  try {
    await fs.copyFile(src, part, fsConstants.COPYFILE_FICLONE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { url, why: 'not found' };
    const e = fsError(src, err);
    return { url, why: e instanceof Error ? e.message.replace(`${src}: `, '') : String(err) };
  }
  signal.throwIfAborted();
  const hash = digestHash(digest);
  const n = await hashFileInto(part, hash, signal);
  copied(n);
  if (n !== req.size) {
    await removeFile(part);
    return { url, why: `is ${n} bytes, expected ${req.size} (another file under this name?)` };
  }
  const actual = `${digest.algo}:${hash.digest('hex')}`;
  if (actual === req.digest) return 'ok';
  await removeFile(part);
  return { url, why: `wrong content: expected ${req.digest}, got ${actual}`, actual };
}

/** The package's one error: IntegrityError when every URL served other bytes, else the last URL's FetchError. */
function finalError(req: FetchRequest, failures: UrlFailure[]): Error {
  const last = failures[failures.length - 1];
  if (last === undefined) return new UsageError(`fetch ${req.name}: no URL to fetch it from`);
  if (last.actual !== undefined && failures.every((f) => f.actual !== undefined)) {
    const where = failures.length === 1 ? redactUrl(last.url) : `all ${failures.length} URLs, last ${redactUrl(last.url)}`;
    return new IntegrityError(`fetch ${req.name}: ${where}`, req.digest, last.actual, { data: { package: req.name, urls: failures.map((f) => redactUrl(f.url)) } });
  }
  const others = failures.length > 1 ? ` (${failures.length - 1} other URL${failures.length === 2 ? '' : 's'} failed too)` : '';
  return new FetchError(last.url, `${last.why}${others}`, last.status === undefined ? {} : { status: last.status }).prefix(`fetch ${req.name}`);
}
