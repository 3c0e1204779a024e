#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { JigtreeError, UsageError } from '../core/index.js';
import { EXIT, type CliContext, type CommandModule } from './command.js';

/** The command table (as ostree's main.c): name, one-line summary, lazy loader. */
const COMMANDS: { name: string; summary: string; load: () => Promise<CommandModule> }[] = [
  { name: 'resolve', summary: 'Resolve a treefile\'s packages as dnf/apt would; print the set or the problems (--lockfile OUT)', load: () => import('./commands/resolve.js') },
  { name: 'compose', summary: 'Compose a treefile into an OSTree commit (or --rootfs DIR); "no change" when inputs are unchanged', load: () => import('./commands/compose.js') },
  { name: 'jigdo', summary: 'Write the jigdo of a commit (-o DIR), optionally signed and as an .rpm/.deb (--as-package)', load: () => import('./commands/jigdo.js') },
  { name: 'assemble', summary: 'Rebuild a commit bit for bit from its jigdo and a package mirror; set the ref', load: () => import('./commands/assemble.js') },
  { name: 'demo', summary: 'Compose, emit the jigdo as a package, assemble from the mirror alone: the whole story on the bundled fixtures', load: () => import('./commands/demo.js') },
  { name: 'init', summary: 'Create an OSTree repository (--mode archive|bare-user|bare)', load: () => import('./commands/init.js') },
  { name: 'commit', summary: 'Commit a directory to a branch; prints the commit checksum', load: () => import('./commands/commit.js') },
  { name: 'summary', summary: 'Regenerate the repository summary file (--update)', load: () => import('./commands/summary.js') },
  { name: 'log', summary: 'Show a commit and its ancestors (as ostree log)', load: () => import('./commands/log.js') },
  { name: 'show', summary: 'Decode a commit or any object (JSON with --json)', load: () => import('./commands/show.js') },
  { name: 'ls', summary: 'List the entries of a commit (-R recursive, -C checksums, -X xattrs)', load: () => import('./commands/ls.js') },
  { name: 'cat', summary: 'Write files of a commit to stdout', load: () => import('./commands/cat.js') },
  { name: 'refs', summary: 'List refs', load: () => import('./commands/refs.js') },
  { name: 'rev-parse', summary: 'Print the commit checksum a ref or revision names', load: () => import('./commands/rev-parse.js') },
  { name: 'checkout', summary: 'Write a commit to a directory (--user, --subpath, --hardlink)', load: () => import('./commands/checkout.js') },
  { name: 'diff', summary: 'Compare two commits: A/D/M lines (--json for data)', load: () => import('./commands/diff.js') },
  { name: 'fsck', summary: 'Verify every object reachable from the commits; exit 3 on problems', load: () => import('./commands/fsck.js') },
  { name: 'pkg', summary: 'Inspect one .rpm or .deb: `pkg info FILE`, `pkg ls FILE`', load: () => import('./commands/pkg.js') },
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: jigtree COMMAND [OPTIONS]',
    '',
    'Compose OSTree commits from RPM and Debian packages, and rebuild them bit-identically',
    'from package mirrors (jigdo).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show help (also `jigtree COMMAND --help`)',
    '  --version      Show the version',
    '',
    'Environment:',
    '  JIGTREE_DECODERS=builtin   Decode xz/zstd/bzip2 in-process even when the system',
    '                             `xz`/`zstd`/`bzip2` are on PATH (default: auto)',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage error, 3 a check found problems.',
    '',
  ].join('\n');
}

/** Runs the CLI with the given arguments; returns the exit code (never calls process.exit itself). */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    ctx.stdout.write(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    ctx.stdout.write(`jigtree ${version()}\n`);
    return EXIT.ok;
  }
  const json = rest.includes('--json');
  try {
    const cmd = COMMANDS.find((c) => c.name === name);
    if (cmd === undefined) throw new UsageError(`unknown command '${name}'`, { hint: 'see `jigtree --help`' });
    const mod = await cmd.load();
    return await mod.run(rest, ctx);
  } catch (err) {
    return reportError(err, ctx, json);
  }
}

/** One line naming what failed (and a hint), or the error as JSON; maps the error to an exit code. */
function reportError(err: unknown, ctx: CliContext, json: boolean): number {
  if (err instanceof JigtreeError) {
    if (json) ctx.stderr.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
    else ctx.stderr.write(`jigtree: ${err.message}\n${err.hint === undefined ? '' : `hint: ${err.hint}\n`}`);
    return err.code === 'E_USAGE' || err.code === 'E_VALIDATION' ? EXIT.usage : EXIT.failure;
  }
  if (err instanceof Error && err.name === 'AbortError') {
    ctx.stderr.write('jigtree: interrupted\n');
    return 130;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  ctx.stderr.write(`jigtree: internal error (a bug in jigtree, please report it): ${e.message.split('\n')[0] ?? ''}\n${ctx.env['JIGTREE_DEBUG'] === undefined ? '' : `${e.stack ?? ''}\n`}`);
  return EXIT.failure;
}

// Run when executed as the `jigtree` binary (not when imported by tests).
const invokedAs = process.argv[1];
if (invokedAs !== undefined && import.meta.url === (await import('node:url')).pathToFileURL((await import('node:fs')).realpathSync(invokedAs)).href) {
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { controller.abort(); });
  // `jigtree pkg ls X | head` closes stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal });
  process.exitCode = code;
}
