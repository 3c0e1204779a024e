#!/usr/bin/env node
// npm run bench:assemble — issue 6's benchmark ("Speed"). Debian minbase from the make-deb-mirror
// mirror (fixtures/build/mirror-minbase), composed untimed by `jigtree compose --mode archive` into a
// compose repo, its jigdo emitted as a .deb (`jigtree jigdo REF --as-package deb`) into a hard-linked
// copy of the mirror. Then, timed, jigtree rebuilding the commit from that copy against the peer
// `ostree pull` of the same commit from the compose repo:
//   1) first assemble: `jigtree assemble <URL of the jigdo .deb> --repo <fresh> --cachedir <fresh>
//      --mirror <URL of the copy> --json` vs `ostree pull` into a fresh bare-user repo (our default
//      mode, so both write the same kind of objects). A second jigtree row assembles from the plain
//      set directory (`jigtree jigdo REF -o <copy>/jigdo-set`, served by the same server) instead
//      of the .deb: the package must be fetched whole, the set dir lets an upgrade fetch only the
//      parts that changed (the earlier parts are found in the download cache by digest);
//   2) one-package upgrade: `hostname` rebuilt at a new version (test/helpers/deb-upgrade.ts,
//      run with vite-node so the bench and the e2e test build the same upgraded mirror), recomposed
//      into the same compose repo (new commit, same ref), its jigdo .deb emitted into the upgraded
//      mirror copy; ours assembles it into a copy of a first-assemble repo with a copy of that run's
//      download cache (the .deb row from a .deb run's, the set row from a set run's), the peer pulls
//      it into a copy of a first-pull repo.
// Three loopback HTTP servers inside this script (the mirror copy, the upgraded mirror copy, the
// compose repo) count requests and the body bytes they send: "bytes transferred".
// Rows: RUNS rounds (default 3), medians; ratio = jigtree / ostree pull.
// Fairness (as bench/compose.mjs; see ../shared/docs/baselines.md and bench/README.md): the order of
// the three contestants rotates per round (each goes first once in 3 rounds), every run gets a new
// directory (copies made untimed), nothing is deleted until the end (/ is mounted with `discard`),
// and a `sync` precedes each timed run. Wall time and peak RSS come from /usr/bin/time (-f "%e %M"). Timed runs are async children so
// the in-process servers keep answering. Both sides' results are checked: the commit checksum each
// one ends with must be the composed one.
// Goals printed: first assemble <= 0.7x the bytes and <= 1.0x the time of `ostree pull`; the upgrade
// fetches <= the upgraded package's size + the new jigdo package's size. Missing a goal does not
// fail the script (it is a benchmark); a failed or wrong run does (exit code 1).
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SHARED = process.env.JIGTREE_SHARED ?? path.resolve(ROOT, '../shared');
const BUILD = process.env.JIGTREE_TEST_BUILD ?? path.join(ROOT, 'fixtures/build');
const RUNS = Number(process.env.RUNS ?? 3);
const WORK = process.env.BENCH_DIR ?? path.join(BUILD, 'bench-assemble');
const MIRROR = path.join(BUILD, 'mirror-minbase');
const JIGTREE = path.join(ROOT, 'dist/cli/main.js');
const VITE_NODE = path.join(ROOT, 'node_modules/.bin/vite-node');
const TREEFILE_SRC = path.join(ROOT, 'treefiles/debian-minbase.yaml');
const UPGRADED = 'hostname';
const MB = 1e6;

for (const tool of ['/usr/bin/time', '/usr/bin/ostree', '/usr/bin/dpkg-deb', VITE_NODE]) {
  if (!fs.existsSync(tool)) throw new Error(`bench:assemble needs ${tool} (apt-get install -y time ostree dpkg; npm ci)`);
}

// The mirror (idempotent; make-deb-mirror downloads nothing when its cache is complete).
execFileSync(path.join(SHARED, 'tools/make-deb-mirror'), ['--cache', path.join(BUILD, 'deb-cache'), MIRROR, 'minbase'], { stdio: ['ignore', 'ignore', 'inherit'] });

/**
 * A loopback server for the regular files under `root` (GET/HEAD, 404 otherwise) that counts
 * requests and the body bytes it actually sends.
 */
async function serve(root) {
  const real = fs.realpathSync(root);
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    stats.requests++;
    let file;
    try {
      const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
      if (p.split('/').includes('..')) throw new Error('..');
      file = fs.realpathSync(path.join(real, p));
      if (!file.startsWith(real + path.sep) || !fs.statSync(file).isFile()) throw new Error('not a file');
    } catch {
      res.writeHead(404, { 'content-length': 0 });
      res.end();
      return;
    }
    const size = fs.statSync(file).size;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = createReadStream(file);
    body.on('data', (c) => (stats.bytes += c.length));
    body.pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, stats, close: () => server.close() };
}

/** Runs argv under /usr/bin/time without blocking the event loop: wall s, peak RSS MiB, stdout. */
function timed(argv, { allowFail = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString();
      const stdout = Buffer.concat(out).toString();
      if (code !== 0 && !allowFail) {
        reject(new Error(`${argv.join(' ')} failed (${code}):\n${stderr.slice(-4000)}`));
        return;
      }
      const last = stderr.trim().split('\n').pop() ?? '';
      const [wall, rssKiB] = last.split(' ').map(Number);
      resolve({ ok: code === 0, wall, rss: rssKiB / 1024, out: stdout, err: stderr });
    });
  });
}
const sync = () => execFileSync('sync');
const jigtreeJson = (args) => JSON.parse(execFileSync(process.execPath, [JIGTREE, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] }));
const ostreeRev = (repo, ref) => execFileSync('ostree', ['rev-parse', `--repo=${repo}`, ref], { encoding: 'utf8' }).trim();
const lastLine = (s) => s.trim().split('\n').pop();

// ---- work dirs ----
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
let serial = 0;
const fresh = (name) => path.join(WORK, `${name}-${serial++}`);
const copyOf = (src, name) => {
  const dest = fresh(name);
  execFileSync('cp', ['-a', src, dest]);
  return dest;
};
const yaml = fs.readFileSync(TREEFILE_SRC, 'utf8');
if (!/^\s*baseurl: .*$/m.test(yaml)) throw new Error(`${TREEFILE_SRC} has no baseurl line to point at the mirror`);
const REF = /^ref: (\S+)$/m.exec(yaml)?.[1];
if (!REF) throw new Error(`${TREEFILE_SRC} has no ref line`);
/** The treefile with its baseurl pointed at a mirror directory (compose is untimed setup). */
function treefileFor(mirror, name) {
  const file = path.join(WORK, name);
  fs.writeFileSync(file, yaml.replace(/^(\s*)baseurl: .*$/m, `$1baseurl: ${mirror}`));
  return file;
}
const composeRepo = path.join(WORK, 'compose-repo');
const composeCache = path.join(WORK, 'compose-cache');

/**
 * Composes `treefile` into the archive compose repo, emits its jigdo .deb into `mirror`'s pool and
 * the plain set into `mirror`/jigdo-set.
 */
function composeAndEmit(treefile, mirror) {
  const c = jigtreeJson(['compose', treefile, '--repo', composeRepo, '--mode', 'archive', '--cachedir', composeCache]);
  if (c.status !== 'committed') throw new Error(`compose ${treefile}: status ${c.status}, expected committed`);
  const j = jigtreeJson(['jigdo', REF, '--repo', composeRepo, '-o', path.join(mirror, 'pool/main/j/jigdo'), '--as-package', 'deb']);
  if (j.commit !== c.commit) throw new Error(`jigdo of ${REF} names commit ${j.commit}, compose made ${c.commit}`);
  const file = j.package?.file;
  if (typeof file !== 'string' || !file.endsWith('.deb') || !fs.existsSync(file)) throw new Error(`jigdo --as-package deb: no .deb in ${JSON.stringify(j.package)}`);
  const set = jigtreeJson(['jigdo', REF, '--repo', composeRepo, '-o', path.join(mirror, 'jigdo-set')]);
  if (set.commit !== c.commit) throw new Error(`jigdo set of ${REF} names commit ${set.commit}, compose made ${c.commit}`);
  return { compose: c, jigdo: j, set, rel: path.relative(mirror, file) };
}

// ---- setup (untimed): commit A, its jigdo .deb in a copy of the mirror ----
console.log(`bench:assemble — Debian minbase; ${RUNS} rounds; Node ${process.versions.node}, ${os.availableParallelism()} cores`);
const mirrorA = path.join(WORK, 'mirror-a');
execFileSync('cp', ['-al', MIRROR, mirrorA]);
const A = composeAndEmit(treefileFor(MIRROR, 'minbase-a.yaml'), mirrorA);
console.log(`setup: commit A ${A.compose.commit}, ${A.compose.packages} packages (${(A.jigdo.packageBytes / MB).toFixed(1)} MB); jigdo set ${(A.jigdo.setBytes / MB).toFixed(2)} MB in ${A.jigdo.parts} parts, as .deb ${(A.jigdo.package.size / MB).toFixed(2)} MB`);

const srvA = await serve(mirrorA);
const srvRepo = await serve(composeRepo);
let srvB = null;

const rows = {};
const add = (k, v) => (rows[k] ??= []).push(v);
const notes = new Set();
let failed = false;
const fail = (msg) => {
  failed = true;
  notes.add(msg);
};

/** One timed `jigtree assemble` of the .deb or set dir at `source`; bytes = what `srv` sent meanwhile. */
async function ours(row, srv, source, repo, cache, expected) {
  const before = srv.stats.bytes;
  const reqs = srv.stats.requests;
  sync();
  const r = await timed([process.execPath, JIGTREE, 'assemble', source, '--repo', repo, '--cachedir', cache, '--mirror', srv.url, '--json'], { allowFail: true });
  let json = null;
  try {
    json = JSON.parse(r.out);
  } catch {
    // a failure prints no JSON document on stdout
  }
  if (!r.ok || json?.commit !== expected) {
    fail(`${row}: ${r.ok ? `commit ${json?.commit}, expected ${expected}` : lastLine(r.err)}`);
    return null;
  }
  const run = { ...r, json, bytes: srv.stats.bytes - before, requests: srv.stats.requests - reqs };
  add(row, run);
  return run;
}

/** One timed `ostree pull r REF` into `repo` (remote r already configured); bytes from srvRepo. */
async function peer(row, repo, expected) {
  const before = srvRepo.stats.bytes;
  const reqs = srvRepo.stats.requests;
  sync();
  const r = await timed(['ostree', `--repo=${repo}`, 'pull', 'r', REF], { allowFail: true });
  const got = r.ok ? ostreeRev(repo, `r:${REF}`) : null;
  if (got !== expected) {
    fail(`${row}: ${r.ok ? `commit ${got}, expected ${expected}` : lastLine(r.err)}`);
    return null;
  }
  const run = { ...r, bytes: srvRepo.stats.bytes - before, requests: srvRepo.stats.requests - reqs };
  add(row, run);
  return run;
}

/** Round i's order: the contestants rotated by i, so each goes first once in every 3 rounds. */
const rotated = (xs, i) => xs.map((_, k) => xs[(k + i) % xs.length]);

// ---- 1) first assemble, fresh repos ----
const sourcesA = { deb: `${srvA.url}/${A.rel}`, set: `${srvA.url}/jigdo-set/` };
const baseOurs = {}; // per source, a first-assemble repo + cache holding A: the start of its upgrade runs
let basePeer = null;
for (let i = 0; i < RUNS; i++) {
  for (const who of rotated(['peer', 'deb', 'set'], i)) {
    if (who === 'peer') {
      const repo = fresh('peer-a');
      execFileSync('ostree', ['init', `--repo=${repo}`, '--mode=bare-user']);
      execFileSync('ostree', [`--repo=${repo}`, 'remote', 'add', '--no-gpg-verify', 'r', srvRepo.url]);
      if ((await peer('first peer', repo, A.compose.commit)) && !basePeer) basePeer = repo;
    } else {
      const repo = fresh(`ours-${who}-a`);
      const cache = fresh(`ours-${who}-cache-a`);
      if ((await ours(`first ${who}`, srvA, sourcesA[who], repo, cache, A.compose.commit)) && !baseOurs[who]) baseOurs[who] = { repo, cache };
    }
  }
}

// ---- 2) one-package upgrade: commit B from a mirror with `hostname` rebuilt ----
let B = null;
let upgraded = null;
if (basePeer && (baseOurs.deb || baseOurs.set)) {
  const mirrorB = path.join(WORK, 'mirror-b');
  const script = path.join(WORK, 'upgrade.mjs');
  fs.writeFileSync(script, [
    `import { upgradedDebMirror } from ${JSON.stringify(path.join(ROOT, 'test/helpers/deb-upgrade.ts'))};`,
    `console.log(JSON.stringify(await upgradedDebMirror(${JSON.stringify(MIRROR)}, ${JSON.stringify(mirrorB)}, ${JSON.stringify(UPGRADED)})));`,
  ].join('\n'));
  upgraded = JSON.parse(lastLine(execFileSync(VITE_NODE, ['--root', ROOT, script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })));
  B = composeAndEmit(treefileFor(mirrorB, 'minbase-b.yaml'), mirrorB);
  if (B.compose.commit === A.compose.commit) throw new Error('the recompose with the upgraded package made the same commit');
  console.log(`setup: ${UPGRADED} ${upgraded.version} (${upgraded.size} B); commit B ${B.compose.commit}; its jigdo .deb ${B.jigdo.package.size} B, set ${B.set.setBytes} B in ${B.set.parts} parts`);
  srvB = await serve(mirrorB);
  const sourcesB = { deb: `${srvB.url}/${B.rel}`, set: `${srvB.url}/jigdo-set/` };
  for (let i = 0; i < RUNS; i++) {
    for (const who of rotated(['peer', 'deb', 'set'], i)) {
      if (who === 'peer') await peer('upgrade peer', copyOf(basePeer, 'peer-b'), B.compose.commit);
      else if (baseOurs[who]) await ours(`upgrade ${who}`, srvB, sourcesB[who], copyOf(baseOurs[who].repo, `ours-${who}-b`), copyOf(baseOurs[who].cache, `ours-${who}-cache-b`), B.compose.commit);
    }
  }
} else fail('upgrade: skipped, no successful first assemble/pull to start from');

// ---- the table ----
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (k, f) => (rows[k] ? median(rows[k].map(f)) : NaN);
const peak = (k) => (rows[k] ? Math.max(...rows[k].map((r) => r.rss)) : NaN);
const num = (x, d = 2) => (Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const size = (b) => (Number.isNaN(b) ? 'n/a' : b >= MB ? `${(b / MB).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const mark = (ok, goal) => (ok ? `met (${goal})` : `NOT MET (${goal})`);
const cols = ['row', 'wall median (min)', 'ratio', 'bytes sent', 'ratio', 'requests', 'peak RSS', 'goals'];
console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
/**
 * One line of the table: medians (and the minimum wall time: baselines.md's advice for
 * filesystem-heavy rows), ratios against the same section's `ostree pull`, `goals(tr, br, b)`.
 */
function line(label, key, peerKey, goals) {
  const t = med(key, (r) => r.wall);
  const b = med(key, (r) => r.bytes);
  const tp = med(peerKey, (r) => r.wall);
  const bp = med(peerKey, (r) => r.bytes);
  const isPeer = key === peerKey;
  console.log(`| ${[
    label,
    Number.isNaN(t) ? 'n/a' : `${num(t)} s (${num(Math.min(...rows[key].map((r) => r.wall)))})`,
    isPeer ? '' : `${num(t / tp)}x`,
    size(b),
    isPeer ? '' : `${num(b / bp, 3)}x`,
    String(med(key, (r) => r.requests)),
    Number.isNaN(peak(key)) ? 'n/a' : `${num(peak(key), 0)} MiB`,
    Number.isNaN(t) || isPeer ? '' : goals(t / tp, b / bp, b),
  ].join(' | ')} |`);
}
const firstGoals = (tr, br) => `bytes ${mark(br <= 0.7, '<= 0.7x')}, time ${mark(tr <= 1.0, '<= 1.0x')}`;
line('1) first: ostree pull', 'first peer', 'first peer');
line('1) first: jigtree, jigdo .deb', 'first deb', 'first peer', firstGoals);
line('1) first: jigtree, set dir', 'first set', 'first peer', firstGoals);
if (B && upgraded) {
  const debBudget = upgraded.size + B.jigdo.package.size;
  const setBudget = upgraded.size + B.set.setBytes;
  line(`2) upgrade ${UPGRADED}: ostree pull`, 'upgrade peer', 'upgrade peer');
  line(`2) upgrade ${UPGRADED}: jigtree, .deb`, 'upgrade deb', 'upgrade peer', (_t, _b, b) => `bytes ${mark(b <= debBudget, `<= ${debBudget} B`)}`);
  line(`2) upgrade ${UPGRADED}: jigtree, set dir`, 'upgrade set', 'upgrade peer', (_t, _b, b) => `bytes ${mark(b <= setBudget, `<= ${setBudget} B`)}`);
  console.log(`upgrade budgets: ${UPGRADED} ${upgraded.version} ${upgraded.size} B + new jigdo .deb ${B.jigdo.package.size} B = ${debBudget} B; + new set dir ${B.set.setBytes} B = ${setBudget} B`);
}
for (const key of ['first deb', 'first set', 'upgrade deb', 'upgrade set']) {
  const j = rows[key]?.[0]?.json;
  if (j) console.log(`jigtree ${key} (round 1 --json): packages ${j.packages?.downloaded} downloaded of ${j.packages?.needed} needed / ${j.packages?.total} (${size(j.packages?.bytesDownloaded ?? NaN)}), ${j.packages?.cached} from cache; jigdo parts ${j.jigdo?.partsFetched}/${j.jigdo?.parts} fetched, jigdo.bytesDownloaded ${size(j.jigdo?.bytesDownloaded ?? NaN)}; stages ${Object.entries(j.stages ?? {}).map(([k, v]) => `${k} ${Number(v).toFixed(2)} s`).join(', ')}`);
}
for (const n of notes) console.log(`FAILED ${n}`);
for (const s of [srvA, srvRepo, srvB]) s?.close();
fs.rmSync(WORK, { recursive: true, force: true });
if (failed) process.exitCode = 1;
