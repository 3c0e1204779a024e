// `resolve` (issue 4): treefile → repository metadata → depsolve → lockfile, like osbuild's
// depsolve stage: the lockfile pins every package by URL and digest, so compose (issue 5) can
// rebuild the same tree later from it alone.
import { compareLockedPackages, type LockedPackage, type Lockfile } from '../lockfile/index.js';
import type { PackageRecord } from '../pkg/index.js';
import { loadFileProviders, loadRepos, locationUrl, type Decompressor, type LoadedRepo, type LoadEvent, type RepoSource } from '../repos/index.js';
import { solve, type PoolRepo, type Problem, type SolveRequest, type SolveResult } from '../solver/index.js';
import { loadTreefile, type Treefile } from '../treefile/index.js';

/**
 * unpack's decompressor, loaded on first use: a warm resolve reads only cached indexes and
 * should not pay for loading the codecs.
 */
const decompress: Decompressor = (kind, source, o) =>
  (async function* () {
    const { decompress: real } = await import('../unpack/index.js');
    yield* real(kind, source, o);
  })();

/** Options of `resolve`. */
export type ResolveOptions = {
  /** A treefile path, or an already loaded treefile. */
  treefile: string | Treefile;
  /** Where repository metadata is cached (`<cacheDir>/metadata`). */
  cacheDir: string;
  /** Unix seconds, for Valid-Until; the caller's clock (the library reads none). */
  now: number;
  signal?: AbortSignal;
  reporter?: (event: LoadEvent) => void;
};

/** What `resolve` found: the lockfile (packages sorted), or the problems that prevent one. */
export type ResolveResult = {
  treefile: Treefile;
  lockfile: Lockfile;
  /** Problems; when non-empty, lockfile.packages is empty. */
  problems: Problem[];
  /** Sum of the package file sizes, bytes. */
  downloadSize: number;
  stats: SolveResult['stats'];
};

function lockedPackage(repo: LoadedRepo, r: PackageRecord): LockedPackage {
  if (r.kind === 'rpm') {
    return {
      kind: 'rpm',
      name: r.name,
      evr: `${r.epoch > 0 ? `${r.epoch}:` : ''}${r.version}-${r.release}`,
      arch: r.arch,
      repo: repo.id,
      location: locationUrl(repo.packageBaseUrl, r.location, r.locationBase),
      size: r.size,
      digest: `${r.digest.algo}:${r.digest.hex}`,
    };
  }
  return { kind: 'deb', name: r.name, evr: r.version, arch: r.arch, repo: repo.id, location: locationUrl(repo.packageBaseUrl, r.location), size: r.size, digest: `sha256:${r.digest.hex}` };
}

/** Resolves a treefile's package set against its repositories. */
export async function resolve(opts: ResolveOptions): Promise<ResolveResult> {
  const treefile = typeof opts.treefile === 'string' ? await loadTreefile(opts.treefile, opts.signal === undefined ? {} : { signal: opts.signal }) : opts.treefile;
  const sources: RepoSource[] = treefile.repos;
  const loaded = await loadRepos(sources, {
    arch: treefile.arch,
    ...(treefile.kind === 'deb' ? { foreignArchs: treefile.architectures } : {}),
    cacheDir: opts.cacheDir,
    now: opts.now,
    decompress,
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.reporter === undefined ? {} : { reporter: opts.reporter }),
  });
  const poolRepos: PoolRepo[] = loaded.map((r) => ({
    id: r.id,
    priority: r.source.priority,
    cost: r.source.kind === 'rpm-md' ? r.source.cost : 0,
    sources: r.indexes,
  }));
  const request: SolveRequest =
    treefile.kind === 'rpm'
      ? { policy: 'rpm', arch: treefile.arch, repos: poolRepos, install: treefile.packages, exclude: treefile.excludePackages, weakDeps: treefile.recommends, installonly: treefile.installonly, multilibPolicy: treefile.multilibPolicy }
      : {
          policy: 'deb',
          arch: treefile.arch,
          foreignArchs: treefile.architectures,
          repos: poolRepos,
          install: treefile.packages,
          exclude: treefile.excludePackages,
          weakDeps: treefile.recommends,
          ...(treefile.bootstrap === undefined ? {} : { bootstrap: treefile.bootstrap }),
        };
  let result = solve(request);
  // File dependencies outside primary's subset: read filelists.xml for exactly those paths
  // (libsolv's pool_addfileprovides, depsolve.md §2.5), then solve again.
  if (result.needFilelists.size > 0) {
    const withFiles: PoolRepo[] = [];
    for (const [i, repo] of poolRepos.entries()) {
      const paths = result.needFilelists.get(repo.id);
      const l = loaded[i];
      if (paths === undefined || paths.size === 0 || l === undefined) {
        withFiles.push(repo);
        continue;
      }
      const fileProviders = await loadFileProviders(l, paths, { cacheDir: opts.cacheDir, decompress, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
      for (const p of paths) if (!fileProviders.has(p)) fileProviders.set(p, []);
      withFiles.push({ ...repo, fileProviders });
    }
    result = solve({ ...request, repos: withFiles });
  }
  const byId = new Map(loaded.map((r) => [r.id, r]));
  const packages = result.problems.length > 0 ? [] : result.packages.map((p) => lockedPackage(byId.get(p.repo) ?? (loaded[0] as LoadedRepo), p.record)).sort(compareLockedPackages);
  const lockfile: Lockfile = {
    version: 1,
    ref: treefile.ref,
    arch: treefile.arch,
    repos: loaded.map((r) => ({ id: r.id, kind: r.kind, baseurl: r.source.baseurl, revision: r.revision })),
    packages,
  };
  return { treefile, lockfile, problems: result.problems, downloadSize: packages.reduce((n, p) => n + p.size, 0), stats: result.stats };
}
