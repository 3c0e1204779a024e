/**
 * `jigtree assemble SOURCE --repo R` (issue 6 "Assemble"): rebuild a composed commit bit for bit
 * from its jigdo set and any mirror of its packages.
 *
 * Order, so that nothing untrusted is fetched or written first (jigdo-prior-art.md §10 lesson 5):
 * signature (when a keyring is given) → manifest → commit object hash → metadata parts and the
 * files map (each pinned by sha256 in the manifest) → packages whose objects the repo lacks
 * (pinned by digest, with mirror failover and resume) and new-object parts → import of just the
 * listed files, every object compared with the name the manifest gives it → every object the
 * commit reaches present → the commit object last → the ref. A kill at any point leaves only
 * whole objects and no commit, so the repo passes fsck and a rerun reuses what was fetched.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createLimit, fsError, FormatError, IntegrityError, JigtreeError, NotFoundError, SignatureError, UsageError } from '../core/index.js';
import { fetchBytes, fetchPackages, fetchToFile, type FetchEvent, type FetchRequest } from '../fetch/index.js';
import {
  JIGDO_INSTALL_DIR, MANIFEST_FILE, SIGNATURE_FILE, headerOf, mergeFilesParts, missingObjects, neededObjectParts, parseFilesPart, parseManifest, planPackages, writeCommit, writeMetaPart, writeObjectPart, writeObjectsPart,
  type JigdoFilesPart, type JigdoManifest, type JigdoPart,
} from '../jigdo/index.js';
import { initRepo, isCommitPartial, objectExists, openRepo, readRef, removeOwnTmpDirs, removeStaleTmpFiles, writeRef, newWriteStats, type Checksum, type Repo, type RepoMode } from '../ostree/index.js';
import { compareDebianVersions, compareRpmVersions } from '../pkg/index.js';
import { loadRepos, readKeyring, verifyDetached, type Decompressor, type RepoSource } from '../repos/index.js';
import { openPackage } from '../unpack/index.js';
import { importPackage, type ImportOverride } from './compose/import-package.js';
import { PackageImportPool } from './compose/package-import-pool.js';

/** Stages assemble reports, in order. */
export type AssembleStage = 'verify' | 'plan' | 'fetch' | 'import' | 'commit';

/** What assemble reports while it works. */
export type AssembleEvent =
  | { type: 'stage'; stage: AssembleStage; state: 'start' | 'end'; seconds?: number }
  | FetchEvent
  | { type: 'import'; name: string; done: number; total: number }
  | { type: 'warning'; message: string };

/** Options of assemble. */
export type AssembleOptions = {
  /** A set directory or URL, a jigdo package file or URL, or a jigdo package name to find in `mirrors`. */
  source: string;
  repo: string;
  /** Mode of a repo assemble creates; default bare-user. */
  mode?: RepoMode;
  /**
   * Package mirrors: `URL` (every repo of the set) or `ID=URL` (one repo). Given, they replace the
   * repos the compose used; else those are used.
   */
  mirrors?: string[];
  /** A keyring file: the set must carry a valid signature by one of its keys. */
  keyring?: string;
  /** Set the commit on this ref instead of the manifest's. */
  ref?: string;
  /** apt mirrors, for finding a jigdo package by name: the suite, components and architecture to read. */
  suite?: string;
  components?: string[];
  arch?: string;
  cacheDir: string;
  now: number;
  signal?: AbortSignal;
  reporter?: (e: AssembleEvent) => void;
};

/** What assemble did. */
export type AssembleResult = {
  status: 'assembled' | 'present';
  commit: Checksum;
  ref: string;
  version: string | undefined;
  /** Key id of the signature checked, when a keyring was given. */
  signer: string | undefined;
  packages: { total: number; needed: number; downloaded: number; cached: number; reused: number; bytesDownloaded: number; bytesReused: number };
  jigdo: { bytesDownloaded: number; parts: number; partsFetched: number };
  objects: { written: number; reused: number };
  stages: Partial<Record<AssembleStage, number>>;
  warnings: string[];
};

const decompress: Decompressor = (kind, source, o) =>
  (async function* () {
    const { decompress: real } = await import('../unpack/index.js');
    yield* real(kind, source, o);
  })();

const MAX_MANIFEST = 64 << 20;
const slash = (u: string): string => (u.endsWith('/') ? u : `${u}/`);
const isUrl = (s: string): boolean => /^(https?|file):\/\//i.test(s);
const toUrl = (s: string): string => (isUrl(s) ? s : pathToFileURL(path.resolve(s)).href);

/**
 * Where a set lives: its base URL, and what fetching it cost. `extracted`: the set was unpacked
 * from a jigdo package, whose download (`bytes`) already carried every part.
 */
type SetLocation = { base: string; label: string; bytes: number; mirror?: string; extracted: boolean };

/** Extracts a jigdo package's set into the cache (keyed by the package's sha256; reused when whole). */
async function extractSet(file: string, cacheDir: string, signal: AbortSignal | undefined): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  } catch (err) {
    throw fsError(file, err);
  }
  const sha = h.digest('hex');
  const dir = path.join(cacheDir, 'jigdo-sets', sha);
  if (existsSync(path.join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.join(tmp, 'parts'), { recursive: true });
  const pkg = await openPackage(file, signal === undefined ? {} : { signal });
  let found = false;
  try {
    for await (const e of pkg.entries()) {
      const rel = e.path.startsWith(`${JIGDO_INSTALL_DIR}/`) ? e.path.slice(JIGDO_INSTALL_DIR.length + 1).split('/').slice(1).join('/') : undefined;
      if (e.type !== 'file' || e.body === undefined || rel === undefined || !/^(jigdo\.json(\.asc)?|parts\/[0-9a-f]{64}\.[a-z]+)$/.test(rel)) {
        await e.body?.drain();
        continue;
      }
      if (rel === MANIFEST_FILE) found = true;
      await pipeline(Readable.from(e.body), createWriteStream(path.join(tmp, rel)));
    }
  } finally {
    await pkg.close();
  }
  if (!found) {
    rmSync(tmp, { recursive: true, force: true });
    throw new FormatError(pkg.kind, `no ${JIGDO_INSTALL_DIR}/<name>/${MANIFEST_FILE} in the package: not a jigdo package`, { file });
  }
  renameSync(tmp, dir);
  mkdirSync(path.join(dir, '.complete'));
  return dir;
}

/** Finds the newest package called `name` in the mirrors' metadata and fetches it (digest-checked). */
async function findJigdoPackage(name: string, opts: AssembleOptions, mirrors: string[]): Promise<{ file: string; mirror: string; bytes: number }> {
  if (mirrors.length === 0) throw new UsageError(`assemble: ${name} is neither a file, a directory nor a URL; give --mirror URL to look it up in a repository's metadata`);
  for (const m of mirrors) {
    const url = toUrl(m);
    const isRpmMd = (await fetchBytes(`${slash(url)}repodata/repomd.xml`, { maxBytes: 16 << 20, ...(opts.signal === undefined ? {} : { signal: opts.signal }) })) !== undefined;
    let source: RepoSource;
    if (isRpmMd) source = { kind: 'rpm-md', id: 'mirror', baseurl: url.replace(/\/$/, ''), gpgcheck: false, priority: 99, cost: 1000 };
    else {
      if (opts.suite === undefined) throw new UsageError(`assemble: ${m} has no repodata/repomd.xml; for an apt mirror give --suite (and --arch) to find ${name}`);
      source = { kind: 'apt', id: 'mirror', baseurl: url.replace(/\/$/, ''), suite: opts.suite, components: opts.components ?? ['main'], trusted: true, priority: 500 };
    }
    const [loaded] = await loadRepos([source], { arch: opts.arch ?? 'amd64', cacheDir: opts.cacheDir, now: opts.now, decompress, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
    if (loaded === undefined) continue;
    let best: { rec: ReturnType<(typeof loaded.indexes)[number]['record']>; } | undefined;
    for (const idx of loaded.indexes) {
      for (const i of idx.named(name)) {
        const rec = idx.record(i);
        if (best === undefined) best = { rec };
        else if (rec.kind === 'rpm' && best.rec.kind === 'rpm' && compareRpmVersions(`${rec.epoch}:${rec.version}-${rec.release}`, `${best.rec.epoch}:${best.rec.version}-${best.rec.release}`) > 0) best = { rec };
        else if (rec.kind === 'deb' && best.rec.kind === 'deb' && compareDebianVersions(rec.version, best.rec.version) > 0) best = { rec };
      }
    }
    if (best === undefined) continue;
    const rec = best.rec;
    const pkgUrl = `${slash(loaded.packageBaseUrl)}${rec.location}`;
    const [f] = await fetchPackages([{ name, urls: [pkgUrl], size: rec.size, digest: `${rec.digest.algo}:${rec.digest.hex}` }], { cacheDir: opts.cacheDir, ...(opts.signal === undefined ? {} : { signal: opts.signal }), ...(opts.reporter === undefined ? {} : { reporter: opts.reporter }) });
    if (f === undefined) break;
    return { file: f.path, mirror: m, bytes: f.bytes };
  }
  throw new NotFoundError(`jigdo package ${name} in ${mirrors.join(', ')}`);
}

/** Resolves SOURCE to a set's base URL (extracting a package first). */
async function locateSet(opts: AssembleOptions, mirrors: string[]): Promise<SetLocation> {
  const s = opts.source;
  const signal = opts.signal;
  if (/\.(rpm|deb)$/.test(s)) {
    if (isUrl(s) && !s.startsWith('file:')) {
      const dir = path.join(opts.cacheDir, 'jigdo-packages');
      mkdirSync(dir, { recursive: true });
      const dest = path.join(dir, path.basename(new URL(s).pathname));
      const n = await fetchToFile(s, dest, signal === undefined ? {} : { signal });
      if (n === undefined) throw new NotFoundError(s);
      return { base: slash(pathToFileURL(await extractSet(dest, opts.cacheDir, signal)).href), label: s, bytes: n, extracted: true };
    }
    const file = s.startsWith('file:') ? fileURLToPath(s) : path.resolve(s);
    if (!existsSync(file)) throw new NotFoundError(file);
    return { base: slash(pathToFileURL(await extractSet(file, opts.cacheDir, signal)).href), label: file, bytes: 0, extracted: true };
  }
  if (isUrl(s)) return { base: slash(s.replace(new RegExp(`${MANIFEST_FILE.replace('.', '\\.')}$`), '')), label: s, bytes: 0, extracted: false };
  if (existsSync(s)) {
    const st = statSync(s);
    if (st.isDirectory()) return { base: slash(pathToFileURL(path.resolve(s)).href), label: path.resolve(s), bytes: 0, extracted: false };
    if (path.basename(s) === MANIFEST_FILE) return { base: slash(pathToFileURL(path.dirname(path.resolve(s))).href), label: path.resolve(s), bytes: 0, extracted: false };
    return { base: slash(pathToFileURL(await extractSet(path.resolve(s), opts.cacheDir, signal)).href), label: path.resolve(s), bytes: 0, extracted: true };
  }
  const found = await findJigdoPackage(s, opts, mirrors);
  return { base: slash(pathToFileURL(await extractSet(found.file, opts.cacheDir, signal)).href), label: `${s} from ${found.mirror}`, bytes: found.bytes, mirror: found.mirror, extracted: true };
}

/** Package URLs per repo id: explicit mirrors (`ID=URL` for one repo, else all), else the compose's repos. */
function mirrorUrls(m: JigdoManifest, mirrors: string[], extra: string | undefined): Map<string, string[]> {
  const ids = new Set(m.repos.map((r) => r.id));
  const bound = new Map<string, string[]>();
  const all: string[] = [];
  for (const x of mirrors) {
    const eq = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(x);
    if (eq === null || isUrl(x)) {
      all.push(x);
      continue;
    }
    const [, id = '', url = ''] = eq;
    if (!ids.has(id)) throw new UsageError(`--mirror ${x}: the set has no repo ${id} (its repos: ${[...ids].join(', ')})`);
    bound.set(id, [...(bound.get(id) ?? []), url]);
  }
  const out = new Map<string, string[]>();
  for (const r of m.repos) {
    let urls = [...(bound.get(r.id) ?? []), ...all];
    if (urls.length === 0) urls = extra === undefined ? [r.baseurl] : [extra, r.baseurl];
    out.set(r.id, urls.map((u) => slash(toUrl(u))));
  }
  return out;
}

async function timed<T>(stage: AssembleStage, stages: AssembleResult['stages'], report: AssembleOptions['reporter'], fn: () => Promise<T>): Promise<T> {
  report?.({ type: 'stage', stage, state: 'start' });
  const t0 = performance.now();
  const r = await fn();
  const seconds = (performance.now() - t0) / 1000;
  stages[stage] = (stages[stage] ?? 0) + seconds;
  report?.({ type: 'stage', stage, state: 'end', seconds });
  return r;
}

/** Rebuilds the commit of a jigdo set into `opts.repo`; the ref moves only after every check passed. */
export async function assemble(opts: AssembleOptions): Promise<AssembleResult> {
  const report = opts.reporter;
  const signal = opts.signal;
  const stages: AssembleResult['stages'] = {};
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    report?.({ type: 'warning', message });
  };
  const mirrors = opts.mirrors ?? [];
  const fetchOpts = { cacheDir: opts.cacheDir, ...(signal === undefined ? {} : { signal }), ...(report === undefined ? {} : { reporter: report }) };

  // 1. Signature, manifest, commit object: before anything else is fetched.
  const { set, manifest, commitBytes, commitMeta, signer, manifestBytes } = await timed('verify', stages, report, async () => {
    const set = await locateSet(opts, mirrors);
    const manifestUrl = `${set.base}${MANIFEST_FILE}`;
    const bytes = await fetchBytes(manifestUrl, { maxBytes: MAX_MANIFEST, ...(signal === undefined ? {} : { signal }) });
    if (bytes === undefined) throw new NotFoundError(`${MANIFEST_FILE} in ${set.label}`);
    let who: string | undefined;
    if (opts.keyring !== undefined) {
      let keyBytes: Uint8Array;
      try {
        keyBytes = readFileSync(opts.keyring);
      } catch (err) {
        throw fsError(opts.keyring, err);
      }
      const keyring = await readKeyring(keyBytes, opts.keyring);
      const sig = await fetchBytes(`${set.base}${SIGNATURE_FILE}`, { maxBytes: 1 << 20, ...(signal === undefined ? {} : { signal }) });
      if (sig === undefined) throw new SignatureError(set.label, `the set is not signed (no ${SIGNATURE_FILE}), and --keyring asks for a signature; refusing it`);
      who = (await verifyDetached(bytes, sig, keyring, { what: `${set.label}: ${MANIFEST_FILE}`, signatureFile: SIGNATURE_FILE, now: opts.now })).signer;
    } else warn(`${set.label}: signature not checked (no --keyring); trusting the transport`);
    const m = parseManifest(bytes, `${set.label}: ${MANIFEST_FILE}`);
    const cb = new Uint8Array(Buffer.from(m.commitObject, 'base64'));
    const got = createHash('sha256').update(cb).digest('hex');
    if (got !== m.commit) throw new IntegrityError(`${set.label}: ${MANIFEST_FILE}: commitObject`, `sha256 ${m.commit}`, got);
    return { set, manifest: m, commitBytes: cb, commitMeta: m.commitMeta === undefined ? undefined : new Uint8Array(Buffer.from(m.commitMeta, 'base64')), signer: who, manifestBytes: bytes };
  });
  const ref = opts.ref ?? manifest.ref;
  const repo: Repo = existsSync(path.join(opts.repo, 'config')) ? await openRepo(opts.repo) : await initRepo(opts.repo, { mode: opts.mode ?? 'bare-user' });
  const stats = newWriteStats();
  const result: AssembleResult = {
    status: 'assembled', commit: manifest.commit, ref, version: manifest.commitVersion, signer,
    packages: { total: manifest.packages.length, needed: 0, downloaded: 0, cached: 0, reused: manifest.packages.length, bytesDownloaded: 0, bytesReused: manifest.stats.packageBytes },
    jigdo: { bytesDownloaded: set.bytes + (set.extracted ? 0 : manifestBytes.length), parts: manifest.parts.length, partsFetched: 0 },
    objects: { written: 0, reused: 0 },
    stages, warnings,
  };
  // Written last and only after every check: its presence means the commit is whole.
  if (objectExists(repo, 'commit', manifest.commit) && !(await isCommitPartial(repo, manifest.commit))) {
    if ((await readRef(repo, ref)) !== manifest.commit) await writeRef(repo, ref, manifest.commit);
    return { ...result, status: 'present' };
  }
  await removeStaleTmpFiles(repo);
  try {
    const partUrl = (p: JigdoPart): FetchRequest => ({ name: p.file, urls: [`${set.base}${p.file}`], size: p.size, digest: `sha256:${p.sha256}` });
    const countParts = (fetched: { downloaded: boolean; bytes: number }[]): void => {
      // Parts unpacked from a jigdo package came with its download: counting them again would
      // report the set twice.
      if (set.extracted) return;
      for (const f of fetched) {
        if (f.downloaded) result.jigdo.partsFetched++;
        result.jigdo.bytesDownloaded += f.bytes;
      }
    };

    // 2. Metadata parts and the files map; the plan.
    const dirtrees = new Map<string, Uint8Array>();
    const { plans } = await timed('plan', stages, report, async () => {
      const small = manifest.parts.filter((p) => p.role === 'meta' || p.role === 'files');
      const fetched = await fetchPackages(small.map(partUrl), fetchOpts);
      countParts(fetched);
      const fileParts: JigdoFilesPart[] = [];
      fetched.forEach((f, i) => {
        const part = small[i] as JigdoPart;
        const gz = readFileSync(f.path);
        if (part.role === 'meta') writeMetaPart(repo, gz, part.file, stats, dirtrees);
        else {
          let raw: Uint8Array;
          try {
            raw = gunzipSync(gz);
          } catch (err) {
            throw new FormatError('gzip', (err as Error).message, { file: `${set.label}: ${part.file}` });
          }
          fileParts.push(parseFilesPart(raw, `${set.label}: ${part.file}`));
        }
      });
      const files = mergeFilesParts(fileParts, manifest, `${set.label}: files parts`);
      return { plans: planPackages(repo, manifest, files) };
    });

    // 3. Packages whose objects are missing, and new-object parts, fetched in parallel.
    const needed = plans.filter((p) => p.missing.length > 0);
    result.packages.needed = needed.length;
    const urls = mirrorUrls(manifest, mirrors, set.mirror);
    const objectParts = neededObjectParts(repo, manifest);
    const [pkgFiles, partFiles] = await timed('fetch', stages, report, () =>
      Promise.all([
        fetchPackages(
          needed.map((pl) => {
            const p = manifest.packages[pl.index] as JigdoManifest['packages'][number];
            return { name: `${p.name} ${p.evr} ${p.arch}`, urls: (urls.get(p.repo) ?? []).map((u) => `${u}${p.location}`), size: p.size, digest: p.digest };
          }),
          { ...fetchOpts, keepGoing: true },
        ),
        fetchPackages(objectParts.map(partUrl), fetchOpts),
      ]),
    );
    countParts(partFiles);
    for (const f of pkgFiles) {
      if (f.downloaded) {
        result.packages.downloaded++;
        result.packages.bytesDownloaded += f.request.size;
      } else result.packages.cached++;
    }
    result.packages.reused = manifest.packages.length - result.packages.downloaded;
    result.packages.bytesReused = manifest.stats.packageBytes - result.packages.bytesDownloaded;

    // 4. Import only the listed files; every object must come out under the name the set gives it.
    await timed('import', stages, report, async () => {
      const pool = needed.length > 1 ? PackageImportPool.open(repo) : undefined;
      const limit = createLimit(pool?.capacity ?? Math.max(1, Math.min(4, availableParallelism())));
      let done = 0;
      try {
        await Promise.all(
          needed.map((pl, i) =>
            limit(async () => {
              signal?.throwIfAborted();
              const p = manifest.packages[pl.index] as JigdoManifest['packages'][number];
              const label = `${p.name} ${p.evr} ${p.arch}`;
              const file = pkgFiles[i]?.path as string;
              const only = new Map<string, (ImportOverride | null)[]>();
              for (const [pth, list] of pl.paths) only.set(pth, list.map(([, m]) => (m === null ? null : headerOf(m))));
              let rec;
              try {
                const o = { name: label, digest: p.digest, only, stats, ...(signal === undefined ? {} : { signal }) };
                rec = pool === undefined ? await importPackage(repo, file, o) : await pool.importPackage(file, o);
              } catch (err) {
                if (err instanceof JigtreeError && !err.message.includes(label)) err.prefix(`import ${label}`);
                throw err;
              }
              if (rec.name !== p.name) throw new IntegrityError(`${label}: package name in the file`, p.name, rec.name);
              for (const [pth, list] of pl.paths) {
                const got = rec.selected?.get(pth);
                if (got === undefined) throw new IntegrityError(`${label}: ${pth}`, 'a file the jigdo lists', 'no such regular file or symlink in the package');
                list.forEach(([want], k) => {
                  if (got[k] !== want) throw new IntegrityError(`${label}: ${pth}: object`, want, got[k] ?? 'none');
                });
              }
              report?.({ type: 'import', name: label, done: ++done, total: needed.length });
            }),
          ),
        );
      } finally {
        await pool?.close();
      }
      for (const [k, part] of objectParts.entries()) {
        const f = partFiles[k];
        if (f === undefined) continue;
        if (part.role === 'object') await writeObjectPart(repo, f.path, part, stats);
        else await writeObjectsPart(repo, readFileSync(f.path), part, part.file, stats);
      }
    });

    // 5. Completeness, then the commit object, then the ref.
    await timed('commit', stages, report, async () => {
      const miss = await missingObjects(repo, commitBytes, 20, dirtrees);
      if (miss.count > 0) throw new IntegrityError(`commit ${manifest.commit}`, 'every object it reaches', `${miss.count} missing, e.g. ${miss.first.slice(0, 3).join(', ')}`);
      await writeCommit(repo, manifest, commitBytes, commitMeta, stats);
      await writeRef(repo, ref, manifest.commit);
    });
    result.objects = { written: stats.objectsWritten, reused: stats.objectsReused };
    return result;
  } finally {
    await removeOwnTmpDirs(repo);
  }
}

