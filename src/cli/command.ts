import type { Writable } from 'node:stream';

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
