/*
 * Issue 3, the write side against the real ostree 2022.7 (ostree-format.md §4, §5): for one
 * generated tree, `jigtree commit` and `ostree commit` with the same options give the same
 * commit checksum in archive and bare-user repos; the real ostree fscks, checks out, pulls over
 * HTTP, and logs what jigtree wrote; a SIGKILL during a commit leaves a consistent repo.
 * Needs root (the tree has other owners, setuid files and trusted.* xattrs) and a built
 * dist/ (`npm run build`). Repos are built once per tool and mode and shared by the tests.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeResult,
  explainCommitDifference,
  jigtreeCommit,
  jigtreeCommitArgs,
  jigtreeInit,
  ok,
  ostreeCommit,
  ostreeFsck,
  ostreeInit,
  ostreeRevParse,
  runJigtree,
  runOstree,
  startJigtree,
  type CommitOptions,
  type RepoMode,
  type RunOptions,
} from '../helpers/ostree-cli.js';
import { compareTrees, makeSourceTree, mixedBytes, seededRandom, xattrList } from '../helpers/source-tree.js';
import { serveDirectory, type StaticServer } from '../helpers/static-server.js';

const TS = 1_600_000_000;
const MODES = ['archive', 'bare-user'] as const satisfies readonly RepoMode[];
type Tool = 'ostree' | 'jigtree';

/** Every option set both tools are given, in this order, into one repo per tool and mode. */
const VARIANTS: { name: string; opts: CommitOptions; env?: Record<string, string> }[] = [
  { name: 'plain', opts: { branch: 'exampleos/x86_64/plain', subject: 'Plain commit — ünïcode', body: 'A body\nof two lines', timestamp: TS } },
  { name: 'orphan', opts: { noBindings: true, subject: 'orphan, no bindings', timestamp: TS } },
  { name: 'owner-0', opts: { branch: 'owner-0', ownerUid: 0, ownerGid: 0, timestamp: TS } },
  { name: 'owner-1000', opts: { branch: 'owner-1000', ownerUid: 1000, ownerGid: 1000, timestamp: TS } },
  { name: 'canonical', opts: { branch: 'canonical', canonicalPermissions: true, timestamp: TS } },
  { name: 'no-xattrs', opts: { branch: 'no-xattrs', noXattrs: true, timestamp: TS } },
  { name: 'metadata', opts: { branch: 'metadata', subject: 'with metadata', metadata: [['version', '1.0'], ['foo', 'bar']], timestamp: TS } },
  // No --timestamp: both tools take SOURCE_DATE_EPOCH (§4).
  { name: 'source-date-epoch', opts: { branch: 'sde', subject: 'from SOURCE_DATE_EPOCH' }, env: { SOURCE_DATE_EPOCH: '1700000000' } },
  // jigtree without its import worker threads (every file on the main thread); ostree ignores it.
  { name: 'no-workers', opts: { branch: 'no-workers', subject: 'single thread', timestamp: TS }, env: { JIGTREE_IMPORT_WORKERS: '0' } },
];
/**
 * Three commits on one branch: each one's parent is the branch's previous value. The later two
 * commit subdirectories of the tree (smaller, and a changed tree between commits).
 */
const CHAIN: { subdir: string; opts: CommitOptions }[] = ['', 'unicode', 'order'].map((subdir, i) => ({ subdir, opts: { branch: 'chain', subject: `chain ${i + 1}`, timestamp: TS + (i + 1) * 3600 } }));
/** The refs the repos end up with (the orphan has none). */
const REFS = new Map<string, string>([...VARIANTS.flatMap((v) => (v.opts.branch === undefined ? [] : [[v.opts.branch, v.name] as [string, string]])), ['chain', 'chain-3']]);

let base: string;
let src: string;
let server: Promise<StaticServer> | undefined;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-ostree-commit-'));
  src = path.join(base, 'src');
  await makeSourceTree(src);
  // All four repos build at once (commits are disk-bound); each test awaits the ones it needs
  // and reports a failed build itself.
  for (const tool of ['ostree', 'jigtree'] as const) for (const mode of MODES) built(tool, mode).catch(() => undefined);
});
afterAll(async () => {
  await server?.then((s) => s.close(), () => undefined);
  // Builds a filtered run never awaited are still writing under base: let them end first.
  await Promise.allSettled([...builds.values(), ...checkouts.values()]);
  await fs.rm(base, { recursive: true, force: true });
});

type Built = { repo: string; commits: Record<string, string> };

const builds = new Map<string, Promise<Built>>();
/** The repo `tool` wrote in `mode` with every variant and the chain (built once, then shared). */
function built(tool: Tool, mode: RepoMode): Promise<Built> {
  const key = `${tool}-${mode}`;
  let p = builds.get(key);
  if (p === undefined) {
    p = (async () => {
      const repo = path.join(base, key);
      const commit = tool === 'ostree' ? ostreeCommit : jigtreeCommit;
      await (tool === 'ostree' ? ostreeInit : jigtreeInit)(repo, mode);
      const commits: Record<string, string> = {};
      for (const v of VARIANTS) {
        const run: RunOptions = v.env === undefined ? {} : { env: v.env };
        commits[v.name] = await commit(repo, src, v.opts, run);
      }
      for (const [i, { subdir, opts }] of CHAIN.entries()) commits[`chain-${i + 1}`] = await commit(repo, path.join(src, subdir), opts);
      return { repo, commits };
    })();
    builds.set(key, p);
  }
  return p;
}

const checkouts = new Map<string, Promise<string>>();
/** `ostree checkout` (as root, or `-U`) of the plain variant from the repo `tool` wrote. */
function checkout(tool: Tool, mode: RepoMode, user: boolean): Promise<string> {
  const key = `co-${tool}-${mode}-${user ? 'user' : 'root'}`;
  let p = checkouts.get(key);
  if (p === undefined) {
    p = (async () => {
      const { repo, commits } = await built(tool, mode);
      const out = path.join(base, key);
      await ok(`ostree checkout ${key}`, runOstree(['checkout', `--repo=${repo}`, ...(user ? ['-U'] : []), commits['plain'] ?? '', out]));
      return out;
    })();
    checkouts.set(key, p);
  }
  return p;
}

/**
 * What `ostree checkout` as root (no -U) restores, from archive and bare-user alike: modes incl.
 * setuid/setgid/sticky, owners, content, targets and xattrs (trusted.* too, on symlinks too),
 * except that `ostree commit` drops xattrs with an empty value (user.empty), so the checkout
 * lacks it.
 */
function rootCheckoutDifferences(): string[] {
  const all = xattrList(path.join(src, 'xattr/file'));
  return [`/xattr/file: xattrs [${all.join(', ')}] != [${all.filter((x) => x !== 'user.empty=').join(', ')}]`];
}

/**
 * What `ostree checkout -U` changes, ignoring owners (never chowned) and xattrs (never set; a
 * bare-user checkout hardlinks the objects, whose only xattr is user.ostreemeta): setuid and
 * setgid are dropped, and bare-user objects are stored as `(mode & 0775) | 0400` (§2.6).
 */
function userCheckoutDifferences(mode: RepoMode): string[] {
  return [
    '/owned/setgid: mode 02755 != 0755',
    ...(mode === 'bare-user' ? ['/perms/world-write: mode 0666 != 0664'] : []),
    '/setuid: mode 04755 != 0755',
  ];
}

// The harness validated with ostree alone: the tree is committed and checked out by the real
// tool, so makeSourceTree and compareTrees are known to agree with it before jigtree is judged.
describe('oracle harness: ostree commit + ostree checkout of the generated tree', () => {
  it.each(MODES)('%s: ostree checkout as root restores everything but empty-valued xattrs', async (mode) => {
    expect(await compareTrees(src, await checkout('ostree', mode, false))).toEqual(rootCheckoutDifferences());
  });

  it.each(MODES)('%s: ostree checkout -U drops setuid/setgid, owners and xattrs', async (mode) => {
    const out = await checkout('ostree', mode, true);
    expect(await compareTrees(src, out, { owners: false, xattrs: false })).toEqual(userCheckoutDifferences(mode));
    expect(xattrList(path.join(out, 'xattr/file')).map((x) => x.split('=')[0])).toEqual(mode === 'bare-user' ? ['user.ostreemeta'] : []);
  });

  it('the commit checksum does not depend on the repo mode, nor on which run generated the tree', async () => {
    const [a, b] = await Promise.all([built('ostree', 'archive'), built('ostree', 'bare-user')]);
    expect(b.commits).toEqual(a.commits);
    const repo = path.join(base, 'ostree-again');
    await ostreeInit(repo, 'archive');
    const sums: string[] = [];
    for (const name of ['small-1', 'small-2']) {
      const tree = await makeSourceTree(path.join(base, name), { bigDirEntries: 20 });
      sums.push(await ostreeCommit(repo, tree.root, { subject: name.slice(0, 5), timestamp: TS }));
    }
    expect(sums[1]).toBe(sums[0]);
  });
});

describe('jigtree commit against ostree commit', () => {
  it.each(MODES)('%s: the same commit checksum for every option set and for a parent chain', async (mode) => {
    const [ours, theirs] = await Promise.all([built('jigtree', mode), built('ostree', mode)]);
    const explained: string[] = [];
    for (const [name, sum] of Object.entries(theirs.commits)) {
      const mine = ours.commits[name] ?? '';
      if (mine !== sum) explained.push(`${name}: ${await explainCommitDifference(ours.repo, mine, theirs.repo, sum)}`);
    }
    expect(ours.commits, explained.join('\n\n')).toEqual(theirs.commits);
  });

  it.each(MODES)('%s: ostree fsck passes on our repo, and so does jigtree fsck (on ostree\'s archive repo too)', async (mode) => {
    const { repo } = await built('jigtree', mode);
    const r = await ostreeFsck(repo);
    expect(r.code, describeResult('ostree fsck', r)).toBe(0);
    for (const target of mode === 'archive' ? [repo, (await built('ostree', mode)).repo] : [repo]) {
      const j = await runJigtree(['fsck', '--repo', target]);
      expect(j.code, describeResult(`jigtree fsck ${target}`, j)).toBe(0);
    }
  });

  it.each(MODES)('%s: ostree checkout as root of our commit equals the source tree, as for its own', async (mode) => {
    const ours = await checkout('jigtree', mode, false);
    expect(await compareTrees(src, ours)).toEqual(rootCheckoutDifferences());
    expect(await compareTrees(await checkout('ostree', mode, false), ours)).toEqual([]);
  });

  it('bare-user: ostree checkout -U of our commit equals ostree\'s own, down to user.ostreemeta and object modes', async () => {
    const ours = await checkout('jigtree', 'bare-user', true);
    expect(await compareTrees(src, ours, { owners: false, xattrs: false })).toEqual(userCheckoutDifferences('bare-user'));
    // The checkout hardlinks the repo objects: their modes, owners and xattrs must be ostree's.
    expect(await compareTrees(await checkout('ostree', 'bare-user', true), ours)).toEqual([]);
  });

  it.each(MODES)('%s: ostree log shows our parent chain of three commits', async (mode) => {
    const { repo, commits } = await built('jigtree', mode);
    const log = await ok('ostree log', runOstree(['log', `--repo=${repo}`, 'chain']));
    expect([...log.matchAll(/^commit ([0-9a-f]{64})$/gm)].map((m) => m[1])).toEqual([commits['chain-3'], commits['chain-2'], commits['chain-1']]);
    expect([...log.matchAll(/^Parent: +([0-9a-f]{64})$/gm)].map((m) => m[1])).toEqual([commits['chain-2'], commits['chain-1']]);
    expect(log).not.toMatch(/History beyond this commit not fetched/);
    // jigtree log lists the same chain, newest first.
    const ours = await ok('jigtree log', runJigtree(['log', '--repo', repo, 'chain']));
    const at = [commits['chain-3'], commits['chain-2'], commits['chain-1']].map((c) => ours.indexOf(c ?? '-'));
    expect(at.every((i) => i >= 0) && at.every((i, k) => k === 0 || i > (at[k - 1] ?? 0)), ours).toBe(true);
  });
});

/** Our archive repo after `jigtree summary --update`, served on 127.0.0.1. */
function served(): Promise<{ server: StaticServer; built: Built }> {
  server ??= (async () => {
    const { repo } = await built('jigtree', 'archive');
    await ok('jigtree summary --update', runJigtree(['summary', '--repo', repo, '--update']));
    return serveDirectory(repo);
  })();
  return Promise.all([server, built('jigtree', 'archive')]).then(([s, b]) => ({ server: s, built: b }));
}

describe('jigtree summary and ostree pull over HTTP', () => {
  it('ostree summary --view reads our summary and lists every ref with our checksum and commit size', async () => {
    const { built: b } = await served();
    const view = await ok('ostree summary --view', runOstree(['summary', `--repo=${b.repo}`, '--view']));
    expect(view).toMatch(/^Repository Mode \(ostree\.summary\.mode\): archive-z2$/m);
    const listed = [...view.matchAll(/^\* (\S+)\n +Latest Commit \((\d+) bytes\):\n +([0-9a-f]{64})$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    const expected = await Promise.all(
      [...REFS].sort(([a], [b2]) => Buffer.compare(Buffer.from(a), Buffer.from(b2))).map(async ([ref, name]) => {
        const sum = b.commits[name] ?? '';
        const size = (await fs.stat(path.join(b.repo, 'objects', sum.slice(0, 2), `${sum.slice(2)}.commit`))).size;
        return [ref, size, sum];
      }),
    );
    expect(listed).toEqual(expected);
  });

  it.each(MODES)('ostree pull into a %s client gets our commits, and the client fscks clean', async (mode) => {
    const { server: s, built: b } = await served();
    const client = path.join(base, `client-${mode}`);
    await ostreeInit(client, mode);
    await ok('ostree remote add', runOstree(['remote', 'add', `--repo=${client}`, '--no-gpg-verify', 'origin', s.url]));
    const refs = await ok('ostree remote refs', runOstree(['remote', 'refs', `--repo=${client}`, 'origin']));
    expect(refs.split('\n').filter((l) => l !== '').sort()).toEqual([...REFS.keys()].map((r) => `origin:${r}`).sort());
    const plain = VARIANTS[0]?.opts.branch ?? '';
    await ok('ostree pull', runOstree(['pull', `--repo=${client}`, 'origin', plain]));
    await ok('ostree pull --depth=-1', runOstree(['pull', `--repo=${client}`, '--depth=-1', 'origin', 'chain']));
    expect(await ostreeRevParse(client, `origin:${plain}`)).toBe(b.commits['plain']);
    expect(await ostreeRevParse(client, 'origin:chain')).toBe(b.commits['chain-3']);
    expect(await ostreeRevParse(client, 'origin:chain^^')).toBe(b.commits['chain-1']);
    const r = await ostreeFsck(client);
    expect(r.code, describeResult('ostree fsck (client)', r)).toBe(0);
    expect(r.stdout).toMatch(/4 commit objects/);
  });
});

// A commit killed at seeded pseudo-random moments must leave a repo ostree accepts, with the
// ref either unmoved or on the complete new commit, and the same commit must then succeed.
describe('SIGKILL during jigtree commit (archive)', () => {
  let dir: string;
  let small: string;
  let big: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-kill-'));
    small = path.join(dir, 'small');
    big = path.join(dir, 'big');
    await makeSourceTree(small, { bigDirEntries: 10 });
    await makeSourceTree(big, { bigDirEntries: 3000 });
    await fs.mkdir(path.join(big, 'blobs'));
    for (let i = 0; i < 3; i++) await fs.writeFile(path.join(big, `blobs/blob-${i}`), mixedBytes(1000 + i, 2 * 1024 * 1024));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Object files that are not a complete object's final name (`objects/XX/<62 hex>.<kind>`). */
  async function strayObjectFiles(repo: string): Promise<string[]> {
    const stray: string[] = [];
    for (const xx of await fs.readdir(path.join(repo, 'objects'))) {
      if (!/^[0-9a-f]{2}$/.test(xx)) {
        stray.push(xx);
        continue;
      }
      for (const n of await fs.readdir(path.join(repo, 'objects', xx))) {
        if (!/^[0-9a-f]{62}\.(commit|commitmeta|dirtree|dirmeta|filez)$/.test(n)) stray.push(`${xx}/${n}`);
      }
    }
    return stray;
  }

  it('leaves a repo that passes ostree fsck with the ref unmoved (or on the complete commit); the rerun succeeds', async () => {
    const template = path.join(dir, 'template');
    await jigtreeInit(template, 'archive');
    const parent = await jigtreeCommit(template, small, { branch: 'main', subject: 'base', timestamp: TS });
    // An explicit parent, so a rerun after the ref moved still makes the same commit.
    const opts: CommitOptions = { branch: 'main', subject: 'big', timestamp: TS + 60, parent };
    const reference = path.join(dir, 'reference');
    await ostreeInit(reference, 'archive');
    const expected = await ostreeCommit(reference, big, opts);
    const clone = (name: string): string => {
      const to = path.join(dir, name);
      execFileSync('cp', ['-a', template, to]);
      return to;
    };
    const refOf = async (repo: string): Promise<string> => (await fs.readFile(path.join(repo, 'refs/heads/main'), 'utf8')).trim();

    // One uninterrupted run, to know how long a commit takes (the kill points spread over it).
    const measured = clone('measured');
    const t0 = performance.now();
    expect(await jigtreeCommit(measured, big, opts)).toBe(expected);
    const fullMs = performance.now() - t0;

    const rng = seededRandom(0x5eed);
    const delays = Array.from({ length: 8 }, () => Math.round(20 + rng() * Math.max(0, fullMs - 20))).sort((a, b) => a - b);
    const outcomes: string[] = [];
    for (const [i, delay] of delays.entries()) {
      const repo = clone(`kill-${i}`);
      const run = startJigtree(jigtreeCommitArgs(repo, big, opts));
      const timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
      const r = await run.done;
      clearTimeout(timer);
      const ref = await refOf(repo);
      const where = `kill ${i} at ${delay} ms of ${Math.round(fullMs)} ms`;
      outcomes.push(`${where}: ${r.signal ?? `exit ${r.code ?? '?'}`}, ref ${ref === parent ? 'unmoved' : ref === expected ? 'on the new commit' : ref}`);
      expect(r.signal === 'SIGKILL' || r.code === 0, describeResult(where, r)).toBe(true);
      expect([parent, expected], `${where}: refs/heads/main`).toContain(ref);
      if (r.code === 0) expect(ref, where).toBe(expected);
      if (ref === expected) await expect(fs.stat(path.join(repo, 'state', `${expected}.commitpartial`)), `${where}: ref moved to a partial commit`).rejects.toThrow();
      const fsck = await ostreeFsck(repo);
      expect(fsck.code, describeResult(`${where}: ostree fsck`, fsck)).toBe(0);
      expect(await strayObjectFiles(repo), `${where}: files under objects/ that are not complete objects`).toEqual([]);

      expect(await jigtreeCommit(repo, big, opts), `${where}: rerun`).toBe(expected);
      expect(await refOf(repo)).toBe(expected);
      const again = await ostreeFsck(repo);
      expect(again.code, describeResult(`${where}: ostree fsck after the rerun`, again)).toBe(0);
      await fs.rm(repo, { recursive: true, force: true });
    }
    // At least one kill must have hit a running commit, or the test proved nothing.
    expect(outcomes.filter((o) => o.includes('SIGKILL')).length, outcomes.join('\n')).toBeGreaterThan(0);
  }, 300_000);
});
