import type { ByteReader } from '../../core/index.js';

/*
 * The cpio archive inside an RPM payload (rpm lib/cpio.c; cpio(5) "New ASCII Format"). Pure:
 * it reads from a ByteReader over the decompressed payload and never touches files.
 *
 * Every header starts on a 4-byte boundary of the archive (rpmcpioReadPad).
 *
 * newc ("070701"; "070702" is the same with a checksum rpm ignores), 110 bytes + name:
 *   offset size field                 offset size field
 *   0      6    magic                 62     8    filesize (hex; < 4 GiB)
 *   6      8    ino                   70     8    devmajor
 *   14     8    mode (st_mode)        78     8    devminor
 *   22     8    uid                   86     8    rdevmajor
 *   30     8    gid                   94     8    rdevminor
 *   38     8    nlink                 102    8    namesize (name length + NUL; rpm caps it at 4096)
 *   46     8    mtime                 110    ...  name, NUL, padding to 4, then filesize bytes of data
 * All numbers are 8 hex digits. rpm writes names as "./usr/bin/x" (rpmlib(PayloadFilesHavePrefix));
 * the archive ends with an entry named "TRAILER!!!".
 *
 * stripped ("07070X", rpm >= 4.12, written when the header has LONGFILESIZES because newc cannot
 * describe files of 4 GiB or more), 14 bytes:
 *   0      6    magic
 *   6      8    fx: index of the file in the header's file list (hex)
 * then padding to 4 and the data. Everything else, including the data size, comes from the
 * header (lib/rpmfi.c rpmfiArchiveWriteHeader/iterReadArchiveNext). rpm still ends such an
 * archive with a newc trailer; a stripped fx of 0xffffffff is also read as the end (cpio.c).
 */

/** rpm's limit on newc name sizes (cpio.c CPIO_NAMESIZE_MAX). */
export const CPIO_NAME_MAX = 4096;
/** Size of a newc header without the name. */
export const NEWC_HEADER_SIZE = 110;
/** Size of a stripped header. */
export const STRIPPED_HEADER_SIZE = 14;
/** The name of the last newc entry. */
export const CPIO_TRAILER = 'TRAILER!!!';

/** A newc header: the metadata cpio carries (the RPM header overrides all but the name). */
export type CpioNewcHeader = {
  kind: 'newc';
  /** Offset of the header in the decompressed payload. */
  offset: number;
  name: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  fileSize: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
};

/** A stripped header: only the index of the file in the RPM header. */
export type CpioStrippedHeader = { kind: 'stripped'; offset: number; index: number };

/** What `readCpioHeader` returns: an entry header or the end of the archive. */
export type CpioHeader = CpioNewcHeader | CpioStrippedHeader | { kind: 'trailer'; offset: number };

const NEWC_FIELDS = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'fileSize', 'devMajor', 'devMinor', 'rdevMajor', 'rdevMinor', 'nameSize', 'check'] as const;
const ascii = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Skips the zero padding that aligns the next header or data to 4 bytes. */
export async function skipCpioPadding(r: ByteReader): Promise<void> {
  const pad = (4 - (r.offset % 4)) % 4;
  if (pad > 0) await r.skip(pad, 'cpio padding');
}

/** Parses 8 hex digits (cpio numbers); anything else is a FormatError at `offset`. */
function hex8(r: ByteReader, bytes: Uint8Array, at: number, offset: number, field: string): number {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const c = bytes[at + i] ?? 0;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) throw r.error(`cpio ${field}: expected 8 hex digits, found ${JSON.stringify(ascii.decode(bytes.subarray(at, at + 8)))}`, offset + at);
    v = v * 16 + d;
  }
  return v;
}

/**
 * Reads the next header (after the padding that precedes it). The caller then reads the
 * entry's data: `fileSize` bytes for newc, the size the RPM header implies for stripped.
 */
export async function readCpioHeader(r: ByteReader): Promise<CpioHeader> {
  await skipCpioPadding(r);
  const offset = r.offset;
  const magic = await r.read(6, 'cpio header magic');
  const m = ascii.decode(magic);
  if (m === '07070X') {
    const fx = await r.read(8, 'stripped cpio file index');
    const index = hex8(r, fx, 0, offset + 6, 'file index');
    await skipCpioPadding(r);
    return index === 0xffffffff ? { kind: 'trailer', offset } : { kind: 'stripped', offset, index };
  }
  if (m !== '070701' && m !== '070702') {
    throw r.error(`expected a cpio header magic "070701" or "07070X", found ${JSON.stringify(m)}`, offset);
  }
  const fields = await r.read(NEWC_HEADER_SIZE - 6, 'cpio newc header');
  const v: Record<(typeof NEWC_FIELDS)[number], number> = {
    ino: 0, mode: 0, uid: 0, gid: 0, nlink: 0, mtime: 0, fileSize: 0, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0, nameSize: 0, check: 0,
  };
  NEWC_FIELDS.forEach((name, k) => {
    v[name] = hex8(r, fields, k * 8, offset + 6, name);
  });
  if (v.nameSize < 1 || v.nameSize > CPIO_NAME_MAX) {
    throw r.error(`cpio name size ${v.nameSize} out of range (1..${CPIO_NAME_MAX})`, offset + 94);
  }
  const nameBytes = await r.read(v.nameSize, 'cpio entry name');
  const nul = nameBytes.indexOf(0);
  if (nul !== v.nameSize - 1) {
    throw r.error(nul < 0 ? 'cpio entry name is not NUL-terminated' : 'cpio entry name contains a NUL byte', offset + NEWC_HEADER_SIZE);
  }
  const name = utf8.decode(nameBytes.subarray(0, nul));
  await skipCpioPadding(r);
  if (name === CPIO_TRAILER) return { kind: 'trailer', offset };
  return {
    kind: 'newc', offset, name, ino: v.ino, mode: v.mode, uid: v.uid, gid: v.gid, nlink: v.nlink, mtime: v.mtime,
    fileSize: v.fileSize, devMajor: v.devMajor, devMinor: v.devMinor, rdevMajor: v.rdevMajor, rdevMinor: v.rdevMinor,
  };
}

/**
 * The absolute path a newc name stands for: rpm writes "./usr/bin/x"; packages from before
 * rpmlib(PayloadFilesHavePrefix) wrote "usr/bin/x". "." is the root directory.
 */
export function cpioNameToPath(name: string): string {
  if (name === '.' || name === './') return '/';
  if (name.startsWith('./')) return name.slice(1);
  if (name.startsWith('/')) return name;
  return `/${name}`;
}

/**
 * Consumes the rest of the archive after the trailer. rpm pads the archive to 4 bytes and GNU
 * cpio to 512; anything but zero bytes there is a FormatError (nobody would extract it).
 */
export async function readCpioEnd(r: ByteReader): Promise<void> {
  for (;;) {
    const start = r.offset;
    const chunk = await r.readAtMost(64 * 1024);
    if (chunk.length === 0) return;
    const bad = chunk.findIndex((b) => b !== 0);
    if (bad >= 0) throw r.error('unexpected data after the cpio trailer', start + bad);
  }
}

/** Encodes a newc header and name (with padding), as rpm writes them; used by tests and tools. */
export function encodeNewcHeader(h: Omit<CpioNewcHeader, 'kind' | 'offset'>, at = 0): Uint8Array {
  const nameBytes = new TextEncoder().encode(h.name);
  const nums = [h.ino, h.mode, h.uid, h.gid, h.nlink, h.mtime, h.fileSize, h.devMajor, h.devMinor, h.rdevMajor, h.rdevMinor, nameBytes.length + 1, 0];
  const head = `070701${nums.map((n) => n.toString(16).padStart(8, '0')).join('')}`;
  const len = NEWC_HEADER_SIZE + nameBytes.length + 1;
  const padded = len + ((4 - ((at + len) % 4)) % 4);
  const out = new Uint8Array(padded);
  out.set(new TextEncoder().encode(head), 0);
  out.set(nameBytes, NEWC_HEADER_SIZE);
  return out;
}

/** Encodes a stripped header (with padding) for file index `index`; used by tests and tools. */
export function encodeStrippedHeader(index: number, at = 0): Uint8Array {
  const len = STRIPPED_HEADER_SIZE;
  const out = new Uint8Array(len + ((4 - ((at + len) % 4)) % 4));
  out.set(new TextEncoder().encode(`07070X${(index >>> 0).toString(16).padStart(8, '0')}`), 0);
  return out;
}
