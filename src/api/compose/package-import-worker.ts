/**
 * Worker thread of PackageImportPool: runs importPackage for the packages it is sent and answers
 * with the import record and its write counters (PackageJob in, PackageReply out).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InternalError, JigtreeError } from '../../core/index.js';
import { newWriteStats, type Repo } from '../../ostree/index.js';
import { importPackage } from './import-package.js';
import type { PackageJob, PackageReply } from './package-import-pool.js';

const repo = workerData as Repo;

async function run(job: PackageJob): Promise<PackageReply> {
  const stats = newWriteStats();
  try {
    const rec = await importPackage(repo, job.file, { ...job.opts, stats });
    return { id: job.id, ok: true, rec, stats };
  } catch (err) {
    const e = err instanceof JigtreeError ? err : new InternalError(`package import worker: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    return { id: job.id, ok: false, error: { code: e.code, message: e.message, data: e.data } };
  }
}

parentPort?.on('message', (job: PackageJob) => {
  void run(job).then((reply) => {
    parentPort?.postMessage(reply);
  });
});
