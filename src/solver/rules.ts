// Rules in libsolv's spirit (depsolve.md §5.2), generated lazily: a package's rules are added
// the first time it is true in the search (a requires rule only bites when its package is
// installed; a conflict pair is added by whichever side comes first), so the solver never walks
// the whole 63,440-package universe. Every clause carries the number of a RuleInfo, its
// provenance, from which problems are explained (§5.3 "problem reporting").
import { formatRichDep, formatRpmDepRange, isRichDep, parseRichDep, type DebRelation, type DebRelationExpr, type RichDep, type RpmDepEntry } from '../pkg/index.js';
import { describePackage, formatDebRelation, type Pool, type Solvable } from './pool.js';
import type { ProblemRule } from './types.js';

/** Provenance of one clause. `pkg`/`other` are solvable ids. */
export type RuleInfo = {
  kind: ProblemRule['kind'] | 'weak';
  pkg?: number;
  other?: number;
  dep?: string;
  /** job: the spec as the user wrote it. */
  job?: string;
};

/** An internal boolean formula over solvables (rich deps after provider lookup). */
type Formula = { t: 'atom'; set: readonly number[] } | { t: 'not'; e: Formula } | { t: 'and' | 'or'; es: Formula[] };

const MAX_CNF_CLAUSES = 4096;

/** CNF of a formula: clauses of solvable literals. */
export function toCnf(f: Formula, negate = false): number[][] {
  switch (f.t) {
    case 'atom':
      return negate ? f.set.map((p) => [-p]) : [[...f.set]];
    case 'not':
      return toCnf(f.e, !negate);
    case 'and':
    case 'or': {
      const conj = (f.t === 'and') !== negate;
      const parts = f.es.map((e) => toCnf(e, negate));
      if (conj) return parts.flat();
      // Disjunction: distribute (the cross product of the operands' clauses).
      let acc: number[][] = [[]];
      for (const part of parts) {
        const next: number[][] = [];
        for (const a of acc) for (const c of part) next.push([...a, ...c]);
        if (next.length > MAX_CNF_CLAUSES) throw new RangeError('rich dependency too large to expand');
        acc = next;
      }
      return acc;
    }
  }
}

/** Evaluates a formula under "installed = value(id) === 1". */
export function evalFormula(f: Formula, installed: (id: number) => boolean): boolean {
  switch (f.t) {
    case 'atom':
      return f.set.some(installed);
    case 'not':
      return !evalFormula(f.e, installed);
    case 'and':
      return f.es.every((e) => evalFormula(e, installed));
    case 'or':
      return f.es.some((e) => evalFormula(e, installed));
  }
}

/**
 * Turns a rpm rich dependency into a formula over providers (`with`/`without` as provider-set
 * algebra, §2.3). In Conflicts the conditionals read as conjunctions (rpm/libsolv): "conflicts
 * with A unless B" holds when A is installed and B is not; "A if B" when both are.
 */
export function richFormula(pool: Pool, d: RichDep, context: 'requires' | 'conflicts' = 'requires'): Formula {
  const setOf = (e: RichDep): Set<number> => {
    switch (e.op) {
      case 'dep':
        return new Set(pool.whatProvidesRpm(e.dep));
      case 'or': {
        const out = new Set<number>();
        for (const a of e.args) for (const p of setOf(a)) out.add(p);
        return out;
      }
      case 'and':
      case 'with': {
        const [first, ...rest] = e.args.map(setOf);
        return new Set([...(first ?? [])].filter((p) => rest.every((s) => s.has(p))));
      }
      case 'without': {
        const b = setOf(e.args[1]);
        return new Set([...setOf(e.args[0])].filter((p) => !b.has(p)));
      }
      case 'if':
      case 'unless':
        return new Set();
    }
  };
  const atom = (set: Iterable<number>): Formula => ({ t: 'atom', set: [...set].sort((a, b) => a - b) });
  switch (d.op) {
    case 'dep':
      return atom(pool.whatProvidesRpm(d.dep));
    case 'and':
    case 'or':
      return { t: d.op, es: d.args.map((a) => richFormula(pool, a, context)) };
    case 'with':
    case 'without':
      return atom(setOf(d));
    case 'if': {
      const [a, b, c] = d.args.map((x) => richFormula(pool, x, context)) as [Formula, Formula, Formula | undefined];
      // Requires: A if B = A or not B; A if B else C = (not B or A) and (B or C)   (§2.3)
      if (context === 'conflicts') return c === undefined ? { t: 'and', es: [a, b] } : { t: 'or', es: [{ t: 'and', es: [b, a] }, { t: 'and', es: [{ t: 'not', e: b }, c] }] };
      return c === undefined ? { t: 'or', es: [a, { t: 'not', e: b }] } : { t: 'and', es: [{ t: 'or', es: [{ t: 'not', e: b }, a] }, { t: 'or', es: [b, c] }] };
    }
    case 'unless': {
      const [a, b, c] = d.args.map((x) => richFormula(pool, x, context)) as [Formula, Formula, Formula | undefined];
      // Requires: A unless B = A or B; A unless B else C = (B or A) and (not B or C)
      if (context === 'conflicts') return c === undefined ? { t: 'and', es: [a, { t: 'not', e: b }] } : { t: 'or', es: [{ t: 'and', es: [{ t: 'not', e: b }, a] }, { t: 'and', es: [b, c] }] };
      return c === undefined ? { t: 'or', es: [a, b] } : { t: 'and', es: [{ t: 'or', es: [b, a] }, { t: 'or', es: [{ t: 'not', e: b }, c] }] };
    }
  }
}

/** Parsed rich deps, by string (a repo repeats the same few thousand). */
const richCache = new Map<string, RichDep>();

/** The rich dependency an entry holds (cached). */
export function richOf(e: RpmDepEntry): RichDep {
  let d = richCache.get(e.name);
  if (d === undefined) {
    d = parseRichDep(e.name);
    richCache.set(e.name, d);
  }
  return d;
}

/** How an rpm dependency entry is printed (`bar >= 2.0`, or the rich expression). */
export function rpmDepText(e: RpmDepEntry): string {
  return e.rich === true || isRichDep(e.name) ? formatRichDep(richOf(e)) : formatRpmDepRange(e);
}

/** A formula for one rpm dependency entry (plain or rich). */
export function rpmDepFormula(pool: Pool, e: RpmDepEntry, context: 'requires' | 'conflicts' = 'requires'): Formula {
  if (e.rich === true || isRichDep(e.name)) return richFormula(pool, richOf(e), context);
  return { t: 'atom', set: pool.whatProvidesRpm(e) };
}

/** rpm requires that never reach the solver: rpm's own feature checks (§2.1). */
export function isRpmlibDep(e: RpmDepEntry): boolean {
  return e.name.startsWith('rpmlib(');
}

/** deb: the candidates of one Depends group, alternatives kept in order (§3.4). */
export function debGroupAlternatives(pool: Pool, expr: DebRelationExpr, from: Solvable): number[][] {
  const rels: DebRelation[] = 'anyOf' in expr ? expr.anyOf : [expr];
  return rels.map((r) => [...pool.whatProvidesDeb(r, from)]);
}

/** deb: a Depends group as apt prints it (`a (>= 1) | b`). */
export function debGroupText(expr: DebRelationExpr): string {
  return ('anyOf' in expr ? expr.anyOf : [expr]).map(formatDebRelation).join(' | ');
}

/** The text of a rule as dnf/apt would say it (interfaces: ProblemRule.text). */
export function ruleText(pool: Pool, info: RuleInfo): string {
  const name = (id: number | undefined): string => (id === undefined ? '?' : describePackage(pool.get(id)));
  const deb = pool.policy === 'deb';
  switch (info.kind) {
    case 'job':
      return `conflicting requests: install ${info.job ?? '?'}`;
    case 'not-found':
      return deb ? `Unable to locate package ${info.dep ?? '?'}` : `No match for argument: ${info.dep ?? '?'}`;
    case 'nothing-provides':
      return deb ? `${name(info.pkg)} : Depends: ${info.dep ?? '?'} but it is not installable` : `nothing provides ${info.dep ?? '?'} needed by ${name(info.pkg)}`;
    case 'requires':
      return deb
        ? `${name(info.pkg)} : Depends: ${info.dep ?? '?'} but it is not going to be installed`
        : `package ${name(info.pkg)} requires ${info.dep ?? '?'}, but none of the providers can be installed`;
    case 'conflicts':
      return deb ? `${name(info.pkg)} : Conflicts: ${info.dep ?? '?'} (${name(info.other)})` : `package ${name(info.pkg)} conflicts with ${info.dep ?? '?'} provided by ${name(info.other)}`;
    case 'breaks':
      return `${name(info.pkg)} : Breaks: ${info.dep ?? '?'} (${name(info.other)})`;
    case 'obsoletes':
      return `package ${name(info.pkg)} obsoletes ${info.dep ?? '?'} provided by ${name(info.other)}`;
    case 'same-name':
      return `cannot install both ${name(info.pkg)} and ${name(info.other)}`;
    case 'multi-arch-same':
      return `${name(info.pkg)} and ${name(info.other)} are Multi-Arch: same but differ in version`;
    case 'excluded':
      return `package ${name(info.pkg)} is excluded`;
    case 'weak':
      return 'weak dependency';
  }
}
