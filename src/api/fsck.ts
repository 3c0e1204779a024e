import { fsck as fsckRepo, openRepo, type FsckEvent, type FsckReport } from '../ostree/index.js';
import { resolveRevision } from './inspect-repo.js';

/** Options of fsck: `revs` limits the check to those commits (refs or checksums). */
export type FsckOptions = { repo: string; revs?: readonly string[]; concurrency?: number; signal?: AbortSignal; reporter?: (event: FsckEvent) => void };

/**
 * `jigtree fsck [REV...]`: re-hashes and validates every object reachable from every commit (or
 * from `revs`), and resolves to every finding; it throws only when it cannot run.
 */
export async function fsck(opts: FsckOptions): Promise<FsckReport> {
  const repo = await openRepo(opts.repo);
  const commits = opts.revs === undefined || opts.revs.length === 0 ? undefined : await Promise.all(opts.revs.map((r) => resolveRevision(repo, r)));
  return fsckRepo(repo, {
    ...(commits === undefined ? {} : { commits }),
    ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.reporter === undefined ? {} : { reporter: opts.reporter }),
  });
}
