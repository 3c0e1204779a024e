// Merging include layers (treefile.md §2) and turning the merged layer into a Treefile: the
// checks that need the whole treefile, defaults, `$basearch`/`$releasever`, absolute URLs.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FormatError, ValidationError, type ValidationIssue } from '../core/index.js';
import { parseDebianVersion } from '../pkg/index.js';
import { parseTreefileDocument } from './document.js';
import { DEB_ARCH, DEFAULT_INSTALLONLY, checkTreefileLayer, didYouMean, type At, type LayerIssue, type RepoLayer, type TreefileLayer } from './schema.js';
import type { AptRepoConfig, Origin, RpmMdRepoConfig, Treefile, TreefileComposeKeys } from './types.js';

/** Finds the 1-based line of an origin (of its key when `onKey`), if known. */
export type LineLocator = (at: Origin, onKey: boolean) => number | undefined;

// --- merging --------------------------------------------------------------------------------

/**
 * Merges one included layer into the including one, rpm-ostree's rules (treefile.md §2):
 * scalars first-wins (the includer, then earlier includes), lists and sets put the included
 * entries first, maps take the union with the includer winning. Call it once per include, in
 * order, so that with `include: [a, b]` lists come out as b, a, self, as rpm-ostree's do.
 */
export function mergeTreefileLayers(dest: TreefileLayer, inc: TreefileLayer): TreefileLayer {
  const archPackages: Record<string, At<string>[]> = { ...inc.archPackages };
  for (const [arch, list] of Object.entries(dest.archPackages)) archPackages[arch] = [...(archPackages[arch] ?? []), ...list];
  const out: TreefileLayer = {
    file: dest.file,
    include: dest.include,
    repos: [...inc.repos, ...dest.repos],
    packages: [...inc.packages, ...dest.packages],
    archPackages,
    excludePackages: [...inc.excludePackages, ...dest.excludePackages],
    architectures: [...inc.architectures, ...dest.architectures],
    compose: mergeCompose(dest.compose, inc.compose),
  };
  const ref = dest.ref ?? inc.ref;
  if (ref !== undefined) out.ref = ref;
  const arch = dest.arch ?? inc.arch;
  if (arch !== undefined) out.arch = arch;
  const releasever = dest.releasever ?? inc.releasever;
  if (releasever !== undefined) out.releasever = releasever;
  const bootstrap = dest.bootstrap ?? inc.bootstrap;
  if (bootstrap !== undefined) out.bootstrap = bootstrap;
  const recommends = dest.recommends ?? inc.recommends;
  if (recommends !== undefined) out.recommends = recommends;
  const multilib = dest.multilibPolicy ?? inc.multilibPolicy;
  if (multilib !== undefined) out.multilibPolicy = multilib;
  if (dest.installonly !== undefined || inc.installonly !== undefined) out.installonly = [...(inc.installonly ?? []), ...(dest.installonly ?? [])];
  return out;
}

function mergeCompose(dest: TreefileComposeKeys, inc: TreefileComposeKeys): TreefileComposeKeys {
  const out: TreefileComposeKeys = {};
  // Written out per key so each keeps its type; the rule per key is TREEFILE_KEYS' `merge`.
  const first = (k: 'documentation' | 'automaticVersionPrefix' | 'defaultTarget' | 'tmpIsDir' | 'machineidCompat' | 'timestamp'): void => {
    const v = dest[k] ?? inc[k];
    if (v !== undefined) Object.assign(out, { [k]: v });
  };
  const concat = (k: 'installLangs' | 'removeFiles' | 'removeFromPackages' | 'addFiles' | 'units' | 'etcGroupMembers'): void => {
    const a = inc[k];
    const b = dest[k];
    if (a !== undefined || b !== undefined) Object.assign(out, { [k]: [...(a ?? []), ...(b ?? [])] });
  };
  first('documentation');
  concat('installLangs');
  if (dest.addCommitMetadata !== undefined || inc.addCommitMetadata !== undefined) {
    out.addCommitMetadata = Object.fromEntries([...Object.entries(inc.addCommitMetadata ?? {}), ...Object.entries(dest.addCommitMetadata ?? {})]);
  }
  first('automaticVersionPrefix');
  concat('removeFiles');
  concat('removeFromPackages');
  concat('addFiles');
  concat('units');
  first('defaultTarget');
  concat('etcGroupMembers');
  first('tmpIsDir');
  first('machineidCompat');
  first('timestamp');
  return out;
}

// --- architectures and variables ------------------------------------------------------------

// dnf's basearch of each rpm arch (libdnf's arch map); noarch is no machine arch.
const BASEARCH_GROUPS: [string, string[]][] = [
  ['aarch64', ['aarch64']],
  ['alpha', ['alpha', 'alphaev4', 'alphaev45', 'alphaev5', 'alphaev56', 'alphaev6', 'alphaev67', 'alphaev68', 'alphaev7', 'alphapca56']],
  ['arm', ['armv5tejl', 'armv5tel', 'armv5tl', 'armv6l', 'armv7l', 'armv8l']],
  ['armhfp', ['armv6hl', 'armv7hl', 'armv7hnl', 'armv8hl', 'armv8hnl', 'armv8hcnl']],
  ['i386', ['i386', 'athlon', 'geode', 'i486', 'i586', 'i686']],
  ['ia64', ['ia64']],
  ['loongarch64', ['loongarch64']],
  ['mips', ['mips']],
  ['mipsel', ['mipsel']],
  ['mips64', ['mips64']],
  ['mips64el', ['mips64el']],
  ['ppc', ['ppc']],
  ['ppc64', ['ppc64', 'ppc64iseries', 'ppc64p7', 'ppc64pseries']],
  ['ppc64le', ['ppc64le']],
  ['riscv32', ['riscv32']],
  ['riscv64', ['riscv64']],
  ['riscv128', ['riscv128']],
  ['s390', ['s390']],
  ['s390x', ['s390x']],
  ['sh3', ['sh3']],
  ['sh4', ['sh4', 'sh4a']],
  ['sparc', ['sparc', 'sparc64', 'sparc64v', 'sparcv8', 'sparcv9', 'sparcv9v']],
  ['x86_64', ['x86_64', 'ia32e']],
];
const BASEARCH = new Map(BASEARCH_GROUPS.flatMap(([base, arches]) => arches.map((a) => [a, base] as const)));
/** The same machine under the other world's name, for hints. */
const DEB_FOR_RPM: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', ppc64le: 'ppc64el', armv7hl: 'armhf', i686: 'i386', noarch: 'all' };
const RPM_FOR_DEB: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64', ppc64el: 'ppc64le', armhf: 'armv7hl', armel: 'armv5tel', all: 'noarch' };

/** dnf's basearch for an rpm arch (`i686` → `i386`), undefined for an arch dnf does not know. */
export function rpmBasearch(arch: string): string | undefined {
  return BASEARCH.get(arch);
}

const VAR_REF = /\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))|\$\{/g;

/**
 * dnf-style substitution of `$name` and `${name}` (dnf.conf "Repo variables"). Unlike dnf, an
 * unknown variable is an error rather than left in place: in a URL it is always a mistake.
 */
export function substituteVariables(s: string, vars: ReadonlyMap<string, string>): { value: string } | { error: string } {
  let error: string | undefined;
  const value = s.replace(VAR_REF, (m, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare;
    if (name === undefined) {
      error ??= `unclosed "\${" in ${JSON.stringify(s)}`;
      return m;
    }
    const v = vars.get(name);
    if (v === undefined) {
      error ??= name.startsWith('releasever') && !vars.has('releasever')
        ? `$${name} is used but releasever is not set`
        : `unknown variable $${name} in ${JSON.stringify(s)} (known: ${[...vars.keys()].map((k) => `$${k}`).join(', ')})`;
      return m;
    }
    return v;
  });
  return error === undefined ? { value } : { error };
}

// --- URLs and paths -------------------------------------------------------------------------

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * Makes a repo's baseurl absolute: an http(s) or file URL as is (normalized), any other string a
 * path relative to `dir` (the declaring treefile's directory) turned into a file URL. The
 * trailing `/` is dropped, so consumers append `/repodata/...` or `/dists/...` uniformly.
 */
export function resolveBaseurl(raw: string, dir: string): { value: string } | { error: string } {
  let url: URL;
  if (SCHEME.test(raw)) {
    try {
      url = new URL(raw);
    } catch {
      return { error: `expected an absolute URL, got ${JSON.stringify(raw)}` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') {
      return { error: `expected an http, https or file URL, got ${JSON.stringify(raw)}` };
    }
    if (url.protocol === 'file:' && url.host !== '') return { error: `expected a local file URL (file:///path), got ${JSON.stringify(raw)}` };
    if (url.search !== '' || url.hash !== '') return { error: `expected a URL without a query or fragment, got ${JSON.stringify(raw)}` };
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.host === '') return { error: `expected a host in ${JSON.stringify(raw)}` };
  } else {
    url = pathToFileURL(path.resolve(dir, raw));
  }
  // Every trailing '/' goes, even the root's: consumers append "/repodata/..." or "/dists/...".
  return { value: url.href.replace(/\/+$/, '') };
}

/** `gpgkey`: an http(s) URL stays a URL; a file URL or a path becomes an absolute path. */
export function resolveKeyLocation(raw: string, dir: string): { value: string } | { error: string } {
  if (!SCHEME.test(raw)) return { value: path.resolve(dir, raw) };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: `expected a key file path or URL, got ${JSON.stringify(raw)}` };
  }
  if (url.protocol === 'file:') {
    if (url.host !== '') return { error: `expected a local file URL (file:///path), got ${JSON.stringify(raw)}` };
    return { value: fileURLToPath(url) };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { value: url.href };
  return { error: `expected a key file path or an http, https or file URL, got ${JSON.stringify(raw)}` };
}

// ostree_validate_rev: components `[\w\d][-._\w\d]*` joined by `/`; like ostree/repo.ts we also
// refuse any `..` so no ref reads as a path step.
const REF_COMPONENT = /^[A-Za-z0-9_][-._A-Za-z0-9]*$/;

/** Why `ref` is not a valid ostree ref name, or undefined when it is. */
export function refProblem(ref: string): string | undefined {
  if (ref.includes('..') || !ref.split('/').every((c) => REF_COMPONENT.test(c))) {
    return `expected an ostree ref (components of letters, digits, "_", "-", "." not starting with "-" or ".", joined by "/", no ".."), got ${JSON.stringify(ref)}`;
  }
  return undefined;
}

// --- package specs --------------------------------------------------------------------------

// apt-get install's forms: name, name:arch, name=version, name:arch=version (dpkg's name rule:
// an alphanumeric first, then alphanumerics and "+-._").
const DEB_SPEC = /^([A-Za-z0-9][A-Za-z0-9+._-]*)(?::([^=]*))?(?:=(.*))?$/;

function debSpecProblem(spec: string, archs: ReadonlySet<string>, allowVersion: boolean): string | undefined {
  const m = DEB_SPEC.exec(spec);
  if (m === null) return `expected a Debian package as name, name:arch or name=version, got ${JSON.stringify(spec)}`;
  const [, , arch, version] = m;
  if (arch !== undefined && !archs.has(arch)) {
    return DEB_ARCH.test(arch) && arch !== 'any'
      ? `architecture ${JSON.stringify(arch)} of ${JSON.stringify(spec)} is not configured: add it to architectures`
      : `expected an architecture after ":" in ${JSON.stringify(spec)}`;
  }
  if (version !== undefined) {
    if (!allowVersion) return `expected a package name without a version, got ${JSON.stringify(spec)}`;
    try {
      parseDebianVersion(version);
    } catch (err) {
      if (err instanceof FormatError) return `bad version in ${JSON.stringify(spec)}: ${err.message.replace(/^deb-version: /, '')}`;
      throw err;
    }
  }
  return undefined;
}

// --- the whole treefile ---------------------------------------------------------------------

/**
 * Turns a merged layer into a Treefile, collecting every problem: required keys, one repo kind,
 * unique repo ids, keys that belong to the other package world, arch names, variables, URLs,
 * package specs. `opts.issues` (from checkTreefileLayer) are reported along with these, in one
 * ValidationError (see treefileIssuesError).
 */
export function normalizeTreefile(layer: TreefileLayer, opts: { lineOf?: LineLocator; issues?: LayerIssue[] } = {}): Treefile {
  // Issues found per file come first; a key they already flagged is not reported missing again.
  const issues: LayerIssue[] = [...(opts.issues ?? [])];
  const rootBad = issues.some((i) => i.at.pointer === '');
  const flagged = (key: string): boolean => rootBad || issues.some((i) => i.suggested === key || i.at.pointer === `/${key}` || i.at.pointer.startsWith(`/${key}/`) || i.at.pointer.startsWith(`/${key}-`));
  const fail = (at: Origin, message: string, onKey = false): void => {
    issues.push({ at, message, ...(onKey ? { onKey } : {}) });
  };
  const top: Origin = { file: layer.file, pointer: '' };

  if (layer.ref === undefined && !flagged('ref')) fail(top, 'missing required key "ref" (the ostree ref to commit to)');
  if (layer.arch === undefined && !flagged('arch')) fail(top, 'missing required key "arch" (x86_64, aarch64... for rpm-md repos; amd64, arm64... for apt repos)');
  const firstRepo = layer.repos[0];
  if (firstRepo === undefined && !flagged('repos')) fail(top, 'no repos: add at least one entry to "repos"');
  const kind = firstRepo?.kind === 'apt' ? 'deb' : 'rpm';
  const seen = new Map<string, RepoLayer>();
  for (const r of layer.repos) {
    if (firstRepo !== undefined && r.kind !== firstRepo.kind) {
      fail(r.at, `repo ${JSON.stringify(r.id)} is ${r.kind} but repo ${JSON.stringify(firstRepo.id)} is ${firstRepo.kind}: all repos must be of one kind (a treefile composes either RPMs or debs)`);
    }
    const prev = seen.get(r.id);
    if (r.id === '') continue;
    if (prev !== undefined) fail({ file: r.at.file, pointer: `${r.at.pointer}/id` }, `duplicate repo id ${JSON.stringify(r.id)} (first in ${prev.at.file} at ${prev.at.pointer})`);
    else seen.set(r.id, r);
  }
  const wrongWorld = (a: At<unknown> | undefined, key: string, needs: string): void => {
    if (a !== undefined) fail({ file: a.at.file, pointer: `/${key}` }, `"${key}" applies to ${needs} repos only, and this treefile's repos are ${kind === 'rpm' ? 'rpm-md' : 'apt'}`, true);
  };
  // Without a repo, which package world this is cannot be told.
  if (firstRepo !== undefined && kind === 'rpm') {
    wrongWorld(layer.bootstrap, 'bootstrap', 'apt');
    wrongWorld(layer.architectures[0], 'architectures', 'apt');
  } else if (firstRepo !== undefined) {
    wrongWorld(layer.installonly?.[0], 'installonly', 'rpm-md');
    wrongWorld(layer.multilibPolicy, 'multilib-policy', 'rpm-md');
  }

  // The native arch, in the naming of the repos' world.
  const arch = layer.arch?.value ?? '';
  let basearch = arch;
  if (layer.arch !== undefined && firstRepo !== undefined) {
    if (kind === 'rpm') {
      const base = rpmBasearch(arch);
      if (base === undefined) {
        const hint = RPM_FOR_DEB[arch] === undefined ? didYouMean(arch, [...BASEARCH.keys()]) : `; rpm calls it ${JSON.stringify(RPM_FOR_DEB[arch])}`;
        fail(layer.arch.at, `expected an rpm architecture (x86_64, aarch64, i686...), got ${JSON.stringify(arch)}${hint}`);
      } else {
        basearch = base;
      }
    } else if (!DEB_ARCH.test(arch) || arch === 'all' || arch === 'any') {
      const hint = DEB_FOR_RPM[arch] === undefined ? '' : `; Debian calls it ${JSON.stringify(DEB_FOR_RPM[arch])}`;
      fail(layer.arch.at, `expected a Debian architecture (amd64, arm64, i386...), got ${JSON.stringify(arch)}${hint}`);
    }
  }
  const vars = new Map<string, string>([['arch', arch], ['basearch', basearch]]);
  const releasever = layer.releasever?.value;
  if (releasever !== undefined) {
    vars.set('releasever', releasever);
    const dot = releasever.indexOf('.');
    vars.set('releasever_major', dot < 0 ? releasever : releasever.slice(0, dot));
    vars.set('releasever_minor', dot < 0 ? '' : releasever.slice(dot + 1));
  }
  const sub = (s: string, at: Origin): string | undefined => {
    const r = substituteVariables(s, vars);
    if ('value' in r) return r.value;
    fail(at, r.error);
    return undefined;
  };

  let ref = '';
  if (layer.ref !== undefined) {
    ref = sub(layer.ref.value, layer.ref.at) ?? '';
    const why = ref === '' ? undefined : refProblem(ref);
    if (why !== undefined) fail(layer.ref.at, why);
  }

  const rpmRepos: RpmMdRepoConfig[] = [];
  const aptRepos: AptRepoConfig[] = [];
  for (const r of layer.repos) {
    if (!r.complete) continue;
    // One baseurl is a mirror list of one; every entry gets the same substitution and resolution.
    const written: At<string>[] = r.mirrors ?? [{ value: r.baseurl, at: { file: r.at.file, pointer: `${r.at.pointer}/baseurl` } }];
    const mirrors: string[] = [];
    for (const m of written) {
      const raw = sub(m.value, m.at);
      const resolved = raw === undefined ? undefined : resolveBaseurl(raw, r.dir);
      if (resolved !== undefined && 'error' in resolved) fail(m.at, resolved.error);
      else if (resolved !== undefined && mirrors.includes(resolved.value)) fail(m.at, `mirror ${JSON.stringify(resolved.value)} is listed twice`);
      else if (resolved !== undefined) mirrors.push(resolved.value);
    }
    const baseurl = mirrors[0] ?? '';
    if (r.kind === 'rpm-md') {
      let gpgkey: string | undefined;
      if (r.gpgkey !== undefined) {
        const keyAt = { file: r.at.file, pointer: `${r.at.pointer}/gpgkey` };
        const s = sub(r.gpgkey, keyAt);
        const k = s === undefined ? undefined : resolveKeyLocation(s, r.dir);
        if (k !== undefined && 'error' in k) fail(keyAt, k.error);
        else if (k !== undefined) gpgkey = k.value;
      }
      rpmRepos.push({
        kind: 'rpm-md', id: r.id, baseurl, mirrors, gpgcheck: r.gpgcheck ?? true, ...(gpgkey === undefined ? {} : { gpgkey }),
        priority: r.priority ?? 99, cost: r.cost ?? 1000,
      });
    } else {
      aptRepos.push({
        kind: 'apt', id: r.id, baseurl, mirrors, suite: r.suite ?? '', components: r.components ?? ['main'],
        ...(r.signedBy === undefined ? {} : { signedBy: r.signedBy }), trusted: r.trusted ?? false, priority: r.priority ?? 500,
      });
    }
  }

  // Foreign architectures: a set; the native one is implied.
  const architectures: string[] = [];
  for (const a of layer.architectures) {
    if (a.value === arch || a.value === 'all' || a.value === 'any') fail(a.at, `${JSON.stringify(a.value)} is not a foreign architecture (the native one is ${JSON.stringify(arch)})`);
    else if (!architectures.includes(a.value)) architectures.push(a.value);
  }
  const debArchs = new Set([arch, 'native', 'all', ...architectures]);

  // packages-<arch> for this basearch joins packages (treefile.md §3.2); others are ignored.
  for (const [suffix, list] of Object.entries(layer.archPackages)) {
    const known = kind === 'rpm' ? BASEARCH_GROUPS.some(([b]) => b === suffix) : DEB_ARCH.test(suffix);
    const first = list[0];
    if (!known && first !== undefined) {
      const keyAt = { file: first.at.file, pointer: first.at.pointer.replace(/\/\d+$/, '') };
      fail(keyAt, `unknown architecture in "packages-${suffix}"${kind === 'rpm' ? didYouMean(suffix, BASEARCH_GROUPS.map(([b]) => b)) : ''}`, true);
    }
  }
  const wanted = [...layer.packages, ...(layer.archPackages[basearch] ?? [])];
  const packages = uniqueSpecs(wanted, kind, debArchs, true, fail);
  const excludePackages = uniqueSpecs(layer.excludePackages, kind, debArchs, false, fail);
  const excluded = new Set(excludePackages);
  for (const p of wanted) {
    // rpm-ostree: listing a package both in packages and exclude-packages is fatal.
    if (excluded.has(p.value)) fail(p.at, `${JSON.stringify(p.value)} is both in packages and in exclude-packages`);
  }
  if (packages.length === 0 && !(kind === 'deb' && layer.bootstrap !== undefined) && firstRepo !== undefined && !flagged('packages') && !flagged('bootstrap')) {
    fail(top, kind === 'deb' ? 'nothing to install: packages is empty and no bootstrap is set' : 'nothing to install: packages is empty');
  }

  if (issues.length > 0) throw treefileIssuesError(issues, opts.lineOf);

  // A fixed key order: kind, identity, repos, package selection, per-world keys, compose keys.
  const rel = releasever === undefined ? {} : { releasever };
  const selection = { packages, excludePackages, recommends: layer.recommends?.value ?? true };
  const compose = composeKeys(layer.compose);
  if (kind === 'rpm') {
    const installonly = layer.installonly === undefined ? [...DEFAULT_INSTALLONLY] : unique(layer.installonly.map((i) => i.value));
    return { kind: 'rpm', ref, arch, basearch, ...rel, repos: rpmRepos, ...selection, installonly, multilibPolicy: layer.multilibPolicy?.value ?? 'best', ...compose };
  }
  const boot = layer.bootstrap === undefined ? {} : { bootstrap: layer.bootstrap.value };
  return { kind: 'deb', ref, arch, ...rel, repos: aptRepos, ...selection, ...boot, architectures, ...compose };
}

// The compose keys in TREEFILE_KEYS order, whatever order the files set them in.
function composeKeys(c: TreefileComposeKeys): TreefileComposeKeys {
  const order: (keyof TreefileComposeKeys)[] = [
    'documentation', 'installLangs', 'addCommitMetadata', 'automaticVersionPrefix', 'removeFiles', 'removeFromPackages',
    'addFiles', 'units', 'defaultTarget', 'etcGroupMembers', 'tmpIsDir', 'machineidCompat', 'timestamp',
  ];
  const out: TreefileComposeKeys = {};
  for (const k of order) if (c[k] !== undefined) Object.assign(out, { [k]: c[k] });
  return out;
}

function uniqueSpecs(list: At<string>[], kind: 'rpm' | 'deb', archs: ReadonlySet<string>, allowVersion: boolean, fail: (at: Origin, m: string) => void): string[] {
  const out: string[] = [];
  for (const p of list) {
    // rpm: names, provides, file paths and NEVRs are all one word; a word that starts like an
    // option or a comparison is the remains of a version query split on blanks.
    const why = kind === 'deb' ? debSpecProblem(p.value, archs, allowVersion)
      : /^[-<>=!]/.test(p.value) ? `expected a package name, provide or NEVR, got ${JSON.stringify(p.value)} (version queries are not supported)` : undefined;
    if (why !== undefined) fail(p.at, why);
    else if (!out.includes(p.value)) out.push(p.value);
  }
  return out;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/**
 * One ValidationError from located issues, naming the file of the first; each message ends with
 * its line, and with its file when that is another one (an include).
 */
export function treefileIssuesError(issues: LayerIssue[], lineOf?: LineLocator): ValidationError {
  const file = issues[0]?.at.file ?? '';
  const out: ValidationIssue[] = issues.map((i) => {
    const line = i.at.pointer === '' ? undefined : lineOf?.(i.at, i.onKey === true);
    const where = i.at.file === file ? (line === undefined ? '' : ` (line ${line})`) : ` (in ${i.at.file}${line === undefined ? '' : `, line ${line}`})`;
    return { pointer: i.at.pointer, message: `${i.message}${where}` };
  });
  return new ValidationError(file, out);
}

/**
 * The canonical JSON of a treefile (keys sorted at every level, no blanks): the treefile part of
 * compose's inputhash (treefile.md §1 "Treefile checksum": comments, key order and layout do not
 * count).
 */
export function canonicalTreefileJson(t: Treefile): string {
  return JSON.stringify(sortKeys(t));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return Object.fromEntries(keys.map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * Parses and normalizes one treefile's text (pure). `dir` (absolute) is where relative paths in
 * it resolve. A treefile with `include` needs loadTreefile, which reads the included files.
 */
export function parseTreefile(text: string, opts: { file: string; dir: string }): Treefile {
  const doc = parseTreefileDocument(text, opts.file);
  const lineOf: LineLocator = (at, onKey) => (at.file === opts.file ? doc.lineOf(at.pointer, onKey) : undefined);
  const { layer, issues } = checkTreefileLayer(doc, opts);
  const inc = layer.include[0];
  if (inc !== undefined) issues.push({ at: inc.at, message: 'include needs loadTreefile, which reads the included files' });
  return normalizeTreefile(layer, { lineOf, issues });
}
