import fs from 'node:fs/promises';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCommit, makeRepo, type DirSpec } from '../../test/helpers/repo-builder.js';
import type { Checksum } from './checksum.js';
import { fsck, type FsckEvent } from './fsck.js';
import { S_IFREG, encodeArchiveHeader } from './objects.js';
import { loadCommit, loadDirTree } from './read.js';
import { objectPath, type Repo } from './repo.js';

let dir: string;
let repo: Repo;
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The content checksum of `name` in the root directory of `commit`. */
async function fileIn(commit: Checksum, name: string): Promise<Checksum> {
  const tree = await loadDirTree(repo, (await loadCommit(repo, commit)).rootTree);
  const f = tree.files.find((e) => e.name === name);
  if (f === undefined) throw new Error(`no ${name}`);
  return f.checksum;
}

const shared: DirSpec = { dir: { x: { data: 'shared content\n' } } };

describe('fsck (archive)', () => {
  beforeEach(async () => {
    ({ repo, dir } = await makeRepo('archive'));
  });

  it('a clean repo: no findings; every object counted once; one progress event per commit', async () => {
    const a = await buildCommit(repo, { dir: { z: { data: 'shared content\n' }, a: shared, b: shared } }, { ref: 'main' });
    const b = await buildCommit(repo, { dir: { z: { data: 'other\n' }, a: shared } }, { parent: a, ref: 'main' });
    const events: FsckEvent[] = [];
    const report = await fsck(repo, { reporter: (e) => events.push(e) });
    expect(report.findings).toEqual([]);
    // Objects: 2 commits, 2 root dirtrees, shared dirtree, 1 dirmeta, 2 content objects.
    expect(report.checked).toEqual({ commits: 2, objects: 8 });
    expect(events.map((e) => [e.commit, e.index, e.total])).toEqual([a, b].sort().map((c, i) => [c, i + 1, 2]));
  });

  it('one corrupt object reached by two commits at several paths is one finding: both commits, the first path in walk order', async () => {
    const a = await buildCommit(repo, { dir: { z: { data: 'shared content\n' }, a: shared, b: shared } });
    const b = await buildCommit(repo, { dir: { a: shared } });
    const x = await fileIn(a, 'z');
    await fs.writeFile(objectPath(repo, 'file', x), Buffer.from('garbage'));
    const report = await fsck(repo);
    expect(report.findings).toHaveLength(1);
    // Files come before subdirectories in ostree's walk, and commits are taken in checksum order.
    const first = [a, b].sort()[0];
    expect(report.findings[0]).toMatchObject({ kind: 'corrupt', type: 'file', checksum: x, commits: [a, b].sort(), path: first === a ? '/z' : '/a/x' });
  });

  it('a .filez whose header size disagrees with its data is corrupt, although the checksum covers neither', async () => {
    const c = await buildCommit(repo, { dir: { f: { data: 'twelve bytes' } } });
    const x = await fileIn(c, 'f');
    const hdr = encodeArchiveHeader({ uid: 0, gid: 0, mode: S_IFREG | 0o644, xattrs: [], target: '' }, 13);
    await fs.writeFile(objectPath(repo, 'file', x), Buffer.concat([hdr, deflateRawSync('twelve bytes')]));
    const report = await fsck(repo);
    expect(report.findings).toMatchObject([{ kind: 'corrupt', type: 'file', checksum: x, message: 'corrupted file object: header says 13 bytes, data has 12' }]);
  });

  it('a large object is streamed: truncated or bit-flipped, it is corrupt', async () => {
    // Incompressible (xorshift) bytes, so the .filez stays above the in-memory limit.
    let r = 0x9e3779b9;
    const big = new Uint8Array(200_000).map(() => {
      r ^= r << 13;
      r ^= r >>> 17;
      r ^= r << 5;
      return r & 0xff;
    });
    const c = await buildCommit(repo, { dir: { big: { data: big } } });
    const x = await fileIn(c, 'big');
    const p = objectPath(repo, 'file', x);
    const pristine = await fs.readFile(p);
    expect(pristine.length).toBeGreaterThan(64 * 1024);
    expect((await fsck(repo)).findings).toEqual([]);
    await fs.writeFile(p, pristine.subarray(0, pristine.length - 1000));
    expect((await fsck(repo)).findings).toMatchObject([{ kind: 'corrupt', type: 'file', checksum: x, path: '/big' }]);
    const flipped = Buffer.from(pristine);
    flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] ?? 0) ^ 0x10;
    await fs.writeFile(p, flipped);
    expect((await fsck(repo)).findings).toMatchObject([{ kind: 'corrupt', type: 'file', checksum: x }]);
  });

  it('a zlib-wrapped payload (not raw DEFLATE) is corrupt (§2.6)', async () => {
    const c = await buildCommit(repo, { dir: { f: { data: 'payload' } } });
    const x = await fileIn(c, 'f');
    const hdr = encodeArchiveHeader({ uid: 0, gid: 0, mode: S_IFREG | 0o644, xattrs: [], target: '' }, 7);
    await fs.writeFile(objectPath(repo, 'file', x), Buffer.concat([hdr, deflateSync('payload')]));
    expect((await fsck(repo)).findings).toMatchObject([{ kind: 'corrupt', type: 'file', checksum: x }]);
  });

  it('undecodable detached metadata is an invalid commitmeta finding', async () => {
    const c = await buildCommit(repo, { dir: {} });
    await fs.writeFile(objectPath(repo, 'commitmeta', c), Buffer.from([1, 2, 3]));
    expect((await fsck(repo)).findings).toMatchObject([{ kind: 'invalid', type: 'commitmeta', checksum: c, commits: [c] }]);
  });

  it('a given commit that is missing is a missing commit; cancellation rejects', async () => {
    const gone = 'ef'.repeat(32) as Checksum;
    expect((await fsck(repo, { commits: [gone] })).findings).toMatchObject([{ kind: 'missing', type: 'commit', checksum: gone, commits: [gone] }]);
    await buildCommit(repo, { dir: { f: { data: 'x' } } });
    const ac = new AbortController();
    ac.abort();
    await expect(fsck(repo, { signal: ac.signal })).rejects.toThrow();
  });
});

describe('fsck (bare-user)', () => {
  beforeEach(async () => {
    ({ repo, dir } = await makeRepo('bare-user'));
  });

  it('an object that lost its user.ostreemeta xattr is corrupt', async () => {
    const c = await buildCommit(repo, { dir: { f: { data: 'meta lost' } } });
    const x = await fileIn(c, 'f');
    // Replace the object by a same-content file without the xattr.
    const p = objectPath(repo, 'file', x);
    await fs.rm(p);
    await fs.writeFile(p, 'meta lost');
    expect((await fsck(repo)).findings).toMatchObject([{ kind: 'corrupt', type: 'file', checksum: x, path: '/f', message: expect.stringMatching(/user\.ostreemeta/) as unknown }]);
  });
});
