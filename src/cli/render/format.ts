import type { ListedEntry, PackageDep, PackageDepExpr } from '../../index.js';

/** A dependency as the format's own tools print it (`rpm -qpR`: `a >= 1`; dpkg: `a (>= 1)`). */
export function formatDep(dep: PackageDepExpr, kind: 'rpm' | 'deb'): string {
  if ('rich' in dep) return dep.rich;
  if ('anyOf' in dep) return dep.anyOf.map((d) => formatDep(d, kind)).join(' | ');
  return formatPlainDep(dep, kind);
}

function formatPlainDep(dep: PackageDep, kind: 'rpm' | 'deb'): string {
  if (dep.op === undefined || dep.version === undefined) return dep.name;
  if (kind === 'rpm') return `${dep.name} ${dep.op} ${dep.version}`;
  const op = dep.op === '<' ? '<<' : dep.op === '>' ? '>>' : dep.op;
  return `${dep.name} (${op} ${dep.version})`;
}

const TYPE_CHAR: Record<ListedEntry['type'], string> = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', chardev: 'c', blockdev: 'b', fifo: 'p' };

/** `ls -l` style permission string, setuid/setgid/sticky included (`-rwsr-xr-x`). */
export function modeString(type: ListedEntry['type'], octal: string): string {
  const m = parseInt(octal, 8);
  const rwx = (shift: number, special: boolean, on: string, off: string): string =>
    `${m & (4 << shift) ? 'r' : '-'}${m & (2 << shift) ? 'w' : '-'}${special ? (m & (1 << shift) ? on : off) : m & (1 << shift) ? 'x' : '-'}`;
  return TYPE_CHAR[type] + rwx(6, (m & 0o4000) !== 0, 's', 'S') + rwx(3, (m & 0o2000) !== 0, 's', 'S') + rwx(0, (m & 0o1000) !== 0, 't', 'T');
}

/** A byte count as people read it (decimal units, as apt and dnf print sizes). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u] ?? ''}`;
}
