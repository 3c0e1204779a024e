import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { foldDeb822Value, multilineDeb822Value, parseDeb822, parseDeb822Stream, parseDebRelations, type Deb822Paragraph } from './index.js';
import { thrownBy } from '../../test/helpers/errors.js';

function fieldsOf(p: Deb822Paragraph | undefined): [string, string][] {
  return (p?.fields ?? []).map((f) => [f.name, f.value]);
}

async function* chunks(s: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(s);
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

async function collect(it: AsyncIterable<Deb822Paragraph>): Promise<Deb822Paragraph[]> {
  const out: Deb822Paragraph[] = [];
  for await (const p of it) out.push(p);
  return out;
}

const CONTROL = `Package: hello
Version: 1:2.10-3
Depends: libc6 (>= 2.34),
 foo | bar
Description: example package
 Long text line one.
 .
 Line after a blank line.
`;

describe('parseDeb822', () => {
  it('keeps fields in order with raw values, continuation lines verbatim', () => {
    const [p] = parseDeb822(CONTROL);
    expect(fieldsOf(p)).toEqual([
      ['Package', 'hello'],
      ['Version', '1:2.10-3'],
      ['Depends', 'libc6 (>= 2.34),\n foo | bar'],
      ['Description', 'example package\n Long text line one.\n .\n Line after a blank line.'],
    ]);
    expect(p?.line).toBe(1);
    expect(p?.field('description')?.line).toBe(5);
  });

  it('looks fields up case-insensitively but keeps their spelling', () => {
    const [p] = parseDeb822('pACKAGE: x\nMulti-Arch: foreign\n');
    expect(p?.get('Package')).toBe('x');
    expect(p?.get('multi-arch')).toBe('foreign');
    expect(p?.has('MULTI-ARCH')).toBe(true);
    expect(p?.get('Version')).toBeUndefined();
    expect(Object.keys(p?.toRecord() ?? {})).toEqual(['pACKAGE', 'Multi-Arch']);
  });

  it('gives folded and multiline readings', () => {
    const [p] = parseDeb822(CONTROL);
    expect(foldDeb822Value(p?.get('Depends') ?? '')).toBe('libc6 (>= 2.34), foo | bar');
    expect(multilineDeb822Value(p?.get('Description') ?? '')).toEqual(['example package', 'Long text line one.', '', 'Line after a blank line.']);
  });

  it('splits paragraphs at blank and whitespace-only lines, tolerating CRLF, comments and extra blank lines', () => {
    const text = '# leading comment\r\nA: 1\r\n# inside\r\nB: 2\r\n \t\r\n\r\n\r\nA: 3\r\nC:  spaced value  \r\n\r\n';
    const ps = parseDeb822(text);
    expect(ps.map(fieldsOf)).toEqual([
      [['A', '1'], ['B', '2']],
      [['A', '3'], ['C', 'spaced value']],
    ]);
    expect(ps[1]?.line).toBe(8);
  });

  it('keeps an empty first line (Release-style hash lists) and trims only the end of the value', () => {
    const [p] = parseDeb822('SHA256:\n abc 12 main/Packages  \n def 34 main/Packages.xz   \nEmpty:\n');
    expect(p?.get('SHA256')).toBe('\n abc 12 main/Packages  \n def 34 main/Packages.xz');
    expect(multilineDeb822Value(p?.get('SHA256') ?? '')).toEqual(['', 'abc 12 main/Packages  ', 'def 34 main/Packages.xz']);
    expect(p?.get('Empty')).toBe('');
  });

  it('parses a file without a final newline and ignores a BOM', () => {
    expect(parseDeb822('\ufeffA: 1\nB: 2').map(fieldsOf)).toEqual([[['A', '1'], ['B', '2']]]);
    expect(parseDeb822('')).toEqual([]);
    expect(parseDeb822('\n\n# only a comment\n')).toEqual([]);
  });

  it('rejects a duplicate field, naming both lines', () => {
    const e = thrownBy(() => parseDeb822('A: 1\n\nPackage: x\nVersion: 1\npackage: y\n', { file: 'Packages' }), FormatError);
    expect(e.format).toBe('deb822');
    expect(e.message).toBe('Packages: deb822: line 5: duplicate field "package" (first on line 3)');
    expect(e.data).toMatchObject({ line: 5, file: 'Packages' });
  });

  it.each([
    [' continuation first\n', 1, 'continuation line outside a field'],
    ['A: 1\nno colon here\n', 2, "expected 'Field: value'"],
    ['A: 1\n: empty name\n', 2, 'empty field name'],
    ['-----BEGIN PGP SIGNED MESSAGE-----\n', 1, "expected 'Field: value'"],
    ['-Field: x\n', 1, 'field name "-Field" starts with \'-\''],
    ['Fïeld: x\n', 1, 'invalid character in field name'],
    ['Bad Name: x\n', 1, 'invalid character in field name'],
  ])('rejects %j at line %i', (text, line, why) => {
    const e = thrownBy(() => parseDeb822(text), FormatError);
    expect(e.message).toContain(`line ${line}: ${why}`);
  });
});

describe('parseDeb822Stream', () => {
  const big = Array.from({ length: 50 }, (_, i) => `Package: p${i}\nVersion: 1.${i}\nDescription: pkg ${i}\n more ünïcode text ${i}\n .\n end\n`).join('\n');

  it('yields the same paragraphs as parseDeb822 whatever the chunk boundaries (including inside UTF-8 sequences)', async () => {
    const expected = parseDeb822(big).map(fieldsOf);
    expect(expected).toHaveLength(50);
    for (const size of [1, 7, 64, 4096]) {
      expect((await collect(parseDeb822Stream(chunks(big, size)))).map(fieldsOf)).toEqual(expected);
    }
  });

  it('accepts string chunks and reports line numbers across chunks', async () => {
    async function* strings(): AsyncGenerator<string> {
      await Promise.resolve();
      yield 'A: 1\n\nB: 2\nB';
      yield ': 3\n';
    }
    await expect(collect(parseDeb822Stream(strings(), { file: 'status' }))).rejects.toThrow('status: deb822: line 4: duplicate field "B" (first on line 3)');
  });

  it('rejects invalid UTF-8 with a FormatError', async () => {
    async function* bad(): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      yield new Uint8Array([0x41, 0x3a, 0x20, 0xff, 0x0a]);
    }
    await expect(collect(parseDeb822Stream(bad()))).rejects.toBeInstanceOf(FormatError);
  });

  it('parses 60k paragraphs quickly (the size of bookworm Packages)', async () => {
    const para = 'Package: libfoo1\nSource: foo\nVersion: 1.2.3-4+b1\nInstalled-Size: 123\nMaintainer: A Person <a@example.org>\nArchitecture: amd64\nDepends: libc6 (>= 2.34), libbar2 (>= 1.0) | libbaz\nDescription: some library\n long description line one\n .\n line two\nHomepage: https://example.org/\nDescription-md5: 0123456789abcdef0123456789abcdef\nSection: libs\nPriority: optional\nFilename: pool/main/f/foo/libfoo1_1.2.3-4+b1_amd64.deb\nSize: 12345\nMD5sum: 0123456789abcdef0123456789abcdef\nSHA256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n';
    const text = para.repeat(60_000);
    const t0 = performance.now();
    let n = 0;
    async function* oneMiB(): AsyncGenerator<string> {
      for (let i = 0; i < text.length; i += 1 << 20) {
        await Promise.resolve();
        yield text.slice(i, i + (1 << 20));
      }
    }
    for await (const p of parseDeb822Stream(oneMiB())) if (p.get('package') === 'libfoo1') n++;
    const ms = performance.now() - t0;
    expect(n).toBe(60_000);
    // ~40 MB of text; measured ~0.3 s. The bound leaves room for a loaded CI machine.
    expect(ms).toBeLessThan(5000);
  });
});

describe('parseDebRelations', () => {
  it('parses plain, versioned and alternative relations, normalizing << and >>', () => {
    expect(parseDebRelations('a (>= 1.0) | b:any, c (<< 2), d (>> 1:0.5-1), e (= 3), f (<= 4)')).toEqual([
      { anyOf: [{ name: 'a', op: '>=', version: '1.0' }, { name: 'b:any', op: undefined, version: undefined }] },
      { name: 'c', op: '<', version: '2' },
      { name: 'd', op: '>', version: '1:0.5-1' },
      { name: 'e', op: '=', version: '3' },
      { name: 'f', op: '<=', version: '4' },
    ]);
  });

  it('keeps architecture restrictions and build profiles', () => {
    expect(parseDebRelations('a (>= 1.0) | b:any [amd64 arm64] <!nocheck>, c [!i386] <stage1 !cross> <pkg.foo.bar>, gcc:native')).toEqual([
      {
        anyOf: [
          { name: 'a', op: '>=', version: '1.0' },
          { name: 'b:any', op: undefined, version: undefined, arches: ['amd64', 'arm64'], profiles: [['!nocheck']] },
        ],
      },
      { name: 'c', op: undefined, version: undefined, arches: ['!i386'], profiles: [['stage1', '!cross'], ['pkg.foo.bar']] },
      { name: 'gcc:native', op: undefined, version: undefined },
    ]);
  });

  it('reads dpkg spellings: no blanks, folded lines, obsolete < and >, an implicit =, empty entries', () => {
    expect(parseDebRelations('a(>=1),\n b (< 2),b2 (> 3) ,c (4),, d ,')).toEqual([
      { name: 'a', op: '>=', version: '1' },
      { name: 'b', op: '<=', version: '2' },
      { name: 'b2', op: '>=', version: '3' },
      { name: 'c', op: '=', version: '4' },
      { name: 'd', op: undefined, version: undefined },
    ]);
    expect(parseDebRelations('')).toEqual([]);
    expect(parseDebRelations('  \n ')).toEqual([]);
  });

  it.each([
    ['a (>= )', 'empty version for a'],
    ['a (>= 1:)', 'relation to a'],
    ['a (>= 1.0 2)', `"2" after the version of a: expected ')'`],
    ['a (>= 1.0 (2))', `"(" after the version of a: expected ')'`],
    ['a (>= 1.0', 'version of a unterminated'],
    ['a (<> 1)', "bad version relation '<>'"],
    ['a (>= -1)', 'relation to a'],
    ['a b', "expected ',' or '|' after a"],
    ['a |', 'missing package name'],
    ['| a', 'missing package name'],
    ['-a', 'must start with a letter or digit'],
    ['a$b', 'invalid character in package name'],
    ['a:', 'expected architecture qualifier'],
    ['a [amd64', 'architecture list of a unterminated'],
    ['a []', 'empty architecture list'],
    ['a [amd64 !i386]', 'mixes negated and plain'],
    ['a <>', 'empty build profile list'],
    ['a <nocheck', 'build profile list of a unterminated'],
  ])('rejects %j', (value, why) => {
    const e = thrownBy(() => parseDebRelations(value, { field: 'Depends', file: 'x.deb: control' }), FormatError);
    expect(e.format).toBe('deb822');
    expect(e.message).toContain('x.deb: control: deb822: Depends: ');
    expect(e.message).toContain(why);
  });

  it('rejects alternatives where dpkg does (Conflicts, Breaks, Provides, Replaces)', () => {
    expect(() => parseDebRelations('a | b', { field: 'Conflicts' })).toThrow("Conflicts: alternatives ('|') are not allowed");
    expect(() => parseDebRelations('a | b', { field: 'provides' })).toThrow(FormatError);
    expect(parseDebRelations('a | b', { field: 'Depends' })).toHaveLength(1);
  });
});
