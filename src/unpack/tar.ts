import { ByteReader, InternalError } from '../core/index.js';
import type { EntryBody, EntryType } from './types.js';

/*
 * Streaming tar reader: POSIX ustar and pax (POSIX.1-2008 "pax Interchange Format"), GNU long
 * names/links (GNU tar manual "Basic Tar Format", types `L`/`K`), GNU base-256 numbers. Bodies are
 * handed out as views of the decoder's chunks and never buffered; only extended headers (long
 * names, pax records) are read into memory, under a size cap.
 *
 * Where readers disagree we pick the answer that can never produce a wrong listing:
 * - End of archive (dpkg lib/dpkg/tarfn.c): the first all-zero block ends it (one is enough, as in
 *   dpkg and GNU tar), and so does a clean end of data at a header boundary (dpkg accepts
 *   archives without end blocks). Whatever follows the end block is read and discarded, so a
 *   compressed stream is decoded (and its checksum verified) to its end; dpkg drains it too.
 * - POSIX ustar: "No data logical records are stored for types 1, 2, or 5", and the size of
 *   3, 4 and 6 is unspecified; readers differ on whether to skip such data, so a non-zero size on
 *   any non-regular entry is a FormatError rather than a guess.
 * - A path or hardlink target with a `..` segment is a FormatError, never a rewritten path.
 * - Names must be UTF-8 (ostree paths are); anything else is a FormatError, never U+FFFD.
 * Error offsets are those of the header block at fault (the message names the field), or of the
 * record inside a pax header.
 */

// ustar header block (POSIX.1-2008 pax, "ustar Interchange Format"; GNU tar manual "Standard"):
//  off len field
//    0 100 name      NUL-terminated unless it fills the field
//  100   8 mode      octal (may carry S_IFMT bits from old tars: masked)
//  108   8 uid       octal, or GNU base-256 (first byte 0x80/0xff)
//  116   8 gid
//  124  12 size
//  136  12 mtime     signed in base-256
//  148   8 chksum    octal sum of the header bytes with this field read as 8 spaces
//  156   1 typeflag
//  157 100 linkname
//  257   6 magic     "ustar\0" + version "00" (POSIX) or "ustar " + " \0" (GNU)
//  265  32 uname
//  297  32 gname
//  329   8 devmajor
//  337   8 devminor
//  345 155 prefix    POSIX only: path = prefix + "/" + name (GNU keeps atime/ctime here)
const BLOCK = 512;
const O_NAME = 0;
const O_MODE = 100;
const O_UID = 108;
const O_GID = 116;
const O_SIZE = 124;
const O_MTIME = 136;
const O_CHKSUM = 148;
const O_TYPE = 156;
const O_LINKNAME = 157;
const O_MAGIC = 257;
const O_UNAME = 265;
const O_GNAME = 297;
const O_DEVMAJOR = 329;
const O_DEVMINOR = 337;
const O_PREFIX = 345;

/** Largest GNU long name/link we read into memory (PATH_MAX is 4096; be generous). */
const MAX_LONG_NAME = 1 << 20;
/** Largest pax extended header we read into memory (room for several 64 KiB xattrs). */
const MAX_PAX_HEADER = 16 << 20;

/** One tar member, with its ustar, GNU and pax header records merged. */
export type TarEntry = {
  /** Absolute and normalized: `./usr/bin/x` → `/usr/bin/x`, `./` → `/`. */
  path: string;
  type: EntryType;
  /** Permission bits, mode & 0o7777. */
  mode: number;
  uid: number;
  gid: number;
  /** uname/gname; undefined when empty or absent (pre-POSIX tar). */
  user: string | undefined;
  group: string | undefined;
  /** Content size; 0 for everything but regular files. */
  size: number;
  /** Seconds since the epoch; fractional when a pax `mtime` record says so. */
  mtime: number;
  /** Symlink: the target as recorded. Hardlink: the target path, absolute and normalized. */
  linkTarget: string | undefined;
  rdev: { major: number; minor: number } | undefined;
  /** From pax `SCHILY.xattr.*` (and libarchive's and Red Hat tar's spellings), sorted by name. */
  xattrs: [name: string, value: Uint8Array][];
  /** Byte offset of the entry's (first extended) header in the tar stream, for messages. */
  offset: number;
  /** Content of regular files (also when empty); undefined for every other type. */
  body: EntryBody | undefined;
};

/** Options for `readTar`: `file` names the stream in errors; `signal` is checked between entries. */
export type ReadTarOptions = { file?: string; signal?: AbortSignal };

/**
 * A body of known length read from a ByteReader. Chunks are views of the source chunks. The owner
 * calls `finish()` before reading past it: what the consumer left unread is discarded, and any
 * later use of the body is a bug (InternalError) rather than a silent read of the next entry.
 */
export class SizedBody implements EntryBody {
  /** Declared size of the body in bytes. */
  readonly size: number;
  private left: number;
  private stale = false;
  private readonly reader: ByteReader;
  private readonly what: string;

  constructor(reader: ByteReader, size: number, what: string) {
    this.reader = reader;
    this.size = size;
    this.left = size;
    this.what = what;
  }

  /** Yields the unread rest of the body as views of the source chunks. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.stale) throw new InternalError(`${this.what} read after the archive moved past it`);
    if (this.left === 0) return;
    for await (const view of this.reader.stream(this.left, this.what)) {
      this.left -= view.length;
      yield view;
    }
  }

  /** Discards whatever of the body has not been read. */
  async drain(): Promise<void> {
    if (this.stale) throw new InternalError(`${this.what} drained after the archive moved past it`);
    if (this.left > 0) {
      const n = this.left;
      this.left = 0;
      await this.reader.skip(n, this.what);
    }
  }

  /** Drains the rest and retires the body (called by the archive reader, not consumers). */
  async finish(): Promise<void> {
    if (!this.stale) await this.drain();
    this.stale = true;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Header byte range up to its first NUL. */
function field(h: Uint8Array, off: number, len: number): Uint8Array {
  const end = off + len;
  for (let i = off; i < end; i++) if (h[i] === 0) return h.subarray(off, i);
  return h.subarray(off, end);
}

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if ((b[i] ?? 0) >= 0x80) return false;
  return true;
}

/** Sum of the header bytes with the checksum field taken as spaces: unsigned and signed (old tars). */
function headerSums(h: Uint8Array): { unsigned: number; signed: number } {
  let sum = 0;
  let high = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= O_CHKSUM && i < O_CHKSUM + 8 ? 0x20 : (h[i] ?? 0);
    sum += b;
    if (b >= 0x80) high++;
  }
  return { unsigned: sum, signed: sum - 256 * high };
}

/** True for a block of 512 zero bytes. */
function isZeroBlock(h: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

const DECIMAL = /^\d+$/;
const PAX_TIME = /^-?\d+(\.\d+)?$/;
const XATTR_SCHILY = 'SCHILY.xattr.';
const XATTR_LIBARCHIVE = 'LIBARCHIVE.xattr.';

type PaxRecords = Map<string, Uint8Array>;

/**
 * Streams the entries of a tar archive. Each entry's body must be consumed or drained before the
 * next entry is pulled; a body left unread is drained automatically when iteration moves on.
 * Errors are FormatError 'tar' naming `opts.file` and the byte offset in the tar stream.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>, opts: ReadTarOptions = {}): AsyncGenerator<TarEntry, void, undefined> {
  const r = new ByteReader(source, 'tar', opts.file);
  const global: PaxRecords = new Map();
  try {
    let longName: Uint8Array | undefined;
    let longLink: Uint8Array | undefined;
    let pax: PaxRecords | undefined;
    let extStart: number | undefined; // offset of the first extended header of the pending entry
    for (;;) {
      opts.signal?.throwIfAborted();
      const hOff = r.offset;
      const pending = extStart !== undefined;
      if (await r.atEnd()) {
        if (pending) throw r.error('end of data after an extended header: expected the entry it describes', hOff);
        return;
      }
      const h = await r.read(BLOCK, 'tar header');
      const sums = headerSums(h);
      if (sums.unsigned === 8 * 0x20 && isZeroBlock(h)) {
        if (pending) throw r.error('end-of-archive block after an extended header: expected the entry it describes', hOff);
        // Trailing blocks (the second zero block, record padding, anything else) are discarded.
        await r.drain();
        return;
      }
      const stored = octal(h, O_CHKSUM, 8, 'chksum', r, hOff);
      if (stored !== sums.unsigned && stored !== sums.signed) {
        throw r.error(`header checksum mismatch: stored ${stored.toString(8)}, computed ${sums.unsigned.toString(8)} (not a tar header?)`, hOff);
      }
      const typeflag = h[O_TYPE] ?? 0;
      let size = numeric(h, O_SIZE, 12, 'size', r, hOff, false);

      // Extended headers describe the next entry (GNU `L`/`K`, pax `x`) or all later ones (`g`).
      if (typeflag === 0x4c /* L */ || typeflag === 0x4b /* K */ || typeflag === 0x78 /* x */ || typeflag === 0x67 /* g */) {
        const isPax = typeflag === 0x78 || typeflag === 0x67;
        const cap = isPax ? MAX_PAX_HEADER : MAX_LONG_NAME;
        const what = isPax ? 'pax extended header' : typeflag === 0x4c ? 'GNU long name' : 'GNU long link';
        if (size > cap) throw r.error(`${what} of ${size} bytes exceeds the ${cap}-byte limit`, hOff);
        const data = await r.read(size, what);
        await r.skip(padding(size), `${what} padding`);
        if (typeflag === 0x4c) longName = field(data, 0, data.length);
        else if (typeflag === 0x4b) longLink = field(data, 0, data.length);
        else if (typeflag === 0x78) parsePax(data, (pax ??= new Map<string, Uint8Array>()), r, hOff + BLOCK);
        else parsePax(data, global, r, hOff + BLOCK);
        if (typeflag !== 0x67) extStart ??= hOff;
        continue;
      }

      const magic = h.subarray(O_MAGIC, O_MAGIC + 6);
      const isPosix = magic[5] === 0 && magic[0] === 0x75 && magic[1] === 0x73 && magic[2] === 0x74 && magic[3] === 0x61 && magic[4] === 0x72;
      const isGnu = magic[5] === 0x20 && magic[0] === 0x75 && magic[1] === 0x73 && magic[2] === 0x74 && magic[3] === 0x61 && magic[4] === 0x72;
      const ustar = isPosix || isGnu;
      const records: PaxRecords | undefined = global.size === 0 ? pax : pax === undefined ? global : new Map<string, Uint8Array>([...global, ...pax]);
      const entryOff = extStart ?? hOff;
      const text = (b: Uint8Array, what: string): string => decodeName(b, what, r, entryOff);
      const paxText = (key: string): string | undefined => {
        const v = records?.get(key);
        return v === undefined || v.length === 0 ? undefined : text(v, `pax ${key}`);
      };

      // Path: pax `path` > GNU long name > ustar prefix/name.
      let rawPath = paxText('path');
      if (rawPath === undefined) {
        if (longName !== undefined) rawPath = text(longName, 'GNU long name');
        else {
          const name = field(h, O_NAME, 100);
          const prefix = isPosix ? field(h, O_PREFIX, 155) : undefined;
          rawPath = prefix !== undefined && prefix.length > 0 ? `${text(prefix, 'prefix')}/${text(name, 'name')}` : text(name, 'name');
        }
      }
      let rawLink = paxText('linkpath');
      if (rawLink === undefined) rawLink = longLink !== undefined ? text(longLink, 'GNU long link') : text(field(h, O_LINKNAME, 100), 'linkname');

      let type: EntryType;
      switch (typeflag) {
        case 0x30: // '0'
        case 0x00: // '\0', pre-POSIX regular file
          // Pre-POSIX tars mark directories by a trailing slash (dpkg tarfn.c does the same).
          type = rawPath.endsWith('/') ? 'dir' : 'file';
          break;
        case 0x37: // '7' contiguous file: a regular file everywhere that matters
          type = 'file';
          break;
        case 0x31:
          type = 'hardlink';
          break;
        case 0x32:
          type = 'symlink';
          break;
        case 0x33:
          type = 'chardev';
          break;
        case 0x34:
          type = 'blockdev';
          break;
        case 0x35:
          type = 'dir';
          break;
        case 0x36:
          type = 'fifo';
          break;
        default: {
          const shown = typeflag >= 0x21 && typeflag <= 0x7e ? `'${String.fromCharCode(typeflag)}'` : `0x${typeflag.toString(16)}`;
          const why = typeflag === 0x53 ? ' (GNU sparse files are not supported)' : '';
          throw r.error(`unsupported entry type ${shown}${why}: expected one of 0-7, L, K, x, g`, hOff);
        }
      }

      if (records !== undefined) {
        for (const key of records.keys()) {
          if (key.startsWith('GNU.sparse.')) throw r.error(`pax record ${key}: sparse files are not supported`, entryOff);
        }
      }
      const paxSize = paxText('size');
      if (paxSize !== undefined) size = paxDecimal(paxSize, 'size', r, entryOff);
      if (type !== 'file' && size !== 0) {
        throw r.error(`${type} entry ${JSON.stringify(rawPath)} declares ${size} bytes of data: expected 0`, hOff);
      }

      const path = normalizePath(rawPath, 'path', r, entryOff);
      let linkTarget: string | undefined;
      if (type === 'hardlink') {
        linkTarget = normalizePath(rawLink, 'hardlink target', r, entryOff);
        if (linkTarget === '/') throw r.error(`hardlink ${JSON.stringify(rawPath)} points at the root directory`, entryOff);
      } else if (type === 'symlink') {
        if (rawLink === '') throw r.error(`symlink ${JSON.stringify(rawPath)} has an empty target`, entryOff);
        linkTarget = rawLink;
      }

      const paxUid = paxText('uid');
      const paxGid = paxText('gid');
      const paxMtime = paxText('mtime');
      let mtime: number;
      if (paxMtime !== undefined) {
        if (!PAX_TIME.test(paxMtime)) throw r.error(`pax mtime ${JSON.stringify(paxMtime)}: expected decimal seconds`, entryOff);
        mtime = Number(paxMtime);
      } else {
        mtime = numeric(h, O_MTIME, 12, 'mtime', r, hOff, true);
      }
      const user = paxText('uname') ?? (ustar ? optionalText(field(h, O_UNAME, 32), text) : undefined);
      const group = paxText('gname') ?? (ustar ? optionalText(field(h, O_GNAME, 32), text) : undefined);
      const rdev =
        type === 'chardev' || type === 'blockdev'
          ? {
              major: paxNumber(records, 'SCHILY.devmajor', r, entryOff) ?? (ustar ? numeric(h, O_DEVMAJOR, 8, 'devmajor', r, hOff, false) : 0),
              minor: paxNumber(records, 'SCHILY.devminor', r, entryOff) ?? (ustar ? numeric(h, O_DEVMINOR, 8, 'devminor', r, hOff, false) : 0),
            }
          : undefined;

      const body = type === 'file' ? new SizedBody(r, size, `body of ${rawPath}`) : undefined;
      const entry: TarEntry = {
        path,
        type,
        mode: numeric(h, O_MODE, 8, 'mode', r, hOff, false) & 0o7777,
        uid: paxUid !== undefined ? paxDecimal(paxUid, 'uid', r, entryOff) : numeric(h, O_UID, 8, 'uid', r, hOff, false),
        gid: paxGid !== undefined ? paxDecimal(paxGid, 'gid', r, entryOff) : numeric(h, O_GID, 8, 'gid', r, hOff, false),
        user,
        group,
        size: type === 'file' ? size : 0,
        mtime,
        linkTarget,
        rdev,
        xattrs: records === undefined ? [] : xattrsOf(records, r, entryOff),
        offset: entryOff,
        body,
      };
      longName = undefined;
      longLink = undefined;
      pax = undefined;
      extStart = undefined;

      yield entry;

      if (body !== undefined) {
        await body.finish();
        await r.skip(padding(size), `padding after ${rawPath}`);
      }
    }
  } finally {
    await r.close();
  }
}

function padding(size: number): number {
  const rem = size % BLOCK;
  return rem === 0 ? 0 : BLOCK - rem;
}

function optionalText(b: Uint8Array, text: (b: Uint8Array, what: string) => string): string | undefined {
  return b.length === 0 ? undefined : text(b, 'owner name');
}

function decodeName(b: Uint8Array, what: string, r: ByteReader, off: number): string {
  // Header names are short and nearly always ASCII: skip the decoder for them.
  if (b.length <= 256 && isAscii(b)) return String.fromCharCode(...b);
  try {
    return utf8.decode(b);
  } catch {
    throw r.error(`${what} is not valid UTF-8`, off);
  }
}

/**
 * Makes an archive path absolute and normalized. Empty and `.` segments go; a `..` segment is a
 * FormatError (it could escape the root or alias another entry); so is a NUL (pax values may
 * carry one).
 */
function normalizePath(raw: string, what: string, r: ByteReader, off: number): string {
  if (raw === '') throw r.error(`empty ${what}`, off);
  if (raw.includes('\0')) throw r.error(`${what} ${JSON.stringify(raw)} contains a NUL byte`, off);
  let out = '';
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw r.error(`${what} ${JSON.stringify(raw)} has a '..' segment`, off);
    out += `/${seg}`;
  }
  return out === '' ? '/' : out;
}

/** An octal header field (leading blanks, then digits, then NUL/space padding); empty reads 0. */
function octal(h: Uint8Array, off: number, len: number, what: string, r: ByteReader, hOff: number): number {
  const end = off + len;
  let i = off;
  while (i < end && h[i] === 0x20) i++;
  let n = 0;
  for (; i < end; i++) {
    const c = h[i] ?? 0;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw r.error(`${what} field: invalid octal digit ${JSON.stringify(String.fromCharCode(c))}`, hOff);
    n = n * 8 + (c - 0x30);
  }
  for (; i < end; i++) {
    const c = h[i];
    if (c !== 0 && c !== 0x20) throw r.error(`${what} field: junk after the octal number`, hOff);
  }
  return n;
}

/** An octal field, or a GNU base-256 two's-complement one (first byte 0x80 or 0xff). */
function numeric(h: Uint8Array, off: number, len: number, what: string, r: ByteReader, hOff: number, signed: boolean): number {
  const b0 = h[off] ?? 0;
  if ((b0 & 0x80) === 0) return octal(h, off, len, what, r, hOff);
  // The marker bit is dropped; bit 6 of the first byte is the sign of the remaining bits.
  let v = b0 & 0x7f;
  if ((v & 0x40) !== 0) v -= 0x80;
  for (let i = off + 1; i < off + len; i++) {
    v = v * 256 + (h[i] ?? 0);
    if (!Number.isSafeInteger(v)) throw r.error(`${what} field: base-256 value out of range`, hOff);
  }
  if (v < 0 && !signed) throw r.error(`${what} field: negative value ${v}`, hOff);
  return v;
}

function paxDecimal(s: string, key: string, r: ByteReader, off: number): number {
  if (!DECIMAL.test(s)) throw r.error(`pax ${key} ${JSON.stringify(s)}: expected a decimal number`, off);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw r.error(`pax ${key} ${s}: out of range`, off);
  return n;
}

function paxNumber(records: PaxRecords | undefined, key: string, r: ByteReader, off: number): number | undefined {
  const v = records?.get(key);
  if (v === undefined || v.length === 0) return undefined;
  return paxDecimal(decodeName(v, `pax ${key}`, r, off), key, r, off);
}

/**
 * Parses pax records, `"%d %s=%s\n"` where the length counts the whole record (POSIX pax,
 * "pax Extended Header"). Values stay bytes (xattr values are binary); later records win.
 */
function parsePax(data: Uint8Array, into: PaxRecords, r: ByteReader, base: number): void {
  let p = 0;
  while (p < data.length) {
    // Writers may pad the header with NULs: tolerated only as trailing padding.
    if (data[p] === 0) {
      for (let i = p; i < data.length; i++) if (data[i] !== 0) throw r.error('pax header: NUL byte inside the records', base + p);
      return;
    }
    let len = 0;
    let i = p;
    while (i < data.length && i - p < 12 && (data[i] ?? 0) >= 0x30 && (data[i] ?? 0) <= 0x39) len = len * 10 + ((data[i++] ?? 0) - 0x30);
    if (i === p || data[i] !== 0x20) throw r.error('pax header: expected "<length> <key>=<value>\\n"', base + p);
    const end = p + len;
    if (len < i - p + 3 || end > data.length) throw r.error(`pax header: record length ${len} does not fit the header`, base + p);
    if (data[end - 1] !== 0x0a) throw r.error('pax header: record does not end with a newline', base + end - 1);
    const rec = data.subarray(i + 1, end - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw r.error('pax header: record without "key="', base + p);
    const key = decodeName(rec.subarray(0, eq), 'pax keyword', r, base + p);
    into.set(key, rec.subarray(eq + 1));
    p = end;
  }
}

function xattrsOf(records: PaxRecords, r: ByteReader, off: number): [string, Uint8Array][] {
  const found = new Map<string, Uint8Array>();
  for (const [key, value] of records) {
    if (key.startsWith(XATTR_SCHILY)) {
      found.set(key.slice(XATTR_SCHILY.length), value);
    } else if (key.startsWith(XATTR_LIBARCHIVE)) {
      // libarchive: the name is URL-encoded, the value base64 (archive_write_set_format_pax.c).
      let name: string;
      try {
        name = decodeURIComponent(key.slice(XATTR_LIBARCHIVE.length));
      } catch {
        throw r.error(`pax ${key}: invalid URL encoding`, off);
      }
      const b64 = decodeName(value, `pax ${key}`, r, off);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw r.error(`pax ${key}: invalid base64 value`, off);
      found.set(name, new Uint8Array(Buffer.from(b64, 'base64')));
    } else if (key === 'RHT.security.selinux') {
      // Red Hat's tar stores the SELinux label under its own keyword.
      found.set('security.selinux', value);
    }
  }
  for (const name of found.keys()) {
    if (name === '' || name.includes('\0')) throw r.error(`pax xattr name ${JSON.stringify(name)} is invalid`, off);
  }
  return [...found].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
