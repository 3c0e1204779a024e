/*
 * A cpio "newc" writer (SVR4 portable format, magic 070701, as rpm's lib/cpio.c writes payloads).
 * Pure: it returns header bytes; the caller streams each file's data after its header and pads
 * it with cpioPadding().
 *
 *  off len field      (13 fields of 8 hex digits after the 6-byte magic)
 *    0   6 magic      "070701"
 *    6   8 ino        rpm: the file's FILEINODES value
 *   14   8 mode       st_mode: type bits | permission bits
 *   22   8 uid
 *   30   8 gid
 *   38   8 nlink
 *   46   8 mtime
 *   54   8 filesize   bytes of data that follow (< 4 GiB: rpm uses its "stripped" format beyond)
 *   62   8 devmajor
 *   70   8 devminor
 *   78   8 rdevmajor
 *   86   8 rdevminor
 *   94   8 namesize   name length including its NUL
 *  102   8 check      0 (070701 has no checksum)
 *  110     name, NUL, zero-padded so that header + name is a multiple of 4; then the data,
 *          zero-padded to a multiple of 4. The archive ends with an entry named "TRAILER!!!".
 */
import { InternalError } from '../../core/index.js';

/** Largest file size a newc header holds. */
export const CPIO_MAX_SIZE = 0xffffffff;
/** S_IFREG (stat(2)): the type bits of a regular file. */
export const S_IFREG = 0o100000;
/** S_IFDIR (stat(2)): the type bits of a directory. */
export const S_IFDIR = 0o040000;

/** One cpio member header, as written. */
export type CpioHeaderEntry = {
  /** As it goes into the archive: rpm payloads use `./usr/share/x`. */
  name: string;
  /** st_mode with the type bits (S_IFREG | 0o644). */
  mode: number;
  size: number;
  mtime: number;
  ino: number;
  nlink?: number;
  uid?: number;
  gid?: number;
};

const HEADER_SIZE = 110;
const enc = new TextEncoder();

function hex8(value: number, field: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new InternalError(`cpio: ${field} ${value} does not fit 8 hex digits`);
  return value.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** The header, name and name padding of one member. */
export function cpioHeader(e: CpioHeaderEntry): Uint8Array {
  const name = enc.encode(e.name);
  if (name.includes(0)) throw new InternalError(`cpio: member name ${JSON.stringify(e.name)} contains NUL`);
  const fields = [
    hex8(e.ino, 'ino'), hex8(e.mode, 'mode'), hex8(e.uid ?? 0, 'uid'), hex8(e.gid ?? 0, 'gid'), hex8(e.nlink ?? 1, 'nlink'),
    hex8(e.mtime, 'mtime'), hex8(e.size, 'filesize'), hex8(0, 'devmajor'), hex8(0, 'devminor'), hex8(0, 'rdevmajor'), hex8(0, 'rdevminor'),
    hex8(name.length + 1, 'namesize'), hex8(0, 'check'),
  ];
  const head = enc.encode(`070701${fields.join('')}`);
  const out = new Uint8Array(HEADER_SIZE + name.length + 1 + pad4(HEADER_SIZE + name.length + 1));
  out.set(head, 0);
  out.set(name, HEADER_SIZE);
  return out;
}

/** Zero bytes that pad `size` bytes of member data to a multiple of 4. */
export function cpioPadding(size: number): Uint8Array {
  return new Uint8Array(pad4(size));
}

/** The trailer entry that ends the archive. */
export function cpioTrailer(): Uint8Array {
  return cpioHeader({ name: 'TRAILER!!!', mode: 0, size: 0, mtime: 0, ino: 0, nlink: 1 });
}
