import type { Readable } from 'node:stream';
import { FormatError, NotFoundError, UsageError } from '../core/index.js';
import {
  listRefs,
  loadCommit,
  loadContentObject,
  nodeInfo,
  openRepo,
  resolvePath,
  resolveRev,
  rootNode,
  walkTree,
  type Checksum,
  type Commit,
  type RefEntry,
  type Repo,
  type TreeNode,
  type Xattr,
} from '../ostree/index.js';

/** Options naming a repository. */
export type RepoOptions = { repo: string; signal?: AbortSignal };

/**
 * Resolves a revision as `ostree rev-parse` does (a ref, `remote:ref`, a full checksum, each
 * optionally followed by `^`s), after the checks that turn bad input into one clear line.
 */
export async function resolveRevision(repo: Repo, rev: string): Promise<Checksum> {
  const base = rev.replace(/\^+$/, '');
  if (base === '') throw new UsageError(`revision ${JSON.stringify(rev)}: expected a ref or a commit checksum`);
  // 64 hex digits is meant as a checksum; ostree writes them in lowercase only (§2.1).
  if (/^[0-9a-fA-F]{64}$/.test(base) && base !== base.toLowerCase()) throw new FormatError('ostree', `checksum ${base}: expected 64 lowercase hex characters`);
  return resolveRev(repo, rev);
}

/** `jigtree rev-parse REV`: the commit checksum a revision names. */
export async function revParse(opts: RepoOptions & { rev: string }): Promise<Checksum> {
  return resolveRevision(await openRepo(opts.repo), opts.rev);
}

/** `jigtree refs`: every ref (refs/heads), and remote refs as `remote:ref` unless `remotes: false`; sorted. */
export async function refs(opts: RepoOptions & { remotes?: boolean }): Promise<RefEntry[]> {
  return listRefs(await openRepo(opts.repo), { remotes: opts.remotes ?? true });
}

/** One commit of a log: `parentMissing` when its parent is named but not in the repository. */
export type LogEntry = { checksum: Checksum; commit: Commit; parentMissing: boolean };

/** `jigtree log REV`: the commit and its ancestors, newest first, until a root commit or a parent that was not fetched. */
export async function* log(opts: RepoOptions & { rev: string }): AsyncGenerator<LogEntry> {
  const repo = await openRepo(opts.repo);
  let c: Checksum | null = await resolveRevision(repo, opts.rev);
  let commit = await loadCommit(repo, c);
  const seen = new Set<Checksum>();
  while (c !== null) {
    opts.signal?.throwIfAborted();
    // A commit cannot be its own ancestor (its name hashes its parent), but a crafted repo can loop.
    if (seen.has(c)) throw new FormatError('ostree', `commit ${c}: parent chain loops back to it`);
    seen.add(c);
    const parent: Checksum | null = commit.parent;
    let next: Commit | undefined;
    if (parent !== null) {
      try {
        next = await loadCommit(repo, parent);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    yield { checksum: c, commit, parentMissing: parent !== null && next === undefined };
    if (next === undefined) break;
    c = parent;
    commit = next;
  }
}

/** One entry of `jigtree ls`. */
export type TreeEntry = {
  path: string;
  type: 'dir' | 'file' | 'symlink';
  /** Full st_mode. */
  mode: number;
  uid: number;
  gid: number;
  /** 0 for directories and symlinks, as `ostree ls`. */
  size: number;
  target?: string;
  /** Content object (files and symlinks). */
  checksum?: Checksum;
  /** Dirtree and dirmeta (directories). */
  tree?: Checksum;
  meta?: Checksum;
  xattrs: readonly Xattr[];
};

/** Options of ls: `paths` default to `/`; a directory lists its children, all descendants with `recursive`, only itself with `dirOnly`. */
export type LsOptions = RepoOptions & { rev: string; paths?: readonly string[]; recursive?: boolean; dirOnly?: boolean };

async function entryOf(repo: Repo, node: TreeNode): Promise<TreeEntry> {
  const info = await nodeInfo(repo, node);
  return {
    path: node.path,
    type: info.type,
    mode: info.mode,
    uid: info.uid,
    gid: info.gid,
    size: info.size,
    ...(info.target === undefined ? {} : { target: info.target }),
    ...(node.kind === 'file' ? { checksum: node.checksum } : { tree: node.tree, meta: node.meta }),
    xattrs: info.xattrs,
  };
}

/** `jigtree ls REV [PATH...]`: entries in `ostree ls` order (a directory, its files, then its subdirectories). */
export async function* ls(opts: LsOptions): AsyncGenerator<TreeEntry> {
  const repo = await openRepo(opts.repo);
  const root = rootNode(await loadCommit(repo, await resolveRevision(repo, opts.rev)));
  const paths = opts.paths === undefined || opts.paths.length === 0 ? ['/'] : opts.paths;
  for (const p of paths) {
    const start = await resolvePath(repo, root, p);
    const depth = opts.dirOnly === true ? 0 : opts.recursive === true ? Infinity : 1;
    for await (const node of walkTree(repo, start, { depth, ...(opts.signal === undefined ? {} : { signal: opts.signal }) })) yield entryOf(repo, node);
  }
}

/** At most this many symlinks are followed to reach a file (Linux's MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

/**
 * `jigtree cat REV PATH`: the file's data as a stream (consume or destroy it). Symlinks are followed
 * inside the commit, as `ostree cat` does; a directory is an error.
 */
export async function cat(opts: RepoOptions & { rev: string; path: string }): Promise<Readable> {
  const repo = await openRepo(opts.repo);
  const root = rootNode(await loadCommit(repo, await resolveRevision(repo, opts.rev)));
  let node = await resolvePath(repo, root, opts.path);
  for (let hops = 0; ; hops++) {
    if (node.kind === 'dir') throw new UsageError(`cat ${node.path}: is a directory`);
    const obj = await loadContentObject(repo, node.checksum);
    if (obj.header.target === '') return obj.open();
    if (hops >= MAX_SYMLINKS) throw new UsageError(`cat ${opts.path}: too many levels of symbolic links`);
    const dir = node.path.slice(0, node.path.lastIndexOf('/'));
    node = await resolvePath(repo, root, obj.header.target.startsWith('/') ? obj.header.target : `${dir}/${obj.header.target}`);
  }
}
