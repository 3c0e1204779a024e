/**
 * The GKeyFile (INI) subset ostree's `config` uses (ostree-format.md §3.2): `[group]` headers,
 * `key=value` lines, `#` comments. Order is kept so a rewrite changes only what was changed.
 */
import { FormatError } from '../core/index.js';

/** Parsed key file: groups in file order, each a list of [key, value] in file order. */
export type KeyFile = Map<string, Map<string, string>>;

/** Parses key-file text; FormatError naming the line for anything else. */
export function parseKeyFile(text: string, file = 'config'): KeyFile {
  const out: KeyFile = new Map();
  let group: Map<string, string> | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const g = /^\[([^\][]+)\]$/.exec(line);
    if (g) {
      const name = g[1] ?? '';
      group = out.get(name) ?? new Map<string, string>();
      out.set(name, group);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || group === undefined) throw new FormatError('ostree', `line ${i + 1}: expected "[group]" or "key=value", got ${JSON.stringify(raw)}`, { file });
    group.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  });
  return out;
}

/** Serializes a key file as GKeyFile writes it (a blank line between groups). */
export function formatKeyFile(kf: KeyFile): string {
  return [...kf].map(([name, kv]) => `[${name}]\n${[...kv].map(([k, v]) => `${k}=${v}\n`).join('')}`).join('\n');
}
