import { describe, expect, it } from 'vitest';
import { variant } from '../gvariant/index.js';
import type { Checksum } from './checksum.js';
import type { Commit } from './objects.js';
import { commitContentChecksum, formatCommit, formatCommitDate, gvariantToJson, octalMode, printXattrs, variantDictToJson, xattrsToJson } from './show.js';

const enc = new TextEncoder();
const x = (name: string, value: string | number[]): { name: string; value: Uint8Array } => ({ name, value: typeof value === 'string' ? enc.encode(value) : new Uint8Array(value) });

describe('printXattrs (g_variant_print of a(ayay), as `ostree ls -X`)', () => {
  it('prints no xattrs with a type annotation', () => {
    expect(printXattrs([])).toBe('@a(ayay) []');
  });
  it('prints names as bytestrings and a plain value as annotated bytes (seen from ostree ls -X)', () => {
    expect(printXattrs([x('user.foo', 'bar')])).toBe("[(b'user.foo', [byte 0x62, 0x61, 0x72])]");
  });
  it('annotates only the first element; NUL-terminated values print as bytestrings', () => {
    expect(printXattrs([x('security.selinux', 'system_u:object_r:bin_t:s0\0'), x('user.b', [0, 1, 0xff])])).toBe(
      "[(b'security.selinux', b'system_u:object_r:bin_t:s0'), (b'user.b', [0x00, 0x01, 0xff])]",
    );
  });
  it("escapes like g_strescape and switches to double quotes around a '", () => {
    expect(printXattrs([x('user.q', "it's\n\t\"é\0")])).toBe(`[(b'user.q', b"it's\\n\\t\\"\\303\\251")]`);
  });
});

const C1 = '6a49a1787d01f55d0e871591e16085525737d95242cc4ac98b9cfc7602d09235' as Checksum;
const M1 = '446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488' as Checksum;
const commit = (over: Partial<Commit>): Commit => ({ metadata: [], parent: null, subject: '', body: '', timestamp: 1600000000, rootTree: C1, rootMeta: M1, ...over });

describe('formatCommit (ostree log / ostree show)', () => {
  it('a commit without subject, parent or version', () => {
    expect(formatCommit(C1, commit({}))).toBe(`commit ${C1}\nContentChecksum:  ${commitContentChecksum(commit({}))}\nDate:  2020-09-13 12:26:40 +0000\n(no subject)\n\n`);
  });
  it('parent, version, multi-line subject and a body ending in a newline, indented as ostree does', () => {
    const c = commit({ parent: M1, subject: 'multi\nline subj', body: 'body ends with nl\n', metadata: [['version', variant('s', '1.0')]] });
    expect(formatCommit(C1, c)).toBe(
      `commit ${C1}\nParent:  ${M1}\nContentChecksum:  ${commitContentChecksum(c)}\nDate:  2020-09-13 12:26:40 +0000\nVersion: 1.0\n\n    multi\n    line subj\n\n    body ends with nl\n\n`,
    );
  });
  it('ignores a version that is not a string', () => {
    expect(formatCommit(C1, commit({ metadata: [['version', variant('u', 1)]] }))).not.toContain('Version');
  });
  it('ContentChecksum is SHA-256 over the two root checksums (§2.7)', () => {
    // From `ostree log` of a commit with root dirtree e554891a… and dirmeta 446a0ef1….
    const c = commit({ rootTree: 'e554891ae47b6c68df4a980bd1066d39dbfc02b12b50126f21a6a1e15a04b0f3' as Checksum });
    expect(commitContentChecksum(c)).toBe('abd581ee8cbae7bc3b884bb0b9dc926e4f7ee2a14a5afa77f5f777a1a436a7b2');
  });
  it('dates are UTC with zero padding', () => {
    expect(formatCommitDate(0)).toBe('1970-01-01 00:00:00 +0000');
    expect(formatCommitDate(1_000_000_000)).toBe('2001-09-09 01:46:40 +0000');
  });
});

describe('gvariantToJson', () => {
  it('follows the type: numbers, 64-bit beyond 2^53 as strings, ay as hex, dicts as objects, maybes, tuples, variants', () => {
    expect(gvariantToJson('t', 42n)).toBe(42);
    expect(gvariantToJson('t', 2n ** 64n - 1n)).toBe('18446744073709551615');
    expect(gvariantToJson('x', -5n)).toBe(-5);
    expect(gvariantToJson('ay', new Uint8Array([0, 0xab]))).toBe('00ab');
    expect(gvariantToJson('aay', [new Uint8Array([1])])).toEqual(['01']);
    expect(gvariantToJson('a{sv}', [['k', variant('as', ['a', 'b'])]])).toEqual({ k: { type: 'as', value: ['a', 'b'] } });
    expect(gvariantToJson('a{ys}', [[1, 'one']])).toEqual({ 1: 'one' });
    expect(gvariantToJson('a{s(ut)}', [['k', [1, 7n]]])).toEqual({ k: [1, 7] });
    expect(gvariantToJson('ms', null)).toBeNull();
    expect(gvariantToJson('ms', 'x')).toBe('x');
    expect(gvariantToJson('(bsd)', [true, 's', 1.5])).toEqual([true, 's', 1.5]);
    expect(gvariantToJson('v', variant('v', variant('t', 42n)))).toEqual({ type: 'v', value: { type: 't', value: 42 } });
  });
  it('dictionaries keep stored order, xattrs are base64, modes octal', () => {
    expect(Object.keys(variantDictToJson([['z', variant('s', '')], ['a', variant('b', true)]]))).toEqual(['z', 'a']);
    expect(xattrsToJson([x('user.a', [0xff, 0])])).toEqual({ 'user.a': '/wA=' });
    expect(octalMode(0o40755)).toBe('040755');
    expect(octalMode(0o104755)).toBe('104755');
  });
});
