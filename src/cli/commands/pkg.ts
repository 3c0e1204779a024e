import { inspectPackage, listPackage, UsageError, type PackageInfo } from '../../index.js';
import { EXIT, parseCommandArgs, type CliContext } from '../command.js';
import { formatDep, modeString } from '../render/format.js';

const USAGE = `Usage:
  jigtree pkg info FILE [--json]   name, version, arch, summary, dependencies, payload, scripts
  jigtree pkg ls FILE [--json]     every entry: type, mode, owner, size, sha256, link target, flags

FILE is a .rpm or a .deb (recognised by content, not name).
`;

/** `jigtree pkg info|ls FILE`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    { args, allowPositionals: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } },
    'pkg',
  );
  if (values.help) {
    ctx.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [sub, file, ...extra] = positionals;
  if (sub === undefined || file === undefined || extra.length > 0 || (sub !== 'info' && sub !== 'ls')) {
    throw new UsageError(sub === undefined ? 'pkg: missing subcommand' : `pkg: expected 'info FILE' or 'ls FILE'`, { hint: 'see `jigtree pkg --help`' });
  }
  const opts = { signal: ctx.signal, ...(ctx.env['JIGTREE_DECODERS'] === 'builtin' ? { decoders: 'builtin' as const } : {}) };
  if (sub === 'info') {
    const { info } = await inspectPackage(file, opts);
    ctx.stdout.write(values.json ? `${JSON.stringify(infoJson(info), null, 2)}\n` : renderInfo(info));
    return EXIT.ok;
  }
  if (values.json) {
    // One JSON array, streamed entry by entry: a large package is never held in memory.
    let first = true;
    ctx.stdout.write('[');
    for await (const e of listPackage(file, opts)) {
      ctx.stdout.write(`${first ? '\n' : ',\n'}${JSON.stringify(e)}`);
      first = false;
    }
    ctx.stdout.write(first ? ']\n' : '\n]\n');
  } else {
    for await (const e of listPackage(file, opts)) {
      const owner = `${e.user ?? e.uid ?? '?'}/${e.group ?? e.gid ?? '?'}`;
      const target = e.target === undefined ? '' : e.type === 'hardlink' ? ` link to ${e.target}` : ` -> ${e.target}`;
      const flags = e.flags.length === 0 ? '' : ` [${e.flags.join(',')}]`;
      ctx.stdout.write(`${modeString(e.type, e.mode)} ${owner.padEnd(17)} ${String(e.size).padStart(10)} ${e.path}${target}${flags}\n`);
    }
  }
  return EXIT.ok;
}

/** The JSON `pkg info` prints: PackageInfo minus the raw fields, scripts by name and interpreter. */
function infoJson(info: PackageInfo): Record<string, unknown> {
  return {
    kind: info.kind,
    name: info.name,
    epoch: info.epoch ?? null,
    version: info.version,
    release: info.release ?? null,
    arch: info.arch,
    summary: info.summary,
    description: info.description,
    payloadCompressor: info.payloadCompressor,
    scripts: info.scripts.map((s) => ({ name: s.name, interpreter: s.interpreter ?? null })),
    // Structured (name, op, version, qualifiers; `anyOf` alternatives; `rich` RPM expressions).
    deps: info.deps,
  };
}

function renderInfo(info: PackageInfo): string {
  const rows: [string, string][] = [
    ['Name', info.name],
    ['Epoch', info.epoch === undefined ? '(none)' : String(info.epoch)],
    ['Version', info.version],
    ...(info.kind === 'rpm' ? [['Release', info.release ?? '(none)'] as [string, string]] : []),
    ['Architecture', info.arch],
    ['Summary', info.summary],
    ['Payload', info.payloadCompressor],
    ['Scripts', info.scripts.length === 0 ? '(none)' : info.scripts.map((s) => (s.interpreter === undefined ? s.name : `${s.name} (${s.interpreter})`)).join(', ')],
  ];
  const lines = rows.map(([k, v]) => `${k.padEnd(13)}: ${v}`);
  for (const [kind, deps] of Object.entries(info.deps)) {
    if (deps.length === 0) continue;
    lines.push(`${kind}:`);
    for (const d of deps) {
      const q = 'name' in d && d.qualifiers !== undefined && d.qualifiers.length > 0 ? `  [${d.qualifiers.join(',')}]` : '';
      lines.push(`  ${formatDep(d, info.kind)}${q}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
