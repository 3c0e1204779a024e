#!/usr/bin/env node
// npm run bench:unpack — issue 2's benchmark. Streams every entry of all Debian minbase .debs
// with its content hashed (ours, all cores), against the native pipeline
// `dpkg-deb --fsys-tarfile X | sha256sum` for each package; medians of RUNS runs, one run of
// each per round so both see the same machine state. Prints the ratio (ours / native).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SHARED = process.env.JIGTREE_SHARED ?? path.resolve(ROOT, '../shared');
const BUILD = process.env.JIGTREE_TEST_BUILD ?? path.join(ROOT, 'fixtures/build');
const RUNS = Number(process.env.RUNS ?? 3);
const mirror = path.join(BUILD, 'mirror-minbase');

execFileSync(path.join(SHARED, 'tools/make-deb-mirror'), ['--cache', path.join(BUILD, 'deb-cache'), mirror, 'minbase'], { stdio: ['ignore', 'ignore', 'inherit'] });
const debs = execFileSync('find', [path.join(mirror, 'pool'), '-name', '*.deb'], { encoding: 'utf8' }).trim().split('\n').sort();
const totalBytes = debs.reduce((a, f) => a + fs.statSync(f).size, 0);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => { const t0 = performance.now(); fn(); return (performance.now() - t0) / 1000; };

function ours(decoders) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench/unpack-worker.mjs'), decoders, ...debs], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`ours failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
// The native pipeline, package after package, as the issue states it; and with two at a time
// (xargs -P2), so the comparison with our all-cores run is fair both ways.
const nativeScript = 'dpkg-deb --fsys-tarfile "$1" | sha256sum >/dev/null';
const native = (parallel) => time(() => execFileSync('xargs', ['-0', '-n1', `-P${parallel}`, 'bash', '-c', nativeScript, 'bash'], { input: debs.join('\0') }));

console.log(`bench:unpack — ${debs.length} minbase .debs, ${(totalBytes / 1e6).toFixed(1)} MB, ${RUNS} runs, ${process.versions.node} on ${(await import('node:os')).availableParallelism()} cores`);
const rows = { auto: [], builtin: [], native1: [], native2: [] };
let last;
for (let i = 0; i < RUNS; i++) {
  last = ours('auto'); rows.auto.push(last);
  rows.builtin.push(ours('builtin'));
  rows.native1.push(native(1));
  rows.native2.push(native(2));
}
const med = (k) => median(rows[k].map((r) => (typeof r === 'number' ? r : r.wall)));
const rss = (k) => Math.max(...rows[k].map((r) => r.maxRssMiB));
const n1 = med('native1');
const n2 = med('native2');
const fmt = (s) => `${s.toFixed(2)} s`;
console.log(`entries ${last.entries}, content ${(last.bytes / 1e6).toFixed(1)} MB hashed`);
console.log(`native  dpkg-deb --fsys-tarfile | sha256sum, one at a time   ${fmt(n1)}`);
console.log(`native  same, two at a time (xargs -P2)                     ${fmt(n2)}`);
console.log(`jigtree system decoders (xz on PATH), all cores             ${fmt(med('auto'))}  peak RSS ${rss('auto').toFixed(0)} MiB`);
console.log(`jigtree built-in decoders (TS xz), all cores                ${fmt(med('builtin'))}  peak RSS ${rss('builtin').toFixed(0)} MiB`);
console.log(`ratio (jigtree / native one at a time): ${(med('auto') / n1).toFixed(2)}x system decoders, ${(med('builtin') / n1).toFixed(2)}x built-in`);
console.log(`ratio (jigtree / native two at a time): ${(med('auto') / n2).toFixed(2)}x system decoders, ${(med('builtin') / n2).toFixed(2)}x built-in`);
