/**
 * An OSTree repository on disk: layout, mode, config, refs, tmp files and commitpartial markers
 * (ostree-format.md §3). Object reading and writing live in read.ts and write-object.ts.
 */
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { constants as fsc, mkdirSync } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FormatError, NotFoundError, UsageError, fsError } from '../core/index.js';
import { isChecksum, parseChecksum, type Checksum } from './checksum.js';
import { formatKeyFile, parseKeyFile, type KeyFile } from './keyfile.js';
import type { ObjectType } from './objects.js';

/** How content objects are stored (§2.6). `archive` is `archive-z2` in the config file. */
export type RepoMode = 'archive' | 'bare-user' | 'bare' | 'bare-user-only';

/** The modes `init` accepts and the string each writes to `core.mode`. */
const MODE_CONFIG: Record<RepoMode, string> = { archive: 'archive-z2', 'bare-user': 'bare-user', bare: 'bare', 'bare-user-only': 'bare-user-only' };

/** An open repository. */
export interface Repo {
  /** Absolute path of the repository directory. */
  readonly path: string;
  readonly mode: RepoMode;
  readonly config: KeyFile;
  /** `[archive] zlib-level`, 1-9, default 6 (§2.6). */
  readonly zlibLevel: number;
  /** `core.fsync`: sync the filesystem before moving a ref (default true). */
  readonly fsync: boolean;
  /** `core.collection-id`, if set. */
  readonly collectionId: string | undefined;
}

/** Loose-object file extension of each object type (§2.1); `z` added for content in archive repos. */
export function objectExtension(type: ObjectType, mode: RepoMode): string {
  return type === 'file' && mode === 'archive' ? 'filez' : type;
}

/** Path of a loose object: objects/XX/YYYY….ext (§2.1). */
export function objectPath(repo: Repo, type: ObjectType, checksum: Checksum): string {
  return path.join(repo.path, 'objects', checksum.slice(0, 2), `${checksum.slice(2)}.${objectExtension(type, repo.mode)}`);
}

/** Parses a mode name as given to `init` (`archive-z2` is accepted as an alias of `archive`). */
export function parseRepoMode(s: string): RepoMode {
  if (s === 'archive-z2') return 'archive';
  if (s in MODE_CONFIG) return s as RepoMode;
  throw new UsageError(`repo mode ${JSON.stringify(s)}: expected archive, bare-user, bare or bare-user-only`);
}

/**
 * Creates a repository as `ostree init` does (§3.1): config, objects/, refs/{heads,remotes,mirrors},
 * state/, tmp/, tmp/cache/, extensions/. Opening an existing repository of the same mode is not an
 * error; a different mode is.
 */
export async function initRepo(repoPath: string, opts: { mode: RepoMode; collectionId?: string }): Promise<Repo> {
  const abs = path.resolve(repoPath);
  try {
    const existing = await openRepo(abs);
    if (existing.mode !== opts.mode) throw new UsageError(`${abs}: already a repository in mode ${existing.mode}, not ${opts.mode}`);
    return existing;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  if (opts.mode === 'bare' && process.getuid?.() !== 0) throw new UsageError('mode bare records real owners and needs root; use bare-user');
  try {
    for (const d of ['objects', 'refs/heads', 'refs/remotes', 'refs/mirrors', 'state', 'tmp/cache', 'extensions']) await mkdir(path.join(abs, d), { recursive: true });
  } catch (err) {
    throw fsError(abs, err);
  }
  const core = new Map([['repo_version', '1'], ['mode', MODE_CONFIG[opts.mode]]]);
  if (opts.collectionId !== undefined) core.set('collection-id', opts.collectionId);
  await writeFileAtomic(abs, path.join(abs, 'config'), formatKeyFile(new Map([['core', core]])));
  return openRepo(abs);
}

/** Opens an existing repository; NotFoundError if `repoPath` has no config and objects/. */
export async function openRepo(repoPath: string): Promise<Repo> {
  const abs = path.resolve(repoPath);
  let text: string;
  try {
    text = await readFile(path.join(abs, 'config'), 'utf8');
    await lstat(path.join(abs, 'objects'));
  } catch (err) {
    const e = fsError(abs, err);
    if (e instanceof NotFoundError) throw new NotFoundError(`${abs}: an ostree repository (no config or objects/)`);
    throw e;
  }
  const config = parseKeyFile(text, path.join(abs, 'config'));
  const core = config.get('core');
  const file = path.join(abs, 'config');
  if (core?.get('repo_version') !== '1') throw new FormatError('ostree', `core.repo_version: expected 1, got ${JSON.stringify(core?.get('repo_version') ?? null)}`, { file });
  const modeStr = core.get('mode') ?? 'bare';
  if (modeStr === 'bare-split-xattrs') throw new UsageError(`${abs}: repo mode bare-split-xattrs is not supported`);
  const mode = Object.entries(MODE_CONFIG).find(([, v]) => v === modeStr)?.[0] as RepoMode | undefined;
  if (mode === undefined) throw new FormatError('ostree', `core.mode: unknown mode ${JSON.stringify(modeStr)}`, { file });
  const levelStr = config.get('archive')?.get('zlib-level') ?? '6';
  const zlibLevel = Number(levelStr);
  if (!Number.isInteger(zlibLevel) || zlibLevel < 1 || zlibLevel > 9) throw new FormatError('ostree', `archive.zlib-level: expected 1-9, got ${JSON.stringify(levelStr)}`, { file });
  return { path: abs, mode, config, zlibLevel, fsync: core.get('fsync') !== 'false', collectionId: core.get('collection-id') };
}

const TMP_SALT = `${threadId}.${randomBytes(6).toString('hex')}`;
let tmpCounter = 0;
const tmpDirsMade = new Set<string>();

/** A fresh temp file name in the repo's tmp/ (same filesystem as refs/ and objects/). */
export function tmpPath(repo: Repo | string, tag = 'tmp'): string {
  const root = typeof repo === 'string' ? repo : repo.path;
  // The pid lets removeStaleTmpFiles find leftovers; a per-thread random part drawn once and a
  // counter make names unique across processes and threads without a getrandom call per file.
  return path.join(root, 'tmp', `jt-${tag}-${process.pid}-${TMP_SALT}-${(tmpCounter++).toString(36)}`);
}

/**
 * A fresh temp file name for an object, in this thread's own directory under tmp/: creating and
 * unlinking files in one shared directory serializes parallel writers on its lock.
 */
export function objectTmpPath(repo: Repo): string {
  const dir = path.join(repo.path, 'tmp', `jt-${process.pid}-${TMP_SALT}`);
  if (!tmpDirsMade.has(dir)) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fsError(dir, err);
    }
    tmpDirsMade.add(dir);
  }
  return path.join(dir, (tmpCounter++).toString(36));
}

/** Writes a small file atomically: temp file in tmp/, then rename over the target. */
export async function writeFileAtomic(repoPath: string, target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tmpPath(repoPath, 'file');
  try {
    await writeFile(tmp, data, { mode: 0o644 });
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fsError(target, err);
  }
}

// ---------------------------------------------------------------------------------------------
// refs (§3.3)

const REF_COMPONENT = /^[A-Za-z0-9_][-._A-Za-z0-9]*$/;

/** Checks a ref name: components `[\w\d][-._\w\d]*` joined by `/` (ostree_validate_rev). */
export function validateRefName(ref: string, what = 'ref'): string {
  // ostree's component rule alone admits "a..b"; we refuse any "..", as git does, so no ref
  // can ever read as a path step.
  if (ref.length === 0 || ref.includes('..') || !ref.split('/').every((c) => REF_COMPONENT.test(c))) {
    throw new UsageError(`${what} ${JSON.stringify(ref)}: expected components of letters, digits, "_", "-", "." (not starting with "-" or ".", no "..") joined by "/"`);
  }
  return ref;
}

/** Splits `remote:ref` (or plain `ref`) and validates both parts. */
export function parseRefspec(spec: string): { remote: string | undefined; ref: string } {
  const i = spec.indexOf(':');
  if (i < 0) return { remote: undefined, ref: validateRefName(spec) };
  const remote = spec.slice(0, i);
  if (!REF_COMPONENT.test(remote)) throw new UsageError(`remote name ${JSON.stringify(remote)}: expected letters, digits, "_", "-", "."`);
  return { remote, ref: validateRefName(spec.slice(i + 1)) };
}

function refFile(repo: Repo, spec: string): string {
  const { remote, ref } = parseRefspec(spec);
  return remote === undefined ? path.join(repo.path, 'refs', 'heads', ref) : path.join(repo.path, 'refs', 'remotes', remote, ref);
}

/** The commit a ref points at, or undefined if the ref does not exist. */
export async function readRef(repo: Repo, spec: string): Promise<Checksum | undefined> {
  const file = refFile(repo, spec);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw fsError(file, err);
  }
  // ostree writes 64 hex + "\n" and also accepts a ref without the newline (§3.3).
  return parseChecksum(text.endsWith('\n') ? text.slice(0, -1) : text, `ref file ${file}`);
}

/**
 * Points a ref at a commit, atomically (temp file + rename). Refuses unless the commit object
 * exists and is not marked partial, so no ref ever moves to an incomplete commit.
 */
export async function writeRef(repo: Repo, spec: string, commit: Checksum): Promise<void> {
  const file = refFile(repo, spec);
  if (!(await hasObject(repo, 'commit', commit))) throw new NotFoundError(`commit ${commit}`);
  if (await isCommitPartial(repo, commit)) throw new UsageError(`commit ${commit} is partial (state/${commit}.commitpartial); refusing to point ${spec} at it`);
  try {
    await mkdir(path.dirname(file), { recursive: true });
  } catch (err) {
    throw fsError(path.dirname(file), err);
  }
  await writeFileAtomic(repo.path, file, `${commit}\n`);
}

/** Deletes a ref (and now-empty parent directories under refs/heads); false if it did not exist. */
export async function deleteRef(repo: Repo, spec: string): Promise<boolean> {
  const file = refFile(repo, spec);
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(file, err);
  }
  const { remote } = parseRefspec(spec);
  const stop = path.join(repo.path, 'refs', remote === undefined ? 'heads' : path.join('remotes', remote));
  for (let d = path.dirname(file); d.startsWith(stop) && d !== stop; d = path.dirname(d)) {
    if (!(await rmdir(d).then(() => true, () => false))) break;
  }
  return true;
}

/** One ref and its commit; remote refs are named `remote:ref`. */
export interface RefEntry {
  readonly name: string;
  readonly commit: Checksum;
}

/** Called for a ref file that does not hold a checksum, instead of throwing. */
export type BadRefHandler = (name: string, file: string, problem: string) => void;

async function walkRefs(dir: string, prefix: string, out: RefEntry[], onBad: BadRefHandler | undefined): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError(dir, err);
  }
  for (const n of names) {
    const p = path.join(dir, n);
    const st = await lstat(p);
    if (st.isDirectory()) await walkRefs(p, `${prefix}${n}/`, out, onBad);
    else if (st.isFile()) {
      const text = (await readFile(p, 'utf8')).trimEnd();
      if (onBad !== undefined && !isChecksum(text)) onBad(`${prefix}${n}`, p, `expected 64 lowercase hex characters, got ${JSON.stringify(text.slice(0, 80))}`);
      else out.push({ name: `${prefix}${n}`, commit: parseChecksum(text, `ref file ${p}`) });
    }
  }
}

/**
 * Every local ref (refs/heads), and with `remotes` also `remote:ref` entries, sorted by name.
 * A ref file without a checksum is a FormatError, or goes to `onBadRef` when given (fsck).
 */
export async function listRefs(repo: Repo, opts: { remotes?: boolean; onBadRef?: BadRefHandler } = {}): Promise<RefEntry[]> {
  const out: RefEntry[] = [];
  await walkRefs(path.join(repo.path, 'refs', 'heads'), '', out, opts.onBadRef);
  if (opts.remotes === true) {
    const rdir = path.join(repo.path, 'refs', 'remotes');
    for (const r of await readdir(rdir).catch(() => [] as string[])) await walkRefs(path.join(rdir, r), `${r}:`, out, opts.onBadRef);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// objects and markers

/** True if the loose object exists. */
export async function hasObject(repo: Repo, type: ObjectType, checksum: Checksum): Promise<boolean> {
  try {
    await lstat(objectPath(repo, type, checksum));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(objectPath(repo, type, checksum), err);
  }
}

function partialPath(repo: Repo, commit: Checksum): string {
  return path.join(repo.path, 'state', `${commit}.commitpartial`);
}

/** Marks a commit as incomplete (state/<c>.commitpartial, §2.8) before its tree is written. */
export async function markCommitPartial(repo: Repo, commit: Checksum): Promise<void> {
  try {
    await mkdir(path.join(repo.path, 'state'), { recursive: true });
    const fh = await open(partialPath(repo, commit), fsc.O_WRONLY | fsc.O_CREAT, 0o644);
    await fh.close();
  } catch (err) {
    throw fsError(partialPath(repo, commit), err);
  }
}

/** Removes the partial marker once every object of the commit is present. */
export async function clearCommitPartial(repo: Repo, commit: Checksum): Promise<void> {
  await unlink(partialPath(repo, commit)).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(partialPath(repo, commit), err);
  });
}

/** True if the commit is marked partial. */
export async function isCommitPartial(repo: Repo, commit: Checksum): Promise<boolean> {
  return lstat(partialPath(repo, commit)).then(
    () => true,
    () => false,
  );
}

/** Commits marked partial (their trees are not verified by fsck). */
export async function listPartialCommits(repo: Repo): Promise<Checksum[]> {
  const names = await readdir(path.join(repo.path, 'state')).catch(() => [] as string[]);
  return names.flatMap((n) => {
    const m = /^([0-9a-f]{64})\.commitpartial$/.exec(n);
    return m?.[1] !== undefined && isChecksum(m[1]) ? [m[1]] : [];
  });
}

/**
 * Removes the temp directories left in tmp/ by jigtree processes that no longer run (a kill -9
 * mid-write). Those of live processes and anything not ours are left alone (ostree ages its own
 * out after core.tmp-expiry-secs).
 */
export async function removeStaleTmpFiles(repo: Repo): Promise<number> {
  const dir = path.join(repo.path, 'tmp');
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const n of names) {
    const pid = Number(/^jt-(?:[a-z]+-)?(\d+)-/.exec(n)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    if (await rm(path.join(dir, n), { recursive: true, force: true }).then(() => true, () => false)) removed++;
  }
  return removed;
}

/** Removes this process's (now empty) temp directories once its writers are done. */
export async function removeOwnTmpDirs(repo: Repo): Promise<void> {
  const dir = path.join(repo.path, 'tmp');
  const mine = `jt-${process.pid}-`;
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    if (!n.startsWith(mine)) continue;
    await rmdir(path.join(dir, n)).catch(() => undefined);
    tmpDirsMade.delete(path.join(dir, n));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
