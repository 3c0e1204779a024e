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
