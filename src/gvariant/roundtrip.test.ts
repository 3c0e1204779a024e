// Property tests (architecture.md §8): random type trees and values round-trip through normal
// form, and the strict decoder accepts bytes only if they are exactly what the encoder writes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { BASIC_CODES, gvariantTypeArb, gvariantValueArb, hexed, type GVariantValueOptions } from '../../test/helpers/gvariant-arbitrary.js';
import { decodeGVariant, encodeGVariant, isNormalForm, parseType, variant, type GVariantType, type GVariantValue } from './index.js';

/** Types the random trees might rarely reach on their own: fixed tuples, unit, OSTree's. */
const NOTABLE = ['()', '(yt)', '(ty)', '(yqy)', 'a()', 'a(yt)', 'a{yt}', 'm()', 'm(ts)', 'mt', 'ms', 'av', 'aay', 'a{sv}', '(a{sv}aya(say)sstayay)', '(a(say)a(sayay))', '(uuua(ayay))', '(tuuuusa(ayay))', '(a(s(taya{sv}))a{sv})'];

const typeArb = gvariantTypeArb({ maxDepth: 4, extra: NOTABLE });
/** One options object, so the value arbitraries are cached per signature across draws. */
const VALUES: GVariantValueOptions = { variantTypes: typeArb };
const valueArb = (t: GVariantType): fc.Arbitrary<GVariantValue> => gvariantValueArb(t, VALUES);

/** A random (type string, value of that type) pair. */
const typedValueArb = typeArb.chain((sig) => valueArb(parseType(sig)).map((v): [string, GVariantValue] => [sig, v]));

/** Random damage to valid bytes: bit flips, overwrites, cuts, insertions. */
function mutate(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 0xff, 0x80, 0x28, 0x29, 0x61, 0x79, 0x76) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  );
  return fc.array(op, { minLength: 1, maxLength: 3 }).map((ops) => {
    let b = Uint8Array.from(bytes);
    for (const o of ops) {
      const at = b.length === 0 ? 0 : o.at % b.length;
      switch (o.kind) {
        case 'flip': if (b.length > 0) b[at] = (b[at] ?? 0) ^ (1 << o.bit); break;
        case 'set': if (b.length > 0) b[at] = o.value; break;
        case 'cut': b = b.slice(0, at); break;
        case 'insert': b = Uint8Array.from([...b.subarray(0, at), o.value, ...b.subarray(at)]); break;
        case 'delete': b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]); break;
      }
    }
    return b;
  });
}

/** Decoding arbitrary bytes: a FormatError, or a value that re-encodes to exactly those bytes. */
function strictOrFormatError(sig: string, bytes: Uint8Array): 'accepted' | 'rejected' {
  let value: GVariantValue;
  try {
    value = decodeGVariant(sig, bytes);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(bytes.length);
    expect(isNormalForm(sig, bytes)).toBe(false);
    return 'rejected';
  }
  expect(encodeGVariant(sig, value)).toEqual(bytes);
  expect(isNormalForm(sig, bytes)).toBe(true);
  return 'accepted';
}

describe('random types and values', () => {
  it('the type generator covers every kind, basic code, fixed tuples and the unit tuple', () => {
    const sigs = fc.sample(typeArb, { seed: 1, numRuns: 2000 });
    const seen = new Set<string>();
    const visit = (t: GVariantType): void => {
      seen.add(t.kind === 'basic' ? t.code : t.kind);
      if (t.kind === 'tuple' && t.fixedSize !== null) seen.add(t.members.length === 0 ? 'unit' : 'fixed-tuple');
      if (t.kind === 'array' || t.kind === 'maybe') visit(t.element);
      if (t.kind === 'tuple') t.members.forEach(visit);
      if (t.kind === 'dict-entry') [t.key, t.value].forEach(visit);
    };
    for (const s of sigs) visit(parseType(s));
    expect([...seen].sort()).toEqual([...BASIC_CODES, 'array', 'dict-entry', 'fixed-tuple', 'maybe', 'tuple', 'unit', 'variant'].sort());
  });

  it('decode(encode(v)) equals v; encode is deterministic; the bytes are normal form', () => {
    fc.assert(
      fc.property(typedValueArb, ([sig, v]) => {
        const bytes = encodeGVariant(sig, v);
        expect(encodeGVariant(sig, v)).toEqual(bytes);
        expect(isNormalForm(sig, bytes)).toBe(true);
        expect(decodeGVariant(sig, bytes)).toEqual(v);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips containers past 64 KiB (4-byte framing offsets)', () => {
    // fast-check draws arrays element by element; fill big ones from a drawn seed instead
    const big = fc.tuple(fc.integer({ min: 65540, max: 66000 }), fc.integer()).map(([n, seed]) => {
      const b = new Uint8Array(n);
      let x = seed | 1;
      for (let k = 0; k < n; k++) b[k] = (x = (Math.imul(x, 1103515245) + 12345) | 0) >>> 24;
      return b;
    });
    const cases = fc.oneof(
      fc.tuple(big, big).map((v): [string, GVariantValue] => ['(ayay)', v]),
      fc.array(big, { minLength: 1, maxLength: 2 }).map((v): [string, GVariantValue] => ['aay', v]),
      fc.tuple(fc.string(), big).map(([s, b]): [string, GVariantValue] => ['a{sv}', [[s.replace(/\0/g, ''), variant('ay', b)]]]),
    );
    fc.assert(
      fc.property(cases, ([sig, v]) => {
        const bytes = encodeGVariant(sig, v);
        expect(bytes.length).toBeGreaterThan(65535);
        // vitest's deep equality walks typed arrays element by element: compare hex instead
        expect(hexed(decodeGVariant(sig, bytes))).toEqual(hexed(v));
      }),
      { numRuns: 12 },
    );
  });
});

describe('strict decoding of damaged input', () => {
  it('random bytes: FormatError, or a value whose re-encoding is the input', () => {
    fc.assert(
      fc.property(fc.oneof(typeArb, fc.constantFrom(...NOTABLE)), fc.uint8Array({ maxLength: 48 }), (sig, bytes) => {
        strictOrFormatError(sig, bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('bit-flipped and cut valid encodings: FormatError, or a value whose re-encoding is the input', () => {
    const outcomes = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(typedValueArb.chain(([sig, v]) => mutate(encodeGVariant(sig, v)).map((b): [string, Uint8Array] => [sig, b])), ([sig, bytes]) => {
        outcomes[strictOrFormatError(sig, bytes)]++;
      }),
      { numRuns: 3000 },
    );
    // both branches must be exercised, or the property proves little
    expect(outcomes.accepted).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });
});
