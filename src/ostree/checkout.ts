/**
 * checkout: materialize a commit (or a subpath of it) as a directory tree, as `ostree checkout`
 * does (ostree-format.md §5.4):
 * - owners mode (ostree without -U; default as root): uid/gid, full mode incl. setuid, xattrs;
 *   user mode (-U): no chown, no xattrs, setuid/setgid dropped from files;
 * - directories end with mtime 0 (OSTREE_TIMESTAMP); copied files and symlinks keep the time of
 *   the checkout; hardlinked files share the object's inode (mtime 0);
 * - hardlinks only where the object already is the file: bare repos in owners mode, bare-user
 *   and bare-user-only repos in user mode (§2.6).
 *
 * Safety: every name is checked (no `/`, `.`, `..`, NUL, empty); each directory is created with a
 * non-recursive mkdir and each file with O_CREAT|O_EXCL|O_NOFOLLOW, so nothing is written through
 * a symlink or outside the destination. Directories are created 0700 and get their final owner
 * and mode only after their children are written (so 0500 directories work), and a file's mode is
 * set after its owner, so chown does not clear setuid bits.
 */
import { constants as fsc } from 'node:fs';
import { link, lchown, lstat, mkdir, open, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { JigtreeError, NotFoundError, UsageError, createLimit, fsError, writeXattr, type Limit } from '../core/index.js';
import type { Checksum } from './checksum.js';
import { S_IFLNK, S_IFMT, type FileMeta, type Xattr } from './objects.js';
import { loadCommit, loadContentObject, loadDirMeta, loadDirTree } from './read.js';
import { objectPath, type Repo } from './repo.js';
import { assertSafeNames, childPath, resolvePath, rootNode, type DirNode } from './traverse.js';

/** How regular files are materialized: copied, hardlinked to the object, or hardlinked when possible. */
export type CheckoutMode = 'copy' | 'hardlink' | 'auto';

/** Options of checkout. */
export interface CheckoutOptions {
  /** Path inside the commit to check out (default `/`); a file is placed inside `dest`. */
  readonly subpath?: string;
  /** Default `auto`: hardlink when the repo mode allows it (as ostree does), else copy. */
  readonly mode?: CheckoutMode;
  /** Apply uid/gid (default: when running as root, like ostree checkout without -U). */
  readonly owners?: boolean;
  /** Apply xattrs (default: same as `owners`). */
  readonly xattrs?: boolean;
  /** Files written in parallel (default 4). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

/** What a checkout wrote. */
export interface CheckoutResult {
  readonly dirs: number;
  readonly files: number;
  readonly symlinks: number;
  /** Regular files that are hardlinks to repository objects. */
  readonly hardlinked: number;
  /** Bytes of file data copied (hardlinked files not counted). */
  readonly bytes: number;
}

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/** True if a hardlink to the object is exactly the file the options ask for (§2.6). */
function canHardlink(repo: Repo, owners: boolean, xattrs: boolean): boolean {
  switch (repo.mode) {
    case 'bare':
      return owners && xattrs;
    case 'bare-user':
    case 'bare-user-only':
      return !owners && !xattrs;
    case 'archive':
      return false;
  }
}

/** Empty directory or nothing at `dest`; creates it (one level, 0700 until finished). */
async function prepareDestination(dest: string): Promise<void> {
  let st;
  try {
    st = await lstat(dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(dest, err);
    try {
      // One level only: a missing parent is the caller's mistake, not something to create.
      await mkdir(dest, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${path.dirname(dest)} (parent of checkout destination ${dest})`);
      throw fsError(dest, e);
    }
    return;
  }
  if (st.isSymbolicLink()) throw new UsageError(`checkout destination ${dest}: is a symlink; refusing to write through it`);
  if (!st.isDirectory()) throw new UsageError(`checkout destination ${dest}: exists and is not a directory`);
  let names: string[];
  try {
    names = await readdir(dest);
  } catch (err) {
    throw fsError(dest, err);
  }
  if (names.length > 0) throw new UsageError(`checkout destination ${dest}: exists and is not empty`);
}

class Writer {
  readonly repo: Repo;
  readonly owners: boolean;
  readonly xattrs: boolean;
  readonly hardlink: boolean;
  readonly required: boolean;
  readonly limit: Limit;
  readonly signal: AbortSignal | undefined;
  dirs = 0;
  files = 0;
  symlinks = 0;
  hardlinked = 0;
  bytes = 0;

  constructor(repo: Repo, o: { owners: boolean; xattrs: boolean; hardlink: boolean; required: boolean; concurrency: number; signal: AbortSignal | undefined }) {
    this.repo = repo;
    this.owners = o.owners;
    this.xattrs = o.xattrs;
    this.hardlink = o.hardlink;
    this.required = o.required;
    this.limit = createLimit(o.concurrency);
    this.signal = o.signal;
  }

  private setXattrs(file: string, xattrs: readonly Xattr[]): void {
    if (!this.xattrs) return;
    for (const x of xattrs) writeXattr(file, x.name, x.value);
  }

  /** Writes one content object at `file` (which must not exist). */
  async file(checksum: Checksum, file: string): Promise<void> {
    this.signal?.throwIfAborted();
    const obj = await loadContentObject(this.repo, checksum);
    const h = obj.header;
    try {
      if ((h.mode & S_IFMT) === S_IFLNK) {
        // symlink() fails with EEXIST rather than following anything already at `file`.
        await symlink(h.target, file);
        if (this.owners) await lchown(file, h.uid, h.gid);
        this.setXattrs(file, h.xattrs);
        this.symlinks++;
        return;
      }
      // Like ostree, empty files are copied: one shared inode for every empty file of every
      // checkout would soon hit the link limit, and empty files are often written to later.
      if (this.hardlink && obj.size > 0 && (await this.tryHardlink(checksum, file))) return;
      await this.copy(obj.open(), h, file);
    } catch (err) {
      if (err instanceof JigtreeError) throw err;
      throw fsError(file, err);
    }
  }

  /** link(2) to the object; false when the filesystem says no (other device, link limit) and copying is allowed. */
  private async tryHardlink(checksum: Checksum, file: string): Promise<boolean> {
    try {
      await link(objectPath(this.repo, 'file', checksum), file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!this.required && (code === 'EXDEV' || code === 'EMLINK' || code === 'EPERM')) return false;
      throw fsError(file, err);
    }
    this.files++;
    this.hardlinked++;
    return true;
  }

  private async copy(data: AsyncIterable<unknown>, h: FileMeta, file: string): Promise<void> {
    // O_EXCL|O_NOFOLLOW: never reuse or follow whatever might already be there.
    const fh = await open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of data) {
        const b = chunk as Buffer;
        await fh.write(b);
        this.bytes += b.length;
      }
      if (this.owners) await fh.chown(h.uid, h.gid);
      this.setXattrs(file, h.xattrs);
      // Mode last: chown clears setuid/setgid. In user mode ostree drops them (-U, §5.4).
      await fh.chmod(this.owners ? h.mode & 0o7777 : h.mode & 0o7777 & ~(S_ISUID | S_ISGID));
    } finally {
      await fh.close();
    }
    this.files++;
  }

  /** Fills the (already created, 0700) directory `dir` from `node`, then gives it its metadata. */
  async dir(node: DirNode, dir: string): Promise<void> {
    this.signal?.throwIfAborted();
    const [tree, meta] = await Promise.all([loadDirTree(this.repo, node.tree), loadDirMeta(this.repo, node.meta)]);
    assertSafeNames(tree, node.path);
    // Like ostree: xattrs first (before children can inherit anything), mode and owner last.
    this.setXattrs(dir, meta.xattrs);
    await Promise.all(tree.files.map((f) => this.limit(() => this.file(f.checksum, path.join(dir, f.name)))));
    for (const d of tree.dirs) {
      const sub = path.join(dir, d.name);
      try {
        await mkdir(sub, { mode: 0o700 });
      } catch (err) {
        throw fsError(sub, err);
      }
      await this.dir({ kind: 'dir', path: childPath(node.path, d.name), tree: d.tree, meta: d.meta }, sub);
    }
    await this.finishDir(dir, meta);
    this.dirs++;
  }

  private async finishDir(dir: string, meta: FileMeta): Promise<void> {
    let fh;
    try {
      fh = await open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
    } catch (err) {
      throw fsError(dir, err);
    }
    try {
      if (this.owners) await fh.chown(meta.uid, meta.gid);
      await fh.chmod(meta.mode & 0o7777);
      // mtime 0 (OSTREE_TIMESTAMP) so every checkout of a commit looks the same; atime kept.
      const st = await fh.stat();
      await fh.utimes(st.atime, 0);
    } catch (err) {
      throw fsError(dir, err);
    } finally {
      await fh.close();
    }
  }
}

/**
 * Checks out `commit` (or `opts.subpath` of it) into `dest`, which must not exist or be an empty
 * directory. Returns counts of what was written.
 */
export async function checkout(repo: Repo, commit: Checksum, dest: string, opts: CheckoutOptions = {}): Promise<CheckoutResult> {
  const owners = opts.owners ?? process.getuid?.() === 0;
  const xattrs = opts.xattrs ?? owners;
  const mode = opts.mode ?? 'auto';
  const possible = canHardlink(repo, owners, xattrs);
  if (mode === 'hardlink' && !possible) {
    throw new UsageError(
      repo.mode === 'archive'
        ? 'checkout: hardlinks need a bare-user or bare repository; this one is archive (compressed objects)'
        : repo.mode === 'bare'
          ? 'checkout: hardlinks from a bare repository need owners and xattrs applied (run as root, without --user)'
          : `checkout: hardlinks from a ${repo.mode} repository need user mode (no owners, no xattrs)`,
    );
  }
  const c = await loadCommit(repo, commit);
  const node = await resolvePath(repo, rootNode(c), opts.subpath ?? '/');
  const target = path.resolve(dest);
  await prepareDestination(target);
  const w = new Writer(repo, { owners, xattrs, hardlink: mode !== 'copy' && possible, required: mode === 'hardlink', concurrency: Math.max(1, opts.concurrency ?? 4), signal: opts.signal });
  if (node.kind === 'file') {
    // As ostree: a file subpath lands inside the destination directory, under its own name.
    const name = node.path === '/' ? '' : node.path.slice(node.path.lastIndexOf('/') + 1);
    await w.file(node.checksum, path.join(target, name));
  } else {
    await w.dir(node, target);
  }
  return { dirs: w.dirs, files: w.files, symlinks: w.symlinks, hardlinked: w.hardlinked, bytes: w.bytes };
}
