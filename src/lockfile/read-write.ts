// The one I/O file of lockfile/: read, and write atomically (temp file in the same directory,
// fsync, rename), so a reader never sees half a lockfile, even after a crash.
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsError } from '../core/index.js';
import { formatLockfile, parseLockfile } from './format.js';
import type { Lockfile } from './types.js';

/** Reads and validates a lockfile (NotFoundError, IoError, FormatError('json') or ValidationError). */
export async function readLockfile(file: string): Promise<Lockfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fsError(file, err);
  }
  return parseLockfile(text, file);
}

/**
 * Writes a lockfile in its canonical form, replacing `file` atomically: the bytes go to a temp
 * file next to it, are synced, then renamed over it. An invalid lockfile is refused before
 * anything is written.
 */
export async function writeLockfile(file: string, lock: Lockfile): Promise<void> {
  const text = formatLockfile(lock);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fsError(file, err);
  }
  // Make the rename itself durable; some file systems cannot sync a directory, which is fine.
  const dh = await open(dir, 'r').catch(() => undefined);
  if (dh !== undefined) {
    await dh.sync().catch(() => undefined);
    await dh.close();
  }
}
