/*
 * Issue 3, fsck against the real ostree 2022.7 (ostree-format.md §5.1; architecture.md §8
 * "corruption tests"): two commits made by `ostree commit` share most of their objects; one
 * object of each kind (content, dirtree, dirmeta, commit) is truncated, bit-flipped or deleted,
 * and jigtree's fsck must report exactly that object, with the commits that reach it, while
 * `ostree fsck` fails too. Also: a clean repo, a dangling ref, a partial commit, an object whose
 * bytes are another type's, an unsorted dirtree (which ostree does not catch, §2.4), several
 * problems at once, and the CLI's exit status 3.
 * The CLI runs in-process (src/cli/main.ts). Needs root, like the generated tree.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsck } from '../../src/api/index.js';
import { encodeGVariant } from '../../src/gvariant/index.js';
import { DIRTREE_TYPE, checksumToBytes, encodeCommit, encodeDirMeta, isChecksum, type Checksum, type Finding } from '../../src/ostree/index.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { ok, ostreeCommit, ostreeInit, runOstree, type CliResult } from '../helpers/ostree-cli.js';
import { makeSourceTree } from '../helpers/source-tree.js';

const TS = 1_600_000_000;
const MODES = ['archive', 'bare-user'] as const;
type Mode = (typeof MODES)[number];

const jig = runCliInProcess;

const ostree = (...args: string[]): Promise<string> => ok(`ostree ${args.join(' ')}`, runOstree(args));

type Pristine = {
  repo: string;
  /** The first commit (parent of `second`, no ref) and the second (ref `main`). */
  first: Checksum;
  second: Checksum;
  /** Objects reached from both commits, and objects only the second reaches. */
  shared: { file: Checksum; dirtree: Checksum; dirmeta: Checksum };
  onlySecond: { file: Checksum; rootTree: Checksum };
};

let base: string;
const pristine = {} as Record<Mode, Pristine>;
let n = 0;

/** `ostree ls -d -C` of one path: [checksum] for a file, [dirtree, dirmeta] for a directory. */
async function checksumsOf(repo: string, rev: string, p: string): Promise<Checksum[]> {
  const fields = (await ostree('ls', `--repo=${repo}`, '-d', '-C', rev, p)).trim().split(/\s+/);
  const sums = fields.filter(isChecksum);
  expect(sums.length).toBeGreaterThan(0);
  return sums;
}

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-fsck-'));
  const src = path.join(base, 'src');
  await makeSourceTree(src, { bigDirEntries: 20 });
  await Promise.all(
    MODES.map(async (mode) => {
      const repo = path.join(base, `pristine-${mode}`);
      await ostreeInit(repo, mode);
      const first = (await ostreeCommit(repo, src, { branch: 'main', subject: 'first', timestamp: TS })) as Checksum;
      // The second commit changes one file and adds one; everything else is shared.
      const src2 = path.join(base, `src2-${mode}`);
      execFileSync('cp', ['-a', src, src2]);
      await fs.writeFile(path.join(src2, 'hello.txt'), 'hello, second commit\n');
      await fs.writeFile(path.join(src2, 'only-in-second'), 'new in the second commit\n');
      const second = (await ostreeCommit(repo, src2, { branch: 'main', subject: 'second', timestamp: TS + 60 })) as Checksum;
      const [file] = await checksumsOf(repo, 'main', '/exec.sh');
      const [dirtree] = await checksumsOf(repo, 'main', '/order');
      const [, dirmeta] = await checksumsOf(repo, 'main', '/private');
      const [onlyFile] = await checksumsOf(repo, 'main', '/only-in-second');
      const [rootTree] = await checksumsOf(repo, 'main', '/');
      if (file === undefined || dirtree === undefined || dirmeta === undefined || onlyFile === undefined || rootTree === undefined) throw new Error('ostree ls -C gave no checksums');
      expect(await checksumsOf(repo, 'main^', '/exec.sh')).toEqual([file]);
      expect((await checksumsOf(repo, 'main^', '/private'))[1]).toBe(dirmeta);
      pristine[mode] = { repo, first, second, shared: { file, dirtree, dirmeta }, onlySecond: { file: onlyFile, rootTree } };
    }),
  );
}, 300_000);

afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

/** A private copy of the pristine repo of `mode`, to damage. */
function copyRepo(mode: Mode): string {
  const dst = path.join(base, `repo-${mode}-${++n}`);
  execFileSync('cp', ['-a', pristine[mode].repo, dst]);
  return dst;
}

function objectFile(repo: string, mode: Mode, type: 'file' | 'dirtree' | 'dirmeta' | 'commit', c: Checksum): string {
  const ext = type === 'file' && mode === 'archive' ? 'filez' : type;
  return path.join(repo, 'objects', c.slice(0, 2), `${c.slice(2)}.${ext}`);
}

type Damage = 'truncate' | 'bit-flip' | 'delete';

async function damage(file: string, how: Damage): Promise<void> {
  const st = await fs.stat(file);
  expect(st.size).toBeGreaterThan(1);
  switch (how) {
    case 'truncate':
      await fs.truncate(file, Math.floor(st.size / 2));
      return;
    case 'bit-flip': {
      const b = await fs.readFile(file);
      const i = Math.floor(b.length / 2);
      b[i] = (b[i] ?? 0) ^ 0x01;
      // bare-user objects are read-only files; as root the write goes through.
      await fs.writeFile(file, b);
      return;
    }
    case 'delete':
      await fs.unlink(file);
      return;
  }
}

/** Plants bytes as a loose metadata object under their own SHA-256 name, as a hostile or buggy writer could. */
async function plant(repo: string, ext: 'dirtree' | 'dirmeta' | 'commit', bytes: Uint8Array, name?: Checksum): Promise<Checksum> {
  const c = name ?? (createHash('sha256').update(bytes).digest('hex') as Checksum);
  await fs.mkdir(path.join(repo, 'objects', c.slice(0, 2)), { recursive: true });
  await fs.writeFile(path.join(repo, 'objects', c.slice(0, 2), `${c.slice(2)}.${ext}`), bytes);
  return c;
}

/** A commit with the given root, not pointed at by any ref (fsck checks those too). */
function orphanCommit(repo: string, rootTree: Checksum, rootMeta: Checksum, subject: string): Promise<Checksum> {
  return plant(repo, 'commit', encodeCommit({ metadata: [], parent: null, subject, body: '', timestamp: TS, rootTree, rootMeta }));
}

const essentials = (f: Finding): Partial<Finding> => ({ kind: f.kind, type: f.type, ...(f.checksum === undefined ? {} : { checksum: f.checksum }), commits: f.commits, ...(f.refs === undefined ? {} : { refs: f.refs }) });
const sorted = (...c: Checksum[]): Checksum[] => [...c].sort();

function expectOstreeFails(r: CliResult, what: string): void {
  expect(r.code, `ostree fsck should fail (${what})\n${r.stdout}${r.stderr}`).not.toBe(0);
}

describe.each(MODES)('fsck of a %s repo made by ostree', (mode) => {
  it('a clean repo: no findings, exit 0; ostree agrees', async () => {
    const p = pristine[mode];
    const report = await fsck({ repo: p.repo });
    expect(report.findings).toEqual([]);
    expect(report.checked.commits).toBe(2);
    expect(report.partial).toEqual([]);
    const r = await jig('fsck', '--repo', p.repo);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^checked 2 commits, \d+ objects: no problems found\n$/);
    expect((await runOstree(['fsck', `--repo=${p.repo}`])).code).toBe(0);
  });

  const cases: { what: string; type: 'file' | 'dirtree' | 'dirmeta' | 'commit'; pick: (p: Pristine) => Checksum; commits: (p: Pristine) => Checksum[]; path?: string; refs?: string[] }[] = [
    { what: 'a content object both commits share', type: 'file', pick: (p) => p.shared.file, commits: (p) => sorted(p.first, p.second), path: '/exec.sh' },
    { what: 'a dirtree both commits share', type: 'dirtree', pick: (p) => p.shared.dirtree, commits: (p) => sorted(p.first, p.second), path: '/order' },
    { what: 'a dirmeta both commits share', type: 'dirmeta', pick: (p) => p.shared.dirmeta, commits: (p) => sorted(p.first, p.second), path: '/private' },
    { what: 'the commit a ref points at', type: 'commit', pick: (p) => p.second, commits: (p) => [p.second], refs: ['main'] },
  ];
  for (const c of cases) {
    for (const how of ['truncate', 'bit-flip', 'delete'] as const) {
      it(`${how} ${c.what}: exactly that finding, with the commits reaching it; ostree fsck fails`, async () => {
        const p = pristine[mode];
        const repo = copyRepo(mode);
        const target = c.pick(p);
        await damage(objectFile(repo, mode, c.type, target), how);
        const report = await fsck({ repo });
        // Deleting the commit a ref names leaves a dangling ref, not a missing object.
        const dangling = c.type === 'commit' && how === 'delete';
        const kind = dangling ? 'dangling-ref' : how === 'delete' ? 'missing' : 'corrupt';
        expect(report.findings.map(essentials)).toEqual([{ kind, type: c.type, checksum: target, commits: dangling ? [] : c.commits(p), ...(c.refs === undefined ? {} : { refs: c.refs }) }]);
        if (!dangling && c.path !== undefined) expect(report.findings[0]?.path).toBe(c.path);
        expect(report.findings[0]?.message).not.toBe('');
        expectOstreeFails(await runOstree(['fsck', `--repo=${repo}`]), `${how} ${c.what}`);
      });
    }
  }

  it('every finding is reported, not only the first: three damaged objects, three findings', async () => {
    const p = pristine[mode];
    const repo = copyRepo(mode);
    await damage(objectFile(repo, mode, 'file', p.onlySecond.file), 'delete');
    await damage(objectFile(repo, mode, 'dirtree', p.shared.dirtree), 'bit-flip');
    await damage(objectFile(repo, mode, 'dirmeta', p.shared.dirmeta), 'truncate');
    const report = await fsck({ repo });
    // Sorted by kind (missing before corrupt), then type, then checksum.
    expect(report.findings.map(essentials)).toEqual([
      { kind: 'missing', type: 'file', checksum: p.onlySecond.file, commits: [p.second] },
      { kind: 'corrupt', type: 'dirtree', checksum: p.shared.dirtree, commits: sorted(p.first, p.second) },
      { kind: 'corrupt', type: 'dirmeta', checksum: p.shared.dirmeta, commits: sorted(p.first, p.second) },
    ]);
    expect(report.findings.find((f) => f.type === 'file')?.path).toBe('/only-in-second');
    // The CLI prints one line per finding and exits 3.
    const r = await jig('fsck', '--repo', repo);
    expect(r.code).toBe(3);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`missing file ${p.onlySecond.file} /only-in-second: file object is missing (commits: ${p.second})`);
    expect(lines[3]).toMatch(/^checked 2 commits, \d+ objects: 3 problems found$/);
    const json = JSON.parse((await jig('fsck', '--repo', repo, '--json')).stdout) as { findings: Finding[] };
    expect(json.findings).toEqual(report.findings);
    expectOstreeFails(await runOstree(['fsck', `--repo=${repo}`]), 'three damaged objects');
  });

  it('fsck REV checks only that commit and what it reaches', async () => {
    const p = pristine[mode];
    const repo = copyRepo(mode);
    await damage(objectFile(repo, mode, 'file', p.onlySecond.file), 'bit-flip');
    expect((await fsck({ repo, revs: ['main^'] })).findings).toEqual([]);
    expect((await fsck({ repo, revs: ['main'] })).findings.map(essentials)).toEqual([{ kind: 'corrupt', type: 'file', checksum: p.onlySecond.file, commits: [p.second] }]);
    expect((await jig('fsck', '--repo', repo, 'main^')).code).toBe(0);
    expect((await jig('fsck', '--repo', repo, 'main')).code).toBe(3);
  });

  it('a ref to a missing commit is a dangling-ref finding; ostree fsck fails', async () => {
    const repo = copyRepo(mode);
    const missing = 'ab'.repeat(32) as Checksum;
    await fs.mkdir(path.join(repo, 'refs/heads/stale'), { recursive: true });
    await fs.writeFile(path.join(repo, 'refs/heads/stale/branch'), `${missing}\n`);
    const report = await fsck({ repo });
    expect(report.findings.map(essentials)).toEqual([{ kind: 'dangling-ref', type: 'commit', checksum: missing, commits: [], refs: ['stale/branch'] }]);
    expectOstreeFails(await runOstree(['fsck', `--repo=${repo}`]), 'dangling ref');
  });

  it('a ref file without a checksum is a bad-ref finding (the rest is still checked); ostree fsck fails', async () => {
    const repo = copyRepo(mode);
    await fs.writeFile(path.join(repo, 'refs/heads/garbage'), 'not a checksum\n');
    const report = await fsck({ repo });
    expect(report.findings.map(essentials)).toEqual([{ kind: 'bad-ref', type: 'commit', commits: [], refs: ['garbage'] }]);
    expect(report.findings[0]?.message).toMatch(/ref garbage .*refs\/heads\/garbage.*expected 64 lowercase hex characters, got "not a checksum"/);
    expect(report.checked.commits).toBeGreaterThan(0);
    const cli = await jig('fsck', '--repo', repo);
    expect(cli.code).toBe(3);
    expect(cli.stdout).toMatch(/^bad-ref: ref garbage/m);
    expectOstreeFails(await runOstree(['fsck', `--repo=${repo}`]), 'garbage ref');
  });

  it('a partial commit is skipped and listed, as ostree does', async () => {
    const p = pristine[mode];
    const repo = copyRepo(mode);
    await fs.writeFile(path.join(repo, 'state', `${p.second}.commitpartial`), '');
    // Damage only what the partial commit reaches: nothing to report.
    await damage(objectFile(repo, mode, 'file', p.onlySecond.file), 'truncate');
    const report = await fsck({ repo });
    expect(report.findings).toEqual([]);
    expect(report.partial).toEqual([p.second]);
    expect(report.checked.commits).toBe(1);
    const r = await jig('fsck', '--repo', repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 partial commit not verified\n/);
    const theirs = await runOstree(['fsck', `--repo=${repo}`]);
    expect(theirs.code).toBe(0);
    expect(theirs.stdout).toContain('1 partial commits not verified');
  });

  it('bytes of another type: a dirmeta copied over a dirtree is corrupt; a dirmeta stored under its own name as a dirtree is invalid', async () => {
    const p = pristine[mode];
    // 1. The brief's case: overwrite a dirtree with a dirmeta's bytes (ostree fails too).
    const repo = copyRepo(mode);
    await fs.copyFile(objectFile(repo, mode, 'dirmeta', p.shared.dirmeta), objectFile(repo, mode, 'dirtree', p.shared.dirtree));
    expect((await fsck({ repo })).findings.map(essentials)).toEqual([{ kind: 'corrupt', type: 'dirtree', checksum: p.shared.dirtree, commits: sorted(p.first, p.second) }]);
    expectOstreeFails(await runOstree(['fsck', `--repo=${repo}`]), 'dirmeta bytes in a dirtree');
    // 2. The bytes hash to the name, but are not a dirtree: a commit whose root dirtree is a
    //    dirmeta's checksum. ostree 2022.7 does not notice (it reads such a dirtree as empty).
    const repo2 = copyRepo(mode);
    const dm = encodeDirMeta({ uid: 0, gid: 0, mode: 0o40755, xattrs: [] });
    const dmSum = await plant(repo2, 'dirmeta', dm);
    await plant(repo2, 'dirtree', dm);
    const confused = await orphanCommit(repo2, dmSum, dmSum, 'type confusion');
    const report = await fsck({ repo: repo2 });
    expect(report.findings.map(essentials)).toEqual([{ kind: 'invalid', type: 'dirtree', checksum: dmSum, commits: [confused] }]);
    expect(report.findings[0]?.message).toMatch(/^invalid dirtree: gvariant/);
    expect(report.findings[0]?.path).toBe('/');
    expect((await runOstree(['fsck', `--repo=${repo2}`])).code).toBe(0);
  });

  it('an unsorted dirtree is invalid (ostree fsck does not check order, §2.4), and its children are still checked', async () => {
    const p = pristine[mode];
    const repo = copyRepo(mode);
    const [hello] = await checksumsOf(repo, 'main', '/exec.sh');
    const absent = 'cd'.repeat(32) as Checksum;
    if (hello === undefined) throw new Error('no checksum');
    const unsorted = await plant(repo, 'dirtree', encodeGVariant(DIRTREE_TYPE, [[['b', checksumToBytes(hello)], ['a', checksumToBytes(absent)]], []]));
    const commit = await orphanCommit(repo, unsorted, p.shared.dirmeta, 'unsorted');
    const report = await fsck({ repo });
    expect(report.findings.map(essentials)).toEqual([
      { kind: 'missing', type: 'file', checksum: absent, commits: [commit] },
      { kind: 'invalid', type: 'dirtree', checksum: unsorted, commits: [commit] },
    ]);
    expect(report.findings[0]?.path).toBe('/a');
    expect(report.findings[1]?.message).toMatch(/not in strcmp order/);
  });
});

describe('fsck CLI', () => {
  it('a repo that is not there: one line, exit 1 (fsck cannot run)', async () => {
    const r = await jig('fsck', '--repo', path.join(base, 'nothing-here'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^jigtree: [^\n]*an ostree repository[^\n]*\n$/);
  });
});
