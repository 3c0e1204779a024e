import { FormatError } from '../../core/index.js';
import type { EntryFlags, FileDigest } from '../types.js';
import type { RpmHeader } from './header.js';
import { DIGEST_ALGOS, RPMFILE, TAG, UNSUPPORTED_DIGEST_ALGOS } from './tags.js';

/*
 * The file list of a main header (pure): the parallel per-file arrays (rpm lib/rpmfiles.c)
 * turned into one record per file, in header order, which rpmbuild sorts by path.
 *
 *   BASENAMES[i], DIRNAMES[DIRINDEXES[i]]  path (OLDFILENAMES[i] in rpm < 4.0 packages)
 *   FILEMODES[i]        st_mode, type bits included (u16)
 *   FILESIZES[i]        size (u32), or LONGFILESIZES[i] (u64) when any file is >= 4 GiB
 *   FILEMTIMES[i]       mtime
 *   FILEDIGESTS[i]      hex digest of regular files ("" otherwise), algorithm FILEDIGESTALGO
 *                       (PGPHASHALGO_*; absent means MD5, rpm < 4.6)
 *   FILELINKTOS[i]      symlink target ("" otherwise)
 *   FILEFLAGS[i]        RPMFILE_* (config, doc, ghost, ...)
 *   FILEUSERNAME[i], FILEGROUPNAME[i]   owner names (the header is authoritative)
 *   FILERDEVS[i]        device number (u16: major << 8 | minor)
 *   FILEDEVICES[i], FILEINODES[i]       identify hardlink sets
 *   FILECAPS[i]         capabilities in cap_from_text form ("" when none)
 */

/** File types an RPM can carry (S_IFMT of FILEMODES). */
export type RpmFileType = 'file' | 'dir' | 'symlink' | 'chardev' | 'blockdev' | 'fifo';

/** One file as the header describes it. */
export type RpmFile = {
  /** Position in the header's file arrays (the stripped cpio format refers to files by it). */
  index: number;
  path: string;
  /** Full st_mode as recorded, type bits included. */
  mode: number;
  type: RpmFileType;
  size: number;
  mtime: number;
  user: string | undefined;
  group: string | undefined;
  linkTarget: string | undefined;
  rdev: { major: number; minor: number } | undefined;
  /** Raw RPMFILE_* bits. */
  fileFlags: number;
  flags: EntryFlags;
  /** Recorded digest of a regular file; undefined when the header records none. */
  digest: FileDigest | undefined;
  caps: string | undefined;
  /** Indices of this file's hardlink set (ascending, itself included), or undefined. */
  links: readonly number[] | undefined;
};

/** The header's file list. */
export type RpmFileList = {
  files: RpmFile[];
  /** Absolute normalized path → index. */
  byPath: ReadonlyMap<string, number>;
  /** True when sizes come from LONGFILESIZES (rpm then writes the stripped cpio format). */
  longSizes: boolean;
  /** Set when FILEDIGESTALGO names an algorithm we cannot compute. */
  unsupportedDigestAlgo: { algo: number; name: string } | undefined;
};

const S_IFMT = 0o170000;
const FILE_TYPES: ReadonlyMap<number, RpmFileType> = new Map([
  [0o100000, 'file'], [0o040000, 'dir'], [0o120000, 'symlink'], [0o020000, 'chardev'],
  [0o060000, 'blockdev'], [0o010000, 'fifo'],
]);
const DIGEST_HEX_LENGTH: Readonly<Record<FileDigest['algo'], number>> = {
  md5: 32, sha1: 40, sha256: 64, sha384: 96, sha512: 128, sha224: 56,
};

/** The file type encoded in an st_mode, or undefined (sockets and unknown types). */
export function fileTypeOfMode(mode: number): RpmFileType | undefined {
  return FILE_TYPES.get(mode & S_IFMT);
}

/**
 * Checks that `path` is absolute and normalized (no empty, `.` or `..` segments) and returns
 * it; `/` itself is allowed. Anything else is a FormatError from `fail`.
 */
export function checkNormalizedPath(path: string, fail: (why: string) => FormatError): string {
  if (!path.startsWith('/')) throw fail(`path ${JSON.stringify(path)} is not absolute`);
  if (path === '/') return path;
  const segments = path.slice(1).split('/');
  for (const s of segments) {
    if (s === '..') throw fail(`path ${JSON.stringify(path)} contains ".." and would escape the tree`);
    if (s === '' || s === '.') throw fail(`path ${JSON.stringify(path)} is not normalized`);
  }
  return path;
}

/** Reads and validates the file list of a main header. */
export function readFileList(h: RpmHeader, file?: string): RpmFileList {
  const loc = file === undefined ? {} : { file };
  let paths: string[];
  let pathTag: number;
  const basenames = h.strings(TAG.BASENAMES);
  if (basenames !== undefined) {
    pathTag = TAG.BASENAMES;
    const dirnames = h.strings(TAG.DIRNAMES);
    const dirindexes = h.numbers(TAG.DIRINDEXES);
    if (dirnames === undefined || dirindexes === undefined) throw h.error(TAG.BASENAMES, 'present without DIRNAMES and DIRINDEXES');
    if (dirindexes.length !== basenames.length) {
      throw h.error(TAG.DIRINDEXES, `has ${dirindexes.length} elements, BASENAMES has ${basenames.length}`);
    }
    paths = basenames.map((base, i) => {
      const di = dirindexes[i] ?? 0;
      const dir = dirnames[di];
      if (dir === undefined) throw h.error(TAG.DIRINDEXES, `element ${i} is ${di}, but DIRNAMES has ${dirnames.length} entries`);
      if (!dir.startsWith('/') || !dir.endsWith('/')) throw h.error(TAG.DIRNAMES, `entry ${di} ${JSON.stringify(dir)} must start and end with "/"`);
      if (base.includes('/')) throw h.error(TAG.BASENAMES, `entry ${i} ${JSON.stringify(base)} contains "/"`);
      // rpm stores "/" itself as dirname "/" with an empty basename.
      return base === '' && dir === '/' ? '/' : dir + base;
    });
  } else {
    pathTag = TAG.OLDFILENAMES;
    paths = h.strings(TAG.OLDFILENAMES) ?? [];
  }
  const n = paths.length;
  const perFile = <T>(tag: number, values: T[] | undefined): T[] | undefined => {
    if (values !== undefined && values.length !== n) throw h.error(tag, `has ${values.length} elements for ${n} files`);
    return values;
  };
  const modes = perFile(TAG.FILEMODES, h.numbers(TAG.FILEMODES));
  const longSizes = perFile(TAG.LONGFILESIZES, h.numbers(TAG.LONGFILESIZES));
  const sizes = longSizes ?? perFile(TAG.FILESIZES, h.numbers(TAG.FILESIZES));
  if (n > 0 && (modes === undefined || sizes === undefined)) {
    throw h.error(pathTag, `lists ${n} files but ${modes === undefined ? 'FILEMODES' : 'FILESIZES'} is missing`);
  }
  const mtimes = perFile(TAG.FILEMTIMES, h.numbers(TAG.FILEMTIMES));
  const digests = perFile(TAG.FILEDIGESTS, h.strings(TAG.FILEDIGESTS));
  const linktos = perFile(TAG.FILELINKTOS, h.strings(TAG.FILELINKTOS));
  const fflags = perFile(TAG.FILEFLAGS, h.numbers(TAG.FILEFLAGS));
  const users = perFile(TAG.FILEUSERNAME, h.strings(TAG.FILEUSERNAME));
  const groups = perFile(TAG.FILEGROUPNAME, h.strings(TAG.FILEGROUPNAME));
  const rdevs = perFile(TAG.FILERDEVS, h.numbers(TAG.FILERDEVS));
  const devices = perFile(TAG.FILEDEVICES, h.numbers(TAG.FILEDEVICES));
  const inodes = perFile(TAG.FILEINODES, h.numbers(TAG.FILEINODES));
  const caps = perFile(TAG.FILECAPS, h.strings(TAG.FILECAPS));

  // rpm < 4.6 had no FILEDIGESTALGO and always used MD5 (rpmfiles.c).
  const algoNumber = h.number(TAG.FILEDIGESTALGO) ?? 1;
  const algo = DIGEST_ALGOS.get(algoNumber);
  const unsupportedDigestAlgo = algo === undefined
    ? { algo: algoNumber, name: UNSUPPORTED_DIGEST_ALGOS.get(algoNumber) ?? `algorithm ${algoNumber}` }
    : undefined;

  const files: RpmFile[] = [];
  const byPath = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const path = checkNormalizedPath(paths[i] ?? '', (why) => h.error(pathTag, `file ${i}: ${why}`));
    if (byPath.has(path)) throw h.error(pathTag, `file ${i}: ${JSON.stringify(path)} is listed twice`);
    byPath.set(path, i);
    const mode = modes?.[i] ?? 0;
    const type = fileTypeOfMode(mode);
    if (type === undefined) throw h.error(TAG.FILEMODES, `file ${JSON.stringify(path)}: unsupported file type in mode 0${mode.toString(8)}`);
    const bits = fflags?.[i] ?? 0;
    const ghost = (bits & RPMFILE.GHOST) !== 0;
    let linkTarget: string | undefined;
    if (type === 'symlink') {
      linkTarget = linktos?.[i] ?? '';
      if (linkTarget === '') throw h.error(TAG.FILELINKTOS, `symlink ${JSON.stringify(path)} has no target`);
    }
    let digest: FileDigest | undefined;
    const hexDigest = digests?.[i] ?? '';
    if (type === 'file' && hexDigest !== '' && algo !== undefined) {
      const lower = hexDigest.toLowerCase();
      if (lower.length !== DIGEST_HEX_LENGTH[algo] || !/^[0-9a-f]+$/.test(lower)) {
        throw h.error(TAG.FILEDIGESTS, `file ${JSON.stringify(path)}: ${JSON.stringify(hexDigest)} is not a ${algo} hex digest`);
      }
      digest = { algo, hex: lower };
    }
    const rdev = rdevs?.[i] ?? 0;
    files.push({
      index: i,
      path,
      mode,
      type,
      size: sizes?.[i] ?? 0,
      mtime: mtimes?.[i] ?? 0,
      user: users?.[i],
      group: groups?.[i],
      linkTarget,
      // FILERDEVS is a 16-bit old-style dev_t: major in the high byte, minor in the low byte.
      rdev: type === 'chardev' || type === 'blockdev' ? { major: (rdev >> 8) & 0xff, minor: rdev & 0xff } : undefined,
      fileFlags: bits,
      flags: {
        config: (bits & RPMFILE.CONFIG) !== 0,
        doc: (bits & RPMFILE.DOC) !== 0,
        ghost,
        license: (bits & RPMFILE.LICENSE) !== 0,
        noreplace: (bits & RPMFILE.NOREPLACE) !== 0,
        missingok: (bits & RPMFILE.MISSINGOK) !== 0,
        readme: (bits & RPMFILE.README) !== 0,
        artifact: (bits & RPMFILE.ARTIFACT) !== 0,
      },
      digest,
      caps: caps?.[i] === '' ? undefined : caps?.[i],
      links: undefined,
    });
  }

  // Hardlink sets: regular, non-ghost files sharing (FILEDEVICES, FILEINODES), as rpmfiles.c
  // builds them; members must agree on size since they share one content.
  if (devices !== undefined && inodes !== undefined) {
    const sets = new Map<string, number[]>();
    for (const f of files) {
      if (f.type !== 'file' || f.flags.ghost) continue;
      const key = `${devices[f.index] ?? 0}:${inodes[f.index] ?? 0}`;
      const set = sets.get(key);
      if (set === undefined) sets.set(key, [f.index]);
      else set.push(f.index);
    }
    for (const set of sets.values()) {
      if (set.length < 2) continue;
      const frozen = Object.freeze(set);
      const first = files[frozen[0] ?? 0];
      for (const i of frozen) {
        const f = files[i];
        if (f === undefined || first === undefined) continue;
        if (f.size !== first.size) {
          throw new FormatError('rpm-header', `hardlinked files ${JSON.stringify(first.path)} and ${JSON.stringify(f.path)} have different sizes (${first.size} and ${f.size})`, { ...loc, offset: h.range.start });
        }
        f.links = frozen;
      }
    }
  }
  return { files, byPath, longSizes: longSizes !== undefined, unsupportedDigestAlgo };
}
