/*
 * Small OSTree repositories built in-process from a literal tree description, for unit tests of
 * the read side (traverse, fsck, checkout, diff, show) that need no real `ostree`. Objects are
 * written with jigtree's own writer (write-object.ts); the oracle tests cover agreement with ostree.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  compareNames,
  encodeCommit,
  encodeDirMeta,
  encodeDirTree,
  initRepo,
  writeContentBytes,
  writeMetadataObject,
  writeRef,
  type Checksum,
  type Repo,
  type RepoMode,
  type Xattr,
} from '../../src/ostree/index.js';

/** Owner, permission bits (no type bits) and xattrs; defaults 0, 0, 0644/0755, none. */
export type MetaSpec = { mode?: number; uid?: number; gid?: number; xattrs?: Xattr[] };
/** A regular file. */
export type FileSpec = MetaSpec & { data: string | Uint8Array };
/** A symlink. */
export type LinkSpec = MetaSpec & { link: string };
/** A directory and its entries by name. */
export type DirSpec = MetaSpec & { dir: Record<string, FileSpec | LinkSpec | DirSpec> };

/** What buildTree wrote for a directory. */
export type BuiltDir = { tree: Checksum; meta: Checksum };

const utf8 = new TextEncoder();

/** A fresh repository of `mode` in a new temp directory (remove `dir` when done). */
export async function makeRepo(mode: RepoMode): Promise<{ repo: Repo; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-unit-repo-'));
  return { repo: await initRepo(path.join(dir, 'repo'), { mode }), dir };
}

/** Writes every object of `spec` (content, dirtree, dirmeta) and returns the root's dirtree and dirmeta. */
export async function buildTree(repo: Repo, spec: DirSpec): Promise<BuiltDir> {
  const files: { name: string; checksum: Checksum }[] = [];
  const dirs: { name: string; tree: Checksum; meta: Checksum }[] = [];
  for (const [name, e] of Object.entries(spec.dir)) {
    const owner = { uid: e.uid ?? 0, gid: e.gid ?? 0, xattrs: e.xattrs ?? [] };
    if ('dir' in e) {
      dirs.push({ name, ...(await buildTree(repo, e)) });
    } else if ('link' in e) {
      const { checksum } = await writeContentBytes(repo, { ...owner, mode: S_IFLNK | 0o777, target: e.link }, new Uint8Array(0));
      files.push({ name, checksum });
    } else {
      const data = typeof e.data === 'string' ? utf8.encode(e.data) : e.data;
      const { checksum } = await writeContentBytes(repo, { ...owner, mode: S_IFREG | (e.mode ?? 0o644), target: '' }, data);
      files.push({ name, checksum });
    }
  }
  files.sort((a, b) => compareNames(a.name, b.name));
  dirs.sort((a, b) => compareNames(a.name, b.name));
  const tree = writeMetadataObject(repo, 'dirtree', encodeDirTree({ files, dirs }));
  const meta = writeMetadataObject(repo, 'dirmeta', encodeDirMeta({ uid: spec.uid ?? 0, gid: spec.gid ?? 0, mode: S_IFDIR | (spec.mode ?? 0o755), xattrs: spec.xattrs ?? [] }));
  return { tree: tree.checksum, meta: meta.checksum };
}

/** Writes `spec` and a commit of it (timestamp 0 unless given), and moves `ref` when given. */
export async function buildCommit(repo: Repo, spec: DirSpec, opts: { parent?: Checksum; subject?: string; timestamp?: number; ref?: string } = {}): Promise<Checksum> {
  const root = await buildTree(repo, spec);
  const { checksum } = writeMetadataObject(
    repo,
    'commit',
    encodeCommit({ metadata: [], parent: opts.parent ?? null, subject: opts.subject ?? '', body: '', timestamp: opts.timestamp ?? 0, rootTree: root.tree, rootMeta: root.meta }),
  );
  if (opts.ref !== undefined) await writeRef(repo, opts.ref, checksum);
  return checksum;
}
