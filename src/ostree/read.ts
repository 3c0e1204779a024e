/**
 * Reading objects back: metadata objects decoded and validated, content objects as header +
 * data stream in every repo mode (ostree-format.md §2.6), and rev-parse.
 */
import { createReadStream } from 'node:fs';
import { lstat, open, readFile, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { FormatError, NotFoundError, fsError, readXattr, readXattrs } from '../core/index.js';
import { isChecksum, type Checksum } from './checksum.js';
import {
  S_IFLNK,
  S_IFMT,
  archiveHeaderLength,
  decodeArchiveHeader,
  decodeBareUserMeta,
  decodeCommit,
  decodeCommitMeta,
  decodeDirMeta,
  decodeDirTree,
  normalizeXattrs,
  type Commit,
  type ContentHeader,
  type DirTree,
  type FileMeta,
  type VariantDict,
} from './objects.js';
import { objectPath, readRef, type Repo } from './repo.js';

/** Raw bytes of a metadata object; NotFoundError naming the type and checksum if missing. */
export async function readMetadataObject(repo: Repo, type: 'commit' | 'dirtree' | 'dirmeta' | 'commitmeta', checksum: Checksum): Promise<Uint8Array> {
  const file = objectPath(repo, type, checksum);
  try {
    return await readFile(file);
  } catch (err) {
    const e = fsError(file, err);
    if (e instanceof NotFoundError) throw new NotFoundError(`${type} object ${checksum}`, { cause: err });
    throw e;
  }
}

/** Loads and decodes a commit object. */
export async function loadCommit(repo: Repo, checksum: Checksum): Promise<Commit> {
  return decodeCommit(await readMetadataObject(repo, 'commit', checksum), objectPath(repo, 'commit', checksum));
}

/** Loads and decodes a dirtree object. */
export async function loadDirTree(repo: Repo, checksum: Checksum): Promise<DirTree> {
  return decodeDirTree(await readMetadataObject(repo, 'dirtree', checksum), objectPath(repo, 'dirtree', checksum));
}

/** Loads and decodes a dirmeta object. */
export async function loadDirMeta(repo: Repo, checksum: Checksum): Promise<FileMeta> {
  return decodeDirMeta(await readMetadataObject(repo, 'dirmeta', checksum), objectPath(repo, 'dirmeta', checksum));
}

/** A commit's detached metadata, or undefined if it has none. */
export async function loadCommitMeta(repo: Repo, commit: Checksum): Promise<VariantDict | undefined> {
  try {
    return decodeCommitMeta(await readMetadataObject(repo, 'commitmeta', commit), objectPath(repo, 'commitmeta', commit));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** A content object: what its header records, and its data. */
export interface ContentObject {
  readonly header: ContentHeader;
  /** Uncompressed data length (0 for symlinks). */
  readonly size: number;
  /** The file data (empty for symlinks); call once and consume or destroy it. */
  open(): Readable;
}

const BARE_USER_META = 'user.ostreemeta';

/**
 * Opens a content object in any repo mode (§2.6): archive (header + raw DEFLATE), bare-user
 * (data file + `user.ostreemeta`), bare (the file itself) or bare-user-only (mode bits only).
 */
export async function loadContentObject(repo: Repo, checksum: Checksum): Promise<ContentObject> {
  const file = objectPath(repo, 'file', checksum);
  let st;
  try {
    st = await lstat(file);
  } catch (err) {
    const e = fsError(file, err);
    if (e instanceof NotFoundError) throw new NotFoundError(`file object ${checksum}`, { cause: err });
    throw e;
  }
  switch (repo.mode) {
    case 'archive': {
      if (!st.isFile()) throw new FormatError('ostree', 'expected a regular file', { file });
      const fh = await open(file, 'r');
      let hdrLen: number;
      let hdr: Uint8Array;
      try {
        const first = new Uint8Array(8);
        const { bytesRead } = await fh.read(first, 0, 8, 0);
        hdrLen = archiveHeaderLength(first.subarray(0, bytesRead), file);
        hdr = new Uint8Array(hdrLen);
        const r = await fh.read(hdr, 0, hdrLen, 8);
        if (r.bytesRead !== hdrLen) throw new FormatError('ostree', `.filez: header truncated: expected ${hdrLen} bytes, got ${r.bytesRead}`, { file, offset: 8 + r.bytesRead });
      } finally {
        await fh.close();
      }
      const { header, size } = decodeArchiveHeader(hdr, file);
      const isLink = (header.mode & S_IFMT) === S_IFLNK;
      return {
        header,
        size: isLink ? 0 : size,
        open: () => {
          const raw = createReadStream(file, { start: 8 + hdrLen });
          if (isLink) return raw;
          const inflate = createInflateRaw();
          raw.on('error', (e) => inflate.destroy(e));
          // A corrupt payload or a consumer that stops early must not leave the file open.
          inflate.on('close', () => raw.destroy());
          return raw.pipe(inflate);
        },
      };
    }
    case 'bare-user': {
      if (!st.isFile()) throw new FormatError('ostree', 'bare-user object: expected a regular file', { file });
      const raw = readXattr(file, BARE_USER_META);
      if (raw === undefined) throw new FormatError('ostree', `bare-user object: missing xattr ${BARE_USER_META}`, { file });
      const meta = decodeBareUserMeta(raw, file);
      if ((meta.mode & S_IFMT) === S_IFLNK) {
        // Symlinks are stored as a regular file holding the target and a trailing NUL (§2.6).
        const bytes = await readFile(file);
        if (bytes.length < 2 || bytes[bytes.length - 1] !== 0) throw new FormatError('ostree', 'bare-user symlink object: expected the target followed by one NUL', { file });
        const target = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, bytes.length - 1));
        return { header: { ...meta, target }, size: 0, open: () => emptyStream() };
      }
      return { header: { ...meta, target: '' }, size: st.size, open: () => createReadStream(file) };
    }
    case 'bare':
    case 'bare-user-only': {
      const full = repo.mode === 'bare';
      const meta: FileMeta = full ? { uid: st.uid, gid: st.gid, mode: st.mode, xattrs: normalizeXattrs(readXattrs(file)) } : { uid: 0, gid: 0, mode: st.mode, xattrs: [] };
      if (st.isSymbolicLink()) return { header: { ...meta, target: await readlink(file) }, size: 0, open: () => emptyStream() };
      if (!st.isFile()) throw new FormatError('ostree', 'bare object: expected a regular file or symlink', { file });
      return { header: { ...meta, target: '' }, size: st.size, open: () => createReadStream(file) };
    }
  }
}

function emptyStream(): Readable {
  return Readable.from([]);
}

/**
 * Resolves a revision to a commit checksum: a full checksum, a ref, `remote:ref`, each optionally
 * followed by `^` for each parent step (ostree rev-parse).
 */
export async function resolveRev(repo: Repo, rev: string): Promise<Checksum> {
  const m = /^(.*?)(\^*)$/.exec(rev);
  const base = m?.[1] ?? rev;
  const ups = m?.[2]?.length ?? 0;
  let c: Checksum | undefined = isChecksum(base) ? base : await readRef(repo, base);
  if (c === undefined) throw new NotFoundError(`ref ${base}`);
  for (let i = 0; i < ups; i++) {
    const parent: Checksum | null = (await loadCommit(repo, c)).parent;
    if (parent === null) throw new NotFoundError(`parent of commit ${c} (${rev})`);
    c = parent;
  }
  return c;
}
