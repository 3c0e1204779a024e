import { FormatError } from '../../core/index.js';

/*
 * The small files of a .deb's control.tar besides `control` itself (deb(5)): md5sums
 * (deb-md5sums(5)), conffiles (deb-conffiles(5)), triggers (deb-triggers(5)) and the maintainer
 * scripts (deb-preinst(5) ...). Pure: text in, records out; errors are FormatError 'deb' naming
 * `file` (the caller passes `pkg.deb: control.tar.xz: ./md5sums`) and the line.
 */

/** Maintainer scripts, in the order dpkg runs them on an install (config is debconf's). */
export const MAINTAINER_SCRIPTS = ['preinst', 'postinst', 'prerm', 'postrm', 'config'] as const;

/** A conffile: its absolute path and flags (`remove-on-upgrade`, dpkg ≥ 1.20.1). */
export type DebConffile = { path: string; flags: string[] };

/** Trigger directives of deb-triggers(5). */
export type TriggerDirective = 'interest' | 'interest-await' | 'interest-noawait' | 'activate' | 'activate-await' | 'activate-noawait';

/** One line of a `triggers` file. */
export type DebTrigger = { directive: TriggerDirective; name: string };

const DIRECTIVES: ReadonlySet<string> = new Set<TriggerDirective>(['interest', 'interest-await', 'interest-noawait', 'activate', 'activate-await', 'activate-noawait']);
const CONFFILE_FLAGS: ReadonlySet<string> = new Set(['remove-on-upgrade']);

function lineError(file: string, line: number, message: string): FormatError {
  return new FormatError('deb', `line ${line}: ${message}`, { file, data: { line } });
}

/** `usr/bin/x`, `./usr/bin/x`, `/usr/bin/x` → `/usr/bin/x`; undefined for empty or `..` paths. */
export function absolutePath(p: string): string | undefined {
  let out = '';
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') return undefined;
    out += `/${seg}`;
  }
  return out === '' ? undefined : out;
}

/**
 * Parses `md5sums`: `<32 hex digits><2 blanks or blank + '*'><path relative to />` per line (as
 * md5sum(1) writes it). Returns absolute path → lowercase hex.
 */
export function parseMd5sums(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = /^([0-9a-fA-F]{32}) [ *](.+)$/.exec(line);
    const path = m?.[2] === undefined ? undefined : absolutePath(m[2]);
    if (m?.[1] === undefined || path === undefined) throw lineError(file, i + 1, `expected "<md5>  <path>", found ${JSON.stringify(line.slice(0, 120))}`);
    out.set(path, m[1].toLowerCase());
  }
  return out;
}

/**
 * Parses `conffiles` as dpkg does on unpack: trailing blanks stripped, empty lines skipped, an
 * absolute path optionally preceded by flag words (only `remove-on-upgrade` is known).
 */
export function parseConffiles(text: string, file: string): DebConffile[] {
  const out: DebConffile[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimEnd();
    if (line === '') continue;
    const flags: string[] = [];
    let rest = line;
    while (!rest.startsWith('/')) {
      const sp = rest.search(/[ \t]/);
      if (sp < 0) throw lineError(file, i + 1, `conffile ${JSON.stringify(line)} is not an absolute path`);
      const flag = rest.slice(0, sp);
      if (!CONFFILE_FLAGS.has(flag)) throw lineError(file, i + 1, `unknown conffile flag ${JSON.stringify(flag)}`);
      flags.push(flag);
      rest = rest.slice(sp).trimStart();
    }
    const path = absolutePath(rest);
    if (path === undefined) throw lineError(file, i + 1, `invalid conffile path ${JSON.stringify(rest)}`);
    out.push({ path, flags });
  }
  return out;
}

/** Parses `triggers`: `<directive> <trigger-name>` per line; `#` comments and blank lines skipped. */
export function parseTriggers(text: string, file: string): DebTrigger[] {
  const out: DebTrigger[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/[ \t]+/);
    const [directive, name] = words;
    if (directive === undefined || !DIRECTIVES.has(directive)) throw lineError(file, i + 1, `unknown trigger directive ${JSON.stringify(directive)}`);
    if (name === undefined || words.length !== 2) throw lineError(file, i + 1, `expected "${directive} <trigger-name>", found ${JSON.stringify(line)}`);
    out.push({ directive: directive as TriggerDirective, name });
  }
  return out;
}

/** The interpreter a script's `#!` line names (its first word), or undefined without one. */
export function scriptInterpreter(body: string): string | undefined {
  if (!body.startsWith('#!')) return undefined;
  const nl = body.indexOf('\n');
  const first = (nl < 0 ? body.slice(2) : body.slice(2, nl)).trim().split(/[ \t]+/)[0];
  return first === undefined || first === '' ? undefined : first;
}
