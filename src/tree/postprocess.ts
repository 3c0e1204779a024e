/**
 * Declarative post-processing from the treefile (treefile.md §3.5, §3.7, §5.4 items 12 and 14):
 * `remove-files`, `remove-from-packages`, `add-files`, `units`, `default-target`. It runs on the
 * assembled tree with plain paths (/etc, /var as packages installed them), before the OSTree
 * layout moves /etc to /usr/etc, so every path here is the one a package or user knows.
 *
 * Order: removals first, then additions, then unit enablement, so an added unit file can be
 * enabled and a removed one cannot (rpm-ostree enables before it removes, but it never checks that
 * a unit exists; we do).
 */
import { FormatError, ValidationError } from '../core/index.js';
import type { ComposeTree } from './compose-tree.js';
import { joinPath, normalizeTreePath, resolveInTree, splitPath } from './compose-tree.js';

// Post-processing resolves treefile paths with it; kept importable from here for its tests.
export { resolveInTree };
import type { ReadContent, TreeEntry, TreeWarning } from './types.js';

/** The treefile's post-processing keys, already loaded (add-files sources are read by the caller). */
export type PostprocessOptions = {
  /** `remove-files`: paths (relative to the root or absolute) removed recursively. */
  removeFiles?: readonly string[];
  /** `remove-from-packages`: `[pkg, regex...]`; that package's paths matching any regex are removed. */
  removeFromPackages?: readonly (readonly [pkg: string, ...regexes: string[]])[];
  /** `add-files`: bytes written at `dest` (under /usr or /etc) with `mode`, root-owned. */
  addFiles?: readonly { dest: string; bytes: Uint8Array; mode: number }[];
  /** `units`: unit names enabled as `systemctl --root enable` would. */
  units?: readonly string[];
  /** `default-target`: the unit default.target points to. */
  defaultTarget?: string;
  /** Installed package names (for `remove-from-packages` names that own no path); default: the tree's owners. */
  packages?: readonly string[];
  /** How the treefile is named in errors (default "treefile"). */
  treefile?: string;
};

/** What post-processing reports: non-fatal findings (missing paths, regexes that matched nothing...). */
export type PostprocessResult = { warnings: TreeWarning[] };



/** Applies the treefile's post-processing keys to `tree`; see module doc. */
export async function applyPostprocess(tree: ComposeTree, opts: PostprocessOptions, read: ReadContent): Promise<PostprocessResult> {
  const warnings: TreeWarning[] = [];
  const file = opts.treefile ?? 'treefile';
  removeFiles(tree, opts.removeFiles ?? [], file, warnings);
  removeFromPackages(tree, opts.removeFromPackages ?? [], opts.packages, file, warnings);
  addFiles(tree, opts.addFiles ?? [], file);
  await enableUnits(tree, opts.units ?? [], read, file, warnings);
  if (opts.defaultTarget !== undefined) setDefaultTarget(tree, opts.defaultTarget, file, warnings);
  return { warnings };
}

function invalid(file: string, pointer: string, message: string): ValidationError {
  return new ValidationError(file, [{ pointer, message }]);
}

// A treefile path (relative like `etc/foo` or absolute) as a tree path; `..` out of the root is a
// treefile error, not a tree error, so it names the key.
function treefilePath(p: string, file: string, pointer: string): string {
  try {
    return normalizeTreePath(p);
  } catch (err) {
    if (err instanceof FormatError) throw invalid(file, pointer, `path ${JSON.stringify(p)} escapes the tree`);
    throw err;
  }
}

// treefile.md §3.7 `remove-files`. rpm-ostree's remove_all returns quietly for a missing path,
// so a missing path is a warning (a typo stays visible), never an error. Directory components
// are resolved through symlinks as openat would.
function removeFiles(tree: ComposeTree, paths: readonly string[], file: string, warnings: TreeWarning[]): void {
  paths.forEach((raw, i) => {
    const pointer = `/remove-files/${i}`;
    const p = resolveInTree(tree, treefilePath(raw, file, pointer), false);
    if (p === '/') throw invalid(file, pointer, 'cannot remove the root directory');
    if (!tree.remove(p)) warnings.push({ path: p, message: `remove-files: ${raw} is not in the tree` });
  });
}

// treefile.md §3.7 `remove-from-packages`: rpm-ostree walks the package's file list and removes
// (recursively) each path its regexes match with an unanchored search, as Rust's `is_match`.
function removeFromPackages(
  tree: ComposeTree,
  specs: readonly (readonly [string, ...string[]])[],
  packages: readonly string[] | undefined,
  file: string,
  warnings: TreeWarning[],
): void {
  if (specs.length === 0) return;
  const owned = new Map<string, string[]>();
  for (const [p, e] of tree.walk()) {
    if (e.pkg === undefined) continue;
    const list = owned.get(e.pkg);
    if (list === undefined) owned.set(e.pkg, [p]);
    else list.push(p);
  }
  const known = new Set(packages ?? owned.keys());
  specs.forEach(([pkg, ...sources], i) => {
    if (!known.has(pkg)) throw invalid(file, `/remove-from-packages/${i}/0`, `package ${JSON.stringify(pkg)} is not in the compose`);
    if (sources.length === 0) throw invalid(file, `/remove-from-packages/${i}`, `expected at least one regex after the package name ${JSON.stringify(pkg)}`);
    const regexes = sources.map((src, j) => {
      try {
        return new RegExp(src);
      } catch (err) {
        throw invalid(file, `/remove-from-packages/${i}/${j + 1}`, `invalid regex ${JSON.stringify(src)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    let removed = 0;
    for (const p of owned.get(pkg) ?? []) {
      if (!regexes.some((re) => re.test(p))) continue;
      // An earlier match may have removed a parent directory already.
      if (tree.get(p)?.pkg === pkg && tree.remove(p)) removed++;
    }
    if (removed === 0) warnings.push({ path: '/', message: `remove-from-packages: no path of ${pkg} matches ${sources.join(', ')}` });
  });
}

// treefile.md §3.7 `add-files`: only /usr and /etc destinations are supported (the rest of the
// root is rebuilt by the layout, or is /var state). Parents are created root:root 0755 as
// rpm-ostree's ensure_dir_all does; the file is root-owned with the source's mode.
function addFiles(tree: ComposeTree, files: readonly { dest: string; bytes: Uint8Array; mode: number }[], file: string): void {
  files.forEach(({ dest, bytes, mode }, i) => {
    const pointer = `/add-files/${i}/1`;
    if (!dest.startsWith('/')) throw invalid(file, pointer, `destination ${JSON.stringify(dest)} must be an absolute path`);
    const norm = treefilePath(dest, file, pointer);
    if (!norm.startsWith('/usr/') && !norm.startsWith('/etc/')) throw invalid(file, pointer, `destination ${dest} is not under /usr or /etc (the only places add-files supports)`);
    const { parent, name } = splitPath(norm);
    const target = joinPath(resolveInTree(tree, parent), name);
    const old = tree.get(target);
    if (old?.type === 'dir') throw invalid(file, pointer, `destination ${dest} is a directory in the tree`);
    try {
      tree.writeFile(target, bytes, { mode: mode & 0o7777 });
    } catch (err) {
      if (err instanceof FormatError) throw invalid(file, pointer, `cannot write ${dest}: ${err.message}`);
      throw err;
    }
  });
}

// systemd's unit search path in precedence order as systemctl --root sees a merged-/usr image;
// /lib is searched for trees that are not merged (the brief's order: vendor dirs before /etc).
const UNIT_DIRS = ['/usr/lib/systemd/system', '/lib/systemd/system', '/etc/systemd/system'];

/** The [Install] section of a unit file (systemd.unit(5)). */
type InstallSection = { wantedBy: string[]; requiredBy: string[]; upheldBy: string[]; alias: string[]; also: string[]; defaultInstance: string | undefined };

// systemd.syntax(7): `[Section]` headers, `Key=value` lines, `#`/`;` comments, a trailing
// backslash continues a line; an empty assignment resets a list.
function parseInstall(text: string): InstallSection {
  const out: InstallSection = { wantedBy: [], requiredBy: [], upheldBy: [], alias: [], also: [], defaultInstance: undefined };
  const lists: Record<string, string[]> = { WantedBy: out.wantedBy, RequiredBy: out.requiredBy, UpheldBy: out.upheldBy, Alias: out.alias, Also: out.also };
  let section = '';
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      section = line.replace(/^\[|\]$/g, '');
      continue;
    }
    if (section !== 'Install') continue;
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'DefaultInstance') {
      out.defaultInstance = value === '' ? undefined : value;
      continue;
    }
    const list = lists[key];
    if (list === undefined) continue;
    if (value === '') list.length = 0;
    else list.push(...value.split(/\s+/));
  }
  return out;
}

/** "getty@tty1.service" -> { prefix: "getty", instance: "tty1", suffix: ".service" }. */
function unitParts(name: string): { prefix: string; instance: string | undefined; suffix: string } {
  const dot = name.lastIndexOf('.');
  const stem = dot === -1 ? name : name.slice(0, dot);
  const suffix = dot === -1 ? '' : name.slice(dot);
  const at = stem.indexOf('@');
  return at === -1 ? { prefix: stem, instance: undefined, suffix } : { prefix: stem.slice(0, at), instance: stem.slice(at + 1), suffix };
}

// A template alias (`dd@.service`) of an enabled instance names that instance (`dd@foo.service`),
// as systemctl's install logic does.
function aliasName(alias: string, linkName: string): string {
  const a = unitParts(alias);
  const inst = unitParts(linkName).instance;
  return a.instance === '' && inst !== undefined && inst !== '' ? `${a.prefix}@${inst}${a.suffix}` : alias;
}

// systemd.unit(5) specifiers that make sense in [Install] of a unit being enabled.
function expandSpecifiers(value: string, unit: string): string {
  const { prefix, instance, suffix } = unitParts(unit);
  const map: Record<string, string> = { '%': '%', n: unit, N: unit.slice(0, unit.length - suffix.length), p: prefix, P: prefix, i: instance ?? '', I: instance ?? '', j: prefix.split('-').at(-1) ?? prefix };
  return value.replace(/%(.)/g, (m, c: string) => map[c] ?? m);
}

// Finds a unit's file in the search path; an instance falls back to its template, as systemd does.
function findUnit(tree: ComposeTree, unit: string): { dir: string; file: string; entry: TreeEntry } | undefined {
  const { prefix, instance, suffix } = unitParts(unit);
  const names = instance !== undefined && instance !== '' ? [unit, `${prefix}@${suffix}`] : [unit];
  for (const name of names) {
    for (const dir of UNIT_DIRS) {
      // The name itself may be a link (an alias, or a mask to /dev/null): find it, then follow.
      const p = resolveInTree(tree, joinPath(dir, name), false);
      const entry = tree.get(p);
      if (entry !== undefined) return { dir, file: name, entry };
    }
  }
  return undefined;
}

// The link at `link` must end up pointing to `target`; an existing symlink is replaced (the
// treefile wins over a package), anything else there is an error.
function placeLink(tree: ComposeTree, link: string, target: string, file: string, pointer: string): void {
  const at = resolveInTree(tree, link, false);
  const old = tree.get(at);
  if (old !== undefined && old.type !== 'symlink') throw invalid(file, pointer, `cannot enable: ${link} exists and is a ${old.type === 'dir' ? 'directory' : 'regular file'}`);
  tree.ensureParents(at);
  tree.symlink(at, target);
}

// treefile.md §3.5 `units`, done as `systemctl --root=TREE enable UNIT`: the [Install] section
// decides the links (WantedBy -> <target>.wants/, RequiredBy -> .requires/, UpheldBy -> .upholds/,
// Alias -> a link named after the alias, Also -> enabled too), all in /etc/systemd/system and
// pointing at the unit file's absolute path as systemctl writes them. A unit without [Install]
// goes into multi-user.target.wants, which is what rpm-ostree does for every listed unit.
async function enableUnits(tree: ComposeTree, units: readonly string[], read: ReadContent, file: string, warnings: TreeWarning[]): Promise<void> {
  const done = new Set<string>();
  const enable = async (unit: string, pointer: string): Promise<void> => {
    if (done.has(unit)) return;
    done.add(unit);
    if (unit === '' || unit.includes('/')) throw invalid(file, pointer, `${JSON.stringify(unit)} is not a unit name`);
    const found = findUnit(tree, unit);
    if (found === undefined) throw invalid(file, pointer, `unit ${unit} not found in ${UNIT_DIRS.join(', ')}`);
    const real = resolveInTree(tree, joinPath(found.dir, found.file));
    const entry = tree.get(real);
    if (entry?.type !== 'file') throw invalid(file, pointer, `unit ${unit}: ${joinPath(found.dir, found.file)} is not a regular file (masked or dangling)`);
    const install = parseInstall(new TextDecoder().decode(await read(entry.content)));
    const target = joinPath(found.dir, found.file);
    const { prefix, instance, suffix } = unitParts(unit);
    // An enabled template without an instance gets DefaultInstance=, as systemctl does.
    let linkName = unit;
    if (instance === '') {
      if (install.defaultInstance === undefined) {
        if (install.wantedBy.length + install.requiredBy.length + install.upheldBy.length > 0) warnings.push({ path: target, message: `units: template ${unit} has no DefaultInstance=, so no .wants link was made` });
        linkName = '';
      } else linkName = `${prefix}@${install.defaultInstance}${suffix}`;
    }
    const deps: [string, string][] = [
      ...install.wantedBy.map((t): [string, string] => [t, 'wants']),
      ...install.requiredBy.map((t): [string, string] => [t, 'requires']),
      ...install.upheldBy.map((t): [string, string] => [t, 'upholds']),
    ];
    if (deps.length === 0 && install.alias.length === 0 && install.also.length === 0) {
      warnings.push({ path: target, message: `units: ${unit} has no [Install] section; linked into multi-user.target.wants as rpm-ostree does` });
      deps.push(['multi-user.target', 'wants']);
    }
    if (linkName !== '') {
      for (const [t, kind] of deps) placeLink(tree, `/etc/systemd/system/${expandSpecifiers(t, linkName)}.${kind}/${linkName}`, target, file, pointer);
    }
    for (const a of install.alias) placeLink(tree, `/etc/systemd/system/${aliasName(expandSpecifiers(a, linkName === '' ? unit : linkName), linkName)}`, target, file, pointer);
    for (const also of install.also) await enable(expandSpecifiers(also, unit), pointer);
  };
  for (const [i, unit] of units.entries()) await enable(unit, `/units/${i}`);
}

// treefile.md §3.5 `default-target`. rpm-ostree (composepost.rs, PR #1425) writes the link in
// /usr/lib/systemd/system rather than /etc, so the choice is part of the OS defaults and survives
// a first-boot `systemctl preset-all`. An /etc link would shadow it, so that is reported.
function setDefaultTarget(tree: ComposeTree, target: string, file: string, warnings: TreeWarning[]): void {
  if (target === '' || target.includes('/')) throw invalid(file, '/default-target', `${JSON.stringify(target)} is not a unit name`);
  const link = resolveInTree(tree, '/usr/lib/systemd/system/default.target', false);
  const old = tree.get(link);
  if (old !== undefined && old.type !== 'symlink') throw invalid(file, '/default-target', `${link} exists and is not a symlink`);
  if (findUnit(tree, target) === undefined) warnings.push({ path: link, message: `default-target: ${target} is not a unit in the tree` });
  if (tree.has(resolveInTree(tree, '/etc/systemd/system/default.target', false))) warnings.push({ path: '/etc/systemd/system/default.target', message: `default-target: this link in /etc overrides the ${target} set in /usr/lib` });
  tree.ensureParents(link);
  tree.symlink(link, `/usr/lib/systemd/system/${target}`);
}
