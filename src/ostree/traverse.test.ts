import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommit, makeRepo } from '../../test/helpers/repo-builder.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { NotFoundError, UsageError } from '../core/index.js';
import type { Checksum } from './checksum.js';
import { loadCommit } from './read.js';
import type { Repo } from './repo.js';
import { nodeInfo, resolvePath, rootNode, splitUserPath, walkTree, type DirNode } from './traverse.js';

describe('splitUserPath', () => {
  it('resolves ".", "..", repeated and trailing slashes lexically, never above the root', () => {
    expect(splitUserPath('/')).toEqual([]);
    expect(splitUserPath('')).toEqual([]);
    expect(splitUserPath('usr//bin/')).toEqual(['usr', 'bin']);
    expect(splitUserPath('./a/../b/./c')).toEqual(['b', 'c']);
    expect(splitUserPath('/../../etc')).toEqual(['etc']);
  });
  it('refuses NUL', () => {
    expect(() => splitUserPath('a\0b')).toThrow(UsageError);
  });
});

describe.each(['archive', 'bare-user'] as const)('walking a %s repo', (mode) => {
  let dir: string;
  let repo: Repo;
  let root: DirNode;
  beforeAll(async () => {
    ({ repo, dir } = await makeRepo(mode));
    const commit: Checksum = await buildCommit(repo, {
      dir: {
        b: { data: 'b\n' },
        A: { data: 'A\n', mode: 0o600, uid: 12, gid: 34 },
        zdir: { dir: { inner: { data: 'in\n' } }, mode: 0o700 },
        adir: { dir: { deeper: { dir: {} } } },
        link: { link: 'b' },
        'é': { data: '' },
      },
    });
    root = rootNode(await loadCommit(repo, commit));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('yields a directory, its files (strcmp order), then each subdirectory depth-first', async () => {
    const paths: string[] = [];
    for await (const n of walkTree(repo, root)) paths.push(`${n.kind === 'dir' ? 'd' : 'f'} ${n.path}`);
    expect(paths).toEqual(['d /', 'f /A', 'f /b', 'f /link', 'f /é', 'd /adir', 'd /adir/deeper', 'd /zdir', 'f /zdir/inner']);
  });

  it('depth limits the walk: 0 is the start only, 1 its children', async () => {
    const at = async (depth: number): Promise<string[]> => {
      const out: string[] = [];
      for await (const n of walkTree(repo, root, { depth })) out.push(n.path);
      return out;
    };
    expect(await at(0)).toEqual(['/']);
    expect(await at(1)).toEqual(['/', '/A', '/b', '/link', '/é', '/adir', '/zdir']);
  });

  it('resolves paths and reports what ostree ls shows', async () => {
    const a = await resolvePath(repo, root, 'A');
    expect(a).toMatchObject({ kind: 'file', path: '/A' });
    expect(await nodeInfo(repo, a)).toMatchObject({ type: 'file', uid: 12, gid: 34, mode: 0o100600, size: 2 });
    expect(await nodeInfo(repo, await resolvePath(repo, root, '/link'))).toMatchObject({ type: 'symlink', mode: 0o120777, size: 0, target: 'b' });
    expect(await nodeInfo(repo, await resolvePath(repo, root, 'zdir/'))).toMatchObject({ type: 'dir', mode: 0o40700, size: 0 });
    expect(await resolvePath(repo, root, '/adir/../zdir/inner')).toMatchObject({ kind: 'file', path: '/zdir/inner' });
  });

  it('a missing entry, or a path through a file, is NotFoundError naming the path', async () => {
    expect((await rejectionOf(resolvePath(repo, root, '/zdir/nope'), NotFoundError)).message).toBe('/zdir/nope: not found');
    expect((await rejectionOf(resolvePath(repo, root, '/b/c'), NotFoundError)).message).toMatch(/^\/b\/c \(\/b is not a directory\)/);
  });
});
