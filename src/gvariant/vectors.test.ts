// Every byte vector of ostree-format.md (§1.3, §2.2–§2.8), encoded and decoded. The values are
// built here from the spec's tables; the expected bytes and SHA-256 names are the spec's [V] data.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeGVariant, encodeGVariant, isNormalForm, parseType, variant, type GVariantValue } from './index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/[\s|]/g, ''), 'hex'));
const sha256 = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
// §1.9: ostree stores these integers big-endian inside LE `u`/`t` slots; the caller swaps.
const be32 = (x: number): number => new DataView(new Uint8Array([x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff]).buffer).getUint32(0, true);
const be64 = (x: bigint): bigint => {
  const b = new DataView(new ArrayBuffer(8));
  b.setBigUint64(0, x, false);
  return b.getBigUint64(0, true);
};

/** Encodes, checks the bytes, and checks that decoding gives the value back. */
function roundTrip(type: string, value: GVariantValue, expectedHex?: string): Uint8Array {
  const bytes = encodeGVariant(type, value);
  if (expectedHex !== undefined) expect(hex(bytes)).toBe(expectedHex.replace(/[\s|]/g, ''));
  expect(decodeGVariant(type, bytes)).toEqual(value);
  expect(isNormalForm(type, bytes)).toBe(true);
  return bytes;
}

const HELLO = '44f778e59f0a4748d6b0c90a47347212a231c4ad1e8f7ea5c5dffc7749153a6b';
const RUN_SH = '60599fdf7cf9cb8925354cd74476b5ded7850eca9b6a120998125a578b6a4d4c';
const TREE = '6a49a1787d01f55d0e871591e16085525737d95242cc4ac98b9cfc7602d09235';
const DIRMETA = '446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488';

describe('§1.3 framing-offset width switch points (one-element as)', () => {
  const cases: [body: number, total: number, width: number][] = [
    [254, 255, 1],
    [255, 257, 2],
    [65533, 65535, 2],
    [65534, 65538, 4],
  ];
  for (const [body, total, width] of cases) {
    it(`body ${body} → total ${total}, offsets ${width} bytes wide`, () => {
      const s = 'a'.repeat(body - 1);
      const bytes = roundTrip('as', [s]);
      expect(bytes.length).toBe(total);
      const off = bytes.subarray(body);
      expect(off.length).toBe(width);
      // the one offset is the end of the element = the body length, little-endian
      expect(off.reduceRight((acc, b) => acc * 256 + b, 0)).toBe(body);
    });
  }

  it('empty containers are zero bytes; [[]] as aay is one offset', () => {
    roundTrip('as', [], '');
    roundTrip('a{sv}', [], '');
    roundTrip('ay', new Uint8Array(0), '');
    roundTrip('aay', [new Uint8Array(0)], '00');
    roundTrip('()', [], '00');
    roundTrip('(ayay)', [new Uint8Array(0), new Uint8Array(0)], '00');
  });

  it('fixed tuple sizes: (ty) and (yt) are 16 bytes', () => {
    roundTrip('(ty)', [1n, 2], '0100000000000000 02 00000000000000');
    roundTrip('(yt)', [2, 1n], '02 00000000000000 0100000000000000');
  });
});

describe('§2.2 xattrs a(ayay)', () => {
  it('[("user.test\\0", "val")]', () => {
    roundTrip('a(ayay)', [[ascii('user.test\0'), ascii('val')]], '75 73 65 72 2e 74 65 73 74 00 76 61 6c 0a 0e');
  });
});

describe('§2.3 dirmeta (uuua(ayay))', () => {
  it('040755 root → 446a0ef1…', () => {
    const b = roundTrip('(uuua(ayay))', [be32(0), be32(0), be32(0o40755), []], '00000000 00000000 000041ed');
    expect(sha256(b)).toBe(DIRMETA);
  });
  it('040700 root → 84641b0a…', () => {
    const b = roundTrip('(uuua(ayay))', [be32(0), be32(0), be32(0o40700), []], '00000000 00000000 000041c0');
    expect(sha256(b)).toBe('84641b0a39d8c873690da8f32aea21cf5d6fff354f85e045f6f5ecdc8e7758d0');
  });
  it('040700 uid/gid 1234', () => {
    roundTrip('(uuua(ayay))', [be32(1234), be32(1234), be32(0o40700), []], '000004d2 000004d2 000041c0');
  });
});

describe('§2.4 dirtree (a(say)a(sayay))', () => {
  it('empty directory is the byte 00 → 6e340b9c…', () => {
    const b = roundTrip('(a(say)a(sayay))', [[], []], '00');
    expect(sha256(b)).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });
  it('hello + run.sh: the annotated 82 bytes → 6a49a178…', () => {
    const expected = `68656c6c6f00 ${HELLO} 06 72756e2e736800 ${RUN_SH} 07 274f 51`;
    const b = roundTrip('(a(say)a(sayay))', [[['hello', unhex(HELLO)], ['run.sh', unhex(RUN_SH)]], []], expected);
    expect(b.length).toBe(82);
    expect(sha256(b)).toBe(TREE);
  });
});

describe('§2.5 content checksums via file headers (uuuusa(ayay))', () => {
  /** name = sha256(BE32(len hdr) || 4 zero bytes || hdr || data). */
  function contentChecksum(uid: number, gid: number, mode: number, target: string, xattrs: [string, string][], data: string): { stream: string; checksum: string } {
    const hdr = encodeGVariant('(uuuusa(ayay))', [be32(uid), be32(gid), be32(mode), 0, target, xattrs.map(([n, v]) => [ascii(`${n}\0`), ascii(v)])]);
    expect(decodeGVariant('(uuuusa(ayay))', hdr)).toEqual([be32(uid), be32(gid), be32(mode), 0, target, xattrs.map(([n, v]) => [ascii(`${n}\0`), ascii(v)])]);
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setUint32(0, hdr.length, false);
    return { stream: hex(prefix) + hex(hdr), checksum: sha256(prefix, hdr, ascii(data)) };
  }
  const cases: [string, number, number, number, string, [string, string][], string, string, string?][] = [
    ['"x" 0644', 0, 0, 0o100644, '', [], 'x', '086bca4ef86474d13398a73f6f5aa713c534312db4af53530a1da02d61b09bcd', '00000012 00000000 | 00000000 00000000 000081a4 00000000 00 11'],
    ['empty 0644', 0, 0, 0o100644, '', [], '', 'cc700d46f407c6c5ab2d5dde474366a928b7398277e61162e7f8ec06f469f07e'],
    ['"hello\\n" 0644', 0, 0, 0o100644, '', [], 'hello\n', HELLO],
    ['"hello\\n" 0644 user.test=val', 0, 0, 0o100644, '', [['user.test', 'val']], 'hello\n', '2bef17425952e3cd138bf438b217479b4817b9fde55da0045cc5d275973690f4', '00000021 00000000 | 00000000 00000000 000081a4 00000000 00 757365722e7465737400 76616c 0a 0e 11'],
    ['"secret" 0600', 0, 0, 0o100600, '', [], 'secret', '7df9a7ae9b5cf207f7a69dc88a8eec333906b603406e9279f5625af839e7d596'],
    ['"#!/bin/sh\\n" 0755', 0, 0, 0o100755, '', [], '#!/bin/sh\n', RUN_SH],
    ['"#!/bin/sh\\n" 0755 uid/gid 1000', 1000, 1000, 0o100755, '', [], '#!/bin/sh\n', 'a7d9e5e3333991683f2d8f07dfc70e8042ff3298bbb99a317ffa76268f05b08c'],
    ['symlink → hello.txt', 0, 0, 0o120777, 'hello.txt', [], '', 'f66efa496a72379413c44593de510dc344beb045294f1a543da87b2b6118db35', '0000001b 00000000 | 00000000 00000000 0000a1ff 00000000 68656c6c6f2e74787400 1a'],
  ];
  for (const [name, uid, gid, mode, target, xattrs, data, checksum, stream] of cases) {
    it(name, () => {
      const r = contentChecksum(uid, gid, mode, target, xattrs, data);
      if (stream !== undefined) expect(r.stream).toBe(stream.replace(/[\s|]/g, ''));
      expect(r.checksum).toBe(checksum);
    });
  }

  it('§2.6 archive header (tuuuusa(ayay)) of "x" 0644', () => {
    const zhdr = roundTrip('(tuuuusa(ayay))', [be64(1n), be32(0), be32(0), be32(0o100644), 0, '', []], '00000000 00000001 00000000 00000000 000081a4 00000000 00 19');
    expect(zhdr.length).toBe(0x1a);
  });
});

describe('§2.7 commit (a{sv}aya(say)sstayay)', () => {
  it('minimal commit: 86 bytes → d3c02316…', () => {
    const value = [[], new Uint8Array(0), [], '', '', 0n, unhex(TREE), unhex(DIRMETA)];
    const expected = `00 00 000000000000 0000000000000000 ${TREE} ${DIRMETA} 30 02 01 00 00 00`;
    const b = roundTrip('(a{sv}aya(say)sstayay)', value, expected);
    expect(b.length).toBe(86);
    expect(sha256(b)).toBe('d3c02316c4385d13ff2ce032a6fdcf1221e22bbe1401ab14e5019f1bff9f9e8d');
  });

  it('with ostree.ref-binding, subject, body and a BE timestamp: 126 bytes, annotated start and end', () => {
    const ts = be64(BigInt(Date.UTC(2020, 0, 1) / 1000));
    const value = [[['ostree.ref-binding', variant('as', ['main'])]], new Uint8Array(0), [], 'subj', 'body', ts, unhex(TREE), unhex(DIRMETA)];
    const b = roundTrip('(a{sv}aya(say)sstayay)', value);
    expect(b.length).toBe(126);
    expect(hex(b.subarray(0, 35))).toBe(hex(ascii('ostree.ref-binding\0')) + '0000000000' + hex(ascii('main\0')) + '05' + '00' + hex(ascii('as')) + '13' + '22');
    expect(hex(b.subarray(-6))).toBe('582d28232323');
    expect(hex(b.subarray(b.indexOf(0x5e) - 4, b.indexOf(0x5e) + 4))).toBe('000000005e0be100');
  });
});

describe('§2.8 commitmeta and tombstone a{sv}', () => {
  it("{'foo': <'bar'>}", () => {
    roundTrip('a{sv}', [['foo', variant('s', 'bar')]], '666f6f00 00000000 62617200 00 73 04 0f');
  });
  it("tombstone {'commit': <ay 'hex\\0'>} carries a 65-byte bytestring", () => {
    const payload = ascii(`${TREE}\0`);
    expect(payload.length).toBe(65);
    const b = roundTrip('a{sv}', [['commit', variant('ay', payload)]]);
    expect(hex(b)).toContain(hex(payload) + '00' + hex(ascii('ay')));
  });
});

describe('API details', () => {
  it('decoding a Buffer gives plain Uint8Array copies for ay', () => {
    const src = Buffer.from(encodeGVariant('(ayay)', [ascii('ab'), ascii('c')]));
    const [a, b] = decodeGVariant('(ayay)', src) as [Uint8Array, Uint8Array];
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    src.fill(0x7a);
    expect([hex(a), hex(b)]).toEqual(['6162', '63']);
  });
  it('decodes from a view at an odd byteOffset (alignment is relative to the value, not memory)', () => {
    const bytes = encodeGVariant('(yt)', [1, 2n]);
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expect(decodeGVariant('(yt)', host.subarray(3))).toEqual([1, 2n]);
  });
  it('accepts parsed type objects, including an inner dict entry', () => {
    const dict = parseType('a{sv}');
    if (dict.kind !== 'array') throw new Error('not an array');
    const entry = encodeGVariant(dict.element, ['foo', variant('s', 'bar')]);
    expect(hex(entry)).toBe('666f6f000000000062617200007304');
    expect(decodeGVariant(dict.element, entry)).toEqual(['foo', variant('s', 'bar')]);
  });
});
