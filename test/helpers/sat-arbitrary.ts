// Random small CNFs and an independent brute-force checker, for tests of the SAT engine and of
// anything built on it (src/solver).
import fc from 'fast-check';

/** A CNF: `nVars` variables (1..nVars) and clauses as signed-literal arrays. */
export type Cnf = { nVars: number; clauses: number[][] };

/** Random CNFs with 1..maxVars variables and up to maxClauses clauses of 0..maxLen literals (duplicates and tautologies included). */
export function cnfArbitrary(opts: { maxVars?: number; maxClauses?: number; maxLen?: number; allowEmpty?: boolean } = {}): fc.Arbitrary<Cnf> {
  const maxVars = opts.maxVars ?? 12;
  const maxLen = opts.maxLen ?? 4;
  const minLen = opts.allowEmpty === true ? 0 : 1;
  return fc.integer({ min: 1, max: maxVars }).chain((nVars) => {
    const lit = fc.tuple(fc.integer({ min: 1, max: nVars }), fc.boolean()).map(([v, neg]) => (neg ? -v : v));
    const clause = fc.array(lit, { minLength: minLen, maxLength: maxLen });
    return fc.array(clause, { maxLength: opts.maxClauses ?? 40 }).map((clauses) => ({ nVars, clauses }));
  });
}

/** Whether the assignment (index v -> true) satisfies the clause. */
export function satisfies(assignment: readonly boolean[], clause: readonly number[]): boolean {
  return clause.some((l) => (l > 0 ? assignment[l] === true : assignment[-l] === false));
}

/** A satisfying assignment (index v -> value, index 0 unused) by enumeration, or null; for nVars <= 20. */
export function bruteForce(nVars: number, clauses: readonly (readonly number[])[]): boolean[] | null {
  if (nVars > 20) throw new Error('bruteForce: too many variables');
  const a = new Array<boolean>(nVars + 1).fill(false);
  for (let bits = 0; bits < 1 << nVars; bits++) {
    for (let v = 1; v <= nVars; v++) a[v] = ((bits >> (v - 1)) & 1) === 1;
    if (clauses.every((c) => satisfies(a, c))) return [...a];
  }
  return null;
}
