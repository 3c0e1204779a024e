import { createHash, type Hash } from 'node:crypto';
import type { ByteReader } from '../../core/index.js';
import { FormatError, IntegrityError, JigtreeError } from '../../core/index.js';
import type { ArchiveEntry, EntryBody, FileDigest } from '../types.js';
import { cpioNameToPath, readCpioEnd, readCpioHeader, type CpioHeader } from './cpio.js';
import { checkNormalizedPath, type RpmFile, type RpmFileList } from './files.js';

/*
 * Merges the cpio payload with the header's file list into ArchiveEntry records
 * (rpm lib/rpmfi.c iterReadArchiveNext is the reference for what the payload must contain).
 *
 * Order. Entries come in payload order, which is header order (sorted by path) except that rpm
 * writes every hardlink set after all other files (rpmfi.c iterWriteArchiveNextFile). Yielding
 * strictly in header order would mean holding the content of every hardlink set in memory, so
 * we do not; %ghost files (never in the payload) are yielded at their header position relative
 * to the others. The order is a function of the package bytes alone, so `pkg ls` is stable.
 *
 * Hardlinks. rpm stores a hardlink set's content once, on the cpio record of the set's LAST
 * member in header order; the other members' records have size 0. We report the set's FIRST
 * member in header order (lowest path) as the `file` entry that carries the body, digest and
 * size, and every other member as `type: 'hardlink'` with `linkTarget` = that first path, size
 * 0, no body, each with its own mode/owner/flags from the header. Why the first, not the
 * member rpm happened to write the bytes on:
 *  - a `hardlink` entry always refers to an entry yielded before it (the tar rule the .deb
 *    reader follows too), so an importer into a content-addressed repo stores the body once and
 *    links the others to the object it just wrote, with no forward references;
 *  - the choice depends only on the sorted file list, not on rpm's payload writer, so it is the
 *    same for newc and stripped payloads and for any rpm version;
 *  - `pkg ls` compared with `rpm -qp --dump` lists every path; the hardlink entries carry the
 *    header digest so they can be checked, and `rpm2cpio | cpio -idm` extracts every member with
 *    the full content, which is the target's content.
 *
 * Integrity: each regular body is hashed with FILEDIGESTALGO while it streams and compared with
 * FILEDIGESTS before its last chunk is handed out; sizes come from the header and the cpio
 * sizes must agree; symlink data must equal FILELINKTOS. A body the consumer leaves unread is
 * drained (and still verified) before the next entry.
 */

/** Where errors are reported and how iteration is cancelled. */
export type PayloadContext = { file: string; signal?: AbortSignal | undefined };

/** Longest symlink target we read from a payload (Linux PATH_MAX is 4096). */
const MAX_SYMLINK_TARGET = 64 * 1024;
const S_IFMT = 0o170000;
const utf8 = new TextDecoder('utf-8');

/**
 * A regular file's content, streamed from the cpio reader as views of decompressed chunks and
 * verified against the header digest.
 */
class PayloadBody implements EntryBody {
  private readonly r: ByteReader;
  private readonly size: number;
  private readonly digest: FileDigest | undefined;
  private readonly ctx: PayloadContext;
  private readonly path: string;
  private remaining: number;
  private readonly hash: Hash | undefined;
  private failure: IntegrityError | undefined;
  private verified = false;

  constructor(r: ByteReader, size: number, digest: FileDigest | undefined, ctx: PayloadContext, path: string) {
    this.r = r;
    this.size = size;
    this.digest = digest;
    this.ctx = ctx;
    this.path = path;
    this.remaining = size;
    this.hash = digest === undefined ? undefined : createHash(digest.algo);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.failure !== undefined) throw this.failure;
    if (this.remaining === 0) {
      this.finish();
      return;
    }
    for await (const chunk of this.r.stream(this.remaining, `content of ${this.path}`)) {
      this.remaining -= chunk.length;
      this.hash?.update(chunk);
      // Verify before handing out the last chunk, so a consumer never completes a bad file.
      if (this.remaining === 0) this.finish();
      yield chunk;
    }
  }

  async drain(): Promise<void> {
    for await (const _ of this) {
      // hashed and verified by the iterator
    }
  }

  private finish(): void {
    if (this.verified) return;
    this.verified = true;
    const expected = this.digest;
    if (expected === undefined || this.hash === undefined) {
      this.failure = new IntegrityError(`${this.ctx.file}: ${this.path}: content`, 'a digest in FILEDIGESTS', 'none recorded', {
        data: { file: this.ctx.file, path: this.path },
      });
      throw this.failure;
    }
    const actual = this.hash.digest('hex');
    // rpm accepts an all-zero MD5 for empty files written by old rpm (rpmfi.c).
    const legacyEmpty = this.size === 0 && expected.algo === 'md5' && /^0+$/.test(expected.hex);
    if (actual !== expected.hex && !legacyEmpty) {
      this.failure = new IntegrityError(`${this.ctx.file}: ${this.path}: ${expected.algo} digest`, expected.hex, actual, {
        data: { file: this.ctx.file, path: this.path, algo: expected.algo },
      });
      throw this.failure;
    }
  }
}

/** The entry for a header record, without a body. */
function entryOf(f: RpmFile): ArchiveEntry {
  return {
    path: f.path,
    type: f.type,
    mode: f.mode & 0o7777,
    user: f.user,
    group: f.group,
    // cpio uid/gid are the build host's lookup of the names (or 0); only the names mean anything.
    uid: undefined,
    gid: undefined,
    size: f.type === 'file' ? f.size : 0,
    mtime: f.mtime,
    linkTarget: f.linkTarget,
    rdev: f.rdev,
    xattrs: [],
    caps: f.caps,
    flags: f.flags,
    digest: f.digest,
    body: undefined,
  };
}

/** Bytes rpm puts in the payload for file `f` (rpmfi.c rpmfiArchiveWriteHeader/rpmfiStat). */
export function payloadSize(f: RpmFile): number {
  switch (f.type) {
    case 'file':
      // Only the last member of a hardlink set carries the content.
      return f.links !== undefined && f.links[f.links.length - 1] !== f.index ? 0 : f.size;
    case 'symlink':
      return f.size;
    case 'dir':
    case 'chardev':
    case 'blockdev':
    case 'fifo':
      return 0;
  }
}

/**
 * Reads the cpio archive from `cpio` (the decompressed payload) and yields one entry per header
 * file (see the order rules above), then checks that nothing is missing and nothing follows the
 * trailer.
 */
export async function* readPayloadEntries(cpio: ByteReader, list: RpmFileList, ctx: PayloadContext): AsyncGenerator<ArchiveEntry, void, undefined> {
  const { files } = list;
  const seen = new Uint8Array(files.length);
  const ghosts = files.filter((f) => f.flags.ghost).map((f) => f.index);
  let nextGhost = 0;
  // Per hardlink set (keyed by its first member): whether the carrier was yielded, and the
  // members whose records arrived before it.
  const carried = new Set<number>();
  const waiting = new Map<number, number[]>();
  let flavour: 'newc' | 'stripped' | undefined;
  let trailerOffset = 0;

  const fail = (message: string, offset: number): FormatError => new FormatError('cpio', `${message} (offset in the decompressed payload)`, { offset, file: ctx.file });

  function* ghostsBefore(index: number): Generator<ArchiveEntry> {
    while (nextGhost < ghosts.length && (ghosts[nextGhost] ?? 0) < index) {
      const g = files[ghosts[nextGhost] ?? 0];
      nextGhost++;
      if (g !== undefined) yield entryOf(g);
    }
  }
  const hardlinkTo = (f: RpmFile, carrier: RpmFile): ArchiveEntry => ({ ...entryOf(f), type: 'hardlink', size: 0, linkTarget: carrier.path });

  for (;;) {
    ctx.signal?.throwIfAborted();
    const h: CpioHeader = await readCpioHeader(cpio);
    if (h.kind === 'trailer') {
      trailerOffset = h.offset;
      break;
    }
    if (flavour === undefined) flavour = h.kind;
    else if (flavour !== h.kind) throw fail(`a ${h.kind} cpio header in a ${flavour} archive`, h.offset);

    // Which header record is this?
    let fx: number;
    if (h.kind === 'stripped') {
      fx = h.index;
      if (fx >= files.length) throw fail(`stripped cpio entry refers to file ${fx}, but the header lists ${files.length} files`, h.offset);
    } else {
      const path = checkNormalizedPath(cpioNameToPath(h.name), (why) => fail(`cpio entry ${JSON.stringify(h.name)}: ${why}`, h.offset));
      const found = list.byPath.get(path);
      if (found === undefined) throw fail(`payload entry ${JSON.stringify(path)} is not listed in the header`, h.offset);
      fx = found;
    }
    const f = files[fx];
    if (f === undefined) throw fail(`no header record ${fx}`, h.offset);
    if (f.flags.ghost) {
      // rpm < 4.11 sometimes put %ghost files in the payload; rpm skips them (rpmfi.c).
      if (h.kind === 'stripped') throw fail(`%ghost file ${JSON.stringify(f.path)} has a payload entry`, h.offset);
      await cpio.skip(h.fileSize, `data of %ghost file ${f.path}`);
      continue;
    }
    if (seen[fx] === 1) throw fail(`${JSON.stringify(f.path)} appears twice in the payload`, h.offset);
    seen[fx] = 1;

    const size = payloadSize(f);
    if (h.kind === 'newc') {
      if ((h.mode & S_IFMT) !== (f.mode & S_IFMT)) {
        throw fail(`${JSON.stringify(f.path)}: payload mode 0${h.mode.toString(8)} and header mode 0${f.mode.toString(8)} disagree on the file type`, h.offset);
      }
      if (h.fileSize !== size) {
        throw new IntegrityError(`${ctx.file}: ${f.path}: size in the payload`, String(size), String(h.fileSize), {
          data: { file: ctx.file, path: f.path, offset: h.offset },
        });
      }
    }

    switch (f.type) {
      case 'symlink': {
        if (size > MAX_SYMLINK_TARGET) throw fail(`symlink ${JSON.stringify(f.path)} has a ${size}-byte target`, h.offset);
        const target = utf8.decode(await cpio.read(size, `symlink target of ${f.path}`));
        if (target !== f.linkTarget) {
          throw new IntegrityError(`${ctx.file}: ${f.path}: symlink target in the payload`, JSON.stringify(f.linkTarget), JSON.stringify(target), {
            data: { file: ctx.file, path: f.path },
          });
        }
        yield* ghostsBefore(fx);
        ctx.signal?.throwIfAborted();
        yield entryOf(f);
        break;
      }
      case 'file': {
        const set = f.links;
        if (set === undefined) {
          yield* ghostsBefore(fx);
          const body = new PayloadBody(cpio, size, f.digest, ctx, f.path);
          ctx.signal?.throwIfAborted();
          yield { ...entryOf(f), body };
          await body.drain();
          break;
        }
        const carrier = files[set[0] ?? fx] ?? f;
        const last = set[set.length - 1];
        if (fx === last) {
          // The content: verify it against every digest the set records (they must agree).
          yield* ghostsBefore(carrier.index);
          const digests = new Set(set.map((i) => files[i]?.digest?.hex));
          if (digests.size > 1) {
            throw new IntegrityError(`${ctx.file}: hardlink set of ${carrier.path}: digests`, 'one digest for all members', [...digests].join(', '), {
              data: { file: ctx.file, path: carrier.path },
            });
          }
          const body = new PayloadBody(cpio, size, carrier.digest, ctx, carrier.path);
          ctx.signal?.throwIfAborted();
          yield { ...entryOf(carrier), body };
          await body.drain();
          carried.add(carrier.index);
          const queued = waiting.get(carrier.index) ?? [];
          waiting.delete(carrier.index);
          for (const i of [...queued, fx]) {
            const m = files[i];
            if (m === undefined || i === carrier.index) continue;
            ctx.signal?.throwIfAborted();
            yield hardlinkTo(m, carrier);
          }
        } else if (fx !== carrier.index) {
          if (carried.has(carrier.index)) {
            ctx.signal?.throwIfAborted();
            yield hardlinkTo(f, carrier);
          } else {
            const q = waiting.get(carrier.index) ?? [];
            q.push(fx);
            waiting.set(carrier.index, q);
          }
        }
        break;
      }
      case 'dir':
      case 'chardev':
      case 'blockdev':
      case 'fifo':
        yield* ghostsBefore(fx);
        ctx.signal?.throwIfAborted();
        yield entryOf(f);
        break;
    }
  }

  const missing = files.find((f) => !f.flags.ghost && seen[f.index] !== 1);
  if (missing !== undefined) {
    const count = files.filter((f) => !f.flags.ghost && seen[f.index] !== 1).length;
    throw fail(`the header lists ${JSON.stringify(missing.path)}${count > 1 ? ` and ${count - 1} more files` : ''} but the payload has no entry for it`, trailerOffset);
  }
  yield* ghostsBefore(Number.POSITIVE_INFINITY);
  await readCpioEnd(cpio);
}

/** True for the errors bad input produces (as opposed to aborts and bugs). */
export function isInputError(err: unknown): boolean {
  return err instanceof JigtreeError && (err.code === 'E_FORMAT' || err.code === 'E_INTEGRITY');
}
