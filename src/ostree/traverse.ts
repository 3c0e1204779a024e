/**
 * Walking a commit's tree: dirtree/dirmeta/content objects with their paths (ostree-format.md
 * §2.3-2.5). Order is ostree's everywhere (`ostree ls -R`, checkout, diff): a directory, then its
 * files in dirtree order, then each subdirectory depth-first, in dirtree order (strcmp, §2.4).
 */
import { FormatError, NotFoundError, UsageError } from '../core/index.js';
import type { Checksum } from './checksum.js';
import { S_IFLNK, S_IFMT, invalidNameReason, type Commit, type DirTree, type Xattr } from './objects.js';
import { loadContentObject, loadDirMeta, loadDirTree } from './read.js';
import type { Repo } from './repo.js';

/** A directory of a commit: its dirtree (contents) and dirmeta (owner, mode, xattrs). */
export interface DirNode {
  readonly kind: 'dir';
  /** Absolute path inside the commit, `/` for the root. */
  readonly path: string;
  readonly tree: Checksum;
  readonly meta: Checksum;
}

/** A regular file or symlink of a commit: its content object. */
export interface FileNode {
  readonly kind: 'file';
  readonly path: string;
  readonly checksum: Checksum;
}

/** One entry of a commit's tree. */
export type TreeNode = DirNode | FileNode;

/** The root directory of a commit. */
export function rootNode(commit: Commit): DirNode {
  return { kind: 'dir', path: '/', tree: commit.rootTree, meta: commit.rootMeta };
}

/** `dir` + `/` + `name`, without doubling the root's slash. */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/**
 * Splits a path given by a user (`/usr/bin`, `usr/bin/`, `./a/../b`) into names, resolving `.`
 * and `..` lexically as GFile does for `ostree ls`; `..` never climbs above the root.
 */
export function splitUserPath(p: string): string[] {
  if (p.includes('\0')) throw new UsageError(`path ${JSON.stringify(p)}: contains NUL`);
  const out: string[] = [];
  for (const n of p.split('/')) {
    if (n === '' || n === '.') continue;
    if (n === '..') out.pop();
    else out.push(n);
  }
  return out;
}

/**
 * Checks every name of a dirtree before it is used as a path component (§2.4). decodeDirTree
 * already refuses such trees; this second check keeps checkout safe even if a caller hands in a
 * tree from elsewhere.
 */
export function assertSafeNames(tree: DirTree, where: string): void {
  for (const e of [...tree.files, ...tree.dirs]) {
    const bad = invalidNameReason(e.name);
    if (bad !== undefined) throw new FormatError('ostree', `dirtree of ${where}: refusing entry ${JSON.stringify(e.name)}: ${bad}`);
  }
}

/** The direct children of a directory, files first, then subdirectories (ostree's order). */
export async function listChildren(repo: Repo, dir: DirNode): Promise<TreeNode[]> {
  const tree = await loadDirTree(repo, dir.tree);
  assertSafeNames(tree, dir.path);
  return [
    ...tree.files.map((f): FileNode => ({ kind: 'file', path: childPath(dir.path, f.name), checksum: f.checksum })),
    ...tree.dirs.map((d): DirNode => ({ kind: 'dir', path: childPath(dir.path, d.name), tree: d.tree, meta: d.meta })),
  ];
}

/** The entry at `p` (resolved as splitUserPath does) below `root`; NotFoundError if there is none. */
export async function resolvePath(repo: Repo, root: DirNode, p: string): Promise<TreeNode> {
  let node: TreeNode = root;
  for (const name of splitUserPath(p)) {
    if (node.kind !== 'dir') throw new NotFoundError(`${childPath(node.path, name)} (${node.path} is not a directory)`);
    const tree = await loadDirTree(repo, node.tree);
    const path = childPath(node.path, name);
    const f = tree.files.find((e) => e.name === name);
    const d = tree.dirs.find((e) => e.name === name);
    if (f !== undefined) node = { kind: 'file', path, checksum: f.checksum };
    else if (d !== undefined) node = { kind: 'dir', path, tree: d.tree, meta: d.meta };
    else throw new NotFoundError(path);
  }
  return node;
}

/**
 * Yields `start`, then (for a directory, down to `depth` levels; default unlimited) its entries in
 * ostree's order: files, then each subdirectory followed by its own entries.
 */
export async function* walkTree(repo: Repo, start: TreeNode, opts: { depth?: number; signal?: AbortSignal } = {}): AsyncGenerator<TreeNode> {
  yield start;
  if (start.kind === 'dir') yield* walkChildren(repo, start, opts.depth ?? Infinity, opts.signal);
}

async function* walkChildren(repo: Repo, dir: DirNode, depth: number, signal: AbortSignal | undefined): AsyncGenerator<TreeNode> {
  if (depth <= 0) return;
  signal?.throwIfAborted();
  for (const child of await listChildren(repo, dir)) {
    yield child;
    if (child.kind === 'dir') yield* walkChildren(repo, child, depth - 1, signal);
  }
}

/** What `ostree ls` shows about an entry: its type, owner, mode, size, target and xattrs. */
export interface NodeInfo {
  readonly type: 'dir' | 'file' | 'symlink';
  readonly uid: number;
  readonly gid: number;
  /** Full st_mode, type bits included. */
  readonly mode: number;
  /** Data length for regular files; 0 for directories and symlinks (as `ostree ls`). */
  readonly size: number;
  /** Symlink target. */
  readonly target?: string;
  readonly xattrs: readonly Xattr[];
}

/** Loads the metadata of an entry: its dirmeta, or its content object's header (no data is read). */
export async function nodeInfo(repo: Repo, node: TreeNode): Promise<NodeInfo> {
  if (node.kind === 'dir') {
    const m = await loadDirMeta(repo, node.meta);
    return { type: 'dir', uid: m.uid, gid: m.gid, mode: m.mode, size: 0, xattrs: m.xattrs };
  }
  const obj = await loadContentObject(repo, node.checksum);
  const h = obj.header;
  if ((h.mode & S_IFMT) === S_IFLNK) return { type: 'symlink', uid: h.uid, gid: h.gid, mode: h.mode, size: 0, target: h.target, xattrs: h.xattrs };
  return { type: 'file', uid: h.uid, gid: h.gid, mode: h.mode, size: obj.size, xattrs: h.xattrs };
}
