/**
 * Turning a mutable tree into dirtree/dirmeta objects and a commit, and moving a ref to it only
 * once everything is on disk (ostree-format.md §2.3, §2.4, §2.7, §4 "writer recipe").
 */
import { spawn } from 'node:child_process';
import { IoError } from '../core/index.js';
import type { Checksum } from './checksum.js';
import { compareNames, encodeCommit, encodeDirMeta, encodeDirTree, type Commit, type FileMeta } from './objects.js';
import type { MutableDir } from './mutable-tree.js';
import { writeRef, type Repo } from './repo.js';
import { writeMetadataObject, type WriteStats } from './write-object.js';

/** Root dirtree and dirmeta checksums of a written tree. */
export interface WrittenTree {
  readonly tree: Checksum;
  readonly meta: Checksum;
}

function metaKey(m: FileMeta): string {
  return `${m.uid}:${m.gid}:${m.mode}:${m.xattrs.map((x) => `${x.name}=${Buffer.from(x.value).toString('hex')}`).join(',')}`;
}

/**
 * Writes every dirtree and dirmeta of `root`, children first, and returns the root's pair
 * (synchronously: these are small buffered writes, see write-object.ts).
 * Dirmeta objects are shared by all directories with equal metadata, so each is written once.
 */
export function writeMutableTree(repo: Repo, root: MutableDir, stats?: WriteStats): WrittenTree {
  const metas = new Map<string, Checksum>();
  const writeMeta = (m: FileMeta): Checksum => {
    const key = metaKey(m);
    let c = metas.get(key);
    if (c === undefined) {
      c = writeMetadataObject(repo, 'dirmeta', encodeDirMeta(m), stats).checksum;
      metas.set(key, c);
    }
    return c;
  };
  const visit = (d: MutableDir): WrittenTree => {
    const dirNames = [...d.dirs.keys()].sort(compareNames);
    const dirs = dirNames.map((name) => ({ name, ...visit(d.dirs.get(name) as MutableDir) }));
    const files = [...d.files].sort((a, b) => compareNames(a[0], b[0])).map(([name, checksum]) => ({ name, checksum }));
    return { tree: writeMetadataObject(repo, 'dirtree', encodeDirTree({ files, dirs }), stats).checksum, meta: writeMeta(d.meta) };
  };
  return visit(root);
}

/** Writes a commit object (after its tree is complete). */
export function writeCommitObject(repo: Repo, commit: Commit, stats?: WriteStats): Checksum {
  return writeMetadataObject(repo, 'commit', encodeCommit(commit), stats).checksum;
}

/**
 * Flushes the repo's filesystem (syncfs via coreutils `sync -f`; Node has no syncfs) when
 * `core.fsync` is on, as ostree does before it writes refs. A kill -9 needs no sync (the page
 * cache survives the process); this is for power loss.
 */
export async function syncRepo(repo: Repo): Promise<void> {
  if (!repo.fsync) return;
  await new Promise<void>((resolve, reject) => {
    const p = spawn('sync', ['-f', repo.path], { stdio: 'ignore' });
    p.on('error', (err: NodeJS.ErrnoException) => {
      reject(new IoError(repo.path, err));
    });
    p.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new IoError(repo.path, Object.assign(new Error(`sync -f exited with ${String(code)}`), { code: 'EIO' })));
    });
  });
}

/**
 * Writes `commit` after syncing its tree, syncs again, then points `ref` at it. The ref only
 * moves when every object is durable, and writeRef refuses a missing or partial commit.
 */
export async function commitAndSetRef(repo: Repo, commit: Commit, ref: string | undefined, stats?: WriteStats): Promise<Checksum> {
  await syncRepo(repo);
  const checksum = writeCommitObject(repo, commit, stats);
  if (ref !== undefined) {
    await syncRepo(repo);
    await writeRef(repo, ref, checksum);
  }
  return checksum;
}
