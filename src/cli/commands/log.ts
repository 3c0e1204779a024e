import { UsageError, log } from '../../index.js';
import { commitToJson, formatCommit } from '../../ostree/index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree log --repo REPO REV [--json]

Prints the commit REV and its ancestors, newest first, as \`ostree log\` does. A parent that is
not in the repository ends the log with "<< History beyond this commit not fetched >>".
  --json    one JSON array of commits (the last has "historyNotFetched": true in that case)
`;

/** `jigtree log`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    { args, allowPositionals: true, options: { repo: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } },
    'log',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [rev, ...extra] = positionals;
  if (rev === undefined || extra.length > 0) throw new UsageError('log: expected exactly one REV', { hint: 'see `jigtree log --help`' });
  const entries = log({ repo: repoPath(values.repo, ctx, 'log'), rev, signal: ctx.signal });
  if (values.json) {
    const out: unknown[] = [];
    for await (const e of entries) out.push({ ...commitToJson(e.checksum, e.commit), ...(e.parentMissing ? { historyNotFetched: true } : {}) });
    ctx.stdout.write(`${JSON.stringify(out)}\n`);
    return EXIT.ok;
  }
  for await (const e of entries) {
    ctx.stdout.write(formatCommit(e.checksum, e.commit));
    if (e.parentMissing) ctx.stdout.write('<< History beyond this commit not fetched >>\n');
  }
  return EXIT.ok;
}
