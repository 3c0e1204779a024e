// RPM rich (boolean) dependencies, rpm >= 4.13 (depsolve.md §2.3): `(A and B)`, `(A or B)`,
// `(A if B [else C])`, `(A unless B [else C])`, `(A with B)`, `(A without B)`, nested with
// parentheses; operands are plain `name [op evr]` dependencies. rpm allows chains of one
// operator (`(a or b or c)`); mixing operators needs parentheses.
import { FormatError } from '../core/index.js';
import { parseRpmDep, type RpmDepRange } from './dep-rpm.js';

/** A parsed rich dependency. `dep` leaves are plain ranges; `with`/`without` need one package to satisfy both sides. */
export type RichDep =
  | { op: 'dep'; dep: RpmDepRange }
  | { op: 'and' | 'or' | 'with'; args: RichDep[] }
  | { op: 'without'; args: [RichDep, RichDep] }
  | { op: 'if' | 'unless'; args: [RichDep, RichDep] | [RichDep, RichDep, RichDep] };

const OPERATORS = new Set(['and', 'or', 'if', 'else', 'unless', 'with', 'without']);

/** Whether a dependency string is a rich dependency (rpm: it starts with `(`). */
export function isRichDep(s: string): boolean {
  return s.trimStart().startsWith('(');
}

/** Parses a rich dependency such as `(foo >= 1.0 or (bar if baz))`; throws FormatError('rpm-dep'). */
export function parseRichDep(s: string): RichDep {
  let p = 0;
  const fail = (why: string): never => {
    throw new FormatError('rpm-dep', `${why} at character ${p} of ${JSON.stringify(s)}`);
  };
  const skip = (): void => {
    while (p < s.length && /\s/.test(s[p] ?? '')) p++;
  };
  // A word may hold balanced parentheses after its first character: `perl(Foo)`,
  // `python3dist(foo)` are capability names, as rpm's parser reads them.
  const word = (): string => {
    skip();
    const start = p;
    let depth = 0;
    while (p < s.length) {
      const c = s[p] ?? '';
      if (depth === 0 && /\s/.test(c)) break;
      if (c === '(') {
        if (p === start) break;
        depth++;
      } else if (c === ')') {
        if (depth === 0) break;
        depth--;
      }
      p++;
    }
    return s.slice(start, p);
  };
  const peekWord = (): string => {
    const save = p;
    const w = word();
    p = save;
    return w;
  };

  const operand = (): RichDep => {
    skip();
    if (s[p] === '(') return group();
    // A plain dependency: name [op evr], ending at an operator keyword or a parenthesis.
    const parts: string[] = [];
    for (;;) {
      skip();
      if (p >= s.length || s[p] === ')' || s[p] === '(') break;
      const w = peekWord();
      if (parts.length > 0 && OPERATORS.has(w)) break;
      parts.push(word());
    }
    if (parts.length === 0) fail('expected a dependency');
    try {
      return { op: 'dep', dep: parseRpmDep(parts.join(' ')) };
    } catch (err) {
      if (err instanceof FormatError) return fail(`bad dependency ${JSON.stringify(parts.join(' '))}`);
      throw err;
    }
  };

  const group = (): RichDep => {
    skip();
    if (s[p] !== '(') fail('expected "("');
    p++;
    const first = operand();
    skip();
    if (s[p] === ')') {
      p++;
      return first;
    }
    const op = word();
    let result: RichDep;
    switch (op) {
      case 'and':
      case 'or':
      case 'with': {
        const args = [first, operand()];
        while (peekWord() === op) {
          word();
          args.push(operand());
        }
        result = { op, args };
        break;
      }
      case 'without':
        result = { op, args: [first, operand()] };
        break;
      case 'if':
      case 'unless': {
        const cond = operand();
        if (peekWord() === 'else') {
          word();
          result = { op, args: [first, cond, operand()] };
        } else {
          result = { op, args: [first, cond] };
        }
        break;
      }
      default:
        return fail(`expected and/or/if/unless/with/without, found ${JSON.stringify(op)}`);
    }
    skip();
    if (s[p] !== ')') fail(`expected ")" after the ${op} expression (mixing operators needs parentheses)`);
    p++;
    return result;
  };

  const result = group();
  skip();
  if (p !== s.length) fail('trailing text');
  return result;
}

/** Formats a rich dependency back to rpm's syntax (for messages). */
export function formatRichDep(d: RichDep): string {
  switch (d.op) {
    case 'dep':
      return formatRpmDepRange(d.dep);
    case 'and':
    case 'or':
    case 'with':
      return `(${d.args.map((a) => formatRichDep(a)).join(` ${d.op} `)})`;
    case 'without':
      return `(${formatRichDep(d.args[0])} without ${formatRichDep(d.args[1])})`;
    case 'if':
    case 'unless': {
      const [a, b, c] = d.args;
      return `(${formatRichDep(a)} ${d.op} ${formatRichDep(b)}${c === undefined ? '' : ` else ${formatRichDep(c)}`})`;
    }
  }
}

/** Formats `name op evr` as rpm and dnf print dependencies (`bar >= 2.0`). */
export function formatRpmDepRange(d: RpmDepRange): string {
  const f = d.flags & 0x0e;
  if (f === 0) return d.name;
  const op = { 2: '<', 4: '>', 8: '=', 10: '<=', 12: '>=' }[f] ?? '?';
  return `${d.name} ${op} ${d.evr}`;
}
