/**
 * Worker thread of the import pool (import-pool.ts): reads small files, hashes them and writes
 * their content objects (deflating in archive repos) with synchronous calls, so that each worker
 * keeps one core busy. Messages: ImportBatch in, ImportReply out.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { InternalError, JigtreeError, fsError } from '../core/index.js';
import type { ImportBatch, ImportReply, ImportResult } from './import-pool.js';
import type { Repo } from './repo.js';
import { newWriteStats, writeContentBytesSync } from './write-object.js';

const repo = workerData as Repo;

function run(batch: ImportBatch): ImportReply {
  const results = batch.jobs.map((job): ImportResult => {
    try {
      let data: Buffer;
      try {
        data = readFileSync(job.path);
      } catch (err) {
        throw fsError(job.path, err);
      }
      const stats = newWriteStats();
      const { checksum } = writeContentBytesSync(repo, job.header, data, stats);
      return { ok: true, checksum, created: stats.objectsWritten > 0, bytes: stats.bytesWritten };
    } catch (err) {
      const e = err instanceof JigtreeError ? err : new InternalError(`import worker: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      return { ok: false, error: { code: e.code, message: e.message, data: e.data } };
    }
  });
  return { id: batch.id, results };
}

parentPort?.on('message', (batch: ImportBatch) => {
  parentPort?.postMessage(run(batch));
});
