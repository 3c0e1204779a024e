// fast-check generators of small random package pools (deb and rpm) with a request, for the
// solver's property tests (issue 4 "How it is checked": every solution the solver returns
// satisfies every rule, checked by src/solver/verify.ts, which shares no code with the rules).
// Pools are tiny on purpose: an UNSAT answer is checked by enumerating every subset.
import fc from 'fast-check';
import type { DebPackageRecord, RpmPackageRecord } from '../../src/pkg/index.js';
import { deb, rpm } from './memory-source.js';

/**
 * fast-check parameters: a fixed seed, so a run is reproducible; fast-check prints seed and path
 * on failure. JIGTREE_FC_SEED and JIGTREE_FC_RUNS override them for longer fuzzing sessions.
 */
export function fcParams(numRuns: number): { numRuns: number; seed: number } {
  const seed = process.env['JIGTREE_FC_SEED'];
  const runs = process.env['JIGTREE_FC_RUNS'];
  return { numRuns: runs === undefined || runs === '' ? numRuns : Number(runs), seed: seed === undefined || seed === '' ? 0x5eed4 : Number(seed) };
}

/** A random deb pool and request; `install` specs are `name` or `name:i386`. */
export type DebScenario = { records: DebPackageRecord[]; install: string[]; weakDeps: boolean; foreignArchs: string[] };

/** A random rpm pool and request. */
export type RpmScenario = { records: RpmPackageRecord[]; install: string[]; weakDeps: boolean; installonly: string[] };

const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
const VIRTUALS = ['v0', 'v1', 'v2'];

// ---- deb ----

const DEB_VERSIONS = ['1.0', '1.5', '2.0', '1:0.5'];
const DEB_REL_VERSIONS = ['0.5', '1.0', '1.5', '2.0', '3.0', '1:0'];
const DEB_OPS = ['<<', '<=', '=', '>=', '>>'];

/** A relation on a target: unversioned 2 times in 3; `:any` (and with a foreign arch `:i386`, `:amd64`) 1 time in 10. */
function debRelation(targets: readonly string[], qualifiers: readonly string[]): fc.Arbitrary<string> {
  const version = fc.oneof({ arbitrary: fc.constant(''), weight: 2 }, { arbitrary: fc.tuple(fc.constantFrom(...DEB_OPS), fc.constantFrom(...DEB_REL_VERSIONS)).map(([op, v]) => ` (${op} ${v})`), weight: 1 });
  const qualifier = fc.oneof({ arbitrary: fc.constant(''), weight: 9 }, { arbitrary: fc.constantFrom(...qualifiers), weight: 1 });
  return fc.tuple(fc.constantFrom(...targets), qualifier, version).map(([name, q, v]) => `${name}${q}${v}`);
}

/** Up to `max` comma groups of 1-3 alternatives (undefined when none). */
function debGroups(targets: readonly string[], qualifiers: readonly string[], max: number): fc.Arbitrary<string | undefined> {
  const group = fc.array(debRelation(targets, qualifiers), { minLength: 1, maxLength: 3 }).map((alts) => alts.join(' | '));
  return fc.array(group, { maxLength: max }).map((gs) => (gs.length === 0 ? undefined : gs.join(', ')));
}

/** A flat list (Conflicts, Breaks): none 2 times in 3, else 1-`max` relations. */
function debFlat(targets: readonly string[], qualifiers: readonly string[], max: number): fc.Arbitrary<string | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.array(debRelation(targets, qualifiers), { minLength: 1, maxLength: max }).map((rs) => rs.join(', ')), weight: 1 });
}

const debProvides = fc
  .array(
    fc.tuple(fc.constantFrom(...VIRTUALS), fc.option(fc.constantFrom('1.0', '2.0'), { freq: 2 })).map(([n, v]) => (v === null ? n : `${n} (= ${v})`)),
    { maxLength: 2 },
  )
  .map((ps) => (ps.length === 0 ? undefined : ps.join(', ')));

/**
 * deb pools: 3-10 packages over 3-6 names, 1-2 versions per name (distinct per architecture),
 * arch amd64/all (with `foreign`: also i386, configured as a foreign architecture), random
 * Multi-Arch, Depends/Pre-Depends groups of 1-3 alternatives (versioned or not, some with an
 * architecture qualifier), Conflicts, Breaks, versioned and unversioned Provides of virtual
 * names, Recommends; targets include virtual names and a name nothing has; a request of 1-3
 * real packages (`name`, or `name:i386` for an i386 one).
 */
export function debScenarioArbitrary(opts: { foreign?: boolean } = {}): fc.Arbitrary<DebScenario> {
  const foreign = opts.foreign === true;
  const classes = foreign ? ['native', 'i386'] : ['native'];
  const qualifiers = foreign ? [':any', ':any', ':i386', ':amd64'] : [':any'];
  const combos = DEB_VERSIONS.flatMap((version) => classes.map((cls) => ({ version, cls })));
  return fc.integer({ min: 3, max: 6 }).chain((nNames) => {
    const names = NAMES.slice(0, nNames);
    // Real names twice as likely as virtual ones; the missing name rarely.
    const targets = [...names, ...names, ...VIRTUALS, 'gone'];
    const versionsOf = fc.tuple(...names.map(() => fc.shuffledSubarray(combos, { minLength: 1, maxLength: 2 })));
    return versionsOf.chain((versions) => {
      const slots = names.flatMap((n, i) => (versions[i] ?? []).map((v) => ({ name: n, ...v }))).slice(0, 10);
      const specs = [...new Set(slots.map((x) => (x.cls === 'native' ? x.name : `${x.name}:${x.cls}`)))];
      const pkg = fc.record({
        nativeArch: fc.constantFrom('amd64', 'amd64', 'all'),
        multiArch: fc.constantFrom<DebPackageRecord['multiArch']>(undefined, undefined, undefined, 'foreign', 'allowed', 'same'),
        preDepends: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: debGroups(targets, qualifiers, 1), weight: 1 }),
        depends: debGroups(targets, qualifiers, 2),
        conflicts: debFlat(targets, qualifiers, 2),
        breaks: debFlat(targets, qualifiers, 1),
        provides: debProvides,
        recommends: debGroups(targets, qualifiers, 2),
      });
      return fc
        .record({
          fields: fc.tuple(...slots.map(() => pkg)),
          install: fc.shuffledSubarray(specs, { minLength: 1, maxLength: 3 }),
          weakDeps: fc.boolean(),
        })
        .map(({ fields, install, weakDeps }) => ({
          records: slots.map((s, i) => {
            const f = fields[i];
            if (f === undefined) throw new Error('unreachable');
            return deb({
              name: s.name,
              version: s.version,
              arch: s.cls === 'native' ? f.nativeArch : s.cls,
              ...(f.multiArch === undefined ? {} : { multiArch: f.multiArch }),
              ...(f.preDepends === undefined ? {} : { preDepends: f.preDepends }),
              ...(f.depends === undefined ? {} : { depends: f.depends }),
              ...(f.conflicts === undefined ? {} : { conflicts: f.conflicts }),
              ...(f.breaks === undefined ? {} : { breaks: f.breaks }),
              ...(f.provides === undefined ? {} : { provides: f.provides }),
              ...(f.recommends === undefined ? {} : { recommends: f.recommends }),
            });
          }),
          install,
          weakDeps,
          foreignArchs: foreign ? ['i386'] : [],
        }));
    });
  });
}

// ---- rpm ----

const RPM_EVRS = ['1.0-1', '1.0-2', '2.0-1', '1:0.5-1'];
const RPM_REL_EVRS = ['0.5', '1.0', '1.0-1', '1.0-2', '2.0', '1:0.1'];
const RPM_OPS = ['<', '<=', '=', '>=', '>'];
const FILES = ['/usr/bin/f0', '/etc/f1'];

function rpmPlain(targets: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...targets), fc.option(fc.tuple(fc.constantFrom(...RPM_OPS), fc.constantFrom(...RPM_REL_EVRS)), { freq: 2 }))
    .map(([name, v]) => (v === null || name.startsWith('/') ? name : `${name} ${v[0]} ${v[1]}`));
}

function rpmRich(targets: readonly string[], ops: readonly string[]): fc.Arbitrary<string> {
  const leaf = rpmPlain(targets);
  return fc.tuple(fc.constantFrom(...ops), leaf, leaf, leaf).map(([op, a, b, c]) => {
    if (op === 'if-else') return `(${a} if ${b} else ${c})`;
    if (op === 'nested') return `(${a} or (${b} and ${c}))`;
    return `(${a} ${op} ${b})`;
  });
}

function rpmDeps(targets: readonly string[], max: number, richOps: readonly string[]): fc.Arbitrary<string[]> {
  const one = richOps.length === 0 ? rpmPlain(targets) : fc.oneof({ arbitrary: rpmPlain(targets), weight: 4 }, { arbitrary: rpmRich(targets, richOps), weight: 1 });
  return fc.array(one, { maxLength: max });
}

/**
 * rpm pools: 3-10 packages over 3-6 names, 1-2 (EVR, arch) per name, arch x86_64/noarch/i686
 * (all installable on x86_64), Provides of virtual names (EQ-versioned or not), Requires with
 * random flags and some rich deps (or, if, if-else, with, without, unless, and, nested), file
 * requires on primary paths, Conflicts (plain or rich and/or/with), Obsoletes, Recommends,
 * Supplements, sometimes no self-provide (libsolv adds `N = EVR`), an installonly name; a
 * request of 1-3 names.
 */
export function rpmScenarioArbitrary(): fc.Arbitrary<RpmScenario> {
  return fc.integer({ min: 3, max: 6 }).chain((nNames) => {
    const names = NAMES.slice(0, nNames);
    const targets = [...names, ...VIRTUALS, 'gone', ...FILES];
    const combos = RPM_EVRS.flatMap((evr) => ['x86_64', 'noarch', 'i686'].map((arch) => ({ evr, arch })));
    const versionsOf = fc.tuple(...names.map(() => fc.shuffledSubarray(combos, { minLength: 1, maxLength: 2 })));
    return versionsOf.chain((versions) => {
      const slots = names.flatMap((n, i) => (versions[i] ?? []).map((v) => ({ name: n, ...v }))).slice(0, 10);
      const pkg = fc.record({
        provides: fc.array(fc.tuple(fc.constantFrom(...VIRTUALS), fc.option(fc.constantFrom('1.0', '2.0'), { freq: 2 })).map(([n, v]) => (v === null ? n : `${n} = ${v}`)), { maxLength: 2 }),
        selfProvide: fc.constantFrom(true, true, true, false),
        requires: rpmDeps(targets, 3, ['or', 'if', 'with', 'and', 'without', 'unless', 'if-else', 'nested']),
        conflicts: rpmDeps(targets, 2, ['or', 'and', 'with']),
        obsoletes: fc.array(rpmPlain(names), { maxLength: 1 }),
        recommends: rpmDeps(targets, 1, ['or', 'with']),
        supplements: rpmDeps(names, 1, ['and', 'or']),
        files: fc.subarray(FILES, { maxLength: 1 }),
      });
      return fc
        .record({
          fields: fc.tuple(...slots.map(() => pkg)),
          install: fc.shuffledSubarray([...new Set(slots.map((x) => x.name))], { minLength: 1, maxLength: 3 }),
          weakDeps: fc.boolean(),
          installonly: fc.subarray(names, { maxLength: 1 }),
        })
        .map(({ fields, install, weakDeps, installonly }) => ({
          records: slots.map((s, i) => {
            const f = fields[i];
            if (f === undefined) throw new Error('unreachable');
            const r = rpm({ name: s.name, evr: s.evr, arch: s.arch, provides: f.provides, requires: f.requires, conflicts: f.conflicts, obsoletes: f.obsoletes, recommends: f.recommends, supplements: f.supplements, files: f.files });
            if (!f.selfProvide) r.provides = r.provides.filter((p) => p.name !== s.name);
            return r;
          }),
          install,
          weakDeps,
          installonly,
        }));
    });
  });
}
