#!/usr/bin/env node
// npm run bench:commit — issue 3's benchmark. Commits the extracted Debian minbase tree (every
// minbase .deb unpacked with `dpkg-deb -x`) into a fresh repo with `jigtree commit` and with
// `ostree commit`, in bare-user and archive mode, then re-commits the unchanged tree into the
// same repo. Same options for both (--no-xattrs and a fixed timestamp, as in baselines.md), one
// run of each per round so both see the same machine state; medians of RUNS rounds; ratios are
// jigtree / ostree. Wall time and peak RSS come from /usr/bin/time (Debian package `time`).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SHARED = process.env.JIGTREE_SHARED ?? path.resolve(ROOT, '../shared');
const BUILD = process.env.JIGTREE_TEST_BUILD ?? path.join(ROOT, 'fixtures/build');
const RUNS = Number(process.env.RUNS ?? 3);
const WORK = process.env.BENCH_DIR ?? path.join(BUILD, 'bench-commit');
const mirror = path.join(BUILD, 'mirror-minbase');
const rootfs = path.join(BUILD, 'rootfs-minbase');
const JIGTREE = path.join(ROOT, 'dist/cli/main.js');
const COMMON = ['--branch=minbase', '--no-xattrs', '--subject=minbase'];
const TS = 1747699200; // 2025-05-20T00:00:00Z, as in baselines.md

if (!fs.existsSync('/usr/bin/time')) throw new Error('bench:commit needs /usr/bin/time (apt-get install -y time)');

// The input tree: every minbase .deb extracted, as root so owners and setuid bits are real.
if (!fs.existsSync(path.join(rootfs, '.complete'))) {
  execFileSync(path.join(SHARED, 'tools/make-deb-mirror'), ['--cache', path.join(BUILD, 'deb-cache'), mirror, 'minbase'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const debs = execFileSync('find', [path.join(mirror, 'pool'), '-name', '*.deb'], { encoding: 'utf8' }).trim().split('\n').sort();
  fs.rmSync(rootfs, { recursive: true, force: true });
  fs.mkdirSync(rootfs, { recursive: true });
  for (const deb of debs) execFileSync('dpkg-deb', ['-x', deb, rootfs]);
  fs.writeFileSync(path.join(rootfs, '.complete'), '');
}
// The marker file is committed too, by both tools; it is empty and changes nothing measurable.
const count = Number(execFileSync('bash', ['-c', `find ${JSON.stringify(rootfs)} | wc -l`], { encoding: 'utf8' }).trim());
const bytes = Number(execFileSync('du', ['-sb', rootfs], { encoding: 'utf8' }).split('\t')[0]);

/** Runs argv under /usr/bin/time; returns wall seconds, peak RSS in MiB and stdout. */
function timed(argv, env = {}) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const [wall, rssKiB] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, rss: rssKiB / 1024, out: r.stdout.trim() };
}

// Every run gets a new repo directory and nothing is deleted until the end: this root
// filesystem is mounted with `discard`, and creating files right after deleting thousands
// (the previous repo) ran up to 10x slower, for whichever tool came next. A `sync` before each
// timed run also keeps one run's writeback out of the next one's time.
fs.rmSync(WORK, { recursive: true, force: true });
let serial = 0;
function fresh(name, mode) {
  const repo = path.join(WORK, `${name}-${serial++}`);
  execFileSync('ostree', ['init', `--repo=${repo}`, `--mode=${mode}`]);
  execFileSync('sync');
  return repo;
}

const ostreeCommit = (repo) => timed(['ostree', 'commit', `--repo=${repo}`, ...COMMON, `--timestamp=@${TS}`, `--tree=dir=${rootfs}`]);
const jigtreeCommit = (repo) => timed([process.execPath, JIGTREE, 'commit', `--repo=${repo}`, ...COMMON, `--timestamp=${TS}`, rootfs]);
const lastLine = (s) => s.split('\n').pop();

fs.mkdirSync(WORK, { recursive: true });
console.log(`bench:commit — minbase rootfs ${count} entries, ${(bytes / 1e6).toFixed(1)} MB; ${RUNS} rounds; Node ${process.versions.node}, ${os.availableParallelism()} cores`);
const rows = {};
const add = (k, r) => (rows[k] ??= []).push(r);
const checks = new Set();
for (let i = 0; i < RUNS; i++) {
  for (const mode of ['bare-user', 'archive']) {
    // Alternate who goes first so page-cache warmth does not favour one tool.
    const order = i % 2 === 0 ? ['ostree', 'jigtree'] : ['jigtree', 'ostree'];
    for (const tool of order) {
      const repo = fresh(`${tool}-${mode}`, mode);
      const run = tool === 'ostree' ? ostreeCommit : jigtreeCommit;
      const first = run(repo);
      add(`${tool} ${mode}`, first);
      // Unchanged tree again, same timestamp and options: ostree reuses every object, so do we.
      // The parent is now set, so this commit differs from the first; both tools agree on it.
      execFileSync('sync');
      const again = run(repo);
      add(`${tool} ${mode} recommit`, again);
      checks.add(`${mode}:${lastLine(first.out)}:${lastLine(again.out)}`);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (k) => median(rows[k].map((r) => r.wall));
const peak = (k) => Math.max(...rows[k].map((r) => r.rss));
for (const mode of ['bare-user', 'archive']) {
  for (const suffix of ['', ' recommit']) {
    const o = `ostree ${mode}${suffix}`;
    const j = `jigtree ${mode}${suffix}`;
    console.log(
      `${`${mode}${suffix}`.padEnd(19)} ostree ${med(o).toFixed(2)} s (${peak(o).toFixed(0)} MiB)   jigtree ${med(j).toFixed(2)} s (${peak(j).toFixed(0)} MiB)   ratio ${(med(j) / med(o)).toFixed(2)}`,
    );
  }
}
fs.rmSync(WORK, { recursive: true, force: true });
// Both tools must have produced the same commits: one line per mode, not one per tool.
const same = [...checks].length === 2;
console.log(same ? 'commit checksums: jigtree and ostree agree in both modes' : `commit checksums DIFFER: ${[...checks].join(' ')}`);
if (!same) process.exitCode = 1;
