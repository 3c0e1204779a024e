/**
 * Building a jigdo set for a commit (issue 6 "Emit"; rpm-ostree's commit2rojig classification,
 * jigdo-prior-art.md §3.2, with its lessons applied):
 *
 * 1. Walk the commit: every dirtree and dirmeta ships; every content object is in the set C.
 * 2. Each package's imported objects that are in C are claimed for that package (the first
 *    package in manifest order wins a shared object).
 * 3. An object of C still unclaimed whose bytes equal a package file's bytes (same size, then the
 *    same content sha256) is claimed with a metadata override: the tree has that file under
 *    another owner, mode or xattrs, and the bytes are never shipped again (lesson 3).
 * 4. The rest are new objects (the package database, generated files): packed in tree order into
 *    parts cut by content (cutByContent), and each one of PART_TARGET or more alone (lesson 2).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { fsError } from '../core/index.js';
import {
  S_IFLNK, S_IFMT, decodeDirTree, encodeArchiveHeader, loadContentObject, readMetadataObject, decodeCommit, objectExists,
  type Checksum, type ContentHeader, type Repo,
} from '../ostree/index.js';
import {
  JIGDO_FORMAT, JIGDO_MAGIC, PART_AVERAGE, PART_TARGET, encodeFilesPart, encodeManifest, encodePack,
  type JigdoFileEntry, type JigdoFiles, type JigdoFilesPart, type JigdoManifest, type JigdoMeta, type JigdoPackage, type JigdoPart, type JigdoRepo, type PackRecord,
} from './format.js';

/** What build needs of a package's import: its entries and the objects they became. */
export type ImportedFiles = { entries: readonly { path: string; type: string; object?: string; size?: number; target?: string }[] };

/** Inputs of buildJigdo. */
export type BuildJigdoOptions = {
  repo: Repo;
  commit: Checksum;
  ref: string;
  kind: 'rpm' | 'deb';
  arch: string;
  repos: JigdoRepo[];
  /** In the order they were installed; `imports[i]` belongs to `packages[i]`. */
  packages: JigdoPackage[];
  imports: ImportedFiles[];
  /** Output directory (created; existing parts with the same name are reused). */
  out: string;
  signal?: AbortSignal;
};

/** What buildJigdo wrote. */
export type BuiltJigdo = { manifest: JigdoManifest; manifestBytes: Uint8Array; dir: string; totalBytes: number };

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

function metaOf(h: ContentHeader): JigdoMeta {
  return { uid: h.uid, gid: h.gid, mode: h.mode, xattrs: h.xattrs.map((x) => [x.name, b64(x.value)]) };
}

async function contentSha256(repo: Repo, c: Checksum): Promise<string> {
  const obj = await loadContentObject(repo, c);
  const h = createHash('sha256');
  for await (const chunk of obj.open()) h.update(chunk as Uint8Array);
  return h.digest('hex');
}

/** Appends `v` to the list of `k`. */
function addTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

/** Writes `bytes` as `parts/<sha256>.<role>` (atomically; an existing one is reused). */
function writePartBytes(dir: string, role: JigdoPart['role'], bytes: Uint8Array): JigdoPart {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = `parts/${sha256}.${role}`;
  const target = path.join(dir, file);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw fsError(target, err);
  }
  return { file, sha256, size: bytes.length, role };
}

class Sha256Tap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/** Streams one large object's data gzip'd into its own part. */
async function writeObjectPart(repo: Repo, dir: string, checksum: Checksum): Promise<JigdoPart> {
  const obj = await loadContentObject(repo, checksum);
  const tmp = path.join(dir, 'parts', `.${checksum}.${process.pid}.tmp`);
  const tap = new Sha256Tap();
  try {
    await pipeline(obj.open(), createGzip({ level: 9 }), tap, createWriteStream(tmp));
    const sha256 = tap.hash.digest('hex');
    const file = `parts/${sha256}.object`;
    renameSync(tmp, path.join(dir, file));
    return { file, sha256, size: tap.bytes, role: 'object', objects: [checksum], header: metaOf(obj.header), dataSize: obj.size };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw fsError(tmp, err);
  }
}

/**
 * Content-defined cut, in order: an item ends its group with probability size / PART_AVERAGE,
 * decided by a hash of its stable key (a path, a package name), never by its position, so
 * changing, adding or removing one item moves no boundary but its own (rsync/casync chunking
 * over items instead of bytes). No group grows past PART_TARGET.
 */
export function cutByContent<T>(items: readonly T[], size: (t: T) => number, key: (t: T) => string): T[][] {
  const groups: T[][] = [];
  let cur: T[] = [];
  let n = 0;
  for (const it of items) {
    const sz = size(it);
    if (cur.length > 0 && n + sz > PART_TARGET) {
      groups.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(it);
    n += sz;
    const h = createHash('sha256').update(key(it)).digest().readUInt32BE(0) / 0x1_0000_0000;
    if (h < sz / PART_AVERAGE) {
      groups.push(cur);
      cur = [];
      n = 0;
    }
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/** Builds the jigdo set of `commit` into `out`; returns the manifest (unsigned: the caller signs its bytes). */
export async function buildJigdo(opts: BuildJigdoOptions): Promise<BuiltJigdo> {
  const { repo, signal } = opts;
  const commitBytes = await readMetadataObject(repo, 'commit', opts.commit);
  const commit = decodeCommit(commitBytes);
  const commitMeta = objectExists(repo, 'commitmeta', opts.commit) ? await readMetadataObject(repo, 'commitmeta', opts.commit) : undefined;

  // 1. Walk: metadata objects in traversal order, content objects with their first path.
  const metaRecords: { key: string; record: PackRecord }[] = [];
  const seenMeta = new Set<string>();
  const content = new Map<Checksum, string>();
  const addMeta = async (type: 'dirtree' | 'dirmeta', c: Checksum, dir: string): Promise<Uint8Array | undefined> => {
    if (seenMeta.has(`${type}:${c}`)) return undefined;
    seenMeta.add(`${type}:${c}`);
    const bytes = await readMetadataObject(repo, type, c);
    metaRecords.push({ key: `${type} ${dir}/`, record: { type, checksum: c, bytes } });
    return bytes;
  };
  const walk = async (dir: string, tree: Checksum, meta: Checksum): Promise<void> => {
    signal?.throwIfAborted();
    await addMeta('dirmeta', meta, dir);
    const bytes = await addMeta('dirtree', tree, dir);
    if (bytes === undefined) return; // an identical subtree was walked already
    const t = decodeDirTree(bytes);
    for (const f of t.files) if (!content.has(f.checksum)) content.set(f.checksum, `${dir}/${f.name}`);
    for (const d of t.dirs) await walk(`${dir}/${d.name}`, d.tree, d.meta);
  };
  await walk('', commit.rootTree, commit.rootMeta);

  // 2. Exact claims.
  const claimed = new Set<Checksum>();
  const files: JigdoFiles = { metas: [], packages: opts.packages.map(() => []) };
  opts.imports.forEach((imp, i) => {
    const list = files.packages[i] as JigdoFiles['packages'][number];
    for (const e of imp.entries) {
      const c = e.object as Checksum | undefined;
      if (c === undefined || !content.has(c) || claimed.has(c)) continue;
      claimed.add(c);
      list.push([e.path, c]);
    }
  });

  // 3. Overrides: same bytes as a package file, other header.
  const unclaimed = [...content.keys()].filter((c) => !claimed.has(c));
  const headers = new Map<Checksum, { header: ContentHeader; size: number }>();
  for (const c of unclaimed) {
    const obj = await loadContentObject(repo, c);
    headers.set(c, { header: obj.header, size: obj.size });
  }
  const wantedSizes = new Set<number>();
  const wantedTargets = new Set<string>();
  for (const { header, size } of headers.values()) {
    if ((header.mode & S_IFMT) === S_IFLNK) wantedTargets.add(header.target);
    else wantedSizes.add(size);
  }
  // Candidates: package files of a wanted size (or symlinks to a wanted target), first package first.
  type Cand = { pkg: number; path: string; object: Checksum };
  const bySize = new Map<number, Cand[]>();
  const byTarget = new Map<string, Cand[]>();
  opts.imports.forEach((imp, i) => {
    for (const e of imp.entries) {
      if (e.object === undefined) continue;
      const cand = { pkg: i, path: e.path, object: e.object as Checksum };
      if (e.type === 'symlink' && e.target !== undefined && wantedTargets.has(e.target)) addTo(byTarget, e.target, cand);
      else if (e.type === 'file' && e.size !== undefined && wantedSizes.has(e.size)) addTo(bySize, e.size, cand);
    }
  });
  const sums = new Map<Checksum, string>();
  const sumOf = async (c: Checksum): Promise<string> => {
    let s = sums.get(c);
    if (s === undefined) {
      s = await contentSha256(repo, c);
      sums.set(c, s);
    }
    return s;
  };
  const metaIndex = new Map<string, number>();
  const newObjects: Checksum[] = [];
  let overrides = 0;
  for (const c of unclaimed) {
    signal?.throwIfAborted();
    const { header, size } = headers.get(c) as { header: ContentHeader; size: number };
    const isLink = (header.mode & S_IFMT) === S_IFLNK;
    let match: Cand | undefined;
    if (isLink) match = byTarget.get(header.target)?.[0];
    else {
      const cands = bySize.get(size) ?? [];
      if (cands.length > 0) {
        const mine = await sumOf(c);
        for (const cand of cands) {
          if ((await sumOf(cand.object)) === mine) {
            match = cand;
            break;
          }
        }
      }
    }
    if (match === undefined) {
      newObjects.push(c);
      continue;
    }
    const m = metaOf(header);
    const key = JSON.stringify(m);
    let k = metaIndex.get(key);
    if (k === undefined) {
      k = files.metas.length;
      files.metas.push(m);
      metaIndex.set(key, k);
    }
    (files.packages[match.pkg] as JigdoFiles['packages'][number]).push([match.path, c, k]);
    overrides++;
  }
  for (const list of files.packages) list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));

  // 4. Parts, commit-first: metadata packs, the files map, then new objects in tree order.
  const dir = path.resolve(opts.out);
  try {
    mkdirSync(path.join(dir, 'parts'), { recursive: true });
  } catch (err) {
    throw fsError(dir, err);
  }
  const parts: JigdoPart[] = [];
  for (const group of cutByContent(metaRecords, (r) => (r.record.type === 'file' ? r.record.data.length : r.record.bytes.length) + 45, (r) => r.key)) {
    parts.push(writePartBytes(dir, 'meta', gzipSync(encodePack(group.map((g) => g.record)), { level: 9 })));
  }
  // The files map, by package (keyed by name, which survives an upgrade), each part with the
  // overrides its entries use.
  const order = opts.packages.map((p, i) => ({ p, i, list: files.packages[i] as JigdoFileEntry[] }));
  const listSize = (l: JigdoFileEntry[]): number => l.reduce((n, e) => n + e[0].length + 72, 0);
  for (const group of cutByContent(order, (g) => listSize(g.list) + 80, (g) => `${g.p.name}.${g.p.arch}`)) {
    const part: JigdoFilesPart = { metas: [], packages: {} };
    const local = new Map<number, number>();
    for (const g of group) {
      part.packages[g.p.digest] = g.list.map((e): JigdoFileEntry => {
        if (e.length !== 3) return e;
        let k = local.get(e[2]);
        if (k === undefined) {
          k = part.metas.length;
          part.metas.push(files.metas[e[2]] as JigdoMeta);
          local.set(e[2], k);
        }
        return [e[0], e[1], k];
      });
    }
    parts.push(writePartBytes(dir, 'files', gzipSync(encodeFilesPart(part), { level: 9 })));
  }
  newObjects.sort((a, b) => {
    const pa = content.get(a) ?? '';
    const pb = content.get(b) ?? '';
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
  let newBytes = 0;
  const small: Checksum[] = [];
  for (const c of newObjects) {
    const { size } = headers.get(c) as { size: number };
    newBytes += size;
    if (size < PART_TARGET) small.push(c);
  }
  for (const group of cutByContent(small, (c) => (headers.get(c)?.size ?? 0) + 100, (c) => content.get(c) ?? c)) {
    const records: PackRecord[] = [];
    for (const c of group) {
      const { header, size } = headers.get(c) as { header: ContentHeader; size: number };
      const obj = await loadContentObject(repo, c);
      const chunks: Buffer[] = [];
      for await (const chunk of obj.open()) chunks.push(chunk as Buffer);
      records.push({ type: 'file', checksum: c, header: encodeArchiveHeader(header, size), data: Buffer.concat(chunks) });
    }
    parts.push({ ...writePartBytes(dir, 'objects', gzipSync(encodePack(records), { level: 9 })), objects: group });
  }
  for (const c of newObjects) {
    if ((headers.get(c)?.size ?? 0) >= PART_TARGET) parts.push(await writeObjectPart(repo, dir, c));
  }

  const versionMeta = commit.metadata.find(([k]) => k === 'version')?.[1];
  const manifest: JigdoManifest = {
    format: JIGDO_MAGIC,
    version: JIGDO_FORMAT,
    commit: opts.commit,
    ref: opts.ref,
    ...(versionMeta?.type === 's' ? { commitVersion: versionMeta.value as string } : {}),
    timestamp: commit.timestamp,
    kind: opts.kind,
    arch: opts.arch,
    commitObject: b64(commitBytes),
    ...(commitMeta === undefined ? {} : { commitMeta: b64(commitMeta) }),
    repos: opts.repos,
    packages: opts.packages,
    parts,
    stats: {
      contentObjects: content.size,
      fromPackages: content.size - newObjects.length,
      overrides,
      newObjects: newObjects.length,
      newBytes,
      packageBytes: opts.packages.reduce((n, p) => n + p.size, 0),
    },
  };
  const manifestBytes = encodeManifest(manifest);
  const target = path.join(dir, 'jigdo.json');
  try {
    writeFileSync(`${target}.${process.pid}.tmp`, manifestBytes);
    renameSync(`${target}.${process.pid}.tmp`, target);
  } catch (err) {
    throw fsError(target, err);
  }
  return { manifest, manifestBytes, dir, totalBytes: manifestBytes.length + parts.reduce((n, p) => n + p.size, 0) };
}
