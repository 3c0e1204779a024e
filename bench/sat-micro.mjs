#!/usr/bin/env node
// node bench/sat-micro.mjs — micro benchmark of the CDCL engine (src/solver/sat.ts), not a test.
// Needs a build (`npm run build`; SAT_MODULE / PKG_MODULE point elsewhere) and, for the real-data
// part, the bookworm index of fixtures/build/apt-index (../shared/tools/make-apt-index).
//
// 1. debian: a simplified apt-like encoding of the real bookworm main amd64 index (Depends,
//    Pre-Depends, Conflicts, Breaks, Provides, same-name; Recommends as a weak pass of the policy),
//    985 pseudo-random package names requested; a libsolv-like policy decider (job rules first,
//    then unresolved requires rules of installed packages in installation order, first
//    alternative / best version, then recommends). Two ways: "eager" (every rule of the closure
//    added before solving) and "lazy" (rules of a package added from the decider once it becomes
//    true, as the driver does). Requested packages in an UNSAT core are dropped and the search
//    re-run (like disabling job rules). The decider's own time is measured and subtracted.
// 2. random 3-SAT near the threshold with a first-unassigned decider: raw CDCL throughput.
// Medians of RUNS (default 5) timed runs after 2 warm-ups. Run with `node --expose-gc` for steadier
// engine figures.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { Sat, RETRY } = await import(process.env.SAT_MODULE ?? pathToFileURL(path.join(ROOT, 'dist/solver/sat.js')).href);
const { compareDebianVersions } = await import(process.env.PKG_MODULE ?? pathToFileURL(path.join(ROOT, 'dist/pkg/index.js')).href);
const RUNS = Number(process.env.RUNS ?? 5);
const PACKAGES = process.env.PACKAGES ?? path.join(ROOT, 'fixtures/build/apt-index/dists/bookworm/main/binary-amd64/Packages');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------- the Debian universe ----------
function parseRel(field) {
  if (field === undefined) return [];
  return field.split(',').map((group) =>
    group.split('|').map((alt) => {
      const m = /^\s*([^\s:(]+)(?::(\S+))?\s*(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^)\s]+)\s*\))?/.exec(alt);
      if (m === null) throw new Error(`bad relation ${alt}`);
      return { name: m[1], arch: m[2], op: m[3], version: m[4] };
    }),
  );
}

function loadUniverse(file) {
  const text = fs.readFileSync(file, 'utf8');
  const pkgs = [];
  for (const para of text.split('\n\n')) {
    const f = {};
    for (const line of para.split('\n')) {
      const i = line.indexOf(': ');
      if (i > 0 && line[0] !== ' ') f[line.slice(0, i)] = line.slice(i + 2);
    }
    if (f.Package === undefined) continue;
    pkgs.push({
      name: f.Package, version: f.Version, arch: f.Architecture,
      depends: [...parseRel(f['Pre-Depends']), ...parseRel(f.Depends)],
      recommends: parseRel(f.Recommends),
      conflicts: [...parseRel(f.Conflicts), ...parseRel(f.Breaks)],
      provides: parseRel(f.Provides).map((g) => g[0]),
    });
  }
  const byName = new Map();
  const providers = new Map();
  pkgs.forEach((p, i) => {
    (byName.get(p.name) ?? byName.set(p.name, []).get(p.name)).push(i);
    for (const pr of p.provides) (providers.get(pr.name) ?? providers.set(pr.name, []).get(pr.name)).push([i, pr.version]);
  });
  // Best version first, as the policy prefers it.
  for (const list of byName.values()) list.sort((a, b) => compareDebianVersions(pkgs[b].version, pkgs[a].version));
  return { pkgs, byName, providers };
}

const sat = (v, op, want) => {
  if (op === undefined) return true;
  const c = compareDebianVersions(v, want);
  return op === '<<' || op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '=' ? c === 0 : op === '>=' ? c >= 0 : c > 0;
};

/** Packages satisfying one alternative (§3.3-3.5, simplified: foreign-arch qualifiers match nothing). */
function matches(u, alt) {
  if (alt.arch !== undefined && alt.arch !== 'any' && alt.arch !== 'native' && alt.arch !== 'amd64') return [];
  const out = [];
  for (const i of u.byName.get(alt.name) ?? []) if (sat(u.pkgs[i].version, alt.op, alt.version)) out.push(i);
  const prov = [];
  for (const [i, pv] of u.providers.get(alt.name) ?? []) if (alt.op === undefined || (pv !== undefined && sat(pv, alt.op, alt.version))) prov.push(i);
  prov.sort((a, b) => (u.pkgs[a].name < u.pkgs[b].name ? -1 : u.pkgs[a].name > u.pkgs[b].name ? 1 : 0));
  for (const i of prov) if (!out.includes(i)) out.push(i);
  return out;
}

/** Provider lists per dependency, memoised per package. */
function ruleCache(u) {
  const cache = new Map();
  return (i) => {
    let r = cache.get(i);
    if (r !== undefined) return r;
    const p = u.pkgs[i];
    const group = (g) => { const out = []; for (const alt of g) for (const j of matches(u, alt)) if (!out.includes(j)) out.push(j); return out; };
    const conflicts = [];
    for (const g of p.conflicts) for (const alt of g) for (const j of matches(u, alt)) if (j !== i && !conflicts.includes(j)) conflicts.push(j);
    for (const j of u.byName.get(p.name)) if (j !== i && !conflicts.includes(j)) conflicts.push(j);
    r = { requires: p.depends.map(group), recommends: p.recommends.map(group), conflicts };
    cache.set(i, r);
    return r;
  };
}

function pickRequest(u, n) {
  const names = [...u.byName.keys()].filter((name) => u.byName.get(name).some((i) => u.pkgs[i].arch === 'amd64' || u.pkgs[i].arch === 'all')).sort();
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const picked = new Set();
  while (picked.size < n) picked.add(names[Math.floor(rnd() * names.length)]);
  return [...picked].sort();
}

// ---------- the policy decider (a sketch of what src/solver's driver does) ----------
const JOB = 1_000_000;

function solveDebian(u, rules, request, mode) {
  let job = [...request];
  for (let round = 1; ; round++) {
    const s = new Sat();
    // Record what the driver asks of the engine, to replay it without the driver (engine-only time).
    const setup = [];
    let ops = setup;
    const calls = [];
    const newVar = s.newVar.bind(s);
    const addClause = s.addClause.bind(s);
    s.newVar = () => { ops.push(null); return newVar(); };
    s.addClause = (lits, origin) => { ops.push([[...lits], origin]); return addClause(lits, origin); };
    const varOf = new Map();
    const pkgOf = [0];
    const v = (i) => { let x = varOf.get(i); if (x === undefined) { x = s.newVar(); varOf.set(i, x); pkgOf.push(i); } return x; };
    const done = new Set();
    const gen = (i) => {
      if (done.has(i)) return;
      done.add(i);
      const r = rules(i);
      const a = v(i);
      r.requires.forEach((g) => s.addClause([-a, ...g.map(v)], i));
      for (const j of r.conflicts) s.addClause([-a, -v(j)], i);
    };
    const jobs = job.map((name) => (u.byName.get(name) ?? []).filter((i) => u.pkgs[i].arch === 'amd64' || u.pkgs[i].arch === 'all'));
    jobs.forEach((cands, k) => s.addClause(cands.map(v), JOB + k));
    if (mode === 'eager') {
      // The whole closure (requires and recommends) with all its rules.
      const todo = jobs.flat();
      for (let k = 0; k < todo.length; k++) {
        const i = todo[k];
        if (done.has(i)) continue;
        gen(i);
        const r = rules(i);
        for (const g of [...r.requires, ...r.recommends]) for (const j of g) if (!done.has(j)) todo.push(j);
      }
    }
    // Requires and recommends of installed packages, in the order they were installed.
    let processed = 0;
    const active = []; // [trail position, package var, provider vars, weak]
    let rp = 0;
    let wp = 0;
    let jp = 0;
    let deciderMs = 0;
    const decide = (s) => {
      const t0 = performance.now();
      const call = { ops: [], ret: 0 };
      ops = call.ops;
      calls.push(call);
      try {
        return (call.ret = policy(s));
      } finally {
        deciderMs += performance.now() - t0;
      }
    };
    const policy = (s) => {
      {
        const stable = s.stableTrailPrefix();
        if (stable < processed) {
          processed = stable;
          while (active.length > 0 && active[active.length - 1][0] >= stable) active.pop();
          rp = 0;
          wp = 0;
          jp = 0;
        }
        for (; jp < jobs.length; jp++) {
          const cands = jobs[jp];
          if (cands.some((i) => s.value(v(i)) === 1)) continue;
          const c = cands.find((i) => s.value(v(i)) === 0);
          if (c !== undefined) return v(c);
          throw new Error(`job ${jp} false at a fixpoint`);
        }
        for (; processed < s.trailLength; processed++) {
          const l = s.trailLit(processed);
          if (l < 0) continue;
          const i = pkgOf[l];
          if (mode === 'lazy' && !done.has(i)) {
            const before = s.numClauses;
            gen(i);
            if (s.numClauses > before) return RETRY; // propagate the new rules first
          }
          const r = rules(i);
          for (const g of r.requires) active.push([processed, l, g, false]);
          for (const g of r.recommends) active.push([processed, l, g, true]);
        }
        for (; rp < active.length; rp++) {
          const [, , g, weak] = active[rp];
          if (weak) continue;
          if (g.some((i) => varOf.has(i) && s.value(varOf.get(i)) === 1)) continue;
          const c = g.find((i) => s.value(v(i)) === 0);
          if (c !== undefined) return v(c);
        }
        // Weak pass: recommends, installed when possible.
        for (; wp < active.length; wp++) {
          const [, , g, weak] = active[wp];
          if (!weak || g.some((i) => varOf.has(i) && s.value(varOf.get(i)) === 1)) continue;
          const c = g.find((i) => s.value(v(i)) === 0);
          if (c !== undefined) return v(c);
        }
        return 0;
      }
    };
    const t0 = performance.now();
    const result = s.solve(decide);
    const ms = performance.now() - t0;
    if (!result.sat) {
      const drop = new Set(result.core.filter((o) => o >= JOB).map((o) => job[o - JOB]));
      if (drop.size === 0) throw new Error('UNSAT without a job rule in the core');
      job = job.filter((name) => !drop.has(name));
      continue;
    }
    if (s.unsatisfiedClauses().length !== 0) throw new Error('model violates clauses');
    const installed = [...s.model()].filter((x, k) => k > 0 && x === 1).length;
    return { ms, deciderMs, ...replay(setup, calls, s), round, installed, requested: job.length, vars: s.numVars, clauses: s.numClauses, ...s.stats };
  }
}

/** Replays a recorded run on a fresh engine; returns the engine's time (setup + solve). */
function replay(setup, calls, expected) {
  globalThis.gc?.(); // with --expose-gc: the driver's garbage is not collected on the engine's time
  const t0 = performance.now();
  const s = new Sat();
  const apply = (ops) => { for (const op of ops) if (op === null) s.newVar(); else s.addClause(op[0], op[1]); };
  apply(setup);
  const t1 = performance.now();
  let k = 0;
  const r = s.solve(() => { const call = calls[k++]; apply(call.ops); return call.ret; });
  const t2 = performance.now();
  if (!r.sat || JSON.stringify(s.stats) !== JSON.stringify(expected.stats) || s.model().join() !== expected.model().join()) throw new Error('replay diverged');
  return { engineMs: t2 - t0, setupMs: t1 - t0 };
}

// ---------- random 3-SAT ----------
function random3Sat(nVars, ratio, seed) {
  let x = seed;
  const rnd = (n) => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return 1 + ((x >>> 8) % n); };
  const clauses = [];
  for (let k = 0; k < Math.round(nVars * ratio); k++) clauses.push([0, 0, 0].map(() => (rnd(2) === 1 ? -rnd(nVars) : rnd(nVars))));
  return clauses;
}
function solve3Sat(nVars, clauses) {
  const s = new Sat();
  for (let k = 0; k < nVars; k++) s.newVar();
  clauses.forEach((c, k) => s.addClause(c, k));
  const t0 = performance.now();
  let next = 1;
  const r = s.solve((s) => { if (s.decisionLevel === 0) next = 1; while (next <= nVars && s.value(next) !== 0) next++; return next > nVars ? 0 : -next; });
  return { ms: performance.now() - t0, sat: r.sat, ...s.stats };
}

// ---------- run ----------
const fmt = (r) => `engine ${r.engineMin.toFixed(1)} ms best / ${r.engineMs.toFixed(1)} ms median (replayed without the driver; median ${r.setupMs.toFixed(1)} ms of it adding the clauses known before solve()); with the bench's policy ${r.ms.toFixed(1)} ms, of which decider ${r.deciderMs.toFixed(1)} ms; ${r.vars} vars, ${r.clauses} clauses, ${r.decisions} decisions, ${r.conflicts} conflicts, ${r.propagations} propagations; ${r.installed} installed for ${r.requested} requested (round ${r.round})`;
console.log(`bench sat-micro — node ${process.versions.node}, ${RUNS} runs (medians)`);
if (fs.existsSync(PACKAGES)) {
  const t0 = performance.now();
  const u = loadUniverse(PACKAGES);
  console.log(`debian: ${u.pkgs.length} paragraphs parsed in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed below)`);
  for (const [n, mode] of JSON.parse(process.env.CASES ?? "[[985,\"eager\"],[985,\"lazy\"],[4000,\"eager\"],[4000,\"lazy\"]]")) {
    const request = pickRequest(u, n);
    const rules = ruleCache(u);
    for (let k = 0; k < 2; k++) solveDebian(u, rules, request, mode); // warm-up, also fills the provider cache
    const runs = Array.from({ length: RUNS }, () => solveDebian(u, rules, request, mode));
    const pick = (key) => median(runs.map((r) => r[key]));
    console.log(`  ${n} ${mode.padEnd(5)} ${fmt({ ...runs[0], ms: pick('ms'), engineMs: pick('engineMs'), engineMin: Math.min(...runs.map((r) => r.engineMs)), setupMs: pick('setupMs'), deciderMs: pick('deciderMs') })}`);
  }
} else console.log(`debian: skipped, no ${PACKAGES} (run ../shared/tools/make-apt-index fixtures/build/apt-index)`);
// Without VSIDS or restarts (by design) random 3-SAT gets hard quickly; 100 variables keep it short.
{
  const n = 100;
  const cnfs = Array.from({ length: 8 }, (_, k) => random3Sat(n, 4.26, k + 1));
  const all = () => cnfs.map((c) => solve3Sat(n, c)).reduce((a, r) => ({ ms: a.ms + r.ms, sat: a.sat + (r.sat ? 1 : 0), conflicts: a.conflicts + r.conflicts, propagations: a.propagations + r.propagations }), { ms: 0, sat: 0, conflicts: 0, propagations: 0 });
  for (let k = 0; k < 2; k++) all();
  const runs = Array.from({ length: RUNS }, all);
  const r = runs[0];
  const ms = median(runs.map((x) => x.ms));
  console.log(`random 3-SAT, 8 instances of ${n} vars x 4.26 (${r.sat} SAT), first-unassigned decider: ${ms.toFixed(1)} ms, ${r.conflicts} conflicts (${Math.round(r.conflicts / ms)}/ms), ${r.propagations} propagations (${Math.round(r.propagations / ms)}/ms)`);
}
