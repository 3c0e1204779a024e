#!/usr/bin/env node
// npm run bench:resolve — issue 4's benchmark. Resolves three requests against the full, real
// bookworm main/amd64 index (fixtures/build/apt-index, built by ../shared/tools/make-apt-index;
// 63,440 packages), with `jigtree resolve T --json --cachedir C` and with apt 2.6's plan-only
// `apt-get install --assume-no` (no -s: apt decides, it does not simulate the dpkg ordering) in
// a private apt root (depsolve.md §7.2; a fresh mktemp dir, never /etc/apt). Both are timed as
// whole processes (wall time), in one run, one of each per round, medians of RUNS (default 3)
// rounds; ratios are jigtree / apt.
//
// Requests (treefile -> apt command line):
// - minbase: `bootstrap: minbase`, no packages, recommends off -> one apt call with mmdebstrap's
//   two selections, `?narrow(...,?essential)` and `?narrow(...,?and(?priority(required),?not(?essential)))`
//   (mmdebstrap runs them as two stages; test/oracle/resolve-apt.test.ts checks that one call
//   gives the same 96 packages). apt's default cache counts apt as Essential; apt is Priority
//   required anyway, so the set is unchanged and the warm cache stays usable.
// - build-essential, recommends on (apt's default).
// - 985 names, recommends on: drawn with mulberry32(SEED_985) from the index's sorted distinct
//   names (a partial Fisher-Yates shuffle, the same list on every run for the same index). The raw
//   draw is not co-installable (apt: "held broken packages"), so, deterministically: for every
//   package apt's error output lists as broken (` name : Depends: ...`), the requested name itself,
//   or else every requested name that reaches it through Depends/Pre-Depends/Recommends names, is
//   dropped, and the next names of the same shuffle take their places, until apt succeeds (the
//   rounds and replaced names are printed). The final list is cached in BENCH_DIR keyed by the InRelease's SHA-256 and the seed.
//
// COLD = the first run after the metadata changed: ours with an emptied --cachedir, apt with its
// binary caches (pkgcache.bin, srcpkgcache.bin) deleted and the `apt-get update` state kept, so
// apt rebuilds its cache from the lists (its equivalent of our parsing). WARM = again, caches kept.
// Peak RSS of ours comes from /usr/bin/time -f %M (Debian package `time`), as in bench:commit;
// CPU seconds (user + sys) are printed too: on a loaded 2-core VM they move less than wall time.
// Goals (issue 4): warm <= 0.25x apt, cold <= 1.0x apt, peak RSS < 1 GB.
// A jigtree run that fails is reported (n/a) and apt is still measured; a failure or a package
// count that differs from apt's makes the exit status 1.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SHARED = process.env.JIGTREE_SHARED ?? path.resolve(ROOT, '../shared');
const BUILD = process.env.JIGTREE_TEST_BUILD ?? path.join(ROOT, 'fixtures/build');
const RUNS = Number(process.env.RUNS ?? 3);
const WORK = process.env.BENCH_DIR ?? path.join(BUILD, 'bench-resolve');
const INDEX = path.join(BUILD, 'apt-index');
const INRELEASE = path.join(INDEX, 'dists/bookworm/InRelease');
const PACKAGES = path.join(INDEX, 'dists/bookworm/main/binary-amd64/Packages');
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const JIGTREE = path.join(ROOT, 'dist/cli/main.js');
const SEED_985 = 985;
const GB = 1e9;

if (!fs.existsSync('/usr/bin/time')) throw new Error('bench:resolve needs /usr/bin/time (apt-get install -y time)');
execFileSync(path.join(SHARED, 'tools/make-apt-index'), [INDEX], { stdio: ['ignore', 'ignore', 'inherit'] });

// The private apt root. W is set (a fresh mkdtemp dir) before anything is written.
const W = fs.mkdtempSync(path.join(os.tmpdir(), 'jigtree-bench-aptroot-'));
if (!W.includes('jigtree-bench-aptroot-')) throw new Error(`refusing apt root ${W}`);
fs.chmodSync(W, 0o755); // apt fetches as _apt
for (const d of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg', 'var/log/apt']) {
  fs.mkdirSync(path.join(W, d), { recursive: true });
}
fs.writeFileSync(path.join(W, 'var/lib/dpkg/status'), '');
fs.writeFileSync(
  path.join(W, 'apt.conf'),
  [
    `Dir "${W}/";`,
    `Dir::State::status "${W}/var/lib/dpkg/status";`,
    `Dir::Etc::main "${W}/etc/apt/apt.conf";`,
    `Dir::Etc::parts "${W}/etc/apt/apt.conf.d";`,
    `Dir::Etc::sourcelist "${W}/etc/apt/sources.list";`,
    `Dir::Etc::sourceparts "${W}/etc/apt/sources.list.d";`,
    `Dir::Etc::preferences "${W}/etc/apt/preferences";`,
    `Dir::Etc::preferencesparts "${W}/etc/apt/preferences.d";`,
    'APT::Architecture "amd64";',
    'APT::Architectures { "amd64"; };',
    'Acquire::Languages "none";',
    '',
  ].join('\n'),
);
fs.writeFileSync(path.join(W, 'etc/apt/sources.list'), `deb [signed-by=${KEYRING}] file:${INDEX} bookworm main\n`);
const APT_ENV = { ...process.env, APT_CONFIG: path.join(W, 'apt.conf'), LC_ALL: 'C', LANGUAGE: '' };
const CACHES = ['pkgcache.bin', 'srcpkgcache.bin'].map((f) => path.join(W, 'var/cache/apt', f));
process.on('exit', () => fs.rmSync(W, { recursive: true, force: true }));

/** apt-get in the private root; apt's --assume-no exits 1 after "Abort." when it would act. */
function aptGet(args) {
  const r = spawnSync('apt-get', args, { encoding: 'utf8', env: APT_ENV, maxBuffer: 1 << 28 });
  const ok = (r.status === 0 || (r.status === 1 && /^Abort\.$/m.test(r.stdout))) && !/^E: /m.test(r.stderr);
  const m = /^\d+ upgraded, (\d+) newly installed/m.exec(r.stdout);
  return { ok, count: m ? Number(m[1]) : undefined, out: `${r.stdout}${r.stderr}` };
}
const up = spawnSync('apt-get', ['update'], { encoding: 'utf8', env: APT_ENV });
if (up.status !== 0 || /^[EW]: /m.test(up.stderr)) throw new Error(`apt-get update failed:\n${up.stdout}${up.stderr}`);

// The 985-name request.
/** mulberry32, the PRNG test/helpers/apt-oracle.ts uses too. */
function mulberry32(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const packagesText = fs.readFileSync(PACKAGES, 'utf8');
const names = [...new Set(packagesText.match(/^Package: *\S+/gm).map((l) => l.slice(8).trim()))].sort();
/** Every package that reaches `name` through the names in its Depends/Pre-Depends/Recommends. */
function dependers(name) {
  if (!dependers.reverse) {
    const reverse = new Map();
    for (const para of packagesText.split('\n\n')) {
      const pkg = /^Package: *(\S+)/m.exec(para)?.[1];
      if (!pkg) continue;
      for (const m of para.matchAll(/^(?:Depends|Pre-Depends|Recommends):(.*(?:\n[ \t].*)*)/gm)) {
        for (const alt of m[1].split(/[,|]/)) {
          const dep = alt.trim().split(/[\s:(]/)[0];
          if (dep) (reverse.get(dep) ?? reverse.set(dep, new Set()).get(dep)).add(pkg);
        }
      }
    }
    dependers.reverse = reverse;
  }
  const seen = new Set();
  const todo = [name];
  while (todo.length > 0) {
    for (const p of dependers.reverse.get(todo.pop()) ?? []) {
      if (seen.has(p)) continue;
      seen.add(p);
      todo.push(p);
    }
  }
  return seen;
}
const indexSha = createHash('sha256').update(fs.readFileSync(INRELEASE)).digest('hex');
fs.mkdirSync(WORK, { recursive: true });
const listFile = path.join(WORK, `request-985.seed-${SEED_985}.${indexSha.slice(0, 16)}.txt`);
let r985;
let repairNote;
if (fs.existsSync(listFile)) {
  r985 = fs.readFileSync(listFile, 'utf8').trim().split('\n');
  repairNote = `cached list ${path.basename(listFile)}`;
} else {
  const random = mulberry32(SEED_985);
  const order = [...names];
  let drawn = 0;
  const next = () => {
    const j = drawn + Math.floor(random() * (order.length - drawn));
    [order[drawn], order[j]] = [order[j], order[drawn]];
    return order[drawn++];
  };
  r985 = Array.from({ length: 985 }, next);
  const dropped = [];
  for (let round = 1; ; round++) {
    const a = aptGet(['install', '--assume-no', ...r985]);
    if (a.ok) {
      repairNote = `${round - 1} repair round(s), ${dropped.length} name(s) replaced: ${dropped.join(' ') || '-'}`;
      break;
    }
    // A broken package apt names is either requested (drop it) or pulled in by requested names
    // (drop every requested name that reaches it through Depends/Pre-Depends/Recommends names).
    const broken = [...a.out.matchAll(/^ {1,2}(\S+) : /gm)].map((m) => m[1]);
    const requested = new Set(r985);
    const bad = new Set();
    for (const b of broken) {
      if (requested.has(b)) bad.add(b);
      else for (const n of dependers(b)) if (requested.has(n)) bad.add(n);
    }
    if (bad.size === 0 || round > 30) throw new Error(`cannot make the 985 request installable for apt (round ${round}):\n${a.out.slice(-3000)}`);
    dropped.push(...[...bad].sort());
    r985 = r985.filter((n) => !bad.has(n));
    while (r985.length < 985) r985.push(next());
  }
  fs.writeFileSync(listFile, `${r985.join('\n')}\n`);
}
if (new Set(r985).size !== 985) throw new Error('the 985 request does not hold 985 distinct names');

// Treefiles and apt command lines.
const NARROW = (what) => `?narrow(?or(?archive(^bookworm$),?codename(^bookworm$)),?architecture(amd64),${what})`;
const REQUESTS = [
  { id: 'minbase', tree: { bootstrap: 'minbase', packages: [], recommends: false }, apt: ['-o', 'APT::Install-Recommends=false', NARROW('?essential'), NARROW('?and(?priority(required),?not(?essential))')] },
  { id: 'build-essential', tree: { packages: ['build-essential'], recommends: true }, apt: ['build-essential'] },
  { id: 'random-985', tree: { packages: r985, recommends: true }, apt: r985 },
];
for (const r of REQUESTS) {
  const file = path.join(WORK, `${r.id}.json`);
  const tree = {
    ref: `bench/bookworm/${r.id}`,
    arch: 'amd64',
    repos: [{ id: 'bookworm', kind: 'apt', baseurl: `file://${INDEX}`, suite: 'bookworm', components: ['main'], 'signed-by': KEYRING }],
    ...r.tree,
  };
  fs.writeFileSync(file, `${JSON.stringify(tree, null, 2)}\n`);
  r.treefile = file;
}

/** Runs argv under /usr/bin/time: wall seconds (hrtime), CPU seconds (user + sys), peak RSS in MiB, status, output. */
function timed(argv, env = process.env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', ...argv], { encoding: 'utf8', env, maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const lines = r.stderr.trimEnd().split('\n');
  const [rssKiB, user, sys] = lines.pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rss: rssKiB / 1024, status: r.status, stdout: r.stdout, stderr: lines.join('\n') };
}

function runApt(r, cold) {
  if (cold) for (const f of CACHES) fs.rmSync(f, { force: true });
  const t = timed(['apt-get', 'install', '--assume-no', ...r.apt], APT_ENV);
  const ok = (t.status === 0 || (t.status === 1 && /^Abort\.$/m.test(t.stdout))) && !/^E: /m.test(t.stderr);
  if (!ok) throw new Error(`apt failed on ${r.id}:\n${t.stdout.slice(-2000)}${t.stderr}`);
  if (cold && !CACHES.every((f) => fs.existsSync(f))) throw new Error('apt did not rebuild its binary caches');
  const m = /^\d+ upgraded, (\d+) newly installed/m.exec(t.stdout);
  return { ...t, count: m ? Number(m[1]) : undefined };
}

function runOurs(r, cold) {
  const cache = path.join(WORK, `cache-${r.id}`);
  if (cold) fs.rmSync(cache, { recursive: true, force: true });
  fs.mkdirSync(cache, { recursive: true });
  const t = timed([process.execPath, JIGTREE, 'resolve', r.treefile, '--json', '--cachedir', cache]);
  if (t.status !== 0) return { ...t, failed: `exit ${t.status}: ${(t.stderr || t.stdout).trim().split('\n')[0]?.slice(0, 200) ?? ''}` };
  let count;
  try {
    count = JSON.parse(t.stdout).packages.length;
  } catch {
    return { ...t, failed: 'output is not the --json shape' };
  }
  return { ...t, count };
}

console.log(`bench:resolve — bookworm main amd64, ${names.length} names (InRelease ${indexSha.slice(0, 12)}); ${RUNS} rounds; Node ${process.versions.node}, ${os.availableParallelism()} cores`);
console.log(`random-985: seed ${SEED_985}, ${repairNote}`);
const rows = {};
const add = (k, v) => (rows[k] ??= []).push(v);
for (let i = 0; i < RUNS; i++) {
  for (const r of REQUESTS) {
    // Alternate who goes first so page-cache warmth does not favour one tool.
    const order = i % 2 === 0 ? ['apt', 'jigtree'] : ['jigtree', 'apt'];
    for (const tool of order) {
      const go = tool === 'apt' ? runApt : runOurs;
      add(`${r.id} cold ${tool}`, go(r, true));
      add(`${r.id} warm ${tool}`, go(r, false));
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let failed = false;
for (const r of REQUESTS) {
  for (const phase of ['cold', 'warm']) {
    const a = rows[`${r.id} ${phase} apt`];
    const j = rows[`${r.id} ${phase} jigtree`];
    const am = median(a.map((x) => x.wall));
    const goal = phase === 'cold' ? 1.0 : 0.25;
    const head = `${r.id.padEnd(15)} ${phase}  apt ${am.toFixed(2)} s (cpu ${median(a.map((x) => x.cpu)).toFixed(2)} s, ${a[0].count} pkgs)`;
    const bad = j.find((x) => x.failed);
    if (bad) {
      console.log(`${head}   jigtree n/a (${bad.failed})`);
      failed = true;
      continue;
    }
    const jm = median(j.map((x) => x.wall));
    const rss = Math.max(...j.map((x) => x.rss));
    const ratio = jm / am;
    const cpuRatio = median(j.map((x) => x.cpu)) / median(a.map((x) => x.cpu));
    const counts = j[0].count === a[0].count ? '' : `   COUNT DIFFERS: jigtree ${j[0].count}`;
    if (counts !== '') failed = true; // not apt's set: the timing compares different work
    console.log(
      `${head}   jigtree ${jm.toFixed(2)} s (cpu ${median(j.map((x) => x.cpu)).toFixed(2)} s, ${rss.toFixed(0)} MiB)   ratio ${ratio.toFixed(2)} (cpu ${cpuRatio.toFixed(2)}; goal <= ${goal.toFixed(2)}${ratio <= goal ? ', met' : ', NOT met'})   RSS goal < 1 GB${rss * 2 ** 20 < GB ? ' met' : ' NOT met'}${counts}`,
    );
  }
}
if (failed) process.exitCode = 1;
