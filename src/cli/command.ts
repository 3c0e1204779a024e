import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/index.js';

/** What a command gets from main: its output streams and the process environment. */
export type CliContext = {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Cancelled on SIGINT/SIGTERM. */
  signal: AbortSignal;
};

/** A lazily loaded command: parses its own arguments, calls the API, renders; returns the exit code. */
export type CommandModule = { run(args: string[], ctx: CliContext): Promise<number> };

/** Exit codes (architecture.md §5). */
export const EXIT = { ok: 0, failure: 1, usage: 2, problemsFound: 3 } as const;

/** node:util parseArgs, strict, with its errors turned into UsageError (exit 2). */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T, command: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('. ')[0] ?? err.message : String(err);
    throw new UsageError(`${command}: ${msg}`, { hint: `see \`jigtree ${command} --help\`` });
  }
}

/** The repository path from `--repo`, else `$OSTREE_REPO` (as the ostree CLI), else a UsageError. */
export function repoPath(value: string | undefined, ctx: CliContext, command: string): string {
  const repo = value ?? ctx.env['OSTREE_REPO'];
  if (repo === undefined || repo === '') throw new UsageError(`${command}: missing --repo`, { hint: `see \`jigtree ${command} --help\`` });
  return repo;
}

/**
 * Seconds since the epoch: `--timestamp` (EPOCH or @EPOCH), else $SOURCE_DATE_EPOCH, else the
 * clock (reproducible builds spec; ostree does the same).
 */
export function timestampFrom(value: string | undefined, ctx: CliContext, what = '--timestamp'): number {
  const [raw, source] = value !== undefined ? [value.replace(/^@/, ''), what] : [ctx.env['SOURCE_DATE_EPOCH'], 'SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw === '') return Math.floor(Date.now() / 1000);
  if (!/^\d{1,15}$/.test(raw)) throw new UsageError(`${source}: expected seconds since the epoch, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Parses a non-negative integer option (uid, gid...). */
export function uintOption(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value) || Number(value) > 0xffffffff) throw new UsageError(`${what}: expected a number from 0 to 4294967295, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** The default cache directory: $JIGTREE_CACHE_DIR, else $XDG_CACHE_HOME/jigtree, else ~/.cache/jigtree (XDG). */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const explicit = env['JIGTREE_CACHE_DIR'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env['XDG_CACHE_HOME'];
  return path.join(xdg !== undefined && xdg !== '' ? xdg : path.join(os.homedir(), '.cache'), 'jigtree');
}
