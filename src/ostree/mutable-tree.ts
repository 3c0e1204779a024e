/**
 * The in-memory tree a commit is built from (ostree's OstreeMutableTree): directories with their
 * metadata, files as content-object checksums already in the repo. Compose fills one from
 * package imports; `commit DIR` fills one from disk. Pure.
 */
import { FormatError } from '../core/index.js';
import type { Checksum } from './checksum.js';
import { S_IFDIR, S_IFMT, invalidNameReason, type FileMeta } from './objects.js';

/** A directory: its metadata, files (name → content checksum) and subdirectories. */
export interface MutableDir {
  meta: FileMeta;
  readonly files: Map<string, Checksum>;
  readonly dirs: Map<string, MutableDir>;
}

/** A new empty directory node with the given metadata. */
export function newMutableDir(meta: FileMeta): MutableDir {
  if ((meta.mode & S_IFMT) !== S_IFDIR) throw new FormatError('ostree', `directory mode 0${meta.mode.toString(8)} lacks S_IFDIR`);
  return { meta, files: new Map(), dirs: new Map() };
}

/** Splits "/a/b" or "a/b" into validated names; "/" and "" are the root (no names). */
export function splitTreePath(p: string): string[] {
  const names = p.split('/').filter((n) => n !== '');
  for (const n of names) {
    const bad = invalidNameReason(n);
    if (bad !== undefined) throw new FormatError('ostree', `path ${JSON.stringify(p)}: ${bad}`);
  }
  return names;
}

/** A mutable tree rooted at one directory. */
export class MutableTree {
  readonly root: MutableDir;

  constructor(rootMeta: FileMeta) {
    this.root = newMutableDir(rootMeta);
  }

  /** The directory at `p`, or undefined. */
  getDir(p: string): MutableDir | undefined {
    return this.walk(splitTreePath(p), undefined);
  }

  /** What `p` names: a file's checksum, a directory, or undefined. */
  lookup(p: string): { kind: 'file'; checksum: Checksum } | { kind: 'dir'; dir: MutableDir } | undefined {
    const names = splitTreePath(p);
    const last = names.pop();
    if (last === undefined) return { kind: 'dir', dir: this.root };
    const parent = this.walk(names, undefined);
    if (parent === undefined) return undefined;
    const f = parent.files.get(last);
    if (f !== undefined) return { kind: 'file', checksum: f };
    const d = parent.dirs.get(last);
    return d === undefined ? undefined : { kind: 'dir', dir: d };
  }

  private walk(names: readonly string[], create: FileMeta | undefined): MutableDir | undefined {
    let d = this.root;
    for (const n of names) {
      let next = d.dirs.get(n);
      if (next === undefined) {
        if (create === undefined) return undefined;
        if (d.files.has(n)) throw new FormatError('ostree', `cannot create directory ${JSON.stringify(n)}: a file of that name exists`);
        next = newMutableDir(create);
        d.dirs.set(n, next);
      }
      d = next;
    }
    return d;
  }

  /**
   * Makes sure directory `p` exists; missing directories (and parents) get `meta`. An existing
   * directory keeps its metadata unless `replaceMeta`.
   */
  ensureDir(p: string, meta: FileMeta, replaceMeta = false): MutableDir {
    const d = this.walk(splitTreePath(p), meta);
    if (d === undefined) throw new FormatError('ostree', `cannot create ${p}`);
    if (replaceMeta) d.meta = meta;
    return d;
  }

  /** Sets file `p` (its parent must exist) to a content object; replaces a file, never a directory. */
  setFile(p: string, checksum: Checksum): void {
    const names = splitTreePath(p);
    const last = names.pop();
    if (last === undefined) throw new FormatError('ostree', 'cannot make the root directory a file');
    const parent = this.walk(names, undefined);
    if (parent === undefined) throw new FormatError('ostree', `${p}: parent directory does not exist`);
    if (parent.dirs.has(last)) throw new FormatError('ostree', `${p}: a directory of that name exists`);
    parent.files.set(last, checksum);
  }

  /** Removes file or directory `p` (recursively); false if there was nothing there. */
  remove(p: string): boolean {
    const names = splitTreePath(p);
    const last = names.pop();
    if (last === undefined) throw new FormatError('ostree', 'cannot remove the root directory');
    const parent = this.walk(names, undefined);
    if (parent === undefined) return false;
    return parent.files.delete(last) || parent.dirs.delete(last);
  }
}
