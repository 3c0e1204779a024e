/*
 * Writes an .rpm with nothing but Node: the jigdo set as an ordinary binary package that
 * `rpm -qp` reads, `rpm -K` verifies and `createrepo_c` indexes (issue 6, "--as-package rpm").
 * The layout is rpm's (doc/manual/format.md; lib/header.c, build/pack.c), the tag set is what
 * rpmbuild 4.18 writes for a noarch package of plain files:
 *
 *   lead (96 bytes)        v3.0, binary, archnum 1, osnum 1, signature type 5, name N-V-R
 *   signature header       region 62; SHA1 (269) and SHA256 (273) of the main header; SIZE
 *                          (1000) of main header + compressed payload; MD5 (1004) over the
 *                          same bytes; PAYLOADSIZE (1007) of the uncompressed payload. LONGSIZE
 *                          (270) / LONGARCHIVESIZE (271) take over beyond 4 GiB, as in pack.c.
 *                          Zero-padded to a multiple of 8 bytes (rpmReadSignature).
 *   main header            region 63; the tags of mainHeaderTags() sorted by number
 *   payload                cpio newc (cpio-writer.ts), gzip -9; names `./path`
 *
 * Header encoding (header.c headerExport, hdrblobVerifyInfo/hdrblobVerifyRegion): magic
 * 8E AD E8 01 + 4 reserved zero bytes, il and dl (BE u32), il index entries {tag, type, offset,
 * count} (BE u32), then the data store. Entries are sorted by tag and their data lies in the
 * same order, each item aligned to its type's size (int16 2, int32 4, int64 8). The first entry
 * is the region tag (type BIN, count 16) pointing at a 16-byte trailer at the very end of the
 * store: {region tag, BIN, -(il * 16), 16}, which says the region covers the whole header.
 *
 * Files: the header lists them sorted by path (rpm looks payload names up by binary search,
 * rpmfi.c rpmfnFindFN); the payload carries the owned directories first, then the files in the
 * spec's order (the jigdo needs commit-first order; rpm maps payload entries by name, so the
 * payload order is free: rpmfi.c iterReadArchiveNext). Every listed path must be in the payload.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { InternalError, UsageError } from '../../core/index.js';
import { cpioHeader, cpioPadding, cpioTrailer, CPIO_MAX_SIZE, S_IFDIR, S_IFREG } from './cpio-writer.js';
import { checkSources, createTally, fileChunks, gzipTransforms, tempChunks, writeAtomically, writeChunks } from './package-io.js';
import {
  checkCommonSpec, checkInstallPath, checkLine, checkText, compareBytes, parentDir, specError,
  type PackageFile, type PackageSpec, type WritePackageOptions, type WrittenPackage,
} from './types.js';

/** Header data types (rpmtag.h rpmTagType_e). */
const TYPE = { INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;
type HeaderType = (typeof TYPE)[keyof typeof TYPE];
/** Alignment of each type's data in the store (header.c typeAlign). */
const ALIGN: Readonly<Record<HeaderType, number>> = { 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 1, 9: 1 };

/** Region tag of the signature header (header.c RPMTAG_HEADERSIGNATURES). */
export const REGION_SIGNATURES = 62;
/** Region tag of the main header (header.c RPMTAG_HEADERIMMUTABLE). */
export const REGION_IMMUTABLE = 63;

/** Main header tags we write (rpmtag.h rpmTag_e); write-rpm.test.ts checks them against the reader's table. */
export const RPMTAG = {
  HEADERI18NTABLE: 100, NAME: 1000, VERSION: 1001, RELEASE: 1002, SUMMARY: 1004, DESCRIPTION: 1005,
  BUILDTIME: 1006, BUILDHOST: 1007, SIZE: 1009, LICENSE: 1014, GROUP: 1016, URL: 1020, OS: 1021, ARCH: 1022,
  FILESIZES: 1028, FILEMODES: 1030, FILERDEVS: 1033, FILEMTIMES: 1034, FILEDIGESTS: 1035, FILELINKTOS: 1036,
  FILEFLAGS: 1037, FILEUSERNAME: 1039, FILEGROUPNAME: 1040, SOURCERPM: 1044, FILEVERIFYFLAGS: 1045,
  PROVIDENAME: 1047, REQUIREFLAGS: 1048, REQUIRENAME: 1049, REQUIREVERSION: 1050, RPMVERSION: 1064,
  FILEDEVICES: 1095, FILEINODES: 1096, FILELANGS: 1097, PROVIDEFLAGS: 1112, PROVIDEVERSION: 1113,
  DIRINDEXES: 1116, BASENAMES: 1117, DIRNAMES: 1118, PAYLOADFORMAT: 1124, PAYLOADCOMPRESSOR: 1125,
  PAYLOADFLAGS: 1126, PLATFORM: 1132, FILECOLORS: 1140, LONGSIZE: 5009, FILEDIGESTALGO: 5011, ENCODING: 5062,
  PAYLOADDIGEST: 5092, PAYLOADDIGESTALGO: 5093, PAYLOADDIGESTALT: 5097,
} as const;

/** Signature header tags we write (rpmtag.h rpmSigTag_e). */
export const RPMSIGTAG = { SHA1HEADER: 269, LONGSIZE: 270, LONGARCHIVESIZE: 271, SHA256HEADER: 273, SIZE: 1000, MD5: 1004, PAYLOADSIZE: 1007 } as const;

/** rpmds.h: RPMSENSE_LESS, RPMSENSE_EQUAL, RPMSENSE_RPMLIB. */
const SENSE_LESS = 1 << 1;
const SENSE_EQUAL = 1 << 3;
const SENSE_RPMLIB = 1 << 24;
/** rpmpgp.h PGPHASHALGO_SHA256: FILEDIGESTALGO and PAYLOADDIGESTALGO. */
const HASH_SHA256 = 8;
/** rpmvf.h RPMVERIFY_ALL: verify everything (rpmbuild's default for plain %files entries). */
const VERIFY_ALL = 0xffffffff;
/** The gzip level PAYLOADFLAGS announces (rpmbuild's w9.gzdio). */
const GZIP_LEVEL = 9;
/**
 * RPMVERSION: the rpm release whose rpmbuild output this writer reproduces (tag set, layout,
 * rpmlib requirements), so tools that look at it see a version they know.
 */
const RPM_FORMAT_VERSION = '4.18.0';

/**
 * rpmlib() requirements rpmbuild 4.18 adds for such a package (build/pack.c, build/files.c):
 * compressed file names (BASENAMES/DIRNAMES), `./` payload names, and non-MD5 file digests.
 */
const RPMLIB_REQUIRES: readonly (readonly [string, string])[] = [
  ['rpmlib(CompressedFileNames)', '3.0.4-1'],
  ['rpmlib(FileDigests)', '4.6.0-1'],
  ['rpmlib(PayloadFilesHavePrefix)', '4.0-1'],
];

/**
 * `%{_isa}` by architecture: `(<__isa_name>-<__isa_bits>)` from rpm's installplatform (the
 * per-arch macros in /usr/lib/rpm/platform/<arch>-linux/macros of rpm 4.18).
 */
const ISA: ReadonlyMap<string, string> = new Map([
  ...['x86_64', 'amd64', 'ia32e'].map((a) => [a, 'x86-64'] as const),
  ...['i386', 'i486', 'i586', 'i686', 'athlon', 'geode', 'pentium3', 'pentium4'].map((a) => [a, 'x86-32'] as const),
  ['aarch64', 'aarch-64'],
  ...['ppc64', 'ppc64le', 'ppc64p7'].map((a) => [a, 'ppc-64'] as const),
  ...['ppc', 'ppc32dy4', 'ppc8260', 'ppc8560', 'ppciseries', 'ppcpseries', 'ppc64iseries', 'ppc64pseries'].map((a) => [a, 'ppc-32'] as const),
  ['s390x', 's390-64'], ['s390', 's390-32'], ['riscv64', 'riscv-64'], ['loongarch64', 'loongarch64-64'], ['ia64', 'ia-64'],
  ...['alpha', 'alphaev5', 'alphaev56', 'alphaev6', 'alphaev67', 'alphapca56'].map((a) => [a, 'alpha-64'] as const),
  ...['sparc64', 'sparc64v'].map((a) => [a, 'sparc-64'] as const),
  ...['sparc', 'sparcv8', 'sparcv9', 'sparcv9v'].map((a) => [a, 'sparc-32'] as const),
  ...['mips64', 'mips64el'].map((a) => [a, 'mips-64'] as const), ...['mips', 'mipsel'].map((a) => [a, 'mips-32'] as const),
  ...['mips64r6', 'mips64r6el'].map((a) => [a, 'mipsr6-64'] as const), ...['mipsr6', 'mipsr6el'].map((a) => [a, 'mipsr6-32'] as const),
  ['armv7hl', 'armv7hl-32'], ['armv7hnl', 'armv7hl-32'], ['armv7l', 'armv7l-32'], ['armv6hl', 'armv6hl-32'], ['armv6l', 'armv6l-32'],
  ['armv8hl', 'armv8hl-32'], ['armv8l', 'armv8l-32'], ['armv5tejl', 'armv5tejl-32'], ['armv5tel', 'armv5tel-32'], ['armv5tl', 'armv5tl-32'],
  ['armv4b', 'armv4b-32'], ['armv4l', 'armv4l-32'], ['armv3l', 'armv3l-32'], ['m68k', 'm68k-32'],
  ...['sh', 'sh3', 'sh4', 'sh4a'].map((a) => [a, 'sh-32'] as const),
]);

/** True for the architectures whose packages carry no ISA (rpm noarch; `all` as Debian says it). */
function isNoarch(arch: string | undefined): boolean {
  return arch === undefined || arch === 'noarch' || arch === 'all';
}

/** The `(isa)` suffix rpm appends to archful capabilities, e.g. `x86_64` → `(x86-64)`. */
export function rpmIsaSuffix(arch: string): string | undefined {
  const isa = ISA.get(arch);
  return isa === undefined ? undefined : `(${isa})`;
}

/** The file name an rpm-md repository expects: `<name>-<version>-<release>.<arch>.rpm`. */
export function rpmFileName(spec: PackageSpec): string {
  return `${spec.name}-${spec.version}-${spec.release ?? '1'}.${spec.arch}.rpm`;
}

/** rpmbuild's rpmCharCheck for Name (build/parsePreamble.c): alphanumerics and `._+-`, not starting with `.`, `+` or `-`. */
const RPM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;
/** Version and Release: alphanumerics and `._+~^`; no `-` (it separates them), no whitespace. */
const RPM_VERREL = /^[A-Za-z0-9_][A-Za-z0-9._+~^]*$/;
/** An architecture name (`x86_64`, `noarch`). */
const RPM_ARCH = /^[A-Za-z0-9_]+$/;
/** A dependency's exact EVR: `[E:]V-R` (the release may be absent). */
const RPM_EVR = /^(?:\d+:)?[A-Za-z0-9._+~^]+(?:-[A-Za-z0-9._+~^]+)?$/;
/** A capability name: anything but whitespace and the comparison operators. */
const RPM_CAP = /^[^\s<>=]+$/;

/** One dependency as the header stores it. */
type Dep = { name: string; flags: number; version: string };

/** One path of the header's file list. */
type FileRow = { path: string; file: PackageFile | undefined; mode: number; size: number; inode: number };

/** Everything the header needs that does not depend on the payload bytes. */
type RpmPlan = {
  release: string;
  /** Header order: sorted by path. */
  rows: FileRow[];
  /** Payload order: owned directories (sorted), then the files in spec order. */
  payload: FileRow[];
  requires: Dep[];
  provides: Dep[];
};

function sortDeps(deps: Dep[], field: string): Dep[] {
  const out = new Map<string, Dep>();
  for (const d of deps) {
    const key = `${d.name}\0${d.flags}`;
    const prev = out.get(key);
    if (prev !== undefined && prev.version !== d.version) {
      throw new UsageError(`package spec: ${field}: ${d.name} is listed twice with different versions ("${prev.version}" and "${d.version}")`);
    }
    out.set(key, d);
  }
  // rpmds order (rpmdsCompare via rpmdsMerge): name, then version, then flags.
  return [...out.values()].sort((a, b) => compareBytes(a.name, b.name) || compareBytes(a.version, b.version) || a.flags - b.flags);
}

/** The directories the package owns by default (types.ts PackageSpec.ownedDirs). */
function defaultOwnedDirs(files: readonly string[]): string[] {
  if (files.length === 0) return [];
  const parents = files.map((p) => parentDir(p).split('/').slice(1));
  let common = parents[0] ?? [];
  for (const segs of parents) {
    let n = 0;
    while (n < common.length && n < segs.length && common[n] === segs[n]) n++;
    common = common.slice(0, n);
  }
  // The common directory is never `/`: a package of files spread over /usr and /etc owns no directory.
  if (common.length === 0) return [];
  const top = `/${common.join('/')}`;
  const dirs = new Set<string>([top]);
  for (const p of files) {
    for (let d = parentDir(p); d !== top; d = parentDir(d)) dirs.add(d);
  }
  return [...dirs];
}

/** Checks the spec for an .rpm and works out the file list and dependencies. */
function planRpm(spec: PackageSpec): RpmPlan {
  checkCommonSpec(spec, { maxFileSize: CPIO_MAX_SIZE, format: 'cpio newc' });
  const release = spec.release ?? '1';
  if (typeof spec.name !== 'string' || !RPM_NAME.test(spec.name)) throw specError('name', 'an rpm package name: letters, digits and ._+- (no whitespace)', spec.name);
  if (typeof spec.version !== 'string' || !RPM_VERREL.test(spec.version)) throw specError('version', 'an rpm version: letters, digits and ._+~^ (no "-", no whitespace)', spec.version);
  if (typeof release !== 'string' || !RPM_VERREL.test(release)) throw specError('release', 'an rpm release: letters, digits and ._+~^ (no "-", no whitespace)', release);
  if (typeof spec.arch !== 'string' || !RPM_ARCH.test(spec.arch)) throw specError('arch', 'an rpm architecture name (x86_64, noarch, ...)', spec.arch);
  const ownIsa = isNoarch(spec.arch) ? '' : rpmIsaSuffix(spec.arch);
  if (ownIsa === undefined) throw specError('arch', `an architecture rpm knows (${[...ISA.keys(), 'noarch'].join(', ')})`, spec.arch);
  checkLine(spec.summary, 'summary');
  checkText(spec.description, 'description');
  checkLine(spec.license, 'license');
  checkLine(spec.maintainer, 'maintainer');
  if (spec.url !== undefined) checkLine(spec.url, 'url');

  // Files and owned directories.
  const filePaths = spec.files.map((f) => f.path);
  const fileSet = new Set(filePaths);
  const owned = spec.ownedDirs === undefined
    ? defaultOwnedDirs(filePaths)
    : spec.ownedDirs.map((d, i) => {
        checkInstallPath(d, `ownedDirs[${i}]`);
        if (fileSet.has(d)) throw specError(`ownedDirs[${i}]`, 'a directory, not one of the files', d);
        return d;
      });
  const dirs = [...new Set(owned)].sort(compareBytes);
  for (const d of dirs) {
    for (let a = parentDir(d); a !== '/'; a = parentDir(a)) {
      if (fileSet.has(a)) throw specError('ownedDirs', `no directory inside the file ${a}`, d);
    }
  }
  const rows: FileRow[] = [
    ...dirs.map((d) => ({ path: d, file: undefined, mode: S_IFDIR | 0o755, size: 0, inode: 0 })),
    ...spec.files.map((f) => ({ path: f.path, file: f, mode: S_IFREG | f.mode, size: f.size, inode: 0 })),
  ];
  const payload = [...rows];
  rows.sort((a, b) => compareBytes(a.path, b.path));
  rows.forEach((r, i) => (r.inode = i + 1));

  // Dependencies.
  const evr = `${spec.version}-${release}`;
  const requires: Dep[] = spec.requires.map((d, i) => {
    if (typeof d.name !== 'string' || !RPM_CAP.test(d.name)) throw specError(`requires[${i}].name`, 'an rpm package name (no whitespace)', d.name);
    if (typeof d.evr !== 'string' || !RPM_EVR.test(d.evr)) throw specError(`requires[${i}].evr`, 'an exact rpm [E:]V-R', d.evr);
    let isa = '';
    if (!isNoarch(d.arch)) {
      const suffix = rpmIsaSuffix(d.arch ?? '');
      if (suffix === undefined) throw specError(`requires[${i}].arch`, 'an architecture rpm knows, noarch, or none', d.arch);
      isa = suffix;
    }
    return { name: `${d.name}${isa}`, flags: SENSE_EQUAL, version: d.evr };
  });
  for (const [name, version] of RPMLIB_REQUIRES) requires.push({ name, flags: SENSE_RPMLIB | SENSE_LESS | SENSE_EQUAL, version });
  // rpmbuild provides the package itself, `name = V-R`, and for archful packages `name(isa) = V-R`.
  const provides: Dep[] = [{ name: spec.name, flags: SENSE_EQUAL, version: evr }];
  if (ownIsa !== '') provides.push({ name: `${spec.name}${ownIsa}`, flags: SENSE_EQUAL, version: evr });
  spec.provides.forEach((p, i) => {
    if (typeof p.name !== 'string' || !RPM_CAP.test(p.name)) throw specError(`provides[${i}].name`, 'an rpm capability (no whitespace or <>=)', p.name);
    if (p.evr !== undefined && (typeof p.evr !== 'string' || !RPM_EVR.test(p.evr))) throw specError(`provides[${i}].evr`, 'an rpm [E:]V-R', p.evr);
    provides.push(p.evr === undefined ? { name: p.name, flags: 0, version: '' } : { name: p.name, flags: SENSE_EQUAL, version: p.evr });
  });
  return { release, rows, payload, requires: sortDeps(requires, 'requires'), provides: sortDeps(provides, 'provides') };
}

/** One header entry before layout. */
export type HeaderTag = { tag: number; type: HeaderType; count: number; data: Uint8Array };

const utf8 = new TextEncoder();

function stringsData(values: readonly string[]): Uint8Array {
  const parts = values.map((v) => utf8.encode(`${v}\0`));
  return Buffer.concat(parts);
}

/** Builders of header entries, one per data type we write. */
export const tags = {
  string: (tag: number, v: string): HeaderTag => ({ tag, type: TYPE.STRING, count: 1, data: stringsData([v]) }),
  i18n: (tag: number, v: string): HeaderTag => ({ tag, type: TYPE.I18NSTRING, count: 1, data: stringsData([v]) }),
  strings: (tag: number, v: readonly string[]): HeaderTag => ({ tag, type: TYPE.STRING_ARRAY, count: v.length, data: stringsData(v) }),
  int32: (tag: number, v: readonly number[]): HeaderTag => {
    const b = Buffer.alloc(4 * v.length);
    v.forEach((x, i) => b.writeUInt32BE(x, 4 * i));
    return { tag, type: TYPE.INT32, count: v.length, data: b };
  },
  int16: (tag: number, v: readonly number[]): HeaderTag => {
    const b = Buffer.alloc(2 * v.length);
    v.forEach((x, i) => b.writeUInt16BE(x, 2 * i));
    return { tag, type: TYPE.INT16, count: v.length, data: b };
  },
  int64: (tag: number, v: readonly number[]): HeaderTag => {
    const b = Buffer.alloc(8 * v.length);
    v.forEach((x, i) => b.writeBigUInt64BE(BigInt(x), 8 * i));
    return { tag, type: TYPE.INT64, count: v.length, data: b };
  },
  bin: (tag: number, v: Uint8Array): HeaderTag => ({ tag, type: TYPE.BIN, count: v.length, data: v }),
};

/** Encodes a header with its region (see the top of this file); tags are sorted here. */
export function encodeHeader(entries: readonly HeaderTag[], regionTag: number): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.tag === sorted[i - 1]?.tag) throw new InternalError(`rpm header: tag ${sorted[i]?.tag} twice`);
  }
  if (sorted.some((e) => e.count < 1)) throw new InternalError('rpm header: an entry with no data');
  const il = sorted.length + 1;
  const index = Buffer.alloc(16 * il);
  const store: Uint8Array[] = [];
  let dl = 0;
  sorted.forEach((e, i) => {
    const pad = (ALIGN[e.type] - (dl % ALIGN[e.type])) % ALIGN[e.type];
    if (pad > 0) store.push(new Uint8Array(pad));
    dl += pad;
    const at = 16 * (i + 1);
    index.writeUInt32BE(e.tag, at);
    index.writeUInt32BE(e.type, at + 4);
    index.writeUInt32BE(dl, at + 8);
    index.writeUInt32BE(e.count, at + 12);
    store.push(e.data);
    dl += e.data.length;
  });
  // The region entry points at the trailer, the last 16 bytes of the store.
  const trailer = Buffer.alloc(16);
  trailer.writeUInt32BE(regionTag, 0);
  trailer.writeUInt32BE(TYPE.BIN, 4);
  trailer.writeInt32BE(-16 * il, 8);
  trailer.writeUInt32BE(16, 12);
  index.writeUInt32BE(regionTag, 0);
  index.writeUInt32BE(TYPE.BIN, 4);
  index.writeUInt32BE(dl, 8);
  index.writeUInt32BE(16, 12);
  store.push(trailer);
  dl += 16;
  const intro = Buffer.alloc(16);
  intro.set([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
  intro.writeUInt32BE(il, 8);
  intro.writeUInt32BE(dl, 12);
  return Buffer.concat([intro, index, ...store]);
}

/** Splits a path into rpm's DIRNAMES entry (with trailing `/`) and BASENAMES entry. */
function splitPath(p: string): [dir: string, base: string] {
  const i = p.lastIndexOf('/');
  return [p.slice(0, i + 1), p.slice(i + 1)];
}

/** The main header's tags (rpmbuild 4.18's set for plain files; see the top of this file). */
function mainHeaderTags(spec: PackageSpec, plan: RpmPlan, digests: ReadonlyMap<string, string>, payload: { sha256: string; rawSha256: string }): HeaderTag[] {
  const rows = plan.rows;
  const n = rows.length;
  const totalSize = rows.reduce((s, r) => s + r.size, 0);
  const out: HeaderTag[] = [
    tags.strings(RPMTAG.HEADERI18NTABLE, ['C']),
    tags.string(RPMTAG.NAME, spec.name),
    tags.string(RPMTAG.VERSION, spec.version),
    tags.string(RPMTAG.RELEASE, plan.release),
    tags.i18n(RPMTAG.SUMMARY, spec.summary),
    tags.i18n(RPMTAG.DESCRIPTION, spec.description),
    tags.int32(RPMTAG.BUILDTIME, [spec.mtime]),
    tags.string(RPMTAG.BUILDHOST, 'jigtree'),
    totalSize > 0xffffffff ? tags.int64(RPMTAG.LONGSIZE, [totalSize]) : tags.int32(RPMTAG.SIZE, [totalSize]),
    tags.string(RPMTAG.LICENSE, spec.license),
    tags.i18n(RPMTAG.GROUP, 'Unspecified'),
    tags.string(RPMTAG.OS, 'linux'),
    tags.string(RPMTAG.ARCH, spec.arch),
    // SOURCERPM set is what makes rpm treat the package as binary (headerIsSource).
    tags.string(RPMTAG.SOURCERPM, `${spec.name}-${spec.version}-${plan.release}.src.rpm`),
    tags.strings(RPMTAG.PROVIDENAME, plan.provides.map((d) => d.name)),
    tags.int32(RPMTAG.REQUIREFLAGS, plan.requires.map((d) => d.flags)),
    tags.strings(RPMTAG.REQUIRENAME, plan.requires.map((d) => d.name)),
    tags.strings(RPMTAG.REQUIREVERSION, plan.requires.map((d) => d.version)),
    tags.string(RPMTAG.RPMVERSION, RPM_FORMAT_VERSION),
    tags.int32(RPMTAG.PROVIDEFLAGS, plan.provides.map((d) => d.flags)),
    tags.strings(RPMTAG.PROVIDEVERSION, plan.provides.map((d) => d.version)),
    tags.string(RPMTAG.PAYLOADFORMAT, 'cpio'),
    tags.string(RPMTAG.PAYLOADCOMPRESSOR, 'gzip'),
    tags.string(RPMTAG.PAYLOADFLAGS, String(GZIP_LEVEL)),
    tags.string(RPMTAG.PLATFORM, `${spec.arch}-unknown-linux`),
    tags.string(RPMTAG.ENCODING, 'utf-8'),
    tags.strings(RPMTAG.PAYLOADDIGEST, [payload.sha256]),
    tags.int32(RPMTAG.PAYLOADDIGESTALGO, [HASH_SHA256]),
    tags.strings(RPMTAG.PAYLOADDIGESTALT, [payload.rawSha256]),
  ];
  if (spec.url !== undefined) out.push(tags.string(RPMTAG.URL, spec.url));
  if (n > 0) {
    // Compressed file names (rpmlib(CompressedFileNames)): each directory once, in order of first use.
    const dirIndex = new Map<string, number>();
    const dirIndexes: number[] = [];
    const baseNames: string[] = [];
    for (const r of rows) {
      const [dir, base] = splitPath(r.path);
      let k = dirIndex.get(dir);
      if (k === undefined) {
        k = dirIndex.size;
        dirIndex.set(dir, k);
      }
      dirIndexes.push(k);
      baseNames.push(base);
    }
    const each = <T>(v: T): T[] => rows.map(() => v);
    out.push(
      tags.int32(RPMTAG.FILESIZES, rows.map((r) => r.size)),
      tags.int16(RPMTAG.FILEMODES, rows.map((r) => r.mode)),
      tags.int16(RPMTAG.FILERDEVS, each(0)),
      tags.int32(RPMTAG.FILEMTIMES, each(spec.mtime)),
      tags.strings(RPMTAG.FILEDIGESTS, rows.map((r) => (r.file === undefined ? '' : digestOf(digests, r.path)))),
      tags.strings(RPMTAG.FILELINKTOS, each('')),
      tags.int32(RPMTAG.FILEFLAGS, each(0)),
      tags.strings(RPMTAG.FILEUSERNAME, each('root')),
      tags.strings(RPMTAG.FILEGROUPNAME, each('root')),
      tags.int32(RPMTAG.FILEVERIFYFLAGS, each(VERIFY_ALL)),
      tags.int32(RPMTAG.FILEDEVICES, each(1)),
      tags.int32(RPMTAG.FILEINODES, rows.map((r) => r.inode)),
      tags.strings(RPMTAG.FILELANGS, each('')),
      tags.int32(RPMTAG.DIRINDEXES, dirIndexes),
      tags.strings(RPMTAG.BASENAMES, baseNames),
      tags.strings(RPMTAG.DIRNAMES, [...dirIndex.keys()]),
      tags.int32(RPMTAG.FILECOLORS, each(0)),
      tags.int32(RPMTAG.FILEDIGESTALGO, [HASH_SHA256]),
    );
  }
  return out;
}

function digestOf(digests: ReadonlyMap<string, string>, p: string): string {
  const d = digests.get(p);
  if (d === undefined) throw new InternalError(`rpm: no digest for ${p}`);
  return d;
}

/** The signature header, padded to a multiple of 8 bytes (rpmReadSignature expects the padding). */
function signatureHeader(header: Uint8Array, md5: Uint8Array, compressedSize: number, rawSize: number): Buffer {
  const sizeOfAll = header.length + compressedSize;
  const sig = encodeHeader([
    tags.string(RPMSIGTAG.SHA1HEADER, createHash('sha1').update(header).digest('hex')),
    tags.string(RPMSIGTAG.SHA256HEADER, createHash('sha256').update(header).digest('hex')),
    sizeOfAll > 0xffffffff ? tags.int64(RPMSIGTAG.LONGSIZE, [sizeOfAll]) : tags.int32(RPMSIGTAG.SIZE, [sizeOfAll]),
    tags.bin(RPMSIGTAG.MD5, md5),
    rawSize > 0xffffffff ? tags.int64(RPMSIGTAG.LONGARCHIVESIZE, [rawSize]) : tags.int32(RPMSIGTAG.PAYLOADSIZE, [rawSize]),
  ], REGION_SIGNATURES);
  return Buffer.concat([sig, Buffer.alloc((8 - (sig.length % 8)) % 8)]);
}

/** The 96-byte lead (lib/rpmlead.c): informational today, but rpm still checks magic, version and signature type. */
function lead(nvr: string): Buffer {
  const b = Buffer.alloc(96);
  b.set([0xed, 0xab, 0xee, 0xdb, 3, 0]);
  b.writeUInt16BE(0, 6); // binary
  b.writeUInt16BE(1, 8); // archnum
  const name = Buffer.from(nvr, 'utf8').subarray(0, 65);
  b.set(name, 10);
  b.writeUInt16BE(1, 76); // osnum: Linux
  b.writeUInt16BE(5, 78); // RPMSIGTYPE_HEADERSIG
  return b;
}

/**
 * Writes the .rpm for `spec` to `out` atomically (a temp file in the same directory, then a
 * rename) and returns its size and SHA-256. Two passes, never a whole file in memory: the
 * compressed payload goes to a temp file while every digest is computed, then lead, signature,
 * header and payload are written. Bad input is one UsageError naming the field.
 */
export async function writeRpmPackage(out: string, spec: PackageSpec, opts: WritePackageOptions = {}): Promise<WrittenPackage> {
  const plan = planRpm(spec);
  opts.signal?.throwIfAborted();
  await checkSources(spec.files);
  return writeAtomically(out, async (tmp) => {
    const payloadTmp = `${tmp}.payload`;
    try {
      const digests = new Map<string, string>();
      const cpioChunks = async function* (): AsyncGenerator<Uint8Array> {
        for (const r of plan.payload) {
          yield cpioHeader({ name: `.${r.path}`, mode: r.mode, size: r.size, mtime: spec.mtime, ino: r.inode, nlink: r.file === undefined ? 2 : 1 });
          if (r.file !== undefined) {
            const h = createHash('sha256');
            yield* fileChunks(r.file, [h]);
            digests.set(r.path, h.digest('hex'));
            yield cpioPadding(r.size);
          }
        }
        yield cpioTrailer();
      };
      const raw = createTally(['sha256']);
      const packed = createTally(['sha256']);
      await writeChunks(payloadTmp, cpioChunks(), [raw.stream, ...gzipTransforms(GZIP_LEVEL), packed.stream], opts.signal);

      const header = encodeHeader(mainHeaderTags(spec, plan, digests, { sha256: packed.hex('sha256'), rawSha256: raw.hex('sha256') }), REGION_IMMUTABLE);
      // MD5 (1004) covers header + compressed payload: one more read of the payload temp file.
      const md5 = createHash('md5').update(header);
      for await (const chunk of tempChunks(payloadTmp)) md5.update(chunk);
      const sig = signatureHeader(header, md5.digest(), packed.size(), raw.size());

      const all = createTally(['sha256']);
      const rpmChunks = async function* (): AsyncGenerator<Uint8Array> {
        yield lead(`${spec.name}-${spec.version}-${plan.release}`);
        yield sig;
        yield header;
        yield* tempChunks(payloadTmp);
      };
      await writeChunks(tmp, rpmChunks(), [all.stream], opts.signal);
      return { size: all.size(), sha256: all.hex('sha256') };
    } finally {
      await rm(payloadTmp, { force: true });
    }
  });
}
