/**
 * tmpfiles.d(5) lines for the state an OSTree commit cannot carry: /var and /run start empty on a
 * deployed system, so the directories and symlinks packages put there are recreated at boot by
 * systemd-tmpfiles (treefile.md §5.2, §5.6 items 24-25; ostree "Adapting existing distributions").
 */

/** One tmpfiles.d line: `d` (directory with mode/owner) or `L` (symlink). Owners are numeric ids. */
export type TmpfilesLine =
  | { type: 'd'; path: string; mode: number; uid: number; gid: number }
  | { type: 'L'; path: string; target: string };

// tmpfiles.d(5): the path field is split on whitespace with shell-like quoting (systemd 252
// unquotes but does not C-unescape it: `\x20` arrives as `x20`, checked with systemd-tmpfiles), and
// `%` starts a specifier. So a path with whitespace or quotes is written in double quotes with
// `\` and `"` backslash-escaped. A newline cannot be written at all (callers skip such paths).
function escapePath(p: string): string {
  const spec = p.replaceAll('%', '%%');
  return /[\s"'\\]/.test(spec) ? `"${spec.replace(/["\\]/g, (c) => `\\${c}`)}"` : spec;
}

/** True when tmpfiles.d can express `p` (no line breaks). */
export function tmpfilesCanExpress(p: string): boolean {
  return !/[\n\r]/.test(p);
}

// The argument of `L` is the rest of the line (specifiers expanded): only `%` needs escaping.
function escapeArgument(a: string): string {
  return a.replaceAll('%', '%%');
}

/** Formats one line: `d /var/x 0755 0 0 - -` or `L /var/y - - - - target`. */
export function formatTmpfilesLine(l: TmpfilesLine): string {
  switch (l.type) {
    case 'd':
      return `d ${escapePath(l.path)} ${(l.mode & 0o7777).toString(8).padStart(4, '0')} ${l.uid} ${l.gid} - -`;
    case 'L':
      return `L ${escapePath(l.path)} - - - - ${escapeArgument(l.target)}`;
  }
}

/**
 * Formats a tmpfiles.d file: lines sorted by path (then by text) so output is deterministic and
 * parents come before children; exact duplicates collapse.
 */
export function formatTmpfiles(lines: Iterable<TmpfilesLine>, header?: string): string {
  const byText = new Map<string, string>();
  for (const l of lines) byText.set(formatTmpfilesLine(l), l.path);
  const sorted = [...byText].sort(([ta, pa], [tb, pb]) => (pa < pb ? -1 : pa > pb ? 1 : ta < tb ? -1 : ta > tb ? 1 : 0));
  return `${header === undefined ? '' : `# ${header}\n`}${sorted.map(([t]) => `${t}\n`).join('')}`;
}
