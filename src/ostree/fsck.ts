/**
 * fsck: re-hash and validate every object reachable from the repository's commits, and report
 * every finding with the commits that reach it (ostree-format.md §5.1; ostree's fsck, but it never
 * stops at the first error and it also checks what ostree's fsck does not: dirtree order and
 * duplicate names, §2.4).
 *
 * Each object is checked once. A subtree's findings depend only on its dirtree checksum, so they
 * are memoized per dirtree; a commit then collects the finding set of its root, and an object
 * shared by several commits is one finding that lists them all.
 */
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { FormatError, JigtreeError, NotFoundError, createLimit, fsError, type Limit } from '../core/index.js';
import { decodeGVariant, type GVariantValue } from '../gvariant/index.js';
import { isChecksum, type Checksum } from './checksum.js';
import {
  DIRTREE_TYPE,
  S_IFLNK,
  S_IFMT,
  archiveHeaderLength,
  decodeArchiveHeader,
  decodeCommit,
  decodeCommitMeta,
  decodeDirMeta,
  decodeDirTree,
  encodeChecksumHeader,
  invalidNameReason,
  type Commit,
  type DirTree,
  type ObjectType,
} from './objects.js';
import { loadContentObject, readMetadataObject } from './read.js';
import { hasObject, listPartialCommits, listRefs, objectPath, type Repo } from './repo.js';

/**
 * What is wrong with an object:
 * - `missing`: referenced but not in the repository;
 * - `corrupt`: present, but its bytes do not reproduce its name (bit flip, truncation, bad
 *   compression, unreadable header);
 * - `invalid`: its bytes hash to its name but are not a valid object of its type (not normal
 *   form, bytes of another object type, unsorted or duplicate dirtree entries, bad modes);
 * - `dangling-ref`: a ref points at a commit that is not in the repository;
 * - `bad-ref`: a ref file does not hold a commit checksum (no checksum in the finding).
 */
export type FindingKind = 'missing' | 'corrupt' | 'invalid' | 'dangling-ref' | 'bad-ref';

/** One problem found by fsck (architecture.md glossary: reported, not thrown). */
export interface Finding {
  readonly kind: FindingKind;
  readonly type: ObjectType;
  /** The object's checksum; absent only for `bad-ref`. */
  readonly checksum?: Checksum;
  /** The first path (in ostree's walk order, first commit in checksum order) where it was reached. */
  readonly path?: string;
  readonly message: string;
  /** Every checked commit whose tree reaches the object (sorted); empty for a dangling ref. */
  readonly commits: readonly Checksum[];
  /** Refs pointing at the object, for commits. */
  readonly refs?: readonly string[];
}

/** The result of fsck. */
export interface FsckReport {
  /** Sorted by kind, type, checksum. */
  readonly findings: readonly Finding[];
  /** Commits whose trees were walked, and distinct objects checked (commits included). */
  readonly checked: { readonly commits: number; readonly objects: number };
  /** Commits marked partial (state/*.commitpartial, §2.8) that were skipped. */
  readonly partial: readonly Checksum[];
}

/** Progress: one event before each commit's tree is walked. */
export interface FsckEvent {
  readonly type: 'fsck';
  readonly commit: Checksum;
  /** Position of this commit (1-based) among `total`. */
  readonly index: number;
  readonly total: number;
}

/** Options of fsck. */
export interface FsckOptions {
  /** Check only these commits (default: every commit object present and every ref's target). */
  readonly commits?: readonly Checksum[];
  /** Content objects checked in parallel (default 8: small objects are I/O-bound; inflate runs on the libuv pool). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly reporter?: (event: FsckEvent) => void;
}

type Key = string;
const keyOf = (type: ObjectType, checksum: Checksum): Key => `${type}:${checksum}`;

interface Problem {
  readonly kind: FindingKind;
  readonly type: ObjectType;
  readonly checksum: Checksum;
  readonly message: string;
}

/** Findings of a subtree: key -> path relative to the subtree root ('' = the directory itself). */
type Found = ReadonlyMap<Key, string>;
const NONE: Found = new Map();

/** `.filez` objects up to this size are read and inflated in one go (architecture.md: < 64 KiB may be buffered). */
const SMALL_OBJECT = 64 * 1024;

function sha256hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function describe(err: unknown): string {
  if (err instanceof JigtreeError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Re-throws cancellation and bugs; anything else is something wrong with the object. */
function rethrowIfFatal(err: unknown, signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw err;
  if (err instanceof Error && err.name === 'AbortError') throw err;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) throw err;
}

/**
 * A dirtree that hashes to its name but fails validation (unsorted, duplicate or unsafe names)
 * still tells us which children it references; walking them keeps reporting every finding. Only
 * entries with safe names and 32-byte checksums are followed.
 */
function lenientDirTree(bytes: Uint8Array): DirTree | undefined {
  let v: GVariantValue;
  try {
    v = decodeGVariant(DIRTREE_TYPE, bytes);
  } catch {
    return undefined;
  }
  const hex = (b: Uint8Array): Checksum | undefined => {
    const s = Buffer.from(b).toString('hex');
    return b.length === 32 && isChecksum(s) ? s : undefined;
  };
  const [files, dirs] = v as [GVariantValue[], GVariantValue[]];
  const tree: { files: DirTree['files'][number][]; dirs: DirTree['dirs'][number][] } = { files: [], dirs: [] };
  for (const f of files) {
    const [name, c] = f as [string, Uint8Array];
    const checksum = hex(c);
    if (invalidNameReason(name) === undefined && checksum !== undefined) tree.files.push({ name, checksum });
  }
  for (const d of dirs) {
    const [name, t, m] = d as [string, Uint8Array, Uint8Array];
    const treeSum = hex(t);
    const meta = hex(m);
    if (invalidNameReason(name) === undefined && treeSum !== undefined && meta !== undefined) tree.dirs.push({ name, tree: treeSum, meta });
  }
  return tree;
}

/** The commit objects present in objects/XX/ (ostree's fsck checks ref-less commits too, §5.1). */
async function listCommitObjects(repo: Repo): Promise<Checksum[]> {
  const dir = path.join(repo.path, 'objects');
  let subdirs: string[];
  try {
    subdirs = await readdir(dir);
  } catch (err) {
    throw fsError(dir, err);
  }
  const out: Checksum[] = [];
  for (const sub of subdirs.filter((s) => /^[0-9a-f]{2}$/.test(s)).sort()) {
    let names: string[];
    try {
      names = await readdir(path.join(dir, sub));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw fsError(path.join(dir, sub), err);
    }
    for (const n of names) {
      const c = `${sub}${n.slice(0, -'.commit'.length)}`;
      if (n.endsWith('.commit') && isChecksum(c)) out.push(c);
    }
  }
  return out;
}

class Checker {
  readonly repo: Repo;
  readonly signal: AbortSignal | undefined;
  readonly contentLimit: Limit;
  readonly metaLimit: Limit;
  readonly problems = new Map<Key, Problem>();
  readonly objects = new Map<Key, Promise<unknown>>();
  readonly trees = new Map<Checksum, Promise<Found>>();
  /** Detached metadata probes; not counted as checked objects when absent. */
  readonly commitMetas = new Map<Checksum, Promise<Key | undefined>>();
  metaObjects = 0;

  constructor(repo: Repo, opts: FsckOptions) {
    this.repo = repo;
    this.signal = opts.signal;
    this.contentLimit = createLimit(Math.max(1, opts.concurrency ?? 8));
    // Small files: a few more in flight hide latency without risking EMFILE.
    this.metaLimit = createLimit(16);
  }

  private problem(kind: FindingKind, type: ObjectType, checksum: Checksum, message: string): Key {
    const key = keyOf(type, checksum);
    this.problems.set(key, { kind, type, checksum, message });
    return key;
  }

  private once<T>(type: ObjectType, checksum: Checksum, fn: () => Promise<T>): Promise<T> {
    const key = keyOf(type, checksum);
    let p = this.objects.get(key) as Promise<T> | undefined;
    if (p === undefined) {
      p = fn();
      this.objects.set(key, p);
    }
    return p;
  }

  /**
   * Reads a metadata object, checks SHA-256(bytes) = name (§2.1), then decodes it with the strict
   * decoder (normal form and the object's own rules). Returns the problem key, if any, and the
   * decoded value when it is safe to walk further.
   */
  checkMetadata<T>(type: 'commit' | 'dirtree' | 'dirmeta', checksum: Checksum, decode: (b: Uint8Array, file: string) => T, lenient?: (b: Uint8Array) => T | undefined): Promise<{ key?: Key; value?: T }> {
    return this.once(type, checksum, () =>
      this.metaLimit(async () => {
        this.signal?.throwIfAborted();
        const file = objectPath(this.repo, type, checksum);
        let bytes: Uint8Array;
        try {
          bytes = await readMetadataObject(this.repo, type, checksum);
        } catch (err) {
          rethrowIfFatal(err, this.signal);
          if (err instanceof NotFoundError) return { key: this.problem('missing', type, checksum, `${type} object is missing`) };
          return { key: this.problem('corrupt', type, checksum, `unreadable: ${describe(err)}`) };
        }
        const actual = sha256hex(bytes);
        if (actual !== checksum) {
          // Do not walk what a corrupt object claims to reference: those names are garbage too.
          return { key: this.problem('corrupt', type, checksum, `corrupted ${type}: its ${bytes.length} bytes hash to ${actual}`) };
        }
        try {
          return { value: decode(bytes, file) };
        } catch (err) {
          rethrowIfFatal(err, this.signal);
          const key = this.problem('invalid', type, checksum, `invalid ${type}: ${describe(err).replace(`${file}: `, '')}`);
          const value = lenient?.(bytes);
          return value === undefined ? { key } : { key, value };
        }
      }),
    );
  }

  /**
   * The common small `.filez` in one read: header, raw DEFLATE payload inflated in memory (§2.6).
   * Returns the problem, null when the object is fine, or undefined when it is too big and must be streamed.
   */
  private async checkSmallArchive(checksum: Checksum): Promise<Key | null | undefined> {
    const file = objectPath(this.repo, 'file', checksum);
    let bytes: Buffer;
    try {
      const st = await lstat(file);
      if (!st.isFile() || st.size > SMALL_OBJECT) return undefined;
      bytes = await readFile(file, { flag: fsc.O_RDONLY | fsc.O_NOFOLLOW });
    } catch (err) {
      throw fsError(file, err);
    }
    const hdrLen = archiveHeaderLength(bytes.subarray(0, 8), file);
    if (bytes.length < 8 + hdrLen) throw new FormatError('ostree', `.filez: header truncated: expected ${hdrLen} bytes, got ${bytes.length - 8}`, { file, offset: bytes.length });
    const { header, size } = decodeArchiveHeader(bytes.subarray(8, 8 + hdrLen), file);
    const payload = bytes.subarray(8 + hdrLen);
    const isLink = (header.mode & S_IFMT) === S_IFLNK;
    let data: Uint8Array = payload;
    if (!isLink) {
      try {
        // One byte more than the header promises is enough to tell "too long" (and caps a bomb).
        data = inflateRawSync(payload, { maxOutputLength: size + 1 });
      } catch (err) {
        return this.problem('corrupt', 'file', checksum, `corrupted file object: cannot inflate the payload (${describe(err)})`);
      }
    }
    const expected = isLink ? 0 : size;
    if (data.length !== expected) return this.problem('corrupt', 'file', checksum, `corrupted file object: header says ${expected} bytes, data has ${data.length}${data.length > expected ? ' or more' : ''}`);
    const actual = createHash('sha256').update(encodeChecksumHeader(header)).update(data).digest('hex');
    if (actual !== checksum) return this.problem('corrupt', 'file', checksum, `corrupted file object: content hashes to ${actual}`);
    return null;
  }

  /** Re-hashes a content object from its stored form, streaming its data (§2.5, §2.6). */
  checkContent(checksum: Checksum): Promise<Key | undefined> {
    return this.once('file', checksum, () =>
      this.contentLimit(async () => {
        this.signal?.throwIfAborted();
        try {
          if (this.repo.mode === 'archive') {
            const small = await this.checkSmallArchive(checksum);
            if (small !== undefined) return small ?? undefined;
          }
          const obj = await loadContentObject(this.repo, checksum);
          const h = createHash('sha256').update(encodeChecksumHeader(obj.header));
          let n = 0;
          for await (const chunk of obj.open()) {
            const b = chunk as Buffer;
            h.update(b);
            n += b.length;
          }
          if (n !== obj.size) return this.problem('corrupt', 'file', checksum, `corrupted file object: header says ${obj.size} bytes, data has ${n}`);
          const actual = h.digest('hex');
          if (actual !== checksum) return this.problem('corrupt', 'file', checksum, `corrupted file object: content hashes to ${actual}`);
          return undefined;
        } catch (err) {
          rethrowIfFatal(err, this.signal);
          if (err instanceof NotFoundError) return this.problem('missing', 'file', checksum, 'file object is missing');
          const why = err instanceof FormatError || err instanceof JigtreeError ? describe(err).replace(`${objectPath(this.repo, 'file', checksum)}: `, '') : `unreadable data: ${describe(err)}`;
          return this.problem('corrupt', 'file', checksum, `corrupted file object: ${why}`);
        }
      }),
    );
  }

  checkDirMeta(checksum: Checksum): Promise<{ key?: Key }> {
    return this.checkMetadata('dirmeta', checksum, decodeDirMeta);
  }

  /** The findings of the subtree rooted at dirtree `checksum`, memoized per dirtree. */
  checkTree(checksum: Checksum): Promise<Found> {
    let p = this.trees.get(checksum);
    if (p === undefined) {
      p = this.walkTree(checksum);
      this.trees.set(checksum, p);
    }
    return p;
  }

  private async walkTree(checksum: Checksum): Promise<Found> {
    const { key, value: tree } = await this.checkMetadata('dirtree', checksum, decodeDirTree, lenientDirTree);
    if (tree === undefined) return key === undefined ? NONE : new Map([[key, '']]);
    const [files, dirs] = await Promise.all([
      Promise.all(tree.files.map((f) => this.checkContent(f.checksum))),
      Promise.all(tree.dirs.map((d) => Promise.all([this.checkDirMeta(d.meta), this.checkTree(d.tree)]))),
    ]);
    if (key === undefined && files.every((k) => k === undefined) && dirs.every(([m, t]) => m.key === undefined && t.size === 0)) return NONE;
    // First path wins, in ostree's order: the directory, its files, then each subdirectory.
    const out = new Map<Key, string>();
    const add = (k: Key | undefined, rel: string): void => {
      if (k !== undefined && !out.has(k)) out.set(k, rel);
    };
    add(key, '');
    tree.files.forEach((f, i) => { add(files[i], f.name); });
    tree.dirs.forEach((d, i) => {
      const [m, t] = dirs[i] ?? [{}, NONE];
      add(m.key, d.name);
      for (const [k, rel] of t) add(k, rel === '' ? d.name : `${d.name}/${rel}`);
    });
    return out;
  }

  /** Every finding reachable from one commit: key -> absolute path (undefined for the commit itself). */
  async checkCommit(commit: Checksum, partial: boolean): Promise<Map<Key, string | undefined>> {
    const out = new Map<Key, string | undefined>();
    const { key, value } = await this.checkMetadata('commit', commit, decodeCommit);
    if (key !== undefined) out.set(key, undefined);
    const metaKey = await this.checkCommitMeta(commit);
    if (metaKey !== undefined) out.set(metaKey, undefined);
    if (value === undefined || partial) return out;
    const c: Commit = value;
    const [meta, found] = await Promise.all([this.checkDirMeta(c.rootMeta), this.checkTree(c.rootTree)]);
    if (meta.key !== undefined) out.set(meta.key, '/');
    for (const [k, rel] of found) if (!out.has(k)) out.set(k, `/${rel}`);
    return out;
  }

  /** Detached metadata is optional; when present it must decode (§2.8). It is named after the commit, so there is no hash to check. */
  private checkCommitMeta(commit: Checksum): Promise<Key | undefined> {
    let p = this.commitMetas.get(commit);
    if (p === undefined) {
      p = this.readCommitMeta(commit);
      this.commitMetas.set(commit, p);
    }
    return p;
  }

  private async readCommitMeta(commit: Checksum): Promise<Key | undefined> {
    if (!(await hasObject(this.repo, 'commitmeta', commit))) return undefined;
    this.metaObjects++;
    const file = objectPath(this.repo, 'commitmeta', commit);
    try {
      decodeCommitMeta(await readMetadataObject(this.repo, 'commitmeta', commit), file);
      return undefined;
    } catch (err) {
      rethrowIfFatal(err, this.signal);
      return this.problem('invalid', 'commitmeta', commit, `invalid commitmeta: ${describe(err).replace(`${file}: `, '')}`);
    }
  }
}

const KIND_ORDER: Record<FindingKind, number> = { 'bad-ref': 0, 'dangling-ref': 1, missing: 2, corrupt: 3, invalid: 4 };
const TYPE_ORDER: Record<ObjectType, number> = { commit: 0, commitmeta: 1, dirtree: 2, dirmeta: 3, file: 4, 'tombstone-commit': 5 };

/**
 * Checks the repository: every commit present and every ref's target (or only `opts.commits`),
 * and everything their trees reach. Throws only when it cannot run (repository unreadable,
 * cancelled); everything wrong with objects and refs is a Finding.
 */
export async function fsck(repo: Repo, opts: FsckOptions = {}): Promise<FsckReport> {
  const findings: Finding[] = [];
  const refs = await listRefs(repo, {
    remotes: true,
    onBadRef: (name, file, problem) => findings.push({ kind: 'bad-ref', type: 'commit', message: `ref ${name} (${file}): ${problem}`, commits: [], refs: [name] }),
  });
  const refsByCommit = new Map<Checksum, string[]>();
  for (const r of refs) refsByCommit.set(r.commit, [...(refsByCommit.get(r.commit) ?? []), r.name]);

  let commits: Checksum[];
  if (opts.commits !== undefined) {
    commits = [...new Set(opts.commits)];
  } else {
    const present = await listCommitObjects(repo);
    const presentSet = new Set(present);
    commits = [...present];
    // A ref to a missing commit is a dangling ref, not a missing object reached from a commit.
    for (const [c, names] of refsByCommit) {
      if (presentSet.has(c)) continue;
      findings.push({ kind: 'dangling-ref', type: 'commit', checksum: c, message: `ref ${names.join(', ')} points at a missing commit`, commits: [], refs: names });
    }
  }
  commits.sort();
  const partialSet = new Set(await listPartialCommits(repo));
  const partial = commits.filter((c) => partialSet.has(c));

  const checker = new Checker(repo, opts);
  const perCommit: Map<Key, string | undefined>[] = [];
  let walked = 0;
  for (const [i, c] of commits.entries()) {
    opts.signal?.throwIfAborted();
    opts.reporter?.({ type: 'fsck', commit: c, index: i + 1, total: commits.length });
    const isPartial = partialSet.has(c);
    perCommit.push(await checker.checkCommit(c, isPartial));
    if (!isPartial) walked++;
  }

  const reached = new Map<Key, { commits: Checksum[]; path: string | undefined }>();
  commits.forEach((c, i) => {
    for (const [k, p] of perCommit[i] ?? []) {
      const r = reached.get(k);
      if (r === undefined) reached.set(k, { commits: [c], path: p });
      else r.commits.push(c);
    }
  });
  for (const [k, prob] of checker.problems) {
    const r = reached.get(k);
    const names = prob.type === 'commit' ? refsByCommit.get(prob.checksum) : undefined;
    findings.push({
      kind: prob.kind,
      type: prob.type,
      checksum: prob.checksum,
      ...(r?.path === undefined ? {} : { path: r.path }),
      message: prob.message,
      commits: r?.commits ?? [],
      ...(names === undefined ? {} : { refs: names }),
    });
  }
  findings.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || ((a.checksum ?? a.message) < (b.checksum ?? b.message) ? -1 : (a.checksum ?? a.message) > (b.checksum ?? b.message) ? 1 : 0));
  return { findings, checked: { commits: walked, objects: checker.objects.size + checker.metaObjects }, partial };
}
