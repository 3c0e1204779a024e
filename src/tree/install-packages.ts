/**
 * Laying packages into the tree in install order (issue 5 step 5), with the file-conflict rules
 * of the package manager that would have installed them:
 * - rpm (lib/transaction.c handleOverlappedFiles): identical files (same content, owner, mode)
 *   may be shared by several packages; differing ones are a conflict, unless one side is %ghost
 *   (it is never written, the other wins) or %config (rpm keeps one and warns; we keep the
 *   non-%config one, or the first installed).
 * - dpkg (src/main/archives.c): a file of another package may only be overwritten when the new
 *   package Replaces the old one; otherwise "trying to overwrite '/x', which is also in package y".
 * Like dpkg and rpm, a path whose parent is a symlink to a directory lands in the directory it
 * points to (merged-/usr: /bin/sh goes to /usr/bin/sh through /bin -> usr/bin).
 */
import { FormatError } from '../core/index.js';
import { ComposeTree, resolveInTree, sameEntryMeta } from './compose-tree.js';
import type { EntryMeta, TreeEntry, TreeWarning, TreeXattr } from './types.js';

/** One entry of a package, as the import recorded it. */
export type InstallEntry = {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';
  mode: number;
  uid?: number | undefined;
  gid?: number | undefined;
  user?: string | undefined;
  group?: string | undefined;
  /** Content object of a file or symlink. */
  object?: string | undefined;
  size?: number | undefined;
  target?: string | undefined;
  xattrs?: TreeXattr[] | undefined;
  config?: boolean | undefined;
  ghost?: boolean | undefined;
  doc?: boolean | undefined;
};

/** A package to install. */
export type InstallPackage = {
  kind: 'rpm' | 'deb';
  /** Package name (recorded as the owner of its paths). */
  name: string;
  /** How errors name it (`bash_5.2.15-2+b2_amd64`, `demo-app-2.0-1.x86_64`). */
  label: string;
  entries: InstallEntry[];
  /** deb: true if this package Replaces `other` (the caller evaluates the Replaces field). */
  replaces?: (other: string) => boolean;
};

/** What install skips (treefile `documentation`, `install-langs`). */
export type InstallOptions = { documentation: boolean; installLangs?: string[] | undefined };

/** An owner given by name, to be resolved against the composed passwd/group. */
export type NamedOwner = { path: string; user: string | undefined; group: string | undefined };

/** What installPackages did besides filling the tree. */
export type InstallResult = {
  warnings: TreeWarning[];
  /** Paths each package installed, in its archive order (after symlink resolution). */
  paths: Map<string, string[]>;
  /** rpm entries whose owner must be resolved by name (resolveNamedOwners). */
  namedOwners: NamedOwner[];
  /** Entries skipped by the documentation / install-langs filters. */
  skipped: number;
};

/** Where Debian puts documentation dpkg's path-exclude (as Debian's minimal images set it) removes. */
const DEB_DOC_DIRS = ['/usr/share/doc', '/usr/share/man', '/usr/share/info', '/usr/share/groff', '/usr/share/lintian', '/usr/share/linda'];

function isDebDoc(p: string): boolean {
  for (const d of DEB_DOC_DIRS) {
    if (p.startsWith(`${d}/`)) {
      // Copyright files stay: Debian policy §12.5 requires them even in minimal images.
      return !(d === '/usr/share/doc' && /^\/usr\/share\/doc\/[^/]+\/copyright$/.test(p));
    }
  }
  return false;
}

/** Locale directories whose language is not wanted (rpm's %_install_langs prefix match). */
function isUnwantedLocale(p: string, langs: readonly string[]): boolean {
  const m = /^\/usr\/share\/(?:locale|man|help)\/([^/]+)\//.exec(p);
  if (m === null) return false;
  const dir = m[1] ?? '';
  if (/^man\d/.test(dir) || dir === 'C' || dir === 'locale.alias') return false;
  const base = dir.split(/[.@]/)[0] ?? dir;
  if (p.startsWith('/usr/share/man/') && !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(base)) return false;
  return !langs.some((l) => l === 'all' || l.startsWith(base));
}

function sameContent(a: TreeEntry, b: TreeEntry): boolean {
  if (a.type !== b.type || !sameEntryMeta(a.meta, b.meta)) return false;
  if (a.type === 'file' && b.type === 'file') return a.content.kind === 'object' && b.content.kind === 'object' && a.content.checksum === b.content.checksum;
  if (a.type === 'symlink' && b.type === 'symlink') return a.target === b.target;
  return a.type === 'dir';
}

/**
 * Installs `pkgs` in the given order into `tree`. Throws FormatError naming the path and both
 * packages on a conflict the package manager would refuse.
 */
export function installPackages(tree: ComposeTree, pkgs: readonly InstallPackage[], opts: InstallOptions): InstallResult {
  const warnings: TreeWarning[] = [];
  const paths = new Map<string, string[]>();
  const namedOwners = new Map<string, NamedOwner>();
  const ownerNames = new Map<string, string>();
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  let skipped = 0;
  for (const pkg of pkgs) {
    const mine: string[] = [];
    paths.set(pkg.name, mine);
    // Hardlinks name an earlier entry of the same package by its archive path.
    const placed = new Map<string, TreeEntry>();
    for (const e of pkg.entries) {
      if (e.ghost === true) continue; // rpm never creates %ghost files (they are only owned)
      if (!opts.documentation && (pkg.kind === 'deb' ? isDebDoc(e.path) : e.doc === true)) {
        skipped++;
        continue;
      }
      if (opts.installLangs !== undefined && isUnwantedLocale(e.path, opts.installLangs)) {
        skipped++;
        continue;
      }
      const p = resolveInTree(tree, e.path, false);
      // rpm owners are names, resolved later (resolveNamedOwners); the import wrote root-owned objects.
      const meta: EntryMeta = pkg.kind === 'deb' ? { uid: e.uid ?? 0, gid: e.gid ?? 0, mode: e.mode & 0o7777, xattrs: e.xattrs ?? [] } : { uid: 0, gid: 0, mode: e.mode & 0o7777, xattrs: e.xattrs ?? [] };
      let entry: TreeEntry;
      switch (e.type) {
        case 'dir':
          entry = { type: 'dir', meta, pkg: pkg.name };
          break;
        case 'file':
          if (e.object === undefined) throw new FormatError(pkg.kind, `${e.path}: imported without its content`, { file: pkg.label });
          entry = { type: 'file', meta, content: { kind: 'object', checksum: e.object, size: e.size ?? 0, objectMeta: meta }, pkg: pkg.name, ...(e.config === true ? { config: true } : {}) };
          break;
        case 'symlink':
          entry = { type: 'symlink', meta: { ...meta, mode: 0o777 }, target: e.target ?? '', pkg: pkg.name };
          break;
        case 'hardlink': {
          const first = placed.get(e.target ?? '');
          if (first === undefined) throw new FormatError(pkg.kind, `${e.path}: hardlink to ${String(e.target)}, which the package does not contain before it`, { file: pkg.label });
          entry = { ...first, pkg: pkg.name };
          break;
        }
        case 'chardev':
        case 'blockdev':
        case 'fifo':
          // ostree stores no device nodes or FIFOs; rpm-ostree skips them too (ignore-devices, §3.3).
          warnings.push({ path: p, message: `${pkg.label}: ${e.type} not stored (ostree has no device nodes or FIFOs)` });
          continue;
      }
      placed.set(e.path, entry);
      if (pkg.kind === 'rpm' && ((e.user !== undefined && e.user !== 'root') || (e.group !== undefined && e.group !== 'root'))) {
        namedOwners.set(p, { path: p, user: e.user, group: e.group });
      } else namedOwners.delete(p);
      const names = `${e.user ?? ''}:${e.group ?? ''}`;
      const old = tree.get(p);
      if (old === undefined || p === '/') {
        if (p !== '/') tree.set(p, entry);
        ownerNames.set(p, names);
        mine.push(p);
        continue;
      }
      if (old.type === 'dir' && entry.type === 'dir') {
        mine.push(p); // shared directory: the first package's metadata stays (dpkg and rpm alike)
        continue;
      }
      if (old.type === 'symlink' && entry.type === 'dir') {
        mine.push(p); // dpkg keeps a symlink to a directory where a package ships the directory
        continue;
      }
      const oldPkg = old.pkg === undefined ? undefined : byName.get(old.pkg);
      const who = oldPkg?.label ?? old.pkg ?? 'the tree';
      if (sameContent(old, entry) && ownerNames.get(p) === names) {
        mine.push(p);
        continue;
      }
      let newWins: boolean;
      if (pkg.kind === 'rpm') {
        if (old.type === 'file' && entry.type === 'file' && (old.config === true || entry.config === true)) {
          newWins = old.config === true && entry.config !== true;
          warnings.push({ path: p, message: `%config file differs between ${who} and ${pkg.label}; keeping ${newWins ? pkg.label : who}'s` });
        } else {
          throw new FormatError('rpm', `file ${p} from install of ${pkg.label} conflicts with file from package ${who}`, { file: pkg.label });
        }
      } else if (oldPkg !== undefined && pkg.replaces?.(oldPkg.name) === true) newWins = true;
      else if (oldPkg?.replaces?.(pkg.name) === true) newWins = false;
      else if (old.type === 'dir' || entry.type === 'dir') {
        throw new FormatError('deb', `trying to overwrite ${old.type === 'dir' ? 'directory' : old.type} '${p}' in package ${who} with ${entry.type} from ${pkg.label}`, { file: pkg.label });
      } else {
        throw new FormatError('deb', `trying to overwrite '${p}', which is also in package ${who} (${pkg.label} does not Replace it)`, { file: pkg.label });
      }
      mine.push(p);
      if (newWins) {
        tree.set(p, entry);
        ownerNames.set(p, names);
      }
    }
  }
  return { warnings, paths, namedOwners: [...namedOwners.values()], skipped };
}

/**
 * Gives entries owned by name their numeric ids from the composed passwd/group maps. An unknown
 * name falls back to root with a warning, as rpm does ("user X does not exist - using root").
 */
export function resolveNamedOwners(tree: ComposeTree, owners: readonly NamedOwner[], users: ReadonlyMap<string, number>, groups: ReadonlyMap<string, number>): TreeWarning[] {
  const warnings: TreeWarning[] = [];
  for (const o of owners) {
    const e = tree.get(o.path);
    if (e === undefined) continue;
    let uid = 0;
    let gid = 0;
    if (o.user !== undefined && o.user !== 'root') {
      const u = users.get(o.user);
      if (u === undefined) warnings.push({ path: o.path, message: `user ${o.user} does not exist - using root` });
      else uid = u;
    }
    if (o.group !== undefined && o.group !== 'root') {
      const g = groups.get(o.group);
      if (g === undefined) warnings.push({ path: o.path, message: `group ${o.group} does not exist - using root` });
      else gid = g;
    }
    e.meta = { ...e.meta, uid, gid };
  }
  return warnings;
}
