import { UsageError, refs } from '../../index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree refs --repo REPO [--local] [--json]

Lists the refs of the repository, sorted; remote refs as remote:ref (as \`ostree refs\`).
  --local   only refs/heads
  --json    [{"name", "commit"}]
`;

/** `jigtree refs`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: { repo: { type: 'string' }, local: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    },
    'refs',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError('refs: expected no arguments', { hint: 'see `jigtree refs --help`' });
  const list = await refs({ repo: repoPath(values.repo, ctx, 'refs'), remotes: !values.local });
  ctx.stdout.write(values.json ? `${JSON.stringify(list.map((r) => ({ name: r.name, commit: r.commit })))}\n` : list.map((r) => `${r.name}\n`).join(''));
  return EXIT.ok;
}
