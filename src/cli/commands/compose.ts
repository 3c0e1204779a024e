import { compose, type ComposeEvent, type ComposeResult } from '../../api/compose.js';
import { UsageError } from '../../core/index.js';
import { parseRepoMode } from '../../ostree/index.js';
import type { JigdoResult } from '../../api/jigdo.js';
import { formatSize } from '../render/format.js';
import { liveLine } from '../render/live-line.js';
import { jigdoSummary, packageKind } from './jigdo.js';
import { EXIT, defaultCacheDir, parseCommandArgs, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree compose TREEFILE --repo R [OPTIONS]

Composes the treefile into an OSTree commit and sets refs/heads/<ref> in R to it: resolves the
package set (or takes --lockfile), fetches the packages (parallel, verified, cached), imports
them into content objects, lays out the tree as OSTree wants it, applies the treefile's
post-processing and commits. When the input hash equals the ref's commit, says "no change".
  --repo R          the OSTree repository (created when missing; see --mode)
  --mode MODE       mode of a new repo: bare-user (default) or archive
  --cachedir DIR    metadata and package cache (default $JIGTREE_CACHE_DIR, else
                    $XDG_CACHE_HOME/jigtree, else ~/.cache/jigtree)
  --lockfile F      use this lockfile (from \`jigtree resolve --lockfile\`) instead of resolving
  --rootfs DIR      write the composed tree (before the OSTree layout) as a plain directory
  --dry-run         resolve, print the plan, stop
  --force           compose even when the input hash is unchanged
  --jigdo DIR       then write the commit's jigdo set to DIR (see \`jigtree jigdo\`), with
                    --jigdo-sign KEYFILE and --jigdo-as-package rpm|deb as there
  --json            print one JSON document with the result
  -v, --verbose     print every stage and package as plain lines
Timestamps come from the treefile's \`timestamp\`, else $SOURCE_DATE_EPOCH, else the newest file
in the packages (never the clock, so the same inputs give the same commit).
`;

/** Renders compose events: a one-line live display on a TTY, plain lines otherwise (-v). */
function renderer(ctx: CliContext, verbose: boolean): { report: (e: ComposeEvent) => void; done: () => void } {
  const { tty, draw, line, done } = liveLine(ctx, verbose);
  let fetched = 0;
  let bytes = 0;
  const t0 = performance.now();
  const report = (e: ComposeEvent): void => {
    switch (e.type) {
      case 'stage':
        if (e.state === 'end' && !tty) ctx.stderr.write(`${e.stage}: ${(e.seconds ?? 0).toFixed(2)} s\n`);
        if (tty && e.state === 'start') draw(`${e.stage}...`, true);
        return;
      case 'fetch-start':
        if (!tty) ctx.stderr.write(`fetch ${e.name} from ${e.url}\n`);
        return;
      case 'fetch-progress':
        return;
      case 'fetch-retry':
        line(`retry ${e.name}: ${e.reason} (attempt ${e.attempt}, next in ${e.delayMs} ms, ${e.url})`);
        return;
      case 'fetch-done': {
        fetched++;
        bytes += e.bytes;
        const secs = (performance.now() - t0) / 1000;
        if (tty) draw(`fetch: ${fetched} packages, ${formatSize(bytes)} (${formatSize(bytes / Math.max(secs, 0.001))}/s)`);
        return;
      }
      case 'import':
        if (tty) draw(`import: ${e.done}/${e.total} ${e.name}${e.reused ? ' (cached)' : ''}`);
        else if (verbose) ctx.stderr.write(`import ${e.name}${e.reused ? ' (cached)' : ''}\n`);
        return;
      case 'warning':
        line(`warning: ${e.message}`);
        return;
      case 'repo-fetch':
      case 'repo-verified':
      case 'repo-parsed':
      case 'repo-cached':
      case 'repo-warn':
        if (verbose || e.type === 'repo-warn') line(`${e.repo}: ${e.file}${e.type === 'repo-warn' ? `: warning: ${e.message}` : ''}`);
        return;
    }
  };
  return { report, done };
}

function summary(r: ComposeResult): string {
  const lines: string[] = [];
  if (r.status === 'dry-run') {
    for (const p of r.packages) lines.push(`${p.name} ${p.evr} ${p.arch} ${p.repo}`);
    lines.push(`${r.packages.length} packages, ${formatSize(r.packages.reduce((n, p) => n + p.size, 0))} to download; ref ${r.ref}; inputhash ${r.inputhash}`);
    return `${lines.join('\n')}\n`;
  }
  if (r.status === 'unchanged') return `no change: ${r.ref} is ${r.commit ?? ''}${r.version === undefined ? '' : ` (version ${r.version})`}, inputhash ${r.inputhash}\n`;
  if (r.status === 'committed') lines.push(`${r.ref} => ${r.commit ?? ''}${r.version === undefined ? '' : ` (version ${r.version})`}`);
  else lines.push('rootfs written');
  lines.push(`packages: ${r.packages.length}; downloaded ${r.download.fetched} (${formatSize(r.download.bytes)}), reused ${r.download.reused}`);
  lines.push(`imported: ${r.import.imported}, reused ${r.import.reused}; objects written ${r.objects.written} (${formatSize(r.objects.bytes)}), reused ${r.objects.reused}`);
  lines.push(`time: ${Object.entries(r.stages).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** `jigtree compose`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        mode: { type: 'string' },
        cachedir: { type: 'string' },
        lockfile: { type: 'string' },
        rootfs: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        jigdo: { type: 'string' },
        'jigdo-sign': { type: 'string' },
        'jigdo-as-package': { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'compose',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    ctx.stderr.write(USAGE);
    return EXIT.usage;
  }
  const repo = values.repo ?? (values.rootfs === undefined && !values['dry-run'] ? ctx.env['OSTREE_REPO'] : undefined);
  if (repo === undefined && values.rootfs === undefined && !values['dry-run']) throw new UsageError('compose: missing --repo (or --rootfs DIR)', { hint: 'see `jigtree compose --help`' });
  const sde = ctx.env['SOURCE_DATE_EPOCH'];
  if (sde !== undefined && sde !== '' && !/^\d{1,15}$/.test(sde)) throw new UsageError(`SOURCE_DATE_EPOCH: expected seconds since the epoch, got ${JSON.stringify(sde)}`);
  const { report, done } = renderer(ctx, values.verbose);
  let result: ComposeResult;
  try {
    result = await compose({
      treefile: positionals[0] ?? '',
      ...(repo === undefined ? {} : { repo }),
      ...(values.mode === undefined ? {} : { mode: parseRepoMode(values.mode) }),
      cacheDir: values.cachedir ?? defaultCacheDir(ctx.env),
      ...(values.lockfile === undefined ? {} : { lockfile: values.lockfile }),
      ...(values.rootfs === undefined ? {} : { rootfs: values.rootfs }),
      dryRun: values['dry-run'],
      force: values.force,
      now: Math.floor(Date.now() / 1000),
      ...(sde === undefined || sde === '' ? {} : { sourceDateEpoch: Number(sde) }),
      signal: ctx.signal,
      ...(values.json ? {} : { reporter: report }),
    });
  } finally {
    done();
  }
  let jigdo: JigdoResult | undefined;
  if (values.jigdo !== undefined && result.commit !== undefined && (result.status === 'committed' || result.status === 'unchanged')) {
    // The import records compose just stored are what the jigdo maps files from.
    const { emitJigdo } = await import('../../api/jigdo.js');
    const asPackage = packageKind(values['jigdo-as-package']);
    jigdo = await emitJigdo({
      repo: repo ?? '',
      rev: result.commit,
      out: values.jigdo,
      ...(values['jigdo-sign'] === undefined ? {} : { signKey: values['jigdo-sign'] }),
      ...(asPackage === undefined ? {} : { asPackage }),
      cacheDir: values.cachedir ?? defaultCacheDir(ctx.env),
      signal: ctx.signal,
    });
  }
  if (values.json) {
    const { lockfile: _lock, packages, ...rest } = result;
    ctx.stdout.write(`${JSON.stringify({ ...rest, packages: packages.length, packageList: packages.map((p) => ({ name: p.name, evr: p.evr, arch: p.arch, digest: p.digest, size: p.size })), ...(jigdo === undefined ? {} : { jigdo }) })}\n`);
  } else ctx.stdout.write(summary(result) + (jigdo === undefined ? '' : jigdoSummary(jigdo)));
  return EXIT.ok;
}
