import { UsageError, show } from '../../index.js';
import { formatCommit } from '../../ostree/index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree show --repo REPO OBJECT [--type TYPE] [--json]

Decodes one object. OBJECT is a revision (a ref, remote:ref, REF^...), which names a commit, or
an object checksum; its type is found among the objects present (commit first) unless --type
commit|dirtree|dirmeta|file|commitmeta says which.
A commit prints as \`ostree show\` prints it; other objects, and everything with --json, print
as one JSON document.
`;

/** `jigtree show`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: { repo: { type: 'string' }, type: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    },
    'show',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [object, ...extra] = positionals;
  if (object === undefined || extra.length > 0) throw new UsageError('show: expected exactly one OBJECT', { hint: 'see `jigtree show --help`' });
  const r = await show({ repo: repoPath(values.repo, ctx, 'show'), object, ...(values.type === undefined ? {} : { type: values.type }) });
  if (values.json) ctx.stdout.write(`${JSON.stringify(r.json)}\n`);
  else if (r.commit !== undefined) ctx.stdout.write(formatCommit(r.checksum, r.commit));
  else ctx.stdout.write(`${JSON.stringify(r.json, null, 2)}\n`);
  return EXIT.ok;
}
