import { openRepo, updateSummary } from '../ostree/index.js';

/** `jigtree summary --update`: regenerates the repo's summary file; `now` is seconds since the epoch. */
export async function updateRepoSummary(opts: { repo: string; now: number }): Promise<{ refs: number; bytes: number }> {
  return updateSummary(await openRepo(opts.repo), { now: opts.now });
}
