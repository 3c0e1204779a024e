import { diff as diffCommits, openRepo, type DiffResult } from '../ostree/index.js';
import { resolveRevision } from './inspect-repo.js';

/** Options of diff: two revisions of one repository. */
export type DiffOptions = { repo: string; from: string; to: string; signal?: AbortSignal };

/** `jigtree diff A B`: added, removed and modified paths (ostree diff's rules and order) and commit-level changes. */
export async function diff(opts: DiffOptions): Promise<DiffResult> {
  const repo = await openRepo(opts.repo);
  const [from, to] = await Promise.all([resolveRevision(repo, opts.from), resolveRevision(repo, opts.to)]);
  return diffCommits(repo, from, to, opts.signal === undefined ? {} : { signal: opts.signal });
}
