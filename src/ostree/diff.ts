/**
 * diff of two commits by checksum, with `ostree diff`'s semantics and order (ostree-diff.c):
 * - a subtree whose dirtree checksum is equal on both sides is skipped without reading it;
 * - a file is modified when its content checksum differs, a directory when its dirmeta differs,
 *   and an entry that changes between file and directory is modified (not removed + added);
 * - a removed directory is listed alone; an added directory is listed with everything below it;
 * - entries come in walk order (files, then subdirectories, depth-first; §2.4 dirtree order),
 *   modified and removed while walking the old tree, added after each directory's old entries.
 * Commit-level differences (subject, body, parent, timestamp, metadata) are listed as well.
 */
import type { Checksum } from './checksum.js';
import { compareNames, type Commit } from './objects.js';
import { loadCommit, loadDirTree } from './read.js';
import type { Repo } from './repo.js';
import { gvariantToJson, type JsonValue } from './show.js';
import { childPath, rootNode, type DirNode, type TreeNode } from './traverse.js';

/** One commit field or metadata key that differs; metadata values are `{type, value}` (null when absent). */
export interface CommitChange {
  /** `subject`, `body`, `parent`, `timestamp`, or `metadata.KEY`. */
  readonly field: string;
  readonly from: JsonValue;
  readonly to: JsonValue;
}

/** The difference between two trees (paths are absolute inside the commit). */
export interface TreeDiff {
  readonly modified: readonly string[];
  readonly removed: readonly string[];
  readonly added: readonly string[];
}

/** The difference between two commits. */
export interface DiffResult extends TreeDiff {
  readonly from: Checksum;
  readonly to: Checksum;
  readonly changes: readonly CommitChange[];
}

type Lists = { modified: string[]; removed: string[]; added: string[] };

function entriesOf(tree: Awaited<ReturnType<typeof loadDirTree>>, dir: string): TreeNode[] {
  return [
    ...tree.files.map((f): TreeNode => ({ kind: 'file', path: childPath(dir, f.name), checksum: f.checksum })),
    ...tree.dirs.map((d): TreeNode => ({ kind: 'dir', path: childPath(dir, d.name), tree: d.tree, meta: d.meta })),
  ];
}

const nameOf = (n: TreeNode): string => n.path.slice(n.path.lastIndexOf('/') + 1);

async function addAll(repo: Repo, dir: DirNode, out: string[], signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  for (const e of entriesOf(await loadDirTree(repo, dir.tree), dir.path)) {
    out.push(e.path);
    if (e.kind === 'dir') await addAll(repo, e, out, signal);
  }
}

async function diffDirs(repo: Repo, a: DirNode, b: DirNode, out: Lists, signal: AbortSignal | undefined): Promise<void> {
  if (a.tree === b.tree) return;
  signal?.throwIfAborted();
  const [ta, tb] = await Promise.all([loadDirTree(repo, a.tree), loadDirTree(repo, b.tree)]);
  const ea = entriesOf(ta, b.path);
  const eb = entriesOf(tb, b.path);
  const byNameB = new Map(eb.map((e) => [nameOf(e), e]));
  const namesA = new Set(ea.map(nameOf));
  for (const x of ea) {
    const y = byNameB.get(nameOf(x));
    if (y === undefined) out.removed.push(x.path);
    else if (x.kind !== y.kind) out.modified.push(x.path);
    else if (x.kind === 'file' && y.kind === 'file') {
      if (x.checksum !== y.checksum) out.modified.push(x.path);
    } else if (x.kind === 'dir' && y.kind === 'dir') {
      if (x.meta !== y.meta) out.modified.push(x.path);
      await diffDirs(repo, x, y, out, signal);
    }
  }
  for (const y of eb) {
    if (namesA.has(nameOf(y))) continue;
    out.added.push(y.path);
    if (y.kind === 'dir') await addAll(repo, y, out.added, signal);
  }
}

/** The difference between two directories of the repository (e.g. two commits' roots). */
export async function diffTrees(repo: Repo, a: DirNode, b: DirNode, opts: { signal?: AbortSignal } = {}): Promise<TreeDiff> {
  const out: Lists = { modified: [], removed: [], added: [] };
  await diffDirs(repo, a, b, out, opts.signal);
  return out;
}

/** Commit fields and metadata keys that differ: fields first, then metadata keys sorted. */
export function commitChanges(a: Commit, b: Commit): CommitChange[] {
  const out: CommitChange[] = [];
  const field = (name: string, x: JsonValue, y: JsonValue): void => {
    if (x !== y) out.push({ field: name, from: x, to: y });
  };
  field('subject', a.subject, b.subject);
  field('body', a.body, b.body);
  field('parent', a.parent, b.parent);
  field('timestamp', a.timestamp, b.timestamp);
  const ma = new Map(a.metadata.map(([k, v]) => [k, gvariantToJson('v', v)]));
  const mb = new Map(b.metadata.map(([k, v]) => [k, gvariantToJson('v', v)]));
  const keys = [...new Set([...ma.keys(), ...mb.keys()])].sort(compareNames);
  for (const k of keys) {
    const x = ma.get(k) ?? null;
    const y = mb.get(k) ?? null;
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ field: `metadata.${k}`, from: x, to: y });
  }
  return out;
}

/** Compares commit `from` with commit `to`. */
export async function diff(repo: Repo, from: Checksum, to: Checksum, opts: { signal?: AbortSignal } = {}): Promise<DiffResult> {
  const [a, b] = await Promise.all([loadCommit(repo, from), loadCommit(repo, to)]);
  const tree = await diffTrees(repo, rootNode(a), rootNode(b), opts);
  return { from, to, ...tree, changes: commitChanges(a, b) };
}
