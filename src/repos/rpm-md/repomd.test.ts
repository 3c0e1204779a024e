import { describe, expect, it } from 'vitest';
import { FormatError } from '../../core/index.js';
import { thrownBy } from '../../../test/helpers/errors.js';
import { parseRepomd } from '../index.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function repomd(data: string, head = '<revision>1747699200</revision>'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  ${head}
  <tags><content>binary</content><distro cpeid="cpe:/o:x">X</distro></tags>
${data}
</repomd>
`;
}

const PRIMARY = `<data type="primary">
    <checksum type="sha256">${A}</checksum>
    <open-checksum type="sha256">${B}</open-checksum>
    <location href="repodata/${A}-primary.xml.xz"/>
    <timestamp>1747699200</timestamp>
    <size>4692</size>
    <open-size>38652</open-size>
  </data>`;

describe('parseRepomd', () => {
  it('reads the revision and every data entry', () => {
    const md = parseRepomd(repomd(`${PRIMARY}
  <data type="primary_db">
    <checksum type="sha">${'C'.repeat(40)}</checksum>
    <location xml:base="http://mirror.example/" href="repodata/p.sqlite.bz2"/>
    <timestamp>1700000000.25</timestamp>
    <database_version>10</database_version>
  </data>`));
    expect(md.revision).toBe('1747699200');
    expect([...md.data.keys()]).toEqual(['primary', 'primary_db']);
    expect(md.data.get('primary')).toEqual({
      type: 'primary',
      location: `repodata/${A}-primary.xml.xz`,
      checksum: { algo: 'sha256', hex: A },
      openChecksum: { algo: 'sha256', hex: B },
      timestamp: 1747699200,
      size: 4692,
      openSize: 38652,
    });
    expect(md.data.get('primary_db')).toEqual({
      type: 'primary_db',
      location: 'repodata/p.sqlite.bz2',
      locationBase: 'http://mirror.example/',
      checksum: { algo: 'sha1', hex: 'c'.repeat(40) },
      timestamp: 1700000000,
    });
  });

  it('leaves out a missing revision', () => {
    const md = parseRepomd(repomd(PRIMARY, ''));
    expect('revision' in md).toBe(false);
    expect(md.data.size).toBe(1);
  });

  const bad: [string, string, RegExp][] = [
    ['a data entry without checksum', repomd('<data type="other"><location href="x"/></data>'), /line 5, column \d+: <data type="other"> \(line 5\): missing <checksum>/],
    ['a data entry without location', repomd(`<data type="other"><checksum type="sha256">${A}</checksum></data>`), /<data type="other"> \(line 5\): missing <location href>/],
    ['a data entry without type', repomd('<data></data>'), /<data> without a type attribute/],
    ['a type given twice', repomd(`${PRIMARY}\n${PRIMARY}`), /<data type="primary"> appears twice/],
    ['a bad size', repomd(PRIMARY.replace('<size>4692', '<size>4k')), /<data type="primary"> <size>: "4k" is not a non-negative integer/],
    ['a bad digest', repomd(PRIMARY.replace(`>${A}<`, '>xyz<')), /<data type="primary"> <checksum>: "xyz" is not a sha256 digest/],
    ['malformed XML', repomd(PRIMARY).replace('</data>', '</date>'), /line 12, column \d+: unexpected close tag/],
    ['another document', '<metadata/>', /expected a <repomd> document, found <metadata>/],
  ];
  for (const [what, xml, msg] of bad) {
    it(`rejects ${what}`, () => {
      const err = thrownBy(() => parseRepomd(xml, { file: 'repodata/repomd.xml' }), FormatError);
      expect(err.format).toBe('xml');
      expect(err.message).toMatch(/^repodata\/repomd\.xml: xml: line \d+, column \d+: /);
      expect(err.message).toMatch(msg);
    });
  }
});
