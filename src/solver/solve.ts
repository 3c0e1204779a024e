// The solver driver (depsolve.md §5.3, §5.4): jobs from the request, rules added lazily as
// packages become true, and every decision taken by the policy, never by the SAT engine:
//   1. job rules, in request order;
//   2. hard dependencies of installed packages: deb depth-first in field order, as apt's
//      MarkInstall recurses; rpm in rule-creation order, as libsolv's rule loop;
//   3. weak dependencies (Recommends; rpm Supplements) when enabled, each tried once;
//   4. nothing left: every undecided package stays out.
// A conflict is learnt from and undone by the engine; an UNSAT proof becomes a problem, its job
// is dropped and the search re-run, so every independent problem is reported (libsolv's model).
import { InternalError } from '../core/index.js';
import { compareDebianVersions, parseRpmDep, rpmDepOverlaps, type DebPackageRecord, type DebRelationExpr, type RpmPackageRecord } from '../pkg/index.js';
import { describePackage, Pool, type Solvable } from './pool.js';
import { debGroupAlternatives, debGroupText, evalFormula, isRpmlibDep, rpmDepFormula, rpmDepText, ruleText, toCnf, type RuleInfo } from './rules.js';
import { RETRY, Sat, type Lit } from './sat.js';
import type { Problem, ProblemRule, SolvedPackage, SolveRequest, SolveResult } from './types.js';

/** One requires-like dependency of a package, for decisions. */
type Group = {
  /** Positive literals in policy order, grouped by alternative (deb `a | b`: one list per alternative). */
  alternatives: number[][];
  /** Literals (other than the package's own) that must be true for the group to bite: rich `if`. */
  conditions: number[];
  weak: boolean;
  /** deb: each alternative's package name (the real package is preferred over providers). */
  names?: string[];
};

/** A job: the candidates one request spec may be satisfied by, in policy order. */
type Job = { spec: string; candidates: number[] };

const MAX_PROBLEMS = 32;

/** deb Priority as apt's enum orders providers (research-apt §2): absent 0 first, then required ... extra. */
const DEB_PRIORITY: Record<string, number> = { required: 1, important: 2, standard: 3, optional: 4, extra: 5 };

/** Solves a request: the package set, or the problems (see SolveResult). */
export function solve(request: SolveRequest): SolveResult {
  const pool = new Pool(request);
  const problems: Problem[] = [];
  const { jobs, notFound } = makeJobs(pool, request);
  for (const nf of notFound) problems.push(nf);
  let active = jobs;
  const stats = { variables: 0, clauses: 0, decisions: 0, conflicts: 0 };
  for (;;) {
    const search = new Search(pool, request, active);
    const result = search.run();
    stats.variables = Math.max(stats.variables, search.sat.numVars);
    stats.clauses = Math.max(stats.clauses, search.sat.numClauses);
    stats.decisions += search.sat.stats.decisions;
    stats.conflicts += search.sat.stats.conflicts;
    if (result.sat) {
      const packages: SolvedPackage[] = result.installed.map((id) => {
        const s = pool.get(id);
        return { repo: s.repo.id, record: s.record };
      });
      return { packages: problems.length === 0 ? packages : [], problems, needFilelists: pool.missingFilelists, stats };
    }
    const problem = search.explain(result.core);
    problems.push(problem.problem);
    const drop = new Set(problem.jobs);
    if (drop.size === 0 || problems.length >= MAX_PROBLEMS) return { packages: [], problems, needFilelists: pool.missingFilelists, stats };
    active = active.filter((_, i) => !drop.has(i));
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs

function makeJobs(pool: Pool, request: SolveRequest): { jobs: Job[]; notFound: Problem[] } {
  const jobs: Job[] = [];
  const notFound: Problem[] = [];
  const missing = (spec: string, text: string): void => {
    const rule: ProblemRule = { kind: 'not-found', dep: spec, text };
    notFound.push({ text: `Problem: ${text}`, rules: [rule] });
  };
  if (request.policy === 'deb') {
    for (const spec of bootstrapSpecs(request)) {
      const c = pool.debCandidateOf(spec, pool.native);
      if (c !== 0) jobs.push({ spec, candidates: [c] });
    }
    for (const spec of request.install) {
      const m = /^([^:=]+)(?::([^=]+))?(?:=(.+))?$/.exec(spec);
      const name = m?.[1] ?? spec;
      const arch = m?.[2] ?? pool.native;
      if (m?.[3] !== undefined) pool.debPinned.set(name, m[3]);
      const c = pool.debCandidateOf(name, arch);
      if (c !== 0) {
        jobs.push({ spec, candidates: [c] });
        continue;
      }
      if (m?.[3] !== undefined && pool.allNamed(name).length > 0) {
        missing(spec, `Version '${m[3]}' for '${name}' was not found`);
        continue;
      }
      // A virtual name: apt installs its provider when there is exactly one (§5.4).
      const providers = pool.whatProvidesDeb({ name: m?.[2] === undefined ? name : `${name}:${arch}`, op: undefined, version: undefined }, undefined);
      if (providers.length === 1) jobs.push({ spec, candidates: [...providers] });
      else if (providers.length > 1) missing(spec, `Package ${name} is a virtual package provided by: ${providers.map((p) => pool.get(p).record.name).join(', ')}; select one to install`);
      else missing(spec, `Unable to locate package ${spec}`);
    }
    return { jobs, notFound };
  }
  for (const spec of request.install) {
    const found = findRpmCandidates(pool, spec);
    if (found.length === 0) {
      missing(spec, `No match for argument: ${spec}`);
      continue;
    }
    if (request.multilibPolicy === 'all') {
      const byArch = new Map<string, number[]>();
      for (const id of found) {
        const a = pool.get(id).record.arch;
        byArch.set(a, [...(byArch.get(a) ?? []), id]);
      }
      for (const ids of byArch.values()) jobs.push({ spec, candidates: ids });
    } else {
      jobs.push({ spec, candidates: found });
    }
  }
  return { jobs, notFound };
}

/** deb bootstrap jobs (§3.6, mmdebstrap variants): Essential, then Priority required, then apt. */
function bootstrapSpecs(request: SolveRequest): string[] {
  const v = request.bootstrap;
  if (v === undefined) return [];
  const names = new Set<string>();
  const add = (flag: 'essential' | 'required'): void => {
    const found: string[] = [];
    for (const repo of request.repos) for (const src of repo.sources) for (const i of src.flagged(flag)) found.push(src.record(i).name);
    for (const n of found.sort()) names.add(n);
  };
  add('essential');
  if (v === 'minbase' || v === 'buildd') add('required');
  if (v !== 'essential') names.add('apt');
  if (v === 'buildd') names.add('build-essential');
  return [...names];
}

/** rpm: what a request spec names, as dnf tries it: name, name.arch, NEVR forms, capability, path. */
function findRpmCandidates(pool: Pool, spec: string): number[] {
  const named = pool.allNamed(spec);
  if (named.length > 0) {
    // dnf (obsoletes=1) adds the packages obsoleting a requested name to its job (§2.6).
    const out = [...named];
    for (const o of pool.obsoleters(spec)) {
      const rec = pool.get(o).record as RpmPackageRecord;
      const hits = named.some((n) => rec.obsoletes.some((e) => e.name === spec && rpmDepOverlaps({ name: spec, flags: 0x08, evr: pool.get(n).evr }, e)));
      if (hits && !out.includes(o)) out.push(o);
    }
    return out;
  }
  const dot = spec.lastIndexOf('.');
  if (dot > 0) {
    const arch = spec.slice(dot + 1);
    const byArch = pool.allNamed(spec.slice(0, dot)).filter((id) => pool.get(id).record.arch === arch);
    if (byArch.length > 0) return byArch;
  }
  // name-[epoch:]version[-release][.arch]
  for (const withArch of [false, true]) {
    let body = spec;
    let arch: string | undefined;
    if (withArch) {
      if (dot <= 0) continue;
      body = spec.slice(0, dot);
      arch = spec.slice(dot + 1);
    }
    for (let i = body.lastIndexOf('-'); i > 0; i = body.lastIndexOf('-', i - 1)) {
      const name = body.slice(0, i);
      const rest = body.slice(i + 1);
      const hits = pool.allNamed(name).filter((id) => {
        const s = pool.get(id);
        const r = s.record as RpmPackageRecord;
        if (arch !== undefined && r.arch !== arch) return false;
        const vr = `${r.version}-${r.release}`;
        return rest === r.version || rest === vr || rest === s.evr || rest === `${r.epoch}:${vr}` || rest === `${r.epoch}:${r.version}`;
      });
      if (hits.length > 0) return hits;
    }
  }
  try {
    const dep = parseRpmDep(spec);
    return [...pool.whatProvidesRpm({ name: dep.name, flags: dep.flags, evr: dep.evr })];
  } catch {
    return [];
  }
}

/** deb: the package names of a group's alternatives, in order. */
function relationNames(expr: DebRelationExpr): string[] {
  return ('anyOf' in expr ? expr.anyOf : [expr]).map((r) => r.name);
}

// ---------------------------------------------------------------------------------------------
// Search

type RunResult = { sat: true; installed: number[] } | { sat: false; core: number[] };

class Search {
  readonly sat = new Sat();
  private readonly pool: Pool;
  private readonly request: SolveRequest;
  private readonly jobs: Job[];
  private readonly infos: RuleInfo[] = [];
  /** Per solvable: rules added (1). */
  private rulesAdded = new Uint8Array(64);
  /** Solvables in the order their rules were added (rpm rule order; deb bookkeeping). */
  private readonly expandOrder: number[] = [];
  private readonly groups = new Map<number, Group[]>();
  private readonly pairs = new Set<string>();
  private readonly installonly: Set<string>;
  /** rpm: names a job requested with an explicit arch (no infarch lock-step for them). */
  private readonly archJobNames = new Set<string>();
  /** Weak groups tried already (`pkg:index`), and supplementing packages tried. */
  private readonly weakTried = new Set<string>();
  private readonly supplementTried = new Set<number>();
  // deb depth-first marking state, rebuilt after a backjump.
  private stack: { id: number; next: number }[] = [];
  private visited = new Set<number>();
  /** deb: what apt has marked so far (groups are satisfied only by these). */
  private marked = new Set<number>();
  private rootCursor = 0;
  // rpm rule-order cursor over expandOrder.
  private scanPkg = 0;
  private lastLevel = 0;

  constructor(pool: Pool, request: SolveRequest, jobs: Job[]) {
    this.pool = pool;
    this.request = request;
    this.jobs = jobs;
    this.installonly = new Set(request.installonly ?? []);
    for (const job of jobs) {
      const first = job.candidates[0];
      if (first === undefined) continue;
      const r = pool.get(first).record;
      if (job.spec.endsWith(`.${r.arch}`) && job.candidates.every((c) => pool.get(c).record.arch === r.arch)) this.archJobNames.add(r.name);
    }
  }

  run(): RunResult {
    this.jobs.forEach((job, i) => {
      this.ensureVars();
      this.addRule(job.candidates, { kind: 'job', job: job.spec, dep: String(i) });
    });
    const result = this.sat.solve((sat) => this.decide(sat));
    if (!result.sat) return { sat: false, core: result.core };
    // The model must satisfy every clause with undecided packages left out (§5.3 step 4).
    const broken = this.sat.unsatisfiedClauses();
    if (broken.length > 0) {
      const info = this.infos[this.sat.clauseOrigin(broken[0] ?? 0)];
      throw new InternalError(`solver: ${broken.length} rules unsatisfied in the final assignment (first: ${info === undefined ? '?' : ruleText(this.pool, info)})`);
    }
    const model = this.sat.model();
    const installed: number[] = [];
    for (let v = 1; v < model.length; v++) if (model[v] === 1) installed.push(v);
    return { sat: true, installed };
  }

  private ensureVars(): void {
    while (this.sat.numVars < this.pool.size) this.sat.newVar();
  }

  private addRule(lits: readonly number[], info: RuleInfo): void {
    this.ensureVars();
    const origin = this.infos.length;
    this.infos.push(info);
    this.sat.addClause(lits, origin);
  }

  private addPair(a: number, b: number, info: RuleInfo): void {
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    if (this.pairs.has(key)) return;
    this.pairs.add(key);
    this.addRule([-a, -b], info);
  }

  // ---- rules of one package (§5.2 package rules) ----

  private addPackageRules(id: number): void {
    if (id >= this.rulesAdded.length) {
      const grown = new Uint8Array(Math.max(id + 1, this.rulesAdded.length * 2));
      grown.set(this.rulesAdded);
      this.rulesAdded = grown;
    }
    if (this.rulesAdded[id] === 1) return;
    this.rulesAdded[id] = 1;
    this.expandOrder.push(id);
    const s = this.pool.get(id);
    const groups: Group[] = [];
    if (s.record.kind === 'rpm') this.addRpmRules(s, s.record, groups);
    else this.addDebRules(s, s.record, groups);
    this.groups.set(id, groups);
  }

  private addRpmRules(s: Solvable, r: RpmPackageRecord, groups: Group[]): void {
    const pool = this.pool;
    for (const e of r.requires) {
      if (isRpmlibDep(e)) continue;
      const text = rpmDepText(e);
      const cnf = toCnf(rpmDepFormula(pool, e));
      for (const clause of cnf) {
        if (clause.includes(s.id)) continue; // satisfied by the package itself
        const positives = clause.filter((l) => l > 0);
        const conditions = clause.filter((l) => l < 0).map((l) => -l);
        if (clause.length === 0) {
          this.addRule([-s.id], { kind: 'nothing-provides', pkg: s.id, dep: text });
          continue;
        }
        this.addRule([-s.id, ...clause], { kind: 'requires', pkg: s.id, dep: text });
        groups.push({ alternatives: [positives], conditions, weak: false });
      }
    }
    for (const e of r.conflicts) {
      const text = rpmDepText(e);
      const f = rpmDepFormula(pool, e, 'conflicts');
      for (const clause of toCnf(f, true)) {
        // rpm ignores a package's conflict with its own provides (§2.1).
        if (clause.includes(-s.id)) continue;
        if (clause.length === 1 && clause[0] !== undefined && clause[0] < 0) this.addPair(s.id, -clause[0], { kind: 'conflicts', pkg: s.id, other: -clause[0], dep: text });
        else if (clause.length > 0) this.addRule([-s.id, ...clause], { kind: 'conflicts', pkg: s.id, dep: text });
      }
    }
    for (const e of r.obsoletes) {
      // Obsoletes match package names and versions, not provides (libsolv default, §2.1).
      for (const t of pool.allNamed(e.name)) {
        if (t === s.id) continue;
        const other = pool.get(t);
        if (rpmDepOverlaps({ name: e.name, flags: 0x08, evr: other.evr }, e)) this.addPair(s.id, t, { kind: 'obsoletes', pkg: s.id, other: t, dep: rpmDepText(e) });
      }
    }
    // One version per name; different arches of one name may share (multilib colors, §2.4);
    // install-only packages are exempt (§2.6).
    if (!this.isInstallonly(r)) {
      for (const t of pool.allNamed(r.name)) {
        if (t === s.id) continue;
        const o = pool.get(t).record as RpmPackageRecord;
        if (o.arch !== r.arch && o.arch !== 'noarch' && r.arch !== 'noarch') continue;
        this.addPair(s.id, t, { kind: 'same-name', pkg: s.id, other: t });
      }
    }
    // libsolv's infarch rule (§2.4): an inferior-arch package wants the best arch of its name
    // too. It is a policy rule libsolv drops when it cannot hold, so here it is a decision
    // group without a clause.
    const rank = pool.archRank(r.arch) ?? 0;
    // A job that names the arch (`foo.i686`) disables it for that name, as dnf's selectors do.
    if (r.arch !== 'noarch' && rank > 1 && !this.archJobNames.has(r.name)) {
      const better = pool.allNamed(r.name).filter((t) => {
        const a = pool.get(t).record.arch;
        return a !== 'noarch' && (pool.archRank(a) ?? 99) < rank;
      });
      const bestRank = Math.min(...better.map((t) => pool.archRank(pool.get(t).record.arch) ?? 99));
      const best = better.filter((t) => pool.archRank(pool.get(t).record.arch) === bestRank);
      if (best.length > 0) groups.push({ alternatives: [best], conditions: [], weak: false });
    }
    // Recommends steer choices even when weak deps are off (prune_to_recommended, §5.3).
    {
      for (const e of r.recommends) {
        if (isRpmlibDep(e)) continue;
        const cnf = toCnf(rpmDepFormula(pool, e));
        for (const clause of cnf) {
          if (clause.length === 0 || clause.includes(s.id)) continue;
          groups.push({ alternatives: [clause.filter((l) => l > 0)], conditions: clause.filter((l) => l < 0).map((l) => -l), weak: true });
        }
      }
    }
  }

  private isInstallonly(r: RpmPackageRecord): boolean {
    if (this.installonly.size === 0) return false;
    return this.installonly.has(r.name) || r.provides.some((p) => this.installonly.has(p.name));
  }

  private addDebRules(s: Solvable, r: DebPackageRecord, groups: Group[]): void {
    const pool = this.pool;
    const hard: DebRelationExpr[] = [...r.preDepends, ...r.depends];
    for (const expr of hard) {
      const alternatives = debGroupAlternatives(pool, expr, s);
      const flat = [...new Set(alternatives.flat())];
      const text = debGroupText(expr);
      if (flat.includes(s.id)) continue;
      if (flat.length === 0) {
        this.addRule([-s.id], { kind: 'nothing-provides', pkg: s.id, dep: text });
        continue;
      }
      this.addRule([-s.id, ...flat], { kind: 'requires', pkg: s.id, dep: text });
      groups.push({ alternatives, conditions: [], weak: false, names: relationNames(expr) });
    }
    if (this.request.weakDeps) {
      for (const expr of r.recommends) {
        const alternatives = debGroupAlternatives(pool, expr, s);
        if (alternatives.flat().includes(s.id)) continue;
        groups.push({ alternatives, conditions: [], weak: true, names: relationNames(expr) });
      }
    }
    for (const [field, kind] of [
      [r.conflicts, 'conflicts'],
      [r.breaks, 'breaks'],
    ] as const) {
      for (const rel of field) {
        for (const t of pool.whatProvidesDeb(rel, s, true)) {
          // A package never conflicts with itself (the MTA idiom, §3.3).
          if (t === s.id) continue;
          this.addPair(s.id, t, { kind, pkg: s.id, other: t, dep: debGroupText(rel) });
        }
      }
    }
    // One version of a name; across arches only as Multi-Arch: same at one version (§3.5).
    for (const t of pool.allNamed(r.name)) {
      if (t === s.id) continue;
      const o = pool.get(t);
      if (!pool.isDebCandidate(o)) continue;
      const orec = o.record as DebPackageRecord;
      if (o.effArch !== s.effArch && r.multiArch === 'same' && orec.multiArch === 'same') {
        if (compareDebianVersions(orec.version, r.version) !== 0) this.addPair(s.id, t, { kind: 'multi-arch-same', pkg: s.id, other: t });
        continue;
      }
      this.addPair(s.id, t, { kind: 'same-name', pkg: s.id, other: t });
    }
  }

  // ---- decisions ----

  private decide(sat: Sat): Lit | typeof RETRY {
    // Rules for packages that became true since the last call (lazy rule generation).
    const from = sat.stableTrailPrefix();
    // A backjump (the decision level dropped, after a conflict or because a clause added below
    // was unit at a lower level) invalidates the walk; a clause that is unit at the current
    // level merely re-propagates it.
    const level = sat.decisionLevel;
    if (level < this.lastLevel) this.onBackjump();
    this.lastLevel = level;
    let added = false;
    for (let i = from; i < sat.trailLength; i++) {
      const l = sat.trailLit(i);
      if (l > 0 && (l >= this.rulesAdded.length || this.rulesAdded[l] !== 1)) {
        this.addPackageRules(l);
        added = true;
        if (sat.trailLength <= i) break; // the new clauses moved the search back
      }
    }
    if (sat.decisionLevel < level) {
      this.onBackjump();
      this.lastLevel = sat.decisionLevel;
    }
    if (added) return RETRY;

    const job = this.decideJobs();
    if (job !== 0) return job;
    // apt takes Recommends in the same walk as Depends; libsolv in a pass after all hard rules.
    if (this.pool.policy === 'deb') return this.decideDebDepthFirst(this.request.weakDeps);
    const hard = this.decideInRuleOrder(false);
    if (hard !== 0) return hard;
    // Safety net: a package undone and made true again behind the scan cursor.
    const swept = this.sweep();
    if (swept !== 0) return swept;
    if (this.request.weakDeps) {
      const weak = this.decideInRuleOrder(true);
      if (weak !== 0) return weak;
      const sup = this.decideSupplements();
      if (sup !== 0) return sup;
    }
    return 0;
  }

  private onBackjump(): void {
    this.stack = [];
    this.visited = new Set();
    this.marked = new Set();
    // The walk restarts from the jobs: weak groups it passes again are tried again (a pick
    // that failed is now ruled out by a learnt clause, so this cannot loop).
    if (this.pool.policy === 'deb') this.weakTried.clear();
    this.rootCursor = 0;
    this.scanPkg = 0;
  }

  private val(id: number): number {
    return id <= this.sat.numVars ? this.sat.value(id) : 0;
  }

  private decideJobs(): Lit {
    for (const job of this.jobs) {
      if (job.candidates.some((c) => this.val(c) === 1)) continue;
      const pick = this.choose([job.candidates]);
      if (pick !== 0) return pick;
    }
    return 0;
  }

  /** Whether a group is satisfied, or does not bite (a rich `if` condition is not true). */
  private groupDone(g: Group): boolean {
    if (g.conditions.some((c) => this.val(c) !== 1)) return true;
    return g.alternatives.some((alt) => alt.some((c) => this.val(c) === 1));
  }

  /**
   * apt's MarkInstall (§5.4; research-apt §1, §8): the requested packages are marked first, then
   * walked depth-first in request order; for each package its groups in list order
   * (Pre-Depends, Depends, then Recommends when enabled). A group counts as satisfied only by a
   * package apt has *marked* by then (not by one the SAT propagation already implied, which apt
   * would only reach later); otherwise its first possible solution is marked and walked at once.
   */
  private decideDebDepthFirst(weak: boolean): Lit {
    if (this.rootCursor === 0 && this.stack.length === 0) {
      for (const job of this.jobs) {
        const chosen = job.candidates.find((c) => this.val(c) === 1);
        if (chosen !== undefined) this.marked.add(chosen);
      }
    }
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        const job = this.jobs[this.rootCursor];
        if (job === undefined) return this.sweep();
        const chosen = job.candidates.find((c) => this.val(c) === 1);
        if (chosen !== undefined && !this.visited.has(chosen)) {
          this.visited.add(chosen);
          this.stack.push({ id: chosen, next: 0 });
        }
        this.rootCursor++;
        continue;
      }
      if (this.val(top.id) !== 1) {
        this.stack.pop();
        continue;
      }
      const groups = this.groups.get(top.id) ?? [];
      const g = groups[top.next];
      if (g === undefined) {
        this.stack.pop();
        continue;
      }
      top.next++;
      if (g.weak && !weak) continue;
      if (g.alternatives.some((alt) => alt.some((c) => this.marked.has(c) && this.val(c) === 1))) continue;
      if (g.weak) {
        const key = `${top.id}:${top.next - 1}`;
        if (this.weakTried.has(key)) continue;
        this.weakTried.add(key);
      }
      const pick = this.chooseDeb(g.alternatives, g.names, true);
      if (pick === 0) continue; // a weak group nobody can satisfy (a hard one is a conflict the engine handles)
      this.marked.add(pick);
      if (!this.visited.has(pick)) {
        this.visited.add(pick);
        this.stack.push({ id: pick, next: 0 });
      }
      if (this.val(pick) === 0) return pick;
    }
  }

  /**
   * libsolv-like (§5.3): the first group, in rule-creation order, that is not satisfied gets a
   * decision by policy; `weak` does the same for Recommends, each group tried once.
   */
  private decideInRuleOrder(weak: boolean): Lit {
    const start = weak ? 0 : this.scanPkg;
    for (let k = start; k < this.expandOrder.length; k++) {
      const id = this.expandOrder[k] ?? 0;
      if (this.val(id) !== 1) continue;
      const groups = this.groups.get(id) ?? [];
      for (let gi = 0; gi < groups.length; gi++) {
        const g = groups[gi];
        if (g === undefined || g.weak !== weak || this.groupDone(g)) continue;
        if (weak) {
          const key = `${id}:${gi}`;
          if (this.weakTried.has(key)) continue;
          this.weakTried.add(key);
        }
        const pick = this.choose(g.alternatives);
        if (pick !== 0) {
          if (!weak) this.scanPkg = k;
          return pick;
        }
      }
      if (!weak) this.scanPkg = k;
    }
    return 0;
  }

  /** After the ordered walk: any hard group still open, in rule order (a safety net after backjumps). */
  private sweep(): Lit {
    for (const id of this.expandOrder) {
      if (this.val(id) !== 1) continue;
      for (const g of this.groups.get(id) ?? []) {
        if (g.weak || this.groupDone(g)) continue;
        const pick = this.choose(g.alternatives, g.names);
        if (pick !== 0) return pick;
      }
    }
    return 0;
  }

  /** rpm Supplements (§2.1): a package whose Supplements hold for the current set is tried once. */
  private decideSupplements(): Lit {
    const pool = this.pool;
    for (const [r, repo] of this.request.repos.entries()) {
      for (const [si, src] of repo.sources.entries()) {
        for (const i of src.flagged('supplements')) {
          const id = pool.solvableAt(r, si, i);
          if (id === 0) continue;
          const rec = pool.get(id).record as RpmPackageRecord;
          if (this.supplementTried.has(id) || this.val(id) !== 0) continue;
          // rpmDepFormula reads plain and rich entries alike.
          if (!rec.supplements.some((e) => evalFormula(rpmDepFormula(pool, e), (p) => this.val(p) === 1))) continue;
          this.supplementTried.add(id);
          this.ensureVars();
          // Only the best version of a name is offered (libsolv prunes candidates the same way).
          const pick = this.choose([pool.allNamed(rec.name).filter((c) => this.val(c) === 0)]);
          if (pick !== 0) return pick;
        }
      }
    }
    return 0;
  }

  // ---- policy: which candidate ----

  /** The literal to decide for a group: the policy's first still-possible candidate, or 0. */
  private choose(alternatives: readonly (readonly number[])[], names?: readonly string[]): Lit {
    this.ensureVars();
    if (this.pool.policy === 'deb') return this.chooseDeb(alternatives, names, false);
    const open = [...new Set(alternatives.flat())].filter((c) => this.val(c) === 0);
    return this.rankRpm(open)[0] ?? 0;
  }

  /**
   * apt's possible solutions of a group (research-apt §2): alternatives in textual order, each
   * alternative's candidates in CompareProviders order; the first one not already ruled out.
   * `orTrue` also accepts a candidate the propagation made true (it is simply marked then).
   */
  private chooseDeb(alternatives: readonly (readonly number[])[], names: readonly string[] | undefined, orTrue: boolean): Lit {
    this.ensureVars();
    for (const [k, alt] of alternatives.entries()) {
      const open = alt.filter((c) => this.val(c) === 0 || (orTrue && this.val(c) === 1));
      if (open.length === 0) continue;
      return this.rankDebProviders(open, names?.[k]?.split(':')[0] ?? '')[0] ?? 0;
    }
    return 0;
  }

  /**
   * apt's CompareProviders for the candidates of one alternative `name` (research-apt §2): the
   * real package `name` first, then Essential, Important (Protected), native arch, stronger
   * Priority (an absent one first), and last the package apt created later.
   */
  private rankDebProviders(ids: number[], name: string): number[] {
    const pool = this.pool;
    if (ids.length < 2) return ids;
    const key = (id: number): number[] => {
      const s = pool.get(id);
      const r = s.record as DebPackageRecord;
      return [r.name === name ? 0 : 1, r.essential ? 0 : 1, r.protected === true ? 0 : 1, s.effArch === pool.native ? 0 : 1, DEB_PRIORITY[r.priority ?? ''] ?? 0, -s.order];
    };
    return [...ids].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] ?? 0) - (kb[i] ?? 0);
      return a - b;
    });
  }

  /**
   * libsolv's policy_filter_unwanted for rpm (§5.3): best repo priority (dnf: lowest number),
   * best arch (noarch kept), best version per name (then lower cost, earlier repo), then name
   * order (strcmp).
   */
  private rankRpm(ids: number[]): number[] {
    const pool = this.pool;
    if (ids.length < 2) return ids;
    const sol = ids.map((id) => pool.get(id));
    const bestPrio = Math.min(...sol.map((s) => s.repo.priority));
    let c = sol.filter((s) => s.repo.priority === bestPrio);
    const ranks = c.filter((s) => s.record.arch !== 'noarch').map((s) => pool.archRank(s.record.arch) ?? 99);
    if (ranks.length > 0) {
      const bestArch = Math.min(...ranks);
      c = c.filter((s) => s.record.arch === 'noarch' || pool.archRank(s.record.arch) === bestArch);
    }
    const bestOfName = new Map<string, Solvable>();
    for (const s of c) {
      const cur = bestOfName.get(s.record.name);
      if (cur === undefined) {
        bestOfName.set(s.record.name, s);
        continue;
      }
      const v = pool.compareEvr(s, cur);
      if (v > 0 || (v === 0 && (s.repo.cost < cur.repo.cost || (s.repo.cost === cur.repo.cost && s.repoOrder < cur.repoOrder)))) bestOfName.set(s.record.name, s);
    }
    const best = [...bestOfName.values()];
    // Drop candidates another candidate obsoletes (libsolv prune_obsoleted).
    let kept = best.filter((s) => !best.some((o) => o !== s && (o.record as RpmPackageRecord).obsoletes.some((e) => e.name === s.record.name && rpmDepOverlaps({ name: s.record.name, flags: 0x08, evr: s.evr }, e))));
    if (kept.length === 0) kept = best;
    // prune_to_recommended: prefer candidates a decided package recommends (even with weak deps off).
    if (kept.length > 1) {
      const recommended = this.recommendedSet();
      const rec = kept.filter((s) => recommended.has(s.id));
      if (rec.length > 0) kept = rec;
    }
    const list = kept.sort((a, b) => (a.record.name < b.record.name ? -1 : a.record.name > b.record.name ? 1 : (pool.archRank(a.record.arch) ?? 99) - (pool.archRank(b.record.arch) ?? 99) || a.id - b.id));
    return list.map((s) => s.id);
  }

  /** Providers of the Recommends of every installed package (libsolv's recommendsmap). */
  private recommendedSet(): Set<number> {
    const out = new Set<number>();
    for (const id of this.expandOrder) {
      if (this.val(id) !== 1) continue;
      for (const g of this.groups.get(id) ?? []) if (g.weak) for (const alt of g.alternatives) for (const c of alt) out.add(c);
    }
    return out;
  }

  // ---- problems ----

  /** Turns an UNSAT proof into a problem; `jobs` are the job indices the proof involves. */
  explain(core: number[]): { problem: Problem; jobs: number[] } {
    const pool = this.pool;
    const infos = core.map((o) => this.infos[o]).filter((i): i is RuleInfo => i !== undefined && i.kind !== 'weak');
    const jobs = infos.filter((i) => i.kind === 'job').map((i) => Number(i.dep));
    const rules: ProblemRule[] = [];
    const seen = new Set<string>();
    const ordered = [...infos.filter((i) => i.kind === 'job'), ...infos.filter((i) => i.kind !== 'job')];
    for (const info of ordered) {
      const rule: ProblemRule = { kind: info.kind === 'weak' ? 'requires' : info.kind, text: ruleText(pool, info) };
      if (info.kind === 'job') rule.dep = info.job ?? '';
      else if (info.dep !== undefined) rule.dep = info.dep;
      if (info.pkg !== undefined) rule.package = describePackage(pool.get(info.pkg));
      if (info.other !== undefined) rule.other = describePackage(pool.get(info.other));
      const key = `${rule.kind}\0${rule.text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
    const body = rules.filter((r) => r.kind !== 'job');
    const headline = body.length === 1 && jobs.length === 1 ? (body[0]?.text ?? 'conflicting requests') : jobs.length > 1 ? 'conflicting requests' : (body.find((r) => r.kind === 'requires')?.text ?? body[0]?.text ?? 'conflicting requests');
    const requested = jobs.map((j) => this.jobs[j]?.spec ?? '?');
    const text = [`Problem: ${headline}`, ...(requested.length > 0 ? [`  - requested: ${requested.join(', ')}`] : []), ...body.map((r) => `  - ${r.text}`)].join('\n');
    return { problem: { text, rules }, jobs };
  }
}
