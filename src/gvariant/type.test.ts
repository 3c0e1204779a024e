import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { isVariant, parseType, variant } from './index.js';

describe('parseType', () => {
  it('computes alignment and fixed size (§1.1)', () => {
    const table: [string, number, number | null][] = [
      ['b', 1, 1], ['y', 1, 1], ['n', 2, 2], ['q', 2, 2], ['i', 4, 4], ['u', 4, 4], ['h', 4, 4], ['x', 8, 8], ['t', 8, 8], ['d', 8, 8],
      ['s', 1, null], ['o', 1, null], ['g', 1, null], ['v', 8, null],
      ['ay', 1, null], ['at', 8, null], ['mt', 8, null], ['ms', 1, null],
      ['()', 1, 1], ['(())', 1, 1], ['(yy)', 1, 2], ['(uy)', 4, 8], ['(ty)', 8, 16], ['(yt)', 8, 16], ['(yqy)', 2, 6],
      ['(sy)', 1, null], ['(yv)', 8, null], ['{yt}', 8, 16], ['a{sv}', 8, null], ['(a{sv}aya(say)sstayay)', 8, null],
    ];
    for (const [sig, align, fixedSize] of table) {
      // dict entries stand alone only inside arrays: read them from a{…}
      const t = sig.startsWith('{') ? parseType(`a${sig}`) : parseType(sig);
      const inner = sig.startsWith('{') && t.kind === 'array' ? t.element : t;
      expect([inner.sig, inner.align, inner.fixedSize], sig).toEqual([sig, align, fixedSize]);
    }
  });

  it('builds the tree of a commit type', () => {
    const t = parseType('(a{sv}aya(say)sstayay)');
    if (t.kind !== 'tuple') throw new Error('not a tuple');
    expect(t.members.map((m) => m.sig)).toEqual(['a{sv}', 'ay', 'a(say)', 's', 's', 't', 'ay', 'ay']);
    const dict = t.members[0];
    expect(dict?.kind === 'array' && dict.element.kind === 'dict-entry' ? [dict.element.key.sig, dict.element.value.kind] : null).toEqual(['s', 'variant']);
  });

  it('caches: the same string gives the same frozen object', () => {
    expect(parseType('a(say)')).toBe(parseType('a(say)'));
    expect(Object.isFrozen(parseType('a(say)'))).toBe(true);
  });

  it('rejects bad signatures with a FormatError naming the problem', () => {
    const bad: [string, RegExp][] = [
      ['', /ends in the middle/],
      ['a', /ends in the middle/],
      ['(s', /missing '\)'/],
      ['ss', /not a single complete type/],
      ['s)', /not a single complete type/],
      ['{sv}', /only allowed as an array element/],
      ['(s{sv})', /only allowed as an array element/],
      ['am{sv}', /only allowed as an array element/],
      ['a{vs}', /key must be a basic type/],
      ['a{(s)s}', /key must be a basic type/],
      ['a{s}', /needs a key and a value/],
      ['a{svs}', /expected '}'/],
      ['mmy', /nested maybe/],
      ['z', /unexpected character "z"/],
      ['r', /unexpected character/],
      ['*', /unexpected character/],
      [`${'a'.repeat(129)}y`, /deeper than 128/],
    ];
    for (const [sig, msg] of bad) {
      const e = thrownBy(() => parseType(sig), FormatError);
      expect(e.format, sig).toBe('gvariant');
      expect(e.message, sig).toMatch(msg);
    }
  });

  it('accepts 128 nested containers (GLib G_VARIANT_MAX_RECURSION_DEPTH)', () => {
    expect(parseType(`${'a'.repeat(128)}y`).sig).toHaveLength(129);
    expect(parseType('m(my)').kind).toBe('maybe');
  });
});

describe('variant / isVariant', () => {
  it('makes frozen variants and checks the type string', () => {
    const v = variant('as', ['main']);
    expect(v).toEqual({ type: 'as', value: ['main'] });
    expect(isVariant(v)).toBe(true);
    expect(Object.isFrozen(v)).toBe(true);
    expect(thrownBy(() => variant('a', 1), FormatError).message).toMatch(/bad type string "a"/);
  });
  it('tells variants from other values', () => {
    for (const x of [null, 1, 'type', [1, 2], new Uint8Array([1]), { type: 1, value: 2 }, { type: 's' }]) expect(isVariant(x)).toBe(false);
    expect(isVariant({ type: 's', value: 'x' })).toBe(true);
  });
});

describe('parseType on arbitrary strings', () => {
  it('returns a type whose sig is the input, or throws FormatError', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'bynqiuhxtdsogvam(){}z*'.split('')), maxLength: 24 }), (s) => {
        try {
          expect(parseType(s).sig).toBe(s);
        } catch (err) {
          expect(err).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('survives hostile sizes: a million members, deep nesting', () => {
    expect(parseType(`(${'y'.repeat(1_000_000)})`).fixedSize).toBe(1_000_000);
    expect(thrownBy(() => parseType('('.repeat(100_000)), FormatError).message).toMatch(/deeper than 128/);
    expect(thrownBy(() => parseType('a'.repeat(100_000)), FormatError).message).toMatch(/deeper than 128/);
  });
});
