import { UsageError, commit } from '../../index.js';
import { variant } from '../../gvariant/index.js';
import { EXIT, parseCommandArgs, repoPath, timestampFrom, uintOption, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree commit --repo REPO (--branch REF | --orphan) [OPTIONS] DIR

Commits directory DIR (as \`ostree commit --tree=dir=DIR\`) and prints the commit checksum.
The same tree and options give the same checksum as \`ostree commit\`.

Options:
  -b, --branch REF               move REF to the new commit (its parent defaults to REF's commit)
      --orphan                   make a commit no ref points at
  -s, --subject S                subject line
      --body B                   body text
      --timestamp EPOCH          seconds since the epoch (default: $SOURCE_DATE_EPOCH, else now)
      --parent none|REV          parent commit (default: the branch's current commit)
      --owner-uid N              record uid N for every file and directory
      --owner-gid N              record gid N for every file and directory
      --canonical-permissions    uid/gid 0, modes masked to 0755, no xattrs
      --no-xattrs                do not record extended attributes
      --no-bindings              do not record ostree.ref-binding
      --add-metadata-string K=V  add string metadata (repeatable; kept in order)
      --json                     print {"commit", "ref", "parent", "stats"} as JSON
`;

/** JIGTREE_IMPORT_WORKERS=N: worker threads for small files (0 = none; default one per core). */
function workersFromEnv(ctx: CliContext): { workers?: number } {
  const raw = ctx.env['JIGTREE_IMPORT_WORKERS'];
  if (raw === undefined || raw === '') return {};
  const n = uintOption(raw, 'JIGTREE_IMPORT_WORKERS');
  return n === undefined ? {} : { workers: Math.min(n, 64) };
}

/** `jigtree commit`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        branch: { type: 'string', short: 'b' },
        orphan: { type: 'boolean', default: false },
        subject: { type: 'string', short: 's' },
        body: { type: 'string' },
        timestamp: { type: 'string' },
        parent: { type: 'string' },
        'owner-uid': { type: 'string' },
        'owner-gid': { type: 'string' },
        'canonical-permissions': { type: 'boolean', default: false },
        'no-xattrs': { type: 'boolean', default: false },
        'no-bindings': { type: 'boolean', default: false },
        'add-metadata-string': { type: 'string', multiple: true, default: [] },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'commit',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [dir, ...extra] = positionals;
  if (dir === undefined || extra.length > 0) throw new UsageError('commit: expected exactly one directory', { hint: 'see `jigtree commit --help`' });
  if ((values.branch === undefined) === !values.orphan) throw new UsageError('commit: give --branch REF or --orphan', { hint: 'see `jigtree commit --help`' });
  const metadata = values['add-metadata-string'].map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--add-metadata-string ${JSON.stringify(kv)}: expected KEY=VALUE`);
    return [kv.slice(0, eq), variant('s', kv.slice(eq + 1))] as const;
  });
  const ownerUid = uintOption(values['owner-uid'], '--owner-uid');
  const ownerGid = uintOption(values['owner-gid'], '--owner-gid');
  const result = await commit({
    repo: repoPath(values.repo, ctx, 'commit'),
    dir,
    ...(values.branch === undefined ? {} : { branch: values.branch }),
    ...(values.subject === undefined ? {} : { subject: values.subject }),
    ...(values.body === undefined ? {} : { body: values.body }),
    ...(values.parent === undefined ? {} : { parent: values.parent }),
    ...(ownerUid === undefined ? {} : { ownerUid }),
    ...(ownerGid === undefined ? {} : { ownerGid }),
    canonicalPermissions: values['canonical-permissions'],
    noXattrs: values['no-xattrs'],
    bindings: !values['no-bindings'],
    metadata,
    ...workersFromEnv(ctx),
    timestamp: timestampFrom(values.timestamp, ctx),
    signal: ctx.signal,
  });
  ctx.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${result.commit}\n`);
  return EXIT.ok;
}
