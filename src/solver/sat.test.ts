import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../core/index.js';
import { RETRY, Sat, type Decider, type Lit } from './sat.js';
import { bruteForce, cnfArbitrary, satisfies, type Cnf } from '../../test/helpers/sat-arbitrary.js';
import { thrownBy } from '../../test/helpers/errors.js';

/** A Sat with nVars variables and the clauses added with origin = index (or origin(i)). */
function load(cnf: Cnf, origin: (i: number) => number = (i) => i): Sat {
  const sat = new Sat();
  for (let v = 1; v <= cnf.nVars; v++) expect(sat.newVar()).toBe(v);
  cnf.clauses.forEach((c, i) => sat.addClause(c, origin(i)));
  return sat;
}

/** Decides the lowest unassigned variable, with polarity[v] (default true); 0 when all are assigned. */
function firstUnassigned(polarity: readonly boolean[] = []): Decider {
  return (sat) => {
    for (let v = 1; v <= sat.numVars; v++) if (sat.value(v) === 0) return polarity[v] === false ? -v : v;
    return 0;
  };
}

/** At a fixpoint no clause (original or learnt) may be false or unit: propagation missed nothing. */
function expectFixpoint(sat: Sat): void {
  for (let id = 0; id < sat.numClauses; id++) {
    const values = sat.clauseLits(id).map((l) => sat.litValue(l));
    if (values.includes(1)) continue;
    expect(values.filter((x) => x === 0).length, `clause ${id} (${sat.clauseLits(id).join(' ')}) at level ${sat.decisionLevel}`).toBeGreaterThanOrEqual(2);
  }
}

/** A decider that checks the fixpoint before asking `inner`. */
const checked = (inner: Decider): Decider => (sat) => {
  expectFixpoint(sat);
  return inner(sat);
};

const asBooleans = (m: Int8Array): boolean[] => Array.from(m, (x) => x === 1);

/** Clause ids violated under the model (unassigned read false), computed independently of the engine. */
function violated(sat: Sat, cnf: Cnf): number[] {
  const a = asBooleans(sat.model());
  const ids: number[] = [];
  for (let id = 0; id < sat.numClauses; id++) if (sat.clauseOrigin(id) >= 0 && !satisfies(a, sat.clauseLits(id))) ids.push(id);
  expect(cnf.nVars).toBe(sat.numVars);
  return ids;
}

/** Checks a result against brute force: a model satisfies every clause; a core is itself UNSAT. */
function checkResult(sat: Sat, cnf: Cnf, result: ReturnType<Sat['solve']>, origin: (i: number) => number = (i) => i): void {
  const expected = bruteForce(cnf.nVars, cnf.clauses);
  expect(result.sat).toBe(expected !== null);
  if (result.sat) {
    const a = asBooleans(sat.model());
    for (const c of cnf.clauses) expect(satisfies(a, c), `clause ${c.join(' ')}`).toBe(true);
    expect(sat.unsatisfiedClauses()).toEqual([]);
  } else {
    expect(result.core).toEqual([...new Set(result.core)].sort((x, y) => x - y));
    const inCore = new Set(result.core);
    const coreClauses = cnf.clauses.filter((_, i) => inCore.has(origin(i)));
    expect(coreClauses.length).toBeGreaterThan(0);
    expect(bruteForce(cnf.nVars, coreClauses)).toBeNull();
  }
}

describe('Sat on random CNFs, against brute force', () => {
  it('agrees on SAT/UNSAT; models satisfy every clause; cores are UNSAT', () => {
    fc.assert(
      fc.property(cnfArbitrary({ allowEmpty: true }), fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }), (cnf, polarity) => {
        const sat = load(cnf);
        checkResult(sat, cnf, sat.solve(checked(firstUnassigned(polarity))));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles origins shared by several clauses (rules that expand to several clauses)', () => {
    const origin = (i: number): number => 100 + (i >> 1);
    fc.assert(
      fc.property(cnfArbitrary({ maxClauses: 60, maxLen: 3 }), (cnf) => {
        const sat = load(cnf, origin);
        checkResult(sat, cnf, sat.solve(firstUnassigned()), origin);
      }),
      { numRuns: 1000 },
    );
  });

  it('decides in any variable order the decider likes', () => {
    fc.assert(
      fc.property(cnfArbitrary(), fc.array(fc.integer({ min: -12, max: 12 }).filter((l) => l !== 0), { maxLength: 40 }), (cnf, prefs) => {
        const sat = load(cnf);
        const decide: Decider = (s) => {
          expectFixpoint(s);
          for (const l of prefs) if (Math.abs(l) <= s.numVars && s.litValue(l) === 0) return l;
          return firstUnassigned()(s);
        };
        checkResult(sat, cnf, sat.solve(decide));
      }),
      { numRuns: 1000 },
    );
  });

  it('reports exactly the clauses violated when the decider stops early', () => {
    fc.assert(
      fc.property(cnfArbitrary(), fc.integer({ min: 0, max: 6 }), (cnf, budget) => {
        const sat = load(cnf);
        let left = budget;
        const result = sat.solve((s) => (left-- > 0 ? firstUnassigned()(s) : 0));
        if (result.sat) expect(sat.unsatisfiedClauses()).toEqual(violated(sat, cnf));
        else expect(bruteForce(cnf.nVars, cnf.clauses)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Sat on larger planted instances (watch pools grow during propagation)', () => {
  it('finds a model of random 3-SAT instances built around a hidden solution', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.array(fc.boolean(), { minLength: 81, maxLength: 81 }), (seed, polarity) => {
        const n = 80;
        let x = seed;
        const rnd = (k: number): number => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return (x >>> 8) % k;
        };
        const hidden = Array.from({ length: n + 1 }, () => rnd(2) === 1);
        const clauses: number[][] = [];
        while (clauses.length < 6 * n) {
          const c = [0, 0, 0].map(() => (1 + rnd(n)) * (rnd(2) === 1 ? -1 : 1));
          if (satisfies(hidden, c)) clauses.push(c);
        }
        const cnf = { nVars: n, clauses };
        const sat = load(cnf);
        expect(sat.solve(firstUnassigned(polarity))).toEqual({ sat: true });
        const a = asBooleans(sat.model());
        for (const c of clauses) expect(satisfies(a, c)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});

describe('clauses added during the search (lazy rule generation)', () => {
  it('stays correct when the decider adds clauses that are unit or false under the current assignment', () => {
    fc.assert(
      fc.property(
        cnfArbitrary({ maxClauses: 50 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }),
        (cnf, upfront, batches, returnLiteral, polarity) => {
          const sat = new Sat();
          for (let v = 1; v <= cnf.nVars; v++) sat.newVar();
          let next = 0;
          for (; next < Math.min(upfront, cnf.clauses.length); next++) sat.addClause(cnf.clauses[next] ?? [], next);
          let call = 0;
          const decide: Decider = (s) => {
            expectFixpoint(s);
            // Add the next batch of clauses, then either ask for propagation or decide anyway.
            const batch = batches[call++ % batches.length] ?? 0;
            const end = Math.min(next + batch, cnf.clauses.length);
            const added = end - next;
            for (; next < end; next++) s.addClause(cnf.clauses[next] ?? [], next);
            if (added > 0 && !returnLiteral) return RETRY;
            const d = firstUnassigned(polarity)(s);
            if (d !== 0) return d;
            if (next < cnf.clauses.length) {
              s.addClause(cnf.clauses[next] ?? [], next);
              next++;
              return RETRY;
            }
            return 0;
          };
          const result = sat.solve(decide);
          if (result.sat) expect(next).toBe(cnf.clauses.length);
          const added = { nVars: cnf.nVars, clauses: cnf.clauses.slice(0, next) };
          checkResult(sat, added, result);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('re-implies at the lower level a clause that is unit there (backtracks to the right level)', () => {
    const sat = new Sat();
    const [a, b, c, d] = [sat.newVar(), sat.newVar(), sat.newVar(), sat.newVar()];
    const levels: number[] = [];
    let added = false;
    const result = sat.solve((s) => {
      levels.push(s.decisionLevel);
      if (s.value(a) === 0) return a; // level 1
      if (s.value(b) === 0) return b; // level 2
      if (s.value(c) === 0) return c; // level 3
      if (!added) {
        added = true;
        s.addClause([-a, d], 7); // unit at level 1: d must be implied there, not at level 3
        return c; // ignored: the clause changed the assignment
      }
      expect(s.value(d)).toBe(1);
      expect(s.level(d)).toBe(1);
      expect(s.reason(d)).toBe(0);
      return 0;
    });
    expect(result).toEqual({ sat: true });
    expect(levels).toEqual([0, 1, 2, 3, 1, 2, 3]);
    expect([...sat.model()]).toEqual([0, 1, 1, 1, 1]);
  });

  it('re-implies a true literal at the level where the added clause became unit', () => {
    const sat = new Sat();
    const [a, b, c] = [sat.newVar(), sat.newVar(), sat.newVar()];
    let added = false;
    sat.solve((s) => {
      for (const v of [a, b, c]) if (s.value(v) === 0) return v;
      if (!added) {
        added = true;
        s.addClause([c, -a], 0); // c (decided at 3) would have been implied at level 1
        return RETRY;
      }
      return 0;
    });
    expect(sat.level(c)).toBe(1);
    expect(sat.reason(c)).toBe(0);
    expect(sat.level(b)).toBe(2);
  });

  it('analyses a clause that is false under the current assignment (conflict at its highest level)', () => {
    const sat = new Sat();
    const [a, b, c] = [sat.newVar(), sat.newVar(), sat.newVar()];
    let added = false;
    const result = sat.solve((s) => {
      for (const v of [a, b, c]) if (s.value(v) === 0) return v;
      if (!added) {
        added = true;
        s.addClause([-b, -c], 1); // both false at level 3... b at 2, c at 3: asserts -c at level 2
        s.addClause([-a, -b], 2); // false at levels 1 and 2: asserts -b at level 1
        return RETRY;
      }
      return 0;
    });
    expect(result).toEqual({ sat: true });
    expect([...sat.model()]).toEqual([0, 1, -1, 1]);
    expect(sat.level(b)).toBe(1);
    expect(sat.clauseLits(sat.reason(b))).toEqual([-a, -b]);
  });

  it('learns from a clause false with two literals at the current level', () => {
    const sat = new Sat();
    const [a, b, c] = [sat.newVar(), sat.newVar(), sat.newVar()];
    sat.addClause([-a, b], 0);
    sat.addClause([-a, c], 1);
    let added = false;
    const result = sat.solve((s) => {
      if (s.value(a) === 0) return a;
      if (!added) {
        added = true;
        s.addClause([-b, -c], 2); // b and c both at level 1: a real conflict, learns -a
        return RETRY;
      }
      return 0;
    });
    expect(result).toEqual({ sat: true });
    expect(sat.value(a)).toBe(-1);
    expect(sat.level(a)).toBe(0);
    expect(sat.stats.conflicts).toBe(1);
    expect(sat.explain(a)).toEqual({ origins: [0, 1, 2], decisions: [] });
  });

  it('turns UNSAT when a clause added mid-search is false at level 0', () => {
    const sat = new Sat();
    const a = sat.newVar();
    const b = sat.newVar();
    sat.addClause([a], 3);
    const result = sat.solve((s) => {
      if (s.value(b) === 0) return b;
      s.addClause([-a], 4);
      return 0;
    });
    expect(result).toEqual({ sat: false, core: [3, 4] });
  });
});

/** Pigeonhole: p pigeons into h holes; variable x(i, j) = pigeon i in hole j. */
function pigeonhole(p: number, h: number): Cnf {
  const x = (i: number, j: number): number => i * h + j + 1;
  const clauses: number[][] = [];
  for (let i = 0; i < p; i++) clauses.push(Array.from({ length: h }, (_, j) => x(i, j)));
  for (let j = 0; j < h; j++) for (let i = 0; i < p; i++) for (let k = i + 1; k < p; k++) clauses.push([-x(i, j), -x(k, j)]);
  return { nVars: p * h, clauses };
}

describe('learning and backjumping', () => {
  it('proves pigeonhole 4 into 3 UNSAT with every clause in the core (it is minimally UNSAT)', () => {
    const cnf = pigeonhole(4, 3);
    const sat = load(cnf);
    const result = sat.solve(firstUnassigned());
    expect(result).toEqual({ sat: false, core: cnf.clauses.map((_, i) => i) });
    expect(sat.stats.learnt).toBeGreaterThan(0);
    // Once UNSAT, always UNSAT.
    expect(sat.solve(firstUnassigned())).toEqual(result);
  });

  it('solves pigeonhole 6 into 6 whatever the decision polarity', () => {
    const cnf = pigeonhole(6, 6);
    for (const polarity of [true, false]) {
      const sat = load(cnf);
      expect(sat.solve(firstUnassigned(new Array<boolean>(37).fill(polarity)))).toEqual({ sat: true });
      const a = asBooleans(sat.model());
      for (const c of cnf.clauses) expect(satisfies(a, c)).toBe(true);
    }
  });

  it('puts the level-0 facts dropped from a learnt clause into the core', () => {
    const sat = new Sat();
    const [a, b, c, f] = [sat.newVar(), sat.newVar(), sat.newVar(), sat.newVar()];
    sat.addClause([f], 10);
    sat.addClause([-f, -a, b], 11);
    sat.addClause([-f, -a, -b], 12); // a@1: conflict on b, learns ¬a (¬f is a fact, dropped)
    sat.addClause([a, c], 13);
    sat.addClause([a, -c], 14);
    expect(sat.solve(firstUnassigned())).toEqual({ sat: false, core: [10, 11, 12, 13, 14] });
  });

  it('puts the reasons of literals removed by minimisation into the core', () => {
    const sat = new Sat();
    const [x, y, p, q, z, w] = [1, 2, 3, 4, 5, 6].map(() => sat.newVar()) as [number, number, number, number, number, number];
    sat.addClause([-x, p], 1);
    sat.addClause([-y, -p, -x, q], 2);
    sat.addClause([-y, -p, -x, -q], 3); // x@1 (p), y@2: conflict; learnt ¬y ∨ ¬x after dropping ¬p
    sat.addClause([x, z], 4);
    sat.addClause([x, -z], 5);
    sat.addClause([y, w], 6);
    sat.addClause([y, -w], 7);
    expect(sat.solve(firstUnassigned())).toEqual({ sat: false, core: [1, 2, 3, 4, 5, 6, 7] });
    expect(sat.stats.learnt).toBe(2);
  });

  it('propagates a chain of implications at level 0 and explains its end', () => {
    const n = 50;
    const sat = new Sat();
    for (let v = 1; v <= n; v++) sat.newVar();
    for (let v = 1; v < n; v++) sat.addClause([-v, v + 1], v);
    sat.addClause([1], 0);
    expect(sat.solve(() => 0)).toEqual({ sat: true });
    for (let v = 1; v <= n; v++) {
      expect(sat.value(v)).toBe(1);
      expect(sat.level(v)).toBe(0);
    }
    expect(sat.reason(1)).toBe(n - 1); // the unit clause, added last
    expect(sat.explain(n)).toEqual({ origins: Array.from({ length: n }, (_, i) => i), decisions: [] });
    expect(sat.explain(3)).toEqual({ origins: [0, 1, 2], decisions: [] });
  });

  it('propagates a chain through long clauses above level 0 and explains it by the decision', () => {
    const sat = new Sat();
    const n = 30;
    for (let v = 1; v <= n + 1; v++) sat.newVar();
    const pad = n + 1; // a variable that stays false, so that clauses are ternary
    for (let v = 1; v < n; v++) sat.addClause([-v, pad, v + 1], v);
    sat.addClause([-pad], 0);
    expect(sat.solve((s) => (s.value(1) === 0 ? 1 : 0))).toEqual({ sat: true });
    expect(sat.level(n)).toBe(1);
    expect(sat.explain(n)).toEqual({ origins: Array.from({ length: n }, (_, i) => i), decisions: [1] });
  });

  it('undoes a bad decision by learning: a=true makes every choice of b fail', () => {
    const sat = new Sat();
    const [a, b, c, d] = [sat.newVar(), sat.newVar(), sat.newVar(), sat.newVar()];
    sat.addClause([-a, -b, c], 0);
    sat.addClause([-a, -b, -c], 1);
    sat.addClause([-a, b, d], 2);
    sat.addClause([-a, b, -d], 3);
    const seen: string[] = [];
    const result = sat.solve((s) => {
      seen.push(`${s.decisionLevel}:${[a, b, c, d].map((v) => s.value(v)).join(',')}`);
      if (s.value(a) === 0) return a; // the policy insists on a first
      return firstUnassigned()(s);
    });
    expect(result).toEqual({ sat: true });
    expect(sat.value(a)).toBe(-1);
    expect(sat.level(a)).toBe(0); // learnt as a fact
    expect(sat.stats.conflicts).toBe(2);
    expect(sat.stats.learnt).toBe(2);
    const learnt = sat.reason(a);
    expect(sat.clauseOrigin(learnt)).toBe(-1);
    expect(sat.clauseLits(learnt)).toEqual([-a]);
    expect(sat.explain(a)).toEqual({ origins: [0, 1, 2, 3], decisions: [] });
    // a@1, b@2: conflict on c, learn (¬a ∨ ¬b), back to level 1 with ¬b: conflict on d, learn ¬a.
    expect(seen).toEqual(['0:0,0,0,0', '1:1,0,0,0', '0:-1,0,0,0', '1:-1,1,0,0', '2:-1,1,1,0', '3:-1,1,1,1']);
    expect(sat.unsatisfiedClauses()).toEqual([]);
  });

  it('backjumps over decisions unrelated to the conflict', () => {
    const sat = new Sat();
    const [x, u1, u2, u3, y] = [sat.newVar(), sat.newVar(), sat.newVar(), sat.newVar(), sat.newVar()];
    const z = sat.newVar();
    sat.addClause([-x, -y, z], 0);
    sat.addClause([-x, -y, -z], 1);
    const levels: number[] = [];
    const order = [x, u1, u2, u3, y];
    sat.solve((s) => {
      levels.push(s.decisionLevel);
      for (const v of order) if (s.value(v) === 0) return v;
      return 0;
    });
    // x@1 u1@2 u2@3 u3@4 y@5 conflicts; the learnt clause (¬x ∨ ¬y) asserts ¬y at level 1.
    expect(levels).toEqual([0, 1, 2, 3, 4, 1, 2, 3, 4]);
    expect(sat.value(y)).toBe(-1);
    expect(sat.level(y)).toBe(1);
    expect(sat.clauseLits(sat.reason(y))).toEqual([-y, -x]);
    expect(sat.explain(y)).toEqual({ origins: [0, 1], decisions: [x] });
  });
});

describe('API edges', () => {
  it('removes duplicate literals, ignores tautologies and makes the empty clause UNSAT', () => {
    const sat = new Sat();
    const [a, b] = [sat.newVar(), sat.newVar()];
    const id = sat.addClause([b, a, b, a], 5);
    expect(sat.clauseLits(id)).toEqual([b, a]);
    expect(sat.clauseOrigin(id)).toBe(5);
    expect(sat.addClause([a, -b, -a], 6)).toBe(-1);
    expect(sat.numClauses).toBe(1);
    sat.addClause([], 9);
    expect(sat.solve(firstUnassigned())).toEqual({ sat: false, core: [9] });
  });

  it('reads unassigned variables as false in model()', () => {
    const sat = new Sat();
    const [a, b] = [sat.newVar(), sat.newVar()];
    sat.addClause([a, b], 0);
    expect(sat.solve(() => 0)).toEqual({ sat: true });
    expect([...sat.model()]).toEqual([0, -1, -1]);
    expect(sat.unsatisfiedClauses()).toEqual([0]);
    expect(sat.value(a)).toBe(0);
    expect(sat.level(a)).toBe(-1);
    expect(sat.reason(a)).toBe(-1);
  });

  it('rejects bad literals, bad origins and deciders that return assigned literals', () => {
    const sat = new Sat();
    const a = sat.newVar();
    expect(thrownBy(() => sat.addClause([2], 0), InternalError).message).toMatch(/variable 2 out of range/);
    expect(thrownBy(() => sat.addClause([0], 0), InternalError).message).toMatch(/variable 0 out of range/);
    expect(thrownBy(() => sat.addClause([1.5], 0), InternalError).message).toMatch(/out of range/);
    expect(thrownBy(() => sat.addClause([a], -2), InternalError).message).toMatch(/origin/);
    expect(thrownBy(() => sat.value(3), InternalError).message).toMatch(/out of range/);
    expect(thrownBy(() => sat.clauseLits(0), InternalError).message).toMatch(/clause id 0/);
    sat.addClause([a], 0);
    expect(thrownBy(() => sat.solve(() => a), InternalError).message).toMatch(/already assigned/);
    expect(thrownBy(() => sat.solve(() => 5), InternalError).message).toMatch(/variable 5/);
  });

  it('gives up after maxConflicts', () => {
    const cnf = pigeonhole(5, 4);
    expect(thrownBy(() => load(cnf).solve(firstUnassigned(), { maxConflicts: 3 }), InternalError).message).toMatch(/gave up after 3 conflicts/);
  });

  it('exposes the trail and the prefix left unchanged by backtracking', () => {
    const sat = new Sat();
    const [a, b, c] = [sat.newVar(), sat.newVar(), sat.newVar()];
    sat.addClause([-a, b], 0);
    const marks: number[] = [];
    const trails: Lit[][] = [];
    sat.solve((s) => {
      marks.push(s.stableTrailPrefix());
      trails.push(Array.from({ length: s.trailLength }, (_, i) => s.trailLit(i)));
      if (s.value(a) === 0) return a;
      if (s.value(c) === 0) return -c;
      return 0;
    });
    expect(trails).toEqual([[], [a, b], [a, b, -c]]);
    expect(marks).toEqual([0, 0, 2]);
    expect(thrownBy(() => sat.trailLit(3), InternalError).message).toMatch(/trail index/);
  });

  it('is deterministic: the same calls give the same model and the same work', () => {
    fc.assert(
      fc.property(cnfArbitrary({ maxVars: 20, maxClauses: 90, maxLen: 3 }), fc.array(fc.boolean(), { minLength: 21, maxLength: 21 }), (cnf, polarity) => {
        const run = (): [boolean, number[], unknown] => {
          const sat = load(cnf);
          const r = sat.solve(firstUnassigned(polarity));
          return [r.sat, r.sat ? [...sat.model()] : r.core, sat.stats];
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 300 },
    );
  });

  it('solves again after more clauses are added to a solved instance', () => {
    const sat = new Sat();
    const [a, b] = [sat.newVar(), sat.newVar()];
    sat.addClause([a, b], 0);
    expect(sat.solve(firstUnassigned())).toEqual({ sat: true });
    expect([...sat.model()]).toEqual([0, 1, 1]);
    sat.addClause([-a], 1); // false under the model: re-asserted at level 0
    expect(sat.value(a)).toBe(-1);
    expect(sat.solve(firstUnassigned())).toEqual({ sat: true });
    expect([...sat.model()]).toEqual([0, -1, 1]);
    sat.addClause([-b], 2);
    expect(sat.solve(firstUnassigned())).toEqual({ sat: false, core: [0, 1, 2] });
  });
});
