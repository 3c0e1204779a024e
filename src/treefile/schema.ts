// The treefile schema: every key jigtree recognizes, its type, and how includes merge it
// (treefile.md §2-3, issues 4 and 5). checkTreefileLayer validates one file on its own;
// normalize.ts merges the files and does the checks that need the whole treefile.
import path from 'node:path';
import { InternalError } from '../core/index.js';
import { pointerJoin, type TreefileDocument } from './document.js';
import type { AddFile, Bootstrap, JsonValue, MultilibPolicy, Origin, RemoveFromPackage, TreefileComposeKeys } from './types.js';

/** How includes combine a key (treefile.md §2): scalars first-wins, lists includes-first, sets union, maps child-wins. */
export type MergeRule = 'scalar' | 'list' | 'set' | 'map';

/** One recognized top-level key: its merge rule and which issue gives it effect. */
export type TreefileKeyInfo = { key: string; merge: MergeRule; issue: 4 | 5; summary: string };

/**
 * Every top-level key (plus `packages-<arch>`). Issue-5 keys are the ones the compose issue names:
 * validated and merged now, used by compose. Anything else is an error with a "did you mean" hint
 * (treefile.md §8.1: reject unknown keys in every syntax, not only YAML).
 */
export const TREEFILE_KEYS: readonly TreefileKeyInfo[] = [
  { key: 'include', merge: 'list', issue: 4, summary: 'file or list of files merged into this one (paths relative to this file)' },
  { key: 'ref', merge: 'scalar', issue: 4, summary: 'ostree ref to commit to' },
  { key: 'arch', merge: 'scalar', issue: 4, summary: 'native architecture (rpm x86_64, deb amd64)' },
  { key: 'releasever', merge: 'scalar', issue: 4, summary: 'value of $releasever in baseurl' },
  { key: 'repos', merge: 'list', issue: 4, summary: 'source repos (rpm-md or apt)' },
  { key: 'bootstrap', merge: 'scalar', issue: 4, summary: 'deb base set: essential | apt | minbase | buildd' },
  { key: 'packages', merge: 'set', issue: 4, summary: 'packages to install' },
  { key: 'exclude-packages', merge: 'list', issue: 4, summary: 'packages that must not be installed' },
  { key: 'recommends', merge: 'scalar', issue: 4, summary: 'install weak dependencies (default true)' },
  { key: 'architectures', merge: 'set', issue: 4, summary: 'deb foreign architectures' },
  { key: 'installonly', merge: 'set', issue: 4, summary: 'rpm names installed side by side (default dnf installonlypkgs)' },
  { key: 'multilib-policy', merge: 'scalar', issue: 4, summary: 'rpm multilib policy: best | all' },
  { key: 'documentation', merge: 'scalar', issue: 5, summary: 'install documentation files' },
  { key: 'install-langs', merge: 'list', issue: 5, summary: 'locales to install' },
  { key: 'add-commit-metadata', merge: 'map', issue: 5, summary: 'extra commit metadata' },
  { key: 'automatic-version-prefix', merge: 'scalar', issue: 5, summary: 'commit version scheme' },
  { key: 'remove-files', merge: 'list', issue: 5, summary: 'paths removed from the tree' },
  { key: 'remove-from-packages', merge: 'list', issue: 5, summary: '[package, regex...] files removed from a package' },
  { key: 'add-files', merge: 'list', issue: 5, summary: '[src, dest] files added to the tree' },
  { key: 'units', merge: 'list', issue: 5, summary: 'systemd units to enable' },
  { key: 'default-target', merge: 'scalar', issue: 5, summary: 'systemd default target' },
  { key: 'etc-group-members', merge: 'list', issue: 5, summary: 'groups kept in /etc/group' },
  { key: 'tmp-is-dir', merge: 'scalar', issue: 5, summary: '/tmp is a directory, not a link' },
  { key: 'machineid-compat', merge: 'scalar', issue: 5, summary: 'ship an empty /etc/machine-id' },
  { key: 'timestamp', merge: 'scalar', issue: 5, summary: 'commit timestamp' },
];

/** `packages-<arch>`: extra packages for one basearch only (treefile.md §3.2). */
export const ARCH_PACKAGES_KEY = /^packages-([A-Za-z0-9_-]+)$/;

/** Repo keys by kind; `common` ones apply to both. */
export const REPO_KEYS = {
  common: ['id', 'kind', 'baseurl', 'mirrors', 'priority'],
  'rpm-md': ['gpgcheck', 'gpgkey', 'cost'],
  apt: ['suite', 'components', 'signed-by', 'trusted'],
} as const;

/** dnf's default installonlypkgs (libdnf's INSTALLONLYPKGS; depsolve.md, installonly). */
export const DEFAULT_INSTALLONLY: readonly string[] = [
  'kernel', 'kernel-PAE', 'installonlypkg(kernel)', 'installonlypkg(kernel-module)', 'installonlypkg(vm)', 'multiversion(kernel)',
];

/** mmdebstrap variants accepted for `bootstrap` (issue 4). */
export const BOOTSTRAPS: readonly Bootstrap[] = ['essential', 'apt', 'minbase', 'buildd'];
const MULTILIB: readonly MultilibPolicy[] = ['best', 'all'];
const REPO_KINDS = ['rpm-md', 'apt'] as const;

/** Repo ids: what dnf and apt both accept and what is safe as a file name. */
export const REPO_ID = /^[A-Za-z0-9._-]+$/;

/** A value with the place it came from. */
export type At<T> = { value: T; at: Origin };

/** One validated repo entry of one file, before variables and URLs are resolved. */
export type RepoLayer = {
  at: Origin;
  /** Absolute directory of the file that declared it: relative paths resolve against it. */
  dir: string;
  kind: 'rpm-md' | 'apt';
  /** False when the entry had issues (then `id`/`baseurl` may be ''). */
  complete: boolean;
  id: string;
  /** `baseurl` as written, or '' when the repo gives `mirrors`. */
  baseurl: string;
  /** `mirrors` as written (non-empty), each with its pointer; absent when the repo gives `baseurl`. */
  mirrors?: At<string>[];
  priority?: number;
  gpgcheck?: boolean;
  gpgkey?: string;
  cost?: number;
  suite?: string;
  components?: string[];
  signedBy?: string;
  trusted?: boolean;
};

/** One treefile's keys, validated on their own; includes are merged by mergeTreefileLayers. */
export type TreefileLayer = {
  file: string;
  include: At<string>[];
  ref?: At<string>;
  arch?: At<string>;
  releasever?: At<string>;
  repos: RepoLayer[];
  bootstrap?: At<Bootstrap>;
  packages: At<string>[];
  /** `packages-<arch>` entries, by arch. */
  archPackages: Record<string, At<string>[]>;
  excludePackages: At<string>[];
  recommends?: At<boolean>;
  architectures: At<string>[];
  installonly?: At<string>[];
  multilibPolicy?: At<MultilibPolicy>;
  compose: TreefileComposeKeys;
};

/** A problem found while checking, located in some file; `suggested` is a "did you mean" key. */
export type LayerIssue = { at: Origin; message: string; onKey?: boolean; suggested?: string };

/** Context for checking one file. */
export type LayerContext = { file: string; dir: string };

/**
 * Validates one treefile document on its own: types, enums, unknown keys (with the nearest known
 * key), repo keys of the wrong kind. Every problem is collected; relative paths other than
 * `baseurl`, `mirrors` and `gpgkey` (which may hold variables) are made absolute here.
 */
export function checkTreefileLayer(doc: Pick<TreefileDocument, 'value' | 'sourceOf'>, ctx: LayerContext): { layer: TreefileLayer; issues: LayerIssue[] } {
  if (!path.isAbsolute(ctx.dir)) throw new InternalError(`treefile dir must be absolute: ${ctx.dir}`);
  const c = new Checker(ctx.file);
  const layer: TreefileLayer = { file: ctx.file, include: [], repos: [], packages: [], archPackages: {}, excludePackages: [], architectures: [], compose: {} };
  const raw = doc.value;
  if (!isRecord(raw)) {
    c.fail('', `expected a mapping of treefile keys, got ${describe(raw)}`);
    return { layer, issues: c.issues };
  }
  const compose = layer.compose;
  for (const [key, v] of Object.entries(raw)) {
    const p = pointerJoin('', key);
    const archKey = ARCH_PACKAGES_KEY.exec(key);
    switch (key) {
      case 'include': {
        const list = typeof v === 'string' ? [v] : v;
        const items = c.stringList(list, p, { what: 'a file name or a list of file names' });
        layer.include = items.map((it) => ({ value: it.value, at: { file: ctx.file, pointer: typeof v === 'string' ? p : it.at.pointer } }));
        break;
      }
      case 'ref':
      case 'arch':
        set(layer, key, c.at(c.nonBlankString(v, p), p));
        break;
      case 'releasever': {
        // YAML turns `releasever: 9.10` into 9.1; the literal text is what dnf would see.
        const s = typeof v === 'number' && Number.isFinite(v) ? (doc.sourceOf(p) ?? String(v)) : c.nonBlankString(v, p, 'a string or a number');
        if (s !== undefined && /\s/.test(s)) c.fail(p, `expected no blanks in releasever, got ${JSON.stringify(s)}`);
        else set(layer, 'releasever', c.at(s, p));
        break;
      }
      case 'repos':
        if (!Array.isArray(v)) c.fail(p, `expected a list of repos, got ${describe(v)}`);
        else v.forEach((r, i) => { const repo = checkRepo(c, r, pointerJoin(p, i), ctx); if (repo !== undefined) layer.repos.push(repo); });
        break;
      case 'bootstrap':
        set(layer, 'bootstrap', c.at(c.oneOf(v, p, BOOTSTRAPS), p));
        break;
      case 'packages':
        layer.packages = packageWords(c, v, p);
        break;
      case 'exclude-packages':
        layer.excludePackages = c.stringList(v, p, { word: true });
        break;
      case 'recommends':
        set(layer, 'recommends', c.at(c.bool(v, p), p));
        break;
      case 'architectures':
        layer.architectures = c.stringList(v, p, { pattern: DEB_ARCH, patternText: 'a Debian architecture name such as i386 or arm64' });
        break;
      case 'installonly':
        layer.installonly = c.stringList(v, p, { word: true });
        break;
      case 'multilib-policy':
        set(layer, 'multilibPolicy', c.at(c.oneOf(v, p, MULTILIB), p));
        break;
      case 'documentation':
        setPlain(compose, 'documentation', c.bool(v, p));
        break;
      case 'install-langs':
        setPlain(compose, 'installLangs', values(c.stringList(v, p, { word: true })));
        break;
      case 'add-commit-metadata':
        setPlain(compose, 'addCommitMetadata', c.jsonMap(v, p));
        break;
      case 'automatic-version-prefix':
        setPlain(compose, 'automaticVersionPrefix', c.nonBlankString(v, p));
        break;
      case 'remove-files':
        setPlain(compose, 'removeFiles', values(c.stringList(v, p)));
        break;
      case 'remove-from-packages':
        setPlain(compose, 'removeFromPackages', c.tuples(v, p, 2, Infinity, '[package, regex, ...]') as RemoveFromPackage[] | undefined);
        break;
      case 'add-files':
        setPlain(compose, 'addFiles', c.tuples(v, p, 2, 2, '[source, destination]')?.map(([src, dest]): AddFile => [path.resolve(ctx.dir, src ?? ''), dest ?? '']));
        break;
      case 'units':
        setPlain(compose, 'units', values(c.stringList(v, p, { word: true })));
        break;
      case 'default-target':
        setPlain(compose, 'defaultTarget', c.nonBlankString(v, p));
        break;
      case 'etc-group-members':
        setPlain(compose, 'etcGroupMembers', values(c.stringList(v, p, { word: true })));
        break;
      case 'tmp-is-dir':
        setPlain(compose, 'tmpIsDir', c.bool(v, p));
        break;
      case 'machineid-compat':
        setPlain(compose, 'machineidCompat', c.bool(v, p));
        break;
      case 'timestamp':
        setPlain(compose, 'timestamp', c.timestamp(v, p));
        break;
      default:
        if (archKey?.[1] !== undefined) layer.archPackages[archKey[1]] = packageWords(c, v, p);
        else c.unknownKey(key, p, TREEFILE_KEYS.map((k) => k.key), 'treefile');
    }
  }
  return { layer, issues: c.issues };
}

// --- repos ----------------------------------------------------------------------------------

const ALL_REPO_KEYS: readonly string[] = [...REPO_KEYS.common, ...REPO_KEYS['rpm-md'], ...REPO_KEYS.apt];
const kindOfKey = (key: string): 'rpm-md' | 'apt' | undefined =>
  (REPO_KEYS['rpm-md'] as readonly string[]).includes(key) ? 'rpm-md' : (REPO_KEYS.apt as readonly string[]).includes(key) ? 'apt' : undefined;

function checkRepo(c: Checker, raw: unknown, p: string, ctx: LayerContext): RepoLayer | undefined {
  if (!isRecord(raw)) {
    c.fail(p, `expected a repo mapping (id, kind, baseurl...), got ${describe(raw)}`);
    return undefined;
  }
  const before = c.issues.length;
  const kind = raw['kind'] === undefined ? undefined : c.oneOf(raw['kind'], pointerJoin(p, 'kind'), REPO_KINDS);
  if (raw['kind'] === undefined) c.fail(p, 'missing required key "kind" (rpm-md or apt)');
  const repo: Partial<RepoLayer> = {};
  for (const [key, v] of Object.entries(raw)) {
    const kp = pointerJoin(p, key);
    const owner = kindOfKey(key);
    if (owner !== undefined && kind !== undefined && owner !== kind) {
      c.fail(kp, `"${key}" is a key of ${owner} repos; ${kind} repos do not take it`, true);
      continue;
    }
    switch (key) {
      case 'kind':
        break;
      case 'id': {
        const id = c.nonBlankString(v, kp);
        if (id !== undefined && !REPO_ID.test(id)) c.fail(kp, `expected a repo id of letters, digits, ".", "_" and "-", got ${JSON.stringify(id)}`);
        else if (id !== undefined) repo.id = id;
        break;
      }
      case 'baseurl':
        setPlain(repo, 'baseurl', c.nonBlankString(v, kp, 'a URL (http, https, file) or a path relative to the treefile'));
        break;
      case 'priority':
        // dnf: lower wins, 1..99 is customary but any positive int works; apt pins may be negative.
        setPlain(repo, 'priority', c.int(v, kp, kind === 'apt' ? -2147483648 : 1, 2147483647));
        break;
      case 'gpgcheck':
        setPlain(repo, 'gpgcheck', c.bool(v, kp));
        break;
      case 'gpgkey':
        setPlain(repo, 'gpgkey', c.word(v, kp, 'a key file path or URL'));
        break;
      case 'cost':
        setPlain(repo, 'cost', c.int(v, kp, 0, 2147483647));
        break;
      case 'suite': {
        const suite = c.word(v, kp, 'a suite name such as bookworm');
        // apt's flat repositories (`deb URL dir/`, no components) are not supported.
        if (suite !== undefined && (suite.endsWith('/') || suite.startsWith('/'))) c.fail(kp, `expected a suite name such as bookworm, got ${JSON.stringify(suite)} (flat repositories are not supported)`);
        else setPlain(repo, 'suite', suite);
        break;
      }
      case 'components': {
        const items = c.stringList(v, kp, { pattern: /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, patternText: 'a component name such as main' });
        if (Array.isArray(v) && v.length === 0) c.fail(kp, 'expected at least one component');
        const names = values(items);
        const dup = names.find((n, i) => names.indexOf(n) !== i);
        if (dup !== undefined) c.fail(kp, `component ${JSON.stringify(dup)} is listed twice`);
        repo.components = names;
        break;
      }
      case 'signed-by': {
        const file = c.word(v, kp, 'a keyring file path');
        if (file !== undefined && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(file)) c.fail(kp, `expected a keyring file path, got ${JSON.stringify(file)} (URLs and fingerprints are not supported)`);
        else if (file !== undefined) repo.signedBy = path.resolve(ctx.dir, file);
        break;
      }
      case 'trusted':
        setPlain(repo, 'trusted', c.bool(v, kp));
        break;
      case 'mirrors': {
        // dnf's `baseurl` may list several URLs, tried in order (dnf.conf "baseurl"); rpm-ostree
        // passes them through. Here the list is its own key so one URL stays a plain string.
        const items = c.stringList(v, kp, { what: 'a list of URLs (http, https, file) or paths relative to the treefile' });
        if (Array.isArray(v) && v.length === 0) c.fail(kp, 'expected at least one mirror URL');
        else if (Array.isArray(v) && items.length === v.length) repo.mirrors = items;
        break;
      }
      default:
        c.unknownKey(key, kp, ALL_REPO_KEYS, 'repo');
    }
  }
  if (raw['id'] === undefined) c.fail(p, 'missing required key "id"');
  if (raw['baseurl'] === undefined && raw['mirrors'] === undefined) c.fail(p, 'missing required key "baseurl" or "mirrors" (a list of URLs tried in order)');
  if (raw['baseurl'] !== undefined && raw['mirrors'] !== undefined) c.fail(pointerJoin(p, 'mirrors'), 'give either "baseurl" or "mirrors", not both (put the baseurl first in mirrors)', true);
  if (kind === 'apt' && raw['suite'] === undefined) c.fail(p, 'missing required key "suite" (apt repos need one, e.g. bookworm)');
  // No host keyrings are consulted (rpm-ostree ignores the host's repo config too), so a repo
  // that checks signatures must name its key.
  if (kind === 'rpm-md' && repo.gpgcheck !== false && raw['gpgkey'] === undefined) {
    c.fail(p, 'gpgcheck is on (the default) but no gpgkey is given: set gpgkey, or gpgcheck: false for an unsigned repo');
  }
  if (kind === 'apt' && repo.trusted !== true && raw['signed-by'] === undefined) {
    c.fail(p, 'no signed-by keyring is given: set signed-by, or trusted: true for an unsigned repo');
  }
  // A repo with issues is kept (marked incomplete) so whole-treefile checks still see its kind.
  if (kind === undefined) return undefined;
  return { ...repo, at: { file: ctx.file, pointer: p }, dir: ctx.dir, kind, id: repo.id ?? '', baseurl: repo.baseurl ?? '', complete: c.issues.length === before };
}

// --- packages -------------------------------------------------------------------------------

// rpm-ostree splits `packages` entries on whitespace (treefile.md §1), so "a b" is two packages.
function packageWords(c: Checker, v: unknown, p: string): At<string>[] {
  const out: At<string>[] = [];
  for (const item of c.stringList(v, p)) {
    if (item.value.includes("'") || item.value.includes('"')) {
      c.fail(item.at.pointer, `quoted version queries are not supported, got ${JSON.stringify(item.value)}: write name or name=version`);
      continue;
    }
    for (const word of item.value.split(/\s+/)) if (word !== '') out.push({ value: word, at: item.at });
  }
  return out;
}

/** Debian architecture names (dpkg-architecture -L: lowercase letters, digits, `-`). */
export const DEB_ARCH = /^[a-z0-9][a-z0-9-]*$/;

// --- the checker ----------------------------------------------------------------------------

/** Collects issues for one file; each method returns the value when it fits, else undefined. */
class Checker {
  readonly issues: LayerIssue[] = [];
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  fail(pointer: string, message: string, onKey = false): void {
    this.issues.push({ at: { file: this.file, pointer }, message, ...(onKey ? { onKey } : {}) });
  }

  at<T>(value: T | undefined, pointer: string): At<T> | undefined {
    return value === undefined ? undefined : { value, at: { file: this.file, pointer } };
  }

  unknownKey(key: string, pointer: string, known: readonly string[], where: string): void {
    const kebab = key.replace(/_/g, '-');
    const suggested = known.includes(kebab) ? kebab : closest(key, known);
    const hint = suggested === undefined ? '' : suggested === kebab ? `; keys are kebab-case: did you mean "${kebab}"?` : `; did you mean ${JSON.stringify(suggested)}?`;
    this.issues.push({ at: { file: this.file, pointer }, message: `unknown ${where} key ${JSON.stringify(key)}${hint}`, onKey: true, ...(suggested === undefined ? {} : { suggested }) });
  }

  nonBlankString(v: unknown, p: string, what = 'a string'): string | undefined {
    if (typeof v !== 'string') {
      this.fail(p, `expected ${what}, got ${describe(v)}`);
      return undefined;
    }
    if (v.trim() === '') {
      this.fail(p, `expected ${what}, got an empty string`);
      return undefined;
    }
    return v;
  }

  word(v: unknown, p: string, what: string): string | undefined {
    const s = this.nonBlankString(v, p, what);
    if (s !== undefined && /\s/.test(s)) {
      this.fail(p, `expected ${what} without blanks, got ${JSON.stringify(s)}`);
      return undefined;
    }
    return s;
  }

  bool(v: unknown, p: string): boolean | undefined {
    if (typeof v !== 'boolean') {
      this.fail(p, `expected true or false, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  int(v: unknown, p: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(p, `expected an integer from ${min} to ${max}, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(v: unknown, p: string, allowed: readonly T[]): T | undefined {
    const hit = allowed.find((a) => a === v);
    if (hit === undefined) {
      this.fail(p, `expected one of ${allowed.join(', ')}, got ${describe(v)}${typeof v === 'string' ? didYouMean(v, allowed) : ''}`);
      return undefined;
    }
    return hit;
  }

  /** A list of non-empty strings; `word` forbids blanks, `pattern` constrains each item. */
  stringList(v: unknown, p: string, opts: { what?: string; word?: boolean; pattern?: RegExp; patternText?: string } = {}): At<string>[] {
    if (!Array.isArray(v)) {
      this.fail(p, `expected ${opts.what ?? 'a list of strings'}, got ${describe(v)}`);
      return [];
    }
    const out: At<string>[] = [];
    v.forEach((item: unknown, i) => {
      const ip = pointerJoin(p, i);
      const s = this.nonBlankString(item, ip);
      if (s === undefined) return;
      if (opts.word === true && /\s/.test(s)) this.fail(ip, `expected a name without blanks, got ${JSON.stringify(s)}`);
      else if (opts.pattern !== undefined && !opts.pattern.test(s)) this.fail(ip, `expected ${opts.patternText ?? 'a name'}, got ${JSON.stringify(s)}`);
      else out.push({ value: s, at: { file: this.file, pointer: ip } });
    });
    return out;
  }

  /** A list of string lists, each with `min` to `max` non-empty strings. */
  tuples(v: unknown, p: string, min: number, max: number, shape: string): string[][] | undefined {
    if (!Array.isArray(v)) {
      this.fail(p, `expected a list of ${shape} lists, got ${describe(v)}`);
      return undefined;
    }
    const before = this.issues.length;
    const out = v.map((item: unknown, i) => {
      const ip = pointerJoin(p, i);
      if (!Array.isArray(item) || item.length < min || item.length > max) {
        this.fail(ip, `expected ${shape}, got ${describe(item)}`);
        return [];
      }
      return values(this.stringList(item, ip));
    });
    return this.issues.length > before ? undefined : out;
  }

  jsonMap(v: unknown, p: string): Record<string, JsonValue> | undefined {
    if (!isRecord(v)) {
      this.fail(p, `expected a mapping, got ${describe(v)}`);
      return undefined;
    }
    const before = this.issues.length;
    const out = this.json(v, p);
    return this.issues.length > before || !isRecord(out) ? undefined : out;
  }

  json(v: unknown, p: string): JsonValue | undefined {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (Array.isArray(v)) return v.map((x: unknown, i) => this.json(x, pointerJoin(p, i)) ?? null);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.json(x, pointerJoin(p, k)) ?? null]));
    this.fail(p, `expected JSON data, got ${describe(v)}`);
    return undefined;
  }

  timestamp(v: unknown, p: string): number | string | undefined {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    // RFC 3339 with an explicit zone, so the value means one instant on every machine.
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))) return v;
    this.fail(p, `expected seconds since the epoch or an RFC 3339 date-time with a zone (2024-01-31T00:00:00Z), got ${describe(v)}`);
    return undefined;
  }
}

// --- helpers --------------------------------------------------------------------------------

function set<K extends keyof TreefileLayer>(layer: TreefileLayer, key: K, value: TreefileLayer[K] | undefined): void {
  if (value !== undefined) layer[key] = value;
}

function setPlain<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

function values(items: At<string>[]): string[] {
  return items.map((i) => i.value);
}

/** True for plain objects (not arrays, not null, not Uint8Array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A short description of a value for "expected X, got Y" messages. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (typeof v === 'string') return v === '' ? 'an empty string' : `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  if (typeof v === 'number') return `the number ${String(v)}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (isRecord(v)) return 'a mapping';
  return 'binary data';
}

/** `; did you mean "x"?` for the closest candidate within a few edits, else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const best = closest(word, candidates);
  return best === undefined ? '' : `; did you mean ${JSON.stringify(best)}?`;
}

/** The candidate closest to `word` (case and `_`/`-` aside) if within a few edits. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase().replace(/_/g, '-');
  let best: string | undefined;
  let bestD = Infinity;
  for (const cand of candidates) {
    const d = editDistance(w, cand.toLowerCase());
    if (d < bestD) {
      best = cand;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(w.length / 3));
  return bestD <= limit ? best : undefined;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [];
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const prev = rows[i - 1] ?? [];
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}
