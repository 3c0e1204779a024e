/*
 * A generated source tree that exercises every corner of `ostree commit` (ostree-format.md §4),
 * and a tree comparison for checkout round trips (§5.4). Everything is deterministic: modes are
 * set with chmod (umask does not matter), owners with (l)chown, pseudo-random bytes come from a
 * fixed-seed generator, so the same call gives the same commit checksum on any machine.
 * Needs root (chown to other ids, trusted.* xattrs, setuid bits).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';

/** What makeSourceTree created, for tests that want to look at particular entries. */
export type SourceTreeInfo = {
  /** The tree's root directory (the `dir` argument). */
  root: string;
  /** Every entry below the root as `/a/b`, sorted by UTF-8 byte order. */
  paths: string[];
  /** Groups of paths that are hard links to one inode. */
  hardlinks: string[][];
  /** Whether xattrs were set. */
  xattrs: boolean;
  /** Paths (`/a/b`, root is `/`) that carry xattrs, with the names set on each. */
  xattrPaths: Record<string, string[]>;
  /** The directory with `bigDirEntries` files. */
  bigDir: string;
};

/** Options of makeSourceTree. */
export type SourceTreeOptions = {
  /** Set xattrs (user.*, trusted.*) on files, directories and a symlink (default true). */
  xattrs?: boolean;
  /** Number of files in `/many` (default 3000: dirtree framing offsets need 4 bytes, §1.3). */
  bigDirEntries?: number;
};

/** A small seeded generator (mulberry32): the same seed gives the same bytes everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` pseudo-random bytes from `seed`. */
export function seededBytes(seed: number, n: number): Buffer {
  const next = seededRandom(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** Alternating 64 KiB chunks of pseudo-random and highly compressible bytes, `n` bytes long. */
export function mixedBytes(seed: number, n: number): Buffer {
  const chunk = 64 * 1024;
  const text = Buffer.from('jigtree compressible line 0123456789 abcdefghijklmnopqrstuvwxyz\n');
  const out = Buffer.alloc(n);
  for (let off = 0, i = 0; off < n; off += chunk, i++) {
    const len = Math.min(chunk, n - off);
    const part = i % 2 === 0 ? seededBytes(seed + i, len) : Buffer.alloc(len, text);
    part.copy(out, off);
  }
  return out;
}

/** Writes a file and sets its mode (after chown: chown clears setuid/setgid). */
async function file(root: string, rel: string, data: string | Buffer, mode: number, owner: [number, number] = [0, 0]): Promise<void> {
  const p = path.join(root, rel);
  await fs.writeFile(p, data);
  await fs.chown(p, owner[0], owner[1]);
  await fs.chmod(p, mode);
}

async function dir(root: string, rel: string, mode: number, owner: [number, number] = [0, 0]): Promise<void> {
  const p = path.join(root, rel);
  await fs.mkdir(p, { recursive: true });
  await fs.chown(p, owner[0], owner[1]);
  await fs.chmod(p, mode);
}

async function symlink(root: string, rel: string, target: string, owner: [number, number] = [0, 0]): Promise<void> {
  const p = path.join(root, rel);
  await fs.symlink(target, p);
  await fs.lchown(p, owner[0], owner[1]);
}

/** UTF-8 byte order, the order ostree sorts names and xattrs in (strcmp). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Creates the test tree in `dir` (created if missing; it should be empty). Layout:
 * /hello.txt /empty /exec.sh(0755) /setuid(04755) /secret(0600) /big.bin(>1 MiB)
 * /private(0700)/ /emptydir/ /sticky(01777)/ /links/{abs,rel,dangling} /hard/{pair-*,tri-*}
 * /many/(bigDirEntries files) /unicode/… /order/{B,a,_x,Zdir/,A1} /owned(1234:5678)/…
 * /perms/{0664,0666} /xattr/… plus xattrs on the root directory.
 */
export async function makeSourceTree(root: string, opts: SourceTreeOptions = {}): Promise<SourceTreeInfo> {
  const withXattrs = opts.xattrs ?? true;
  const bigDirEntries = opts.bigDirEntries ?? 3000;
  await dir(root, '.', 0o755);

  // Plain files of every permission class the format cares about.
  await file(root, 'hello.txt', 'hello\n', 0o644);
  await file(root, 'empty', '', 0o644);
  await file(root, 'exec.sh', '#!/bin/sh\necho hi\n', 0o755);
  await file(root, 'setuid', '#!/bin/sh\n# setuid\n', 0o4755);
  await file(root, 'secret', 'secret\n', 0o600);
  await file(root, 'with space', 'a name with a space\n', 0o644);
  await file(root, 'big.bin', mixedBytes(42, 1024 * 1024 + 300 * 1024 + 7), 0o644);

  await dir(root, 'private', 0o700);
  await file(root, 'private/key', 'private key\n', 0o600);
  await dir(root, 'emptydir', 0o755);
  await dir(root, 'sticky', 0o1777);
  await file(root, 'sticky/tmpfile', 'in a sticky dir\n', 0o644);

  await dir(root, 'links', 0o755);
  await symlink(root, 'links/abs', '/etc/hostname');
  await symlink(root, 'links/rel', '../hello.txt');
  await symlink(root, 'links/dangling', 'does-not-exist/anywhere');
  await symlink(root, 'links/dir', '../order');

  // Hard links: ostree records each path on its own (§4); the objects coincide.
  await dir(root, 'hard', 0o755);
  await file(root, 'hard/pair-a', 'pair\n', 0o644);
  await fs.link(path.join(root, 'hard/pair-a'), path.join(root, 'hard/pair-b'));
  await file(root, 'hard/tri-1', 'triple\n', 0o755);
  await fs.link(path.join(root, 'hard/tri-1'), path.join(root, 'hard/tri-2'));
  await fs.link(path.join(root, 'hard/tri-1'), path.join(root, 'hard/tri-3'));

  // A directory big enough that its dirtree needs 4-byte framing offsets (§1.3).
  await dir(root, 'many', 0o755);
  for (let i = 0; i < bigDirEntries; i++) {
    const name = `entry-${String(i).padStart(5, '0')}${i % 7 === 0 ? '.long-name-to-vary-lengths' : ''}`;
    await file(root, `many/${name}`, `entry ${i}\n`, i % 11 === 0 ? 0o755 : 0o644);
  }

  // Non-ASCII names; '😀' (U+1F600) sorts before 'Ｚ' (U+FF3A) in UTF-16 but after it in UTF-8.
  await dir(root, 'unicode', 0o755);
  await file(root, 'unicode/café', 'café\n', 0o644);
  await dir(root, 'unicode/日本語', 0o755);
  await file(root, 'unicode/日本語/ファイル.txt', '日本語\n', 0o644);
  await file(root, 'unicode/😀', 'emoji\n', 0o644);
  await file(root, 'unicode/Ｚ', 'fullwidth Z\n', 0o644);
  await file(root, 'unicode/\uE000private', 'private use\n', 0o644);

  // Byte order (A1 B Zdir _x a) differs from locale order (_x a A1 B Zdir).
  await dir(root, 'order', 0o755);
  await file(root, 'order/B', 'B\n', 0o644);
  await file(root, 'order/a', 'a\n', 0o644);
  await file(root, 'order/_x', '_x\n', 0o644);
  await dir(root, 'order/Zdir', 0o755);
  await file(root, 'order/Zdir/inner', 'inner\n', 0o644);
  await file(root, 'order/A1', 'A1\n', 0o644);

  // Other owners, recorded as is unless --owner-uid/gid or --canonical-permissions.
  const other: [number, number] = [1234, 5678];
  await dir(root, 'owned', 0o755, other);
  await file(root, 'owned/file', 'owned by 1234\n', 0o644, other);
  await file(root, 'owned/setgid', '#!/bin/sh\n# setgid\n', 0o2755, other);
  await symlink(root, 'owned/link', 'file', other);
  await dir(root, 'owned/sub', 0o750, [5678, 1234]);
  await file(root, 'owned/sub/x', 'x\n', 0o640, [5678, 1234]);

  await dir(root, 'perms', 0o755);
  await file(root, 'perms/group-write', 'g+w\n', 0o664);
  await file(root, 'perms/world-write', 'o+w\n', 0o666);

  await dir(root, 'xattr', 0o755);
  await file(root, 'xattr/file', 'has xattrs\n', 0o644);
  await file(root, 'xattr/plain', 'has xattrs when the others do\n', 0o644);
  await symlink(root, 'xattr/link', 'file');

  const xattrPaths: Record<string, string[]> = {};
  if (withXattrs) {
    const set = (rel: string, name: string, value: string | Buffer): void => {
      setAttributeSync(path.join(root, rel), name, value);
      (xattrPaths[rel === '.' ? '/' : `/${rel}`] ??= []).push(name);
    };
    // Names that need byte-order sorting, an empty value, binary bytes and a trusted.* one.
    set('xattr/file', 'user.b', 'lower b');
    set('xattr/file', 'user.B', 'upper B');
    set('xattr/file', 'user.a', 'lower a');
    set('xattr/file', 'user.empty', '');
    set('xattr/file', 'user.binary', Buffer.from([0, 1, 0xff, 0x80, 0]));
    set('xattr/file', 'trusted.t', 'trusted value');
    set('xattr/plain', 'user.one', '1');
    set('xattr', 'user.dir', 'a directory');
    set('xattr', 'trusted.dir', 'trusted dir');
    set('.', 'user.root', 'the root directory');
    // Linux allows no user.* xattrs on symlinks; trusted.* is set with lsetxattr.
    set('xattr/link', 'trusted.link', 'on the link itself');
    set('owned/file', 'user.owned', 'by 1234');
  }

  const paths = (await walk(root)).map((e) => e.rel).filter((p) => p !== '/');
  return {
    root,
    paths,
    hardlinks: [['/hard/pair-a', '/hard/pair-b'], ['/hard/tri-1', '/hard/tri-2', '/hard/tri-3']],
    xattrs: withXattrs,
    xattrPaths,
    bigDir: path.join(root, 'many'),
  };
}

type Walked = { rel: string; abs: string };

/** Every entry under `root` (root itself as `/`), depth first, in byte order; no symlink following. */
async function walk(root: string): Promise<Walked[]> {
  const out: Walked[] = [{ rel: '/', abs: root }];
  const visit = async (rel: string, abs: string): Promise<void> => {
    const entries = (await fs.readdir(abs, { withFileTypes: true })).sort((x, y) => byteOrder(x.name, y.name));
    for (const e of entries) {
      const childRel = rel === '/' ? `/${e.name}` : `${rel}/${e.name}`;
      const childAbs = path.join(abs, e.name);
      out.push({ rel: childRel, abs: childAbs });
      // Dirent types come from lstat semantics: a symlink to a directory is not descended into.
      if (e.isDirectory()) await visit(childRel, childAbs);
    }
  };
  if ((await fs.lstat(root)).isDirectory()) await visit('/', root);
  return out;
}

/** What compareTrees looks at for one entry. */
type Described = { type: string; mode: number; uid: number; gid: number; sha256: string | null; target: string | null; xattrs: string[] };

async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(p)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `name=hexvalue` for every xattr of `p` itself (never followed), in byte order. */
export function xattrList(p: string): string[] {
  return listAttributesSync(p)
    .sort(byteOrder)
    .map((n) => `${n}=${(getAttributeSync(p, n) ?? Buffer.alloc(0)).toString('hex')}`);
}

async function describe(abs: string, xattrs: boolean): Promise<Described> {
  const st = await fs.lstat(abs);
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return {
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    sha256: type === 'file' ? await sha256File(abs) : null,
    target: type === 'symlink' ? await fs.readlink(abs) : null,
    xattrs: xattrs ? xattrList(abs) : [],
  };
}

const EMPTY: Described = { type: 'none', mode: 0, uid: 0, gid: 0, sha256: null, target: null, xattrs: [] };
const octal = (m: number): string => `0${m.toString(8)}`;

/**
 * The differences between trees `a` and `b`, one readable line each (`[]` = identical): paths
 * only in one, type, permission bits (incl. setuid/setgid/sticky), content sha256, symlink
 * target, and with `owners`/`xattrs` (both default true) uid/gid and xattrs. The roots are
 * compared too (as `/`). Timestamps and hard-link structure are ignored, as ostree ignores them.
 */
export async function compareTrees(a: string, b: string, opts: { owners?: boolean; xattrs?: boolean } = {}): Promise<string[]> {
  const owners = opts.owners ?? true;
  const xattrs = opts.xattrs ?? true;
  const [wa, wb] = await Promise.all([walk(a), walk(b)]);
  const mb = new Map(wb.map((e) => [e.rel, e.abs]));
  const ma = new Map(wa.map((e) => [e.rel, e.abs]));
  const diffs: string[] = [];
  // Below a path reported missing/extra/of another type, every child would differ too: say it once.
  const reported: string[] = [];
  const under = (rel: string): boolean => reported.some((r) => rel.startsWith(r === '/' ? '/' : `${r}/`));
  const all = [...new Set([...ma.keys(), ...mb.keys()])].sort(byteOrder);
  // lstat and hash both sides a batch at a time (a 3,000-entry tree is slow one by one).
  const common = all.filter((r) => ma.has(r) && mb.has(r));
  const described = new Map<string, [Described, Described]>();
  for (let i = 0; i < common.length; i += 32) {
    const batch = common.slice(i, i + 32);
    const done = await Promise.all(batch.map((r) => Promise.all([describe(ma.get(r) ?? '', xattrs), describe(mb.get(r) ?? '', xattrs)])));
    for (const [k, r] of batch.entries()) described.set(r, done[k] ?? [EMPTY, EMPTY]);
  }
  for (const rel of all) {
    if (under(rel)) continue;
    const both = described.get(rel);
    if (both === undefined) {
      diffs.push(`${rel}: ${ma.has(rel) ? 'only in a (missing from b)' : 'only in b (extra)'}`);
      reported.push(rel);
      continue;
    }
    const [da, db] = both;
    if (da.type !== db.type) {
      diffs.push(`${rel}: type ${da.type} != ${db.type}`);
      reported.push(rel);
      continue;
    }
    if (da.mode !== db.mode) diffs.push(`${rel}: mode ${octal(da.mode)} != ${octal(db.mode)}`);
    if (da.sha256 !== db.sha256) diffs.push(`${rel}: content sha256 ${da.sha256 ?? ''} != ${db.sha256 ?? ''}`);
    if (da.target !== db.target) diffs.push(`${rel}: symlink target ${JSON.stringify(da.target)} != ${JSON.stringify(db.target)}`);
    if (owners && (da.uid !== db.uid || da.gid !== db.gid)) diffs.push(`${rel}: owner ${da.uid}:${da.gid} != ${db.uid}:${db.gid}`);
    if (xattrs && da.xattrs.join('\n') !== db.xattrs.join('\n')) {
      diffs.push(`${rel}: xattrs [${da.xattrs.join(', ')}] != [${db.xattrs.join(', ')}]`);
    }
  }
  return diffs;
}
