// The depsolver (issue 4; depsolve.md §5-6): a pure CDCL engine with rpm (dnf/libsolv) and deb
// (apt) decision policies over package records.
export { solve } from './solve.js';
export { verifySolution, type Violation } from './verify.js';
export type { BootstrapVariant, PackageSource, PoolRepo, Problem, ProblemRule, SolvedPackage, SolveRequest, SolveResult, SolverPolicy } from './types.js';
