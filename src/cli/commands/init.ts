import { init } from '../../index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree init --repo REPO [--mode archive|bare-user|bare] [--collection-id ID] [--json]

Creates an OSTree repository (as \`ostree init\`). Modes:
  archive     content zlib-compressed; servable over HTTP (default)
  bare-user   files stored as-is, owners and xattrs in user.ostreemeta; hardlinked checkouts
  bare        files stored with their real owners and xattrs (needs root)
`;

/** `jigtree init`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(
    {
      args,
      allowPositionals: false,
      options: {
        repo: { type: 'string' },
        mode: { type: 'string', default: 'archive' },
        'collection-id': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'init',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const repo = await init({ repo: repoPath(values.repo, ctx, 'init'), mode: values.mode, ...(values['collection-id'] === undefined ? {} : { collectionId: values['collection-id'] }) });
  if (values.json) ctx.stdout.write(`${JSON.stringify({ repo: repo.path, mode: repo.mode })}\n`);
  return EXIT.ok;
}
