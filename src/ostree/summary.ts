/**
 * The repo `summary` file (ostree-format.md §3.4): every local ref with its commit's size,
 * timestamp and version, plus repo-level keys. Pull and `ostree remote refs` read it.
 */
import { stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsError } from '../core/index.js';
import { variant } from '../gvariant/index.js';
import { bswap64, decodeCommit, encodeSummary, lookupMetadata, type SummaryRef, type VariantDict } from './objects.js';
import { readMetadataObject } from './read.js';
import { listRefs, objectPath, writeFileAtomic, type Repo } from './repo.js';

/** Options for updateSummary. */
export interface UpdateSummaryOptions {
  /** `ostree.summary.last-modified`, seconds since the epoch (from the caller's clock). */
  readonly now: number;
}

/**
 * Regenerates `summary` atomically from refs/heads and removes a now-stale `summary.sig`
 * (ostree does the same: a signature over an old summary would fail verification).
 */
export async function updateSummary(repo: Repo, opts: UpdateSummaryOptions): Promise<{ refs: number; bytes: number }> {
  const refs: SummaryRef[] = [];
  for (const { name, commit } of await listRefs(repo)) {
    const bytes = await readMetadataObject(repo, 'commit', commit);
    const c = decodeCommit(bytes, objectPath(repo, 'commit', commit));
    const meta: [string, ReturnType<typeof variant>][] = [['ostree.commit.timestamp', variant('t', bswap64(BigInt(c.timestamp)))]];
    const version = lookupMetadata(c.metadata, 'version');
    if (version?.type === 's') meta.push(['ostree.commit.version', version]);
    // The commit size is stored little-endian (§1.9), unlike the timestamp.
    refs.push({ name, commitSize: bytes.length, checksum: commit, metadata: meta });
  }
  const core = repo.config.get('core');
  const metadata: VariantDict = [
    ['ostree.summary.mode', variant('s', repo.mode === 'archive' ? 'archive-z2' : repo.mode)],
    ['ostree.summary.last-modified', variant('t', bswap64(BigInt(opts.now)))],
    ['ostree.summary.tombstone-commits', variant('b', core?.get('tombstone-commits') === 'true')],
    ...(repo.collectionId === undefined ? [] : [['ostree.summary.collection-id', variant('s', repo.collectionId)] as const]),
  ];
  const bytes = encodeSummary({ refs, metadata });
  await writeFileAtomic(repo.path, path.join(repo.path, 'summary'), bytes);
  const sig = path.join(repo.path, 'summary.sig');
  if (await stat(sig).then(() => true, () => false)) await unlink(sig).catch((err: unknown) => {
    throw fsError(sig, err);
  });
  return { refs: refs.length, bytes: bytes.length };
}
