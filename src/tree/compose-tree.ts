/**
 * ComposeTree: the tree being composed, keyed by absolute normalized path ("/usr/bin/env"; the
 * root is "/"). Parents always exist before children; every operation keeps that invariant.
 * Pure: reading file bytes goes through an injected ReadContent.
 */
import { FormatError } from '../core/index.js';
import type { EntryMeta, FileContent, ReadContent, TreeEntry } from './types.js';

/** Splits "/a/b/c" into its parent "/a/b" and name "c". */
export function splitPath(p: string): { parent: string; name: string } {
  const i = p.lastIndexOf('/');
  return { parent: i <= 0 ? '/' : p.slice(0, i), name: p.slice(i + 1) };
}

/** Joins a directory path and a name. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** True if `p` is `dir` or lies below it. */
export function isUnder(p: string, dir: string): boolean {
  return dir === '/' || p === dir || p.startsWith(`${dir}/`);
}

/**
 * Normalizes a path: absolute, no `.`/`..`/empty segments, no trailing slash. A `..` that would
 * leave the root is an error (a path escaping the tree), never clamped.
 */
export function normalizeTreePath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) throw new FormatError('ostree', `path ${JSON.stringify(p)} escapes the tree`);
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return `/${out.join('/')}`;
}

const MAX_SYMLINK_HOPS = 40; // Linux's MAXSYMLINKS

/**
 * Resolves `p` inside the tree as the kernel would inside a chroot at the tree root: symlinks in
 * directory components are followed (absolute targets from the tree root, `..` stops at the root),
 * the last component only when `followLast`. Needed because merged-/usr trees reach
 * /lib/systemd/system through the /lib -> usr/lib link. The result need not exist.
 */
export function resolveInTree(tree: ComposeTree, p: string, followLast = true): string {
  let todo = p.split('/').filter((s) => s !== '' && s !== '.');
  let cur: string[] = [];
  let hops = 0;
  for (let seg = todo.shift(); seg !== undefined; seg = todo.shift()) {
    if (seg === '..') {
      cur.pop();
      continue;
    }
    const next = `/${[...cur, seg].join('/')}`;
    const e = tree.get(next);
    if (e?.type === 'symlink' && (todo.length > 0 || followLast)) {
      if (++hops > MAX_SYMLINK_HOPS) throw new FormatError('ostree', `${p}: too many levels of symbolic links`);
      if (e.target.startsWith('/')) cur = [];
      todo = [...e.target.split('/').filter((s) => s !== '' && s !== '.'), ...todo];
      continue;
    }
    cur.push(seg);
  }
  return `/${cur.join('/')}`;
}

/** True if two entries' owner, mode and xattrs are equal (xattrs compared in order). */
export function sameEntryMeta(a: EntryMeta, b: EntryMeta): boolean {
  return a.uid === b.uid && a.gid === b.gid && a.mode === b.mode && a.xattrs.length === b.xattrs.length && a.xattrs.every((x, i) => {
    const y = b.xattrs[i] as (typeof b.xattrs)[number];
    return x.name === y.name && Buffer.compare(x.value, y.value) === 0;
  });
}

/** The default directory metadata of directories compose creates itself (root:root 0755). */
export const DEFAULT_DIR_META: EntryMeta = { uid: 0, gid: 0, mode: 0o755, xattrs: [] };

/** The tree being composed; see module doc. */
export class ComposeTree {
  private readonly entries = new Map<string, TreeEntry>();
  private readonly children = new Map<string, Set<string>>();

  constructor(rootMeta: EntryMeta = DEFAULT_DIR_META) {
    this.entries.set('/', { type: 'dir', meta: rootMeta });
    this.children.set('/', new Set());
  }

  /** The entry at `p`, or undefined. */
  get(p: string): TreeEntry | undefined {
    return this.entries.get(p);
  }

  /** True if something is at `p`. */
  has(p: string): boolean {
    return this.entries.has(p);
  }

  /** Number of entries, the root included. */
  get size(): number {
    return this.entries.size;
  }

  /** Names directly under directory `p` (unsorted), or [] if it is not a directory. */
  list(p: string): string[] {
    return [...(this.children.get(p) ?? [])];
  }

  /** Every entry, parents before children (paths sorted bytewise, '/' first). */
  *walk(from = '/'): Generator<[string, TreeEntry]> {
    const e = this.entries.get(from);
    if (e === undefined) return;
    yield [from, e];
    if (e.type !== 'dir') return;
    for (const name of this.list(from).sort()) yield* this.walk(joinPath(from, name));
  }

  /** Creates missing parent directories of `p` with `meta`; a non-directory in the way is an error. */
  ensureParents(p: string, meta: EntryMeta = DEFAULT_DIR_META): void {
    const { parent } = splitPath(p);
    if (parent === p) return;
    const e = this.entries.get(parent);
    if (e?.type === 'dir') return;
    if (e !== undefined) throw new FormatError('ostree', `${p}: parent ${parent} is a ${e.type}, not a directory`);
    this.ensureParents(parent, meta);
    this.put(parent, { type: 'dir', meta });
  }

  /**
   * Sets `p` to `entry`, creating missing parents (root:root 0755). Replacing a directory with a
   * non-directory removes the directory's subtree; replacing a directory with a directory keeps
   * its children.
   */
  set(p: string, entry: TreeEntry): void {
    if (p === '/') {
      if (entry.type !== 'dir') throw new FormatError('ostree', 'the root must be a directory');
      this.entries.set('/', entry);
      return;
    }
    this.ensureParents(p);
    const old = this.entries.get(p);
    if (old?.type === 'dir' && entry.type !== 'dir') this.remove(p);
    this.put(p, entry);
  }

  private put(p: string, entry: TreeEntry): void {
    const { parent, name } = splitPath(p);
    this.entries.set(p, entry);
    this.children.get(parent)?.add(name);
    if (entry.type === 'dir' && !this.children.has(p)) this.children.set(p, new Set());
  }

  /** Removes `p` and everything under it; false if nothing was there. The root cannot be removed. */
  remove(p: string): boolean {
    if (p === '/') throw new FormatError('ostree', 'cannot remove the root directory');
    const e = this.entries.get(p);
    if (e === undefined) return false;
    if (e.type === 'dir') for (const name of this.list(p)) this.remove(joinPath(p, name));
    this.entries.delete(p);
    this.children.delete(p);
    const { parent, name } = splitPath(p);
    this.children.get(parent)?.delete(name);
    return true;
  }

  /**
   * Moves `from` (and its subtree) to `to`. When `to` is an existing directory and `from` is one
   * too, the contents are merged into it (entries of `from` win); otherwise `to` must not exist.
   */
  move(from: string, to: string): void {
    const e = this.entries.get(from);
    if (e === undefined) return;
    if (isUnder(to, from)) throw new FormatError('ostree', `cannot move ${from} into itself (${to})`);
    const dest = this.entries.get(to);
    if (dest !== undefined && !(dest.type === 'dir' && e.type === 'dir')) throw new FormatError('ostree', `cannot move ${from} to ${to}: it exists`);
    if (dest === undefined) this.set(to, e);
    if (e.type === 'dir') for (const name of this.list(from)) this.move(joinPath(from, name), joinPath(to, name));
    this.remove(from);
  }

  /** The bytes of the regular file at `p`, or undefined when there is none. */
  async readFile(p: string, read: ReadContent): Promise<Uint8Array | undefined> {
    const e = this.entries.get(p);
    return e?.type === 'file' ? read(e.content) : undefined;
  }

  /** Writes generated bytes to `p` (a regular file owned by root unless `meta` says otherwise). */
  writeFile(p: string, bytes: Uint8Array, meta: Partial<EntryMeta> = {}): void {
    const content: FileContent = { kind: 'bytes', bytes };
    this.set(p, { type: 'file', meta: { uid: 0, gid: 0, mode: 0o644, xattrs: [], ...meta }, content });
  }

  /** Makes `p` a symlink to `target` (root-owned, mode 0777 as symlinks always are). */
  symlink(p: string, target: string): void {
    this.set(p, { type: 'symlink', meta: { uid: 0, gid: 0, mode: 0o777, xattrs: [] }, target });
  }

  /** Creates directory `p` (and parents) if missing; an existing directory keeps its metadata. */
  mkdir(p: string, meta: EntryMeta = DEFAULT_DIR_META): void {
    const e = this.entries.get(p);
    if (e?.type === 'dir') return;
    this.set(p, { type: 'dir', meta });
  }
}
