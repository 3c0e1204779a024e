import { UsageError, ls, type TreeEntry } from '../../index.js';
import { octalMode, printXattrs, xattrsToJson } from '../../ostree/index.js';
import { EXIT, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree ls --repo REPO REV [PATH...] [-R] [-d] [-C] [-X] [--json]

Lists entries of a commit as \`ostree ls\` does: type and mode, uid, gid, size, path.
  -R, --recursive   list directories recursively
  -d, --dironly     list a directory argument itself, not its contents
  -C, --checksum    add checksums (dirtree and dirmeta for directories)
  -X, --xattrs      add extended attributes (GVariant text, as ostree)
      --json        one JSON array: {path, type, mode, uid, gid, size, target?, checksum? | tree, meta, xattrs}
`;

const TYPE_CHAR: Record<TreeEntry['type'], string> = { dir: 'd', file: '-', symlink: 'l' };

/** One line as ot-builtin-ls.c prints it: `d00755 0 0      0 /`. */
function line(e: TreeEntry, checksums: boolean, xattrs: boolean): string {
  let s = `${TYPE_CHAR[e.type]}0${(e.mode & 0o7777).toString(8).padStart(4, '0')} ${e.uid} ${e.gid} ${String(e.size).padStart(6)} `;
  if (checksums) s += e.type === 'dir' ? `${e.tree ?? ''} ${e.meta ?? ''} ` : `${e.checksum ?? ''} `;
  if (xattrs) s += `{ ${printXattrs(e.xattrs)} } `;
  s += e.path;
  if (e.type === 'symlink') s += ` -> ${e.target ?? ''}`;
  return `${s}\n`;
}

function json(e: TreeEntry): Record<string, unknown> {
  return { ...e, mode: octalMode(e.mode), xattrs: xattrsToJson(e.xattrs) };
}

/** `jigtree ls`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        recursive: { type: 'boolean', short: 'R', default: false },
        dironly: { type: 'boolean', short: 'd', default: false },
        checksum: { type: 'boolean', short: 'C', default: false },
        xattrs: { type: 'boolean', short: 'X', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'ls',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [rev, ...paths] = positionals;
  if (rev === undefined) throw new UsageError('ls: expected REV [PATH...]', { hint: 'see `jigtree ls --help`' });
  const entries = ls({ repo: repoPath(values.repo, ctx, 'ls'), rev, paths, recursive: values.recursive, dirOnly: values.dironly, signal: ctx.signal });
  if (values.json) {
    // One JSON array, written entry by entry: a big tree is never held in memory.
    let first = true;
    ctx.stdout.write('[');
    for await (const e of entries) {
      ctx.stdout.write(`${first ? '\n' : ',\n'}${JSON.stringify(json(e))}`);
      first = false;
    }
    ctx.stdout.write(first ? ']\n' : '\n]\n');
    return EXIT.ok;
  }
  for await (const e of entries) ctx.stdout.write(line(e, values.checksum, values.xattrs));
  return EXIT.ok;
}
