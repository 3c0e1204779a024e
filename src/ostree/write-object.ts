/**
 * Writing objects: hash while writing into tmp/, then link into place without replacing; EEXIST
 * means the object is reused (architecture.md conv. 7; ostree-repo-commit.c). No code path leaves
 * a half-written file under an object's final name: the final name only ever appears by link().
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createWriteStream, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, symlinkSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createDeflateRaw, deflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { IntegrityError, fsError, writeXattr } from '../core/index.js';
import type { Checksum } from './checksum.js';
import { S_IFLNK, S_IFMT, encodeArchiveHeader, encodeBareUserMeta, encodeChecksumHeader, type ContentHeader, type MetadataObjectType, type ObjectType } from './objects.js';
import { objectPath, objectTmpPath, type Repo } from './repo.js';

const deflateRawAsync = promisify(deflateRaw) as (buf: Uint8Array, opts: ZlibOptions) => Promise<Buffer>;

/** Counters of one write session. */
export interface WriteStats {
  objectsWritten: number;
  objectsReused: number;
  /** Bytes written to objects/ (compressed size in archive repos). */
  bytesWritten: number;
}

/** Fresh zeroed counters. */
export function newWriteStats(): WriteStats {
  return { objectsWritten: 0, objectsReused: 0, bytesWritten: 0 };
}

/** Result of writing one object. */
export interface WrittenObject {
  readonly checksum: Checksum;
  /** True if the object was already in the repo (nothing written). */
  readonly reused: boolean;
}

function hex(h: Hash): Checksum {
  return h.digest('hex') as Checksum;
}

function count(created: boolean, size: number, stats: WriteStats | undefined): void {
  if (stats === undefined) return;
  if (created) {
    stats.objectsWritten++;
    stats.bytesWritten += size;
  } else stats.objectsReused++;
}

// Small objects are written with synchronous calls: on these paths each async fs call costs
// more in thread-pool round trips than the syscall itself (measured with bench:commit), and the
// data is already in memory. Only compression runs in the thread pool.

/** True if the object file exists (one lstat). */
export function objectExists(repo: Repo, type: ObjectType, checksum: Checksum): boolean {
  return lstatSync(objectPath(repo, type, checksum), { throwIfNoEntry: false }) !== undefined;
}

/** Links tmp to target without replacing (creating objects/XX/ on first use); false on EEXIST. Removes tmp. */
function linkIntoPlaceSync(tmp: string, target: string): boolean {
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, target);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        if (code !== 'ENOENT' || attempt > 0) throw err;
        mkdirSync(path.dirname(target), { recursive: true });
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/**
 * Writes `chunks` to a new temp file, lets `finish(fd)` set metadata, links it into place.
 * Any failure removes the temp file; the object's final name never holds partial data.
 */
function writeObjectFileSync(repo: Repo, target: string, chunks: readonly Uint8Array[], mode: number, finish: ((fd: number, tmp: string) => void) | undefined): boolean {
  const tmp = objectTmpPath(repo);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    if (chunks.length === 1) {
      const c = chunks[0] as Uint8Array;
      for (let off = 0; off < c.length; ) off += writeSync(fd, c, off, c.length - off);
    } else if (chunks.length > 1) {
      const total = chunks.reduce((a, c) => a + c.length, 0);
      const written = writevSync(fd, [...chunks]);
      // writev may be short on huge buffers; finish the rest chunk by chunk.
      if (written < total) {
        let skip = written;
        for (const c of chunks) {
          if (skip >= c.length) {
            skip -= c.length;
            continue;
          }
          for (let off = skip; off < c.length; ) off += writeSync(fd, c, off, c.length - off);
          skip = 0;
        }
      }
    }
    finish?.(fd, tmp);
    closeSync(fd);
    fd = undefined;
    return linkIntoPlaceSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw fsError(tmp, err);
  }
}

/** Writes a dirtree, dirmeta or commit; its name is the SHA-256 of the bytes (§2.1). */
export function writeMetadataObject(repo: Repo, type: MetadataObjectType, bytes: Uint8Array, stats?: WriteStats): WrittenObject {
  const checksum = hex(createHash('sha256').update(bytes));
  if (objectExists(repo, type, checksum)) {
    count(false, 0, stats);
    return { checksum, reused: true };
  }
  const created = writeObjectFileSync(repo, objectPath(repo, type, checksum), [bytes], 0o644, undefined);
  count(created, bytes.length, stats);
  return { checksum, reused: !created };
}

/** The content checksum of a file given its header and all of its data (§2.5). */
export function contentChecksum(header: ContentHeader, data: Uint8Array): Checksum {
  return hex(createHash('sha256').update(encodeChecksumHeader(header)).update(data));
}

const isSymlink = (h: ContentHeader): boolean => (h.mode & S_IFMT) === S_IFLNK;

/** On-disk mode of a bare-user regular file: setuid/setgid/sticky and other-write dropped, owner-read added (§2.6). */
const bareUserFileMode = (mode: number): number => (mode & 0o775) | 0o400;

const utf8 = new TextEncoder();

/** Metadata of a bare or bare-user object file, set through its fd before it is linked (§2.6). */
function bareFinisher(repo: Repo, header: ContentHeader): (fd: number, tmp: string) => void {
  return (fd, tmp) => {
    if (repo.mode === 'bare-user') {
      // xattr before chmod: setting user.* needs write permission for non-root owners.
      writeXattr(tmp, 'user.ostreemeta', encodeBareUserMeta(header));
      fchmodSync(fd, isSymlink(header) ? 0o644 : bareUserFileMode(header.mode));
    } else if (repo.mode === 'bare') {
      fchownSync(fd, header.uid, header.gid);
      for (const x of header.xattrs) writeXattr(tmp, x.name, x.value);
      // After chown, which clears setuid/setgid.
      fchmodSync(fd, header.mode & 0o7777);
    } else {
      fchmodSync(fd, header.mode & 0o777);
    }
    // Content objects carry mtime 0 (OSTREE_TIMESTAMP), so hardlinked checkouts are reproducible.
    futimesSync(fd, 0, 0);
  };
}

/** Writes a symlink content object (bare and bare-user-only store a real symlink). */
function writeSymlinkObject(repo: Repo, header: ContentHeader, checksum: Checksum, stats: WriteStats | undefined): WrittenObject {
  const target = objectPath(repo, 'file', checksum);
  let created: boolean;
  if (repo.mode === 'archive') {
    created = writeObjectFileSync(repo, target, [encodeArchiveHeader(header, 0)], 0o644, undefined);
  } else if (repo.mode === 'bare-user') {
    // bare-user stores a symlink as a regular file: target + NUL (§2.6).
    created = writeObjectFileSync(repo, target, [utf8.encode(`${header.target}\0`)], 0o644, bareFinisher(repo, header));
  } else {
    const tmp = objectTmpPath(repo);
    try {
      symlinkSync(header.target, tmp);
      if (repo.mode === 'bare') {
        lchownSync(tmp, header.uid, header.gid);
        for (const x of header.xattrs) writeXattr(tmp, x.name, x.value);
      }
      lutimesSync(tmp, 0, 0);
      created = linkIntoPlaceSync(tmp, target);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
      throw fsError(tmp, err);
    }
  }
  count(created, 0, stats);
  return { checksum, reused: !created };
}

/** Stores a regular file's in-memory data under `checksum`; `z` is its raw DEFLATE stream in archive repos. */
function storeFileBytes(repo: Repo, header: ContentHeader, data: Uint8Array, checksum: Checksum, z: Uint8Array | undefined, stats: WriteStats | undefined): WrittenObject {
  const target = objectPath(repo, 'file', checksum);
  if (repo.mode === 'archive') {
    const hdr = encodeArchiveHeader(header, data.length);
    const body = z ?? deflateRawSync(data, { level: repo.zlibLevel });
    const created = writeObjectFileSync(repo, target, [hdr, body], 0o644, undefined);
    count(created, hdr.length + body.length, stats);
    return { checksum, reused: !created };
  }
  const created = writeObjectFileSync(repo, target, [data], 0o600, bareFinisher(repo, header));
  count(created, data.length, stats);
  return { checksum, reused: !created };
}

/**
 * Writes a content object whose data is in memory (small files, symlinks). When `known` is given
 * (the caller already hashed the data) it is trusted as the checksum. Compression runs in the
 * libuv thread pool, so several calls in flight use several cores.
 */
export async function writeContentBytes(repo: Repo, header: ContentHeader, data: Uint8Array, stats?: WriteStats, known?: Checksum): Promise<WrittenObject> {
  const checksum = known ?? contentChecksum(header, data);
  if (objectExists(repo, 'file', checksum)) {
    count(false, 0, stats);
    return { checksum, reused: true };
  }
  if (isSymlink(header)) return writeSymlinkObject(repo, header, checksum, stats);
  const z = repo.mode === 'archive' ? await deflateRawAsync(data, { level: repo.zlibLevel }) : undefined;
  return storeFileBytes(repo, header, data, checksum, z, stats);
}

/** writeContentBytes, entirely on the calling thread (for import workers, which are the parallelism). */
export function writeContentBytesSync(repo: Repo, header: ContentHeader, data: Uint8Array, stats?: WriteStats): WrittenObject {
  const checksum = contentChecksum(header, data);
  if (objectExists(repo, 'file', checksum)) {
    count(false, 0, stats);
    return { checksum, reused: true };
  }
  if (isSymlink(header)) return writeSymlinkObject(repo, header, checksum, stats);
  return storeFileBytes(repo, header, data, checksum, undefined, stats);
}

/** Passes bytes through while hashing and counting them. */
class HashTap extends Transform {
  readonly hash: Hash;
  bytes = 0;
  constructor(prefix: Uint8Array) {
    super();
    this.hash = createHash('sha256').update(prefix);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Writes a regular file's content object from a stream of exactly `size` bytes, hashing while
 * writing (archive: deflating too), then links it into place. A stream of another length is an
 * IntegrityError naming `what`; nothing is left under the object's name.
 */
export async function writeContentStream(repo: Repo, header: ContentHeader, size: number, source: Readable, what: string, stats?: WriteStats): Promise<WrittenObject> {
  const tmp = objectTmpPath(repo);
  const tap = new HashTap(encodeChecksumHeader(header));
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', repo.mode === 'archive' ? 0o644 : 0o600);
    // The stream leaves the fd open, so the bare modes' metadata is set through it afterwards.
    const out = createWriteStream(tmp, { fd, autoClose: false });
    if (repo.mode === 'archive') {
      out.write(encodeArchiveHeader(header, size));
      await pipeline(source, tap, createDeflateRaw({ level: repo.zlibLevel }), out);
    } else {
      await pipeline(source, tap, out);
    }
    if (tap.bytes !== size) throw new IntegrityError(`${what}: size`, String(size), String(tap.bytes));
    const checksum = hex(tap.hash);
    if (repo.mode !== 'archive') bareFinisher(repo, header)(fd, tmp);
    closeSync(fd);
    fd = undefined;
    const created = linkIntoPlaceSync(tmp, objectPath(repo, 'file', checksum));
    count(created, out.bytesWritten, stats);
    return { checksum, reused: !created };
  } catch (err) {
    source.destroy();
    if (fd !== undefined) closeSync(fd);
    await unlink(tmp).catch(() => undefined);
    throw fsError(tmp, err);
  }
}
