/*
 * A loopback HTTP mirror with programmable faults, for the fetch tests of issue 5 ("Faults, via
 * a loopback server the test controls: HTTP 500, connection resets, truncated bodies, a wrong
 * package under the right name, a slow mirror with a second one healthy").
 *
 * It serves the regular files under `root` on 127.0.0.1 (ephemeral port) with GET and HEAD, one
 * byte range per request (`Range: bytes=a-b | a- | -n` -> 206 with Content-Range; unsatisfiable ->
 * 416; several ranges -> the whole file, as RFC 9110 §14.2 allows), `ETag`/`If-Range` (a stale
 * validator gets the whole file), 404 for missing files and directories, 403 for paths escaping
 * `root` (`..` or a symlink out), 405 for other methods. The path resolution follows
 * static-server.ts's rules.
 *
 * Faults are rules keyed by the decoded URL path. Each path has a queue of rules in the order they
 * were added; a request takes the first rule whose `times` is not used up (default: unlimited),
 * so `truncate(p, {bytes: 10, times: 1}); fail(p, {times: 1})` truncates the first GET, fails the
 * second and serves the third normally. HEAD requests only consume `fail` rules; they see
 * `substitute` (the other file's size) and `slow`'s stall without consuming them, and ignore
 * `reset`/`truncate` (there is no body to cut).
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

/** One request as the server saw it; `status` is what it sent (or was about to send). */
export type FaultRequest = {
  method: string;
  /** Decoded URL path, without the query string. */
  path: string;
  /** The raw Range header, or null. */
  range: string | null;
  status: number;
  /** The fault rule applied ('fail', 'reset', 'truncate', 'substitute', 'slow'), or null. */
  fault: string | null;
  /** Body bytes handed to the socket so far (updated while the body is being sent). */
  bytes: number;
};

/** Options of `fail`: the status to answer (default 500) and how many requests (default all). */
export type FailOptions = { status?: number; times?: number };
/** Options of `reset`: RST the connection once `afterBytes` of the body were written (default 0). */
export type ResetOptions = { afterBytes?: number; times?: number };
/** Options of `truncate`: send only `bytes` of the body under the full Content-Length, then FIN. */
export type TruncateOptions = { bytes: number; times?: number };
/** Options of `substitute`. */
export type SubstituteOptions = { times?: number };
/** Options of `slow`: throttle the body to `bytesPerSecond` and/or wait `stallMs` before answering. */
export type SlowOptions = { bytesPerSecond?: number; stallMs?: number; times?: number };

/** A running fault server. */
export type FaultServer = {
  /** Base URL, no trailing slash: http://127.0.0.1:PORT */
  url: string;
  /** Every request in arrival order (entries are live: `status`/`bytes` may still change). */
  requests: FaultRequest[];
  /** Answers `status` (default 500) instead of the file. */
  fail(urlPath: string, opts?: FailOptions): void;
  /**
   * Sends the headers and `afterBytes` of the body, then resets the TCP connection (RST) after a
   * 50 ms settle; a client that has not read the bytes by then loses them (Linux drops unread data
   * on RST), so it sees at most `afterBytes`.
   */
  reset(urlPath: string, opts?: ResetOptions): void;
  /** Sends Content-Length of the full body but only `bytes` of it, then closes (FIN). */
  truncate(urlPath: string, opts: TruncateOptions): void;
  /** Serves the bytes of `otherFile` (a filesystem path) under `urlPath`: wrong content, right name. */
  substitute(urlPath: string, otherFile: string, opts?: SubstituteOptions): void;
  /** Delays the response by `stallMs` and/or throttles its body to `bytesPerSecond`. */
  slow(urlPath: string, opts: SlowOptions): void;
  /** Drops the rules of `urlPath`, or of every path when omitted. */
  clearFaults(urlPath?: string): void;
  /** How many requests (of `method`, when given) had a path starting with `pathPrefix`. */
  count(pathPrefix: string, method?: string): number;
  /** Closes every connection (pending stalls included) and stops listening. */
  close(): Promise<void>;
};

type Rule =
  | { kind: 'fail'; left: number; status: number }
  | { kind: 'reset'; left: number; afterBytes: number }
  | { kind: 'truncate'; left: number; bytes: number }
  | { kind: 'substitute'; left: number; file: string }
  | { kind: 'slow'; left: number; bytesPerSecond: number | null; stallMs: number };

/** The file `decoded` names under `realRoot`, or the HTTP status saying why there is none. */
async function resolveFile(realRoot: string, decoded: string): Promise<string | 403 | 404> {
  if (decoded.includes('\0')) return 404;
  const segments = decoded.split('/');
  if (segments.includes('..')) return 403;
  let real: string;
  try {
    real = await fs.realpath(path.join(realRoot, ...segments));
  } catch {
    return 404;
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return 403;
  const st = await fs.stat(real).catch(() => null);
  return st?.isFile() === true ? real : 404;
}

/** The one byte range `header` asks of a `size`-byte body: [start, end] inclusive, 'all', or 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'all' | 416 {
  if (header === undefined) return 'all';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges or another unit: serving the whole representation is always allowed.
  if (m === null) return 'all';
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return 'all';
  if (a === '') {
    // Suffix range: the last n bytes.
    const n = Number(b);
    if (n === 0 || size === 0) return 416;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 416;
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return 'all';
  return { start, end };
}

/** How long a `reset` waits after its last body byte before sending the RST. */
const RESET_SETTLE_MS = 50;

const sleep = (ms: number, timers: Set<NodeJS.Timeout>): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });

/** Writes `chunk` and resolves once it was handed to the socket (or the response died). */
function writeAll(res: http.ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve();
      return;
    }
    res.write(chunk, () => {
      resolve();
    });
  });
}

/** Serves `root` on 127.0.0.1 with the faults its methods program. */
export async function serveWithFaults(root: string): Promise<FaultServer> {
  const realRoot = await fs.realpath(root);
  const requests: FaultRequest[] = [];
  const rules = new Map<string, Rule[]>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  const addRule = (urlPath: string, rule: Rule): void => {
    if (!urlPath.startsWith('/')) throw new Error(`fault path must start with '/': ${urlPath}`);
    if (!(rule.left > 0)) throw new Error(`fault times must be positive: ${rule.left}`);
    const list = rules.get(urlPath) ?? [];
    list.push(rule);
    rules.set(urlPath, list);
  };
  /** The rule this request gets; consumed when it applies to the method. */
  const takeRule = (urlPath: string, method: string): Rule | null => {
    const rule = rules.get(urlPath)?.find((r) => r.left > 0);
    if (rule === undefined) return null;
    if (method === 'HEAD' && (rule.kind === 'reset' || rule.kind === 'truncate')) return null;
    if (method === 'GET' || rule.kind === 'fail') rule.left -= 1;
    return rule;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      decoded = rawPath;
    }
    const rangeHeader = req.headers.range;
    const entry: FaultRequest = { method, path: decoded, range: rangeHeader ?? null, status: 0, fault: null, bytes: 0 };
    requests.push(entry);
    const reply = (status: number, headers: http.OutgoingHttpHeaders = {}): void => {
      entry.status = status;
      const body = method === 'HEAD' ? '' : `${status}\n`;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    if (method !== 'GET' && method !== 'HEAD') {
      reply(405);
      return;
    }
    const rule = takeRule(decoded, method);
    if (rule !== null) entry.fault = rule.kind;
    if (rule?.kind === 'slow' && rule.stallMs > 0) {
      await sleep(rule.stallMs, timers);
      if (res.destroyed) return;
    }
    if (rule?.kind === 'fail') {
      reply(rule.status);
      return;
    }
    const found = rule?.kind === 'substitute' ? rule.file : await resolveFile(realRoot, decoded);
    if (typeof found === 'number') {
      reply(found);
      return;
    }
    const st = await fs.stat(found);
    const etag = `"${st.size.toString(16)}-${Math.trunc(st.mtimeMs).toString(16)}"`;
    const ifRange = req.headers['if-range'];
    const range = ifRange !== undefined && ifRange !== etag ? 'all' : parseRange(rangeHeader, st.size);
    if (range === 416) {
      reply(416, { 'content-range': `bytes */${st.size}` });
      return;
    }
    const { start, end } = range === 'all' ? { start: 0, end: st.size - 1 } : range;
    const length = end - start + 1;
    const status = range === 'all' ? 200 : 206;
    entry.status = status;
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': length,
      'accept-ranges': 'bytes',
      etag,
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${st.size}` } : {}),
    });
    if (method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    // How much of the body to send before the fault's ending.
    const limit = rule?.kind === 'reset' ? Math.min(rule.afterBytes, length) : rule?.kind === 'truncate' ? Math.min(rule.bytes, length) : length;
    const bps = rule?.kind === 'slow' ? rule.bytesPerSecond : null;
    if (limit > 0) {
      const stream = createReadStream(found, { start, end: start + limit - 1, highWaterMark: 64 * 1024 });
      try {
        for await (const data of stream) {
          let chunk = data as Buffer;
          while (chunk.length > 0) {
            if (res.destroyed) {
              stream.destroy();
              return;
            }
            // Throttled bodies go out in tenths of a second's worth of bytes.
            const n = bps === null ? chunk.length : Math.max(1, Math.floor(bps / 10));
            const piece = chunk.subarray(0, n);
            chunk = chunk.subarray(n);
            await writeAll(res, piece);
            entry.bytes += piece.length;
            if (bps !== null) await sleep((piece.length / bps) * 1000, timers);
          }
        }
      } catch {
        res.destroy();
        return;
      }
    }
    if (rule?.kind === 'reset') {
      // RST, not FIN: the client sees ECONNRESET. Linux drops received-but-unread data when the
      // RST arrives, so the RST waits a moment for the client to read what was sent first.
      await sleep(RESET_SETTLE_MS, timers);
      const socket = res.socket;
      if (socket !== null) socket.resetAndDestroy();
      else res.destroy();
    } else if (rule?.kind === 'truncate') {
      // A clean FIN after a short body: the client sees a premature end of the message.
      const socket = res.socket;
      if (socket !== null) socket.end();
      else res.destroy();
    } else {
      res.end();
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('500\n');
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const times = (t: number | undefined): number => t ?? Number.POSITIVE_INFINITY;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail: (p, o = {}) => {
      addRule(p, { kind: 'fail', left: times(o.times), status: o.status ?? 500 });
    },
    reset: (p, o = {}) => {
      addRule(p, { kind: 'reset', left: times(o.times), afterBytes: o.afterBytes ?? 0 });
    },
    truncate: (p, o) => {
      addRule(p, { kind: 'truncate', left: times(o.times), bytes: o.bytes });
    },
    substitute: (p, otherFile, o = {}) => {
      addRule(p, { kind: 'substitute', left: times(o.times), file: path.resolve(otherFile) });
    },
    slow: (p, o) => {
      if (o.bytesPerSecond !== undefined && !(o.bytesPerSecond > 0)) throw new Error(`bytesPerSecond must be positive: ${o.bytesPerSecond}`);
      addRule(p, { kind: 'slow', left: times(o.times), bytesPerSecond: o.bytesPerSecond ?? null, stallMs: o.stallMs ?? 0 });
    },
    clearFaults: (p) => {
      if (p === undefined) rules.clear();
      else rules.delete(p);
    },
    count: (prefix, m) => requests.filter((r) => r.path.startsWith(prefix) && (m === undefined || r.method === m)).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
