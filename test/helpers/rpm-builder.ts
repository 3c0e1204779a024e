// A small RPM writer for tests: headers, cpio (newc and stripped) and whole packages built from
// a description, for what rpmbuild cannot make (damage in exact places, the stripped cpio of
// >4 GiB files, pre-4.0 layouts).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeNewcHeader, encodeStrippedHeader } from '../../src/unpack/rpm/cpio.js';
import { RPM_TYPE, SIGTAG, TAG } from '../../src/unpack/rpm/tags.js';

/** One tag for encodeHeader(). */
export type TagSpec = { tag: number; type: number; value: string | readonly string[] | readonly number[] | readonly bigint[] | Uint8Array };

/** Encodes a header structure (magic, index, data store) with a region of `regionTag` covering it all. */
export function encodeHeader(tags: readonly TagSpec[], regionTag: 62 | 63 | undefined): Uint8Array {
  const data: number[] = [];
  const index: [number, number, number, number][] = [];
  const align = (n: number): void => {
    while (data.length % n !== 0) data.push(0);
  };
  const pushU = (v: number | bigint, size: number): void => {
    let x = BigInt(v);
    const bytes: number[] = [];
    for (let i = 0; i < size; i++) {
      bytes.unshift(Number(x & 0xffn));
      x >>= 8n;
    }
    data.push(...bytes);
  };
  for (const t of tags) {
    const sizes: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8 };
    const size = sizes[t.type];
    let count: number;
    if (size !== undefined) {
      align(size);
      const offset = data.length;
      const vs = t.value as readonly (number | bigint)[];
      for (const v of vs) pushU(v, size);
      count = vs.length;
      index.push([t.tag, t.type, offset, count]);
      continue;
    }
    const offset = data.length;
    if (t.value instanceof Uint8Array) {
      data.push(...t.value);
      count = t.value.length;
    } else {
      const strs = typeof t.value === 'string' ? [t.value] : (t.value as readonly string[]);
      for (const s of strs) data.push(...new TextEncoder().encode(s), 0);
      count = strs.length;
    }
    index.push([t.tag, t.type, offset, count]);
  }
  if (regionTag !== undefined) {
    const il = index.length + 1;
    const trailerAt = data.length;
    pushU(regionTag, 4);
    pushU(RPM_TYPE.BIN, 4);
    pushU(BigInt.asUintN(32, BigInt(-(il * 16))), 4);
    pushU(16, 4);
    index.unshift([regionTag, RPM_TYPE.BIN, trailerAt, 16]);
  }
  const out = new Uint8Array(16 + index.length * 16 + data.length);
  const view = new DataView(out.buffer);
  out.set([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0], 0);
  view.setUint32(8, index.length);
  view.setUint32(12, data.length);
  index.forEach(([tag, type, offset, count], i) => {
    view.setUint32(16 + i * 16, tag);
    view.setUint32(20 + i * 16, type);
    view.setUint32(24 + i * 16, offset);
    view.setUint32(28 + i * 16, count);
  });
  out.set(data, 16 + index.length * 16);
  return out;
}

/** A file of a synthetic package. */
export type SynthFile = {
  path: string;
  /** Full st_mode (default: regular file 0644). */
  mode?: number;
  content?: string | Uint8Array;
  linkTarget?: string;
  user?: string;
  group?: string;
  flags?: number;
  /** Same inode = same hardlink set. */
  inode?: number;
  /** Overrides the recorded digest (to simulate a header that disagrees with the content). */
  digest?: string;
};

/** Options of buildSyntheticRpm(). */
export type SynthOptions = {
  name?: string;
  files: readonly SynthFile[];
  /** Use LONGFILESIZES, which makes the payload the stripped cpio format. */
  longSizes?: boolean;
  compression?: 'gzip' | 'none';
  /** Extra main header tags. */
  extraTags?: readonly TagSpec[];
};

const bytesOf = (c: string | Uint8Array | undefined): Uint8Array => (c === undefined ? new Uint8Array(0) : typeof c === 'string' ? new TextEncoder().encode(c) : c);

/** The main header tags (without payload tags) and the uncompressed cpio archive of a synthetic package. */
export function synthesize(o: SynthOptions): { tags: TagSpec[]; cpio: Uint8Array } {
  const files = [...o.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const modes = files.map((f) => f.mode ?? 0o100644);
  const isReg = (i: number): boolean => ((modes[i] ?? 0) & 0o170000) === 0o100000;
  const isLink = (i: number): boolean => ((modes[i] ?? 0) & 0o170000) === 0o120000;
  const contents = files.map((f, i) => (isLink(i) ? bytesOf(f.linkTarget) : isReg(i) ? bytesOf(f.content) : new Uint8Array(0)));
  const ghost = (i: number): boolean => ((files[i]?.flags ?? 0) & 64) !== 0;
  const inodes = files.map((f, i) => f.inode ?? 1000 + i);
  const dirs: string[] = [];
  const dirIndex: number[] = [];
  const bases: string[] = [];
  for (const f of files) {
    const cut = f.path.lastIndexOf('/') + 1;
    const dir = f.path.slice(0, cut);
    let di = dirs.indexOf(dir);
    if (di < 0) di = dirs.push(dir) - 1;
    dirIndex.push(di);
    bases.push(f.path.slice(cut));
  }
  const digests = files.map((f, i) => f.digest ?? (isReg(i) && !ghost(i) ? createHash('sha256').update(contents[i] ?? new Uint8Array(0)).digest('hex') : ''));

  // Hardlink sets and rpm's payload order (rpmfi.c iterWriteArchiveNextFile): files outside
  // sets in header order, then each set, content on its last member.
  const sets = new Map<number, number[]>();
  files.forEach((_, i) => {
    if (!isReg(i) || ghost(i)) return;
    const s = sets.get(inodes[i] ?? 0) ?? [];
    s.push(i);
    sets.set(inodes[i] ?? 0, s);
  });
  const inSet = (i: number): number[] | undefined => {
    const s = sets.get(inodes[i] ?? 0);
    return isReg(i) && s !== undefined && s.length > 1 ? s : undefined;
  };
  const order: number[] = files.map((_, i) => i).filter((i) => !ghost(i) && inSet(i) === undefined);
  const done = new Set<number>();
  files.forEach((_, i) => {
    const s = inSet(i);
    if (s === undefined || ghost(i) || done.has(inodes[i] ?? 0)) return;
    done.add(inodes[i] ?? 0);
    order.push(...s);
  });
  const w = new CpioWriter();
  for (const i of order) {
    const s = inSet(i);
    const data = s !== undefined && s[s.length - 1] !== i ? new Uint8Array(0) : (contents[i] ?? new Uint8Array(0));
    if (o.longSizes === true) w.stripped(i, data);
    else w.newc(`.${files[i]?.path ?? ''}`, modes[i] ?? 0, data, { ino: inodes[i] ?? 0, nlink: s?.length ?? 1 });
  }
  w.trailer();

  const sizes = contents.map((c, i) => (isReg(i) && ghost(i) ? 0 : c.length));
  const tags: TagSpec[] = [
    { tag: TAG.NAME, type: RPM_TYPE.STRING, value: o.name ?? 'synthetic' },
    { tag: TAG.VERSION, type: RPM_TYPE.STRING, value: '1.0' },
    { tag: TAG.RELEASE, type: RPM_TYPE.STRING, value: '1' },
    { tag: TAG.SUMMARY, type: RPM_TYPE.I18NSTRING, value: ['synthetic package'] },
    { tag: TAG.DESCRIPTION, type: RPM_TYPE.I18NSTRING, value: ['built by test/helpers/rpm-fixtures.ts'] },
    { tag: TAG.ARCH, type: RPM_TYPE.STRING, value: 'noarch' },
    o.longSizes === true
      ? { tag: TAG.LONGFILESIZES, type: RPM_TYPE.INT64, value: sizes.map((n) => BigInt(n)) }
      : { tag: TAG.FILESIZES, type: RPM_TYPE.INT32, value: sizes },
    { tag: TAG.FILEMODES, type: RPM_TYPE.INT16, value: modes },
    { tag: TAG.FILERDEVS, type: RPM_TYPE.INT16, value: files.map(() => 0) },
    { tag: TAG.FILEMTIMES, type: RPM_TYPE.INT32, value: files.map(() => 1700000000) },
    { tag: TAG.FILEDIGESTS, type: RPM_TYPE.STRING_ARRAY, value: digests },
    { tag: TAG.FILELINKTOS, type: RPM_TYPE.STRING_ARRAY, value: files.map((f) => f.linkTarget ?? '') },
    { tag: TAG.FILEFLAGS, type: RPM_TYPE.INT32, value: files.map((f) => f.flags ?? 0) },
    { tag: TAG.FILEUSERNAME, type: RPM_TYPE.STRING_ARRAY, value: files.map((f) => f.user ?? 'root') },
    { tag: TAG.FILEGROUPNAME, type: RPM_TYPE.STRING_ARRAY, value: files.map((f) => f.group ?? 'root') },
    { tag: TAG.FILEDEVICES, type: RPM_TYPE.INT32, value: files.map(() => 1) },
    { tag: TAG.FILEINODES, type: RPM_TYPE.INT32, value: inodes },
    { tag: TAG.DIRINDEXES, type: RPM_TYPE.INT32, value: dirIndex },
    { tag: TAG.BASENAMES, type: RPM_TYPE.STRING_ARRAY, value: bases },
    { tag: TAG.DIRNAMES, type: RPM_TYPE.STRING_ARRAY, value: dirs },
    { tag: TAG.FILEDIGESTALGO, type: RPM_TYPE.INT32, value: [8] },
    ...(o.extraTags ?? []),
  ];
  return { tags, cpio: w.bytes() };
}

/** Writes a cpio archive the way rpm does (headers and data aligned to 4 bytes). */
export class CpioWriter {
  private readonly parts: Uint8Array[] = [];
  private at = 0;

  /** Appends raw bytes. */
  raw(b: Uint8Array): this {
    this.parts.push(b);
    this.at += b.length;
    return this;
  }

  private data(d: Uint8Array): this {
    this.raw(d);
    if (this.at % 4 !== 0) this.raw(new Uint8Array(4 - (this.at % 4)));
    return this;
  }

  /** A newc entry named `name` (rpm style: "./usr/bin/x"). */
  newc(name: string, mode: number, data: Uint8Array, o: { ino?: number; nlink?: number; fileSize?: number } = {}): this {
    this.raw(encodeNewcHeader({
      name, ino: o.ino ?? 1, mode, uid: 0, gid: 0, nlink: o.nlink ?? 1, mtime: 1700000000,
      fileSize: o.fileSize ?? data.length, devMajor: 0, devMinor: 1, rdevMajor: 0, rdevMinor: 0,
    }, this.at));
    return this.data(data);
  }

  /** A stripped entry for header file `index`. */
  stripped(index: number, data: Uint8Array): this {
    this.raw(encodeStrippedHeader(index, this.at));
    return this.data(data);
  }

  /** The newc trailer rpm ends every archive with. */
  trailer(): this {
    return this.raw(encodeNewcHeader({ name: 'TRAILER!!!', ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, fileSize: 0, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0 }, this.at));
  }

  /** The archive so far. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.at);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Options of assembleRpm(): what to put around a main header and cpio archive. */
export type AssembleOptions = {
  tags: readonly TagSpec[];
  cpio: Uint8Array;
  compression?: 'gzip' | 'none';
  /** Payload compressor name to record (default: the real one; null = no PAYLOADCOMPRESSOR tag). */
  compressorTag?: string | null;
  /** Write a package as rpm < 4.14 did: no PAYLOADDIGEST, an MD5 over header + payload instead. */
  legacyDigests?: boolean;
};

/** Lead + signature header (SHA256, SIZE, PAYLOADSIZE) + main header with payload tags + payload. */
export function assembleRpm(o: AssembleOptions): Uint8Array {
  const compression = o.compression ?? 'gzip';
  const payload = compression === 'gzip' ? new Uint8Array(gzipSync(o.cpio)) : o.cpio;
  const compressorTag = o.compressorTag === undefined ? (compression === 'gzip' ? 'gzip' : null) : o.compressorTag;
  const digests: TagSpec[] = o.legacyDigests === true ? [] : [
    { tag: TAG.PAYLOADDIGEST, type: RPM_TYPE.STRING_ARRAY, value: [createHash('sha256').update(payload).digest('hex')] },
    { tag: TAG.PAYLOADDIGESTALGO, type: RPM_TYPE.INT32, value: [8] },
    { tag: TAG.PAYLOADDIGESTALT, type: RPM_TYPE.STRING_ARRAY, value: [createHash('sha256').update(o.cpio).digest('hex')] },
  ];
  const main = encodeHeader([
    ...o.tags,
    { tag: TAG.PAYLOADFORMAT, type: RPM_TYPE.STRING, value: 'cpio' },
    ...(compressorTag === null ? [] : [{ tag: TAG.PAYLOADCOMPRESSOR, type: RPM_TYPE.STRING, value: compressorTag }]),
    ...digests,
  ].sort((a, b) => a.tag - b.tag), 63);
  const md5 = createHash('md5').update(main).update(payload).digest();
  const sig = encodeHeader([
    { tag: SIGTAG.SHA256, type: RPM_TYPE.STRING, value: createHash('sha256').update(main).digest('hex') },
    { tag: SIGTAG.SIZE, type: RPM_TYPE.INT32, value: [main.length + payload.length] },
    ...(o.legacyDigests === true ? [{ tag: SIGTAG.MD5, type: RPM_TYPE.BIN, value: new Uint8Array(md5) }] : []),
    { tag: SIGTAG.PAYLOADSIZE, type: RPM_TYPE.INT32, value: [o.cpio.length] },
  ], 62);
  const lead = new Uint8Array(96);
  lead.set([0xed, 0xab, 0xee, 0xdb, 3, 0], 0);
  lead.set(new TextEncoder().encode('synthetic'), 10);
  new DataView(lead.buffer).setUint16(76, 1);
  new DataView(lead.buffer).setUint16(78, 5);
  const sigPad = (8 - (sig.length % 8)) % 8;
  const out = new Uint8Array(96 + sig.length + sigPad + main.length + payload.length);
  out.set(lead, 0);
  out.set(sig, 96);
  out.set(main, 96 + sig.length + sigPad);
  out.set(payload, 96 + sig.length + sigPad + main.length);
  return out;
}

/** Builds a complete .rpm in memory the way rpmbuild lays one out. */
export function buildSyntheticRpm(o: SynthOptions): Uint8Array {
  const { tags, cpio } = synthesize(o);
  return assembleRpm({ tags, cpio, compression: o.compression ?? 'gzip' });
}
