/*
 * A small CDCL engine in libsolv's mould (depsolve.md §5.1, §5.3, §6.4): clauses over boolean
 * package variables, two watched literals per clause (binary clauses in their own watch lists),
 * 1-UIP conflict learning with non-chronological backjumping, and NO decision heuristic of its
 * own. Every decision comes from the caller's Decider (the policy), because which satisfying
 * assignment comes out is the product; there are no restarts, no random choices, no clause
 * deletion, so the same calls always give the same result.
 *
 * Clauses can be added at any time, also from inside the decider while the search runs (rules
 * are generated lazily as packages get chosen); a clause that is unit or false under the current
 * assignment makes the engine backtrack to the level where it would have propagated, as
 * incremental SAT solvers do. Every clause carries the caller's origin (rule id); learnt clauses
 * remember the clauses they were resolved from, so an UNSAT answer names the original rules of
 * its proof (libsolv's `analyze_unsolvable`, §5.3) and `explain` can say why a variable has its
 * value.
 *
 * Internally a literal is a code `2v` (v true) or `2v+1` (v false); `code ^ 1` negates it.
 */

/* eslint-disable @typescript-eslint/no-non-null-assertion -- every typed-array index is a variable, literal code, clause id or arena offset that is in range by construction; this is the hot loop */

import { InternalError } from '../core/index.js';

/** A literal: +v means "variable v true" (package installed), -v false. Variables are 1..n. */
export type Lit = number;

/** The outcome of `Sat.solve`: a model (read it with `model()`), or the origins of an UNSAT proof. */
export type SatResult = { sat: true } | { sat: false; core: number[] };

/** What a Decider returns after adding clauses: "propagate them, then ask me again". */
export const RETRY: unique symbol = Symbol('sat.retry');

/**
 * The policy: called whenever propagation reaches a fixpoint without conflict. Returns an
 * unassigned literal to decide, 0 when nothing is left to decide (the search ends SAT and every
 * unassigned variable reads as false), or RETRY after adding clauses. If clauses it added changed
 * the assignment (they were unit or false), the returned literal is ignored and it is asked again
 * after propagation; after a conflict and backjump it is simply asked again, so it must look at
 * the current assignment rather than remember what it decided.
 */
export type Decider = (sat: Sat) => Lit | typeof RETRY;

/** Counters of the work done so far (for benchmarks and tests; not part of any result). */
export type SatStats = { decisions: number; conflicts: number; propagations: number; learnt: number };

/** Why a variable has its current value: original clauses (their origins) and decisions involved. */
export type Explanation = { origins: number[]; decisions: Lit[] };

/** Grows `a` to at least `need` entries (doubling), keeping the first `keep`. */
function grow<T extends Int32Array | Int8Array | Uint8Array>(a: T, need: number, keep: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  let n = Math.max(a.length * 2, 16);
  while (n < need) n *= 2;
  const b = make(n);
  b.set(a.subarray(0, keep));
  return b;
}
const i32 = (n: number): Int32Array<ArrayBuffer> => new Int32Array(n);
const i8 = (n: number): Int8Array<ArrayBuffer> => new Int8Array(n);
const u8 = (n: number): Uint8Array<ArrayBuffer> => new Uint8Array(n);

/** Preference for watching literal code c (lower is better): true by level, unassigned, false by decreasing level. */
function watchRank(val: Int8Array, lvl: Int32Array, c: number): number {
  const x = val[c]!;
  return x === 1 ? lvl[c >> 1]! : x === 0 ? 0x40000000 : 0x7fffffff - lvl[c >> 1]!;
}

const toCode = (l: Lit): number => (l > 0 ? l << 1 : ((-l) << 1) | 1);
const toLit = (c: number): Lit => (c & 1 ? -(c >> 1) : c >> 1);

/**
 * Growable lists of int pairs, one per literal code, in one pooled Int32Array: a full list moves
 * to the end of the pool with twice the capacity (its old slot is abandoned; lists only grow, so
 * the pool stays within about 4x the live entries). Offsets survive a pool reallocation.
 */
class WatchLists {
  pool = new Int32Array(1024);
  top = 0;
  off = new Int32Array(2);
  cap = new Int32Array(2);
  len = new Int32Array(2);

  growLists(n: number, keep: number): void {
    this.off = grow(this.off, n, keep, i32);
    this.cap = grow(this.cap, n, keep, i32);
    this.len = grow(this.len, n, keep, i32);
  }

  push(code: number, x: number, y: number): void {
    let o = this.off[code]!;
    const n = this.len[code]!;
    if (n + 2 > this.cap[code]!) {
      const c = Math.max(4, this.cap[code]! * 2);
      if (this.top + c > this.pool.length) this.pool = grow(this.pool, this.top + c, this.top, i32);
      this.pool.copyWithin(this.top, o, o + n);
      this.off[code] = o = this.top;
      this.cap[code] = c;
      this.top += c;
    }
    this.pool[o + n] = x;
    this.pool[o + n + 1] = y;
    this.len[code] = n + 2;
  }
}

/** The engine: variables, clauses with origins, the assignment trail and the CDCL search. */
export class Sat {
  #nVars = 0;
  #varCap = 0;
  // Per literal code (size 2 * (varCap + 1)): value 1 true / -1 false / 0 unassigned.
  #val = new Int8Array(2);
  // Per variable: decision level (-1 unassigned), reason clause (-1 decision/unassigned), scratch.
  #lvl = new Int32Array(1);
  #reason = new Int32Array(1);
  #seen = new Uint8Array(1);
  // Watch lists per literal code, visited when that literal becomes false. Long clauses:
  // pairs (clause id, blocker code) in #wl; binary clauses: pairs (other literal code, clause id)
  // in #bl. Each is one pooled Int32Array (no allocation per literal, nothing for the GC).
  #wl = new WatchLists();
  #bl = new WatchLists();
  // The trail of assigned literal codes; #lim[d] = trail length when level d+1 began.
  #trail = new Int32Array(1);
  #trailLen = 0;
  #qhead = 0;
  #lim = new Int32Array(16);
  #dl = 0;
  #low = 0;
  // Clauses: literal codes in watch order (#arena) and as given (#given, signed literals), at
  // the same offsets; per clause start, length and origin (-1 = learnt).
  #nClauses = 0;
  #start = new Int32Array(16);
  #len = new Int32Array(16);
  #origin = new Int32Array(16);
  #arena = new Int32Array(64);
  #given = new Int32Array(64);
  #arenaLen = 0;
  // For learnt clauses: the clause ids they were resolved from (for cores and explanations).
  #antecedents = new Map<number, Int32Array>();
  // State of the search.
  #unsatCore: number[] | null = null;
  #pendingConflict = -1;
  #changes = 0; // bumped whenever addClause changes the assignment or finds a conflict
  #stats: SatStats = { decisions: 0, conflicts: 0, propagations: 0, learnt: 0 };
  #lbuf = new Int32Array(16);

  /** Adds a variable, unassigned; returns it (variables are numbered from 1). */
  newVar(): number {
    const v = ++this.#nVars;
    if (v > this.#varCap) this.#growVars(v);
    this.#lvl[v] = -1;
    this.#reason[v] = -1;
    return v;
  }

  #growVars(need: number): void {
    let cap = Math.max(this.#varCap * 2, 64);
    while (cap < need) cap *= 2;
    const n = this.#nVars;
    this.#val = grow(this.#val, 2 * (cap + 1), 2 * n, i8);
    this.#lvl = grow(this.#lvl, cap + 1, n, i32);
    this.#reason = grow(this.#reason, cap + 1, n, i32);
    this.#seen = grow(this.#seen, cap + 1, n, u8);
    this.#trail = grow(this.#trail, cap + 1, this.#trailLen, i32);
    this.#wl.growLists(2 * (cap + 1), 2 * n + 2);
    this.#bl.growLists(2 * (cap + 1), 2 * n + 2);
    this.#varCap = cap;
  }

  /** The number of variables created so far. */
  get numVars(): number {
    return this.#nVars;
  }

  /** The number of clauses stored (original and learnt; ids are 0..numClauses-1). */
  get numClauses(): number {
    return this.#nClauses;
  }

  /** The current decision level (0 = facts that hold whatever is decided). */
  get decisionLevel(): number {
    return this.#dl;
  }

  /** Work counters since the engine was created. */
  get stats(): SatStats {
    return { ...this.#stats };
  }

  /** Current assignment of variable v: 1 true, -1 false, 0 unassigned. */
  value(v: number): 1 | -1 | 0 {
    this.#checkVar(v);
    return this.#val[v << 1] as 1 | -1 | 0;
  }

  /** Current value of a literal: 1 true, -1 false, 0 unassigned. */
  litValue(l: Lit): 1 | -1 | 0 {
    this.#checkVar(Math.abs(l));
    return this.#val[toCode(l)] as 1 | -1 | 0;
  }

  /** Decision level at which v was assigned, -1 if unassigned. */
  level(v: number): number {
    this.#checkVar(v);
    return this.#lvl[v]!;
  }

  /** Clause id that implied v's value; -1 for decisions and unassigned variables. */
  reason(v: number): number {
    this.#checkVar(v);
    return this.#reason[v]!;
  }

  /** The literals of a clause, duplicates removed, in the order given (learnt: asserting literal first). */
  clauseLits(id: number): readonly Lit[] {
    this.#checkClause(id);
    const s = this.#start[id]!;
    return Array.from(this.#given.subarray(s, s + this.#len[id]!));
  }

  /** The origin (caller's rule id) of a clause; -1 for learnt clauses. */
  clauseOrigin(id: number): number {
    this.#checkClause(id);
    return this.#origin[id]!;
  }

  /** The number of assigned variables; `trailLit(i)` for i below it lists them in assignment order. */
  get trailLength(): number {
    return this.#trailLen;
  }

  /** The i-th assigned literal in assignment order (true under the current assignment). */
  trailLit(i: number): Lit {
    if (!Number.isInteger(i) || i < 0 || i >= this.#trailLen) throw new InternalError(`sat: trail index ${i} out of range 0..${this.#trailLen - 1}`);
    return toLit(this.#trail[i]!);
  }

  /**
   * The length of the trail prefix left untouched since the previous call (backtracking shortens
   * it); resets the mark to the current length. A driver that reacts to newly assigned variables
   * (lazy rule generation) rescans the trail from here instead of from 0.
   */
  stableTrailPrefix(): number {
    const low = Math.min(this.#low, this.#trailLen);
    this.#low = this.#trailLen;
    return low;
  }

  #checkVar(v: number): void {
    if (!Number.isInteger(v) || v < 1 || v > this.#nVars) throw new InternalError(`sat: variable ${v} out of range 1..${this.#nVars}`);
  }

  #checkClause(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.#nClauses) throw new InternalError(`sat: clause id ${id} out of range 0..${this.#nClauses - 1}`);
  }

  /**
   * Adds the clause `lits[0] ∨ lits[1] ∨ …` with the caller's origin (>= 0); returns its id, or
   * -1 for a tautology (ignored). Works at any time: when the clause is unit or false under the
   * current assignment the engine backtracks to the level where it would have propagated and
   * asserts it (or records the conflict for the search to analyse). The empty clause makes the
   * problem UNSAT with core [origin].
   */
  addClause(lits: readonly Lit[], origin: number): number {
    if (!Number.isInteger(origin) || origin < 0) throw new InternalError(`sat: clause origin must be an integer >= 0, got ${origin}`);
    for (const l of lits) this.#checkVar(Math.abs(l));
    // Copy into the arena, deduplicated in given order; #seen marks each variable's sign. A
    // tautology gives the space back.
    const cid = this.#storeClause(lits.length, origin);
    const s = this.#start[cid]!;
    const seen = this.#seen;
    const given = this.#given;
    const arena = this.#arena;
    let n = 0;
    let tautology = false;
    for (const l of lits) {
      const v = l < 0 ? -l : l;
      const mark = l > 0 ? 1 : 2;
      const m = seen[v]!;
      if (m === 0) {
        seen[v] = mark;
        given[s + n] = l;
        arena[s + n++] = toCode(l);
      } else if (m !== mark) tautology = true;
    }
    for (let k = s; k < s + n; k++) seen[arena[k]! >> 1] = 0;
    if (tautology) {
      this.#nClauses--;
      this.#arenaLen = s;
      return -1;
    }
    this.#len[cid] = n;
    this.#arenaLen = s + n;
    if (this.#unsatCore !== null) return cid;
    if (n === 0) {
      this.#unsatCore = [origin];
      this.#changes++;
      return cid;
    }
    this.#integrate(cid);
    return cid;
  }

  /** Reserves arena space and a clause id for a clause of n literals. */
  #storeClause(n: number, origin: number): number {
    const cid = this.#nClauses++;
    const keepC = cid;
    this.#start = grow(this.#start, cid + 1, keepC, i32);
    this.#len = grow(this.#len, cid + 1, keepC, i32);
    this.#origin = grow(this.#origin, cid + 1, keepC, i32);
    const s = this.#arenaLen;
    this.#arena = grow(this.#arena, s + n, s, i32);
    this.#given = grow(this.#given, s + n, s, i32);
    this.#arenaLen = s + n;
    this.#start[cid] = s;
    this.#len[cid] = n;
    this.#origin[cid] = origin;
    return cid;
  }

  /**
   * Watches a new original clause and fixes up the assignment: the two best literals are watched
   * (true before unassigned before false; true ones by lowest level, false ones by highest), so
   * that a false watch always has a true partner assigned no later, which keeps two-watched-
   * literal propagation complete after any later backtrack.
   */
  #integrate(cid: number): void {
    const val = this.#val;
    const lvl = this.#lvl;
    const arena = this.#arena;
    const s = this.#start[cid]!;
    const n = this.#len[cid]!;
    if (n === 1) {
      const c = arena[s]!;
      const x = val[c]!;
      if (lvl[c >> 1] === 0 && x !== 0) {
        if (x === -1) this.#unsatCore = this.#collect([cid], []).origins;
        if (x === -1) this.#changes++;
        return;
      }
      this.#backtrack(0);
      this.#assign(c, cid);
      this.#changes++;
      return;
    }
    // Move the best literal to position 0 and the second best to position 1.
    for (let k = 0; k < 2; k++) {
      let best = s + k;
      let bestRank = watchRank(val, lvl, arena[best]!);
      for (let j = s + k + 1; j < s + n; j++) {
        const r = watchRank(val, lvl, arena[j]!);
        if (r < bestRank) {
          best = j;
          bestRank = r;
        }
      }
      const t = arena[s + k]!;
      arena[s + k] = arena[best]!;
      arena[best] = t;
    }
    this.#attach(cid);
    const a = arena[s]!;
    const b = arena[s + 1]!;
    const va = val[a]!;
    if (val[b] !== -1) return; // two non-false watches
    const lb = lvl[b >> 1]!;
    if (va === 1) {
      // Satisfied by a alone; if a was assigned after b, the clause would have implied a at
      // b's level: re-imply it there, or a later backtrack would leave it unit and unwatched.
      if (lvl[a >> 1]! <= lb) return;
      this.#backtrack(lb);
      this.#assign(a, cid);
    } else if (va === 0) {
      this.#backtrack(lb);
      this.#assign(a, cid);
    } else {
      const la = lvl[a >> 1]!;
      if (la > lb) {
        // Only a is false at the highest level: the clause asserts a at lb.
        this.#backtrack(lb);
        this.#assign(a, cid);
      } else if (la === 0) {
        this.#unsatCore = this.#collect([cid], []).origins;
      } else {
        this.#backtrack(la);
        this.#pendingConflict = cid;
      }
    }
    this.#changes++;
  }

  #attach(cid: number): void {
    const s = this.#start[cid]!;
    const a = this.#arena[s]!;
    const b = this.#arena[s + 1]!;
    if (this.#len[cid] === 2) {
      this.#bl.push(a, b, cid);
      this.#bl.push(b, a, cid);
    } else {
      this.#wl.push(a, cid, b);
      this.#wl.push(b, cid, a);
    }
  }

  /** Makes literal code c true at the current level with the given reason (-1: decision). */
  #assign(c: number, reason: number): void {
    const v = c >> 1;
    this.#val[c] = 1;
    this.#val[c ^ 1] = -1;
    this.#lvl[v] = this.#dl;
    this.#reason[v] = reason;
    this.#trail[this.#trailLen++] = c;
  }

  /** Undoes every level above `level`. */
  #backtrack(level: number): void {
    if (this.#dl <= level) return;
    const lim = this.#lim[level]!;
    const trail = this.#trail;
    const val = this.#val;
    const lvl = this.#lvl;
    const reason = this.#reason;
    for (let i = this.#trailLen - 1; i >= lim; i--) {
      const c = trail[i]!;
      val[c] = 0;
      val[c ^ 1] = 0;
      lvl[c >> 1] = -1;
      reason[c >> 1] = -1;
    }
    this.#trailLen = lim;
    if (this.#qhead > lim) this.#qhead = lim;
    if (this.#low > lim) this.#low = lim;
    this.#dl = level;
    this.#pendingConflict = -1; // a pending conflict is always at the level being left
  }

  /** Unit propagation to fixpoint; returns a conflicting clause id or -1. */
  #propagate(): number {
    const val = this.#val;
    const lvl = this.#lvl;
    const reason = this.#reason;
    const trail = this.#trail;
    const arena = this.#arena;
    const start = this.#start;
    const len = this.#len;
    const wl = this.#wl;
    const wOff = wl.off;
    const wLen = wl.len;
    let wPool = wl.pool;
    const bPool = this.#bl.pool;
    const bOff = this.#bl.off;
    const bLen = this.#bl.len;
    const dl = this.#dl;
    let trailLen = this.#trailLen;
    let qhead = this.#qhead;
    let conflict = -1;
    outer: while (qhead < trailLen) {
      const f = trail[qhead++]! ^ 1; // the literal that just became false
      // Binary clauses: the other literal must be true.
      const b0 = bOff[f]!;
      const bn = b0 + bLen[f]!;
      for (let i = b0; i < bn; i += 2) {
        const o = bPool[i]!;
        const vo = val[o]!;
        if (vo === 1) continue;
        if (vo === -1) {
          conflict = bPool[i + 1]!;
          break outer;
        }
        val[o] = 1;
        val[o ^ 1] = -1;
        lvl[o >> 1] = dl;
        reason[o >> 1] = bPool[i + 1]!;
        trail[trailLen++] = o;
      }
      // Long clauses: f is at position 0 or 1; move it to 1, then find a replacement watch.
      // The list is compacted in place (i reads, j writes); pushing to another literal's list
      // may reallocate the pool (same offsets), hence wPool is re-read after each push.
      const w0 = wOff[f]!;
      const n = w0 + wLen[f]!;
      let i = w0;
      let j = w0;
      while (i < n) {
        const cid = wPool[i]!;
        const blocker = wPool[i + 1]!;
        i += 2;
        if (val[blocker] === 1) {
          wPool[j++] = cid;
          wPool[j++] = blocker;
          continue;
        }
        const s = start[cid]!;
        let first = arena[s]!;
        if (first === f) {
          first = arena[s + 1]!;
          arena[s] = first;
          arena[s + 1] = f;
        }
        const vf = val[first]!;
        if (vf === 1) {
          wPool[j++] = cid;
          wPool[j++] = first;
          continue;
        }
        const end = s + len[cid]!;
        let k = s + 2;
        for (; k < end; k++) {
          const l = arena[k]!;
          if (val[l] !== -1) {
            arena[s + 1] = l;
            arena[k] = f;
            wl.push(l, cid, first);
            wPool = wl.pool;
            break;
          }
        }
        if (k < end) continue;
        wPool[j++] = cid;
        wPool[j++] = first;
        if (vf === -1) {
          while (i < n) wPool[j++] = wPool[i++]!;
          wLen[f] = j - w0;
          conflict = cid;
          break outer;
        }
        val[first] = 1;
        val[first ^ 1] = -1;
        lvl[first >> 1] = dl;
        reason[first >> 1] = cid;
        trail[trailLen++] = first;
      }
      wLen[f] = j - w0;
    }
    this.#stats.propagations += qhead - this.#qhead;
    this.#trailLen = trailLen;
    this.#qhead = conflict >= 0 ? trailLen : qhead;
    return conflict;
  }

  /**
   * 1-UIP conflict analysis (depsolve.md §5.3): resolves the conflict clause with the reasons of
   * its current-level literals until one remains, drops level-0 literals (facts) and literals
   * whose reason is subsumed by the rest (local minimisation), backjumps to the second-highest
   * level of the learnt clause and asserts its first literal there.
   */
  #learn(conflict: number): void {
    const seen = this.#seen;
    const lvl = this.#lvl;
    const reason = this.#reason;
    const trail = this.#trail;
    const arena = this.#arena;
    const start = this.#start;
    const len = this.#len;
    const dl = this.#dl;
    const ante: number[] = [conflict];
    let lbuf = this.#lbuf;
    let nl = 1; // lbuf[0] is reserved for the asserting literal
    let pathC = 0;
    let pv = 0; // the variable resolved on (0: none yet)
    let idx = this.#trailLen - 1;
    let cl = conflict;
    for (;;) {
      const s = start[cl]!;
      const e = s + len[cl]!;
      for (let k = s; k < e; k++) {
        const q = arena[k]!;
        const v = q >> 1;
        if (v === pv || seen[v] !== 0) continue;
        const lv = lvl[v]!;
        if (lv === 0) continue; // a fact: dropped here, recovered from the trail for cores
        seen[v] = 1;
        if (lv >= dl) pathC++;
        else {
          if (nl >= lbuf.length) this.#lbuf = lbuf = grow(lbuf, nl + 1, nl, i32);
          lbuf[nl++] = q;
        }
      }
      while (seen[trail[idx]! >> 1] === 0) idx--;
      const p = trail[idx--]!;
      pv = p >> 1;
      seen[pv] = 0;
      if (--pathC === 0) {
        lbuf[0] = p ^ 1;
        break;
      }
      cl = reason[pv]!;
      ante.push(cl);
    }
    // Local minimisation: a literal whose reason's other literals are all in the clause (or
    // facts) is implied by them.
    const marked = lbuf.slice(1, nl);
    let kept = 1;
    for (let k = 1; k < nl; k++) {
      const q = lbuf[k]!;
      const r = reason[q >> 1]!;
      let redundant = r >= 0;
      if (redundant) {
        const s = start[r]!;
        const e = s + len[r]!;
        for (let m = s; m < e; m++) {
          const u = arena[m]! >> 1;
          if (u !== q >> 1 && seen[u] === 0 && lvl[u] !== 0) {
            redundant = false;
            break;
          }
        }
      }
      if (redundant) ante.push(r);
      else lbuf[kept++] = q;
    }
    for (const q of marked) seen[q >> 1] = 0;
    nl = kept;
    // The literal with the highest level after the asserting one goes to position 1.
    let bj = 0;
    for (let k = 1; k < nl; k++) {
      const l = lvl[lbuf[k]! >> 1]!;
      if (l > bj) {
        bj = l;
        const t = lbuf[1]!;
        lbuf[1] = lbuf[k]!;
        lbuf[k] = t;
      }
    }
    this.#backtrack(bj);
    const cid = this.#storeClause(nl, -1);
    const s = this.#start[cid]!;
    for (let k = 0; k < nl; k++) {
      this.#arena[s + k] = lbuf[k]!;
      this.#given[s + k] = toLit(lbuf[k]!);
    }
    this.#antecedents.set(cid, Int32Array.from(ante));
    if (nl >= 2) this.#attach(cid);
    this.#assign(lbuf[0], cid);
    this.#stats.learnt++;
  }

  /**
   * Runs the search from level 0 with `decide` as the policy. Returns SAT (read `model()`) or
   * UNSAT with the sorted origins of the original clauses of the proof. Once UNSAT, always UNSAT.
   * Throws InternalError when the decider returns an assigned or unknown literal, or when more
   * than `maxConflicts` conflicts (default: no limit) are needed.
   */
  solve(decide: Decider, opts: { maxConflicts?: number } = {}): SatResult {
    const maxConflicts = opts.maxConflicts ?? Infinity;
    let conflicts = 0;
    if (this.#unsatCore === null) this.#backtrack(0);
    for (;;) {
      if (this.#unsatCore !== null) return { sat: false, core: this.#unsatCore };
      let conflict = this.#pendingConflict;
      this.#pendingConflict = -1;
      if (conflict < 0) conflict = this.#propagate();
      if (conflict >= 0) {
        this.#stats.conflicts++;
        if (this.#dl === 0) {
          this.#unsatCore = this.#collect([conflict], []).origins;
          continue;
        }
        if (++conflicts > maxConflicts) throw new InternalError(`sat: gave up after ${maxConflicts} conflicts`);
        this.#learn(conflict);
        continue;
      }
      const changes = this.#changes;
      const d = decide(this);
      if (this.#changes !== changes || d === RETRY) continue;
      if (d === 0) return { sat: true };
      const v = Math.abs(d);
      this.#checkVar(v);
      const c = toCode(d);
      if (this.#val[c] !== 0) throw new InternalError(`sat: the decider returned ${d}, which is already assigned`);
      this.#stats.decisions++;
      if (this.#dl + 1 >= this.#lim.length) this.#lim = grow(this.#lim, this.#dl + 2, this.#dl + 1, i32);
      this.#lim[this.#dl++] = this.#trailLen;
      this.#assign(c, -1);
    }
  }

  /** The assignment as an array indexed by variable: 1 true, -1 false or unassigned (index 0 unused). */
  model(): Int8Array {
    const m = new Int8Array(this.#nVars + 1);
    for (let v = 1; v <= this.#nVars; v++) m[v] = this.#val[v << 1] === 1 ? 1 : -1;
    return m;
  }

  /**
   * Ids of the original clauses violated when unassigned variables read as false (no true
   * literal and no negative literal of an unassigned variable); empty after a complete search.
   */
  unsatisfiedClauses(): number[] {
    const out: number[] = [];
    const val = this.#val;
    for (let cid = 0; cid < this.#nClauses; cid++) {
      if (this.#origin[cid] === -1) continue;
      const s = this.#start[cid]!;
      const e = s + this.#len[cid]!;
      let ok = false;
      for (let k = s; k < e && !ok; k++) {
        const c = this.#arena[k]!;
        ok = val[c] === 1 || (val[c] === 0 && (c & 1) === 1);
      }
      if (!ok) out.push(cid);
    }
    return out;
  }

  /**
   * Why variable v has its current value: the sorted origins of the original clauses and the
   * decisions (as literals) its implication depends on. Empty for an unassigned variable; a
   * decision explains itself. Level-0 values depend on no decisions.
   */
  explain(v: number): Explanation {
    this.#checkVar(v);
    if (this.#val[v << 1] === 0) return { origins: [], decisions: [] };
    return this.#collect([], [v]);
  }

  /**
   * Walks the implication graph from the given clauses (all of whose literals are false) and
   * variables: a clause reached as a reason or conflict needs the reasons of all its false
   * literals; a learnt clause also needs its antecedents, which need only the reasons of their
   * level-0 literals (the facts dropped during learning; higher levels were resolved away).
   */
  #collect(clauses: number[], vars: number[]): Explanation {
    const done = new Uint8Array(this.#nClauses); // 1: walked as antecedent, 2: as reason
    const varDone = new Uint8Array(this.#nVars + 1);
    const origins = new Set<number>();
    const decisions: Lit[] = [];
    const stack: number[] = []; // pairs (clause id, mode)
    const visitVar = (v: number): void => {
      if (varDone[v] !== 0) return;
      varDone[v] = 1;
      const r = this.#reason[v]!;
      if (r < 0) decisions.push(this.#val[v << 1] === 1 ? v : -v);
      else stack.push(r, 2);
    };
    for (const c of clauses) stack.push(c, 2);
    for (const v of vars) visitVar(v);
    while (stack.length > 0) {
      const mode = stack.pop()!;
      const cid = stack.pop()!;
      if (done[cid]! >= mode) continue;
      done[cid] = mode;
      const origin = this.#origin[cid]!;
      if (origin >= 0) origins.add(origin);
      else for (const a of this.#antecedents.get(cid) ?? []) stack.push(a, 1);
      const s = this.#start[cid]!;
      const e = s + this.#len[cid]!;
      for (let k = s; k < e; k++) {
        const c = this.#arena[k]!;
        if (this.#val[c] !== -1) continue;
        const u = c >> 1;
        if (mode === 2 || this.#lvl[u] === 0) visitVar(u);
      }
    }
    return { origins: [...origins].sort((x, y) => x - y), decisions: decisions.sort((x, y) => Math.abs(x) - Math.abs(y)) };
  }
}
