/**
 * Importing one package into the ostree repo (issue 5 step 4; rpm-ostree's "unified core" import,
 * treefile.md §5.2): every regular file and symlink becomes a content object, streamed straight
 * from the payload (no rootfs is written), and the package's entries are recorded in a
 * PackageImport. The record is cached in the repo by package digest, so a recompose re-imports
 * only packages it has not seen.
 *
 * Objects are written with the owner the package states as numbers (deb tar headers) or root
 * (RPM headers carry names only; they are resolved against the composed /etc/passwd later, and
 * the few non-root files are re-headered when the tree is written).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FormatError, InternalError, fsError } from '../../core/index.js';
import { S_IFLNK, S_IFREG, loadContentObject, objectExists, writeContentBytes, writeContentStream, type Checksum, type ContentHeader, type Repo, type WriteStats, type Xattr } from '../../ostree/index.js';
import { openPackage, type ArchiveEntry, type DecoderPreference, type EntryBody, type EntryType } from '../../unpack/index.js';
import { capsToXattr } from './file-caps.js';

/** Bumped whenever what an import records changes: older records are then re-imported. */
export const IMPORT_FORMAT = 1;

/** One entry of an imported package, as the tree assembly needs it. */
export type ImportedEntry = {
  path: string;
  type: EntryType;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  uid: number | undefined;
  gid: number | undefined;
  user: string | undefined;
  group: string | undefined;
  /** Content object (files, symlinks) as written at import: owner uid/gid or 0, mode, xattrs. */
  object?: Checksum;
  /** Regular file size in bytes. */
  size?: number;
  /** Symlink target, or the path a hardlink points at. */
  target?: string;
  /** Xattrs as [name, base64 value], caps included as security.capability. */
  xattrs?: [string, string][];
  config?: true;
  ghost?: true;
  doc?: true;
  /** MD5 of a regular file's content (deb conffiles: dpkg records it in status). */
  md5?: string;
};

/** A package's import record (stored as JSON in the repo, keyed by package digest). */
export type PackageImport = {
  format: number;
  digest: string;
  kind: 'rpm' | 'deb';
  name: string;
  arch: string;
  /** Entries in archive order. */
  entries: ImportedEntry[];
  /** Newest entry mtime (seconds): the default commit timestamp is derived from it, never from a clock. */
  newestMtime: number;
  /** deb: the control file text and the other control members (base64), for the dpkg database. */
  deb?: { control: string; controlFiles: [name: string, base64: string][] };
  /** With `only`: the objects written per selected path (not stored). */
  selected?: SelectedObjects;
};

/** Where import records live inside an ostree repo (ostree leaves `extensions/` to tools). */
export function importRecordPath(repo: Repo, digest: string): string {
  const [algo, hex] = digest.split(':');
  return path.join(repo.path, 'extensions', 'jigtree', 'imports', `${algo ?? 'x'}-${hex ?? digest}.json`);
}

/**
 * The cached import of `digest`, if there is a valid one whose objects are all still in the
 * repo (a prune or a damaged repo must not yield a tree with dangling objects).
 */
export function loadCachedImport(repo: Repo, digest: string): PackageImport | undefined {
  const file = importRecordPath(repo, digest);
  let rec: PackageImport;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as PackageImport;
  } catch {
    return undefined;
  }
  if (rec.format !== IMPORT_FORMAT || rec.digest !== digest || !Array.isArray(rec.entries)) return undefined;
  for (const e of rec.entries) {
    if (e.object !== undefined && !objectExists(repo, 'file', e.object)) return undefined;
  }
  return rec;
}

function saveImport(repo: Repo, rec: PackageImport): void {
  const file = importRecordPath(repo, rec.digest);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(rec));
    renameSync(tmp, file);
  } catch (err) {
    throw fsError(file, err);
  }
}

/** Files up to this size are collected and written in one go (architecture.md §7: < 64 KiB may be buffered; 1 MiB measured fine). */
const SMALL_FILE = 1 << 20;

function bodyStream(body: EntryBody): Readable {
  return Readable.from(body, { objectMode: false });
}

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

function entryXattrs(e: ArchiveEntry, what: string): Xattr[] {
  const out: Xattr[] = e.xattrs.map(([name, value]) => ({ name, value }));
  if (e.caps !== undefined && e.caps !== '') {
    if (out.some((x) => x.name === 'security.capability')) throw new FormatError('rpm', `${e.path}: file capabilities given twice`, { file: what });
    out.push({ name: 'security.capability', value: capsToXattr(e.caps, `${what}: ${e.path}`) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Writes one selected entry under each header (a file's bytes are read once; big ones are streamed per header from the first object). */
async function writeSelected(repo: Repo, kind: 'rpm' | 'deb', e: ArchiveEntry, headers: readonly ContentHeader[], what: string, stats: WriteStats | undefined): Promise<Checksum[]> {
  if (e.type === 'symlink') {
    await e.body?.drain();
    if (e.linkTarget === undefined || e.linkTarget === '') throw new FormatError(kind, `${what}: symlink without a target`);
    const out: Checksum[] = [];
    for (const h of headers) out.push((await writeContentBytes(repo, h, new Uint8Array(0), stats)).checksum);
    return out;
  }
  const body = e.body;
  if (body === undefined) throw new InternalError(`${what}: file without a body`);
  if (e.size <= SMALL_FILE) {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    const data = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
    if (data.length !== e.size) throw new FormatError(kind, `${what}: payload has ${data.length} bytes, header says ${e.size}`);
    const out: Checksum[] = [];
    for (const h of headers) out.push((await writeContentBytes(repo, h, data, stats)).checksum);
    return out;
  }
  const [first, ...rest] = headers;
  if (first === undefined) {
    await body.drain();
    return [];
  }
  const out = [(await writeContentStream(repo, first, e.size, bodyStream(body), what, stats)).checksum];
  for (const h of rest) {
    const obj = await loadContentObject(repo, out[0] as Checksum);
    out.push((await writeContentStream(repo, h, obj.size, obj.open(), what, stats)).checksum);
  }
  return out;
}

/** Owner, mode (with type bits) and xattrs a selected file is written with instead of the package's (a jigdo override). */
export type ImportOverride = { uid: number; gid: number; mode: number; xattrs: readonly Xattr[] };

/**
 * Options of importPackage. With `only`, just the listed paths are written, each once per
 * element: `null` for the package's own metadata, an override for a re-headered copy; the record
 * is then partial and is not stored (assemble, issue 6).
 */
export type ImportPackageOptions = {
  name: string;
  digest: string;
  signal?: AbortSignal;
  decoders?: DecoderPreference;
  stats?: WriteStats;
  only?: ReadonlyMap<string, readonly (ImportOverride | null)[]>;
};

/** An entry written under `only`: the path and the objects it produced, in the order asked. */
export type SelectedObjects = Map<string, Checksum[]>;

/**
 * Imports the package file `file` (digest already verified by fetch) and stores its record.
 * Every entry body is consumed or drained before the next is pulled (architecture.md §7).
 */
export async function importPackage(repo: Repo, file: string, opts: ImportPackageOptions): Promise<PackageImport> {
  const pkg = await openPackage(file, { ...(opts.signal === undefined ? {} : { signal: opts.signal }), ...(opts.decoders === undefined ? {} : { decoders: opts.decoders }) });
  const entries: ImportedEntry[] = [];
  const selected: SelectedObjects = new Map();
  const what = opts.name;
  let newestMtime = 0;
  try {
    for await (const e of pkg.entries()) {
      opts.signal?.throwIfAborted();
      if (e.mtime > newestMtime) newestMtime = e.mtime;
      const rec: ImportedEntry = { path: e.path, type: e.type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, user: e.user, group: e.group };
      if (e.flags.config) rec.config = true;
      if (e.flags.ghost) rec.ghost = true;
      if (e.flags.doc) rec.doc = true;
      const xattrs = entryXattrs(e, what);
      if (xattrs.length > 0) rec.xattrs = xattrs.map((x) => [x.name, b64(x.value)]);
      const owner = { uid: pkg.kind === 'deb' ? (e.uid ?? 0) : 0, gid: pkg.kind === 'deb' ? (e.gid ?? 0) : 0 };
      if (opts.only !== undefined) {
        const wanted = opts.only.get(e.path);
        if (wanted === undefined || (e.type !== 'file' && e.type !== 'symlink') || (e.type === 'file' && e.body === undefined)) {
          await e.body?.drain();
          continue;
        }
        const headers: ContentHeader[] = wanted.map((o) =>
          o === null
            ? { ...owner, mode: (e.type === 'symlink' ? S_IFLNK | 0o777 : S_IFREG | rec.mode), xattrs, target: e.type === 'symlink' ? (e.linkTarget ?? '') : '' }
            : { uid: o.uid, gid: o.gid, mode: o.mode, xattrs: [...o.xattrs], target: e.type === 'symlink' ? (e.linkTarget ?? '') : '' },
        );
        selected.set(e.path, await writeSelected(repo, pkg.kind, e, headers, `${what}: ${e.path}`, opts.stats));
        continue;
      }
      if (e.type === 'file' && e.body !== undefined) {
        const header: ContentHeader = { ...owner, mode: S_IFREG | rec.mode, xattrs, target: '' };
        rec.size = e.size;
        if (e.size <= SMALL_FILE) {
          const chunks: Uint8Array[] = [];
          for await (const c of e.body) chunks.push(c);
          const data = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
          if (data.length !== e.size) throw new FormatError(pkg.kind, `${e.path}: payload has ${data.length} bytes, header says ${e.size}`, { file: what });
          if (e.flags.config && pkg.kind === 'deb') rec.md5 = createHash('md5').update(data).digest('hex');
          rec.object = (await writeContentBytes(repo, header, data, opts.stats)).checksum;
        } else {
          let md5: ReturnType<typeof createHash> | undefined;
          let source = bodyStream(e.body);
          if (e.flags.config && pkg.kind === 'deb') {
            const h = createHash('md5');
            md5 = h;
            source = source.map((c: Uint8Array) => {
              h.update(c);
              return c;
            });
          }
          rec.object = (await writeContentStream(repo, header, e.size, source, `${what}: ${e.path}`, opts.stats)).checksum;
          if (md5 !== undefined) rec.md5 = md5.digest('hex');
        }
      } else {
        await e.body?.drain();
        if (e.type === 'file') rec.size = 0; // %ghost: no payload
        if (e.type === 'symlink') {
          if (e.linkTarget === undefined || e.linkTarget === '') throw new FormatError(pkg.kind, `${e.path}: symlink without a target`, { file: what });
          rec.target = e.linkTarget;
          rec.object = (await writeContentBytes(repo, { ...owner, mode: S_IFLNK | 0o777, xattrs, target: e.linkTarget }, new Uint8Array(0), opts.stats)).checksum;
        } else if (e.type === 'hardlink') {
          if (e.linkTarget === undefined) throw new FormatError(pkg.kind, `${e.path}: hardlink without a target`, { file: what });
          rec.target = e.linkTarget;
        }
      }
      entries.push(rec);
    }
  } catch (err) {
    await pkg.close();
    throw err;
  }
  if (opts.only !== undefined) {
    await pkg.close();
    return { format: IMPORT_FORMAT, digest: opts.digest, kind: pkg.kind, name: pkg.info.name, arch: pkg.info.arch, entries, newestMtime, selected };
  }
  const base = { format: IMPORT_FORMAT, digest: opts.digest, kind: pkg.kind, name: pkg.info.name, arch: pkg.info.arch, entries, newestMtime };
  let rec: PackageImport;
  if (pkg.kind === 'deb') {
    const control = pkg.deb.controlFiles.find((f) => f.name === 'control');
    if (control === undefined) throw new InternalError(`${what}: control file vanished after parsing`);
    rec = {
      ...base,
      deb: {
        control: Buffer.from(control.bytes).toString('utf8'),
        controlFiles: pkg.deb.controlFiles.filter((f) => f.name !== 'control').map((f) => [f.name, b64(f.bytes)]),
      },
    };
  } else rec = base;
  saveImport(repo, rec);
  return rec;
}
