/**
 * Importing a directory from disk into a mutable tree, as `ostree commit DIR` records it
 * (ostree-format.md §4): lstat without following symlinks; uid, gid, full mode, content or
 * target and xattrs per entry; no timestamps; hardlinks are separate entries.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { FormatError, createLimit, fsError, readXattrs, xattrsAvailable } from '../core/index.js';
import type { Checksum } from './checksum.js';
import { MutableTree, newMutableDir, type MutableDir } from './mutable-tree.js';
import { S_IFDIR, S_IFMT, encodeChecksumHeader, normalizeXattrs, type ContentHeader, type FileMeta, type Xattr } from './objects.js';
import { ImportPool, importError } from './import-pool.js';
import type { Repo } from './repo.js';
import { objectExists, writeContentBytes, writeContentStream, type WriteStats } from './write-object.js';

/** How `ostree commit` options change what is recorded (§4 "Options"). */
export interface ImportOptions {
  /** `--owner-uid`: override the uid of every entry, the root directory included. */
  readonly ownerUid?: number;
  /** `--owner-gid`: override the gid of every entry. */
  readonly ownerGid?: number;
  /** `--canonical-permissions`: uid = gid = 0, files and dirs `mode &= type | 0755`, no xattrs. */
  readonly canonicalPermissions?: boolean;
  /** `--no-xattrs`: record no xattrs. */
  readonly noXattrs?: boolean;
  /** Worker threads for small files (default: one per core; 0 = all on the calling thread). */
  readonly workers?: number;
  readonly signal?: AbortSignal;
}

/** Files up to this size are read whole and hashed before anything is written (architecture.md §7). */
const SMALL_FILE = 1 << 20;
/** Files in flight at once without workers: enough to keep zlib's thread pool and the disk busy. */
const FILE_CONCURRENCY = 16;

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function decodeName(raw: Buffer, dir: string): string {
  try {
    return utf8Fatal.decode(raw);
  } catch {
    // ostree refuses non-UTF-8 names: a GVariant string must be UTF-8 (§1.2).
    throw new FormatError('ostree', `file name ${JSON.stringify(raw.toString('latin1'))} in ${dir} is not valid UTF-8`);
  }
}

function recordedMeta(st: Stats, xattrs: Xattr[], opts: ImportOptions): FileMeta {
  if (opts.canonicalPermissions === true) {
    // Symlinks keep their mode; files and directories lose setuid/setgid/sticky and group/other write.
    const type = st.mode & S_IFMT;
    return { uid: 0, gid: 0, mode: st.isSymbolicLink() ? st.mode : st.mode & (type | 0o755), xattrs: [] };
  }
  return { uid: opts.ownerUid ?? st.uid, gid: opts.ownerGid ?? st.gid, mode: st.mode, xattrs: opts.noXattrs === true ? [] : xattrs };
}

/**
 * Writes every file and symlink under `dir` as a content object and returns the tree of
 * checksums. Identical inodes (hardlinks) are hashed once. Files are hashed first and only
 * compressed or copied when the object is missing, so re-committing an unchanged tree is cheap.
 *
 * The walk and small files use synchronous fs calls (cheaper than thread-pool round trips for
 * 8,000 small files, measured by bench:commit); compression and large files run concurrently,
 * at most FILE_CONCURRENCY at a time.
 */
export async function importDirectory(repo: Repo, dir: string, opts: ImportOptions = {}, stats?: WriteStats): Promise<MutableTree> {
  const root = path.resolve(dir);
  const wantXattrs = opts.noXattrs !== true && opts.canonicalPermissions !== true && xattrsAvailable();
  const pool = ImportPool.open(repo, opts.workers);
  // Workers hold one file at a time, so many jobs may queue; on this thread each holds its data.
  const limit = createLimit(pool === undefined ? FILE_CONCURRENCY : 8 * FILE_CONCURRENCY);
  const byInode = new Map<string, Promise<Checksum>>();
  const tasks: Promise<void>[] = [];

  const statOf = (p: string): Stats => {
    try {
      return lstatSync(p);
    } catch (err) {
      throw fsError(p, err);
    }
  };
  const xattrsOf = (p: string): Xattr[] => (wantXattrs ? normalizeXattrs(readXattrs(p)) : []);

  const importFile = async (p: string, st: Stats): Promise<Checksum> => {
    opts.signal?.throwIfAborted();
    const meta = recordedMeta(st, xattrsOf(p), opts);
    if (st.isSymbolicLink()) {
      let raw: Buffer;
      try {
        raw = readlinkSync(p, { encoding: 'buffer' });
      } catch (err) {
        throw fsError(p, err);
      }
      let target: string;
      try {
        target = utf8Fatal.decode(raw);
      } catch {
        throw new FormatError('ostree', `symlink ${p}: target is not valid UTF-8`);
      }
      return (await writeContentBytes(repo, { ...meta, target }, new Uint8Array(0), stats)).checksum;
    }
    const header: ContentHeader = { ...meta, target: '' };
    if (st.size <= SMALL_FILE && pool !== undefined) {
      const r = await pool.submit({ path: p, header });
      if (!r.ok) throw importError(r.error);
      if (stats !== undefined) {
        if (r.created) {
          stats.objectsWritten++;
          stats.bytesWritten += r.bytes;
        } else stats.objectsReused++;
      }
      return r.checksum;
    }
    if (st.size <= SMALL_FILE) {
      let data: Buffer;
      try {
        data = readFileSync(p);
      } catch (err) {
        throw fsError(p, err);
      }
      return (await writeContentBytes(repo, header, data, stats)).checksum;
    }
    // Large file: hash a first pass; only if the object is missing read it again while writing,
    // and trust the second pass's hash (it is what was written).
    const h = createHash('sha256').update(encodeChecksumHeader(header));
    for await (const chunk of createReadStream(p, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
    const first = h.digest('hex') as Checksum;
    if (objectExists(repo, 'file', first)) {
      if (stats !== undefined) stats.objectsReused++;
      return first;
    }
    return (await writeContentStream(repo, header, statOf(p).size, createReadStream(p, { highWaterMark: 1 << 20 }), p, stats)).checksum;
  };

  const fillDir = (p: string, node: MutableDir): void => {
    opts.signal?.throwIfAborted();
    let entries: Buffer[];
    try {
      entries = readdirSync(p, { encoding: 'buffer' });
    } catch (err) {
      throw fsError(p, err);
    }
    for (const raw of entries) {
      const name = decodeName(raw, p);
      const child = path.join(p, name);
      const cst = statOf(child);
      if (cst.isDirectory()) {
        const sub = newMutableDir(recordedMeta(cst, xattrsOf(child), opts));
        node.dirs.set(name, sub);
        fillDir(child, sub);
      } else if (cst.isFile() || cst.isSymbolicLink()) {
        const shared = cst.nlink > 1 && cst.isFile();
        const key = `${cst.dev}:${cst.ino}`;
        let pending = shared ? byInode.get(key) : undefined;
        if (pending === undefined) {
          pending = limit(() => importFile(child, cst));
          if (shared) byInode.set(key, pending);
        }
        tasks.push(pending.then((c) => void node.files.set(name, c)));
      } else {
        throw new FormatError('ostree', `${child}: not a regular file, symlink or directory (ostree stores no devices, FIFOs or sockets)`);
      }
    }
  };

  const rootSt = statOf(root);
  if ((rootSt.mode & S_IFMT) !== S_IFDIR) throw new FormatError('ostree', `${root}: not a directory`);
  const tree = new MutableTree(recordedMeta(rootSt, xattrsOf(root), opts));
  let walkError: { err: unknown } | undefined;
  try {
    fillDir(root, tree.root);
  } catch (err) {
    walkError = { err };
  }
  // Settle every started write before reporting the first failure, so none is left running.
  const results = await Promise.allSettled(tasks);
  await pool?.close();
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (walkError !== undefined) throw walkError.err;
  if (failed !== undefined) throw failed.reason;
  return tree;
}
