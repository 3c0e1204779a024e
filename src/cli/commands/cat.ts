import { pipeline } from 'node:stream/promises';
import { UsageError, cat } from '../../index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree cat --repo REPO REV PATH...

Writes the contents of each file to stdout, streamed (as \`ostree cat\`); symlinks are followed
inside the commit.
`;

/** `jigtree cat`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    { args, allowPositionals: true, options: { repo: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } },
    'cat',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [rev, ...paths] = positionals;
  if (rev === undefined || paths.length === 0) throw new UsageError('cat: expected REV PATH...', { hint: 'see `jigtree cat --help`' });
  const repo = repoPath(values.repo, ctx, 'cat');
  for (const path of paths) {
    const data = await cat({ repo, rev, path });
    await pipeline(data, ctx.stdout, { end: false, signal: ctx.signal });
  }
  return EXIT.ok;
}
