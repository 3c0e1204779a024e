/*
 * A path-by-path description of a directory tree, for comparing our `--rootfs` output and our
 * commits' checkouts with the trees the reference tools build (issue 5 "How it is checked":
 * "path by path (type, mode, owner, content sha256, link target)"). The walk uses lstat and never
 * follows symlinks; hard links are reported as ordinary files (ostree has no hard links in a
 * commit, and dpkg/rpm hard links are an unpacking detail). Content is hashed as a stream, so big
 * files do not sit in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { getAttributeSync, listAttributesSync } from '@napi-rs/xattr';

/** The type of one tree entry (POSIX file types). */
export type EntryType = 'file' | 'dir' | 'symlink' | 'chardev' | 'blockdev' | 'fifo' | 'socket';

/** What the comparison sees of one path. */
export type ManifestEntry = {
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (st_mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** SHA-256 of the content, lowercase hex (regular files only). */
  sha256?: string;
  /** The link target as stored (symlinks only). */
  target?: string;
  /** Device number (character and block devices only). */
  rdev?: number;
  /** Extended attributes name -> value in hex, when the walk was asked for them. */
  xattrs?: Record<string, string>;
};

/** Options of manifestOfDir. */
export type ManifestOptions = {
  /** Paths (absolute in-tree, "/etc/apt") to leave out; a left-out directory's subtree is skipped too. */
  exclude?: (p: string) => boolean;
  /**
   * Record xattrs: true for all, or a filter on the name (e.g. only `security.capability`, which is
   * how file capabilities are stored; rpm's %caps and ostree's xattrs land there).
   */
  xattrs?: boolean | ((name: string) => boolean);
};

/** Files up to this size are read in one call; bigger ones are hashed as a stream. */
const SMALL_FILE = 1 << 20;
/** How many lstat/read operations run at once (the walk is I/O-bound on many small files). */
const PARALLEL = 16;

function typeOf(st: Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/** SHA-256 of a file's content, streamed when it is big. */
export async function sha256OfFile(file: string, size: number): Promise<string> {
  const h = createHash('sha256');
  if (size <= SMALL_FILE) {
    h.update(await fs.readFile(file));
    return h.digest('hex');
  }
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function xattrsOf(file: string, filter: (name: string) => boolean): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let any = false;
  // @napi-rs/xattr uses the l* calls: a symlink's own attributes, never its target's.
  for (const name of listAttributesSync(file).filter(filter).sort()) {
    const v = getAttributeSync(file, name);
    if (v === null) continue;
    out[name] = v.toString('hex');
    any = true;
  }
  return any ? out : undefined;
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The manifest of the tree under `dir`: every path ("/" for the root itself, "/usr/bin/env"
 * below it) in UTF-8 byte order, with lstat data and content hashes.
 */
export async function manifestOfDir(dir: string, opts: ManifestOptions = {}): Promise<Map<string, ManifestEntry>> {
  const exclude = opts.exclude ?? ((): boolean => false);
  const xf = opts.xattrs === undefined || opts.xattrs === false ? null : opts.xattrs === true ? (): boolean => true : opts.xattrs;
  const found = new Map<string, ManifestEntry>();

  const describe = async (inTree: string): Promise<ManifestEntry> => {
    const disk = inTree === '/' ? dir : path.join(dir, inTree);
    const st = await fs.lstat(disk);
    const entry: ManifestEntry = { type: typeOf(st), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (entry.type === 'file') entry.sha256 = await sha256OfFile(disk, st.size);
    else if (entry.type === 'symlink') entry.target = await fs.readlink(disk);
    else if (entry.type === 'chardev' || entry.type === 'blockdev') entry.rdev = st.rdev;
    if (xf !== null) {
      const x = xattrsOf(disk, xf);
      if (x !== undefined) entry.xattrs = x;
    }
    return entry;
  };

  if (!exclude('/')) {
    const rootEntry = await describe('/');
    if (rootEntry.type !== 'dir') throw new Error(`manifestOfDir: ${dir} is not a directory`);
    found.set('/', rootEntry);
  }
  // Breadth-first, one directory level at a time, PARALLEL operations in flight.
  let level = ['/'];
  while (level.length > 0) {
    const children: string[] = [];
    for (const d of level) {
      const names = await fs.readdir(d === '/' ? dir : path.join(dir, d));
      for (const n of names) {
        const p = d === '/' ? `/${n}` : `${d}/${n}`;
        if (!exclude(p)) children.push(p);
      }
    }
    const entries = await mapLimit(children, PARALLEL, describe);
    level = [];
    children.forEach((p, i) => {
      const e = entries[i] as ManifestEntry;
      found.set(p, e);
      if (e.type === 'dir') level.push(p);
    });
  }
  const sorted = new Map<string, ManifestEntry>();
  for (const p of [...found.keys()].sort(byteOrder)) sorted.set(p, found.get(p) as ManifestEntry);
  return sorted;
}

const octal = (m: number): string => m.toString(8).padStart(4, '0');

function describeEntry(e: ManifestEntry): string {
  if (e.type === 'symlink') return `symlink -> ${e.target ?? '?'}`;
  const base = `${e.type} ${octal(e.mode)} ${e.uid}:${e.gid}`;
  return e.type === 'file' ? `${base} sha256 ${e.sha256 ?? '?'}` : base;
}

/** Labels for the two sides in diff lines (default "a" and "b"). */
export type DiffLabels = { a: string; b: string };

/**
 * Readable differences between two manifests, one line per difference, sorted: "only in a: /x
 * (file 0644 0:0 ...)", "/y: mode 0755 != 0644", "/z: sha256 ... != ...", "/l: target x != y",
 * "/f: xattr security.capability 01.. != (none)". Empty when the trees are the same.
 */
export function diffManifests(a: Map<string, ManifestEntry>, b: Map<string, ManifestEntry>, labels: DiffLabels = { a: 'a', b: 'b' }): string[] {
  const out: string[] = [];
  for (const [p, ea] of a) {
    const eb = b.get(p);
    if (eb === undefined) {
      out.push(`only in ${labels.a}: ${p} (${describeEntry(ea)})`);
      continue;
    }
    if (ea.type !== eb.type) {
      out.push(`${p}: type ${ea.type} != ${eb.type}`);
      continue;
    }
    if (ea.mode !== eb.mode) out.push(`${p}: mode ${octal(ea.mode)} != ${octal(eb.mode)}`);
    if (ea.uid !== eb.uid) out.push(`${p}: uid ${ea.uid} != ${eb.uid}`);
    if (ea.gid !== eb.gid) out.push(`${p}: gid ${ea.gid} != ${eb.gid}`);
    if (ea.sha256 !== eb.sha256) out.push(`${p}: sha256 ${ea.sha256 ?? '(none)'} != ${eb.sha256 ?? '(none)'}`);
    if (ea.target !== eb.target) out.push(`${p}: target ${ea.target ?? '(none)'} != ${eb.target ?? '(none)'}`);
    if (ea.rdev !== eb.rdev) out.push(`${p}: rdev ${ea.rdev ?? '(none)'} != ${eb.rdev ?? '(none)'}`);
    const xa = ea.xattrs ?? {};
    const xb = eb.xattrs ?? {};
    for (const name of new Set([...Object.keys(xa), ...Object.keys(xb)])) {
      if (xa[name] !== xb[name]) out.push(`${p}: xattr ${name} ${xa[name] ?? '(none)'} != ${xb[name] ?? '(none)'}`);
    }
  }
  for (const [p, eb] of b) if (!a.has(p)) out.push(`only in ${labels.b}: ${p} (${describeEntry(eb)})`);
  return out.sort(byteOrder);
}

/** Keeps only the entries `keep` accepts (e.g. to apply an exclude predicate after the walk). */
export function filterManifest(m: Map<string, ManifestEntry>, keep: (p: string, e: ManifestEntry) => boolean): Map<string, ManifestEntry> {
  const out = new Map<string, ManifestEntry>();
  for (const [p, e] of m) if (keep(p, e)) out.set(p, e);
  return out;
}
