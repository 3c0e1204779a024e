import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FormatError } from '../../core/index.js';
import { encodeHeader, type TagSpec } from '../../../test/helpers/rpm-builder.js';
import { HEADER_INTRO_SIZE, parseHeader, parseHeaderIntro, type HeaderKind, type RpmHeader } from './header.js';
import { RPM_TYPE, TAG } from './tags.js';
import { thrownBy } from '../../../test/helpers/errors.js';

const BASE = 1000; // pretend the header starts at this file offset

function parse(bytes: Uint8Array, kind: HeaderKind = 'main'): RpmHeader {
  const intro = parseHeaderIntro(bytes.subarray(0, HEADER_INTRO_SIZE), { kind, start: BASE, file: 'x.rpm' });
  return parseHeader(intro, bytes.subarray(HEADER_INTRO_SIZE), { kind, start: BASE, file: 'x.rpm' });
}

const TAGS: TagSpec[] = [
  { tag: TAG.NAME, type: RPM_TYPE.STRING, value: 'demo' },
  { tag: TAG.EPOCH, type: RPM_TYPE.INT32, value: [7] },
  { tag: TAG.SUMMARY, type: RPM_TYPE.I18NSTRING, value: ['summary', 'résumé'] },
  { tag: TAG.FILEMODES, type: RPM_TYPE.INT16, value: [0o100644, 0o040755] },
  { tag: TAG.LONGFILESIZES, type: RPM_TYPE.INT64, value: [5n, 6_000_000_000n] },
  { tag: TAG.BASENAMES, type: RPM_TYPE.STRING_ARRAY, value: ['a', 'b'] },
  { tag: 1029, type: RPM_TYPE.CHAR, value: [1, 2] },
  { tag: 1146, type: RPM_TYPE.BIN, value: new Uint8Array([0xde, 0xad]) },
  { tag: 9999, type: RPM_TYPE.INT32, value: [1, 2, 3] },
];
const GOOD = encodeHeader(TAGS, 63);
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
/** A copy of GOOD with index entry `i` (0 = region) field `f` (0 tag, 1 type, 2 offset, 3 count) set to v. */
function withIndex(i: number, f: number, v: number): Uint8Array {
  const b = GOOD.slice();
  view(b).setUint32(16 + i * 16 + f * 4, v >>> 0);
  return b;
}
/** File offset of index entry i's field f. */
const at = (i: number, f = 0): number => BASE + 16 + i * 16 + f * 4;
const storeAt = (o: number): number => BASE + 16 + (TAGS.length + 1) * 16 + o;
/** Data store offset recorded in GOOD's index entry i. */
const dataOffset = (i: number): number => view(GOOD).getUint32(16 + i * 16 + 8);

describe('parseHeader', () => {
  test('decodes every type and reports the byte range', () => {
    const h = parse(GOOD);
    expect(h.range).toEqual({ start: BASE, end: BASE + GOOD.length });
    expect(h.string(TAG.NAME)).toBe('demo');
    expect(h.number(TAG.EPOCH)).toBe(7);
    expect(h.string(TAG.SUMMARY)).toBe('summary');
    expect(h.strings(TAG.SUMMARY)).toEqual(['summary', 'résumé']);
    expect(h.numbers(TAG.FILEMODES)).toEqual([0o100644, 0o040755]);
    expect(h.numbers(TAG.LONGFILESIZES)).toEqual([5, 6_000_000_000]);
    expect(h.strings(TAG.BASENAMES)).toEqual(['a', 'b']);
    expect(h.strings(TAG.NAME)).toEqual(['demo']);
    expect(h.bytes(1146)).toEqual(new Uint8Array([0xde, 0xad]));
    expect(h.fields()).toEqual({
      name: 'demo', epoch: 7, summary: 'summary', filestates: [1, 2], filemodes: [0o100644, 0o040755],
      basenames: ['a', 'b'], sourcepkgid: 'dead', longfilesizes: [5, 6_000_000_000], tag_9999: [1, 2, 3],
    });
  });

  test('typed accessors refuse the wrong type with the entry offset', () => {
    const h = parse(GOOD);
    const e = thrownBy(() => h.numbers(TAG.NAME), FormatError);
    expect(e.offset).toBe(at(1, 1));
    expect(e.message).toContain('tag 1000 (name) has type string, expected integers');
    expect(thrownBy(() => h.bytes(TAG.EPOCH), FormatError).offset).toBe(at(2, 1));
    expect(thrownBy(() => h.string(TAG.EPOCH), FormatError).offset).toBe(at(2, 1));
  });

  test('a legacy header without a region is read', () => {
    const h = parse(encodeHeader(TAGS, undefined));
    expect(h.string(TAG.NAME)).toBe('demo');
  });

  test('the signature header has its own region tag and limits', () => {
    const sig = encodeHeader([{ tag: 1000, type: RPM_TYPE.INT32, value: [42] }], 62);
    expect(parse(sig, 'signature').fields()).toEqual({ size: 42 });
    expect(thrownBy(() => parse(sig, 'main'), FormatError).message).toContain('expected region tag 63 as the first entry, found 62');
    const many = encodeHeader(Array.from({ length: 40 }, (_, i) => ({ tag: 2000 + i, type: RPM_TYPE.INT32, value: [i] })), 62);
    const e = thrownBy(() => parse(many, 'signature'), FormatError);
    expect(e.message).toContain('index entry count 41 out of range (1..32)');
    expect(e.offset).toBe(BASE + 8);
  });

  // Each broken header: what to break, the expected offset, and a fragment of the message.
  const cases: [name: string, bytes: () => Uint8Array, offset: number, message: string][] = [
    ['bad magic', () => { const b = GOOD.slice(); b[2] = 0; return b; }, BASE + 2, 'expected the header magic'],
    ['nonzero reserved bytes', () => { const b = GOOD.slice(); b[5] = 1; return b; }, BASE + 5, 'expected the header magic'],
    ['no entries', () => { const b = GOOD.slice(); view(b).setUint32(8, 0); return b; }, BASE + 8, 'index entry count 0 out of range'],
    ['absurd data size', () => { const b = GOOD.slice(); view(b).setUint32(12, 0x10000000); return b; }, BASE + 12, 'data store size 268435456 out of range'],
    ['tag below 100', () => withIndex(1, 0, 99), at(1), 'reserved for regions'],
    ['unknown type', () => withIndex(1, 1, 10), at(1, 1), 'unknown data type 10'],
    ['type null', () => withIndex(1, 1, 0), at(1, 1), 'unknown data type 0'],
    ['count zero', () => withIndex(2, 3, 0), at(2, 3), 'count 0 out of range'],
    ['count beyond the store', () => withIndex(2, 3, 0xffffff), at(2, 3), 'count 16777215 out of range'],
    ['misaligned int32', () => withIndex(2, 2, 9), at(2, 2), 'not aligned to 4 bytes'],
    ['negative offset', () => withIndex(2, 2, -4), at(2, 2), 'outside the'],
    ['overlapping data', () => withIndex(2, 2, 0), at(2, 2), "overlaps the previous entry's data"],
    ['string count != 1', () => withIndex(1, 3, 2), storeAt(0), 'a string entry must have count 1'],
    ['count larger than the store', () => withIndex(9, 3, 1000), at(9, 3), 'count 1000 out of range'],
    ['int32 array past the end', () => withIndex(9, 3, 10), storeAt(dataOffset(9)), '10 values of type int32 (40 bytes) do not fit'],
    ['main header type mismatch', () => withIndex(2, 1, RPM_TYPE.INT16), at(2, 1), 'epoch: type int16, expected int32'],
    ['duplicate tag', () => withIndex(8, 0, 9999), at(9), 'tag appears more than once'],
    ['region tag of the wrong type', () => withIndex(0, 1, RPM_TYPE.INT32), at(0), 'region tag 63: expected type 7 (bin) count 16'],
    ['region trailer outside the store', () => withIndex(0, 2, 0x7fff0000), at(0), 'region trailer offset'],
  ];
  test.each(cases)('%s → FormatError at the offending byte', (_name, bytes, offset, message) => {
    const e = thrownBy(() => parse(bytes()), FormatError);
    expect(e.format).toBe('rpm-header');
    expect(e.offset).toBe(offset);
    expect(e.message).toContain(message);
    expect(e.message).toContain('x.rpm');
  });

  test('strings must be NUL-terminated inside the data store', () => {
    // Only entry: a string as the last data, with its NUL overwritten.
    const b = encodeHeader([{ tag: TAG.NAME, type: RPM_TYPE.STRING, value: 'abc' }], undefined);
    b[b.length - 1] = 0x41;
    const e = thrownBy(() => parse(b), FormatError);
    expect(e.message).toContain('string 1 of 1 is not NUL-terminated');
    expect(e.offset).toBe(BASE + 16 + 16);
  });

  test('the region trailer must cover the whole header', () => {
    const b = GOOD.slice();
    const dl = view(b).getUint32(12);
    const trailer = 16 + (TAGS.length + 1) * 16 + dl - 16;
    view(b).setInt32(trailer + 8, -(TAGS.length * 16)); // one entry short
    const e = thrownBy(() => parse(b), FormatError);
    expect(e.message).toContain('does not cover the whole header');
    expect(e.offset).toBe(BASE + trailer + 8);
    const c = GOOD.slice();
    view(c).setUint32(trailer, 62);
    expect(thrownBy(() => parse(c), FormatError).message).toContain('region trailer: expected tag 63');
  });

  test('random bytes and random corruptions only ever raise FormatError', () => {
    const check = (bytes: Uint8Array): void => {
      try {
        const h = parse(bytes);
        h.fields();
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const withMagic = b.slice();
      withMagic.set([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0].slice(0, withMagic.length));
      check(b);
      check(withMagic);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(GOOD.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const b = GOOD.slice();
      for (const [i, v] of edits) b[i] = v;
      check(b);
    }), { numRuns: 2000 });
  });
});
