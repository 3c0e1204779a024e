import type { CliContext } from '../command.js';

/**
 * The one-line live display of long commands on a TTY (compose, assemble): `draw` redraws the
 * line at most every 100 ms, `line` prints a whole line above it, `done` clears it. Off a TTY,
 * or with -v, `tty` is false and `draw` does nothing: the commands print plain lines instead.
 */
export function liveLine(ctx: CliContext, verbose: boolean): { tty: boolean; draw: (text: string, force?: boolean) => void; line: (text: string) => void; done: () => void } {
  const tty = (ctx.stderr as { isTTY?: boolean }).isTTY === true && !verbose;
  let last = 0;
  return {
    tty,
    draw: (text, force = false) => {
      if (!tty) return;
      const now = performance.now();
      if (!force && now - last < 100) return;
      last = now;
      ctx.stderr.write(`\r\x1b[K${text}`);
    },
    line: (text) => {
      ctx.stderr.write(`${tty ? '\r\x1b[K' : ''}${text}\n`);
    },
    done: () => {
      if (tty) ctx.stderr.write('\r\x1b[K');
    },
  };
}
