import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../core/index.js';
import { rejectionOf } from '../../../test/helpers/errors.js';
import { parsePrimary, type RpmPackageRecord } from '../index.js';
import { streamOf, splitUtf8 } from '../../../test/helpers/bytes.js';

const SHA = 'ab'.repeat(32);

function pkgXml(body: { name?: string; arch?: string; version?: string; checksum?: string; size?: string; location?: string; format?: string }): string {
  const f = (k: keyof typeof body, d: string): string => body[k] ?? d;
  return `<package type="rpm">
  ${f('name', '<name>foo</name>')}
  ${f('arch', '<arch>x86_64</arch>')}
  ${f('version', '<version epoch="0" ver="1.0" rel="1"/>')}
  ${f('checksum', `<checksum type="sha256" pkgid="YES">${SHA}</checksum>`)}
  <summary>Foo &amp; bar — ünïcödé</summary>
  <description>Text with <![CDATA[<markup>]]> and entities &lt;x&gt;.</description>
  <packager></packager>
  <time file="1" build="2"/>
  ${f('size', '<size package="6302" installed="9" archive="276"/>')}
  ${f('location', '<location href="x86_64/foo-1.0-1.x86_64.rpm"/>')}
  <format>
    <rpm:license>MIT</rpm:license>
    <rpm:sourcerpm>foo-1.0-1.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="6193"/>
    ${f('format', '')}
  </format>
</package>`;
}

function doc(...pkgs: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${pkgs.length}">
${pkgs.join('\n')}
</metadata>
`;
}

async function parse(xml: string | Uint8Array[], file?: string): Promise<RpmPackageRecord[]> {
  const out: RpmPackageRecord[] = [];
  const parts = typeof xml === 'string' ? splitUtf8(xml, 1 << 16) : xml;
  for await (const r of parsePrimary(streamOf(parts), file === undefined ? { repoId: 'r' } : { repoId: 'r', file })) out.push(r);
  return out;
}

const DEPS = `<rpm:provides>
      <rpm:entry name="foo" flags="EQ" epoch="0" ver="1.0" rel="1"/>
      <rpm:entry name="virt" flags="EQ" epoch="0" ver="2.0"/>
      <rpm:entry name="epochy" flags="GE" epoch="3" ver="1.2" rel="4.fc40"/>
      <rpm:entry name="plain"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/usr/sbin/useradd" pre="1"/>
      <rpm:entry name="(a or b)"/>
      <rpm:entry name="bar" flags="LT" epoch="0" ver="2"/>
      <rpm:entry name="baz" flags="LE" ver="2" rel="1"/>
      <rpm:entry name="qux" flags="GT" epoch="1" ver="0.5"/>
    </rpm:requires>
    <rpm:conflicts><rpm:entry name="old" flags="LT" epoch="0" ver="1.0"/></rpm:conflicts>
    <rpm:obsoletes><rpm:entry name="older" flags="LE" epoch="0" ver="0.9" rel="1"/></rpm:obsoletes>
    <rpm:suggests><rpm:entry name="s"/></rpm:suggests>
    <rpm:enhances><rpm:entry name="e"/></rpm:enhances>
    <rpm:recommends><rpm:entry name="(r1 if r2)"/></rpm:recommends>
    <rpm:supplements><rpm:entry name="(foo and langpacks-cz)"/></rpm:supplements>
    <file>/etc/foo.conf</file>
    <file type="dir">/etc/foo.d</file>
    <file type="ghost">/usr/bin/fö&amp;o</file>`;

const FULL: RpmPackageRecord = {
  kind: 'rpm',
  name: 'foo',
  epoch: 0,
  version: '1.0',
  release: '1',
  arch: 'x86_64',
  repoId: 'r',
  location: 'x86_64/foo-1.0-1.x86_64.rpm',
  digest: { algo: 'sha256', hex: SHA },
  size: 6302,
  installedSize: 9,
  sourcerpm: 'foo-1.0-1.src.rpm',
  headerRange: [4504, 6193],
  provides: [
    { name: 'foo', flags: 8, evr: '1.0-1' },
    { name: 'virt', flags: 8, evr: '2.0' },
    { name: 'epochy', flags: 12, evr: '3:1.2-4.fc40' },
    { name: 'plain', flags: 0, evr: '' },
  ],
  requires: [
    { name: '/usr/sbin/useradd', flags: 0, evr: '', pre: true },
    { name: '(a or b)', flags: 0, evr: '', rich: true },
    { name: 'bar', flags: 2, evr: '2' },
    { name: 'baz', flags: 10, evr: '2-1' },
    { name: 'qux', flags: 4, evr: '1:0.5' },
  ],
  conflicts: [{ name: 'old', flags: 2, evr: '1.0' }],
  obsoletes: [{ name: 'older', flags: 10, evr: '0.9-1' }],
  recommends: [{ name: '(r1 if r2)', flags: 0, evr: '', rich: true }],
  suggests: [{ name: 's', flags: 0, evr: '' }],
  supplements: [{ name: '(foo and langpacks-cz)', flags: 0, evr: '', rich: true }],
  enhances: [{ name: 'e', flags: 0, evr: '' }],
  files: ['/etc/foo.conf', '/etc/foo.d', '/usr/bin/fö&o'],
};

const BASIC_DEPS = { provides: [], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [], files: [] };

describe('parsePrimary', () => {
  it('reads every field and every entry form (epoch, no rel, pre, rich, unversioned)', async () => {
    expect(await parse(doc(pkgXml({ format: DEPS })))).toEqual([FULL]);
  });

  it('reads epochs, xml:base, source rpms and several packages in document order', async () => {
    const two = doc(
      pkgXml({ version: '<version epoch="2" ver="1.0" rel="1"/>', location: '<location xml:base="http://mirror.example/x" href="p/foo.rpm"/>' }),
      pkgXml({ name: '<name>foo-src</name>', arch: '<arch>src</arch>', format: '' }).replace('<rpm:sourcerpm>foo-1.0-1.src.rpm</rpm:sourcerpm>', '<rpm:sourcerpm></rpm:sourcerpm>'),
    );
    const [a, b, ...rest] = await parse(two);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ name: 'foo', epoch: 2, location: 'p/foo.rpm', locationBase: 'http://mirror.example/x', ...BASIC_DEPS });
    expect(b).toMatchObject({ name: 'foo-src', arch: 'src' });
    expect(b && 'sourcerpm' in b).toBe(false);
    expect(b && 'locationBase' in b).toBe(false);
  });

  it('reads sha1 written as "sha" and uppercase hex', async () => {
    const [r] = await parse(doc(pkgXml({ checksum: `<checksum type="sha" pkgid="YES">${'AB'.repeat(20)}</checksum>` })));
    expect(r?.digest).toEqual({ algo: 'sha1', hex: 'ab'.repeat(20) });
  });

  it('gives the same records for every split of the bytes into two chunks, and for 1-byte chunks', async () => {
    const xml = doc(pkgXml({ format: DEPS }));
    const bytes = new TextEncoder().encode(xml);
    for (let i = 0; i <= bytes.length; i++) {
      expect(await parse([bytes.subarray(0, i), bytes.subarray(i)])).toEqual([FULL]);
    }
    expect(await parse(splitUtf8(xml, 1))).toEqual([FULL]);
  });

  it('gives the same records for random chunkings (string and byte chunks)', async () => {
    const xml = doc(pkgXml({ format: DEPS }), pkgXml({ name: '<name>foo2</name>' }));
    const expected = await parse(xml);
    expect(expected).toHaveLength(2);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }), async (sizes) => {
        const bytes = new TextEncoder().encode(xml);
        const parts: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = sizes[i % sizes.length] ?? 1;
          parts.push(bytes.subarray(at, at + n));
          at += n;
        }
        expect(await parse(parts)).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('yields a package as soon as it closes, before the rest of the input is read', async () => {
    const xml = doc(pkgXml({}), pkgXml({ name: '<name>second</name>' }));
    const cut = xml.indexOf('<package', xml.indexOf('</package>'));
    let secondHalfRead = false;
    async function* input(): AsyncGenerator<string> {
      await Promise.resolve();
      yield xml.slice(0, cut);
      secondHalfRead = true;
      yield xml.slice(cut);
    }
    const it = parsePrimary(input(), { repoId: 'r' });
    const first = await it.next();
    expect(first.value).toMatchObject({ name: 'foo' });
    expect(secondHalfRead).toBe(false);
    const rest: string[] = [];
    for await (const r of it) rest.push(r.name);
    expect(rest).toEqual(['second']);
  });

  const missing: [string, Parameters<typeof pkgXml>[0], RegExp][] = [
    ['name', { name: '' }, /package at line 3: missing <name>/],
    ['arch', { arch: '' }, /package "foo" \(line 3\): missing <arch>/],
    ['version', { version: '' }, /package "foo" \(line 3\): missing <version ver>/],
    ['checksum', { checksum: '' }, /package "foo" \(line 3\): missing <checksum>/],
    ['location', { location: '<location/>' }, /package "foo" \(line 3\): missing <location href>/],
    ['size', { size: '' }, /package "foo" \(line 3\): missing <size package>/],
  ];
  for (const [what, body, msg] of missing) {
    it(`rejects a package without ${what}, naming the package, file and line`, async () => {
      const err = await rejectionOf(parse(doc(pkgXml(body)), 'primary.xml'), FormatError);
      expect(err.format).toBe('xml');
      expect(err.message).toMatch(/^primary\.xml: xml: line 2\d, column \d+: /);
      expect(err.message).toMatch(msg);
    });
  }

  const bad: [string, string, RegExp][] = [
    ['a mismatched closing tag', doc(pkgXml({})).replace('</arch>', '</name>'), /line 5, column \d+: unexpected close tag/],
    ['a truncated document', doc(pkgXml({})).slice(0, 300), /unclosed tag/],
    ['an empty document', '', /root element/],
    ['another root element', '<filelists/>', /line 1, column \d+: expected a primary <metadata> document, found <filelists>/],
    ['unknown flags', doc(pkgXml({ format: '<rpm:requires><rpm:entry name="x" flags="NE" ver="1"/></rpm:requires>' })), /package "foo" \(line 3\): <rpm:entry name="x">: unknown flags "NE"/],
    ['flags without ver', doc(pkgXml({ format: '<rpm:requires><rpm:entry name="x" flags="EQ"/></rpm:requires>' })), /flags="EQ" without ver/],
    ['an entry without name', doc(pkgXml({ format: '<rpm:provides><rpm:entry flags="EQ"/></rpm:provides>' })), /<rpm:entry> without a name/],
    ['a bad epoch', doc(pkgXml({ version: '<version epoch="x" ver="1" rel="1"/>' })), /<version epoch>: "x" is not a non-negative integer/],
    ['a bad size', doc(pkgXml({ size: '<size package="-1"/>' })), /<size package>: "-1" is not a non-negative integer/],
    ['a short digest', doc(pkgXml({ checksum: '<checksum type="sha256">abcd</checksum>' })), /<checksum>: "abcd" is not a sha256 digest/],
    ['an unknown digest type', doc(pkgXml({ checksum: `<checksum type="crc32">${SHA}</checksum>` })), /unknown checksum type "crc32"/],
    ['an undefined entity', doc(pkgXml({ name: '<name>a&bogus;</name>' })), /undefined entity/],
  ];
  for (const [what, xml, msg] of bad) {
    it(`rejects ${what} with a FormatError naming line and column`, async () => {
      const err = await rejectionOf(parse(xml, 'p.xml'), FormatError);
      expect(err.format).toBe('xml');
      expect(err.message).toMatch(/^p\.xml: xml: line \d+, column \d+: /);
      expect(err.message).toMatch(msg);
    });
  }

  it('rejects invalid UTF-8', async () => {
    const bytes = new TextEncoder().encode(doc(pkgXml({})));
    const broken = Uint8Array.from(bytes);
    broken[broken.indexOf(0x66)] = 0xff; // the first "f" (of "foo"... or earlier): any byte will do
    const err = await rejectionOf(parse([broken]), FormatError);
    expect(err.message).toMatch(/invalid UTF-8/);
  });
});
