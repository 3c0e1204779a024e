import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommit, makeRepo } from '../../test/helpers/repo-builder.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { FormatError, UsageError, readXattrs } from '../core/index.js';
import { encodeGVariant } from '../gvariant/index.js';
import { checksumToBytes, type Checksum } from './checksum.js';
import { checkout } from './checkout.js';
import { DIRTREE_TYPE, encodeCommit } from './objects.js';
import { loadCommit } from './read.js';
import type { Repo } from './repo.js';
import { writeMetadataObject } from './write-object.js';

const enc = new TextEncoder();
let dir: string;
let n = 0;
const fresh = (): string => path.join(dir, `out-${++n}`);
const modeOf = async (p: string): Promise<number> => (await fs.lstat(p)).mode & 0o7777;

describe.each(['archive', 'bare-user'] as const)('checkout from %s', (mode) => {
  let repo: Repo;
  let commit: Checksum;
  beforeAll(async () => {
    ({ repo, dir } = await makeRepo(mode));
    commit = await buildCommit(repo, {
      mode: 0o755,
      xattrs: [{ name: 'user.root', value: enc.encode('r') }],
      dir: {
        suid: { data: '#!/bin/sh\n', mode: 0o4755, uid: 1234, gid: 5678 },
        plain: { data: 'plain\n', xattrs: [{ name: 'user.a', value: enc.encode('1') }] },
        empty: { data: '' },
        link: { link: '../elsewhere', uid: 1234, gid: 5678 },
        ro: { dir: { inside: { data: 'in a 0500 directory\n', mode: 0o400 } }, mode: 0o500 },
        big: { data: new Uint8Array(300_000).map((_, i) => (i * 7) % 251) },
      },
    });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('owners mode: owner, then setuid mode, xattrs, 0500 directories, dirs with mtime 0', async () => {
    const out = fresh();
    const r = await checkout(repo, commit, out, { owners: true, xattrs: true, mode: 'copy' });
    expect(r).toEqual({ dirs: 2, files: 5, symlinks: 1, hardlinked: 0, bytes: 300_000 + '#!/bin/sh\n'.length + 'plain\n'.length + 'in a 0500 directory\n'.length });
    const st = await fs.lstat(path.join(out, 'suid'));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1234, 5678, 0o4755]);
    expect(await fs.readlink(path.join(out, 'link'))).toBe('../elsewhere');
    expect((await fs.lstat(path.join(out, 'link'))).uid).toBe(1234);
    expect(await modeOf(path.join(out, 'ro'))).toBe(0o500);
    expect(await fs.readFile(path.join(out, 'ro/inside'), 'utf8')).toBe('in a 0500 directory\n');
    expect((await fs.readFile(path.join(out, 'big'))).length).toBe(300_000);
    expect(readXattrs(path.join(out, 'plain')).map((x) => x.name)).toEqual(['user.a']);
    expect(readXattrs(out).map((x) => x.name)).toEqual(['user.root']);
    expect((await fs.stat(out)).mtimeMs).toBe(0);
    expect((await fs.stat(path.join(out, 'ro'))).mtimeMs).toBe(0);
  });

  it('user mode: no chown, no xattrs, setuid dropped (ostree checkout -U)', async () => {
    const out = fresh();
    await checkout(repo, commit, out, { owners: false, mode: 'copy' });
    const st = await fs.lstat(path.join(out, 'suid'));
    expect([st.uid, st.mode & 0o7777]).toEqual([process.getuid?.() ?? 0, 0o755]);
    expect(readXattrs(path.join(out, 'plain'))).toEqual([]);
  });

  it('an existing empty directory is filled; a non-empty one or a file is refused, untouched', async () => {
    const empty = fresh();
    await fs.mkdir(empty);
    await checkout(repo, commit, empty, { owners: true });
    expect((await fs.readdir(empty)).sort()).toEqual(['big', 'empty', 'link', 'plain', 'ro', 'suid']);
    const busy = fresh();
    await fs.mkdir(busy);
    await fs.writeFile(path.join(busy, 'x'), 'mine');
    expect((await rejectionOf(checkout(repo, commit, busy), UsageError)).message).toBe(`checkout destination ${busy}: exists and is not empty`);
    expect(await fs.readdir(busy)).toEqual(['x']);
    const file = path.join(busy, 'x');
    expect((await rejectionOf(checkout(repo, commit, file), UsageError)).message).toMatch(/exists and is not a directory$/);
  });

  it('a subpath: a directory becomes the destination, a file lands inside it', async () => {
    const d = fresh();
    await checkout(repo, commit, d, { subpath: '/ro', owners: true });
    expect(await fs.readdir(d)).toEqual(['inside']);
    expect(await modeOf(d)).toBe(0o500);
    const f = fresh();
    await checkout(repo, commit, f, { subpath: 'plain', owners: true });
    expect(await fs.readdir(f)).toEqual(['plain']);
  });

  it('refuses a dirtree with a ".." entry before writing anything below it', async () => {
    const c = await loadCommit(repo, commit);
    const { checksum: evil } = writeMetadataObject(repo, 'dirtree', encodeGVariant(DIRTREE_TYPE, [[], [['..', checksumToBytes(c.rootTree), checksumToBytes(c.rootMeta)]]]));
    const { checksum: evilCommit } = writeMetadataObject(repo, 'commit', encodeCommit({ ...c, rootTree: evil }));
    const parent = fresh();
    await fs.mkdir(parent);
    const err = await rejectionOf(checkout(repo, evilCommit, path.join(parent, 'dest')), FormatError);
    expect(err.message).toMatch(/dirtree: name "\.\."/);
    expect(await fs.readdir(parent)).toEqual(['dest']);
    expect(await fs.readdir(path.join(parent, 'dest'))).toEqual([]);
  });
});

describe('hardlinked checkout', () => {
  let repo: Repo;
  let commit: Checksum;
  beforeAll(async () => {
    ({ repo, dir } = await makeRepo('bare-user'));
    commit = await buildCommit(repo, { dir: { a: { data: 'linked\n' }, e: { data: '' }, l: { link: 'a' } } });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('bare-user in user mode links non-empty files to their objects; empty files and symlinks are created', async () => {
    const out = fresh();
    const r = await checkout(repo, commit, out, { owners: false, mode: 'hardlink' });
    expect(r).toMatchObject({ files: 2, hardlinked: 1, symlinks: 1 });
    expect((await fs.stat(path.join(out, 'a'))).nlink).toBe(2);
    expect((await fs.stat(path.join(out, 'e'))).nlink).toBe(1);
    expect((await fs.lstat(path.join(out, 'l'))).isSymbolicLink()).toBe(true);
  });

  it('auto copies when owners are applied; an explicit hardlink request is then refused', async () => {
    const out = fresh();
    expect(await checkout(repo, commit, out, { owners: true })).toMatchObject({ hardlinked: 0 });
    expect((await rejectionOf(checkout(repo, commit, fresh(), { owners: true, mode: 'hardlink' }), UsageError)).message).toMatch(/need user mode/);
  });
});
