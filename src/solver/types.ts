// The solver's inputs and outputs. The solver is pure: it sees package records through
// PackageSource (which the metadata cache's PackageIndex satisfies) and never fetches anything.
import type { PackageRecord } from '../pkg/index.js';

/** One repository's packages, as the solver reads them (lazy: records decode on demand). */
export type PackageSource = {
  readonly size: number;
  record(i: number): PackageRecord;
  /** Packages whose name is `name`. */
  named(name: string): readonly number[];
  /** Packages providing capability `name` (rpm: also the primary file paths). */
  providing(name: string): readonly number[];
  /** rpm: packages whose Obsoletes name `name` (dnf adds them to a name request, §2.6); deb: none. */
  obsoleting(name: string): readonly number[];
  /** deb bootstrap sets (Essential: yes, Priority: ...); rpm: packages with Supplements. */
  flagged(flag: 'essential' | 'required' | 'important' | 'standard' | 'supplements'): readonly number[];
  names(): readonly string[];
  /** deb: apt's package-id rank of record i's name (provider tie-break); rpm: i. */
  order(i: number): number;
};

/** A repository in the pool, with its policy weights. */
export type PoolRepo = {
  id: string;
  /** rpm: dnf priority (lower wins, default 99); deb: apt pin priority (higher wins, default 500). */
  priority: number;
  /** rpm: dnf cost (lower wins among equal packages, default 1000); deb: unused. */
  cost: number;
  sources: readonly PackageSource[];
  /**
   * rpm: providers of file paths outside primary's subset (from filelists.xml), by path, as
   * indices into sources[0]. The caller loads them for the paths `solve` reports in
   * `needFilelists`, then solves again.
   */
  fileProviders?: ReadonlyMap<string, readonly number[]>;
};

/** Which resolver's behaviour to reproduce (depsolve.md §5.3 vs §5.4). */
export type SolverPolicy = 'rpm' | 'deb';

/** deb bootstrap variants, as mmdebstrap's (depsolve.md §3.6). */
export type BootstrapVariant = 'essential' | 'apt' | 'minbase' | 'buildd';

/** What to solve. */
export type SolveRequest = {
  policy: SolverPolicy;
  /** Native architecture (rpm `x86_64`, deb `amd64`). */
  arch: string;
  /** deb: foreign architectures allowed (dpkg --add-architecture). */
  foreignArchs?: readonly string[];
  repos: readonly PoolRepo[];
  /** Package specs in request order: rpm `name`, `name-ver[-rel]`, `name.arch`, a capability or a path; deb `name`, `name=version`, `name:arch`. */
  install: readonly string[];
  /** Names that must not be installed (treefile `exclude-packages`). */
  exclude?: readonly string[];
  /** Install Recommends (and rpm Supplements): dnf install_weak_deps / apt Install-Recommends. */
  weakDeps: boolean;
  /** deb only. */
  bootstrap?: BootstrapVariant;
  /** rpm: names and capabilities that are install-only (several versions side by side). */
  installonly?: readonly string[];
  /** rpm: dnf multilib_policy. */
  multilibPolicy?: 'best' | 'all';
};

/** A package of the answer: which repo and which record. */
export type SolvedPackage = { repo: string; record: PackageRecord };

/** One rule of a problem's proof, in dnf's/apt's words (interfaces: ProblemRule). */
export type ProblemRule = {
  kind: 'job' | 'not-found' | 'nothing-provides' | 'requires' | 'conflicts' | 'obsoletes' | 'same-name' | 'breaks' | 'multi-arch-same' | 'excluded';
  package?: string;
  dep?: string;
  other?: string;
  text: string;
};

/** Why (part of) the request cannot be satisfied. */
export type Problem = { text: string; rules: ProblemRule[] };

/** The answer: the package set, or the problems; `needFilelists` asks the caller for file providers first. */
export type SolveResult = {
  packages: SolvedPackage[];
  problems: Problem[];
  /** rpm: file paths required but outside primary's subset, per repo id; resolve them and solve again. */
  needFilelists: ReadonlyMap<string, ReadonlySet<string>>;
  stats: { variables: number; clauses: number; decisions: number; conflicts: number };
};
