/**
 * The jigdo set format (pure): what rebuilds an OSTree commit from its packages (issue 6,
 * architecture.md "Decisions": manifest plus parts, commit-first). A set is a directory:
 *
 * | file | what |
 * |---|---|
 * | `jigdo.json` | the manifest: format version, commit checksum, ref, version, the commit and commitmeta objects, the exact package list, and every part with its sha256 and size |
 * | `jigdo.json.asc` | optional detached OpenPGP signature over the manifest bytes |
 * | `parts/<sha256>.meta` | gzip'd pack of dirtree and dirmeta objects |
 * | `parts/<sha256>.files` | gzip'd JSON: per package, the files it contributes (path, object) and metadata overrides |
 * | `parts/<sha256>.objects` | gzip'd pack of content objects no package holds ("new objects") |
 * | `parts/<sha256>.object` | one large new object's data, gzip'd; its header is in the manifest |
 *
 * Items are grouped into parts by a content-defined cut (each item ends a part with a probability
 * proportional to its size, decided by a hash of its path or package name), so a change moves no
 * boundary but its own: an upgrade re-fetches only the parts holding what changed, and a client
 * keeps the others in its download cache (parts are named by their sha256).
 *
 * The signature covers the manifest; the manifest pins the commit object (whose checksum is its
 * name) and every part by sha256; the commit pins every dirtree, dirmeta and content object. So a
 * client checks the signature before it fetches anything else, and every byte after that is
 * verified against a hash it already trusts (jigdo-prior-art.md §10 lessons 1, 5, 7, 11).
 *
 * Pack (`.meta`, `.objects`; gzip'd): the magic `JIGTREE-PACK 1\n`, then records
 * | field | size | meaning |
 * |---|---|---|
 * | type | 1 | `t` dirtree, `m` dirmeta, `f` content object |
 * | checksum | 32 | the object's name |
 * | header length | 4, BE | `f`: length of the ARCHIVE_HEADER_TYPE GVariant that follows; else 0 |
 * | data length | 8, BE | object bytes (t, m) or file data (f; 0 for symlinks) |
 * | header, data | | |
 */
import { FormatError } from '../core/index.js';
import { checksumFromBytes, checksumToBytes, isChecksum, type Checksum } from '../ostree/index.js';

/** The manifest's format version; a reader refuses newer ones. */
export const JIGDO_FORMAT = 1;
/** The manifest's `format` tag. */
export const JIGDO_MAGIC = 'jigtree-jigdo';
/** File names inside a set. */
export const MANIFEST_FILE = 'jigdo.json';
export const SIGNATURE_FILE = 'jigdo.json.asc';
/** Where a jigdo package installs its set: `<dir>/<package name>/` (issue 6 `--as-package`). */
export const JIGDO_INSTALL_DIR = '/usr/share/jigtree/jigdo';
/** New objects of this size or more travel alone; no pack or files part grows beyond it. */
export const PART_TARGET = 1 << 20;
/** Average uncompressed size of a part the content-defined cut aims at. */
export const PART_AVERAGE = 32 << 10;
/** Pack magic. */
export const PACK_MAGIC = 'JIGTREE-PACK 1\n';

/** A package of the tree, pinned by digest (lesson 7) and by its path below the repo's base URL. */
export type JigdoPackage = {
  kind: 'rpm' | 'deb';
  name: string;
  evr: string;
  arch: string;
  /** `sha256:<hex>` (or sha512) of the package file. */
  digest: string;
  size: number;
  /** Source repo id (one of the manifest's repos). */
  repo: string;
  /** Path of the package file relative to its repo's base URL (rpm-md `location href`, apt `Filename`). */
  location: string;
};

/** A source repo of the compose: where packages were found (the client may use any mirror of it). */
export type JigdoRepo = { id: string; kind: 'rpm-md' | 'apt'; baseurl: string };

/** Owner, full mode (type bits included) and xattrs ([name, base64]) of a content object. */
export type JigdoMeta = { uid: number; gid: number; mode: number; xattrs: [string, string][] };

/** One part of the set. */
export type JigdoPart = {
  /** `parts/<sha256>.<role>` */
  file: string;
  sha256: string;
  size: number;
  role: 'meta' | 'files' | 'objects' | 'object';
  /** objects/object: the content objects it carries. */
  objects?: Checksum[];
  /** object: the object's header and uncompressed data size. */
  header?: JigdoMeta;
  dataSize?: number;
};

/** The manifest (`jigdo.json`). */
export type JigdoManifest = {
  format: typeof JIGDO_MAGIC;
  version: typeof JIGDO_FORMAT;
  commit: Checksum;
  ref: string;
  /** The commit's `version` metadata, when it has one. */
  commitVersion?: string;
  /** The commit's timestamp (Unix seconds). */
  timestamp: number;
  kind: 'rpm' | 'deb';
  arch: string;
  /** The commit object, base64: its sha256 must be `commit`. */
  commitObject: string;
  /** The detached commit metadata (ostree signatures), base64, when there is one. */
  commitMeta?: string;
  repos: JigdoRepo[];
  packages: JigdoPackage[];
  parts: JigdoPart[];
  /** Informational counts (not needed to assemble). */
  stats: { contentObjects: number; fromPackages: number; overrides: number; newObjects: number; newBytes: number; packageBytes: number };
};

/** One file a package contributes: [path in the package, object] or [path, object, meta index] (an override). */
export type JigdoFileEntry = [path: string, object: Checksum] | [path: string, object: Checksum, meta: number];

/**
 * One `.files` part: for each package it covers (by digest), the files it contributes, and the
 * owner/mode/xattr overrides its entries index. A file the tree has under another owner, mode or
 * xattrs than the package gives carries an override (lesson 3); a file with no xattrs is listed
 * like any other, nothing is skipped implicitly (lesson 4). Packages are grouped into parts by a
 * content-defined cut, so an upgrade changes only the parts of the packages that changed.
 */
export type JigdoFilesPart = { metas: JigdoMeta[]; packages: Record<string, JigdoFileEntry[]> };

/** The files map of a whole set, by manifest package index, with one overrides table. */
export type JigdoFiles = { metas: JigdoMeta[]; packages: JigdoFileEntry[][] };

const SHA256 = /^[0-9a-f]{64}$/;
const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

type Obj = Record<string, unknown>;

function fail(file: string, where: string, expected: string): never {
  throw new FormatError('jigdo', `${where}: expected ${expected}`, { file });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, k: string, file: string, where: string, re?: RegExp): string {
  const v = o[k];
  if (typeof v !== 'string' || (re !== undefined && !re.test(v))) fail(file, `${where}.${k}`, re === undefined ? 'a string' : `a string matching ${String(re)}`);
  return v;
}

function int(o: Obj, k: string, file: string, where: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(file, `${where}.${k}`, 'a non-negative integer');
  return v;
}

function arr(o: Obj, k: string, file: string, where: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) fail(file, `${where}.${k}`, 'an array');
  return v;
}

/** A relative path below a base URL: no scheme, no leading `/`, no `..` segment (a manifest must not steer downloads elsewhere). */
export function isSafeLocation(s: string): boolean {
  return s.length > 0 && !/^[a-z][a-z0-9+.-]*:/i.test(s) && !s.startsWith('/') && !s.split('/').some((seg) => seg === '..' || seg === '') && !s.includes('\\');
}

function meta(v: unknown, file: string, where: string): JigdoMeta {
  if (!isObj(v)) fail(file, where, 'an object');
  const xattrs = arr(v, 'xattrs', file, where);
  for (const [i, x] of xattrs.entries()) {
    if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'string' || typeof x[1] !== 'string') fail(file, `${where}.xattrs[${i}]`, '[name, base64 value]');
  }
  return { uid: int(v, 'uid', file, where), gid: int(v, 'gid', file, where), mode: int(v, 'mode', file, where), xattrs: xattrs as [string, string][] };
}

/**
 * Parses and checks a manifest's bytes. Every problem is one FormatError naming the file and the
 * field (`packages[3].digest: expected ...`); a newer format version is refused by name.
 */
export function parseManifest(bytes: Uint8Array, file: string): JigdoManifest {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new FormatError('jigdo', `not valid JSON (${(err as Error).message})`, { file });
  }
  if (!isObj(v) || v['format'] !== JIGDO_MAGIC) fail(file, 'format', `"${JIGDO_MAGIC}" (this is not a jigtree jigdo manifest)`);
  const version = v['version'];
  if (version !== JIGDO_FORMAT) {
    if (typeof version === 'number' && version > JIGDO_FORMAT) throw new FormatError('jigdo', `format version ${version} is newer than this jigtree reads (${JIGDO_FORMAT}); upgrade jigtree`, { file });
    fail(file, 'version', `format version ${JIGDO_FORMAT}`);
  }
  const w = '';
  const commit = str(v, 'commit', file, w, SHA256) as Checksum;
  const ref = str(v, 'ref', file, w);
  const kind = str(v, 'kind', file, w, /^(rpm|deb)$/) as 'rpm' | 'deb';
  const repos = arr(v, 'repos', file, w).map((r, i): JigdoRepo => {
    const at = `repos[${i}]`;
    if (!isObj(r)) fail(file, at, 'an object');
    return { id: str(r, 'id', file, at), kind: str(r, 'kind', file, at, /^(rpm-md|apt)$/) as JigdoRepo['kind'], baseurl: str(r, 'baseurl', file, at) };
  });
  const repoIds = new Set(repos.map((r) => r.id));
  const packages = arr(v, 'packages', file, w).map((p, i): JigdoPackage => {
    const at = `packages[${i}]`;
    if (!isObj(p)) fail(file, at, 'an object');
    const location = str(p, 'location', file, at);
    if (!isSafeLocation(location)) fail(file, `${at}.location`, 'a relative path without ".." (a package below its repo)');
    const repo = str(p, 'repo', file, at);
    if (!repoIds.has(repo)) fail(file, `${at}.repo`, `one of the manifest's repos (${[...repoIds].join(', ')})`);
    return {
      kind: str(p, 'kind', file, at, /^(rpm|deb)$/) as 'rpm' | 'deb',
      name: str(p, 'name', file, at),
      evr: str(p, 'evr', file, at),
      arch: str(p, 'arch', file, at),
      digest: str(p, 'digest', file, at, DIGEST),
      size: int(p, 'size', file, at),
      repo,
      location,
    };
  });
  const parts = arr(v, 'parts', file, w).map((p, i): JigdoPart => {
    const at = `parts[${i}]`;
    if (!isObj(p)) fail(file, at, 'an object');
    const sha256 = str(p, 'sha256', file, at, SHA256);
    const role = str(p, 'role', file, at, /^(meta|files|objects|object)$/) as JigdoPart['role'];
    const name = str(p, 'file', file, at);
    if (name !== `parts/${sha256}.${role}`) fail(file, `${at}.file`, `parts/${sha256}.${role}`);
    const part: JigdoPart = { file: name, sha256, size: int(p, 'size', file, at), role };
    if (role === 'objects' || role === 'object') {
      const objs = arr(p, 'objects', file, at);
      for (const [j, o] of objs.entries()) if (typeof o !== 'string' || !isChecksum(o)) fail(file, `${at}.objects[${j}]`, 'an object checksum');
      part.objects = objs as Checksum[];
    }
    if (role === 'object') {
      if (part.objects?.length !== 1) fail(file, `${at}.objects`, 'exactly one object');
      part.header = meta(p['header'], file, `${at}.header`);
      part.dataSize = int(p, 'dataSize', file, at);
    }
    return part;
  });
  if (!parts.some((p) => p.role === 'files')) fail(file, 'parts', 'a part with role "files"');
  const tsv = v['timestamp'];
  if (typeof tsv !== 'number' || !Number.isSafeInteger(tsv)) fail(file, 'timestamp', 'an integer');
  const stats = isObj(v['stats']) ? (v['stats'] as JigdoManifest['stats']) : { contentObjects: 0, fromPackages: 0, overrides: 0, newObjects: 0, newBytes: 0, packageBytes: 0 };
  const m: JigdoManifest = {
    format: JIGDO_MAGIC,
    version: JIGDO_FORMAT,
    commit,
    ref,
    timestamp: tsv,
    kind,
    arch: str(v, 'arch', file, w),
    commitObject: str(v, 'commitObject', file, w),
    repos,
    packages,
    parts,
    stats,
  };
  if (v['commitVersion'] !== undefined) m.commitVersion = str(v, 'commitVersion', file, w);
  if (v['commitMeta'] !== undefined) m.commitMeta = str(v, 'commitMeta', file, w);
  return m;
}

/** The manifest's canonical bytes (fixed key order, one line per part and package, trailing newline). */
export function encodeManifest(m: JigdoManifest): Uint8Array {
  const { packages, parts } = m;
  // Fixed key order, whatever order the object was built in.
  const head = {
    format: m.format, version: m.version, commit: m.commit, ref: m.ref,
    ...(m.commitVersion === undefined ? {} : { commitVersion: m.commitVersion }),
    timestamp: m.timestamp, kind: m.kind, arch: m.arch, commitObject: m.commitObject,
    ...(m.commitMeta === undefined ? {} : { commitMeta: m.commitMeta }),
    repos: m.repos, stats: m.stats,
  };
  const lines = [
    JSON.stringify(head, null, 1).replace(/\n\}$/, ','),
    ' "packages": [',
    packages.map((p) => `  ${JSON.stringify(p)}`).join(',\n'),
    ' ],',
    ' "parts": [',
    parts.map((p) => `  ${JSON.stringify(p)}`).join(',\n'),
    ' ]',
    '}',
  ];
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

/** Parses and checks one `.files` part. */
export function parseFilesPart(bytes: Uint8Array, file: string): JigdoFilesPart {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new FormatError('jigdo', `not valid JSON (${(err as Error).message})`, { file });
  }
  if (!isObj(v)) fail(file, 'files', 'an object');
  const metas = arr(v, 'metas', file, '').map((x, i) => meta(x, file, `metas[${i}]`));
  const pkgs = v['packages'];
  if (!isObj(pkgs)) fail(file, '.packages', 'an object from package digest to file list');
  const packages: Record<string, JigdoFileEntry[]> = {};
  for (const [digest, list] of Object.entries(pkgs)) {
    if (!DIGEST.test(digest)) fail(file, `.packages[${JSON.stringify(digest)}]`, 'a package digest as key');
    if (!Array.isArray(list)) fail(file, `.packages[${digest}]`, 'an array');
    packages[digest] = list.map((e, j): JigdoFileEntry => {
      const at = `.packages[${digest}][${j}]`;
      if (!Array.isArray(e) || e.length < 2 || e.length > 3 || typeof e[0] !== 'string' || typeof e[1] !== 'string' || !isChecksum(e[1])) fail(file, at, '[path, object checksum(, meta index)]');
      if (e.length === 3) {
        const k = e[2] as unknown;
        if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= metas.length) fail(file, `${at}[2]`, `an index into metas (0..${metas.length - 1})`);
        return [e[0], e[1], k];
      }
      return [e[0], e[1]];
    });
  }
  return { metas, packages };
}

/** Encodes one `.files` part (compact JSON). */
export function encodeFilesPart(f: JigdoFilesPart): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(f)}\n`);
}

/** Joins the `.files` parts of a set: every package of the manifest must have exactly one list. */
export function mergeFilesParts(parts: readonly JigdoFilesPart[], m: JigdoManifest, file: string): JigdoFiles {
  const metas: JigdoMeta[] = [];
  const lists = new Map<string, JigdoFileEntry[]>();
  for (const part of parts) {
    const base = metas.length;
    metas.push(...part.metas);
    for (const [digest, list] of Object.entries(part.packages)) {
      if (lists.has(digest)) fail(file, `packages[${digest}]`, 'one file list per package (it appears in two parts)');
      lists.set(digest, list.map((e): JigdoFileEntry => (e.length === 3 ? [e[0], e[1], e[2] + base] : e)));
    }
  }
  const packages = m.packages.map((p) => {
    const list = lists.get(p.digest);
    if (list === undefined) fail(file, `packages[${p.digest}]`, `the file list of ${p.name} ${p.evr}`);
    return list;
  });
  return { metas, packages };
}

/** One record of a pack. */
export type PackRecord =
  | { type: 'dirtree' | 'dirmeta'; checksum: Checksum; bytes: Uint8Array }
  | { type: 'file'; checksum: Checksum; header: Uint8Array; data: Uint8Array };

const TYPE_CODE = { dirtree: 0x74, dirmeta: 0x6d, file: 0x66 } as const;

/** Encodes pack records (uncompressed; the caller gzips). */
export function encodePack(records: readonly PackRecord[]): Uint8Array {
  const magic = new TextEncoder().encode(PACK_MAGIC);
  let size = magic.length;
  for (const r of records) size += 45 + (r.type === 'file' ? r.header.length + r.data.length : r.bytes.length);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(magic, 0);
  let off = magic.length;
  for (const r of records) {
    out[off] = TYPE_CODE[r.type];
    out.set(checksumToBytes(r.checksum), off + 1);
    const header = r.type === 'file' ? r.header : new Uint8Array(0);
    const data = r.type === 'file' ? r.data : r.bytes;
    dv.setUint32(off + 33, header.length, false);
    dv.setBigUint64(off + 37, BigInt(data.length), false);
    off += 45;
    out.set(header, off);
    off += header.length;
    out.set(data, off);
    off += data.length;
  }
  return out;
}

/** Decodes a pack (uncompressed bytes); errors name the part and the byte offset. */
export function* decodePack(bytes: Uint8Array, file: string): Generator<PackRecord> {
  const magic = new TextEncoder().encode(PACK_MAGIC);
  if (bytes.length < magic.length || !magic.every((b, i) => bytes[i] === b)) throw new FormatError('jigdo', `expected the pack magic ${JSON.stringify(PACK_MAGIC)}`, { file, offset: 0 });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = magic.length;
  while (off < bytes.length) {
    if (off + 45 > bytes.length) throw new FormatError('jigdo', 'pack record header truncated', { file, offset: off });
    const code = bytes[off];
    const type = code === TYPE_CODE.dirtree ? 'dirtree' : code === TYPE_CODE.dirmeta ? 'dirmeta' : code === TYPE_CODE.file ? 'file' : undefined;
    if (type === undefined) throw new FormatError('jigdo', `unknown pack record type 0x${(code ?? 0).toString(16)}`, { file, offset: off });
    const checksum = checksumFromBytes(bytes.subarray(off + 1, off + 33));
    const hlen = dv.getUint32(off + 33, false);
    const dlen = Number(dv.getBigUint64(off + 37, false));
    const start = off + 45;
    if (!Number.isSafeInteger(dlen) || start + hlen + dlen > bytes.length) throw new FormatError('jigdo', `pack record ${checksum}: ${hlen + dlen} bytes announced, ${bytes.length - start} left`, { file, offset: off });
    if (type !== 'file' && hlen !== 0) throw new FormatError('jigdo', `pack record ${checksum}: a ${type} has no header`, { file, offset: off });
    const header = bytes.subarray(start, start + hlen);
    const data = bytes.subarray(start + hlen, start + hlen + dlen);
    yield type === 'file' ? { type, checksum, header, data } : { type, checksum, bytes: data };
    off = start + hlen + dlen;
  }
}
