/**
 * A pool of worker threads that write small files' content objects in parallel (issue 3: "use
 * both cores: hashing and deflate can run in parallel"). The walk stays on the main thread and
 * sends jobs in batches (one message per file costs more than the file).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InternalError, JigtreeError, type ErrorCode, type ErrorData } from '../core/index.js';
import type { Checksum } from './checksum.js';
import type { ContentHeader } from './objects.js';
import type { Repo } from './repo.js';

/** One file for a worker: read `path` and store it with `header`. */
export interface ImportJob {
  readonly path: string;
  readonly header: ContentHeader;
}

/** A batch of jobs, as sent to a worker. */
export interface ImportBatch {
  readonly id: number;
  readonly jobs: readonly ImportJob[];
}

/** One job's outcome. */
export type ImportResult =
  | { readonly ok: true; readonly checksum: Checksum; readonly created: boolean; readonly bytes: number }
  | { readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string; readonly data: ErrorData } };

/** A worker's answer to a batch. */
export interface ImportReply {
  readonly id: number;
  readonly results: readonly ImportResult[];
}

type Pending = { resolve: (r: ImportResult) => void; reject: (e: unknown) => void };

const BATCH = 32;
const WORKER_SCRIPT = new URL('./import-worker.js', import.meta.url);

interface Slot {
  readonly worker: Worker;
  outstanding: number;
}

/** Worker threads writing content objects; see module doc. */
export class ImportPool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<number, { slot: Slot; pending: Pending[] }>();
  private queue: ImportJob[] = [];
  private queued: Pending[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(repo: Repo, n: number) {
    this.slots = Array.from({ length: n }, () => {
      const slot: Slot = { worker: new Worker(WORKER_SCRIPT, { workerData: repo }), outstanding: 0 };
      slot.worker.on('message', (reply: ImportReply) => {
        this.settle(reply);
      });
      slot.worker.on('error', (err) => {
        this.fail(err);
      });
      return slot;
    });
  }

  /**
   * A pool of `n` workers (default: one per core), or undefined when workers cannot be used:
   * `n` is 0, or jigtree runs from its TypeScript sources (no compiled worker script).
   */
  static open(repo: Repo, n = availableParallelism()): ImportPool | undefined {
    if (n < 1 || !existsSync(fileURLToPath(WORKER_SCRIPT))) return undefined;
    return new ImportPool(repo, n);
  }

  /** Queues a file; resolves with its checksum once a worker has written (or found) its object. */
  submit(job: ImportJob): Promise<ImportResult> {
    return new Promise<ImportResult>((resolve, reject) => {
      if (this.failure !== undefined) {
        reject(this.failure);
        return;
      }
      this.queue.push(job);
      this.queued.push({ resolve, reject });
      if (this.queue.length >= BATCH) this.flush();
      // A lone tail is sent on the next turn of the event loop.
      else if (this.queue.length === 1) setImmediate(() => {
        this.flush();
      });
    });
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    const slot = this.slots.reduce((a, b) => (b.outstanding < a.outstanding ? b : a));
    const id = this.nextId++;
    const batch: ImportBatch = { id, jobs: this.queue };
    this.waiting.set(id, { slot, pending: this.queued });
    slot.outstanding += this.queue.length;
    this.queue = [];
    this.queued = [];
    slot.worker.postMessage(batch);
  }

  private settle(reply: ImportReply): void {
    const w = this.waiting.get(reply.id);
    if (w === undefined) return;
    this.waiting.delete(reply.id);
    w.slot.outstanding -= w.pending.length;
    reply.results.forEach((r, i) => w.pending[i]?.resolve(r));
  }

  private fail(err: unknown): void {
    this.failure = new InternalError(`import worker failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    for (const { pending } of this.waiting.values()) for (const p of pending) p.reject(this.failure);
    this.waiting.clear();
  }

  /** Stops the workers (after the caller has awaited every submitted job). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** Turns a worker's error back into the JigtreeError it was. */
export function importError(e: { code: ErrorCode; message: string; data: ErrorData }): JigtreeError {
  return new JigtreeError(e.code, e.message, { data: e.data });
}
