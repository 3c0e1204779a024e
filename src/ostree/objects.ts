/**
 * OSTree object codecs: commit, dirtree, dirmeta, content-object headers, commitmeta and summary
 * (ostree-format.md §2-3; ostree-core.h). Pure: bytes in, values out. Every format string sits
 * next to a table of its fields. Integers that ostree stores big-endian inside GVariant `u`/`t`
 * slots (§1.9) are swapped here, so callers only ever see host values.
 */
import { FormatError } from '../core/index.js';
import { decodeGVariant, encodeGVariant, isVariant, type GVariantValue, type Variant } from '../gvariant/index.js';
import { checksumFromBytes, checksumToBytes, type Checksum } from './checksum.js';

/** The loose object kinds (ostree-core.h OstreeObjectType) and their file extensions. */
export type ObjectType = 'file' | 'dirtree' | 'dirmeta' | 'commit' | 'tombstone-commit' | 'commitmeta';

/** Metadata object kinds: their name is the SHA-256 of their bytes (§2.1). */
export type MetadataObjectType = 'dirtree' | 'dirmeta' | 'commit';

/** st_mode file-type bits. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** One extended attribute; `name` without its trailing NUL (we add it on encoding, §2.2). */
export interface Xattr {
  readonly name: string;
  readonly value: Uint8Array;
}

/** Owner, full st_mode and xattrs of a file, symlink or directory. */
export interface FileMeta {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly xattrs: readonly Xattr[];
}

const utf8 = new TextEncoder();

/** strcmp order of two names: byte-wise over their UTF-8 (not JS's UTF-16 order) (§2.2, §2.4). */
export function compareNames(a: string, b: string): number {
  // Fast path: UTF-16 order equals UTF-8 byte order unless a surrogate or U+E000..U+FFFF is
  // involved; check and fall back to bytes.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    // Back up to the start of a surrogate pair so it is encoded whole.
    const from = i > 0 && (a.charCodeAt(i - 1) & 0xfc00) === 0xd800 ? i - 1 : i;
    return compareBytes(utf8.encode(a.slice(from)), utf8.encode(b.slice(from)));
  }
  return a.length - b.length;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Xattrs as ostree records them: empty values dropped (libglnx skips them), sorted by name in
 * strcmp order, duplicates removed (§2.2; ostree >= 2024.10 rejects unsorted or duplicate ones).
 * Two different values under one name are an error.
 */
export function normalizeXattrs(xattrs: readonly Xattr[]): Xattr[] {
  const out = xattrs.filter((x) => x.value.length > 0).sort((a, b) => compareNames(a.name, b.name));
  for (const x of out) {
    if (x.name.length === 0 || x.name.includes('\0')) throw new FormatError('ostree', `xattr name ${JSON.stringify(x.name)}: expected a non-empty name without NUL`);
  }
  return out.filter((x, i) => {
    const prev = out[i - 1];
    if (prev === undefined || prev.name !== x.name) return true;
    if (compareBytes(prev.value, x.value) !== 0) throw new FormatError('ostree', `xattr ${x.name}: given twice with different values`);
    return false;
  });
}

/** Byte-swaps a u32 (ostree stores uid/gid/mode big-endian in `u` slots, §1.9). */
export function bswap32(n: number): number {
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | ((n >>> 24) & 0xff)) >>> 0;
}

/** Byte-swaps a u64. */
export function bswap64(n: bigint): bigint {
  let out = 0n;
  for (let i = 0; i < 8; i++) {
    out = (out << 8n) | (n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function xattrsToValue(xattrs: readonly Xattr[]): GVariantValue[] {
  // §2.2: the name carries its trailing NUL inside the `ay`.
  return xattrs.map((x) => {
    const name = utf8.encode(`${x.name}\0`);
    return [name, x.value];
  });
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function xattrsFromValue(v: GVariantValue, what: string): Xattr[] {
  const out: Xattr[] = [];
  for (const el of v as GVariantValue[]) {
    const [name, value] = el as [Uint8Array, Uint8Array];
    if (name.length < 2 || name[name.length - 1] !== 0 || name.indexOf(0) !== name.length - 1) throw new FormatError('ostree', `${what}: xattr name must be non-empty and end in one NUL`);
    let s: string;
    try {
      s = utf8Fatal.decode(name.subarray(0, name.length - 1));
    } catch {
      throw new FormatError('ostree', `${what}: xattr name is not valid UTF-8`);
    }
    out.push({ name: s, value });
  }
  for (let i = 1; i < out.length; i++) {
    if (compareNames((out[i - 1] as Xattr).name, (out[i] as Xattr).name) >= 0) throw new FormatError('ostree', `${what}: xattrs not sorted or duplicated at ${(out[i] as Xattr).name}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// dirmeta (§2.3)
/**
 * dirmeta `(uuua(ayay))`
 * | # | type | field |
 * |---|---|---|
 * | 0 | u | uid, big-endian |
 * | 1 | u | gid, big-endian |
 * | 2 | u | full st_mode incl. S_IFDIR, big-endian |
 * | 3 | a(ayay) | xattrs, sorted (§2.2) |
 * The same layout is bare-user's `user.ostreemeta` xattr (§2.6), with a file's mode.
 */
export const DIRMETA_TYPE = '(uuua(ayay))';

/** Serializes a directory's metadata (its object name is the SHA-256 of these bytes). */
export function encodeDirMeta(meta: FileMeta): Uint8Array {
  if ((meta.mode & S_IFMT) !== S_IFDIR) throw new FormatError('ostree', `dirmeta: mode 0${meta.mode.toString(8)} is not a directory`);
  return encodeBareUserMeta(meta);
}

/** Serializes bare-user's `user.ostreemeta` value for a file or symlink (§2.6). */
export function encodeBareUserMeta(meta: FileMeta): Uint8Array {
  return encodeGVariant(DIRMETA_TYPE, [bswap32(meta.uid), bswap32(meta.gid), bswap32(meta.mode), xattrsToValue(meta.xattrs)]);
}

function decodeUuuMeta(bytes: Uint8Array, what: string, file: string | undefined): FileMeta {
  const [uid, gid, mode, xattrs] = decodeGVariant(DIRMETA_TYPE, bytes, file === undefined ? {} : { file }) as [number, number, number, GVariantValue];
  return { uid: bswap32(uid), gid: bswap32(gid), mode: bswap32(mode), xattrs: xattrsFromValue(xattrs, what) };
}

/** Decodes and validates a dirmeta: normal form, a directory mode without stray bits (§2.3). */
export function decodeDirMeta(bytes: Uint8Array, file?: string): FileMeta {
  const meta = decodeUuuMeta(bytes, 'dirmeta', file);
  if ((meta.mode & S_IFMT) !== S_IFDIR || (meta.mode & ~(S_IFMT | 0o7777)) !== 0) throw new FormatError('ostree', `dirmeta: mode 0${meta.mode.toString(8)} is not a valid directory mode`, file === undefined ? {} : { file });
  return meta;
}

/** Decodes bare-user's `user.ostreemeta` xattr value. */
export function decodeBareUserMeta(bytes: Uint8Array, file?: string): FileMeta {
  const meta = decodeUuuMeta(bytes, 'user.ostreemeta', file);
  validateContentMode(meta.mode, file);
  return meta;
}

// ---------------------------------------------------------------------------------------------
// dirtree (§2.4)
/**
 * dirtree `(a(say)a(sayay))`
 * | # | type | field |
 * |---|---|---|
 * | 0 | a(say) | files and symlinks: (name, content checksum), sorted by name (strcmp) |
 * | 1 | a(sayay) | subdirectories: (name, dirtree checksum, dirmeta checksum), sorted by name |
 */
export const DIRTREE_TYPE = '(a(say)a(sayay))';

/** One directory level: its files and its subdirectories. */
export interface DirTree {
  readonly files: readonly { readonly name: string; readonly checksum: Checksum }[];
  readonly dirs: readonly { readonly name: string; readonly tree: Checksum; readonly meta: Checksum }[];
}

/** Returns why `name` cannot be a dirtree entry, or undefined if it can (§2.4). */
export function invalidNameReason(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name === '.' || name === '..') return `name ${JSON.stringify(name)}`;
  if (name.includes('/')) return 'name contains "/"';
  if (name.includes('\0')) return 'name contains NUL';
  if (/[\ud800-\udfff]/u.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return 'name is not valid UTF-8';
  return undefined;
}

/** Serializes a dirtree; entries must be valid names, each array sorted by compareNames, no name twice. */
export function encodeDirTree(tree: DirTree): Uint8Array {
  validateDirTree(tree, undefined);
  return encodeGVariant(DIRTREE_TYPE, [tree.files.map((f) => [f.name, checksumToBytes(f.checksum)]), tree.dirs.map((d) => [d.name, checksumToBytes(d.tree), checksumToBytes(d.meta)])]);
}

/** Decodes and validates a dirtree, including the order ostree's fsck does not check (§2.4). */
export function decodeDirTree(bytes: Uint8Array, file?: string): DirTree {
  const [files, dirs] = decodeGVariant(DIRTREE_TYPE, bytes, file === undefined ? {} : { file }) as [GVariantValue[], GVariantValue[]];
  const tree: DirTree = {
    files: files.map((f) => {
      const [name, c] = f as [string, Uint8Array];
      return { name, checksum: checksumFromBytes(c, `dirtree file ${name}`) };
    }),
    dirs: dirs.map((d) => {
      const [name, t, m] = d as [string, Uint8Array, Uint8Array];
      return { name, tree: checksumFromBytes(t, `dirtree dir ${name}`), meta: checksumFromBytes(m, `dirtree dir ${name}`) };
    }),
  };
  validateDirTree(tree, file);
  return tree;
}

function validateDirTree(tree: DirTree, file: string | undefined): void {
  const fail = (msg: string): never => {
    throw new FormatError('ostree', `dirtree: ${msg}`, file === undefined ? {} : { file });
  };
  for (const list of [tree.files, tree.dirs]) {
    let prev: string | undefined;
    for (const { name } of list) {
      const bad = invalidNameReason(name);
      if (bad !== undefined) fail(bad);
      if (prev !== undefined && compareNames(prev, name) >= 0) fail(`entries not in strcmp order: ${JSON.stringify(prev)} before ${JSON.stringify(name)}`);
      prev = name;
    }
  }
  if (tree.files.length > 0 && tree.dirs.length > 0) {
    const names = new Set(tree.files.map((f) => f.name));
    for (const d of tree.dirs) if (names.has(d.name)) fail(`${JSON.stringify(d.name)} is both a file and a directory`);
  }
}

// ---------------------------------------------------------------------------------------------
// content objects (§2.5, §2.6)
/**
 * file header `(uuuusa(ayay))`, the input to a content object's checksum
 * | # | type | field |
 * |---|---|---|
 * | 0 | u | uid, big-endian |
 * | 1 | u | gid, big-endian |
 * | 2 | u | full st_mode (S_IFREG or S_IFLNK), big-endian |
 * | 3 | u | rdev, always 0 |
 * | 4 | s | symlink target, "" for regular files |
 * | 5 | a(ayay) | xattrs, sorted (§2.2) |
 */
export const FILE_HEADER_TYPE = '(uuuusa(ayay))';

/**
 * archive (`.filez`) header `(tuuuusa(ayay))`
 * | # | type | field |
 * |---|---|---|
 * | 0 | t | uncompressed size, big-endian; 0 for symlinks |
 * | 1-5 | | as in FILE_HEADER_TYPE fields 0-5 |
 * On disk: BE32(length) + 4 zero bytes + header + raw DEFLATE payload (none for symlinks).
 */
export const ARCHIVE_HEADER_TYPE = '(tuuuusa(ayay))';

/** What a content object's header records: metadata and, for a symlink, its target. */
export interface ContentHeader extends FileMeta {
  /** Symlink target; "" for regular files. */
  readonly target: string;
}

function validateContentMode(mode: number, file: string | undefined): void {
  const t = mode & S_IFMT;
  if ((t !== S_IFREG && t !== S_IFLNK) || (mode & ~(S_IFMT | 0o7777)) !== 0) throw new FormatError('ostree', `content object: mode 0${mode.toString(8)} is neither a regular file nor a symlink`, file === undefined ? {} : { file });
}

function validateContentHeader(h: ContentHeader, file: string | undefined): void {
  validateContentMode(h.mode, file);
  const isLink = (h.mode & S_IFMT) === S_IFLNK;
  if (isLink && h.target.length === 0) throw new FormatError('ostree', 'content object: symlink with an empty target', file === undefined ? {} : { file });
  if (!isLink && h.target.length > 0) throw new FormatError('ostree', 'content object: regular file with a symlink target', file === undefined ? {} : { file });
}

/** BE32 length + 4 zero bytes, then the header (§2.5: the prefix the checksum covers). */
function withLengthPrefix(hdr: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + hdr.length);
  new DataView(out.buffer).setUint32(0, hdr.length, false);
  out.set(hdr, 8);
  return out;
}

/**
 * The bytes that precede a file's data in its checksum: SHA-256(result || data) is the content
 * object's name in every repo mode (§2.5).
 */
export function encodeChecksumHeader(h: ContentHeader): Uint8Array {
  // Most files of a tree share a handful of (uid, gid, mode) without xattrs: encode those once.
  const key = h.xattrs.length === 0 && h.target === '' ? `${h.uid}:${h.gid}:${h.mode}` : undefined;
  const hit = key === undefined ? undefined : checksumHeaderCache.get(key);
  if (hit !== undefined) return hit;
  validateContentHeader(h, undefined);
  const out = withLengthPrefix(encodeGVariant(FILE_HEADER_TYPE, [bswap32(h.uid), bswap32(h.gid), bswap32(h.mode), 0, h.target, xattrsToValue(h.xattrs)]));
  if (key !== undefined && checksumHeaderCache.size < 4096) checksumHeaderCache.set(key, out);
  return out;
}

/** Encoded headers of plain files, by uid:gid:mode; callers never mutate the returned bytes. */
const checksumHeaderCache = new Map<string, Uint8Array>();

/** The `.filez` header with its length prefix; `size` is the uncompressed length (0 for symlinks, §2.6). */
export function encodeArchiveHeader(h: ContentHeader, size: number): Uint8Array {
  validateContentHeader(h, undefined);
  return withLengthPrefix(encodeGVariant(ARCHIVE_HEADER_TYPE, [bswap64(BigInt(size)), bswap32(h.uid), bswap32(h.gid), bswap32(h.mode), 0, h.target, xattrsToValue(h.xattrs)]));
}

/** Length of the prefixed archive header given its first 8 bytes; FormatError if implausible. */
export function archiveHeaderLength(first8: Uint8Array, file?: string): number {
  if (first8.length < 8) throw new FormatError('ostree', `.filez: expected an 8-byte header prefix, got ${first8.length} bytes`, { offset: 0, ...(file === undefined ? {} : { file }) });
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const len = dv.getUint32(0, false);
  if (dv.getUint32(4, false) !== 0) throw new FormatError('ostree', '.filez: expected 4 zero bytes after the header length', { offset: 4, ...(file === undefined ? {} : { file }) });
  // Smallest header: t + 4 u (24 bytes), "" (1), no xattrs (0), one framing offset (1) = 26.
  if (len < 26 || len > 1 << 24) throw new FormatError('ostree', `.filez: header length ${len} is implausible`, { offset: 0, ...(file === undefined ? {} : { file }) });
  return len;
}

/** Decodes a `.filez` header (the bytes after the 8-byte prefix): metadata and uncompressed size. */
export function decodeArchiveHeader(hdr: Uint8Array, file?: string): { header: ContentHeader; size: number } {
  const [size, uid, gid, mode, rdev, target, xattrs] = decodeGVariant(ARCHIVE_HEADER_TYPE, hdr, file === undefined ? {} : { file }) as [bigint, number, number, number, number, string, GVariantValue];
  if (rdev !== 0) throw new FormatError('ostree', `.filez: rdev must be 0, got ${bswap32(rdev)}`, file === undefined ? {} : { file });
  const header: ContentHeader = { uid: bswap32(uid), gid: bswap32(gid), mode: bswap32(mode), target, xattrs: xattrsFromValue(xattrs, '.filez header') };
  validateContentHeader(header, file);
  const n = bswap64(size);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError('ostree', `.filez: size ${n} is implausible`, file === undefined ? {} : { file });
  return { header, size: Number(n) };
}

// ---------------------------------------------------------------------------------------------
// commit (§2.7)
/**
 * commit `(a{sv}aya(say)sstayay)`
 * | # | type | field |
 * |---|---|---|
 * | 0 | a{sv} | metadata, order preserved (ostree never sorts it) |
 * | 1 | ay | parent commit checksum (32 bytes), empty for a root commit |
 * | 2 | a(say) | related objects, always empty |
 * | 3 | s | subject |
 * | 4 | s | body |
 * | 5 | t | timestamp, seconds since the epoch UTC, big-endian |
 * | 6 | ay | root dirtree checksum (32 bytes) |
 * | 7 | ay | root dirmeta checksum (32 bytes) |
 */
export const COMMIT_TYPE = '(a{sv}aya(say)sstayay)';

/** `a{sv}` in key order; used for commit metadata, commitmeta and summary dictionaries. */
export type VariantDict = readonly (readonly [string, Variant])[];

/** A decoded commit object. */
export interface Commit {
  readonly metadata: VariantDict;
  readonly parent: Checksum | null;
  readonly subject: string;
  readonly body: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly rootTree: Checksum;
  readonly rootMeta: Checksum;
}

function dictToValue(d: VariantDict): GVariantValue[] {
  return d.map(([k, v]) => [k, v]);
}

function dictFromValue(v: GVariantValue, what: string, file: string | undefined): VariantDict {
  return (v as GVariantValue[]).map((e) => {
    const [k, val] = e as [string, GVariantValue];
    if (k.length === 0) throw new FormatError('ostree', `${what}: empty metadata key`, file === undefined ? {} : { file });
    if (!isVariant(val)) throw new FormatError('ostree', `${what}: metadata value is not a variant`, file === undefined ? {} : { file });
    return [k, val] as const;
  });
}

/** Serializes a commit. */
export function encodeCommit(c: Commit): Uint8Array {
  for (const [k] of c.metadata) if (k.length === 0) throw new FormatError('ostree', 'commit: empty metadata key');
  if (!Number.isSafeInteger(c.timestamp) || c.timestamp < 0) throw new FormatError('ostree', `commit: timestamp ${c.timestamp} is not a non-negative integer`);
  return encodeGVariant(COMMIT_TYPE, [
    dictToValue(c.metadata),
    c.parent === null ? new Uint8Array(0) : checksumToBytes(c.parent),
    [],
    c.subject,
    c.body,
    bswap64(BigInt(c.timestamp)),
    checksumToBytes(c.rootTree),
    checksumToBytes(c.rootMeta),
  ]);
}

/** Decodes and validates a commit (§2.7 validation rules). */
export function decodeCommit(bytes: Uint8Array, file?: string): Commit {
  const [metadata, parent, , subject, body, ts, tree, meta] = decodeGVariant(COMMIT_TYPE, bytes, file === undefined ? {} : { file }) as [GVariantValue, Uint8Array, GVariantValue, string, string, bigint, Uint8Array, Uint8Array];
  const timestamp = bswap64(ts);
  return {
    metadata: dictFromValue(metadata, 'commit', file),
    parent: parent.length === 0 ? null : checksumFromBytes(parent, 'commit parent'),
    subject,
    body,
    timestamp: timestamp > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(timestamp),
    rootTree: checksumFromBytes(tree, 'commit root dirtree'),
    rootMeta: checksumFromBytes(meta, 'commit root dirmeta'),
  };
}

/** Looks a key up in an `a{sv}` dictionary. */
export function lookupMetadata(d: VariantDict, key: string): Variant | undefined {
  return d.find(([k]) => k === key)?.[1];
}

// ---------------------------------------------------------------------------------------------
// commitmeta (§2.8) and summary (§3.4)
/** Detached commit metadata `a{sv}` (`.commitmeta`), not covered by the commit checksum. */
export const COMMITMETA_TYPE = 'a{sv}';

/** Serializes detached metadata. */
export function encodeCommitMeta(d: VariantDict): Uint8Array {
  return encodeGVariant(COMMITMETA_TYPE, dictToValue(d));
}

/** Decodes detached metadata. */
export function decodeCommitMeta(bytes: Uint8Array, file?: string): VariantDict {
  return dictFromValue(decodeGVariant(COMMITMETA_TYPE, bytes, file === undefined ? {} : { file }), 'commitmeta', file);
}

/**
 * summary `(a(s(taya{sv}))a{sv})`
 * | # | type | field |
 * |---|---|---|
 * | 0 | a(s(taya{sv})) | refs sorted by name (strcmp): (ref, (commit size LE, commit checksum, {ostree.commit.timestamp: t BE, ostree.commit.version: s})) |
 * | 1 | a{sv} | ostree.summary.mode (s), ostree.summary.last-modified (t BE), ostree.summary.tombstone-commits (b), ... |
 */
export const SUMMARY_TYPE = '(a(s(taya{sv}))a{sv})';

/** One ref in the summary. */
export interface SummaryRef {
  readonly name: string;
  readonly commitSize: number;
  readonly checksum: Checksum;
  readonly metadata: VariantDict;
}

/** A decoded summary file. */
export interface Summary {
  readonly refs: readonly SummaryRef[];
  readonly metadata: VariantDict;
}

/** Serializes a summary; refs are sorted here (§3.4). */
export function encodeSummary(s: Summary): Uint8Array {
  const refs = [...s.refs].sort((a, b) => compareNames(a.name, b.name));
  return encodeGVariant(SUMMARY_TYPE, [refs.map((r) => [r.name, [BigInt(r.commitSize), checksumToBytes(r.checksum), dictToValue(r.metadata)]]), dictToValue(s.metadata)]);
}

/** Decodes a summary file. */
export function decodeSummary(bytes: Uint8Array, file?: string): Summary {
  const [refs, metadata] = decodeGVariant(SUMMARY_TYPE, bytes, file === undefined ? {} : { file }) as [GVariantValue[], GVariantValue];
  return {
    refs: refs.map((r) => {
      const [name, [size, c, meta]] = r as [string, [bigint, Uint8Array, GVariantValue]];
      return { name, commitSize: Number(size), checksum: checksumFromBytes(c, `summary ref ${name}`), metadata: dictFromValue(meta, 'summary', file) };
    }),
    metadata: dictFromValue(metadata, 'summary', file),
  };
}
