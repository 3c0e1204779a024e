import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { encodeGVariant, variant } from '../gvariant/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { parseChecksum, type Checksum } from './checksum.js';
import {
  DIRTREE_TYPE,
  compareNames,
  decodeArchiveHeader,
  decodeCommit,
  decodeDirMeta,
  decodeDirTree,
  decodeSummary,
  encodeArchiveHeader,
  encodeCommit,
  encodeCommitMeta,
  encodeDirMeta,
  encodeDirTree,
  encodeSummary,
  normalizeXattrs,
  type ContentHeader,
} from './objects.js';
import { contentChecksum } from './write-object.js';

// Golden values from ../shared/docs/ostree-format.md, each verified there against ostree 2022.7.
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const te = new TextEncoder();
const file = (mode: number, extra: Partial<ContentHeader> = {}): ContentHeader => ({ uid: 0, gid: 0, mode, target: '', xattrs: [], ...extra });
const c = (s: string): Checksum => parseChecksum(s);

describe('content checksums (§2.5)', () => {
  const cases: [string, ContentHeader, string, string][] = [
    ['"x" 0644', file(0o100644), 'x', '086bca4ef86474d13398a73f6f5aa713c534312db4af53530a1da02d61b09bcd'],
    ['empty 0644', file(0o100644), '', 'cc700d46f407c6c5ab2d5dde474366a928b7398277e61162e7f8ec06f469f07e'],
    ['hello 0644', file(0o100644), 'hello\n', '44f778e59f0a4748d6b0c90a47347212a231c4ad1e8f7ea5c5dffc7749153a6b'],
    ['hello with user.test=val', file(0o100644, { xattrs: [{ name: 'user.test', value: te.encode('val') }] }), 'hello\n', '2bef17425952e3cd138bf438b217479b4817b9fde55da0045cc5d275973690f4'],
    ['secret 0600', file(0o100600), 'secret', '7df9a7ae9b5cf207f7a69dc88a8eec333906b603406e9279f5625af839e7d596'],
    ['script 0755', file(0o100755), '#!/bin/sh\n', '60599fdf7cf9cb8925354cd74476b5ded7850eca9b6a120998125a578b6a4d4c'],
    ['script 0755 uid/gid 1000', file(0o100755, { uid: 1000, gid: 1000 }), '#!/bin/sh\n', 'a7d9e5e3333991683f2d8f07dfc70e8042ff3298bbb99a317ffa76268f05b08c'],
    ['symlink -> hello.txt', file(0o120777, { target: 'hello.txt' }), '', 'f66efa496a72379413c44593de510dc344beb045294f1a543da87b2b6118db35'],
  ];
  for (const [name, header, data, want] of cases) {
    it(name, () => {
      expect(contentChecksum(header, te.encode(data))).toBe(want);
    });
  }

  it('archive header of "x" 0644 is byte-exact (§2.6)', () => {
    const h = encodeArchiveHeader(file(0o100644), 1);
    expect(hex(h)).toBe('0000001a00000000' + '0000000000000001' + '00000000' + '00000000' + '000081a4' + '00000000' + '00' + '19');
    expect(decodeArchiveHeader(h.subarray(8))).toEqual({ header: file(0o100644), size: 1 });
  });

  it('refuses a regular file with a target and a symlink without one', () => {
    thrownBy(() => encodeArchiveHeader(file(0o100644, { target: 'x' }), 0), FormatError);
    thrownBy(() => encodeArchiveHeader(file(0o120777), 0), FormatError);
    thrownBy(() => encodeArchiveHeader(file(0o020644), 0), FormatError);
  });
});

describe('dirmeta (§2.3)', () => {
  it('040755 root', () => {
    const b = encodeDirMeta({ uid: 0, gid: 0, mode: 0o40755, xattrs: [] });
    expect(hex(b)).toBe('00000000' + '00000000' + '000041ed');
    expect(sha(b)).toBe('446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488');
    expect(decodeDirMeta(b)).toEqual({ uid: 0, gid: 0, mode: 0o40755, xattrs: [] });
  });
  it('040700 root and 1234:1234', () => {
    expect(sha(encodeDirMeta({ uid: 0, gid: 0, mode: 0o40700, xattrs: [] }))).toBe('84641b0a39d8c873690da8f32aea21cf5d6fff354f85e045f6f5ecdc8e7758d0');
    expect(hex(encodeDirMeta({ uid: 1234, gid: 1234, mode: 0o40700, xattrs: [] }))).toBe('000004d2000004d2000041c0');
  });
  it('rejects a non-directory mode on both sides', () => {
    thrownBy(() => encodeDirMeta({ uid: 0, gid: 0, mode: 0o100644, xattrs: [] }), FormatError);
    const bad = encodeGVariant('(uuua(ayay))', [0, 0, 0xa4810000, []]);
    expect(thrownBy(() => decodeDirMeta(bad, 'x.dirmeta'), FormatError).message).toMatch(/x\.dirmeta.*not a valid directory mode/);
  });
});

describe('dirtree (§2.4)', () => {
  const hello = c('44f778e59f0a4748d6b0c90a47347212a231c4ad1e8f7ea5c5dffc7749153a6b');
  const run = c('60599fdf7cf9cb8925354cd74476b5ded7850eca9b6a120998125a578b6a4d4c');
  it('the annotated two-file example', () => {
    const b = encodeDirTree({ files: [{ name: 'hello', checksum: hello }, { name: 'run.sh', checksum: run }], dirs: [] });
    expect(b.length).toBe(82);
    expect(sha(b)).toBe('6a49a1787d01f55d0e871591e16085525737d95242cc4ac98b9cfc7602d09235');
    expect(decodeDirTree(b).files.map((f) => f.name)).toEqual(['hello', 'run.sh']);
  });
  it('empty directory', () => {
    const b = encodeDirTree({ files: [], dirs: [] });
    expect(hex(b)).toBe('00');
    expect(sha(b)).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });
  it('refuses unsorted, duplicate and invalid names even though ostree fsck does not check them', () => {
    const unsorted = encodeGVariant(DIRTREE_TYPE, [[['b', new Uint8Array(32)], ['a', new Uint8Array(32)]], []]);
    expect(thrownBy(() => decodeDirTree(unsorted), FormatError).message).toMatch(/not in strcmp order/);
    for (const name of ['..', '.', 'a/b', '']) {
      const bad = encodeGVariant(DIRTREE_TYPE, [[[name, new Uint8Array(32)]], []]);
      thrownBy(() => decodeDirTree(bad), FormatError);
    }
    const both = encodeGVariant(DIRTREE_TYPE, [[['a', new Uint8Array(32)]], [['a', new Uint8Array(32), new Uint8Array(32)]]]);
    expect(thrownBy(() => decodeDirTree(both), FormatError).message).toMatch(/both a file and a directory/);
    const short = encodeGVariant(DIRTREE_TYPE, [[['a', new Uint8Array(31)]], []]);
    expect(thrownBy(() => decodeDirTree(short), FormatError).message).toMatch(/expected 32 bytes/);
  });
});

describe('commit (§2.7)', () => {
  const tree = c('6a49a1787d01f55d0e871591e16085525737d95242cc4ac98b9cfc7602d09235');
  const meta = c('446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488');
  it('the minimal annotated commit', () => {
    const b = encodeCommit({ metadata: [], parent: null, subject: '', body: '', timestamp: 0, rootTree: tree, rootMeta: meta });
    expect(b.length).toBe(86);
    expect(sha(b)).toBe('d3c02316c4385d13ff2ce032a6fdcf1221e22bbe1401ab14e5019f1bff9f9e8d');
    expect(decodeCommit(b)).toEqual({ metadata: [], parent: null, subject: '', body: '', timestamp: 0, rootTree: tree, rootMeta: meta });
  });
  it('with a ref binding, subject, body and a big-endian timestamp', () => {
    const b = encodeCommit({ metadata: [['ostree.ref-binding', variant('as', ['main'])]], parent: null, subject: 'subj', body: 'body', timestamp: 1577836800, rootTree: tree, rootMeta: meta });
    expect(b.length).toBe(126);
    expect(hex(b.subarray(-6))).toBe('582d28232323');
    expect(hex(b)).toContain('5e0be100');
    const back = decodeCommit(b);
    expect(back.timestamp).toBe(1577836800);
    expect(back.metadata[0]?.[1]).toEqual(variant('as', ['main']));
  });
  it('commitmeta example (§2.8)', () => {
    expect(hex(encodeCommitMeta([['foo', variant('s', 'bar')]]))).toBe('666f6f0000000000626172000073040f');
  });
});

describe('xattrs (§2.2)', () => {
  it('sorts by bytes, drops empty values and exact duplicates', () => {
    const v = (s: string): Uint8Array => te.encode(s);
    const out = normalizeXattrs([
      { name: 'user.b', value: v('1') },
      { name: 'user.a', value: v('2') },
      { name: 'user.B', value: v('3') },
      { name: 'user.empty', value: v('') },
      { name: 'user.a', value: v('2') },
    ]);
    expect(out.map((x) => x.name)).toEqual(['user.B', 'user.a', 'user.b']);
    thrownBy(() => normalizeXattrs([{ name: 'user.a', value: v('1') }, { name: 'user.a', value: v('2') }]), FormatError);
  });
});

describe('compareNames', () => {
  it('is strcmp over UTF-8, not UTF-16 order', () => {
    // U+FF21 (3 UTF-8 bytes, ef bc a1) sorts before U+1F600 (4 bytes, f0 ...) in UTF-8,
    // but after it in UTF-16 (0xff21 > 0xd83d).
    expect(compareNames('\uff21', '\u{1f600}')).toBeLessThan(0);
    expect(['é', 'big', 'a', '_', 'Zdir', 'B', 'A1'].sort(compareNames)).toEqual(['A1', 'B', 'Zdir', '_', 'a', 'big', 'é']);
  });
  it('agrees with Buffer.compare on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareNames(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });
});

describe('summary (§3.4)', () => {
  it('round-trips and sorts refs', () => {
    const x = c('d3c02316c4385d13ff2ce032a6fdcf1221e22bbe1401ab14e5019f1bff9f9e8d');
    const s = decodeSummary(
      encodeSummary({
        refs: [
          { name: 'b', commitSize: 86, checksum: x, metadata: [] },
          { name: 'a', commitSize: 12, checksum: x, metadata: [['ostree.commit.timestamp', variant('t', 5n)]] },
        ],
        metadata: [['ostree.summary.mode', variant('s', 'archive-z2')]],
      }),
    );
    expect(s.refs.map((r) => [r.name, r.commitSize])).toEqual([
      ['a', 12],
      ['b', 86],
    ]);
  });
});
