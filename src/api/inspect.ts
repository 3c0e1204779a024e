import { createHash } from 'node:crypto';
import { openPackage, type ArchiveEntry, type DecoderPreference, type EntryFlags, type OpenedPackage, type PackageInfo } from '../unpack/index.js';

/** Options of the inspect API. */
export type InspectOptions = { signal?: AbortSignal; decoders?: DecoderPreference };

/** One package entry as `jigtree pkg ls` lists it (JSON-safe). */
export type ListedEntry = {
  path: string;
  type: ArchiveEntry['type'];
  /** Permission bits incl. setuid/setgid/sticky, 4-digit octal (`0755`, `4755`). */
  mode: string;
  user?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size: number;
  /** Regular files with content (not %ghost), and hardlinks to them (resolved: the target's). */
  sha256?: string;
  /** Symlink target, or the path a hardlink points to. */
  target?: string;
  /** The set flags by name: config, doc, ghost, license, ... */
  flags: (keyof EntryFlags)[];
  caps?: string;
  /** Extended attributes, values base64. */
  xattrs?: Record<string, string>;
};

/** `jigtree pkg info`: the package's metadata, plus format details (RPM lead/header ranges, deb control). */
export async function inspectPackage(file: string, opts: InspectOptions = {}): Promise<{ info: PackageInfo; details: OpenedPackage }> {
  const pkg = await openPackage(file, opts);
  await pkg.close();
  return { info: pkg.info, details: pkg };
}

/**
 * `jigtree pkg ls`: every entry in package order with its content hashed while it streams
 * (the reader verifies the package's own digests at the same time). Hardlinks carry no payload
 * of their own; they are listed with their target's size and sha256.
 */
export async function* listPackage(file: string, opts: InspectOptions = {}): AsyncGenerator<ListedEntry> {
  // Reader errors name the package file themselves (FormatError.file), so no prefix here.
  const pkg = await openPackage(file, opts);
  // A hardlink's content is its target's (always listed before it): report it resolved.
  const files = new Map<string, { size: number; sha256: string }>();
  try {
    for await (const e of pkg.entries()) {
      opts.signal?.throwIfAborted();
      let sha256: string | undefined;
      let size = e.size;
      if (e.body !== undefined) {
        const h = createHash('sha256');
        for await (const chunk of e.body) h.update(chunk);
        if (e.type === 'file') sha256 = h.digest('hex');
      }
      if (e.type === 'file' && sha256 !== undefined) files.set(e.path, { size, sha256 });
      if (e.type === 'hardlink' && e.linkTarget !== undefined) {
        const target = files.get(e.linkTarget);
        if (target !== undefined) ({ size, sha256 } = target);
      }
      yield toListed(e, size, sha256);
    }
  } finally {
    await pkg.close();
  }
}

function toListed(e: ArchiveEntry, size: number, sha256: string | undefined): ListedEntry {
  const flags = (Object.keys(e.flags) as (keyof EntryFlags)[]).filter((k) => e.flags[k]).sort();
  return {
    path: e.path,
    type: e.type,
    mode: e.mode.toString(8).padStart(4, '0'),
    ...(e.user === undefined ? {} : { user: e.user }),
    ...(e.group === undefined ? {} : { group: e.group }),
    ...(e.uid === undefined ? {} : { uid: e.uid }),
    ...(e.gid === undefined ? {} : { gid: e.gid }),
    size,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(e.linkTarget === undefined ? {} : { target: e.linkTarget }),
    flags,
    ...(e.caps === undefined ? {} : { caps: e.caps }),
    ...(e.xattrs.length === 0 ? {} : { xattrs: Object.fromEntries(e.xattrs.map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }),
  };
}
