import { emitJigdo, type JigdoResult } from '../../api/jigdo.js';
import { UsageError } from '../../core/index.js';
import { formatSize } from '../render/format.js';
import { EXIT, defaultCacheDir, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree jigdo REV --repo R -o DIR [OPTIONS]

Writes the jigdo set of commit REV (a ref or checksum composed by jigtree): the manifest, the
commit's metadata objects, the map from every file to the package it comes from (with owner,
mode and xattr overrides) and the objects no package holds, split into parts. With a set and any
mirror of the packages, \`jigtree assemble\` rebuilds the bit-identical commit.
  --repo R             the repository holding REV (and compose's import records)
  -o, --output DIR     where to write the set (or, with --as-package, the package file)
  --sign KEYFILE       sign the manifest with this armored OpenPGP secret key (jigdo.json.asc)
  --as-package rpm|deb wrap the set as an ordinary package pinning every package at its exact
                       version, to publish next to the packages (createrepo_c --update,
                       apt-ftparchive)
  --name NAME          the package name (default: the ref, as a package name, + "-jigdo")
  --cachedir DIR       re-import packages whose import record is gone from this download cache
  --json               print one JSON document with the result
`;

/** The lines a person reads after an emit. */
export function jigdoSummary(r: JigdoResult): string {
  const s = r.stats;
  const lines = [
    `jigdo of ${r.ref} ${r.commit}${r.version === undefined ? '' : ` (version ${r.version})`}${r.signed ? ', signed' : ''}`,
    `set: ${formatSize(r.setBytes)} in ${r.parts} parts, ${((100 * r.setBytes) / Math.max(1, r.packageBytes)).toFixed(1)}% of the packages' ${formatSize(r.packageBytes)}`,
    `objects: ${s.contentObjects} content, ${s.fromPackages} from packages (${s.overrides} with overrides), ${s.newObjects} new (${formatSize(s.newBytes)})`,
  ];
  if (r.package !== undefined) lines.push(`package: ${r.package.file} (${formatSize(r.package.size)})`);
  else if (r.dir !== undefined) lines.push(`written to ${r.dir}`);
  return `${lines.join('\n')}\n`;
}

/** Parses `--as-package`. */
export function packageKind(v: string | undefined): 'rpm' | 'deb' | undefined {
  if (v === undefined) return undefined;
  if (v !== 'rpm' && v !== 'deb') throw new UsageError(`--as-package: expected rpm or deb, got ${JSON.stringify(v)}`);
  return v;
}

/** `jigtree jigdo`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        output: { type: 'string', short: 'o' },
        sign: { type: 'string' },
        'as-package': { type: 'string' },
        name: { type: 'string' },
        cachedir: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'jigdo',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    ctx.stderr.write(USAGE);
    return EXIT.usage;
  }
  if (values.output === undefined) throw new UsageError('jigdo: missing -o DIR', { hint: 'see `jigtree jigdo --help`' });
  const asPackage = packageKind(values['as-package']);
  const r = await emitJigdo({
    repo: repoPath(values.repo, ctx, 'jigdo'),
    rev: positionals[0] ?? '',
    out: values.output,
    ...(values.sign === undefined ? {} : { signKey: values.sign }),
    ...(asPackage === undefined ? {} : { asPackage }),
    ...(values.name === undefined ? {} : { packageName: values.name }),
    cacheDir: values.cachedir ?? defaultCacheDir(ctx.env),
    signal: ctx.signal,
  });
  ctx.stdout.write(values.json ? `${JSON.stringify(r)}\n` : jigdoSummary(r));
  return EXIT.ok;
}
