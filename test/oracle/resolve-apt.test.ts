// Oracle: `jigtree resolve` on the real, still-signed bookworm main/amd64 index equals apt 2.6's
// own choice (issue 4, "How it is checked", deb part; depsolve.md §5.4, §7.2). apt runs in a
// private root (test/helpers/apt-oracle.ts) whose only source is fixtures/build/apt-index, and
// verifies that index's real InRelease with Debian's keyring. Compared: the {name, arch, version}
// sets for mmdebstrap's minbase, build-essential (Recommends on, apt's default) and 50 requests of
// 1 to 20 names drawn with a fixed seed from the index (Recommends on or off, drawn too). Nothing is
// skipped: where apt cannot satisfy a request, jigtree must fail too (exit 1).
//
// A difference fails unless test/oracle/data/apt-differences.json records it:
//   { "request": "random-07", "package": "foo", "side": "apt" | "jigtree", "reason": "..." }
// side = the side whose set has the package (a version difference is two records, one per side);
// "package": null records an outcome difference (side = the side that succeeded). A record that no
// longer matches a difference fails too, so the file stays true. The drawn requests follow the
// index, which follows the host's `apt-get update` (point releases): when the index moves, the
// records of random requests must be redone.
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APT_INDEX,
  DEBIAN_KEYRING,
  drawDistinct,
  ensureAptIndex,
  indexNames,
  mulberry32,
  openAptOracle,
  packageKey,
  parseNewPackages,
  type AptOracle,
  type AptOutcome,
  type AptPackage,
} from '../helpers/apt-oracle.js';
import { ROOT } from '../helpers/paths.js';

const RANDOM_REQUESTS = 50;
const SEED = 0x4a17_2026;
const DIFFERENCES = path.join(ROOT, 'test/oracle/data/apt-differences.json');

type Request = { id: string; packages: string[]; recommends: boolean; bootstrap?: 'minbase' };
type Difference = { request: string; package: string | null; side: 'apt' | 'jigtree'; reason: string };
type Rule = { kind: string; dep?: string; text: string };
type Ours = { code: number; set: AptPackage[]; problems: string; rules: Rule[]; stderr: string };

// Two fixed impossible requests besides the drawn ones (apt satisfies all 50 of those): a
// conflict between two requested names, and a name nothing has.
const IMPOSSIBLE: Request[] = [
  { id: 'impossible-conflict', packages: ['systemd-sysv', 'sysvinit-core'], recommends: true },
  { id: 'impossible-unknown-name', packages: ['hello', 'no-such-package-jigtree'], recommends: true },
];
const IDS = ['minbase', 'build-essential', ...IMPOSSIBLE.map((r) => r.id), ...Array.from({ length: RANDOM_REQUESTS }, (_, i) => `random-${String(i).padStart(2, '0')}`)];

/** The 50 requests: sizes 1-20, names distinct within a request, Recommends drawn too. */
function drawRequests(names: readonly string[]): Request[] {
  const random = mulberry32(SEED);
  return Array.from({ length: RANDOM_REQUESTS }, (_, i) => {
    const size = 1 + Math.floor(random() * 20);
    const recommends = random() < 0.5;
    return { id: `random-${String(i).padStart(2, '0')}`, packages: drawDistinct(names, size, random).sort(), recommends };
  });
}

let oracle: AptOracle;
let requests: Map<string, Request>;
let work: string;
let cacheDir: string;
let recorded: Difference[];
const aptOutcomes = new Map<string, Promise<AptOutcome>>();
const seen = new Set<string>();

beforeAll(async () => {
  await ensureAptIndex();
  oracle = await openAptOracle();
  work = await mkdtemp(path.join(os.tmpdir(), 'jigtree-resolve-apt-'));
  await chmod(work, 0o755); // apt's _apt user reads the tampered index copy made in here
  cacheDir = path.join(work, 'cache');
  const names = indexNames(oracle.entries);
  requests = new Map<string, Request>([
    ['minbase', { id: 'minbase', packages: [], recommends: false, bootstrap: 'minbase' }],
    ['build-essential', { id: 'build-essential', packages: ['build-essential'], recommends: true }],
    ...IMPOSSIBLE.map((r): [string, Request] => [r.id, r]),
    ...drawRequests(names).map((r): [string, Request] => [r.id, r]),
  ]);
  recorded = (JSON.parse(await readFile(DIFFERENCES, 'utf8')) as { differences: Difference[] }).differences;
}, 600_000);

afterAll(async () => {
  await oracle.dispose();
  await rm(work, { recursive: true, force: true });
}, 600_000);

const req = (id: string): Request => {
  const r = requests.get(id);
  if (r === undefined) throw new Error(`no request ${id}`);
  return r;
};

/** apt's outcome for a request, computed once per file. */
function apt(id: string): Promise<AptOutcome> {
  let p = aptOutcomes.get(id);
  if (p === undefined) {
    const r = req(id);
    p = r.bootstrap === undefined ? oracle.aptResolve(r.packages, { recommends: r.recommends }) : oracle.aptBootstrap(r.bootstrap);
    aptOutcomes.set(id, p);
  }
  return p;
}

/** The treefile of a request (interfaces.md keys; JSON is also YAML). */
function treefile(r: Request): Record<string, unknown> {
  return {
    ref: `oracle/bookworm/${r.id}`,
    arch: 'amd64',
    repos: [{ id: 'bookworm', kind: 'apt', baseurl: `file://${APT_INDEX}`, suite: 'bookworm', components: ['main'], 'signed-by': DEBIAN_KEYRING }],
    ...(r.bootstrap === undefined ? {} : { bootstrap: r.bootstrap }),
    packages: r.packages,
    'exclude-packages': [],
    recommends: r.recommends,
  };
}

/** `jigtree resolve T --json --cachedir C`, in process; one metadata cache for the whole file. */
async function ours(r: Request): Promise<Ours> {
  const file = path.join(work, `${r.id}.json`);
  await writeFile(file, `${JSON.stringify(treefile(r), null, 2)}\n`);
  // Imported here, not at the top: the harness tests below must not depend on the CLI loading.
  const { runCliInProcess } = await import('../helpers/cli-inprocess.js');
  const res = await runCliInProcess('resolve', file, '--json', '--cachedir', cacheDir);
  if (res.code !== 0 && res.code !== 1) throw new Error(`jigtree resolve ${r.id}: exit ${res.code}: ${res.stderr.trim()}`);
  let parsed: { packages?: { name: string; evr: string; arch: string }[]; problems?: { text: string; rules?: Rule[] }[] };
  try {
    parsed = JSON.parse(res.stdout) as typeof parsed;
  } catch {
    throw new Error(`jigtree resolve ${r.id} --json: exit ${res.code} without the --json object on stdout (${JSON.stringify(res.stdout.slice(0, 200))}); stderr: ${res.stderr.slice(0, 400)}`);
  }
  const set = (parsed.packages ?? []).map((p) => ({ name: p.name, arch: p.arch, version: p.evr }));
  const problems = (parsed.problems ?? []).map((p) => p.text).join('\n');
  const rules = (parsed.problems ?? []).flatMap((p) => p.rules ?? []);
  return { code: res.code, set, problems, rules, stderr: res.stderr };
}

const describeRequest = (r: Request): string =>
  r.bootstrap !== undefined ? `bootstrap ${r.bootstrap}` : `${r.packages.length} name(s), recommends ${r.recommends ? 'on' : 'off'}: ${r.packages.join(' ')}`;

const isRecorded = (id: string, pkg: string | null, side: Difference['side']): boolean => {
  const hit = recorded.some((d) => d.request === id && d.package === pkg && d.side === side);
  if (hit) seen.add(`${id}\0${pkg ?? ''}\0${side}`);
  return hit;
};

/** The differences of one request that the data file does not excuse, as readable lines. */
function unexplained(id: string, a: AptOutcome, o: Ours): string[] {
  const lines: string[] = [];
  const firstLines = (s: string): string => s.split('\n').slice(0, 12).join('\n    ');
  if (a.ok && o.code !== 0) {
    if (!isRecorded(id, null, 'apt')) lines.push(`apt installs ${a.set.length} packages, jigtree exits ${o.code}:\n    ${firstLines(o.problems || o.stderr)}`);
    return lines;
  }
  if (!a.ok) {
    if (o.code === 0) {
      if (!isRecorded(id, null, 'jigtree')) lines.push(`apt cannot satisfy it, jigtree installs ${o.set.length} packages; apt says:\n    ${firstLines(a.text)}`);
      return lines;
    }
    // Both fail: ours must say why, and name what apt cannot find (interfaces.md: a not-found rule).
    if (o.problems.trim() === '') lines.push('jigtree exits 1 without printing a problem');
    for (const m of a.text.matchAll(/^E: Unable to locate package (\S+)$/gm)) {
      if (!o.rules.some((r) => r.kind === 'not-found' && r.dep === m[1])) lines.push(`apt cannot locate ${m[1] ?? ''}; jigtree has no not-found rule for it`);
    }
    return lines;
  }
  const aptKeys = new Map(a.set.map((p) => [packageKey(p), p]));
  const ourKeys = new Map(o.set.map((p) => [packageKey(p), p]));
  const aptOnly = [...aptKeys].filter(([k]) => !ourKeys.has(k)).map(([, p]) => p);
  const oursOnly = [...ourKeys].filter(([k]) => !aptKeys.has(k)).map(([, p]) => p);
  const bad = (ps: AptPackage[], side: Difference['side']): string[] => ps.filter((p) => !isRecorded(id, p.name, side)).map(packageKey);
  const aptBad = bad(aptOnly, 'apt');
  const oursBad = bad(oursOnly, 'jigtree');
  if (aptBad.length > 0) lines.push(`only apt (${aptBad.length}): ${aptBad.join(' ')}`);
  if (oursBad.length > 0) lines.push(`only jigtree (${oursBad.length}): ${oursBad.join(' ')}`);
  if (lines.length > 0) lines.push(`(apt ${a.set.length} packages, jigtree ${o.set.length})`);
  return lines;
}

describe('the apt oracle harness (apt alone, on the real bookworm index)', () => {
  it('apt-get update took the index through apt\'s signature check: a tampered InRelease is refused', async () => {
    // The root's lists hold the real InRelease byte for byte, which apt accepted under signed-by.
    const lists = await oracle.aptGet(['indextargets', '--format', '$(FILENAME)', 'Created-By: Packages']);
    expect(lists.code).toBe(0);
    expect(lists.stdout.trim()).toMatch(/_dists_bookworm_main_binary-amd64_Packages$/);
    const listed = await readFile(lists.stdout.trim());
    expect(listed.equals(await readFile(path.join(APT_INDEX, 'dists/bookworm/main/binary-amd64/Packages')))).toBe(true);
    // The same layout with one signed byte changed: apt refuses it, so the harness cannot pass
    // with an unverified index.
    const bad = path.join(work, 'tampered-index');
    const inRelease = await readFile(path.join(APT_INDEX, 'dists/bookworm/InRelease'), 'utf8');
    const tampered = inRelease.replace(/^Version: (.*)$/m, 'Version: $1x');
    expect(tampered).not.toBe(inRelease);
    await mkdir(path.join(bad, 'dists/bookworm'), { recursive: true });
    await writeFile(path.join(bad, 'dists/bookworm/InRelease'), tampered);
    await symlink(path.join(APT_INDEX, 'dists/bookworm/main'), path.join(bad, 'dists/bookworm/main'));
    await expect(openAptOracle({ indexDir: bad })).rejects.toThrow(/apt-get update .* failed[\s\S]*(BADSIG|not signed|invalid)/);
  });

  it('build-essential with Recommends: 193 packages (depsolve.md §5.4), each one of the index\'s paragraphs', async () => {
    const a = await apt('build-essential');
    if (!a.ok) throw new Error(a.text);
    expect(a.set).toHaveLength(193);
    const index = new Set(oracle.entries.map(packageKey));
    expect(a.set.filter((p) => !index.has(packageKey(p)))).toEqual([]);
    expect(a.set.map((p) => p.name)).toEqual(expect.arrayContaining(['build-essential', 'gcc', 'g++', 'make', 'dpkg-dev', 'libc6-dev']));
    expect(new Set(a.set.map((p) => p.arch))).toEqual(new Set(['amd64', 'all']));
    // Without Recommends apt installs fewer; the option really reaches apt.
    const bare = await oracle.aptResolve(['build-essential'], { recommends: false });
    if (!bare.ok) throw new Error(bare.text);
    expect(bare.set.length).toBeLessThan(193);
  });

  it('minbase: 96 packages as in baselines.md, and the same set as one apt call with both selections', async () => {
    const a = await apt('minbase');
    if (!a.ok) throw new Error(a.text);
    expect(a.set).toHaveLength(96);
    const names = a.set.map((p) => p.name);
    // The 23 Essential packages, apt, Priority required, and apt's pick of `usrmerge | usr-is-merged`.
    expect(names).toEqual(expect.arrayContaining(['apt', 'base-files', 'bash', 'dpkg', 'e2fsprogs', 'mount', 'tzdata', 'usrmerge', 'perl']));
    expect(names).not.toContain('usr-is-merged');
    // mmdebstrap resolves in two stages (Essential, then the rest with it installed); one call
    // with both patterns gives the same set here, so a one-shot resolver is comparable.
    const one = await oracle.aptGet([
      '-o', 'pkgCacheGen::ForceEssential=,', '-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache=', '-o', 'APT::Install-Recommends=false',
      'install', '--assume-no', '-V',
      '?narrow(?or(?archive(^bookworm$),?codename(^bookworm$)),?architecture(amd64),?essential)',
      '?narrow(?or(?archive(^bookworm$),?codename(^bookworm$)),?architecture(amd64),?and(?priority(required),?not(?essential)))',
    ]);
    expect(parseNewPackages(one.stdout).map((p) => p.name).sort()).toEqual(names);
  });

  it('the other mmdebstrap variants: essential 69, apt 89 (depsolve.md §3.6), buildd = minbase + build-essential\'s hard closure', async () => {
    const [essential, aptVariant, minbase, buildd] = await Promise.all([oracle.aptBootstrap('essential'), oracle.aptBootstrap('apt'), apt('minbase'), oracle.aptBootstrap('buildd')]);
    if (!essential.ok || !aptVariant.ok || !minbase.ok || !buildd.ok) throw new Error('a variant failed');
    expect(essential.set).toHaveLength(69);
    expect(aptVariant.set).toHaveLength(89);
    expect(essential.set.map((p) => p.name)).not.toContain('apt');
    const keys = (s: AptPackage[]): string[] => s.map(packageKey);
    expect(keys(aptVariant.set)).toEqual(expect.arrayContaining(keys(essential.set)));
    expect(keys(minbase.set)).toEqual(expect.arrayContaining(keys(aptVariant.set)));
    expect(keys(buildd.set)).toEqual(expect.arrayContaining(keys(minbase.set)));
    expect(buildd.set.map((p) => p.name)).toEqual(expect.arrayContaining(['build-essential', 'gcc', 'make']));
    expect(buildd.set.length).toBeGreaterThan(minbase.set.length);
  });

  it('apt\'s failures come back as ok: false with its own words', async () => {
    const conflict = await oracle.aptResolve(['systemd-sysv', 'sysvinit-core'], { recommends: false });
    expect(conflict.ok).toBe(false);
    expect(conflict.text).toMatch(/systemd-sysv : Conflicts: sysvinit-core/);
    expect(conflict.text).toMatch(/^E: Unable to correct problems/m);
    const missing = await oracle.aptResolve(['no-such-package-jigtree'], { recommends: true });
    expect(missing).toEqual({ ok: false, text: 'E: Unable to locate package no-such-package-jigtree' });
  });

  it('the 50 drawn requests are fixed by the seed: 1-20 distinct index names, both Recommends settings', () => {
    const names = indexNames(oracle.entries);
    expect(drawRequests(names)).toEqual(IDS.filter((id) => id.startsWith('random-')).map(req));
    const drawn = IDS.filter((id) => id.startsWith('random-')).map(req);
    const index = new Set(names);
    for (const r of drawn) {
      expect(r.packages.length).toBeGreaterThanOrEqual(1);
      expect(r.packages.length).toBeLessThanOrEqual(20);
      expect(new Set(r.packages).size).toBe(r.packages.length);
      expect(r.packages.every((n) => index.has(n))).toBe(true);
    }
    expect(new Set(drawn.map((r) => r.recommends))).toEqual(new Set([true, false]));
  });

  it('the recorded differences are well formed and name known requests', () => {
    for (const d of recorded) {
      expect(IDS).toContain(d.request);
      expect(['apt', 'jigtree']).toContain(d.side);
      expect(d.reason.trim().length, `${d.request} ${d.package ?? '(outcome)'}: a reason`).toBeGreaterThan(10);
    }
  });
});

describe('jigtree resolve equals apt on the real bookworm index', () => {
  it.each(IDS)('%s', async (id) => {
    const r = req(id);
    const [a, o] = await Promise.all([apt(id), ours(r)]);
    const diff = unexplained(id, a, o);
    expect(diff, `${id} (${describeRequest(r)}):\n  ${diff.join('\n  ')}`).toEqual([]);
  });

  it('every recorded difference still occurs', () => {
    const stale = recorded.filter((d) => !seen.has(`${d.request}\0${d.package ?? ''}\0${d.side}`));
    expect(stale, 'records in apt-differences.json that no comparison needed (fixed, or the index moved)').toEqual([]);
  });
});
