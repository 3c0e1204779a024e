import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommit, makeRepo, type DirSpec } from '../../test/helpers/repo-builder.js';
import { variant } from '../gvariant/index.js';
import type { Checksum } from './checksum.js';
import { commitChanges, diff } from './diff.js';
import type { Commit } from './objects.js';
import { loadCommit, loadDirTree } from './read.js';
import { objectPath, type Repo } from './repo.js';

let dir: string;
let repo: Repo;
let a: Checksum;
let b: Checksum;
const unchanged: DirSpec = { dir: { x: { data: 'x' }, y: { dir: { z: { data: 'z' } } } } };

beforeAll(async () => {
  ({ repo, dir } = await makeRepo('archive'));
  a = await buildCommit(repo, {
    dir: {
      same: unchanged,
      file: { data: 'old' },
      gone: { data: 'bye' },
      gonedir: { dir: { inside: { data: 'i' }, sub: { dir: { deep: { data: 'd' } } } } },
      becomesdir: { data: 'was a file' },
      chmodded: { dir: { keep: { data: 'k' } } },
      mode: { data: 'same bytes', mode: 0o644 },
    },
  });
  b = await buildCommit(repo, {
    dir: {
      same: unchanged,
      file: { data: 'new' },
      becomesdir: { dir: { child: { data: 'c' } } },
      chmodded: { dir: { keep: { data: 'k' }, added: { data: 'a' } }, mode: 0o700 },
      mode: { data: 'same bytes', mode: 0o755 },
      newdir: { dir: { f: { data: 'f' }, sub: { dir: { g: { data: 'g' } } } } },
      afile: { data: 'added' },
    },
  });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('diff (ostree diff semantics)', () => {
  it('lists modified, removed and added paths in ostree order', async () => {
    const d = await diff(repo, a, b);
    // Modified: content or mode changed, file turned directory, directory metadata changed.
    expect(d.modified).toEqual(['/becomesdir', '/file', '/mode', '/chmodded']);
    // A removed directory is listed alone.
    expect(d.removed).toEqual(['/gone', '/gonedir']);
    // Added: found inside a changed directory first, then this level's files and directories,
    // an added directory with everything below it.
    expect(d.added).toEqual(['/chmodded/added', '/afile', '/newdir', '/newdir/f', '/newdir/sub', '/newdir/sub/g']);
  });

  it('never reads a subtree whose dirtree is the same on both sides', async () => {
    const { repo: r, dir: d } = await makeRepo('archive');
    try {
      const one = await buildCommit(r, { dir: { same: unchanged, f: { data: '1' } } });
      const two = await buildCommit(r, { dir: { same: unchanged, f: { data: '2' } } });
      const sameTree = (await loadDirTree(r, (await loadCommit(r, one)).rootTree)).dirs[0]?.tree;
      if (sameTree === undefined) throw new Error('no subtree');
      await fs.unlink(objectPath(r, 'dirtree', sameTree));
      expect(await diff(r, one, two)).toMatchObject({ modified: ['/f'], removed: [], added: [] });
    } finally {
      await fs.rm(d, { recursive: true, force: true });
    }
  });

  it('the same commit on both sides is no difference', async () => {
    expect(await diff(repo, a, a)).toEqual({ from: a, to: a, modified: [], removed: [], added: [], changes: [] });
  });
});

describe('commitChanges', () => {
  const base: Commit = { metadata: [['version', variant('s', '1')], ['gone', variant('b', true)]], parent: null, subject: 's', body: '', timestamp: 1, rootTree: a, rootMeta: a };
  it('lists fields, then metadata keys in strcmp order, with {type, value} or null', () => {
    const next: Commit = { ...base, subject: 't', timestamp: 2, metadata: [['version', variant('s', '2')], ['Added', variant('u', 5)]] };
    expect(commitChanges(base, next)).toEqual([
      { field: 'subject', from: 's', to: 't' },
      { field: 'timestamp', from: 1, to: 2 },
      { field: 'metadata.Added', from: null, to: { type: 'u', value: 5 } },
      { field: 'metadata.gone', from: { type: 'b', value: true }, to: null },
      { field: 'metadata.version', from: { type: 's', value: '1' }, to: { type: 's', value: '2' } },
    ]);
  });
  it('a value of another type under the same key is a change', () => {
    expect(commitChanges(base, { ...base, metadata: [['version', variant('u', 1)], ['gone', variant('b', true)]] })).toEqual([{ field: 'metadata.version', from: { type: 's', value: '1' }, to: { type: 'u', value: 1 } }]);
  });
});
