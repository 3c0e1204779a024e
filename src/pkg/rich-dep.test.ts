import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { formatRichDep, formatRpmDepRange, isRichDep, parseRichDep, type RichDep } from './index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { fcParams } from '../../test/helpers/pool-arbitrary.js';

const dep = (name: string, flags = 0, evr = ''): RichDep => ({ op: 'dep', dep: { name, flags, evr } });

describe('parseRichDep (depsolve.md §2.3)', () => {
  it('parses each operator', () => {
    expect(parseRichDep('(a or b)')).toEqual({ op: 'or', args: [dep('a'), dep('b')] });
    expect(parseRichDep('(a and b)')).toEqual({ op: 'and', args: [dep('a'), dep('b')] });
    expect(parseRichDep('(a with b)')).toEqual({ op: 'with', args: [dep('a'), dep('b')] });
    expect(parseRichDep('(a without b)')).toEqual({ op: 'without', args: [dep('a'), dep('b')] });
    expect(parseRichDep('(a if b)')).toEqual({ op: 'if', args: [dep('a'), dep('b')] });
    expect(parseRichDep('(a if b else c)')).toEqual({ op: 'if', args: [dep('a'), dep('b'), dep('c')] });
    expect(parseRichDep('(a unless b)')).toEqual({ op: 'unless', args: [dep('a'), dep('b')] });
    expect(parseRichDep('(a unless b else c)')).toEqual({ op: 'unless', args: [dep('a'), dep('b'), dep('c')] });
  });

  it('reads versioned operands with every comparison, epochs and releases', () => {
    expect(parseRichDep('(foo >= 1.0 or bar < 2:3-4)')).toEqual({ op: 'or', args: [dep('foo', 0x0c, '1.0'), dep('bar', 0x02, '2:3-4')] });
    expect(parseRichDep('(a = 1 and b <= 2 and c > 3)')).toEqual({ op: 'and', args: [dep('a', 0x08, '1'), dep('b', 0x0a, '2'), dep('c', 0x04, '3')] });
  });

  it('keeps a chain of one operator in one node and nests parenthesised groups', () => {
    expect(parseRichDep('(a or b or c)')).toEqual({ op: 'or', args: [dep('a'), dep('b'), dep('c')] });
    expect(parseRichDep('(a with b with c)')).toEqual({ op: 'with', args: [dep('a'), dep('b'), dep('c')] });
    expect(parseRichDep('(a or (b and c))')).toEqual({ op: 'or', args: [dep('a'), { op: 'and', args: [dep('b'), dep('c')] }] });
    expect(parseRichDep('((a if b) or (c unless d else e))')).toEqual({
      op: 'or',
      args: [
        { op: 'if', args: [dep('a'), dep('b')] },
        { op: 'unless', args: [dep('c'), dep('d'), dep('e')] },
      ],
    });
  });

  it('accepts free whitespace and a parenthesised single operand', () => {
    expect(parseRichDep('  (  a   >=  1   or\tb )  ')).toEqual({ op: 'or', args: [dep('a', 0x0c, '1'), dep('b')] });
    expect(parseRichDep('(a)')).toEqual(dep('a'));
    expect(parseRichDep('((a or b))')).toEqual({ op: 'or', args: [dep('a'), dep('b')] });
  });

  it('reads names that contain operator words as names', () => {
    expect(parseRichDep('(android or orca)')).toEqual({ op: 'or', args: [dep('android'), dep('orca')] });
  });

  // rpm's parser skips balanced parentheses inside a name (rpmrichParse), and such names are the
  // common case in Fedora: `(python3dist(foo) >= 1 with python3dist(foo) < 2)`,
  // `(kernel-module(x) if kernel)`, `(perl(Foo) or bar)`.
  it('reads capability names with parentheses, as rpm does', () => {
    expect(parseRichDep('(perl(Foo) or bar)')).toEqual({ op: 'or', args: [dep('perl(Foo)'), dep('bar')] });
    expect(parseRichDep('(python3dist(foo) >= 1 with python3dist(foo) < 2)')).toEqual({ op: 'with', args: [dep('python3dist(foo)', 0x0c, '1'), dep('python3dist(foo)', 0x02, '2')] });
    expect(parseRichDep('(kernel-module(x) if kernel)')).toEqual({ op: 'if', args: [dep('kernel-module(x)'), dep('kernel')] });
  });

  it('tells rich dependencies from plain ones', () => {
    expect(isRichDep('(a or b)')).toBe(true);
    expect(isRichDep('  (a or b)')).toBe(true);
    expect(isRichDep('libm(x86-32)')).toBe(false);
    expect(isRichDep('foo >= 1')).toBe(false);
  });
});

describe('parseRichDep errors', () => {
  // Each: input, the character position the message must name, and a word it must contain.
  const cases: [string, number, string][] = [
    ['a or b', 0, 'expected "("'],
    ['()', 1, 'expected a dependency'],
    ['(a or )', 6, 'expected a dependency'],
    ['(a', 2, 'expected'],
    ['(a or b', 7, 'expected ")"'],
    ['(a or b) x', 9, 'trailing text'],
    ['(a or b and c)', 8, 'mixing operators needs parentheses'],
    ['(a without b without c)', 13, 'expected ")"'],
    ['(a if b else c else d)', 15, 'expected ")"'],
  ];
  for (const [input, at, words] of cases) {
    it(`rejects ${JSON.stringify(input)} at character ${at}`, () => {
      const err = thrownBy(() => parseRichDep(input), FormatError);
      expect(err.format).toBe('rpm-dep');
      expect(err.message).toContain(words);
      expect(err.message).toContain(`at character ${at} of ${JSON.stringify(input)}`);
    });
  }

  it('rejects a bad operand (unknown operator word, missing version), naming it and a position', () => {
    for (const [input, operand] of [
      ['(a >= or b)', 'a >='],
      ['(a xor b)', 'a xor b'],
    ] as const) {
      const err = thrownBy(() => parseRichDep(input), FormatError);
      expect(err.format).toBe('rpm-dep');
      expect(err.message).toContain(`bad dependency ${JSON.stringify(operand)} at character `);
      expect(err.message).toMatch(/at character \d+ of /);
    }
  });
});

describe('formatRichDep', () => {
  it('prints plain ranges as dnf does', () => {
    expect(formatRpmDepRange({ name: 'bar', flags: 0, evr: '' })).toBe('bar');
    expect(formatRpmDepRange({ name: 'bar', flags: 0x0c, evr: '2.0' })).toBe('bar >= 2.0');
    expect(formatRpmDepRange({ name: 'bar', flags: 0x0a, evr: '1:2-3' })).toBe('bar <= 1:2-3');
    expect(formatRpmDepRange({ name: 'bar', flags: 0x08, evr: '2' })).toBe('bar = 2');
    expect(formatRpmDepRange({ name: 'bar', flags: 0x02, evr: '2' })).toBe('bar < 2');
    expect(formatRpmDepRange({ name: 'bar', flags: 0x04, evr: '2' })).toBe('bar > 2');
  });

  it('gives back canonical input unchanged', () => {
    for (const s of ['(a or b)', '(a and b and c)', '(foo >= 1.0 or bar < 2:3-4)', '(a or (b and c))', '(a if b)', '(a if b else c)', '(a unless b else (c with d))', '(a without b)', '((a or b) and (c or d))']) {
      expect(formatRichDep(parseRichDep(s))).toBe(s);
    }
  });

  it('round-trips random expressions: parse(format(d)) equals d', () => {
    const names = ['a', 'b2', 'lib-foo', 'python3-x.y', 'g++', 'or-tools', 'android', 'x_y'];
    const evrs = ['1', '1.0', '2:3.4-5', '1.0-1.fc40', '0~rc1'];
    const leaf: fc.Arbitrary<RichDep> = fc
      .tuple(fc.constantFrom(...names), fc.option(fc.tuple(fc.constantFrom(0x02, 0x04, 0x08, 0x0a, 0x0c), fc.constantFrom(...evrs))))
      .map(([name, v]) => dep(name, v?.[0] ?? 0, v?.[1] ?? ''));
    const tree = fc.letrec<{ node: RichDep; any: RichDep }>((tie) => ({
      any: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('node')),
      node: fc.oneof(
        fc.tuple(fc.constantFrom('and' as const, 'or' as const, 'with' as const), fc.array(tie('any'), { minLength: 2, maxLength: 3 })).map(([op, args]): RichDep => ({ op, args })),
        fc.tuple(tie('any'), tie('any')).map(([a, b]): RichDep => ({ op: 'without', args: [a, b] })),
        fc.tuple(fc.constantFrom('if' as const, 'unless' as const), tie('any'), tie('any'), fc.option(tie('any'))).map(([op, a, b, c]): RichDep => ({ op, args: c === null ? [a, b] : [a, b, c] })),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (d) => {
        const text = formatRichDep(d);
        expect(parseRichDep(text)).toEqual(d);
        expect(formatRichDep(parseRichDep(text))).toBe(text);
      }),
      fcParams(500),
    );
  });
});
