/**
 * /etc/passwd and /etc/group as glibc's nss_files reads them (passwd(5), group(5)), and the split
 * rpm-ostree makes of them for nss-altfiles (treefile.md §5.6 item 21): the entries that stay in
 * the machine-local /etc file, and the ones that move to the read-only /usr/lib file.
 */
import { FormatError } from '../core/index.js';

/** One passwd(5) line: name:password:uid:gid:gecos:home:shell. */
export type PasswdEntry = { name: string; password: string; uid: number; gid: number; gecos: string; home: string; shell: string };

/** One group(5) line: name:password:gid:member,member. */
export type GroupEntry = { name: string; password: string; gid: number; members: string[] };

/** A parsed line: an entry, or a line glibc skips (comment, blank, NIS `+`/`-` compat line), kept verbatim. */
type Line<E> = { entry: E; text: string } | { entry: undefined; text: string };

// No 'passwd' FormatName exists in core/errors.ts yet; 'ostree' is the nearest (the tree being
// composed). The message names the file and the line, which is what the user needs.
function badLine(file: string, line: number, message: string): FormatError {
  return new FormatError('ostree', `line ${line}: ${message}`, { file, data: { line } });
}

// glibc's nss_files reads uid/gid with strtoul; we accept only plain decimal ids that fit in 32
// bits (anything else is a broken file, not an id we could apply to a tree).
function parseId(field: string, file: string, line: number, what: string): number {
  if (!/^[0-9]{1,10}$/.test(field) || Number(field) > 0xffffffff) throw badLine(file, line, `${what} ${JSON.stringify(field)} is not a decimal id`);
  return Number(field);
}

// glibc skips blank lines and lines starting with '#' (nss_files), and `+`/`-` lines belong to
// the NIS compat service, which nss_files ignores; all of them are kept verbatim on rewrite.
function isSkipped(text: string): boolean {
  const t = text.trimStart();
  return t === '' || t.startsWith('#') || t.startsWith('+') || t.startsWith('-');
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function parsePasswdLines(text: string, file: string): Line<PasswdEntry>[] {
  return splitLines(text).map((t, i): Line<PasswdEntry> => {
    if (isSkipped(t)) return { entry: undefined, text: t };
    const f = t.split(':');
    if (f.length !== 7) throw badLine(file, i + 1, `expected 7 colon-separated fields (name:password:uid:gid:gecos:home:shell), got ${f.length}`);
    const [name = '', password = '', uid = '', gid = '', gecos = '', home = '', shell = ''] = f;
    if (name === '') throw badLine(file, i + 1, 'empty user name');
    return { entry: { name, password, uid: parseId(uid, file, i + 1, 'uid'), gid: parseId(gid, file, i + 1, 'gid'), gecos, home, shell }, text: t };
  });
}

function parseGroupLines(text: string, file: string): Line<GroupEntry>[] {
  return splitLines(text).map((t, i): Line<GroupEntry> => {
    if (isSkipped(t)) return { entry: undefined, text: t };
    const f = t.split(':');
    if (f.length !== 4) throw badLine(file, i + 1, `expected 4 colon-separated fields (name:password:gid:members), got ${f.length}`);
    const [name = '', password = '', gid = '', members = ''] = f;
    if (name === '') throw badLine(file, i + 1, 'empty group name');
    return { entry: { name, password, gid: parseId(gid, file, i + 1, 'gid'), members: members === '' ? [] : members.split(',') }, text: t };
  });
}

// getpwnam/getgrnam return the first matching line, so a later duplicate name never wins.
function toMap<E extends { name: string }>(lines: Line<E>[]): Map<string, E> {
  const m = new Map<string, E>();
  for (const l of lines) if (l.entry !== undefined && !m.has(l.entry.name)) m.set(l.entry.name, l.entry);
  return m;
}

/** Parses passwd(5) text into name -> entry (first line of a name wins, as getpwnam). */
export function parsePasswd(text: string, file = '/etc/passwd'): Map<string, PasswdEntry> {
  return toMap(parsePasswdLines(text, file));
}

/** Parses group(5) text into name -> entry (first line of a name wins, as getgrnam). */
export function parseGroup(text: string, file = '/etc/group'): Map<string, GroupEntry> {
  return toMap(parseGroupLines(text, file));
}

/** Formats passwd entries as passwd(5) lines (newline-terminated). */
export function formatPasswd(entries: Iterable<PasswdEntry>): string {
  let out = '';
  for (const e of entries) out += `${e.name}:${e.password}:${e.uid}:${e.gid}:${e.gecos}:${e.home}:${e.shell}\n`;
  return out;
}

/** Formats group entries as group(5) lines (newline-terminated). */
export function formatGroup(entries: Iterable<GroupEntry>): string {
  let out = '';
  for (const e of entries) out += `${e.name}:${e.password}:${e.gid}:${e.members.join(',')}\n`;
  return out;
}

/** The two halves of a split file: `etc` stays machine-local, `usr` goes to /usr/lib (nss-altfiles). */
export type SplitResult = { etc: string; usr: string };

function joinLines(lines: string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * Splits passwd text as rpm-ostree's migrate_passwd_except_root (treefile.md §5.6 item 21): uid 0
 * lines stay in /etc/passwd, every other user goes to /usr/lib/passwd. Lines glibc skips stay in
 * /etc. Lines are kept byte for byte, in their order.
 */
export function splitPasswd(text: string, file = '/etc/passwd'): SplitResult {
  const etc: string[] = [];
  const usr: string[] = [];
  for (const l of parsePasswdLines(text, file)) (l.entry === undefined || l.entry.uid === 0 ? etc : usr).push(l.text);
  return { etc: joinLines(etc), usr: joinLines(usr) };
}

/**
 * Splits group text as rpm-ostree's migrate_group_except_root (treefile.md §3.6, §5.6 item 21):
 * gid 0 and the `etc-group-members` groups (human-joinable, e.g. wheel) stay in /etc/group,
 * the rest go to /usr/lib/group.
 */
export function splitGroup(text: string, keep: readonly string[], file = '/etc/group'): SplitResult {
  const kept = new Set(keep);
  const etc: string[] = [];
  const usr: string[] = [];
  for (const l of parseGroupLines(text, file)) (l.entry === undefined || l.entry.gid === 0 || kept.has(l.entry.name) ? etc : usr).push(l.text);
  return { etc: joinLines(etc), usr: joinLines(usr) };
}

/**
 * Adds `altfiles` after `files` on the `passwd:` and `group:` lines of nsswitch.conf (at the end
 * when there is no `files`), as rpm-ostree's add_altfiles, so the split-off /usr/lib entries
 * still resolve (treefile.md §5.6 item 21). Unchanged when `altfiles` is already there.
 */
export function addAltfiles(nsswitch: string): string {
  const lines = nsswitch.split('\n');
  let changed = false;
  for (const [i, line] of lines.entries()) {
    const m = /^(passwd|group):(.*)$/.exec(line);
    if (m === null) continue;
    const words = (m[2] ?? '').split(/\s+/).filter((w) => w !== '');
    if (words.includes('altfiles')) continue;
    const at = words.indexOf('files');
    if (at === -1) words.push('altfiles');
    else words.splice(at + 1, 0, 'altfiles');
    lines[i] = `${m[1] ?? ''}: ${words.join(' ')}`;
    changed = true;
  }
  return changed ? lines.join('\n') : nsswitch;
}
