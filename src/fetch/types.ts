// The fetch stage's data (issue 5 step 3; architecture.md §3: Lockfile --fetch--> FetchedPackage[]).

/** One package to bring into the download cache. */
export type FetchRequest = {
  /** For messages and events, e.g. `bash_5.2.15-2+b2_amd64` or `demo-app-2.0-1.x86_64`. */
  name: string;
  /** Candidate URLs in preference order (mirror failover); http(s):// or file://. */
  urls: string[];
  /** Expected size in bytes (from the repo metadata, pinned by the lockfile). */
  size: number;
  /** `sha256:<hex>` or `sha512:<hex>` (the lockfile form). */
  digest: string;
};

/** A package in the download cache, its size and digest verified. */
export type FetchedPackage = {
  request: FetchRequest;
  /** `cachedPackagePath(cacheDir, digest)`. */
  path: string;
  /** False when it was already in the cache (no network). */
  downloaded: boolean;
  /** Bytes received for it (over the wire, or copied for file://), failed attempts included. */
  bytes: number;
};

/** Progress of fetchPackages, delivered to `opts.reporter` (architecture.md §7). URLs are redacted. */
export type FetchEvent =
  | { type: 'fetch-start'; name: string; url: string; size: number }
  /** Throttled: at most once per PROGRESS_STEP bytes, never per chunk. */
  | { type: 'fetch-progress'; name: string; bytes: number; size: number }
  /** `attempt` is the number of the attempt about to start on `url` (2 for the first retry). */
  | { type: 'fetch-retry'; name: string; url: string; attempt: number; reason: string; delayMs: number }
  | { type: 'fetch-done'; name: string; bytes: number; cached: boolean };

/** Options of fetchPackages. */
export type FetchOptions = {
  /** The cache root; packages go to `<cacheDir>/packages/` (compose-plan "Cache dir layout"). */
  cacheDir: string;
  /** Packages downloading at once; default 8 (architecture.md §7 network limit). */
  concurrency?: number;
  /** Retries per URL after the first attempt; default 3. */
  retries?: number;
  /** First backoff in ms, doubled per retry, with jitter; default 250. */
  backoffMs?: number;
  /** An attempt that receives no byte for this long is aborted (and retried); default 30000. */
  stallTimeoutMs?: number;
  /** Try every package even when some fail, then throw one error listing all failures (default: stop at the first). */
  keepGoing?: boolean;
  signal?: AbortSignal;
  reporter?: (e: FetchEvent) => void;
};
