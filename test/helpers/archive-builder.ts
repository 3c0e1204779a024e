/*
 * Builds tar and ar archives byte by byte for the unit tests of the tar, ar and .deb readers, so
 * that each test can state exactly the header it feeds (base-256 numbers, bad checksums, pax
 * records, GNU long names) — cases real tools do not write on demand. The oracle tests cover what
 * real tools write.
 */

const enc = new TextEncoder();

/** Bytes of a string (UTF-8) or the bytes themselves. */
export function bytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? enc.encode(s) : s;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A numeric tar field: octal digits + NUL, or GNU base-256 (`{ base256: n }`, may be negative). */
export type TarNumber = number | { base256: number } | { raw: string };

/** One tar header (and its data) as a test wants it; unset fields get ustar defaults. */
export type TarSpec = {
  name: string;
  /** typeflag character ('0', '5', 'L', 'x', ... or '\0'). */
  type?: string;
  data?: string | Uint8Array;
  /** Declared size; defaults to the data length. */
  size?: TarNumber;
  mode?: TarNumber;
  uid?: TarNumber;
  gid?: TarNumber;
  mtime?: TarNumber;
  linkname?: string | Uint8Array;
  uname?: string;
  gname?: string;
  devmajor?: TarNumber;
  devminor?: TarNumber;
  prefix?: string;
  /** 'posix' ("ustar\0" "00"), 'gnu' ("ustar " " \0", default, as dpkg-deb writes) or 'v7' (none). */
  magic?: 'posix' | 'gnu' | 'v7';
  /** 'unsigned' (default), 'signed' (historic), or a fixed wrong value. */
  checksum?: 'unsigned' | 'signed' | number;
};

function put(h: Uint8Array, off: number, len: number, value: string | Uint8Array): void {
  const b = bytes(value);
  if (b.length > len) throw new Error(`field at ${off} too long (${b.length} > ${len})`);
  h.set(b, off);
}

function putNumber(h: Uint8Array, off: number, len: number, v: TarNumber): void {
  if (typeof v === 'number') {
    put(h, off, len, `${v.toString(8).padStart(len - 1, '0')}\0`);
  } else if ('raw' in v) {
    put(h, off, len, v.raw);
  } else {
    // GNU base-256: big-endian two's complement, marker bit 0x80 on the first byte.
    let n = BigInt(v.base256);
    const bits = BigInt(len * 8);
    if (n < 0n) n += 1n << bits;
    for (let i = len - 1; i >= 0; i--) {
      h[off + i] = Number(n & 0xffn);
      n >>= 8n;
    }
    h[off] = (h[off] ?? 0) | 0x80;
  }
}

/** One 512-byte header block. */
export function tarHeader(spec: TarSpec): Uint8Array {
  const h = new Uint8Array(512);
  const data = bytes(spec.data ?? '');
  put(h, 0, 100, spec.name);
  putNumber(h, 100, 8, spec.mode ?? 0o644);
  putNumber(h, 108, 8, spec.uid ?? 0);
  putNumber(h, 116, 8, spec.gid ?? 0);
  putNumber(h, 124, 12, spec.size ?? data.length);
  putNumber(h, 136, 12, spec.mtime ?? 1700000000);
  h[156] = (spec.type ?? '0').charCodeAt(0);
  put(h, 157, 100, spec.linkname ?? '');
  const magic = spec.magic ?? 'gnu';
  if (magic === 'posix') put(h, 257, 8, 'ustar\u000000');
  else if (magic === 'gnu') put(h, 257, 8, 'ustar  \0');
  if (magic !== 'v7') {
    put(h, 265, 32, spec.uname ?? 'root');
    put(h, 297, 32, spec.gname ?? 'root');
    putNumber(h, 329, 8, spec.devmajor ?? 0);
    putNumber(h, 337, 8, spec.devminor ?? 0);
  }
  if (spec.prefix !== undefined) put(h, 345, 155, spec.prefix);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += spec.checksum === 'signed' && b >= 0x80 ? b - 256 : b;
  const stored = typeof spec.checksum === 'number' ? spec.checksum : sum;
  put(h, 148, 8, `${(stored & 0o777777).toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A header followed by its data padded to a 512-byte boundary. */
export function tarEntry(spec: TarSpec): Uint8Array {
  const data = bytes(spec.data ?? '');
  const pad = (512 - (data.length % 512)) % 512;
  return concat(tarHeader(spec), data, new Uint8Array(pad));
}

/** The data of a pax extended header: `"%d %s=%s\n"` records (the length counts itself). */
export function paxData(records: [string, string | Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const body = concat(bytes(` ${key}=`), bytes(value), bytes('\n'));
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(concat(bytes(String(len)), body));
  }
  return concat(...parts);
}

/** A pax `x` (or `g`) header with its records. */
export function paxEntry(records: [string, string | Uint8Array][], type: 'x' | 'g' = 'x'): Uint8Array {
  return tarEntry({ name: type === 'x' ? './PaxHeaders/x' : './GlobalHead', type, data: paxData(records), magic: 'posix' });
}

/** A whole archive: entries then `endBlocks` zero blocks (2 by default, as POSIX writes). */
export function tarArchive(entries: Uint8Array[], endBlocks = 2): Uint8Array {
  return concat(...entries, new Uint8Array(512 * endBlocks));
}

/** An ar archive (deb(5)): magic, then 60-byte headers, data, a `\n` pad after odd sizes. */
export function arArchive(members: { name: string; data: string | Uint8Array; size?: string }[]): Uint8Array {
  const parts: Uint8Array[] = [bytes('!<arch>\n')];
  for (const m of members) {
    const data = bytes(m.data);
    const header = `${m.name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${(m.size ?? String(data.length)).padEnd(10)}\`\n`;
    if (header.length !== 60) throw new Error(`bad ar header length ${header.length}`);
    parts.push(bytes(header), data);
    if (data.length % 2 === 1) parts.push(bytes('\n'));
  }
  return concat(...parts);
}

