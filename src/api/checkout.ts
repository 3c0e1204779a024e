import { checkout as checkoutCommit, openRepo, type CheckoutMode, type CheckoutResult } from '../ostree/index.js';
import { resolveRevision } from './inspect-repo.js';

/** Options of checkout; `owners` defaults to running as root, `xattrs` to `owners` (ostree checkout vs checkout -U). */
export type CheckoutOptions = {
  repo: string;
  rev: string;
  dest: string;
  subpath?: string;
  mode?: CheckoutMode;
  owners?: boolean;
  xattrs?: boolean;
  signal?: AbortSignal;
};

/** `jigtree checkout REV DEST`: materializes a commit into DEST, which must not exist or be empty. */
export async function checkout(opts: CheckoutOptions): Promise<CheckoutResult & { commit: string }> {
  const repo = await openRepo(opts.repo);
  const commit = await resolveRevision(repo, opts.rev);
  const result = await checkoutCommit(repo, commit, opts.dest, {
    ...(opts.subpath === undefined ? {} : { subpath: opts.subpath }),
    ...(opts.mode === undefined ? {} : { mode: opts.mode }),
    ...(opts.owners === undefined ? {} : { owners: opts.owners }),
    ...(opts.xattrs === undefined ? {} : { xattrs: opts.xattrs }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  return { commit, ...result };
}
