// Bad input, one rule at a time: each case names the byte offset and what was expected there.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { decodeGVariant, encodeGVariant, isNormalForm, variant, type GVariantValue } from './index.js';

const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const COMMIT = '(a{sv}aya(say)sstayay)';

/** Decoding must fail with a gvariant FormatError at `offset` whose message matches `msg`. */
function rejects(type: string, bytes: Uint8Array | string, offset: number, msg: RegExp): FormatError {
  const b = typeof bytes === 'string' ? unhex(bytes) : bytes;
  const e = thrownBy(() => decodeGVariant(type, b), FormatError);
  expect(e.format).toBe('gvariant');
  expect({ offset: e.offset, message: e.message }).toEqual({ offset, message: expect.stringMatching(msg) as unknown });
  expect(e.message).toContain(`at byte ${offset}`);
  expect(isNormalForm(type, b)).toBe(false);
  return e;
}

describe('decode rejects non-normal framing', () => {
  // as ['ab', 'c'] = "ab\0" "c\0" 03 05
  const AS = '616200 6300 03 05';
  it('accepts the well-formed original', () => {
    expect(decodeGVariant('as', unhex(AS))).toEqual(['ab', 'c']);
  });
  it('last offset beyond the container', () => {
    rejects('as', '616200 6300 03 09', 6, /last framing offset 9 points beyond the array body, expected at most 6 \(1-byte offsets for a 7-byte array\)/);
  });
  it('element offset beyond the table start', () => {
    rejects('as', '616200 6300 06 05', 5, /framing offset 6 of element 0 is beyond the offset table start 5/);
  });
  it('offsets that decrease', () => {
    // as ['a','b','c'] = a\0 b\0 c\0 02 04 06, second offset broken to 01
    expect(decodeGVariant('as', unhex('6100 6200 6300 02 04 06'))).toEqual(['a', 'b', 'c']);
    rejects('as', '6100 6200 6300 02 01 06', 7, /framing offset 1 of element 1 is before the previous element end 2 \(offsets must not decrease\)/);
  });
  it('offset table not a multiple of the width', () => {
    // a 2-byte offset where the 258-byte size demands 2 bytes but the table is 3 bytes
    const b = new Uint8Array(258);
    b.fill(0x61, 0, 254);
    b[254] = 0; // "aaa…\0" is 255 bytes: the table then starts at 255
    new DataView(b.buffer).setUint16(256, 255, true);
    rejects('as', b, 255, /offset table of 3 bytes is not a multiple of the offset width \(2-byte offsets for a 258-byte array\)/);
  });
  it('offset width that does not match the container size', () => {
    // as ['ab'] with a 2-byte offset: 5 bytes total demands 1-byte offsets, so the last byte
    // (00) is read as the table start and the table then claims every byte
    rejects('as', '616200 0300', 0, /framing offset 97 of element 0 is beyond the offset table start 0 \(1-byte offsets for a 5-byte array\)/);
    // the 257-byte as written with a 1-byte offset (256 bytes): width 2 reads 0x00 0x01
    const b = new Uint8Array(256);
    b.fill(0x61, 0, 254);
    b[254] = 0;
    b[255] = 255;
    rejects('as', b, 254, /last framing offset 65280 points beyond the array body, expected at most 254 \(2-byte offsets for a 256-byte array\)/);
  });
  it('tuple member offset beyond / before its member', () => {
    // (ss) ['ab','c'] = "ab\0" "c\0" 03
    expect(decodeGVariant('(ss)', unhex('616200 6300 03'))).toEqual(['ab', 'c']);
    rejects('(ss)', '616200 6300 07', 5, /framing offset 7 of member 0 is beyond the offset table start 5/);
    // (st): "a\0", padding to 8, t, then the end offset of s (02)
    expect(decodeGVariant('(st)', unhex('6100 000000000000 0100000000000000 02'))).toEqual(['a', 1n]);
    rejects('(st)', '6100 000000000000 0100000000000000 01', 0, /member 0 of \(st\): string is not NUL-terminated/);
    rejects('(st)', '6100 000000000000 0100000000000000 00', 0, /framing offset 0 of member 0 is before the member start|got 0 bytes/);
  });
  it('trailing garbage', () => {
    rejects('u', '01000000 00', 0, /expected 4 bytes for u, got 5/);
    rejects('(st)', '6100 000000000000 0100000000000000 00 02', 16, /1 unexpected bytes after the last member of \(st\)/);
    rejects('(sy)', '6100 05 07 02', 3, /1 unexpected bytes after the last member of \(sy\)/);
  });
  it('fixed-size elements of the wrong size', () => {
    rejects('au', '010000000200', 0, /array of u is 6 bytes, not a multiple of the element size 4/);
    rejects('a(yt)', new Uint8Array(24), 0, /not a multiple of the element size 16/);
    rejects('my', '0102', 0, /Just value of my must be 1 bytes, got 2/);
  });
  it('too short for its offsets', () => {
    rejects('(ayay)', '', 0, /\(ayay\) is 0 bytes, too short for its 1 framing offsets/);
  });
});

describe('decode rejects bad contents', () => {
  it('non-zero padding', () => {
    // {'foo': <'bar'>} = 666f6f00 00000000 62617200 00 73 04 0f
    const good = '666f6f00 00000000 62617200 00 73 04 0f';
    expect(decodeGVariant('a{sv}', unhex(good))).toEqual([['foo', variant('s', 'bar')]]);
    const e = rejects('a{sv}', '666f6f00 00000100 62617200 00 73 04 0f', 6, /non-zero padding byte 0x01 \(expected 0x00\)/);
    expect(e.message).toMatch(/element 0 of a\{sv\}/);
    rejects('(yt)', '01 00000000000002 0100000000000000', 7, /non-zero padding byte 0x02/);
    rejects('(ty)', '0100000000000000 02 000000000000ff', 15, /non-zero trailing padding byte 0xff/);
  });
  it('boolean other than 0/1', () => {
    rejects('b', '02', 0, /boolean must be 0x00 or 0x01, got 0x02/);
    rejects('(yb)', '01 02', 1, /member 1 of \(yb\): boolean must be 0x00 or 0x01/);
    rejects('ab', '00 01 ff', 2, /element 2 of ab: boolean/);
  });
  it('string without NUL, embedded NUL, empty', () => {
    rejects('s', '616263', 2, /string is not NUL-terminated \(expected 0x00, got 0x63\)/);
    rejects('as', '616263 03', 2, /element 0 of as: string is not NUL-terminated/);
    rejects('s', '610062 00', 1, /embedded NUL in string/);
    rejects('s', '', 0, /expected a NUL-terminated string, got 0 bytes/);
  });
  it('invalid UTF-8, at the offending byte', () => {
    rejects('s', '61 ff 00', 1, /not valid UTF-8/);
    rejects('s', '6162 e282 00', 2, /not valid UTF-8/); // truncated 3-byte sequence
    rejects('s', '61 eda080 00', 1, /not valid UTF-8/); // encoded surrogate
    rejects('s', '61 c0af 00', 1, /not valid UTF-8/); // overlong
    rejects('(ss)', '6100 62c300 02', 3, /member 1 of \(ss\): string is not valid UTF-8/);
    // a leading U+FEFF is data, not a byte-order mark to drop
    expect(decodeGVariant('s', unhex('efbbbf 61 00'))).toBe('\uFEFFa');
  });
  it('object paths and signatures follow GLib', () => {
    expect(decodeGVariant('o', unhex('2f 61 00'))).toBe('/a');
    rejects('o', '2f 61 2f 00', 0, /expected a D-Bus object path, got "\/a\/"/);
    expect(decodeGVariant('g', unhex('7b73767d 00'))).toBe('{sv}');
    expect(decodeGVariant('g', unhex('00'))).toBe('');
    rejects('g', '6d 79 00', 0, /expected a D-Bus type signature, got "my"/);
  });
  it('maybe of a variable type without its 0x00', () => {
    rejects('ms', '61 00 62', 2, /Just value of ms must end with 0x00, got 0x62/);
  });
  it('unit tuple must be 00', () => {
    rejects('()', '01', 0, /unit tuple \(\) must be the byte 0x00/);
    rejects('()', '', 0, /expected 1 bytes for \(\), got 0/);
  });
  it('doubles: only the canonical NaN (a JS number cannot keep a NaN payload)', () => {
    expect(decodeGVariant('d', unhex('000000000000f87f'))).toBeNaN();
    rejects('d', '010000000000f87f', 0, /NaN with a non-canonical bit pattern/);
    expect(Object.is(decodeGVariant('d', unhex('0000000000000080')), -0)).toBe(true);
  });
});

describe('decode rejects bad variants', () => {
  it('type string that is not a single complete type', () => {
    expect(decodeGVariant('v', unhex('05 00 79'))).toEqual(variant('y', 5));
    rejects('v', '05 00 7979', 2, /variant type string "yy" is not a single complete type/);
    rejects('v', '05 00 61', 2, /variant bad type string "a"/);
    rejects('v', '05 00 7a', 2, /variant type string "z" has characters that are not type codes/);
    rejects('v', '05 00', 2, /variant type string is empty/);
    rejects('v', '05 79', 0, /variant has no 0x00 before its type string/);
    rejects('v', '', 0, /variant has no 0x00/);
  });
  it('child that does not fit its type', () => {
    rejects('v', '0500 00 75', 0, /value of variant <u>: expected 4 bytes for u, got 2/);
  });
  it('nesting depth: 127 variants around a byte are fine, 128 are not (GLib)', () => {
    const nest = (n: number): Uint8Array => {
      let b: number[] = [1];
      let sig = 'y';
      for (let k = 0; k < n; k++) {
        b = [...b, 0, ...Buffer.from(sig)];
        sig = 'v';
      }
      return new Uint8Array(b);
    };
    expect(isNormalForm('v', nest(127))).toBe(true);
    const deep = nest(128);
    const e = thrownBy(() => decodeGVariant('v', deep), FormatError);
    expect(e.message).toMatch(/variants nested too deeply/);
    let value: GVariantValue = 1;
    let sig = 'y';
    for (let k = 0; k < 127; k++) {
      value = variant(sig, value);
      sig = 'v';
    }
    expect(encodeGVariant('v', value)).toEqual(nest(127));
    expect(thrownBy(() => encodeGVariant('v', variant('v', value)), FormatError).message).toMatch(/nested too deeply/);
  });
});

describe('errors name the file and the path', () => {
  it('passes opts.file through', () => {
    const e = thrownBy(() => decodeGVariant('s', unhex('6162'), { file: 'objects/ab/cd.commit' }), FormatError);
    expect(e.message).toBe('objects/ab/cd.commit: gvariant at byte 1: value of type s: string is not NUL-terminated (expected 0x00, got 0x62)');
    expect(e.data).toMatchObject({ file: 'objects/ab/cd.commit', offset: 1, format: 'gvariant' });
  });
  it('names nested members inner first', () => {
    // a(say) with a bad string inside member 2 of the commit
    const ok = encodeGVariant(COMMIT, [[], new Uint8Array(0), [['x', new Uint8Array(0)]], 's', 'b', 0n, new Uint8Array(32), new Uint8Array(32)]);
    const bad = Uint8Array.from(ok);
    bad[1] = 0x01; // the NUL of "x" inside the related-objects array
    const e = thrownBy(() => decodeGVariant(COMMIT, bad), FormatError);
    expect(e.message).toMatch(/member 0 of \(say\) in element 0 of a\(say\) in member 2 of \(a\{sv\}aya\(say\)sstayay\): /);
  });
});

describe('encode rejects values that do not fit the type', () => {
  const fails = (type: string, value: unknown, msg: RegExp): void => {
    const e = thrownBy(() => encodeGVariant(type, value as GVariantValue), FormatError);
    expect(e.format).toBe('gvariant');
    expect(e.message).toMatch(msg);
  };
  it('names the member of the commit', () => {
    fails(COMMIT, [[], new Uint8Array(0), [], 5, '', 0n, new Uint8Array(32), new Uint8Array(32)], /^gvariant: member 3 of \(a\{sv\}aya\(say\)sstayay\): expected a string, got number 5$/);
    fails(COMMIT, [[['k', 'not a variant']], new Uint8Array(0), [], '', '', 0n, new Uint8Array(32), new Uint8Array(32)], /value of \{sv\} in element 0 of a\{sv\} in member 0 of .*: expected a Variant, got string/);
  });
  it('integer ranges by width', () => {
    fails('y', 256, /expected an integer 0..255, got number 256/);
    fails('y', -1, /0..255/);
    fails('n', 32768, /-32768..32767/);
    fails('q', -1, /0..65535/);
    fails('i', 2 ** 31, /-2147483648..2147483647/);
    fails('h', 1.5, /-2147483648..2147483647, got number 1.5/);
    fails('u', 2 ** 32, /0..4294967295/);
    fails('u', 1n, /expected an integer 0..4294967295, got bigint 1/);
    fails('x', 1, /expected a bigint -9223372036854775808..9223372036854775807, got number 1/);
    fails('x', 1n << 63n, /bigint/);
    fails('t', -1n, /0..18446744073709551615/);
    fails('t', 1n << 64n, /0..18446744073709551615/);
    fails('d', '1', /expected a number, got string/);
    fails('b', 1, /expected a boolean, got number 1/);
  });
  it('accepts the ends of every range', () => {
    const ends: [string, GVariantValue][] = [['y', 0], ['y', 255], ['n', -32768], ['n', 32767], ['q', 65535], ['i', -(2 ** 31)], ['i', 2 ** 31 - 1], ['h', -1], ['u', 2 ** 32 - 1], ['x', -(1n << 63n)], ['x', (1n << 63n) - 1n], ['t', (1n << 64n) - 1n], ['d', Infinity], ['d', -0]];
    for (const [t, v] of ends) expect(decodeGVariant(t, encodeGVariant(t, v))).toEqual(v);
  });
  it('strings: NUL, lone surrogates, object paths, signatures', () => {
    fails('s', 'a\0b', /string contains a NUL character at index 1/);
    fails('s', 'a\uD800b', /lone surrogate/);
    fails('as', ['ok', '\uDC00'], /element 1 of as: string contains a lone surrogate/);
    fails('o', 'a/b', /expected a D-Bus object path/);
    fails('o', '/a/', /expected a D-Bus object path/);
    fails('g', 'mb', /expected a D-Bus type signature, got "mb"/);
    fails('s', null, /expected a string, got null/);
    expect(encodeGVariant('s', '😀')).toEqual(new Uint8Array([0xf0, 0x9f, 0x98, 0x80, 0]));
  });
  it('shapes: arrays, bytes, tuples, maybes, variants', () => {
    fails('ay', [1, 2], /expected a Uint8Array for ay, got an array/);
    fails('as', 'abc', /expected an array, got string/);
    fails('(ss)', ['a'], /expected 2 values for \(ss\), got 1/);
    fails('a{ss}', [['a', 'b', 'c']], /element 0 of a\{ss\}: expected 2 values for \{ss\}, got 3/);
    fails('(s)', new Uint8Array(1), /expected an array of 1 values for \(s\), got a Uint8Array/);
    fails('ms', 5, /value of ms: expected a string/);
    fails('ms', undefined, /expected a string, got undefined/);
    fails('v', { type: 'zz', value: 1 }, /bad type string "zz"/);
    fails('v', { type: 'u', value: 'x' }, /value of variant <u>: expected an integer/);
    fails('mmy', null, /nested maybe/);
  });
});
