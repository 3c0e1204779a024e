import { UsageError, updateRepoSummary } from '../../index.js';
import { EXIT, parseCommandArgs, repoPath, timestampFrom, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree summary --repo REPO --update [--json]

Regenerates the repository's summary file (refs, commit sizes, timestamps), which
\`ostree pull\` and \`ostree remote refs\` read. A stale summary.sig is removed.
The last-modified time is $SOURCE_DATE_EPOCH if set, else now.
`;

/** `jigtree summary --update`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(
    {
      args,
      allowPositionals: false,
      options: {
        repo: { type: 'string' },
        update: { type: 'boolean', short: 'u', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'summary',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (!values.update) throw new UsageError('summary: nothing to do; give --update', { hint: 'to read a summary use `ostree summary --view`' });
  const r = await updateRepoSummary({ repo: repoPath(values.repo, ctx, 'summary'), now: timestampFrom(undefined, ctx) });
  if (values.json) ctx.stdout.write(`${JSON.stringify(r)}\n`);
  return EXIT.ok;
}
