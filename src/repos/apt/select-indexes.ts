// Which Packages files to fetch for an apt source, read from its signed Release (depsolve.md
// §4.6): one per component × architecture, each pinned by size and SHA256, with the variants
// (compressions) to try in order and their by-hash paths. Pure: load.ts does the fetching.
import { FormatError, NotFoundError } from '../../core/index.js';
import type { MetadataCompression, Release, ReleaseFile } from '../types.js';

/** One way to fetch an index: a path relative to `dists/<suite>/` and what it must hash to. */
export type IndexAttempt = {
  /** Path relative to `dists/<suite>/` (a by-hash path when `byHash`). */
  path: string;
  /** The Release path this attempt stands for (`main/binary-amd64/Packages.gz`). */
  listed: string;
  compression: MetadataCompression;
  size: number;
  /** Digest algorithm and lowercase hex the signed Release gives for `listed`. */
  algo: 'sha256' | 'sha512';
  hex: string;
  /** True for `<dir>/by-hash/<ALGO>/<hex>` (Acquire-By-Hash); its fallback is the next attempt. */
  byHash: boolean;
};

/** One Packages index to load: its identity and the attempts, best first. */
export type IndexTarget = {
  component: string;
  arch: string;
  /** `main/binary-amd64/Packages`: the uncompressed path, for messages and events. */
  name: string;
  /**
   * What the index's content is pinned by, the same whichever variant gets fetched: the
   * digest of the uncompressed file when the Release lists it, else that of the first variant.
   */
  contentDigest: string;
  attempts: IndexAttempt[];
};

/** A component × architecture the configuration asks for but the Release does not list. */
export type SkippedIndex = { name: string; reason: string };

/** What selectAptIndexes chose. */
export type IndexSelection = { targets: IndexTarget[]; skipped: SkippedIndex[] };

/** Variants by extension; lz4 and lzma are left out (no decoder), as is anything unknown. */
const VARIANTS: Record<string, MetadataCompression> = { '': 'none', '.gz': 'gzip', '.xz': 'xz', '.zst': 'zstd', '.bz2': 'bzip2' };

/**
 * Variant order. Measured on bookworm main amd64 (50 MB Packages; README of load.ts): reading
 * the plain file is cheapest when it is local; over the network gzip wins: node's zlib
 * inflates the 12 MB .gz on libuv's thread pool in ~0.45 s, xz takes ~0.75 s of CPU for the
 * 8.8 MB .xz and on a two-core machine competes with the parser; the 3.3 MB saved transfer
 * matters less than that on any link faster than ~10 MB/s. Debian lists the plain Packages in
 * Release but does not publish it on mirrors, so over http it comes last (a 404 moves on).
 */
const ORDER_LOCAL = ['', '.gz', '.xz', '.zst', '.bz2'];
const ORDER_REMOTE = ['.gz', '.xz', '.zst', '.bz2', ''];

/** The strongest digest apt would verify `f` with (§4.6); MD5-only entries are not used. */
function strongest(f: ReleaseFile): { algo: 'sha256' | 'sha512'; hex: string } | undefined {
  if (f.sha512 !== undefined) return { algo: 'sha512', hex: f.sha512 };
  if (f.sha256 !== undefined) return { algo: 'sha256', hex: f.sha256 };
  return undefined;
}

/** The attempts for `<component>/binary-<arch>/Packages`, or undefined when none is listed. */
function attemptsFor(release: Release, name: string, local: boolean): { attempts: IndexAttempt[]; contentDigest: string } | undefined {
  const attempts: IndexAttempt[] = [];
  const dir = name.slice(0, name.lastIndexOf('/'));
  for (const ext of local ? ORDER_LOCAL : ORDER_REMOTE) {
    const listed = name + ext;
    const f = release.files.get(listed);
    const compression = VARIANTS[ext];
    if (f === undefined || compression === undefined) continue;
    const d = strongest(f);
    if (d === undefined) continue;
    const base = { listed, compression, size: f.size, algo: d.algo, hex: d.hex };
    // by-hash (apt's Acquire-By-Hash): the path that cannot change under us while the mirror
    // updates; a mirror without it gets the plain path, as apt falls back (§4.6).
    if (release.acquireByHash) attempts.push({ ...base, path: `${dir}/by-hash/${d.algo.toUpperCase()}/${d.hex}`, byHash: true });
    attempts.push({ ...base, path: listed, byHash: false });
  }
  const first = attempts[0];
  if (first === undefined) return undefined;
  const plain = release.files.get(name);
  const pd = plain === undefined ? undefined : strongest(plain);
  return { attempts, contentDigest: pd === undefined ? `${first.algo}:${first.hex}` : `${pd.algo}:${pd.hex}` };
}

/**
 * The Packages indexes to load, in config order: for each component, the native `arch`, then
 * each foreign arch, then `all` — the latter only when the Release lists binary-all and does
 * not say `No-Support-for-Architecture-all: Packages` (then arch:all packages are in every
 * binary-ARCH index already, §4.6). A native index the Release does not list is a
 * NotFoundError naming the file (a wrong suite, component or arch in the config); a foreign
 * one is skipped and reported, as apt skips architectures a repo does not carry.
 * `local`: the source is a file:// URL (changes the variant order only).
 */
export function selectAptIndexes(release: Release, opts: { releaseFile: string; components: readonly string[]; arch: string; foreignArchs?: readonly string[]; local: boolean }): IndexSelection {
  const targets: IndexTarget[] = [];
  const skipped: SkippedIndex[] = [];
  const useAll = release.noSupportForArchitectureAll?.split(/\s+/).includes('Packages') !== true;
  const foreign = (opts.foreignArchs ?? []).filter((a, i, all) => a !== opts.arch && a !== 'all' && all.indexOf(a) === i);
  for (const component of opts.components) {
    const archs: { arch: string; required: boolean }[] = [{ arch: opts.arch, required: true }, ...foreign.map((arch) => ({ arch, required: false }))];
    if (useAll) archs.push({ arch: 'all', required: false });
    for (const { arch, required } of archs) {
      const name = `${component}/binary-${arch}/Packages`;
      const found = attemptsFor(release, name, opts.local);
      if (found !== undefined) {
        targets.push({ component, arch, name, ...found });
        continue;
      }
      // binary-all is optional: most archives do not publish it (or mark it unsupported).
      if (arch === 'all') continue;
      const listsAny = [...release.files.keys()].some((p) => p.startsWith(name));
      if (required && listsAny) throw new FormatError('deb822', `${name} is listed without a SHA256 or SHA512 digest (apt refuses MD5-only indexes)`, { file: opts.releaseFile });
      if (required) throw new NotFoundError(`${name} in ${opts.releaseFile} (components: ${release.components.join(' ') || '-'}; architectures: ${release.architectures.join(' ') || '-'})`);
      const why = listsAny ? `lists ${name} without a SHA256 or SHA512 digest` : `does not list ${name}`;
      skipped.push({ name, reason: `${opts.releaseFile} ${why}` });
    }
  }
  return { targets, skipped };
}
