import { UsageError, revParse } from '../../index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree rev-parse --repo REPO REV [--json]

Prints the commit checksum REV names: a ref, remote:ref, or a full checksum, each optionally
followed by ^ (parent) as often as wanted (as \`ostree rev-parse\`).
`;

/** `jigtree rev-parse`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    { args, allowPositionals: true, options: { repo: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } },
    'rev-parse',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [rev, ...extra] = positionals;
  if (rev === undefined || extra.length > 0) throw new UsageError('rev-parse: expected exactly one REV', { hint: 'see `jigtree rev-parse --help`' });
  const checksum = await revParse({ repo: repoPath(values.repo, ctx, 'rev-parse'), rev });
  ctx.stdout.write(values.json ? `${JSON.stringify({ rev, checksum })}\n` : `${checksum}\n`);
  return EXIT.ok;
}
