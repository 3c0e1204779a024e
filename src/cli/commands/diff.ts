import { UsageError, diff } from '../../index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree diff --repo REPO A B [--exit-code] [--json]

Compares commits A and B as \`ostree diff\` does: "M    /path" for modified entries, then
"D" for removed and "A" for added ones (a removed directory is listed alone, an added one with
everything below it).
  --exit-code   exit 3 when the trees or the commits differ
  --json        {"from", "to", "modified", "removed", "added", "changes"}; changes lists commit
                fields (subject, body, parent, timestamp, metadata.KEY) that differ
`;

/** `jigtree diff`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: { repo: { type: 'string' }, 'exit-code': { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    },
    'diff',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [from, to, ...extra] = positionals;
  if (from === undefined || to === undefined || extra.length > 0) throw new UsageError('diff: expected two revisions A B', { hint: 'see `jigtree diff --help`' });
  const d = await diff({ repo: repoPath(values.repo, ctx, 'diff'), from, to, signal: ctx.signal });
  if (values.json) ctx.stdout.write(`${JSON.stringify(d)}\n`);
  else ctx.stdout.write([...d.modified.map((p) => `M    ${p}\n`), ...d.removed.map((p) => `D    ${p}\n`), ...d.added.map((p) => `A    ${p}\n`)].join(''));
  const differs = d.modified.length + d.removed.length + d.added.length + d.changes.length > 0;
  return values['exit-code'] && differs ? EXIT.problemsFound : EXIT.ok;
}
