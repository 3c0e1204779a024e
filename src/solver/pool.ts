// The solver's universe (depsolve.md §5.1): package records from every repo, interned on first
// touch as solvables numbered 1..n (the SAT variables), with dependency matching for both
// ecosystems: rpm ranges (§1.2, §2.2) and file provides (§2.5); Debian relations with single
// candidate versions (§3.4, §5.4), versioned Provides (§3.3) and Multi-Arch (§3.5).
import { compareDebianVersions, compareRpmVersions, rpmDepOverlaps, type DebPackageRecord, type DebRelation, type PackageRecord, type RpmDepRange, type RpmPackageRecord } from '../pkg/index.js';
import type { PoolRepo, SolveRequest } from './types.js';

/** One interned package version. */
export type Solvable = {
  /** 1-based; also the SAT variable. */
  readonly id: number;
  readonly repo: PoolRepo;
  /** Position of the repo in the request (rpm: tie-break after priority and cost). */
  readonly repoOrder: number;
  readonly record: PackageRecord;
  /** rpm `[E:]V-R`, deb Version. */
  readonly evr: string;
  /** deb: arch with `all` read as native (§3.5); rpm: the arch. */
  readonly effArch: string;
  /** deb: apt's package id rank (repo order, then the source's order); rpm: file order. */
  readonly order: number;
};

/** rpm arch compatibility, best first (libsolv poolarch.c); noarch is always accepted. */
const RPM_ARCHES: Record<string, string[]> = {
  x86_64: ['x86_64', 'i686', 'i586', 'i486', 'i386', 'athlon'],
  i686: ['i686', 'i586', 'i486', 'i386', 'athlon'],
  aarch64: ['aarch64'],
  ppc64le: ['ppc64le'],
  s390x: ['s390x'],
  armv7hl: ['armv7hl', 'armv7hnl'],
  riscv64: ['riscv64'],
};

/** rpm `[E:]V-R` of a record, epoch left out when 0 (as dnf prints it). */
export function rpmEvr(r: RpmPackageRecord): string {
  return `${r.epoch > 0 ? `${r.epoch}:` : ''}${r.version}-${r.release}`;
}

/** How dnf/apt name a package in messages: rpm NEVRA, deb `name=version:arch` (interfaces). */
export function describePackage(s: Solvable): string {
  const r = s.record;
  return r.kind === 'rpm' ? `${r.name}-${s.evr}.${r.arch}` : `${r.name}=${r.version}:${r.arch}`;
}

/** Whether a Debian relation's version constraint accepts `version`. */
export function debVersionMatches(op: DebRelation['op'], want: string | undefined, version: string): boolean {
  if (op === undefined || want === undefined) return true;
  const c = compareDebianVersions(version, want);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
  }
}

/** A Debian relation as apt prints it: `name (op version)`, `<`/`>` as `<<`/`>>`. */
export function formatDebRelation(r: DebRelation): string {
  if (r.op === undefined || r.version === undefined) return r.name;
  const op = r.op === '<' ? '<<' : r.op === '>' ? '>>' : r.op;
  return `${r.name} (${op} ${r.version})`;
}

/** The pool: interning, arch policy, candidates and "what provides". */
export class Pool {
  readonly request: SolveRequest;
  readonly policy: 'rpm' | 'deb';
  readonly native: string;
  /** rpm arch → score (lower is better); deb: accepted architectures. */
  private readonly archScore = new Map<string, number>();
  private readonly solvables: Solvable[] = [];
  private readonly ids = new Map<string, number>();
  private readonly providesCache = new Map<string, readonly number[]>();
  private readonly namedCache = new Map<string, readonly number[]>();
  /** deb: the single candidate of each name + arch (apt's policy), by `name:arch`. */
  private readonly debCandidate = new Map<string, number>();
  /** deb: versions pinned by the request (`name=version`). */
  readonly debPinned = new Map<string, string>();
  /** Names the request excludes: invisible, as dnf's `excludepkgs` makes them. */
  private readonly excluded: ReadonlySet<string>;
  /** rpm: file paths outside primary that nobody's Provides answered, per repo id. */
  readonly missingFilelists = new Map<string, Set<string>>();

  constructor(request: SolveRequest) {
    this.request = request;
    this.policy = request.policy;
    this.native = request.arch;
    this.excluded = new Set(request.exclude ?? []);
    if (request.policy === 'rpm') {
      const list = RPM_ARCHES[request.arch] ?? [request.arch];
      list.forEach((a, i) => this.archScore.set(a, i + 1));
      this.archScore.set('noarch', 0);
    } else {
      this.archScore.set(request.arch, 1);
      this.archScore.set('all', 1);
      (request.foreignArchs ?? []).forEach((a, i) => {
        if (!this.archScore.has(a)) this.archScore.set(a, i + 2);
      });
    }
  }

  /** Number of solvables interned so far (the highest SAT variable in use). */
  get size(): number {
    return this.solvables.length;
  }

  /** Solvable `id` (1-based). */
  get(id: number): Solvable {
    const s = this.solvables[id - 1];
    if (s === undefined) throw new RangeError(`no solvable ${id}`);
    return s;
  }

  /** rpm arch score (lower is better, noarch 0), or undefined when the arch cannot be installed. */
  archRank(arch: string): number | undefined {
    return this.archScore.get(arch);
  }

  /** The solvable of record `i` of a repo's source, interning it; 0 when it cannot be installed. */
  solvableAt(repoOrder: number, source: number, i: number): number {
    return this.intern(repoOrder, source, i);
  }

  private intern(repoOrder: number, source: number, i: number): number {
    const key = `${repoOrder}:${source}:${i}`;
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const repo = this.request.repos[repoOrder];
    const src = repo?.sources[source];
    if (repo === undefined || src === undefined) return 0;
    const record = src.record(i);
    if (this.excluded.has(record.name) || !this.archScore.has(record.arch) || (record.kind === 'rpm' && (record.arch === 'src' || record.arch === 'nosrc'))) {
      this.ids.set(key, 0);
      return 0;
    }
    const id = this.solvables.length + 1;
    const evr = record.kind === 'rpm' ? rpmEvr(record) : record.version;
    const effArch = record.kind === 'deb' && record.arch === 'all' ? this.native : record.arch;
    // Ranks from different sources are kept apart (sources are read in config order, as apt does).
    const order = (repoOrder * 64 + source) * 0x1000000 + src.order(i);
    this.solvables.push({ id, repo, repoOrder, record, evr, effArch, order });
    this.ids.set(key, id);
    return id;
  }

  /** Every installable version of packages named `name`, in repo order (all versions, all arches). */
  allNamed(name: string): readonly number[] {
    let out = this.namedCache.get(name);
    if (out === undefined) {
      const list: number[] = [];
      this.request.repos.forEach((repo, r) => {
        repo.sources.forEach((src, s) => {
          for (const i of src.named(name)) {
            const id = this.intern(r, s, i);
            if (id !== 0) list.push(id);
          }
        });
      });
      out = list;
      this.namedCache.set(name, out);
    }
    return out;
  }

  /** rpm: installable packages whose Obsoletes name `name` (any version range). */
  obsoleters(name: string): number[] {
    const list: number[] = [];
    this.request.repos.forEach((repo, r) => {
      repo.sources.forEach((src, s) => {
        for (const i of src.obsoleting(name)) {
          const id = this.intern(r, s, i);
          if (id !== 0) list.push(id);
        }
      });
    });
    return list;
  }

  private allProviding(name: string): number[] {
    const list: number[] = [];
    this.request.repos.forEach((repo, r) => {
      repo.sources.forEach((src, s) => {
        for (const i of src.providing(name)) {
          const id = this.intern(r, s, i);
          if (id !== 0) list.push(id);
        }
      });
      const files = repo.fileProviders?.get(name);
      if (files !== undefined) {
        for (const i of files) {
          const id = this.intern(r, 0, i);
          if (id !== 0 && !list.includes(id)) list.push(id);
        }
      }
    });
    return list;
  }

  // ---- rpm ----

  /** rpm: the packages whose Provides (or files) satisfy `dep` (depsolve.md §2.2). */
  whatProvidesRpm(dep: RpmDepRange): readonly number[] {
    const key = `${dep.name}\0${dep.flags & 0x0e}\0${dep.evr}`;
    let out = this.providesCache.get(key);
    if (out !== undefined) return out;
    const found = new Set<number>();
    if (dep.name.startsWith('/')) {
      for (const id of this.allProviding(dep.name)) found.add(id);
      if (!isPrimaryPath(dep.name)) {
        for (const repo of this.request.repos) {
          if (repo.fileProviders?.has(dep.name) !== true) {
            let set = this.missingFilelists.get(repo.id);
            if (set === undefined) this.missingFilelists.set(repo.id, (set = new Set()));
            set.add(dep.name);
          }
        }
      }
    } else {
      for (const id of this.allProviding(dep.name)) {
        const r = this.get(id).record as RpmPackageRecord;
        if (r.provides.some((p) => p.name === dep.name && rpmDepOverlaps(p, dep))) found.add(id);
      }
      // libsolv adds `N = EVR` to packages that lack it (depsolve.md §2.2).
      for (const id of this.allNamed(dep.name)) {
        const s = this.get(id);
        const r = s.record as RpmPackageRecord;
        if (!r.provides.some((p) => p.name === r.name) && rpmDepOverlaps({ name: r.name, flags: 0x08, evr: s.evr }, dep)) found.add(id);
      }
    }
    out = [...found].sort((a, b) => a - b);
    this.providesCache.set(key, out);
    return out;
  }

  /** rpm: compare two solvables' EVRs. */
  compareEvr(a: Solvable, b: Solvable): number {
    if (a.record.kind === 'rpm' && b.record.kind === 'rpm') return compareRpmVersions(a.evr, b.evr);
    return compareDebianVersions(a.evr, b.evr);
  }

  // ---- deb ----

  /**
   * deb: apt's candidate for `name` on `arch` (§5.4): the version with the highest pin
   * priority, then the highest version; `name=version` in the request overrides. 0 when none.
   */
  debCandidateOf(name: string, arch: string): number {
    const key = `${name}:${arch}`;
    const known = this.debCandidate.get(key);
    if (known !== undefined) return known;
    const pinned = this.debPinned.get(name);
    let best: Solvable | undefined;
    for (const id of this.allNamed(name)) {
      const s = this.get(id);
      if (s.effArch !== arch && !(s.record.arch === 'all' && arch === this.native)) continue;
      if (pinned !== undefined) {
        if (compareDebianVersions(s.evr, pinned) === 0 && best === undefined) best = s;
        continue;
      }
      if (best === undefined || s.repo.priority > best.repo.priority || (s.repo.priority === best.repo.priority && compareDebianVersions(s.evr, best.evr) > 0)) best = s;
    }
    const id = best?.id ?? 0;
    this.debCandidate.set(key, id);
    return id;
  }

  /** deb: the architectures a name exists for (native first), for candidates across arches. */
  debArchesOf(name: string): string[] {
    const arches = new Set<string>();
    for (const id of this.allNamed(name)) arches.add(this.get(id).effArch);
    return [...arches].sort((a, b) => (this.archScore.get(a) ?? 99) - (this.archScore.get(b) ?? 99) || (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Whether `s` is its name's candidate (apt never installs another version unless asked). */
  isDebCandidate(s: Solvable): boolean {
    return this.debCandidateOf(s.record.name, s.effArch) === s.id;
  }

  /**
   * deb: the candidates satisfying relation `rel` declared by `from` (§3.3, §3.5): the real
   * package `name` and the providers of `name`, each only as its candidate version, subject to
   * the architecture qualifier and Multi-Arch. `forConflict` uses the Conflicts/Breaks reading
   * (`:any` matches every arch; a package never conflicts with itself is the caller's job).
   * Real packages come first, then providers; each group by id.
   */
  whatProvidesDeb(rel: DebRelation, from: Solvable | undefined, forConflict = false): readonly number[] {
    const colon = rel.name.indexOf(':');
    const name = colon < 0 ? rel.name : rel.name.slice(0, colon);
    const qualifier = colon < 0 ? undefined : rel.name.slice(colon + 1);
    const fromArch = from?.effArch ?? this.native;
    const key = `${rel.name}\0${rel.op ?? ''}\0${rel.version ?? ''}\0${fromArch}\0${forConflict ? 1 : 0}`;
    let out = this.providesCache.get(key);
    if (out !== undefined) return out;
    const archOk = (q: Solvable): boolean => {
      const ma = (q.record as DebPackageRecord).multiArch;
      // dpkg deparchsatisfied: no qualifier means the depender's own arch, unless Q is M-A foreign.
      if (qualifier === undefined) return q.effArch === fromArch || ma === 'foreign';
      if (qualifier === 'any') return forConflict || ma === 'allowed';
      if (qualifier === 'native') return q.effArch === this.native;
      return q.effArch === qualifier;
    };
    const real: number[] = [];
    for (const arch of this.debArchesOf(name)) {
      const c = this.debCandidateOf(name, arch);
      if (c === 0) continue;
      const q = this.get(c);
      if (archOk(q) && debVersionMatches(rel.op, rel.version, q.evr)) real.push(c);
    }
    const providers: number[] = [];
    for (const id of this.allProviding(name)) {
      const q = this.get(id);
      if (!this.isDebCandidate(q) || real.includes(id)) continue;
      // A provide inherits its provider's Multi-Arch: foreign (§3.5); `:any` needs M-A allowed.
      if (!archOk(q)) continue;
      const rec = q.record as DebPackageRecord;
      const ok = rec.provides.some((p) => {
        if (p.name !== name) return false;
        // An unversioned Provides never satisfies a versioned relation (§3.3).
        if (rel.op === undefined) return true;
        if (p.op !== '=' || p.version === undefined) return false;
        return debVersionMatches(rel.op, rel.version, p.version);
      });
      if (ok && !providers.includes(id)) providers.push(id);
    }
    providers.sort((a, b) => a - b);
    out = [...real, ...providers];
    this.providesCache.set(key, out);
    return out;
  }
}

/**
 * Whether createrepo_c lists `path` in primary.xml (depsolve.md §2.5): under /etc/, containing
 * `bin/`, or /usr/lib/sendmail. Other paths need filelists.xml.
 */
export function isPrimaryPath(path: string): boolean {
  return path.startsWith('/etc/') || path.includes('bin/') || path === '/usr/lib/sendmail';
}
