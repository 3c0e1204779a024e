// One HTTP download attempt into a .part file, with Range resume (RFC 9110 §14), and the
// classification of what went wrong: worth another attempt on this URL, or move to the next one.
// The retry policy is apt's and librepo's: connection errors, 5xx, 408 and 429, short bodies and
// stalls are transient; 403/404/410 (and other 4xx) mean this mirror does not have the file.
import type { Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { fsError, JigtreeError, NET_ERRORS } from '../core/index.js';

/** The undici pieces one fetchPackages call shares: a keep-alive Agent and `request`. */
export type HttpClient = { request: typeof import('undici').request; dispatcher: Dispatcher };

/**
 * Loads undici on first use (a run served wholly from the cache never does) and makes one
 * keep-alive Agent: `connections` sockets per origin, connect timeout = the stall timeout.
 */
export function lazyHttpClient(connections: number, stallTimeoutMs: number): { get: () => Promise<HttpClient>; close: () => Promise<void> } {
  let client: Promise<HttpClient> | undefined;
  return {
    get: () =>
      (client ??= import('undici').then(({ Agent, request }) => ({
        request,
        dispatcher: new Agent({ connections, keepAliveTimeout: 10_000, connectTimeout: stallTimeoutMs, headersTimeout: stallTimeoutMs, bodyTimeout: stallTimeoutMs }),
      }))),
    close: async () => {
      if (client === undefined) return;
      // destroy, not close: after an abort, requests may still be draining; nothing is waited for.
      await (await client).dispatcher.destroy();
    },
  };
}

/**
 * Why one attempt on one URL failed. `retry`: the same URL may succeed later (transient);
 * otherwise the next URL is tried. The message is the "why" part of the final FetchError.
 */
export class AttemptFailure extends Error {
  readonly retry: boolean;
  readonly status: number | undefined;

  constructor(why: string, retry: boolean, status?: number) {
    super(why);
    this.retry = retry;
    this.status = status;
  }
}

/** The .part being written: its length so far, and the hash of exactly those bytes. */
export type PartState = { offset: number; hash: Hash };

/** What downloadHttp needs besides the URL. */
export type HttpAttempt = {
  client: HttpClient;
  /** The .part file; appended to when `state.offset > 0` and the server answers 206. */
  part: string;
  /** Expected size of the whole package. */
  size: number;
  /** Current .part state; updated in place as bytes are written (also when the attempt fails). */
  state: PartState;
  /** Starts over: truncates the .part and gives a fresh state (200 to a Range, 416, bad 206). */
  restart(): Promise<void>;
  stallTimeoutMs: number;
  signal: AbortSignal;
  /** Called with each chunk's length after it was written (byte counting and progress). */
  received(n: number): void;
};

/** An error from undici or the socket as an AttemptFailure; an abort is passed through. */
function networkFailure(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (err instanceof AttemptFailure) return err;
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const known = code === undefined ? undefined : NET_ERRORS[code];
  if (known !== undefined) return new AttemptFailure(`${known[0]} (${code ?? ''})`, known[1]);
  // undici reports a redirect loop by message only.
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  if (/redirect/i.test(msg)) return new AttemptFailure(`too many redirects`, false);
  return new AttemptFailure(`download failed (${code ?? msg})`, true);
}

/** 403/404/410: this mirror does not have it (apt moves on; no retry helps). */
const ABSENT = new Set([403, 404, 410]);

/**
 * `http://user:pass@host/...` → the URL without them plus a Basic Authorization header, as apt
 * and dnf accept credentials in a baseurl; messages only ever see the redacted URL.
 */
export function splitCredentials(url: string): { target: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'user-agent': 'jigtree' };
  if (!/^https?:\/\/[^/?#]*@/i.test(url)) return { target: url, headers };
  const u = new URL(url);
  headers['authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  u.username = '';
  u.password = '';
  return { target: u.toString(), headers };
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * One GET of `url` into the .part, resuming from `state.offset` with `Range: bytes=N-`: 206 →
 * append, 200 → start over, 416 → drop the part and ask again without Range. Resolves when the
 * .part holds `size` bytes (the caller checks the digest); throws AttemptFailure otherwise, with
 * every byte written so far kept in the .part and in `state` for the next attempt to resume.
 */
export async function downloadHttp(url: string, a: HttpAttempt): Promise<void> {
  const { target, headers } = splitCredentials(url);
  let res: Dispatcher.ResponseData;
  for (;;) {
    const ranged = a.state.offset > 0;
    try {
      res = await a.client.request(target, {
        dispatcher: a.client.dispatcher,
        signal: a.signal,
        headers: ranged ? { ...headers, range: `bytes=${a.state.offset}-` } : headers,
        maxRedirections: 5,
        headersTimeout: a.stallTimeoutMs,
        bodyTimeout: a.stallTimeoutMs,
      });
    } catch (err) {
      throw networkFailure(err, a.signal);
    }
    // 416: the server's file is not longer than our part; ours cannot be a prefix of it.
    if (res.statusCode === 416 && ranged) {
      await dump(res);
      await a.restart();
      continue;
    }
    break;
  }
  const status = res.statusCode;
  if (status === 206 && a.state.offset > 0) {
    const m = CONTENT_RANGE.exec(String(res.headers['content-range'] ?? ''));
    if (m === null || Number(m[1]) !== a.state.offset) {
      await dump(res);
      await a.restart();
      throw new AttemptFailure(`resumed at the wrong offset (Content-Range ${JSON.stringify(res.headers['content-range'] ?? null)}, asked for byte ${a.state.offset})`, true, status);
    }
    if (m[3] !== '*' && Number(m[3]) !== a.size) {
      await dump(res);
      throw new AttemptFailure(`serves ${m[3] ?? ''} bytes, expected ${a.size} (another file under this name?)`, false, status);
    }
  } else if (status === 200) {
    if (a.state.offset > 0) await a.restart();
  } else {
    await dump(res);
    const why = `HTTP ${status}`;
    if (status >= 500 || status === 408 || status === 429) throw new AttemptFailure(why, true, status);
    throw new AttemptFailure(ABSENT.has(status) ? why : `${why} (unexpected)`, false, status);
  }
  // A Content-Length that disagrees with the metadata is a different file, not a short read.
  const cl = res.headers['content-length'];
  if (typeof cl === 'string' && /^\d+$/.test(cl) && a.state.offset + Number(cl) !== a.size) {
    await dump(res);
    throw new AttemptFailure(`serves ${a.state.offset + Number(cl)} bytes, expected ${a.size} (another file under this name?)`, false, status);
  }
  await writeBody(res, a);
}

/** Drains a body we do not want (undici keeps the socket only when the body is consumed). */
async function dump(res: Dispatcher.ResponseData): Promise<void> {
  await res.body.dump().catch(() => undefined);
}

/**
 * Streams the body into the .part, hashing as it writes (convention 7); never buffers it whole.
 * The file is opened and written synchronously: an await between reads lets chunks pile up in
 * the body, and a connection that closes early destroys the body with them (they would have to
 * be fetched again instead of resumed).
 */
async function writeBody(res: Dispatcher.ResponseData, a: HttpAttempt): Promise<void> {
  let fd: number;
  try {
    fd = openSync(a.part, a.state.offset > 0 ? 'a' : 'w');
  } catch (err) {
    await dump(res);
    throw fsError(a.part, err);
  }
  try {
    try {
      for await (const data of res.body) {
        const chunk = data as Buffer;
        if (a.state.offset + chunk.length > a.size) {
          res.body.destroy();
          throw new AttemptFailure(`serves more than the expected ${a.size} bytes (another file under this name?)`, false, res.statusCode);
        }
        try {
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
        } catch (err) {
          res.body.destroy();
          throw fsError(a.part, err);
        }
        // Hash after the write succeeded, so `state` always describes the .part exactly.
        a.state.hash.update(chunk);
        a.state.offset += chunk.length;
        a.received(chunk.length);
      }
    } catch (err) {
      // Our own failures and disk errors (fsError) pass; the rest came from the socket.
      if (err instanceof AttemptFailure || err instanceof JigtreeError) throw err;
      throw networkFailure(err, a.signal);
    }
  } finally {
    closeSync(fd);
  }
  if (a.state.offset < a.size) throw new AttemptFailure(`truncated: got ${a.state.offset} of ${a.size} bytes`, true, res.statusCode);
}
