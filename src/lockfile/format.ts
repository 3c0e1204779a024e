// The lockfile's JSON form (pure): a canonical serializer and a validating parser. Canonical
// means equal lockfiles give equal bytes, so a lockfile can be committed, diffed and hashed
// into compose's inputhash (issue 5).
import { FormatError, ValidationError, type ValidationIssue } from '../core/index.js';
import { compareDebianVersions, compareRpmVersions, parseDebianVersion, parseRpmEvr } from '../pkg/index.js';
import type { LockedPackage, LockedRepo, Lockfile } from './types.js';

/** The lockfile format version this code reads and writes. */
export const LOCKFILE_VERSION = 1;

// Field tables: the keys of each object, in the order they are written.
const TOP_KEYS = ['version', 'ref', 'arch', 'repos', 'packages'] as const;
const REPO_KEYS = ['id', 'kind', 'baseurl', 'revision'] as const;
const PACKAGE_KEYS = ['kind', 'name', 'evr', 'arch', 'repo', 'location', 'size', 'digest'] as const;

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
const REPO_ID = /^[A-Za-z0-9._-]+$/;
const ARCH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// dpkg's package name rule; rpm names only need to be one blank-free word.
const DEB_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
// eslint-disable-next-line no-control-regex
const BLANK_OR_CONTROL = /[\s\x00-\x1f\x7f]/;
const REF_COMPONENT = /^[A-Za-z0-9_][-._A-Za-z0-9]*$/;

/** Orders packages by name, then arch, then evr in its world's version order (then as text). */
export function compareLockedPackages(a: LockedPackage, b: LockedPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.arch !== b.arch) return a.arch < b.arch ? -1 : 1;
  if (a.evr === b.evr) return a.kind === b.kind ? 0 : a.kind < b.kind ? -1 : 1;
  if (a.kind === b.kind) {
    const v = a.kind === 'rpm' ? compareRpmVersions(a.evr, b.evr) : compareDebianVersions(a.evr, b.evr);
    if (v !== 0) return v;
  }
  return a.evr < b.evr ? -1 : 1;
}

/**
 * The canonical bytes of a lockfile: keys in the field-table order, packages sorted
 * (compareLockedPackages), repos in the given order, 2-space indent, a final newline. Validates
 * first (a ValidationError, nothing formatted), so whatever it writes parseLockfile reads back.
 */
export function formatLockfile(lock: Lockfile): string {
  const checked = checkLockfile(lock, '<lockfile>');
  return `${JSON.stringify(checked, null, 2)}\n`;
}

/** Parses and validates lockfile text; `file` names it in errors. */
export function parseLockfile(text: string, file: string): Lockfile {
  const body = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
    const pos = /at position (\d+)/.exec(msg)?.[1];
    const where = pos === undefined ? '' : ` (${lineColumn(body, Number(pos))})`;
    throw new FormatError('json', `${msg.replace(/ \(line \d+ column \d+\)$/, '')}${where}`, { file });
  }
  return checkLockfile(value, file);
}

function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, pos).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/**
 * Validates parsed lockfile data, collecting every problem as a JSON pointer (ValidationError
 * naming `file`), and returns a fresh Lockfile in canonical key order with packages sorted.
 */
export function checkLockfile(value: unknown, file: string): Lockfile {
  const issues: ValidationIssue[] = [];
  const fail = (pointer: string, message: string): void => {
    issues.push({ pointer, message });
  };
  if (!isObject(value)) {
    fail('', `expected a JSON object (a lockfile), got ${describe(value)}`);
    throw new ValidationError(file, issues);
  }
  unknownKeys(value, '', TOP_KEYS, fail);
  if (value['version'] !== LOCKFILE_VERSION) {
    fail('/version', typeof value['version'] === 'number'
      ? `unsupported lockfile version ${String(value['version'])}: this jigtree reads version ${LOCKFILE_VERSION}`
      : `expected the number ${LOCKFILE_VERSION}, got ${describe(value['version'])}`);
  }
  const ref = str(value['ref'], '/ref', fail);
  if (ref !== undefined && (ref.includes('..') || !ref.split('/').every((c) => REF_COMPONENT.test(c)))) {
    fail('/ref', `expected an ostree ref (components of letters, digits, "_", "-", "." joined by "/", no ".."), got ${JSON.stringify(ref)}`);
  }
  const arch = str(value['arch'], '/arch', fail);
  if (arch !== undefined && !ARCH.test(arch)) fail('/arch', `expected an architecture name, got ${JSON.stringify(arch)}`);

  const repos: LockedRepo[] = [];
  const repoKinds = new Map<string, string>();
  for (const [i, r] of list(value['repos'], '/repos', fail)) {
    const p = `/repos/${i}`;
    if (!isObject(r)) {
      fail(p, `expected a repo object, got ${describe(r)}`);
      continue;
    }
    unknownKeys(r, p, REPO_KEYS, fail);
    const id = str(r['id'], `${p}/id`, fail);
    if (id !== undefined && !REPO_ID.test(id)) fail(`${p}/id`, `expected a repo id of letters, digits, ".", "_" and "-", got ${JSON.stringify(id)}`);
    else if (id !== undefined && repoKinds.has(id)) fail(`${p}/id`, `duplicate repo id ${JSON.stringify(id)}`);
    const kind = oneOf(r['kind'], `${p}/kind`, ['rpm-md', 'apt'] as const, fail);
    const baseurl = url(r['baseurl'], `${p}/baseurl`, fail);
    const revision = str(r['revision'], `${p}/revision`, fail);
    if (revision !== undefined && BLANK_OR_CONTROL.test(revision.replace(/ /g, ''))) fail(`${p}/revision`, 'expected a revision without line breaks or control characters');
    if (id !== undefined && kind !== undefined && !repoKinds.has(id)) repoKinds.set(id, kind);
    if (id !== undefined && kind !== undefined && baseurl !== undefined && revision !== undefined) repos.push({ id, kind, baseurl, revision });
  }

  const packages: LockedPackage[] = [];
  const seen = new Map<string, number>();
  for (const [i, pk] of list(value['packages'], '/packages', fail)) {
    const p = `/packages/${i}`;
    if (!isObject(pk)) {
      fail(p, `expected a package object, got ${describe(pk)}`);
      continue;
    }
    unknownKeys(pk, p, PACKAGE_KEYS, fail);
    const kind = oneOf(pk['kind'], `${p}/kind`, ['rpm', 'deb'] as const, fail);
    const name = str(pk['name'], `${p}/name`, fail);
    if (name !== undefined && (kind === 'deb' ? !DEB_NAME.test(name) : BLANK_OR_CONTROL.test(name) || name.startsWith('-'))) {
      fail(`${p}/name`, `expected a package name, got ${JSON.stringify(name)}`);
    }
    const evr = str(pk['evr'], `${p}/evr`, fail);
    const evrWhy = evr === undefined || kind === undefined ? undefined : evrProblem(evr, kind);
    if (evrWhy !== undefined) fail(`${p}/evr`, evrWhy);
    const parch = str(pk['arch'], `${p}/arch`, fail);
    if (parch !== undefined && !ARCH.test(parch)) fail(`${p}/arch`, `expected an architecture name, got ${JSON.stringify(parch)}`);
    const repo = str(pk['repo'], `${p}/repo`, fail);
    const repoKind = repo === undefined ? undefined : repoKinds.get(repo);
    if (repo !== undefined && repoKind === undefined) fail(`${p}/repo`, `repo ${JSON.stringify(repo)} is not one of the lockfile's repos`);
    else if (repoKind !== undefined && kind !== undefined && repoKind !== (kind === 'rpm' ? 'rpm-md' : 'apt')) {
      fail(`${p}/kind`, `a ${kind} package cannot come from the ${repoKind} repo ${JSON.stringify(repo)}`);
    }
    const location = url(pk['location'], `${p}/location`, fail);
    const size = pk['size'];
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(`${p}/size`, `expected a non-negative integer, got ${describe(size)}`);
    const digest = str(pk['digest'], `${p}/digest`, fail);
    if (digest !== undefined && !DIGEST.test(digest)) fail(`${p}/digest`, `expected "sha256:" and 64 lowercase hex digits (or "sha512:" and 128), got ${JSON.stringify(digest)}`);
    if (kind === undefined || name === undefined || evr === undefined || parch === undefined || repo === undefined || location === undefined || typeof size !== 'number' || digest === undefined) continue;
    const key = `${name}\u0000${parch}\u0000${evr}`;
    const first = seen.get(key);
    if (first !== undefined) fail(p, `${name}-${evr}.${parch} is locked twice (also /packages/${first})`);
    else seen.set(key, i);
    packages.push({ kind, name, evr, arch: parch, repo, location, size, digest });
  }
  if (issues.length > 0 || ref === undefined || arch === undefined) throw new ValidationError(file, issues);
  packages.sort(compareLockedPackages);
  return { version: LOCKFILE_VERSION, ref, arch, repos, packages };
}

function evrProblem(evr: string, kind: 'rpm' | 'deb'): string | undefined {
  if (BLANK_OR_CONTROL.test(evr)) return `expected a version without blanks, got ${JSON.stringify(evr)}`;
  try {
    if (kind === 'deb') {
      parseDebianVersion(evr);
      return undefined;
    }
    const v = parseRpmEvr(evr);
    if (v.release === undefined) return `expected an rpm [E:]V-R, got ${JSON.stringify(evr)} (no release)`;
    // The interfaces write epoch 0 as no epoch, so one package has one spelling.
    if (v.epoch === 0) return `expected no epoch when it is 0 (write ${JSON.stringify(evr.slice(evr.indexOf(':') + 1))}), got ${JSON.stringify(evr)}`;
    return undefined;
  } catch (err) {
    if (err instanceof FormatError) return `expected a ${kind === 'rpm' ? 'rpm [E:]V-R' : 'Debian version'}, got ${JSON.stringify(evr)}`;
    throw err;
  }
}

// --- small validators -----------------------------------------------------------------------

type Fail = (pointer: string, message: string) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function unknownKeys(obj: Record<string, unknown>, p: string, known: readonly string[], fail: Fail): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) fail(`${p}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, `unknown key ${JSON.stringify(k)} (expected ${known.join(', ')})`);
  }
}

function str(v: unknown, p: string, fail: Fail): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  fail(p, `expected a non-empty string, got ${describe(v)}`);
  return undefined;
}

function oneOf<T extends string>(v: unknown, p: string, allowed: readonly T[], fail: Fail): T | undefined {
  const hit = allowed.find((a) => a === v);
  if (hit === undefined) fail(p, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
  return hit;
}

function list(v: unknown, p: string, fail: Fail): [number, unknown][] {
  if (Array.isArray(v)) return v.map((x: unknown, i) => [i, x]);
  fail(p, `expected an array, got ${describe(v)}`);
  return [];
}

function url(v: unknown, p: string, fail: Fail): string | undefined {
  const s = str(v, p, fail);
  if (s === undefined) return undefined;
  let u: URL | undefined;
  try {
    u = new URL(s);
  } catch {
    u = undefined;
  }
  if (u === undefined || !['http:', 'https:', 'file:'].includes(u.protocol) || BLANK_OR_CONTROL.test(s)) {
    fail(p, `expected an absolute http, https or file URL, got ${JSON.stringify(s)}`);
    return undefined;
  }
  return s;
}
