// Names of the metadata cache's entries (load.ts keeps them under `<cacheDir>/metadata/`).
// Every name is a digest of what the entry was made from, so an entry can never describe other
// metadata than the one it is looked up for: an unchanged repo hits, a changed one misses, and
// nothing needs invalidating (the "unique md filenames" idea of rpm-md, depsolve.md §4.1). Pure.
import { createHash } from 'node:crypto';

/** Bumped when the way load.ts builds an index changes, so old entries are not reused. */
const INDEX_RECIPE = 'jigtree-package-index/1';

/** The cache's sub-directories. */
export const CACHE_DIRS = { index: 'index', verified: 'verified', plan: 'apt-plan', rpmmdPlan: 'rpmmd-plan', files: 'files', providers: 'file-providers' } as const;

/** sha256 over the parts, each prefixed with its length, so no two part lists collide. */
function digestOf(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const bytes = typeof p === 'string' ? new TextEncoder().encode(p) : p;
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(bytes.length));
    h.update(len).update(bytes);
  }
  return h.digest('hex');
}

/**
 * The package index built from one metadata file: its content digest (`sha256:<hex>`, as the
 * signed Release or repomd pins it), the repo id (records carry it) and the kind.
 */
export function indexCacheName(kind: 'rpm' | 'deb', repoId: string, contentDigest: string): string {
  return `${CACHE_DIRS.index}/${digestOf([INDEX_RECIPE, kind, repoId, contentDigest])}.idx`;
}

/**
 * The marker saying these exact signed bytes (InRelease; or Release + Release.gpg; or repomd.xml
 * + .asc) verified against this exact key file. Present = no need to load openpgp.js again.
 */
export function verifiedMarkerName(signed: readonly Uint8Array[], keyring: Uint8Array): string {
  return `${CACHE_DIRS.verified}/${digestOf(['jigtree-verified/1', ...signed, keyring])}`;
}

/**
 * What load.ts read from one apt (In)Release for one configuration (the indexes to fetch, their
 * digests, Valid-Until), so a warm run need not parse the 150 KiB Release again.
 */
export function aptPlanCacheName(release: Uint8Array, releaseFile: string, config: { components: readonly string[]; arch: string; foreignArchs: readonly string[]; local: boolean }): string {
  return `${CACHE_DIRS.plan}/${digestOf(['jigtree-apt-plan/1', release, releaseFile, config.components.join(' '), config.arch, config.foreignArchs.join(' '), config.local ? 'local' : 'remote'])}.json`;
}

/** What load.ts read from one repomd.xml (revision, primary and filelists refs) for one baseurl. */
export function rpmmdPlanCacheName(repomd: Uint8Array, baseurl: string): string {
  return `${CACHE_DIRS.rpmmdPlan}/${digestOf(['jigtree-rpmmd-plan/1', repomd, baseurl])}.json`;
}

/** A downloaded metadata file kept as is (rpm-md filelists), by its pinned digest. */
export function rawFileCacheName(algo: string, hex: string, compression: string): string {
  return `${CACHE_DIRS.files}/${algo}-${hex}.${compression}`;
}

/** The answer of loadFileProviders for one filelists file and one set of paths. */
export function fileProvidersCacheName(repoId: string, filelistsDigest: string, paths: Iterable<string>): string {
  return `${CACHE_DIRS.providers}/${digestOf(['jigtree-file-providers/1', repoId, filelistsDigest, ...[...paths].sort()])}.json`;
}

/** `sha256:<hex>` of some bytes (an (In)Release's revision). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
