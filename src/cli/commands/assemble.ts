import { assemble, type AssembleEvent, type AssembleResult } from '../../api/assemble.js';
import { parseRepoMode } from '../../ostree/index.js';
import { formatSize } from '../render/format.js';
import { liveLine } from '../render/live-line.js';
import { EXIT, defaultCacheDir, parseCommandArgs, repoPath, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree assemble SOURCE --repo R [OPTIONS]

Rebuilds a commit bit for bit from its jigdo and a package mirror, and sets its ref. SOURCE is a
jigdo set (a directory or URL), a jigdo package (.rpm/.deb file or URL), or the name of a jigdo
package to look up in the --mirror repositories. The signature is checked first (with --keyring),
then the manifest; only packages whose objects R lacks are downloaded (parallel, resumable,
verified by digest), and only the files the commit uses are imported. The ref moves only after
the commit's checksum and every object it reaches are verified.
  --repo R           the repository (created when missing; see --mode)
  --mode MODE        mode of a new repo: bare-user (default), archive or bare
  --mirror URL       a package mirror (repeat for failover); ID=URL binds it to one repo of the
                     set. Default: the repositories the commit was composed from.
  --keyring FILE     require a valid signature on the set by a key in FILE (.gpg or .asc)
  --ref REF          set this ref instead of the set's
  --suite S          with a package name and an apt mirror: the suite to read (and
  --components C     comma-separated, default main; --arch A, default amd64)
  --cachedir DIR     download cache (default as compose)
  --json             print one JSON document with the result
  -v, --verbose      plain progress lines
`;

function renderer(ctx: CliContext, verbose: boolean): { report: (e: AssembleEvent) => void; done: () => void } {
  const { tty, draw, line, done } = liveLine(ctx, verbose);
  let fetched = 0;
  let bytes = 0;
  const report = (e: AssembleEvent): void => {
    switch (e.type) {
      case 'stage':
        if (e.state === 'end' && !tty) ctx.stderr.write(`${e.stage}: ${(e.seconds ?? 0).toFixed(2)} s\n`);
        if (tty && e.state === 'start') draw(`${e.stage}...`, true);
        return;
      case 'fetch-start':
        if (!tty && verbose) ctx.stderr.write(`fetch ${e.name} from ${e.url}\n`);
        return;
      case 'fetch-progress':
        return;
      case 'fetch-retry':
        line(`retry ${e.name}: ${e.reason} (attempt ${e.attempt}, ${e.url})`);
        return;
      case 'fetch-done':
        if (!e.cached) {
          fetched++;
          bytes += e.bytes;
        }
        if (tty) draw(`fetch: ${fetched} files, ${formatSize(bytes)}`);
        return;
      case 'import':
        if (tty) draw(`import: ${e.done}/${e.total} ${e.name}`);
        else if (verbose) ctx.stderr.write(`import ${e.name}\n`);
        return;
      case 'warning':
        line(`warning: ${e.message}`);
        return;
    }
  };
  return { report, done };
}

/** The lines a person reads after an assemble. */
export function assembleSummary(r: AssembleResult): string {
  const p = r.packages;
  if (r.status === 'present') return `${r.ref} => ${r.commit}${r.version === undefined ? '' : ` (version ${r.version})`}: already in the repository, nothing fetched\n`;
  return [
    `${r.ref} => ${r.commit}${r.version === undefined ? '' : ` (version ${r.version})`}${r.signer === undefined ? '' : `, signed by ${r.signer}`}`,
    `packages: ${p.total}; needed ${p.needed}: downloaded ${p.downloaded} (${formatSize(p.bytesDownloaded)}), from the cache ${p.cached}; reused ${p.total - p.needed} (${formatSize(p.bytesReused)} not fetched)`,
    `jigdo: ${formatSize(r.jigdo.bytesDownloaded)} downloaded, ${r.jigdo.partsFetched} of ${r.jigdo.parts} parts`,
    `objects: written ${r.objects.written}, reused ${r.objects.reused}; checksum verified`,
    `time: ${Object.entries(r.stages).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`,
    '',
  ].join('\n');
}

/** `jigtree assemble`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        mode: { type: 'string' },
        mirror: { type: 'string', multiple: true },
        keyring: { type: 'string' },
        ref: { type: 'string' },
        suite: { type: 'string' },
        components: { type: 'string' },
        arch: { type: 'string' },
        cachedir: { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'assemble',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    ctx.stderr.write(USAGE);
    return EXIT.usage;
  }
  const { report, done } = renderer(ctx, values.verbose);
  let r: AssembleResult;
  try {
    r = await assemble({
      source: positionals[0] ?? '',
      repo: repoPath(values.repo, ctx, 'assemble'),
      ...(values.mode === undefined ? {} : { mode: parseRepoMode(values.mode) }),
      mirrors: values.mirror ?? [],
      ...(values.keyring === undefined ? {} : { keyring: values.keyring }),
      ...(values.ref === undefined ? {} : { ref: values.ref }),
      ...(values.suite === undefined ? {} : { suite: values.suite }),
      ...(values.components === undefined ? {} : { components: values.components.split(',').filter((c) => c !== '') }),
      ...(values.arch === undefined ? {} : { arch: values.arch }),
      cacheDir: values.cachedir ?? defaultCacheDir(ctx.env),
      now: Math.floor(Date.now() / 1000),
      signal: ctx.signal,
      ...(values.json ? {} : { reporter: report }),
    });
  } finally {
    done();
  }
  ctx.stdout.write(values.json ? `${JSON.stringify(r)}\n` : assembleSummary(r));
  return EXIT.ok;
}
