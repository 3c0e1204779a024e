#!/usr/bin/env node
// npm run bench:compose — issue 5's benchmark ("Speed"). Debian minbase from the make-deb-mirror
// mirror (fixtures/build/mirror-minbase), served on 127.0.0.1 by a small HTTP server inside this
// script, composed by `jigtree compose T --repo R --cachedir C --json` (T: treefiles/
// debian-minbase.yaml with its baseurl pointed at the loopback server), against the peer
// `mmdebstrap --variant=extract` of the same package set into a directory followed by
// `ostree commit` of that directory (peer time = the sum of the two).
//
// Rows, RUNS rounds (default 3), medians; ratio = jigtree / peer:
//   a) bare-user: ours with a warm download cache into a fresh repo, vs mmdebstrap + ostree commit
//      into a fresh bare-user repo;
//   b) archive: the same with archive repos (one mmdebstrap run per round feeds both peer commits,
//      its time counts in both sums);
//   c) cold: ours with an empty cachedir (downloads from the loopback mirror) into a fresh
//      bare-user repo, vs the peer of a) (mmdebstrap always downloads: it keeps no cache);
//   d) unchanged: ours again into a)'s repo with a)'s cache; must say status "unchanged".
// Fairness (see ../shared/docs/baselines.md and bench/README.md): the order of ours and the peer
// alternates per round, every run gets a new directory, nothing is deleted until the end (/ is
// mounted with `discard`; deleting thousands of files slows the next run down), and a `sync`
// precedes each timed run. Wall time and peak RSS come from /usr/bin/time (-f "%e %M": the
// largest single process, as in baselines.md). The peer's /dev nodes (mknod'ed by mmdebstrap,
// not from packages) are removed before `ostree commit`, which cannot commit devices; untimed.
// Both commits use a fixed timestamp and --no-xattrs like bench:commit. The timed runs are async
// children so that the in-process HTTP server keeps answering.
// Goals printed: ratio <= 0.5, jigtree peak RSS < 500 MB.
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
const WORK = process.env.BENCH_DIR ?? path.join(BUILD, 'bench-compose');
const MIRROR = path.join(BUILD, 'mirror-minbase');
const JIGTREE = path.join(ROOT, 'dist/cli/main.js');
const TREEFILE_SRC = path.join(ROOT, 'treefiles/debian-minbase.yaml');
const TS = 1767225600; // 2026-01-01T00:00:00Z, the treefile's `timestamp`
const MB = 1e6;

for (const tool of ['/usr/bin/time', '/usr/bin/mmdebstrap', '/usr/bin/ostree']) {
  if (!fs.existsSync(tool)) throw new Error(`bench:compose needs ${tool} (apt-get install -y time mmdebstrap ostree)`);
}
if (process.getuid?.() !== 0) throw new Error('bench:compose needs root (mmdebstrap --mode=root)');

// The mirror (idempotent; make-deb-mirror downloads nothing when its cache is complete).
execFileSync(path.join(SHARED, 'tools/make-deb-mirror'), ['--cache', path.join(BUILD, 'deb-cache'), MIRROR, 'minbase'], { stdio: ['ignore', 'ignore', 'inherit'] });

// ---- the loopback mirror: GET/HEAD of regular files under MIRROR, 404 otherwise ----
const realMirror = fs.realpathSync(MIRROR);
const served = { requests: 0, bytes: 0 };
const server = http.createServer((req, res) => {
  served.requests++;
  let file;
  try {
    const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (p.split('/').includes('..')) throw new Error('..');
    file = fs.realpathSync(path.join(realMirror, p));
    if (!file.startsWith(realMirror + path.sep) || !fs.statSync(file).isFile()) throw new Error('not a file');
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
  served.bytes += size;
  createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const MIRROR_URL = `http://127.0.0.1:${server.address().port}`;

// ---- work dirs and the treefile pointing at the loopback mirror ----
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
const treefile = path.join(WORK, 'minbase.yaml');
const yaml = fs.readFileSync(TREEFILE_SRC, 'utf8');
if (!/^\s*baseurl: .*$/m.test(yaml)) throw new Error(`${TREEFILE_SRC} has no baseurl line to point at the loopback mirror`);
fs.writeFileSync(treefile, yaml.replace(/^(\s*)baseurl: .*$/m, `$1baseurl: ${MIRROR_URL}/`));
let serial = 0;
const fresh = (name) => path.join(WORK, `${name}-${serial++}`);

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

// ---- the package set: ours resolves it; the peer extracts exactly the same names ----
const resolved = await timed([process.execPath, JIGTREE, 'resolve', treefile, '--json', '--cachedir', fresh('resolve-cache')], { allowFail: true });
let packages;
if (resolved.ok) {
  packages = JSON.parse(resolved.out).packages.map((p) => p.name);
} else {
  packages = fs.readFileSync(path.join(MIRROR, 'packages.list'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('=')[0]);
  console.log(`jigtree resolve failed; the peer uses the mirror's packages.list (${packages.length} packages):\n${resolved.err.trim().split('\n').slice(-3).join('\n')}`);
}

// ---- ours ----
const ours = (repo, cache, mode) =>
  timed([process.execPath, JIGTREE, 'compose', treefile, '--repo', repo, '--cachedir', cache, '--mode', mode, '--json'], { allowFail: true }).then((r) => {
    let json = null;
    try {
      json = JSON.parse(r.out);
    } catch {
      // a failure prints no JSON document on stdout
    }
    return { ...r, json };
  });

// ---- the peer: mmdebstrap --variant=extract, then ostree commit into a fresh repo ----
async function peerExtract() {
  const dir = fresh('mm');
  sync();
  const r = await timed([
    'mmdebstrap', '--variant=extract', '--mode=root', '--format=directory', '-q',
    `--include=${[...packages].sort().join(',')}`,
    'bookworm', dir, `deb [trusted=yes] ${MIRROR_URL}/ bookworm main`,
  ]);
  for (const e of fs.readdirSync(path.join(dir, 'dev'))) fs.rmSync(path.join(dir, 'dev', e), { recursive: true, force: true });
  return { ...r, dir };
}
async function peerCommit(dir, mode) {
  const repo = fresh(`ostree-${mode}`);
  execFileSync('ostree', ['init', `--repo=${repo}`, `--mode=${mode}`]);
  sync();
  return timed(['ostree', 'commit', `--repo=${repo}`, '--branch=minbase', '--no-xattrs', `--timestamp=@${TS}`, `--tree=dir=${dir}`]);
}

// A warm download cache for rows a, b and d: one untimed compose fills it.
const warmCache = path.join(WORK, 'cache-warm');
const warmup = await ours(fresh('warmup-repo'), warmCache, 'bare-user');
if (!warmup.ok) console.log(`jigtree compose failed (warm-up); rows with ours are n/a:\n${warmup.err.trim().split('\n').slice(-5).join('\n')}`);

const rows = {};
const add = (k, v) => (rows[k] ??= []).push(v);
const notes = new Set();
let failed = !warmup.ok;
console.log(`bench:compose — Debian minbase, ${packages.length} packages from ${MIRROR_URL}; ${RUNS} rounds; Node ${process.versions.node}, ${os.availableParallelism()} cores`);
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 === 0 ? ['peer', 'ours'] : ['ours', 'peer'];
  for (const who of order) {
    if (who === 'peer') {
      const mm = await peerExtract();
      const bare = await peerCommit(mm.dir, 'bare-user');
      const archive = await peerCommit(mm.dir, 'archive');
      add('peer mmdebstrap', mm);
      add('peer bare-user', { wall: mm.wall + bare.wall, rss: Math.max(mm.rss, bare.rss) });
      add('peer archive', { wall: mm.wall + archive.wall, rss: Math.max(mm.rss, archive.rss) });
      continue;
    }
    for (const [row, mode, cache] of [['a', 'bare-user', warmCache], ['b', 'archive', warmCache], ['c', 'bare-user', null]]) {
      const repo = fresh(`ours-${mode}`);
      const before = { ...served };
      sync();
      const r = await ours(repo, cache ?? fresh('cache-cold'), mode);
      if (!r.ok || r.json?.status !== 'committed') {
        failed = true;
        notes.add(`${row}: ${r.ok ? `status ${r.json?.status}` : r.err.trim().split('\n').pop()}`);
        continue;
      }
      add(`ours ${row}`, { ...r, fetchedBytes: served.bytes - before.bytes });
      if (row === 'a') {
        // d) the same treefile, repo and cache again: nothing to do.
        sync();
        const again = await ours(repo, cache, mode);
        if (!again.ok || again.json?.status !== 'unchanged') {
          failed = true;
          notes.add(`d: expected status "unchanged", got ${again.ok ? again.json?.status : again.err.trim().split('\n').pop()}`);
        } else add('ours d', again);
      }
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (k) => (rows[k] ? median(rows[k].map((r) => r.wall)) : NaN);
const peak = (k) => (rows[k] ? Math.max(...rows[k].map((r) => r.rss)) : NaN);
const fmt = (s) => (Number.isNaN(s) ? '  n/a' : `${s.toFixed(2)} s`);
const show = (label, oursKey, peerKey) => {
  const o = med(oursKey);
  const p = med(peerKey);
  const ratio = o / p;
  const rss = peak(oursKey);
  const goal = Number.isNaN(ratio) ? '' : `   ${ratio <= 0.5 ? 'ok' : 'MISSED'} (<= 0.5)${rss * 1.048576 < 500 ? '' : ', RSS >= 500 MB'}`;
  console.log(`${label.padEnd(28)} peer ${fmt(p)} (${peak(peerKey).toFixed(0)} MiB)   jigtree ${fmt(o)} (${Number.isNaN(rss) ? 'n/a' : rss.toFixed(0)} MiB)   ratio ${Number.isNaN(ratio) ? 'n/a' : ratio.toFixed(2)}${goal}`);
};
console.log(`peer mmdebstrap --variant=extract alone: ${fmt(med('peer mmdebstrap'))} (median)`);
show('a) bare-user, warm cache', 'ours a', 'peer bare-user');
show('b) archive, warm cache', 'ours b', 'peer archive');
show('c) bare-user, cold cache', 'ours c', 'peer bare-user');
console.log(`${'d) unchanged recompose'.padEnd(28)} jigtree ${fmt(med('ours d'))} (${Number.isNaN(peak('ours d')) ? 'n/a' : peak('ours d').toFixed(0)} MiB)`);
const sample = rows['ours a']?.[0]?.json ?? rows['ours c']?.[0]?.json;
if (sample) {
  console.log(`jigtree: ${sample.packages} packages, objects written ${sample.objects?.written} / reused ${sample.objects?.reused}, download ${((sample.download?.bytes ?? 0) / MB).toFixed(1)} MB, commit ${sample.commit}`);
  const cold = rows['ours c']?.[0];
  if (cold) console.log(`cold run fetched ${(cold.fetchedBytes / MB).toFixed(1)} MB from the loopback mirror (stats: ${cold.json.download?.fetched} fetched, ${cold.json.download?.reused} reused)`);
  const st = rows['ours a']?.[0]?.json?.stages;
  if (st) console.log(`stages (a, first round): ${Object.entries(st).map(([k, v]) => `${k} ${Number(v).toFixed(2)} s`).join(', ')}`);
}
for (const n of notes) console.log(`FAILED ${n}`);
server.close();
fs.rmSync(WORK, { recursive: true, force: true });
if (failed) process.exitCode = 1;
