// Runs the jigtree CLI in this process (no spawn), capturing what it writes: for tests that check
// one-line errors and exit codes by the hundred.
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** What one CLI run produced; `out` is stdout as bytes (for `cat`). */
export type InProcessResult = { code: number; stdout: string; stderr: string; out: Buffer };

/** Runs `jigtree ...args` with an empty environment. */
export async function runCliInProcess(...args: string[]): Promise<InProcessResult> {
  const sink = (into: Buffer[]): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        into.push(Buffer.from(chunk));
        cb();
      },
    });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const code = await main(args, { stdout: sink(out), stderr: sink(err), env: {}, signal: new AbortController().signal });
  const o = Buffer.concat(out);
  return { code, stdout: o.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), out: o };
}
