/*
 * A tar writer for the members of a .deb (deb(5): control.tar and data.tar). Pure: it returns
 * header bytes; the caller streams each file's data after its header and pads it with
 * tarPadding().
 *
 * Format: POSIX ustar (POSIX.1-2008 pax, "ustar Interchange Format"), which dpkg, GNU tar and
 * our reader (src/unpack/tar.ts) all read. A name longer than 100 bytes goes into the ustar
 * `prefix` field when it can be split at a `/` into prefix (<= 155 bytes) and name (<= 100);
 * otherwise it is carried by a GNU long-name record (type `L`, GNU tar manual "Basic Tar
 * Format"). Not a pax `x` header: dpkg's own extractor (lib/dpkg/tarfn.c tar_extractor) refuses
 * those with "unsupported PAX tar header type 'x'", while it has read `L` records for decades.
 *
 *  off len field     what we write
 *    0 100 name      the name (or its tail after the prefix split), NUL-padded
 *  100   8 mode      7 octal digits + NUL (permission bits only; the type is in typeflag)
 *  108   8 uid       7 octal digits + NUL
 *  116   8 gid
 *  124  12 size      11 octal digits + NUL (so < 8 GiB)
 *  136  12 mtime     11 octal digits + NUL
 *  148   8 chksum    6 octal digits, NUL, space: sum of all header bytes, this field as spaces
 *  156   1 typeflag  '0' file, '5' directory, 'L' GNU long name
 *  157 100 linkname  empty
 *  257   6 magic     "ustar\0" (GNU long-name records: "ustar " as GNU tar writes them)
 *  263   2 version   "00" (GNU: " \0")
 *  265  32 uname     "root"
 *  297  32 gname     "root"
 *  329   8 devmajor  7 octal digits + NUL
 *  337   8 devminor
 *  345 155 prefix    see above
 */
import { InternalError } from '../../core/index.js';

/** Size of a tar block. */
export const TAR_BLOCK = 512;
/** Largest member size the 11-digit octal size field holds. */
export const TAR_MAX_SIZE = 8 ** 11 - 1;

/** One tar member header, as written. */
export type TarHeaderEntry = {
  /** The member name as it goes into the archive: `./`, `./usr/`, `./usr/share/x` (directories end in `/`). */
  name: string;
  type: 'file' | 'dir';
  /** Permission bits (mode & 0o7777). */
  mode: number;
  /** Data size (0 for directories). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
};

const enc = new TextEncoder();

function putString(block: Uint8Array, offset: number, length: number, bytes: Uint8Array): void {
  if (bytes.length > length) throw new InternalError(`tar: ${bytes.length} bytes do not fit a ${length}-byte field`);
  block.set(bytes, offset);
}

/** An octal number filling `length - 1` digits, NUL-terminated (ustar numeric fields). */
function putOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  const digits = value.toString(8).padStart(length - 1, '0');
  if (!Number.isSafeInteger(value) || value < 0 || digits.length > length - 1) throw new InternalError(`tar: ${value} does not fit a ${length}-byte octal field`);
  putString(block, offset, length, enc.encode(digits));
}

/** Fills in the checksum field (the header's byte sum with the field itself read as spaces). */
function seal(block: Uint8Array): Uint8Array {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  putString(block, 148, 8, enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `));
  return block;
}

function baseBlock(nameField: Uint8Array, e: { mode: number; size: number; mtime: number; uid: number; gid: number; type: string; uname: string; gname: string; gnu: boolean; prefix?: Uint8Array }): Uint8Array {
  const b = new Uint8Array(TAR_BLOCK);
  putString(b, 0, 100, nameField);
  putOctal(b, 100, 8, e.mode);
  putOctal(b, 108, 8, e.uid);
  putOctal(b, 116, 8, e.gid);
  putOctal(b, 124, 12, e.size);
  putOctal(b, 136, 12, e.mtime);
  b[156] = e.type.charCodeAt(0);
  putString(b, 257, 8, enc.encode(e.gnu ? 'ustar  \0' : 'ustar\u000000'));
  putString(b, 265, 32, enc.encode(e.uname));
  putString(b, 297, 32, enc.encode(e.gname));
  putOctal(b, 329, 8, 0);
  putOctal(b, 337, 8, 0);
  if (e.prefix !== undefined) putString(b, 345, 155, e.prefix);
  return seal(b);
}

/**
 * Splits a name for the ustar prefix field: the first `/` after which the rest fits in 100
 * bytes while the part before it fits in 155. Undefined when no such `/` exists.
 */
export function splitUstarName(name: Uint8Array): { prefix: Uint8Array; name: Uint8Array } | undefined {
  for (let i = 0; i < name.length && i <= 155; i++) {
    if (name[i] !== 0x2f) continue;
    const rest = name.subarray(i + 1);
    if (rest.length <= 100 && rest.length > 0) return { prefix: name.subarray(0, i), name: rest };
  }
  return undefined;
}

/** The header block(s) of one member: a GNU long-name record first when the name needs one. */
export function tarHeader(e: TarHeaderEntry): Uint8Array {
  const name = enc.encode(e.name);
  if (name.includes(0)) throw new InternalError(`tar: member name ${JSON.stringify(e.name)} contains NUL`);
  if (!Number.isSafeInteger(e.size) || e.size > TAR_MAX_SIZE || (e.type === 'dir' && e.size !== 0)) throw new InternalError(`tar: bad size ${e.size} for ${e.name}`);
  const fields = {
    mode: e.mode & 0o7777, size: e.size, mtime: e.mtime, uid: e.uid ?? 0, gid: e.gid ?? 0,
    type: e.type === 'dir' ? '5' : '0', uname: e.uname ?? 'root', gname: e.gname ?? 'root', gnu: false,
  };
  if (name.length <= 100) return baseBlock(name, fields);
  const split = splitUstarName(name);
  if (split !== undefined) return baseBlock(split.name, { ...fields, prefix: split.prefix });
  // GNU long name: a record named ././@LongLink whose data is the name plus a NUL, then the
  // member itself with the name's first 100 bytes (what GNU tar writes).
  const data = new Uint8Array(name.length + 1);
  data.set(name);
  const longHeader = baseBlock(enc.encode('././@LongLink'), { mode: 0, size: data.length, mtime: 0, uid: 0, gid: 0, type: 'L', uname: 'root', gname: 'root', gnu: true });
  const out = new Uint8Array(TAR_BLOCK + data.length + tarPadding(data.length).length + TAR_BLOCK);
  out.set(longHeader, 0);
  out.set(data, TAR_BLOCK);
  out.set(baseBlock(name.subarray(0, 100), fields), out.length - TAR_BLOCK);
  return out;
}

/** Zero bytes that pad `size` bytes of member data to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** The end of an archive: two zero blocks (POSIX). */
export function tarEnd(): Uint8Array {
  return new Uint8Array(2 * TAR_BLOCK);
}

/** A whole small archive in memory (control.tar: a few KB). */
export function tarArchive(members: readonly { entry: TarHeaderEntry; data?: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    const data = m.data ?? new Uint8Array(0);
    if (data.length !== m.entry.size) throw new InternalError(`tar: ${m.entry.name}: ${data.length} bytes of data for size ${m.entry.size}`);
    parts.push(tarHeader(m.entry), data, tarPadding(data.length));
  }
  parts.push(tarEnd());
  return Buffer.concat(parts);
}
