import { initRepo, parseRepoMode, type Repo } from '../ostree/index.js';

/** Options of init. */
export type InitOptions = { repo: string; /** archive, bare-user, bare or bare-user-only */ mode: string; collectionId?: string };

/** `jigtree init`: creates an OSTree repository (archive is servable over HTTP; bare-user allows hardlinked checkouts). */
export async function init(opts: InitOptions): Promise<Repo> {
  return initRepo(opts.repo, { mode: parseRepoMode(opts.mode), ...(opts.collectionId === undefined ? {} : { collectionId: opts.collectionId }) });
}
