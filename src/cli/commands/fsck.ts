import { fsck } from '../../index.js';
import type { Finding } from '../../ostree/index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree fsck --repo REPO [REV...] [--json]

Re-hashes and validates every object reachable from every commit in the repository (or from
the given revisions) and reports every problem, one line each:
  KIND TYPE CHECKSUM PATH: WHAT (commits: C1, C2)
KIND is missing, corrupt (bytes do not match the name), invalid (not a valid object of its
type) or dangling-ref. Commits marked partial (state/*.commitpartial) are skipped.
Exit status: 0 no problems, 3 problems found, 1 fsck could not run.
  --json    the whole report as one JSON document
`;

/** One line per finding: what, where, what is wrong, who reaches it. */
function line(f: Finding): string {
  const where = f.path === undefined ? '' : ` ${f.path}`;
  const commits = f.commits.length === 0 ? '' : ` (commits: ${f.commits.join(', ')})`;
  const refs = f.refs === undefined || f.refs.length === 0 ? '' : ` (refs: ${f.refs.join(', ')})`;
  if (f.checksum === undefined) return `${f.kind}: ${f.message}\n`;
  return `${f.kind} ${f.type} ${f.checksum}${where}: ${f.message}${commits}${refs}\n`;
}

/** `jigtree fsck`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: { repo: { type: 'string' }, json: { type: 'boolean', default: false }, quiet: { type: 'boolean', short: 'q', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    },
    'fsck',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const report = await fsck({ repo: repoPath(values.repo, ctx, 'fsck'), revs: positionals, signal: ctx.signal });
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const f of report.findings) ctx.stdout.write(line(f));
    if (!values.quiet) {
      if (report.partial.length > 0) ctx.stdout.write(`${report.partial.length} partial commit${report.partial.length === 1 ? '' : 's'} not verified\n`);
      const n = report.findings.length;
      ctx.stdout.write(`checked ${report.checked.commits} commit${report.checked.commits === 1 ? '' : 's'}, ${report.checked.objects} objects: ${n === 0 ? 'no problems found' : `${n} problem${n === 1 ? '' : 's'} found`}\n`);
    }
  }
  return report.findings.length > 0 ? EXIT.problemsFound : EXIT.ok;
}
