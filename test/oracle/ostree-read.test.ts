/*
 * Issue 3, the read side against the real ostree 2022.7 (ostree-format.md §5.2, §5.4): commits
 * made by `ostree commit` of a generated tree, in archive and bare-user repos, read back by
 * jigtree. `checkout` reproduces the source tree (and what `ostree checkout` writes, hardlinks
 * included); `ls -R`, `log`, `show`, `rev-parse`, `cat` and `diff` print what ostree prints, byte
 * for byte; bad input (a non-empty destination, dirtrees with `..` or `/` names, bad refs and
 * checksums) is one line and nothing is written outside the destination.
 * The CLI runs in-process (src/cli/main.ts), so no build is needed. Needs root, like the tree.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGVariant, type GVariantValue } from '../../src/gvariant/index.js';
import { DIRTREE_TYPE, checksumToBytes, encodeCommit, isChecksum, type Checksum } from '../../src/ostree/index.js';
import { ok, ostreeCommit, ostreeInit, runOstree } from '../helpers/ostree-cli.js';
import { runCliInProcess, type InProcessResult } from '../helpers/cli-inprocess.js';
import { compareTrees, makeSourceTree } from '../helpers/source-tree.js';

const TS = 1_600_000_000;
const MODES = ['archive', 'bare-user'] as const;
type Mode = (typeof MODES)[number];

type Result = InProcessResult;

const jig = runCliInProcess;

/** stdout of a real ostree command that must succeed. */
const ostree = (...args: string[]): Promise<string> => ok(`ostree ${args.join(' ')}`, runOstree(args));

/** One-line error with exit status `code`: no stack trace, no second line except a hint. */
function expectOneLineError(r: Result, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('hint: '));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^jigtree: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let base: string;
let src1: string;
let src2: string;
const repos = {} as Record<Mode, string>;
const commits = {} as Record<Mode, { first: string; second: string }>;
let n = 0;
/** A fresh path (not created) under the test directory. */
const fresh = (tag: string): string => path.join(base, `${tag}-${++n}`);

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-read-'));
  src1 = path.join(base, 'src1');
  // A small /many keeps the run short on slow disks; the GVariant offset widths are tested elsewhere.
  await makeSourceTree(src1, { bigDirEntries: 300 });
  // The second commit: content changed, entries removed and added, a file replaced by a
  // directory, a directory's mode changed, a new subtree.
  src2 = path.join(base, 'src2');
  execFileSync('cp', ['-a', src1, src2]);
  await fs.writeFile(path.join(src2, 'hello.txt'), 'hello again\n');
  await fs.rm(path.join(src2, 'empty'));
  await fs.rm(path.join(src2, 'emptydir'), { recursive: true });
  await fs.writeFile(path.join(src2, 'newfile'), 'new\n');
  await fs.rm(path.join(src2, 'with space'));
  await fs.mkdir(path.join(src2, 'with space'));
  await fs.writeFile(path.join(src2, 'with space/inside'), 'now a directory\n');
  await fs.chmod(path.join(src2, 'private'), 0o750);
  await fs.mkdir(path.join(src2, 'newdir/inner'), { recursive: true });
  await fs.writeFile(path.join(src2, 'newdir/inner/z'), 'z\n');
  await fs.writeFile(path.join(src2, 'newdir/q'), 'q\n');
  await fs.writeFile(path.join(src2, 'order/Zdir/inner'), 'changed inner\n');
  await Promise.all(
    MODES.map(async (mode) => {
      const repo = path.join(base, `repo-${mode}`);
      await ostreeInit(repo, mode);
      const first = await ostreeCommit(repo, src1, { branch: 'main', subject: 'first', timestamp: TS });
      const second = await ostreeCommit(repo, src2, { branch: 'main', subject: 'second', body: 'the body\nof two lines', metadata: [['version', '2.0']], timestamp: TS + 3600 });
      repos[mode] = repo;
      commits[mode] = { first, second };
    }),
  );
}, 300_000);

afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

describe.each(MODES)('checkout from a %s repo made by ostree commit', (mode) => {
  it('as root (copies, owners, modes, xattrs) reproduces the source trees of both commits', async () => {
    for (const [rev, src] of [['main^', src1], ['main', src2]] as const) {
      const dest = fresh('co');
      const r = await jig('checkout', '--repo', repos[mode], rev, dest);
      expect(r.code, r.stderr).toBe(0);
      // ostree does not record empty xattr values (§2.2), so `user.empty` cannot come back.
      expect(await compareTrees(src, dest), `${mode} ${rev}`).toEqual([expect.stringMatching(/^\/xattr\/file: xattrs \[.*user\.empty=\] != \[[^\]]*user\.binary=0001ff8000\]$/)]);
    }
  });

  it('equals `ostree checkout` and `ostree checkout -U`, directories with mtime 0', async () => {
    for (const user of [false, true]) {
      const theirs = fresh('ostree-co');
      const ours = fresh('co');
      await ostree('checkout', `--repo=${repos[mode]}`, ...(user ? ['-U'] : []), 'main', theirs);
      const r = await jig('checkout', '--repo', repos[mode], ...(user ? ['--user'] : []), 'main', ours);
      expect(r.code, r.stderr).toBe(0);
      expect(await compareTrees(theirs, ours), `user=${String(user)}`).toEqual([]);
      for (const d of ['.', 'private', 'many', 'unicode/日本語']) {
        expect((await fs.stat(path.join(ours, d))).mtimeMs, d).toBe(0);
      }
    }
  });
});

describe('hardlinked checkout', () => {
  it('from bare-user in user mode links the objects, and equals `ostree checkout -U`', async () => {
    const theirs = fresh('ostree-co');
    const ours = fresh('co');
    await ostree('checkout', `--repo=${repos['bare-user']}`, '-U', 'main^', theirs);
    const r = await jig('checkout', '--repo', repos['bare-user'], '--user', '--hardlink', '--json', 'main^', ours);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout) as { files: number; hardlinked: number };
    // Empty files are copied, as ostree does; everything else is a link.
    expect(stats.hardlinked).toBe(stats.files - 1);
    expect(await compareTrees(theirs, ours)).toEqual([]);
    // The object is the file: same inode, mtime 0 (§2.6); bare-user objects carry
    // (mode & 0775) | 0400, so only setuid/setgid/other-write modes differ from the source.
    const csum = (await ostree('ls', `--repo=${repos['bare-user']}`, '-C', 'main^', '/hello.txt')).split(/\s+/)[4] ?? '';
    expect(isChecksum(csum)).toBe(true);
    const objectStat = await fs.stat(path.join(repos['bare-user'], 'objects', csum.slice(0, 2), `${csum.slice(2)}.file`));
    const fileStat = await fs.stat(path.join(ours, 'hello.txt'));
    expect(fileStat.ino).toBe(objectStat.ino);
    expect(fileStat.mtimeMs).toBe(0);
    expect(await compareTrees(src1, ours, { owners: false, xattrs: false })).toEqual([
      '/owned/setgid: mode 02755 != 0755',
      '/perms/world-write: mode 0666 != 0664',
      '/setuid: mode 04755 != 0755',
    ]);
  });

  it('is refused from an archive repo and in owners mode from bare-user (exit 2)', async () => {
    expectOneLineError(await jig('checkout', '--repo', repos.archive, '--hardlink', 'main', fresh('co')), 2, /hardlinks need a bare-user or bare repository/);
    expectOneLineError(await jig('checkout', '--repo', repos['bare-user'], '--hardlink', 'main', fresh('co')), 2, /need user mode/);
  });

  it('--subpath of a directory and of a file, as ostree', async () => {
    for (const sub of ['/unicode', '/order/Zdir/inner']) {
      const theirs = fresh('ostree-co');
      const ours = fresh('co');
      await ostree('checkout', `--repo=${repos.archive}`, `--subpath=${sub}`, 'main', theirs);
      expect((await jig('checkout', '--repo', repos.archive, '--subpath', sub, 'main', ours)).code).toBe(0);
      expect(await compareTrees(theirs, ours), sub).toEqual([]);
    }
  });
});

describe.each(MODES)('inspection of a %s repo agrees with ostree', (mode) => {
  it('ls -R, ls -R -C -X, ls PATH..., ls -d print what ostree prints, byte for byte', async () => {
    const repo = repos[mode];
    for (const args of [['-R', 'main'], ['-R', 'main^'], ['-R', '-C', '-X', 'main'], ['-R', '-C', '-X', 'main^'], ['main', '/links', '/hello.txt', 'order'], ['-d', '-C', 'main', '/', '/xattr'], ['-X', 'main', '/xattr']]) {
      const theirs = await ostree('ls', `--repo=${repo}`, ...args);
      const r = await jig('ls', '--repo', repo, ...args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, args.join(' ')).toBe(theirs);
    }
  });

  it('rev-parse, log, show print what ostree prints', async () => {
    const repo = repos[mode];
    for (const rev of ['main', 'main^', commits[mode].first, `${commits[mode].second}^`]) {
      expect((await jig('rev-parse', '--repo', repo, rev)).stdout).toBe(await ostree('rev-parse', `--repo=${repo}`, rev));
    }
    // A remote ref (refs/remotes/origin/…, addressed as origin:…) and the ref listing.
    await fs.mkdir(path.join(repo, 'refs/remotes/origin/sub'), { recursive: true });
    await fs.writeFile(path.join(repo, 'refs/remotes/origin/sub/main'), `${commits[mode].first}\n`);
    expect((await jig('rev-parse', '--repo', repo, 'origin:sub/main')).stdout).toBe(await ostree('rev-parse', `--repo=${repo}`, 'origin:sub/main'));
    // ostree 2022.7 prints refs in hash-table order; jigtree sorts them (strcmp).
    const theirRefs = (await ostree('refs', `--repo=${repo}`)).split('\n').filter((l) => l !== '');
    expect((await jig('refs', '--repo', repo)).stdout).toBe(`${[...theirRefs].sort().join('\n')}\n`);
    expect(theirRefs).toContain('origin:sub/main');
    expect((await jig('log', '--repo', repo, 'main')).stdout).toBe(await ostree('log', `--repo=${repo}`, 'main'));
    expect((await jig('show', '--repo', repo, 'main')).stdout).toBe(await ostree('show', `--repo=${repo}`, 'main'));
    const shown = JSON.parse((await jig('show', '--repo', repo, '--json', 'main')).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ type: 'commit', checksum: commits[mode].second, parent: commits[mode].first, subject: 'second', timestamp: TS + 3600, metadata: { version: { type: 's', value: '2.0' } } });
    expect(await ostree('log', `--repo=${repo}`, 'main')).toContain(`ContentChecksum:  ${String(shown['contentChecksum'])}\n`);
  });

  it('cat writes the same bytes as ostree cat (symlinks followed, 1.3 MB file streamed)', async () => {
    const repo = repos[mode];
    // (ostree resolves a symlink's target without canonicalizing `..`, so `/links/rel ->
    // ../hello.txt` fails there; jigtree follows it. Compare on a same-directory link.)
    const theirs = await ostree('cat', `--repo=${repo}`, 'main', '/hello.txt', '/owned/link', '/unicode/café');
    const ours = await jig('cat', '--repo', repo, 'main', '/hello.txt', '/owned/link', '/unicode/café');
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs);
    expect((await jig('cat', '--repo', repo, 'main', '/links/rel')).stdout).toBe('hello again\n');
    const big = await jig('cat', '--repo', repo, 'main', '/big.bin');
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    expect(sha(big.out)).toBe(sha(await fs.readFile(path.join(src1, 'big.bin'))));
    expectOneLineError(await jig('cat', '--repo', repo, 'main', '/many'), 2, /is a directory/);
  });

  it('diff prints what ostree diff prints, both ways; --json adds commit changes', async () => {
    const repo = repos[mode];
    for (const [a, b] of [['main^', 'main'], ['main', 'main^']] as const) {
      const theirs = await ostree('diff', `--repo=${repo}`, a, b);
      expect(theirs).not.toBe('');
      expect((await jig('diff', '--repo', repo, a, b)).stdout, `${a} ${b}`).toBe(theirs);
    }
    const d = JSON.parse((await jig('diff', '--repo', repo, '--json', 'main^', 'main')).stdout) as { added: string[]; changes: { field: string }[] };
    // `/with space` turned from a file into a directory: modified, its new child not listed (as ostree).
    expect(d.added).toEqual(['/newfile', '/newdir', '/newdir/q', '/newdir/inner', '/newdir/inner/z']);
    expect(d.changes.map((c) => c.field)).toEqual(['subject', 'body', 'parent', 'timestamp', 'metadata.version']);
    expect((await jig('diff', '--repo', repo, '--exit-code', 'main', 'main')).code).toBe(0);
    expect((await jig('diff', '--repo', repo, '--exit-code', 'main^', 'main')).code).toBe(3);
  });

  it('log of a commit whose parent was not pulled ends with the marker ostree prints', async () => {
    const shallow = fresh('shallow');
    await ostreeInit(shallow, mode);
    await ostree('pull-local', `--repo=${shallow}`, repos[mode], 'main');
    const theirs = await ostree('log', `--repo=${shallow}`, 'main');
    expect(theirs).toContain('<< History beyond this commit not fetched >>');
    expect((await jig('log', '--repo', shallow, 'main')).stdout).toBe(theirs);
  });
});

describe('bad input: one clear line, never a stack trace', () => {
  it('a non-empty checkout destination (exit 2), nothing written into it', async () => {
    const dest = fresh('busy');
    await fs.mkdir(dest);
    await fs.writeFile(path.join(dest, 'keep'), 'mine\n');
    expectOneLineError(await jig('checkout', '--repo', repos.archive, 'main', dest), 2, /checkout destination .*: exists and is not empty$/);
    expect(await fs.readdir(dest)).toEqual(['keep']);
    const link = fresh('link');
    await fs.symlink(base, link);
    expectOneLineError(await jig('checkout', '--repo', repos.archive, 'main', link), 2, /is a symlink/);
  });

  it('bad refs, bad checksums and missing objects', async () => {
    const repo = repos.archive;
    expectOneLineError(await jig('rev-parse', '--repo', repo, '../../etc/passwd'), 2, /ref "\.\.\/\.\.\/etc\/passwd": expected components/);
    expectOneLineError(await jig('log', '--repo', repo, 'heads/../x'), 2, /ref "heads\/\.\.\/x"/);
    expectOneLineError(await jig('rev-parse', '--repo', repo, 'nosuchref'), 1, /ref nosuchref: not found$/);
    expectOneLineError(await jig('show', '--repo', repo, 'A'.repeat(64)), 1, /expected 64 lowercase hex characters/);
    expectOneLineError(await jig('show', '--repo', repo, '--type', 'dirtree', 'abc'), 1, /expected 64 lowercase hex characters/);
    expectOneLineError(await jig('show', '--repo', repo, '--type', 'dirtree', 'a'.repeat(64)), 1, /dirtree object a{64}: not found$/);
    expectOneLineError(await jig('ls', '--repo', repo, 'main', '/no/such/path'), 1, /\/no: not found$/);
    expectOneLineError(await jig('log', '--repo', path.join(base, 'no-repo'), 'main'), 1, /an ostree repository/);
  });

  describe.each(MODES)('dirtrees with unsafe names in a %s repo', (mode) => {
    /** Writes a metadata object under its real checksum, as a hostile repo would. */
    async function plant(repo: string, ext: 'dirtree' | 'commit', bytes: Uint8Array): Promise<Checksum> {
      const c = createHash('sha256').update(bytes).digest('hex') as Checksum;
      await fs.mkdir(path.join(repo, 'objects', c.slice(0, 2)), { recursive: true });
      await fs.writeFile(path.join(repo, 'objects', c.slice(0, 2), `${c.slice(2)}.${ext}`), bytes);
      return c;
    }

    type Entries = (file: Uint8Array, sub: Uint8Array, meta: Uint8Array) => GVariantValue;
    const cases: [string, Entries][] = [
      ['a directory named ".."', (_file, sub, meta) => [[], [['..', sub, meta]]]],
      ['a file named "../escaped"', (file) => [[['../escaped', file]], []]],
      ['a file named "sub/escaped" next to a directory "sub"', (file, sub, meta) => [[['sub/escaped', file]], [['sub', sub, meta]]]],
      ['a file named "."', (file) => [[['.', file]], []]],
    ];
    it.each(cases)('%s: error, nothing written outside the destination', async (_what, entries) => {
      const repo = repos[mode];
      const ls = (await ostree('ls', `--repo=${repo}`, '-d', '-C', 'main', '/hello.txt', '/order/Zdir')).split('\n');
      const file = checksumToBytes((ls[0]?.split(/\s+/)[4] ?? '') as Checksum);
      const [, , , , zTree, zMeta] = ls[1]?.split(/\s+/) ?? [];
      // A subtree holding a file called `escaped`, for the `..` directory to point at.
      const sub = await plant(repo, 'dirtree', encodeGVariant(DIRTREE_TYPE, [[['escaped', file]], []]));
      const root = await plant(repo, 'dirtree', encodeGVariant(DIRTREE_TYPE, entries(file, checksumToBytes(sub), checksumToBytes(zMeta as Checksum))));
      const commit = await plant(repo, 'commit', encodeCommit({ metadata: [], parent: null, subject: 'hostile', body: '', timestamp: TS, rootTree: root, rootMeta: zMeta as Checksum }));
      expect(isChecksum(zTree ?? '')).toBe(true);
      const parent = fresh('hostile');
      await fs.mkdir(parent);
      const dest = path.join(parent, 'dest');
      const r = await jig('checkout', '--repo', repo, commit, dest);
      expectOneLineError(r, 1, /dirtree.*(name|"\.\."|contains "\/")/);
      expect(await fs.readdir(parent)).toEqual(['dest']);
      expect(await fs.readdir(base)).not.toContain('escaped');
      await fs.rm(path.join(repo, 'objects', commit.slice(0, 2), `${commit.slice(2)}.commit`));
    });
  });
});
