import { describe, expect, it } from 'vitest';
import { FormatError } from '../../core/index.js';
import { rejectionOf } from '../../../test/helpers/errors.js';
import { parseFilelists, type FilelistsEntry } from '../index.js';
import { streamOf } from '../../../test/helpers/bytes.js';

const ID = 'AB'.repeat(32);
const XML = `<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="2">
<package pkgid="${ID}" name="foo" arch="x86_64">
  <version epoch="0" ver="1.0" rel="1"/>
  <file type="dir">/usr/share/foo</file>
  <file>/usr/share/foo/dätä &amp; more</file>
  <file type="ghost">/var/log/foo.log</file>
</package>
<package pkgid="${'cd'.repeat(32)}" name="empty" arch="noarch">
  <version epoch="1" ver="2" rel="3"/>
</package>
</filelists>
`;

const EXPECTED: FilelistsEntry[] = [
  { pkgid: 'ab'.repeat(32), name: 'foo', arch: 'x86_64', files: ['/usr/share/foo', '/usr/share/foo/dätä & more', '/var/log/foo.log'] },
  { pkgid: 'cd'.repeat(32), name: 'empty', arch: 'noarch', files: [] },
];

async function parse(parts: Uint8Array[]): Promise<FilelistsEntry[]> {
  const out: FilelistsEntry[] = [];
  for await (const e of parseFilelists(streamOf(parts), { file: 'filelists.xml' })) out.push(e);
  return out;
}

describe('parseFilelists', () => {
  it('reads every path of every package, dirs and ghosts included', async () => {
    expect(await parse([new TextEncoder().encode(XML)])).toEqual(EXPECTED);
  });

  it('gives the same result for every two-chunk split and for 1-byte chunks', async () => {
    const bytes = new TextEncoder().encode(XML);
    for (let i = 0; i <= bytes.length; i++) expect(await parse([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(EXPECTED);
    expect(await parse([...bytes].map((b) => Uint8Array.of(b)))).toEqual(EXPECTED);
  });

  const bad: [string, string, RegExp][] = [
    ['a package without pkgid', XML.replace(`pkgid="${ID}" `, ''), /line 3, column \d+: package "foo": missing pkgid/],
    ['a package without arch', XML.replace(' arch="x86_64"', ''), /package "foo": missing arch/],
    ['malformed XML', XML.replace('</package>', '</pkg>'), /line 8, column \d+: unexpected close tag/],
    ['a truncated document', XML.slice(0, XML.indexOf('</filelists>')), /unclosed tag: filelists/],
    ['another document', '<metadata/>', /expected a <filelists> document, found <metadata>/],
  ];
  for (const [what, xml, msg] of bad) {
    it(`rejects ${what}`, async () => {
      const err = await rejectionOf(parse([new TextEncoder().encode(xml)]), FormatError);
      expect(err.message).toMatch(/^filelists\.xml: xml: line \d+, column \d+: /);
      expect(err.message).toMatch(msg);
    });
  }
});
