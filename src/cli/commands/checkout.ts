import { UsageError, checkout } from '../../index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree checkout --repo REPO REV DEST [OPTIONS]

Writes the tree of commit REV to DEST, which must not exist or be an empty directory (as
\`ostree checkout\`). As root, owners, modes (setuid included) and xattrs are applied.
  -U, --user          user mode (ostree -U): no chown, no xattrs, setuid/setgid dropped
      --subpath PATH  check out only PATH of the commit
      --hardlink      hardlink files to the repository objects (bare-user repos with --user,
                      bare repos as root); fail if that is not possible
      --copy          always copy, never hardlink
                      (default: hardlink when possible, like ostree)
      --no-xattrs     do not apply extended attributes
      --json          print {"commit", "dirs", "files", "symlinks", "hardlinked", "bytes"}
`;

/** `jigtree checkout`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        user: { type: 'boolean', short: 'U', default: false },
        subpath: { type: 'string' },
        hardlink: { type: 'boolean', default: false },
        copy: { type: 'boolean', default: false },
        'no-xattrs': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'checkout',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [rev, dest, ...extra] = positionals;
  if (rev === undefined || dest === undefined || extra.length > 0) throw new UsageError('checkout: expected REV DEST', { hint: 'see `jigtree checkout --help`' });
  if (values.hardlink && values.copy) throw new UsageError('checkout: --hardlink and --copy exclude each other');
  const owners = values.user ? false : undefined;
  const result = await checkout({
    repo: repoPath(values.repo, ctx, 'checkout'),
    rev,
    dest,
    mode: values.hardlink ? 'hardlink' : values.copy ? 'copy' : 'auto',
    ...(owners === undefined ? {} : { owners }),
    ...(values.user || values['no-xattrs'] ? { xattrs: false } : {}),
    ...(values.subpath === undefined ? {} : { subpath: values.subpath }),
    signal: ctx.signal,
  });
  if (values.json) ctx.stdout.write(`${JSON.stringify(result)}\n`);
  return EXIT.ok;
}
