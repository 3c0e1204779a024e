// `compose` (issue 5): treefile → resolve (or a lockfile) → fetch → import → assemble → OSTree
// layout → post-processing → commit, as rpm-ostree's `compose tree` (treefile.md §5) does it,
// for rpm-md and apt repositories alike. Each stage lives in its own module; this file only
// drives them and keeps the promises that span stages: the ref moves only to a complete commit,
// and an unchanged input hash stops before anything is fetched.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { JigtreeError, NotFoundError, SolveError, UsageError, createLimit, fsError } from '../core/index.js';
import { fetchPackages, type FetchEvent, type FetchRequest } from '../fetch/index.js';
import { variant, type Variant } from '../gvariant/index.js';
import { readLockfile, type LockedPackage, type Lockfile } from '../lockfile/index.js';
import {
  checkout,
  commitAndSetRef,
  initRepo,
  loadCommit,
  lookupMetadata,
  newWriteStats,
  openRepo,
  readRef,
  removeOwnTmpDirs,
  removeStaleTmpFiles,
  updateSummary,
  writeCommitObject,
  writeMutableTree,
  type Checksum,
  type Repo,
  type RepoMode,
  type WriteStats,
} from '../ostree/index.js';
import { compareDebianVersions, parseDeb822, parseDebRelations } from '../pkg/index.js';
import type { LoadEvent } from '../repos/index.js';
import {
  ComposeTree,
  applyOstreeLayout,
  applyPostprocess,
  dpkgDatabase,
  installPackages,
  parseGroup,
  parsePasswd,
  resolveNamedOwners,
  type InstallPackage,
  type TreeWarning,
} from '../tree/index.js';
import { canonicalTreefileJson, loadTreefile, type JsonValue, type Treefile } from '../treefile/index.js';
import { IMPORT_FORMAT, importPackage, loadCachedImport, type PackageImport } from './compose/import-package.js';
import { PackageImportPool } from './compose/package-import-pool.js';
import { loadRepoKey, verifyRpmFile } from './compose/verify-rpm.js';
import { readContent, writeComposeTree } from './compose/write-tree.js';
import { resolve } from './resolve.js';

/**
 * Bumped when compose would build a different tree from the same inputs (layout rules,
 * generated files): it is part of the input hash, so an upgraded jigtree recomposes.
 */
export const COMPOSE_FORMAT = 2;

/** The stages compose reports, in order. */
export type ComposeStage = 'resolve' | 'fetch' | 'import' | 'assemble' | 'commit';

/** What compose reports while it works (the CLI renders these). */
export type ComposeEvent =
  | { type: 'stage'; stage: ComposeStage; state: 'start' | 'end'; seconds?: number }
  | LoadEvent
  | FetchEvent
  | { type: 'import'; name: string; reused: boolean; done: number; total: number }
  | { type: 'warning'; message: string };

/** Options of compose. */
export type ComposeOptions = {
  /** Treefile path. */
  treefile: string;
  /** The ostree repo to commit into (created in `mode` when missing). Required unless `rootfs`. */
  repo?: string;
  /** Mode of a repo compose creates; default bare-user (unprivileged, hardlink checkouts). */
  mode?: RepoMode;
  /** Metadata and download caches. */
  cacheDir: string;
  /** Take this lockfile unchanged instead of resolving. */
  lockfile?: string;
  /** Write the composed tree (before the OSTree layout) as a plain directory instead of committing. */
  rootfs?: string;
  /** Resolve, print the plan, stop. */
  dryRun?: boolean;
  /** Unix seconds, for Valid-Until checks of repository metadata. */
  now: number;
  /** SOURCE_DATE_EPOCH as the caller read it (the library reads no environment). */
  sourceDateEpoch?: number;
  /** Recompose even when the input hash is unchanged (rpm-ostree --force-nocache). */
  force?: boolean;
  signal?: AbortSignal;
  reporter?: (event: ComposeEvent) => void;
};

/** What compose did. */
export type ComposeResult = {
  status: 'committed' | 'unchanged' | 'rootfs' | 'dry-run';
  ref: string;
  commit: Checksum | undefined;
  version: string | undefined;
  inputhash: string;
  /** The packages, in lockfile order. */
  packages: LockedPackage[];
  lockfile: Lockfile;
  download: { bytes: number; fetched: number; reused: number };
  import: { imported: number; reused: number };
  objects: { written: number; reused: number; bytes: number };
  /** Seconds per stage that ran. */
  stages: Partial<Record<ComposeStage, number>>;
  warnings: string[];
};

/** Commit metadata keys compose writes (treefile.md §6, under our own prefix where the format is ours). */
export const COMPOSE_METADATA = {
  inputhash: 'jigtree.inputhash',
  packages: 'jigtree.packages',
  repos: 'jigtree.repos',
  /** rpm-ostree's package list, so `rpm-ostree db diff`-style tools read rpm composes. */
  rpmPkglist: 'rpmostree.rpmdb.pkglist',
} as const;

function jsonToVariant(v: JsonValue, where: string): Variant {
  if (typeof v === 'string') return variant('s', v);
  if (typeof v === 'boolean') return variant('b', v);
  if (typeof v === 'number') return Number.isInteger(v) ? variant('x', BigInt(v)) : variant('d', v);
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return variant('as', v);
  if (v !== null && !Array.isArray(v) && typeof v === 'object') return variant('a{sv}', Object.keys(v).sort().map((k) => [k, jsonToVariant(v[k] as JsonValue, `${where}.${k}`)]));
  throw new UsageError(`add-commit-metadata ${where}: only strings, booleans, numbers, string lists and objects can be commit metadata`);
}

/** strftime's %Y %m %d %H %M %S of a UTC timestamp (rpm-ostree's `<date:...>` version tags). */
function formatDate(fmt: string, seconds: number): string {
  const d = new Date(seconds * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return fmt.replace(/%([YmdHMS%])/g, (_, c: string) => ({ Y: String(d.getUTCFullYear()), m: p2(d.getUTCMonth() + 1), d: p2(d.getUTCDate()), H: p2(d.getUTCHours()), M: p2(d.getUTCMinutes()), S: p2(d.getUTCSeconds()), '%': '%' })[c] ?? '');
}

/**
 * rpm-ostree's automatic-version-prefix (treefile.md §3.1): the previous version with exactly
 * the prefix gets `.1`, prefix + `.N` becomes `.N+1`, anything else starts at the prefix.
 * A `<date:FMT>` tag is expanded from the commit timestamp and appends `.0` that counts up while
 * the date stays the same.
 */
export function nextVersion(prefix: string, previous: string | undefined, timestamp: number): string {
  const hasDate = /<date:[^>]*>/.test(prefix);
  const expanded = prefix.replace(/<date:([^>]*)>/g, (_, f: string) => formatDate(f, timestamp));
  if (previous === undefined) return hasDate ? `${expanded}.0` : expanded;
  if (previous === expanded) return `${expanded}.1`;
  const m = /^(.*)\.(\d+)$/.exec(previous);
  if (m !== null && m[1] === expanded) return `${expanded}.${Number(m[2]) + 1}`;
  return hasDate ? `${expanded}.0` : expanded;
}

/**
 * `jigtree.packages`: (kind, name, evr, arch, digest, repo id, location relative to the repo's
 * base URL, size), in install order; the jigdo's package list is read from it (issue 6).
 */
export const PACKAGES_METADATA_TYPE = 'a(ssssssst)';

/** A package's location below its repo's base URL (rpm-md `location href`, apt `Filename`); absolute when it lies elsewhere. */
function repoRelativeLocation(pkg: LockedPackage, lock: Lockfile): string {
  const lrepo = lock.repos.find((r) => r.id === pkg.repo);
  if (lrepo === undefined) return pkg.location;
  const base = lrepo.baseurl.endsWith('/') ? lrepo.baseurl : `${lrepo.baseurl}/`;
  return pkg.location.startsWith(base) ? pkg.location.slice(base.length) : pkg.location;
}

/** Where a lockfile location lives on each mirror of its repo (failover, issue 5 step 3). */
function packageUrls(pkg: LockedPackage, lock: Lockfile, treefile: Treefile): string[] {
  const lrepo = lock.repos.find((r) => r.id === pkg.repo);
  const trepo = treefile.repos.find((r) => r.id === pkg.repo);
  if (lrepo === undefined || trepo === undefined) return [pkg.location];
  const base = lrepo.baseurl.endsWith('/') ? lrepo.baseurl : `${lrepo.baseurl}/`;
  if (!pkg.location.startsWith(base)) return [pkg.location];
  const rel = pkg.location.slice(base.length);
  const urls = trepo.mirrors.map((m) => `${m.endsWith('/') ? m : `${m}/`}${rel}`);
  return urls.includes(pkg.location) ? urls : [pkg.location, ...urls];
}

/** The merged-/usr links of an architecture (mmdebstrap's merged-usr hook; Fedora's filesystem package). */
function mergedUsrDirs(treefile: Treefile): string[] {
  if (treefile.kind === 'deb') {
    const extra: Record<string, string[]> = { amd64: ['lib32', 'lib64', 'libx32'], i386: ['lib64', 'libx32'], ppc64el: ['lib64'], s390x: ['lib32'], x32: ['lib32', 'lib64', 'libx32'] };
    return ['bin', 'sbin', 'lib', ...(extra[treefile.arch] ?? [])];
  }
  return ['bin', 'sbin', 'lib', ...(/64/.test(treefile.basearch) ? ['lib64'] : [])];
}

/** `name_version_arch` (deb) or `name-evr.arch` (rpm): how messages name a package. */
export function packageLabel(p: { kind: 'rpm' | 'deb'; name: string; evr: string; arch: string }): string {
  return p.kind === 'deb' ? `${p.name}_${p.evr}_${p.arch}` : `${p.name}-${p.evr}.${p.arch}`;
}

/** The input hash (issue 5 step 2): normalized treefile, locked packages by digest, externals. */
function computeInputHash(treefile: Treefile, lock: Lockfile, timestamp: number, addFiles: readonly { dest: string; bytes: Uint8Array }[]): string {
  const h = createHash('sha256');
  h.update(`jigtree compose ${COMPOSE_FORMAT} import ${IMPORT_FORMAT}\n`);
  h.update(canonicalTreefileJson(treefile));
  h.update(`\ntimestamp ${timestamp}\n`);
  // Package digests, not names: a re-signed or rebuilt package with the same NEVRA changes the tree (treefile.md §5.1).
  for (const p of lock.packages) h.update(`${p.kind} ${p.name} ${p.evr} ${p.arch} ${p.digest}\n`);
  for (const f of addFiles) h.update(`add-file ${f.dest} ${createHash('sha256').update(f.bytes).digest('hex')}\n`);
  return h.digest('hex');
}

function debReplaces(rec: PackageImport, versions: ReadonlyMap<string, string>): (other: string) => boolean {
  const control = rec.deb?.control;
  if (control === undefined) return () => false;
  const para = parseDeb822(control, { file: `${rec.name}: ./control` })[0];
  const field = para?.get('Replaces');
  if (field === undefined || field.trim() === '') return () => false;
  const rels = parseDebRelations(field, { file: `${rec.name}: Replaces` });
  return (other) => {
    const v = versions.get(other);
    return rels.some((alt) =>
      ('anyOf' in alt ? alt.anyOf : [alt]).some((r) => {
        if (r.name.split(':')[0] !== other) return false;
        if (r.op === undefined || r.version === undefined || v === undefined) return true;
        const c = compareDebianVersions(v, r.version);
        return r.op === '<' ? c < 0 : r.op === '<=' ? c <= 0 : r.op === '=' ? c === 0 : r.op === '>=' ? c >= 0 : c > 0;
      }),
    );
  };
}

function installInput(rec: PackageImport, label: string, versions: ReadonlyMap<string, string>): InstallPackage {
  return {
    kind: rec.kind,
    name: rec.name,
    label,
    entries: rec.entries.map((e) => ({ ...e, xattrs: e.xattrs?.map(([name, v]) => ({ name, value: Buffer.from(v, 'base64') })) })),
    ...(rec.kind === 'deb' ? { replaces: debReplaces(rec, versions) } : {}),
  };
}

async function timed<T>(stage: ComposeStage, stages: ComposeResult['stages'], report: ((e: ComposeEvent) => void) | undefined, fn: () => Promise<T>): Promise<T> {
  report?.({ type: 'stage', stage, state: 'start' });
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    const seconds = (performance.now() - t0) / 1000;
    stages[stage] = (stages[stage] ?? 0) + seconds;
    report?.({ type: 'stage', stage, state: 'end', seconds });
  }
}

/** Composes a treefile into a commit on its ref (or a plain directory with `rootfs`). */
export async function compose(opts: ComposeOptions): Promise<ComposeResult> {
  const report = opts.reporter;
  const signal = opts.signal;
  const stages: ComposeResult['stages'] = {};
  const warnings: string[] = [];
  const warn = (w: TreeWarning | string): void => {
    const message = typeof w === 'string' ? w : `${w.path}: ${w.message}`;
    warnings.push(message);
    report?.({ type: 'warning', message });
  };
  if (opts.repo === undefined && opts.rootfs === undefined && opts.dryRun !== true) throw new UsageError('compose: give --repo (or --rootfs DIR)');
  const treefile = await loadTreefile(opts.treefile, signal === undefined ? {} : { signal });

  // 1. Resolve, or take the lockfile unchanged.
  const lock = await timed('resolve', stages, report, async () => {
    if (opts.lockfile !== undefined) {
      // readLockfile validates (checkLockfile) and names the file in every issue.
      const l = await readLockfile(opts.lockfile);
      if (l.arch !== treefile.arch) throw new UsageError(`${opts.lockfile}: locked for architecture ${l.arch}, but the treefile composes ${treefile.arch}`);
      return l;
    }
    const r = await resolve({ treefile, cacheDir: opts.cacheDir, now: opts.now, ...(signal === undefined ? {} : { signal }), ...(report === undefined ? {} : { reporter: report }) });
    if (r.problems.length > 0) throw new SolveError(opts.treefile, r.problems.map((p) => p.text));
    return r.lockfile;
  });

  // add-files sources are inputs too: read them now, so the hash covers their bytes.
  const addFiles = (treefile.addFiles ?? []).map(([src, dest]) => {
    try {
      return { dest, bytes: readFileSync(src), mode: 0o644 };
    } catch (err) {
      throw fsError(src, err);
    }
  });
  const tsRaw = treefile.timestamp;
  const explicitTimestamp = typeof tsRaw === 'number' ? tsRaw : typeof tsRaw === 'string' ? Math.floor(Date.parse(tsRaw) / 1000) : opts.sourceDateEpoch;
  const inputhash = computeInputHash(treefile, lock, explicitTimestamp ?? -1, addFiles);
  const empty = {
    ref: treefile.ref,
    inputhash,
    packages: lock.packages,
    lockfile: lock,
    download: { bytes: 0, fetched: 0, reused: 0 },
    import: { imported: 0, reused: 0 },
    objects: { written: 0, reused: 0, bytes: 0 },
    stages,
    warnings,
  };
  if (opts.dryRun === true) return { ...empty, status: 'dry-run', commit: undefined, version: undefined };

  // 2. Unchanged input hash: stop before fetching anything.
  let repo: Repo;
  if (opts.repo !== undefined) {
    repo = existsSync(path.join(opts.repo, 'config')) ? await openRepo(opts.repo) : await initRepo(opts.repo, { mode: opts.mode ?? 'bare-user' });
  } else {
    // --rootfs without --repo: objects and import records live in a repo in the cache, so a
    // second rootfs compose reuses them (rpm-ostree's pkgcache repo).
    repo = await initRepo(path.join(opts.cacheDir, 'pkgcache-repo'), { mode: 'bare-user' });
  }
  const previous = opts.rootfs === undefined ? await readRef(repo, treefile.ref) : undefined;
  let previousVersion: string | undefined;
  if (previous !== undefined) {
    const c = await loadCommit(repo, previous);
    const ih = lookupMetadata(c.metadata, COMPOSE_METADATA.inputhash);
    const v = lookupMetadata(c.metadata, 'version');
    previousVersion = v?.type === 's' ? (v.value as string) : undefined;
    if (opts.force !== true && ih?.type === 's' && ih.value === inputhash) {
      return { ...empty, status: 'unchanged', commit: previous, version: previousVersion };
    }
  }

  await removeStaleTmpFiles(repo);
  const stats: WriteStats = newWriteStats();
  try {
    // 3. Fetch: every package not yet imported into this repo (an imported one needs no file).
    const cached = new Map<string, PackageImport>();
    for (const p of lock.packages) {
      const rec = loadCachedImport(repo, p.digest);
      if (rec !== undefined) cached.set(p.digest, rec);
    }
    const wanted = lock.packages.filter((p) => !cached.has(p.digest));
    const requests: FetchRequest[] = wanted.map((p) => ({ name: packageLabel(p), urls: packageUrls(p, lock, treefile), size: p.size, digest: p.digest }));
    const fetched = await timed('fetch', stages, report, () =>
      fetchPackages(requests, { cacheDir: opts.cacheDir, ...(signal === undefined ? {} : { signal }), ...(report === undefined ? {} : { reporter: report }) }),
    );
    const download = {
      bytes: fetched.reduce((n, f) => n + f.bytes, 0),
      fetched: fetched.filter((f) => f.downloaded).length,
      reused: lock.packages.length - fetched.filter((f) => f.downloaded).length,
    };

    // 4. Import each package straight into content objects; reuse earlier imports by digest.
    const imports = await timed('import', stages, report, async () => {
      const pool = wanted.length > 1 ? PackageImportPool.open(repo) : undefined;
      const limit = createLimit(pool?.capacity ?? Math.max(1, Math.min(4, availableParallelism())));
      try {
        let done = 0;
        const byDigest = new Map(fetched.map((f) => [f.request.digest, f.path]));
        const recs = await Promise.all(
          lock.packages.map((p) =>
            limit(async () => {
              let rec = cached.get(p.digest);
              const reused = rec !== undefined;
              if (rec === undefined) {
                const file = byDigest.get(p.digest);
                if (file === undefined) throw new NotFoundError(`downloaded ${packageLabel(p)}`);
                const repoCfg = treefile.kind === 'rpm' ? treefile.repos.find((r) => r.id === p.repo) : undefined;
                if (repoCfg?.gpgcheck === true) {
                  if (repoCfg.gpgkey === undefined) throw new UsageError(`repo ${repoCfg.id}: gpgcheck is on but no gpgkey is configured`, { hint: 'set gpgkey, or gpgcheck: false' });
                  await verifyRpmFile(file, packageLabel(p), await loadRepoKey(repoCfg.gpgkey), opts.now);
                }
                try {
                  const o = { name: packageLabel(p), digest: p.digest, stats, ...(signal === undefined ? {} : { signal }) };
                  rec = pool === undefined ? await importPackage(repo, file, o) : await pool.importPackage(file, o);
                } catch (err) {
                  if (err instanceof JigtreeError && !err.message.includes(packageLabel(p))) err.prefix(`import ${packageLabel(p)}`);
                  throw err;
                }
                if (rec.name !== p.name) throw new UsageError(`${packageLabel(p)}: the file's header names package ${rec.name}`);
              }
              report?.({ type: 'import', name: packageLabel(p), reused, done: ++done, total: lock.packages.length });
              return rec;
            }),
          ),
        );
        return recs;
      } finally {
        await pool?.close();
      }
    });
    const importStats = { imported: imports.length - cached.size, reused: cached.size };

    // 5-7. Assemble in install order, owners, package database, post-processing.
    const read = (c: Parameters<typeof readContent>[1]): Promise<Uint8Array> => readContent(repo, c);
    const tree = new ComposeTree();
    let kernel: { version: string } | undefined;
    await timed('assemble', stages, report, async () => {
      // Merged /usr, set up before anything is unpacked as debootstrap and mmdebstrap's
      // merged-usr hook do (and Fedora's filesystem package ships): the top-level directories
      // are links into /usr, so /bin/sh lands in /usr/bin/sh. OSTree needs it: only /usr is
      // read-only content (treefile.md §5.2, §7.1).
      for (const d of mergedUsrDirs(treefile)) {
        tree.mkdir(`/usr/${d}`);
        tree.symlink(`/${d}`, `usr/${d}`);
      }
      const versions = new Map(lock.packages.map((p) => [p.name, p.evr]));
      const install = installPackages(
        tree,
        imports.map((rec, i) => installInput(rec, packageLabel(lock.packages[i] as LockedPackage), versions)),
        { documentation: treefile.documentation ?? true, installLangs: treefile.installLangs },
      );
      install.warnings.forEach(warn);
      if (install.namedOwners.length > 0) {
        const passwd = await tree.readFile('/etc/passwd', read);
        const group = await tree.readFile('/etc/group', read);
        const users = new Map([...(passwd === undefined ? [] : parsePasswd(Buffer.from(passwd).toString('utf8'), '/etc/passwd'))].map(([n, u]) => [n, u.uid]));
        const groups = new Map([...(group === undefined ? [] : parseGroup(Buffer.from(group).toString('utf8'), '/etc/group'))].map(([n, g]) => [n, g.gid]));
        resolveNamedOwners(tree, install.namedOwners, users, groups).forEach(warn);
      }
      if (treefile.kind === 'deb') {
        const files = dpkgDatabase(
          imports.map((rec) => ({
            control: rec.deb?.control ?? '',
            controlFiles: (rec.deb?.controlFiles ?? []).map(([name, b]) => ({ name, bytes: Buffer.from(b, 'base64') })),
            paths: install.paths.get(rec.name) ?? [],
            conffiles: rec.entries.filter((e) => e.config === true && e.md5 !== undefined).map((e) => ({ path: e.path, md5: e.md5 as string })),
          })),
          { arch: treefile.arch, foreignArchs: treefile.architectures },
        );
        for (const f of files) {
          if ('dir' in f) tree.mkdir(f.path, { uid: 0, gid: 0, mode: f.mode, xattrs: [] });
          else tree.writeFile(f.path, f.bytes, { mode: f.mode });
        }
      }
      const post = await applyPostprocess(
        tree,
        {
          ...(treefile.removeFiles === undefined ? {} : { removeFiles: treefile.removeFiles }),
          ...(treefile.removeFromPackages === undefined ? {} : { removeFromPackages: treefile.removeFromPackages }),
          addFiles,
          ...(treefile.units === undefined ? {} : { units: treefile.units }),
          ...(treefile.defaultTarget === undefined ? {} : { defaultTarget: treefile.defaultTarget }),
          packages: lock.packages.map((p) => p.name),
          treefile: opts.treefile,
        },
        read,
      );
      post.warnings.forEach(warn);
    });

    // No clock (determinism is API): without a treefile timestamp or SOURCE_DATE_EPOCH the commit
    // is dated by the newest file in its packages, which changes only when the packages do.
    const timestamp = explicitTimestamp ?? imports.reduce((t, r) => Math.max(t, r.newestMtime), 0);
    if (opts.rootfs !== undefined) {
      // --rootfs: the tree as packages and post-processing left it, without the OSTree layout,
      // written by ostree's checkout from an orphan commit (nothing moves a ref).
      const rootfs = opts.rootfs;
      await timed('commit', stages, report, async () => {
        const { tree: mt } = await writeComposeTree(repo, tree, stats, signal);
        const root = writeMutableTree(repo, mt.root, stats);
        const c = writeCommitObject(repo, { metadata: [], parent: null, subject: '', body: '', timestamp, rootTree: root.tree, rootMeta: root.meta }, stats);
        await checkout(repo, c, rootfs, { mode: 'copy', ...(signal === undefined ? {} : { signal }) });
      });
      return { ...empty, status: 'rootfs', commit: undefined, version: undefined, download, import: importStats, objects: { written: stats.objectsWritten, reused: stats.objectsReused, bytes: stats.bytesWritten } };
    }

    // 8. OSTree layout, then commit with metadata; the ref moves last.
    let version: string | undefined;
    const commit = await timed('commit', stages, report, async () => {
      const layout = await applyOstreeLayout(tree, { kind: treefile.kind, tmpIsDir: treefile.tmpIsDir ?? false, machineidCompat: treefile.machineidCompat ?? true, etcGroupMembers: treefile.etcGroupMembers ?? [] }, read);
      layout.warnings.forEach(warn);
      kernel = layout.kernel;
      const { tree: mt } = await writeComposeTree(repo, tree, stats, signal);
      signal?.throwIfAborted();
      const root = writeMutableTree(repo, mt.root, stats);
      const user = treefile.addCommitMetadata ?? {};
      const userVersion = user['version'];
      version = typeof userVersion === 'string' ? userVersion : treefile.automaticVersionPrefix === undefined ? undefined : nextVersion(treefile.automaticVersionPrefix, previousVersion, timestamp);
      const meta: [string, Variant][] = [];
      for (const k of Object.keys(user).sort()) if (k !== 'version') meta.push([k, jsonToVariant(user[k] as JsonValue, k)]);
      if (version !== undefined) meta.push(['version', variant('s', version)]);
      meta.push([COMPOSE_METADATA.inputhash, variant('s', inputhash)]);
      meta.push([COMPOSE_METADATA.packages, variant(PACKAGES_METADATA_TYPE, lock.packages.map((p) => [p.kind, p.name, p.evr, p.arch, p.digest, p.repo, repoRelativeLocation(p, lock), BigInt(p.size)]))]);
      meta.push([COMPOSE_METADATA.repos, variant('a(ssss)', lock.repos.map((r) => [r.id, r.kind, r.baseurl, r.revision]))]);
      if (treefile.kind === 'rpm') {
        meta.push([
          COMPOSE_METADATA.rpmPkglist,
          variant('a(sssss)', lock.packages.map((p) => {
            const m = /^(?:(\d+):)?(.*)-([^-]*)$/.exec(p.evr);
            return [p.name, m?.[1] ?? '0', m?.[2] ?? p.evr, m?.[3] ?? '', p.arch];
          })),
        ]);
      }
      if (kernel !== undefined) {
        meta.push(['ostree.bootable', variant('b', true)]);
        meta.push(['ostree.linux', variant('s', kernel.version)]);
      }
      meta.push(['ostree.ref-binding', variant('as', [treefile.ref])]);
      if (repo.collectionId !== undefined) meta.push(['ostree.collection-binding', variant('s', repo.collectionId)]);
      meta.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const c = await commitAndSetRef(repo, { metadata: meta, parent: previous ?? null, subject: `${treefile.ref}${version === undefined ? '' : ` ${version}`}`, body: '', timestamp, rootTree: root.tree, rootMeta: root.meta }, treefile.ref, stats);
      await updateSummary(repo, { now: timestamp });
      return c;
    });
    return { ...empty, status: 'committed', commit, version, download, import: importStats, objects: { written: stats.objectsWritten, reused: stats.objectsReused, bytes: stats.bytesWritten } };
  } finally {
    await removeOwnTmpDirs(repo);
  }
}
