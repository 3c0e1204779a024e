import { UsageError } from '../core/index.js';
import { variant, type Variant } from '../gvariant/index.js';
import {
  commitAndSetRef,
  importDirectory,
  newWriteStats,
  openRepo,
  readRef,
  removeOwnTmpDirs,
  removeStaleTmpFiles,
  resolveRev,
  validateRefName,
  writeMutableTree,
  type Checksum,
  type ImportOptions,
  type MutableTree,
  type WriteStats,
} from '../ostree/index.js';

/** Options of commit: what to commit (a directory or a mutable tree) and how to record it. */
export type CommitOptions = Omit<ImportOptions, 'signal'> & {
  repo: string;
  /** Ref to move; like `ostree commit -b`. Omit for an orphan commit. */
  branch?: string;
  /** A directory on disk... */
  dir?: string;
  /** ...or a tree whose content objects are already in the repo (compose). */
  tree?: MutableTree;
  subject?: string;
  body?: string;
  /** Seconds since the epoch; the caller resolves SOURCE_DATE_EPOCH or the clock (determinism is API). */
  timestamp: number;
  /** 'none', a checksum or a rev; default: the branch's current commit. */
  parent?: string;
  /** Commit metadata in order (`--add-metadata-string` entries first, as ostree orders them). */
  metadata?: readonly (readonly [string, Variant])[];
  /** Record `ostree.ref-binding` (default true, like ostree without --no-bindings). */
  bindings?: boolean;
  signal?: AbortSignal;
};

/** What a commit produced. */
export type CommitResult = { commit: Checksum; ref: string | undefined; parent: Checksum | null; stats: WriteStats };

/**
 * `jigtree commit`: writes the content objects, dirtrees and dirmetas, then the commit, then moves
 * the ref, in that order, so an interruption at any point leaves a valid repo and an unmoved ref.
 */
export async function commit(opts: CommitOptions): Promise<CommitResult> {
  if ((opts.dir === undefined) === (opts.tree === undefined)) throw new UsageError('commit: give exactly one of a directory or a tree');
  if (opts.branch !== undefined) validateRefName(opts.branch, 'branch');
  if (opts.canonicalPermissions === true && ((opts.ownerUid ?? 0) !== 0 || (opts.ownerGid ?? 0) !== 0)) {
    throw new UsageError('commit: --canonical-permissions cannot be combined with a non-zero --owner-uid/--owner-gid');
  }
  const repo = await openRepo(opts.repo);
  await removeStaleTmpFiles(repo);
  const metadata = [...(opts.metadata ?? [])];
  const keys = new Set<string>();
  for (const [k] of metadata) {
    if (k.length === 0) throw new UsageError('commit: empty metadata key');
    if (keys.has(k)) throw new UsageError(`commit: metadata key ${JSON.stringify(k)} given twice`);
    keys.add(k);
  }
  // ostree commit -b REF binds the commit to its ref unless --no-bindings (ostree-format.md §4).
  if (opts.bindings !== false) {
    metadata.push(['ostree.ref-binding', variant('as', opts.branch === undefined ? [] : [opts.branch])]);
    if (repo.collectionId !== undefined) metadata.push(['ostree.collection-binding', variant('s', repo.collectionId)]);
  }
  let parent: Checksum | null;
  if (opts.parent === 'none') parent = null;
  else if (opts.parent !== undefined) parent = await resolveRev(repo, opts.parent);
  else parent = opts.branch === undefined ? null : ((await readRef(repo, opts.branch)) ?? null);

  try {
    const stats = newWriteStats();
    const tree =
      opts.tree ??
      (await importDirectory(
        repo,
        opts.dir as string,
        {
          ...(opts.ownerUid === undefined ? {} : { ownerUid: opts.ownerUid }),
          ...(opts.ownerGid === undefined ? {} : { ownerGid: opts.ownerGid }),
          ...(opts.canonicalPermissions === undefined ? {} : { canonicalPermissions: opts.canonicalPermissions }),
          ...(opts.noXattrs === undefined ? {} : { noXattrs: opts.noXattrs }),
          ...(opts.workers === undefined ? {} : { workers: opts.workers }),
          ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        },
        stats,
      ));
    opts.signal?.throwIfAborted();
    const root = writeMutableTree(repo, tree.root, stats);
    opts.signal?.throwIfAborted();
    const checksum = await commitAndSetRef(
      repo,
      { metadata, parent, subject: opts.subject ?? '', body: opts.body ?? '', timestamp: opts.timestamp, rootTree: root.tree, rootMeta: root.meta },
      opts.branch,
      stats,
    );
    return { commit: checksum, ref: opts.branch, parent, stats };
  } finally {
    await removeOwnTmpDirs(repo);
  }
}
