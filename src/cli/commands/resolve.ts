import { resolve } from '../../api/resolve.js';
import { writeLockfile } from '../../lockfile/index.js';
import type { LoadEvent } from '../../repos/index.js';
import { formatSize } from '../render/format.js';
import { EXIT, defaultCacheDir, parseCommandArgs, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree resolve TREEFILE [--json] [--lockfile OUT] [--cachedir DIR] [-v]

Reads the treefile's repositories (signatures and checksums verified), resolves its package set
as dnf (rpm-md repos) or apt (apt repos) would, and prints it: name, version, arch, repo, and the
total download size. When the request cannot be satisfied, every problem is printed and the
exit status is 1.
  --lockfile OUT  write the pinned set (JSON, sorted) for \`jigtree compose --lockfile\`
  --json          print {"packages": [...], "downloadSize": N, "problems": [...]}
  --cachedir DIR  metadata cache (default $JIGTREE_CACHE_DIR, else $XDG_CACHE_HOME/jigtree,
                  else ~/.cache/jigtree)
  -v, --verbose   report each metadata file read, verified, parsed or taken from the cache
`;

function eventLine(e: LoadEvent): string {
  switch (e.type) {
    case 'repo-fetch':
      return `${e.repo}: reading ${e.file}`;
    case 'repo-verified':
      return `${e.repo}: ${e.file}: signature ${e.cached ? 'verified earlier' : 'verified'}`;
    case 'repo-parsed':
      return `${e.repo}: ${e.file}: ${e.packages} packages parsed`;
    case 'repo-cached':
      return `${e.repo}: ${e.file}: ${e.packages} packages from the cache`;
    case 'repo-warn':
      return `${e.repo}: ${e.file}: warning: ${e.message}`;
  }
}

/** `jigtree resolve`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        lockfile: { type: 'string' },
        cachedir: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'resolve',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    ctx.stderr.write(USAGE);
    return EXIT.usage;
  }
  const result = await resolve({
    treefile: positionals[0] ?? '',
    cacheDir: values.cachedir ?? defaultCacheDir(ctx.env),
    now: Math.floor(Date.now() / 1000),
    signal: ctx.signal,
    ...(values.verbose ? { reporter: (e: LoadEvent) => ctx.stderr.write(`${eventLine(e)}\n`) } : {}),
  });
  const { lockfile, problems, downloadSize } = result;
  if (values.lockfile !== undefined && problems.length === 0) await writeLockfile(values.lockfile, lockfile);
  if (values.json) {
    const packages = lockfile.packages.map((p) => ({ name: p.name, evr: p.evr, arch: p.arch, repo: p.repo, location: p.location, size: p.size, digest: p.digest }));
    ctx.stdout.write(`${JSON.stringify({ packages, downloadSize, problems })}\n`);
  } else if (problems.length === 0) {
    const w = [0, 0, 0];
    for (const p of lockfile.packages) {
      w[0] = Math.max(w[0] ?? 0, p.name.length);
      w[1] = Math.max(w[1] ?? 0, p.evr.length);
      w[2] = Math.max(w[2] ?? 0, p.arch.length);
    }
    for (const p of lockfile.packages) ctx.stdout.write(`${p.name.padEnd(w[0] ?? 0)}  ${p.evr.padEnd(w[1] ?? 0)}  ${p.arch.padEnd(w[2] ?? 0)}  ${p.repo}\n`);
    ctx.stdout.write(`${lockfile.packages.length} packages, download size ${formatSize(downloadSize)}\n`);
  }
  if (problems.length > 0) {
    if (!values.json) for (const p of problems) ctx.stderr.write(`${p.text}\n`);
    return EXIT.failure;
  }
  return EXIT.ok;
}
