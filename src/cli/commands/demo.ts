import path from 'node:path';
import { defaultDemoFixtures, runDemo, type DemoEvent, type DemoKind, type DemoKindResult, type DemoResult } from '../../api/demo.js';
import { UsageError } from '../../core/index.js';
import { formatSize } from '../render/format.js';
import { EXIT, parseCommandArgs, type CliContext } from '../command.js';

const USAGE = `Usage: jigtree demo [DIR] [OPTIONS]

The whole story on the bundled fixtures, with nothing but Node. For a small Debian tree and a
small RPM tree: compose the demo treefile from its fixture mirror, emit the commit's jigdo as an
ordinary .deb/.rpm (signed with a throwaway key) into a copy of that mirror, then assemble the
commit into a fresh repository from the copy alone, and show both commit checksums side by side.
DIR (default ./jigtree-demo) must be new, empty, or made by an earlier demo: a rerun replaces
its deb/ and rpm/ directories. Exit 1 when an assembled commit differs from the composed one.
  --only deb|rpm     run one kind only
  --fixtures DIR     the demo fixtures (default: the package's fixtures/demo)
  --cachedir DIR     compose's download cache (default DIR/compose-cache; assemble always
                     starts from an empty cache of its own)
  --json             print one JSON document with the result
  -v, --verbose      also print the warnings compose and assemble report
`;

/** A path as the user reads it best: relative to the working directory when below it. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** The step lines, printed as each step ends. */
function renderer(ctx: CliContext, verbose: boolean, header: string): (e: DemoEvent) => void {
  let started = false;
  const out = (s: string): void => {
    // The header waits for the first event, so a refused DIR prints only the error.
    if (!started) ctx.stdout.write(header);
    started = true;
    ctx.stdout.write(`${s}\n`);
  };
  const secs = (s: number): string => `${s.toFixed(2)} s`;
  const warnings = new Map<DemoKind, number>();
  const warn = (kind: DemoKind, message: string): void => {
    warnings.set(kind, (warnings.get(kind) ?? 0) + 1);
    if (verbose) ctx.stderr.write(`warning: [${kind}] ${message}\n`);
  };
  return (e) => {
    switch (e.type) {
      case 'step':
        if (e.step === 'copy') out(`\n== ${e.kind}`);
        return;
      case 'copied':
        out(`1. mirror    copied the fixture mirror to ${shown(e.mirror.dir)} (${e.mirror.packages} packages, ${formatSize(e.mirror.bytes)})`);
        return;
      case 'composed':
        out(`2. compose   ${e.ref} => ${e.compose.commit}${e.compose.version === undefined ? '' : ` (version ${e.compose.version})`}`);
        out(`              ${e.compose.packages} packages (${formatSize(e.compose.packageBytes)}) into ${shown(e.compose.repo)} (${secs(e.seconds)})`);
        return;
      case 'emitted':
        out(`3. jigdo     ${shown(e.jigdo.file)}`);
        out(`              ${formatSize(e.jigdo.size)}${e.jigdo.signed ? ', signed' : ''}; the set is ${((100 * e.jigdo.setBytes) / Math.max(1, e.packageBytes)).toFixed(1)}% of the packages' ${formatSize(e.packageBytes)} (${secs(e.seconds)})`);
        return;
      case 'assembled': {
        const a = e.assemble;
        const p = a.packages;
        out(`4. assemble  ${shown(a.repo)} from the mirror copy alone${a.signer === undefined ? '' : `, signature by ${a.signer} checked first`}`);
        out(`              ${p.downloaded} of ${p.total} packages downloaded (${formatSize(p.bytesDownloaded)})${p.needed < p.total ? `; the other ${p.total - p.needed} supply no object the commit needs` : ''} (${secs(e.seconds)})`);
        out(`              => ${a.commit} ${e.identical ? '(identical)' : '(DIFFERS)'}`);
        const n = warnings.get(e.kind) ?? 0;
        if (n > 0 && !verbose) out(`              ${n} warning${n === 1 ? '' : 's'} from compose and assemble (-v shows them)`);
        return;
      }
      case 'compose-event':
      case 'assemble-event':
        if (e.event.type === 'warning') warn(e.kind, e.event.message);
        return;
    }
  };
}

/** The side-by-side table: kind | composed commit | assembled commit | identical?. */
export function demoTable(rows: readonly DemoKindResult[]): string {
  const cells = [['kind', 'composed commit', 'assembled commit', 'identical?'], ...rows.map((r) => [r.kind, r.compose.commit, r.assemble.commit, r.identical ? 'yes' : 'NO'])];
  const widths = [0, 1, 2].map((i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  return cells.map((c) => c.map((v, i) => (i < 3 ? v.padEnd(widths[i] ?? 0) : v)).join('  ')).join('\n');
}

/** `jigtree demo`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    {
      args,
      allowPositionals: true,
      options: {
        only: { type: 'string' },
        fixtures: { type: 'string' },
        cachedir: { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'demo',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 1) {
    ctx.stderr.write(USAGE);
    return EXIT.usage;
  }
  const only = values.only;
  if (only !== undefined && only !== 'deb' && only !== 'rpm') throw new UsageError(`demo: --only: expected deb or rpm, got ${JSON.stringify(only)}`);
  const dir = path.resolve(positionals[0] ?? 'jigtree-demo');
  const fixturesDir = path.resolve(values.fixtures ?? defaultDemoFixtures());
  const header = [
    'jigtree demo: compose each tree from its package mirror, publish the commit\'s jigdo as a',
    'package in a copy of that mirror, then rebuild the commit from the copy alone.',
    `  fixtures: ${shown(fixturesDir)}`,
    `  work dir: ${shown(dir)}`,
    '',
  ].join('\n');
  const r: DemoResult = await runDemo({
    dir,
    fixturesDir,
    cacheDir: values.cachedir ?? path.join(dir, 'compose-cache'),
    now: Math.floor(Date.now() / 1000),
    ...(only === undefined ? {} : { kinds: [only] }),
    signal: ctx.signal,
    ...(values.json ? {} : { reporter: renderer(ctx, values.verbose, header) }),
  });
  if (values.json) ctx.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    ctx.stdout.write(`\n${demoTable(r.kinds)}\n`);
    ctx.stdout.write(r.identical ? '\nEvery assembled commit is bit-identical to the composed one.\n' : '');
  }
  if (!r.identical) {
    for (const k of r.kinds.filter((x) => !x.identical)) ctx.stderr.write(`jigtree: demo: ${k.kind}: assembled ${k.assemble.commit}, but compose made ${k.compose.commit}\n`);
    return EXIT.failure;
  }
  return EXIT.ok;
}
