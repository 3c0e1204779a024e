/**
 * Package imports on worker threads (issue 5's measured bottleneck, issue 6's assemble): each
 * worker runs importPackage for whole packages, so tar/cpio parsing, hashing and object writes
 * of several packages use several cores instead of interleaving on the main thread. The main
 * thread keeps fetching meanwhile. From the TypeScript sources (no compiled worker script) the
 * pool is not available and callers import in-process.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InternalError, JigtreeError, type ErrorCode, type ErrorData } from '../../core/index.js';
import type { Repo, WriteStats } from '../../ostree/index.js';
import type { ImportPackageOptions, PackageImport } from './import-package.js';

/** What a worker is asked: one package. */
export type PackageJob = { id: number; file: string; opts: Omit<ImportPackageOptions, 'signal' | 'stats'> };

/** A worker's answer. */
export type PackageReply =
  | { id: number; ok: true; rec: PackageImport; stats: WriteStats }
  | { id: number; ok: false; error: { code: ErrorCode; message: string; data: ErrorData } };

const WORKER_SCRIPT = new URL('./package-import-worker.js', import.meta.url);
/** Packages in flight per worker: one parses while another waits on its xz/zstd child process. */
const PER_WORKER = 2;

type Slot = { worker: Worker; busy: number };
type Pending = { slot: Slot; resolve: (r: PackageImport) => void; reject: (e: unknown) => void; stats: WriteStats | undefined };

/** Worker threads importing packages; see the module doc. */
export class PackageImportPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(repo: Repo, n: number) {
    this.slots = Array.from({ length: n }, () => {
      const slot: Slot = { worker: new Worker(WORKER_SCRIPT, { workerData: repo }), busy: 0 };
      slot.worker.on('message', (reply: PackageReply) => {
        this.settle(reply);
      });
      slot.worker.on('error', (err) => {
        this.fail(err);
      });
      return slot;
    });
  }

  /** A pool of `n` workers (default one per core), or undefined when jigtree runs from its sources. */
  static open(repo: Repo, n = availableParallelism()): PackageImportPool | undefined {
    if (n < 1 || !existsSync(fileURLToPath(WORKER_SCRIPT))) return undefined;
    return new PackageImportPool(repo, n);
  }

  /** How many packages may be in flight at once. */
  get capacity(): number {
    return this.slots.length * PER_WORKER;
  }

  /** Imports `file` on the least busy worker; the caller bounds concurrency to `capacity`. */
  importPackage(file: string, opts: ImportPackageOptions): Promise<PackageImport> {
    return new Promise<PackageImport>((resolve, reject) => {
      if (this.failure !== undefined) {
        reject(this.failure);
        return;
      }
      opts.signal?.throwIfAborted();
      const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = this.nextId++;
      slot.busy++;
      this.pending.set(id, { slot, resolve, reject, stats: opts.stats });
      const { signal: _signal, stats: _stats, ...rest } = opts;
      const job: PackageJob = { id, file, opts: rest };
      slot.worker.postMessage(job);
    });
  }

  private settle(reply: PackageReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    p.slot.busy--;
    if (!reply.ok) {
      p.reject(new JigtreeError(reply.error.code, reply.error.message, { data: reply.error.data }));
      return;
    }
    if (p.stats !== undefined) {
      p.stats.objectsWritten += reply.stats.objectsWritten;
      p.stats.objectsReused += reply.stats.objectsReused;
      p.stats.bytesWritten += reply.stats.bytesWritten;
    }
    p.resolve(reply.rec);
  }

  private fail(err: unknown): void {
    this.failure = new InternalError(`package import worker failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  /** Stops the workers; imports still running are abandoned (their objects are whole or absent). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
