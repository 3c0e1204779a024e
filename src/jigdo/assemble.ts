/**
 * The jigdo side of assembling (issue 6 "Assemble"): turning verified set parts into objects, the
 * per-package plan, and the completeness check. Fetching and importing packages is the caller's
 * (api/assemble.ts); this module only knows objects and the set format.
 *
 * Every object is written under the checksum it hashes to and compared with the name the trusted
 * manifest (or the commit's hash chain) gives it: a mismatch is an IntegrityError naming the part
 * and the object, before the ref can move (lesson 5: rojig never checked).
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { FormatError, IntegrityError } from '../core/index.js';
import {
  decodeArchiveHeader, decodeCommit, decodeDirTree, objectExists, objectPath, readMetadataObject, writeContentBytes, writeFileAtomic, writeContentStream, writeMetadataObject,
  type Checksum, type ContentHeader, type Repo, type WriteStats,
} from '../ostree/index.js';
import { decodePack, type JigdoFiles, type JigdoManifest, type JigdoMeta, type JigdoPart } from './format.js';

function gunzip(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new FormatError('gzip', (err as Error).message, { file });
  }
}

/** The header a manifest's JigdoMeta describes (for a symlink, `target` comes from the package or part). */
export function headerOf(m: JigdoMeta, target = ''): ContentHeader {
  return { uid: m.uid, gid: m.gid, mode: m.mode, target, xattrs: m.xattrs.map(([name, v]) => ({ name, value: new Uint8Array(Buffer.from(v, 'base64')) })) };
}

/**
 * Writes the dirtree and dirmeta objects of a `meta` part (gzip'd bytes already checked against
 * the manifest). Verified dirtrees are also put in `dirtrees`, so the completeness walk does not
 * read them back from disk.
 */
export function writeMetaPart(repo: Repo, gz: Uint8Array, file: string, stats?: WriteStats, dirtrees?: Map<string, Uint8Array>): number {
  let n = 0;
  for (const r of decodePack(gunzip(gz, file), file)) {
    if (r.type === 'file') throw new FormatError('jigdo', `meta part holds a content object ${r.checksum}`, { file });
    const got = writeMetadataObject(repo, r.type, r.bytes, stats).checksum;
    if (got !== r.checksum) throw new IntegrityError(`${file}: ${r.type} ${r.checksum}`, r.checksum, got);
    if (r.type === 'dirtree') dirtrees?.set(r.checksum, r.bytes);
    n++;
  }
  return n;
}

/** Writes the content objects of an `objects` part; each must be one the manifest lists for it. */
export async function writeObjectsPart(repo: Repo, gz: Uint8Array, part: JigdoPart, file: string, stats?: WriteStats): Promise<number> {
  const listed = new Set(part.objects ?? []);
  let n = 0;
  for (const r of decodePack(gunzip(gz, file), file)) {
    if (r.type !== 'file') throw new FormatError('jigdo', `objects part holds a ${r.type}`, { file });
    if (!listed.has(r.checksum)) throw new FormatError('jigdo', `object ${r.checksum} is not one the manifest lists for this part`, { file });
    if (r.header.length < 8) throw new FormatError('jigdo', `object ${r.checksum}: header truncated`, { file });
    const { header, size } = decodeArchiveHeader(r.header.subarray(8), file);
    if (size !== r.data.length) throw new FormatError('jigdo', `object ${r.checksum}: header says ${size} bytes, record has ${r.data.length}`, { file });
    const got = (await writeContentBytes(repo, header, r.data, stats)).checksum;
    if (got !== r.checksum) throw new IntegrityError(`${file}: object ${r.checksum}`, r.checksum, got);
    listed.delete(r.checksum);
    n++;
  }
  if (listed.size > 0) throw new FormatError('jigdo', `${listed.size} objects the manifest lists are missing from the part (first: ${[...listed][0] ?? ''})`, { file });
  return n;
}

/** Streams an `object` part (one large object, gzip'd) into the repo. */
export async function writeObjectPart(repo: Repo, path: string, part: JigdoPart, stats?: WriteStats): Promise<void> {
  const want = part.objects?.[0];
  if (want === undefined || part.header === undefined || part.dataSize === undefined) throw new FormatError('jigdo', 'object part without its object, header or size', { file: part.file });
  const body = new PassThrough();
  const done = pipeline(createReadStream(path), createGunzip(), body).catch((err: unknown) => {
    body.destroy(err as Error);
    throw err instanceof Error && 'code' in err && String((err as NodeJS.ErrnoException).code).startsWith('Z_') ? new FormatError('gzip', err.message, { file: part.file }) : err;
  });
  const [written] = await Promise.all([writeContentStream(repo, headerOf(part.header), part.dataSize, body, part.file, stats), done]);
  if (written.checksum !== want) throw new IntegrityError(`${part.file}: object ${want}`, want, written.checksum);
}

/** What one package must produce: per path, the objects (with override headers) the tree needs from it. */
export type PackagePlan = {
  index: number;
  /** Every object this package contributes. */
  objects: Checksum[];
  /** Objects of `objects` not in the repo yet: the package is needed when this is not empty. */
  missing: Checksum[];
  /** path -> [expected checksum, override meta or null (the package's own)][] */
  paths: Map<string, [Checksum, JigdoMeta | null][]>;
};

/** Plans each package from the files map and what the repo already has. */
export function planPackages(repo: Repo, m: JigdoManifest, files: JigdoFiles): PackagePlan[] {
  return m.packages.map((_, i) => {
    const plan: PackagePlan = { index: i, objects: [], missing: [], paths: new Map() };
    for (const e of files.packages[i] ?? []) {
      const [p, c] = e;
      const meta = e.length === 3 ? (files.metas[e[2]] ?? null) : null;
      plan.objects.push(c);
      if (!objectExists(repo, 'file', c)) plan.missing.push(c);
      const list = plan.paths.get(p) ?? [];
      list.push([c, meta]);
      plan.paths.set(p, list);
    }
    return plan;
  });
}

/** Parts of role objects/object with an object the repo lacks. */
export function neededObjectParts(repo: Repo, m: JigdoManifest): JigdoPart[] {
  return m.parts.filter((p) => (p.role === 'objects' || p.role === 'object') && (p.objects ?? []).some((c) => !objectExists(repo, 'file', c)));
}

/**
 * Objects the commit reaches that the repo lacks (at most `limit` named), walking from the commit
 * bytes the manifest carries. Empty means the commit can be written.
 */
export async function missingObjects(repo: Repo, commitBytes: Uint8Array, limit = 20, dirtrees?: ReadonlyMap<string, Uint8Array>): Promise<{ count: number; first: string[] }> {
  const commit = decodeCommit(commitBytes);
  const first: string[] = [];
  let count = 0;
  const miss = (what: string): void => {
    count++;
    if (first.length < limit) first.push(what);
  };
  const seen = new Set<string>();
  const walk = async (tree: Checksum, meta: Checksum, where: string): Promise<void> => {
    if (!objectExists(repo, 'dirmeta', meta)) miss(`dirmeta ${meta} (${where || '/'})`);
    if (seen.has(tree)) return;
    seen.add(tree);
    if (!objectExists(repo, 'dirtree', tree)) {
      miss(`dirtree ${tree} (${where || '/'})`);
      return;
    }
    const t = decodeDirTree(dirtrees?.get(tree) ?? (await readMetadataObject(repo, 'dirtree', tree)));
    for (const f of t.files) if (!objectExists(repo, 'file', f.checksum)) miss(`file ${f.checksum} (${where}/${f.name})`);
    for (const d of t.dirs) await walk(d.tree, d.meta, `${where}/${d.name}`);
  };
  await walk(commit.rootTree, commit.rootMeta, '');
  return { count, first };
}

/** Writes the detached commit metadata, then the commit object; the checksum must be the manifest's. */
export async function writeCommit(repo: Repo, m: JigdoManifest, commitBytes: Uint8Array, commitMeta: Uint8Array | undefined, stats?: WriteStats): Promise<void> {
  if (commitMeta !== undefined) await writeFileAtomic(repo.path, objectPath(repo, 'commitmeta', m.commit), commitMeta);
  const got = writeMetadataObject(repo, 'commit', commitBytes, stats).checksum;
  if (got !== m.commit) throw new IntegrityError(`commit ${m.commit}`, m.commit, got);
}
