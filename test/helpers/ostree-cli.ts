/*
 * Running the real `ostree` (the oracle, /usr/bin/ostree 2022.7) and the built jigtree CLI
 * (dist/cli/main.js, built by `npm run build`) the same way, with one result shape. Nothing here
 * throws on a non-zero exit: the tests assert on codes and messages. The helpers that need a
 * result to go on (ostreeCommit, ostreeRevParse...) throw with the tool's stderr when it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.js';

/** The oracle binary. */
export const OSTREE = '/usr/bin/ostree';
/** The built jigtree CLI entry point. */
export const JIGTREE_CLI = path.join(ROOT, 'dist/cli/main.js');

/** How a command ended: `code` is null when a signal (named in `signal`) ended it. */
export type CliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Options for runOstree/runJigtree. */
export type RunOptions = {
  cwd?: string;
  /** Extra environment variables (on top of process.env, minus SOURCE_DATE_EPOCH). */
  env?: Record<string, string>;
  /** Aborting it kills the process with `killSignal` (default SIGKILL). */
  signal?: AbortSignal;
  killSignal?: NodeJS.Signals;
  /** Kill the process (SIGKILL) after this long, so a hung tool cannot hang the suite (default 120 s). */
  timeoutMs?: number;
};

/** A started process and the promise of its result. */
export type Started = { child: ChildProcess; done: Promise<CliResult> };

/** The environment the tools see: no ambient SOURCE_DATE_EPOCH, so timestamps are what tests pass. */
function environment(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (extra?.['SOURCE_DATE_EPOCH'] === undefined) delete env['SOURCE_DATE_EPOCH'];
  return env;
}

/** Starts `cmd args`; the result never rejects (a spawn error becomes code 127 and its message). */
export function start(cmd: string, args: string[], opts: RunOptions = {}): Started {
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: environment(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    killSignal: opts.killSignal ?? 'SIGKILL',
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const limit = opts.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, limit);
  const done = new Promise<CliResult>((resolve) => {
    let spawnError: Error | null = null;
    // An AbortSignal abort emits 'error' (AbortError) and then 'close' with the kill signal.
    child.on('error', (e) => { if (e.name !== 'AbortError') spawnError = e; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8') + (timedOut ? `(killed: still running after ${limit} ms)\n` : '');
      resolve({
        code: spawnError === null ? code : 127,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: spawnError === null ? stderr : `${stderr}${spawnError.message}\n`,
      });
    });
  });
  return { child, done };
}

/** Runs /usr/bin/ostree with `args`. */
export function runOstree(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return start(OSTREE, args, opts).done;
}

/** Starts the built jigtree CLI (for kill tests: `child.kill('SIGKILL')`). */
export function startJigtree(args: string[], opts: RunOptions = {}): Started {
  return start(process.execPath, [JIGTREE_CLI, ...args], opts);
}

/** Runs the built jigtree CLI with `args`. */
export function runJigtree(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return startJigtree(args, opts).done;
}

/** One line describing a result, for assertion messages. */
export function describeResult(what: string, r: CliResult): string {
  const how = r.code === null ? `killed by ${r.signal ?? '?'}` : `exit ${r.code}`;
  return `${what}: ${how}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
}

/** The stdout of a command that must succeed; throws with its stderr otherwise. */
export async function ok(what: string, p: Promise<CliResult>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(describeResult(what, r));
  return r.stdout;
}

/** Repository modes both tools write. */
export type RepoMode = 'archive' | 'bare-user' | 'bare';

/** The options of a commit, in a form both CLIs can be given (ostree-format.md §4). */
export type CommitOptions = {
  /** `-b REF` / `--branch REF`; without it the commit is `--orphan`. */
  branch?: string;
  subject?: string;
  body?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
  ownerUid?: number;
  ownerGid?: number;
  canonicalPermissions?: boolean;
  noXattrs?: boolean;
  noBindings?: boolean;
  /** `none` or a commit checksum; default: the branch's current commit. */
  parent?: string;
  /** `--add-metadata-string K=V`, in order. */
  metadata?: [string, string][];
};

/** `ostree commit` arguments for `opts` (ostree spells the timestamp `@EPOCH`). */
export function ostreeCommitArgs(repo: string, dir: string, opts: CommitOptions): string[] {
  const a = ['commit', `--repo=${repo}`];
  a.push(...(opts.branch === undefined ? ['--orphan'] : ['-b', opts.branch]));
  if (opts.subject !== undefined) a.push(`--subject=${opts.subject}`);
  if (opts.body !== undefined) a.push(`--body=${opts.body}`);
  if (opts.timestamp !== undefined) a.push(`--timestamp=@${opts.timestamp}`);
  if (opts.ownerUid !== undefined) a.push(`--owner-uid=${opts.ownerUid}`);
  if (opts.ownerGid !== undefined) a.push(`--owner-gid=${opts.ownerGid}`);
  if (opts.canonicalPermissions === true) a.push('--canonical-permissions');
  if (opts.noXattrs === true) a.push('--no-xattrs');
  if (opts.noBindings === true) a.push('--no-bindings');
  if (opts.parent !== undefined) a.push(`--parent=${opts.parent}`);
  for (const [k, v] of opts.metadata ?? []) a.push(`--add-metadata-string=${k}=${v}`);
  a.push(dir);
  return a;
}

/** `jigtree commit` arguments for `opts` (the CLI contract of issue 3). */
export function jigtreeCommitArgs(repo: string, dir: string, opts: CommitOptions): string[] {
  const a = ['commit', '--repo', repo];
  a.push(...(opts.branch === undefined ? ['--orphan'] : ['--branch', opts.branch]));
  if (opts.subject !== undefined) a.push('--subject', opts.subject);
  if (opts.body !== undefined) a.push('--body', opts.body);
  if (opts.timestamp !== undefined) a.push('--timestamp', String(opts.timestamp));
  if (opts.ownerUid !== undefined) a.push('--owner-uid', String(opts.ownerUid));
  if (opts.ownerGid !== undefined) a.push('--owner-gid', String(opts.ownerGid));
  if (opts.canonicalPermissions === true) a.push('--canonical-permissions');
  if (opts.noXattrs === true) a.push('--no-xattrs');
  if (opts.noBindings === true) a.push('--no-bindings');
  if (opts.parent !== undefined) a.push('--parent', opts.parent);
  for (const [k, v] of opts.metadata ?? []) a.push('--add-metadata-string', `${k}=${v}`);
  a.push(dir);
  return a;
}

const CHECKSUM_LINE = /^[0-9a-f]{64}\n$/;

/** The checksum a commit command printed; throws unless it printed exactly `64 hex + \n`. */
function checksumFrom(what: string, r: CliResult): string {
  if (r.code !== 0 || !CHECKSUM_LINE.test(r.stdout)) throw new Error(describeResult(what, r));
  return r.stdout.slice(0, 64);
}

/** `ostree init --repo=R --mode=M`. */
export async function ostreeInit(repo: string, mode: RepoMode): Promise<void> {
  await ok('ostree init', runOstree(['init', `--repo=${repo}`, `--mode=${mode}`]));
}

/** `jigtree init --repo R --mode M`. */
export async function jigtreeInit(repo: string, mode: RepoMode): Promise<void> {
  await ok('jigtree init', runJigtree(['init', '--repo', repo, '--mode', mode]));
}

/** Commits `dir` with the real ostree; returns the commit checksum. */
export async function ostreeCommit(repo: string, dir: string, opts: CommitOptions, run: RunOptions = {}): Promise<string> {
  return checksumFrom('ostree commit', await runOstree(ostreeCommitArgs(repo, dir, opts), run));
}

/** Commits `dir` with jigtree; returns the commit checksum (stdout must be exactly 64 hex + \n). */
export async function jigtreeCommit(repo: string, dir: string, opts: CommitOptions, run: RunOptions = {}): Promise<string> {
  return checksumFrom('jigtree commit', await runJigtree(jigtreeCommitArgs(repo, dir, opts), run));
}

/** `ostree rev-parse`; throws when the ref does not resolve. */
export async function ostreeRevParse(repo: string, ref: string): Promise<string> {
  return checksumFrom(`ostree rev-parse ${ref}`, await runOstree(['rev-parse', `--repo=${repo}`, ref]));
}

/** `ostree fsck` result, for `expect(r.code, r.stdout + r.stderr).toBe(0)`. */
export function ostreeFsck(repo: string): Promise<CliResult> {
  return runOstree(['fsck', `--repo=${repo}`]);
}

/** Root dirtree and dirmeta of a commit as `ostree ls -d -C` prints them (or ostree's error). */
export async function ostreeRootLs(repo: string, rev: string): Promise<string> {
  const r = await runOstree(['ls', `--repo=${repo}`, '-d', '-C', rev, '/']);
  return r.code === 0 ? r.stdout.trim() : `(ostree ls failed: ${r.stderr.trim()})`;
}

/** Every entry of a commit with checksums and xattrs (`ostree ls -R -C -X`), one line each. */
export async function ostreeListing(repo: string, rev: string): Promise<string[]> {
  const r = await runOstree(['ls', `--repo=${repo}`, '-R', '-C', '-X', rev]);
  return r.code === 0 ? r.stdout.split('\n').filter((l) => l !== '') : [`(ostree ls failed: ${r.stderr.trim()})`];
}

/**
 * Why two commits differ, for an assertion message: the root dirtree/dirmeta of each, the
 * listing lines only one side has (first 20), and when the trees agree the decoded commits.
 */
export async function explainCommitDifference(repoA: string, a: string, repoB: string, b: string): Promise<string> {
  const [rootA, rootB, listA, listB] = await Promise.all([ostreeRootLs(repoA, a), ostreeRootLs(repoB, b), ostreeListing(repoA, a), ostreeListing(repoB, b)]);
  const setA = new Set(listA);
  const setB = new Set(listB);
  const onlyA = listA.filter((l) => !setB.has(l)).slice(0, 20);
  const onlyB = listB.filter((l) => !setA.has(l)).slice(0, 20);
  const lines = [`commit ${a} (${repoA}) != ${b} (${repoB})`, `root A: ${rootA}`, `root B: ${rootB}`];
  if (onlyA.length + onlyB.length > 0) {
    lines.push('entries only in A:', ...onlyA.map((l) => `  ${l}`), 'entries only in B:', ...onlyB.map((l) => `  ${l}`));
  } else {
    const [showA, showB] = await Promise.all([runOstree(['show', `--repo=${repoA}`, '--raw', a]), runOstree(['show', `--repo=${repoB}`, '--raw', b])]);
    lines.push('trees agree; the commits decode as:', `A: ${showA.stdout.trim()}${showA.stderr.trim()}`, `B: ${showB.stdout.trim()}${showB.stderr.trim()}`);
  }
  return lines.join('\n');
}
