// The download cache (architecture.md glossary: "downloaded packages, keyed by Digest"), shared by
// every compose that uses the same cache dir:
//   <cacheDir>/packages/<algo>/<hex[0..2]>/<hex>   a verified package; only ever appears by rename
//   <cacheDir>/packages/partial/<hex>.part          an unfinished download, resumed with Range
// A final name is created only by renaming a .part whose size and digest were checked and whose
// data was fsynced, so a kill at any point leaves no final file or a complete verified one (the
// ostree rule "tmp then rename", convention 7). pnpm's store and apt's partial/ work the same way.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsError, UsageError } from '../core/index.js';

/** A parsed package digest. */
export type PackageDigest = { algo: 'sha256' | 'sha512'; hex: string };

const DIGEST = /^(sha256):([0-9a-f]{64})$|^(sha512):([0-9a-f]{128})$/;

/** Parses the lockfile digest form (`sha256:<64 hex>` | `sha512:<128 hex>`, lowercase). */
export function parseDigest(digest: string, what = 'package'): PackageDigest {
  const m = DIGEST.exec(digest);
  const algo = m?.[1] ?? m?.[3];
  const hex = m?.[2] ?? m?.[4];
  if ((algo !== 'sha256' && algo !== 'sha512') || hex === undefined) {
    throw new UsageError(`${what}: expected a digest "sha256:" and 64 lowercase hex digits (or "sha512:" and 128), got ${JSON.stringify(digest)}`);
  }
  return { algo, hex };
}

/** Where the verified package with `digest` lives: `<cacheDir>/packages/<algo>/<hex[0..2]>/<hex>`. */
export function cachedPackagePath(cacheDir: string, digest: string): string {
  const d = parseDigest(digest);
  return path.join(path.resolve(cacheDir), 'packages', d.algo, d.hex.slice(0, 2), d.hex);
}

/** Where an unfinished download of `digest` lives (one name per digest, so a rerun resumes it). */
export function partialPackagePath(cacheDir: string, digest: string): string {
  return path.join(path.resolve(cacheDir), 'packages', 'partial', `${parseDigest(digest).hex}.part`);
}

/** A new hash for the digest's algorithm. */
export function digestHash(d: PackageDigest): Hash {
  return createHash(d.algo);
}

/** Feeds a file's bytes to `hash` (streaming; a package may be hundreds of MB); returns its length. */
export async function hashFileInto(file: string, hash: Hash, signal: AbortSignal): Promise<number> {
  let n = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024, signal })) {
      const b = chunk as Buffer;
      hash.update(b);
      n += b.length;
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw fsError(file, err);
  }
  return n;
}

/** The size of a regular file, or undefined when there is none. */
export async function fileSize(file: string): Promise<number | undefined> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(file, err);
  }
}

/** Removes a file; a missing one is fine. */
export async function removeFile(file: string): Promise<void> {
  try {
    await fs.rm(file, { force: true });
  } catch (err) {
    throw fsError(file, err);
  }
}

/** fsyncs a verified .part and renames it to its final name (replacing nothing but itself). */
export async function commitPart(part: string, final: string): Promise<void> {
  try {
    const fh = await fs.open(part, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.rename(part, final);
  } catch (err) {
    throw fsError(final, err);
  }
}
