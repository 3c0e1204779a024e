import { describe, expect, it } from 'vitest';
import { FormatError, concatBytes } from '../../core/index.js';
import { arArchive, bytes, concat } from '../../../test/helpers/archive-builder.js';
import { chunked } from '../../../test/helpers/bytes.js';
import { readAr } from './ar.js';
import { rejectionOf } from '../../../test/helpers/errors.js';

async function list(data: Uint8Array, chunkSize = 65536): Promise<{ name: string; size: number; offset: number; data: string }[]> {
  const out = [];
  for await (const m of readAr(chunked(data, chunkSize), { file: 'pkg.deb' })) {
    const parts: Uint8Array[] = [];
    for await (const c of m.body) parts.push(c);
    out.push({ name: m.name, size: m.size, offset: m.offset, data: new TextDecoder().decode(concatBytes(parts)) });
  }
  return out;
}

describe('readAr', () => {
  const deb = arArchive([
    { name: 'debian-binary', data: '2.0\n' },
    { name: 'control.tar/', data: 'odd' },
    { name: 'data.tar.xz', data: 'payload!' },
  ]);

  it('lists members with GNU "/" terminators removed and odd sizes padded, for any chunking', async () => {
    const expected = [
      { name: 'debian-binary', size: 4, offset: 8, data: '2.0\n' },
      { name: 'control.tar', size: 3, offset: 72, data: 'odd' },
      { name: 'data.tar.xz', size: 8, offset: 136, data: 'payload!' },
    ];
    expect(await list(deb)).toEqual(expected);
    for (const size of [1, 3, 59, 61]) expect(await list(deb, size)).toEqual(expected);
  });

  it('skips unread members and accepts a missing pad after the last odd member', async () => {
    const names: string[] = [];
    for await (const m of readAr(chunked(deb))) names.push(m.name);
    expect(names).toEqual(['debian-binary', 'control.tar', 'data.tar.xz']);
    const noPad = arArchive([{ name: 'a', data: 'xyz' }]).subarray(0, 8 + 60 + 3);
    expect(await list(noPad)).toEqual([{ name: 'a', size: 3, offset: 8, data: 'xyz' }]);
    expect(await list(bytes('!<arch>\n'))).toEqual([]);
  });

  it.each([
    ['garbage!', 'pkg.deb: ar at byte 0: bad magic "garbage!": expected "!<arch>\\n"'],
    ['!<arch>', 'pkg.deb: ar at byte 0: bad magic "!<arch>": expected'],
    ['', 'pkg.deb: ar at byte 0: bad magic "": expected'],
    ['0.939000\n', 'bad magic "0.939000"'],
  ])('rejects bad magic %j', async (input, message) => {
    const e = await rejectionOf(list(bytes(input)), FormatError);
    expect(e.format).toBe('ar');
    expect(e.offset).toBe(0);
    expect(e.message).toContain(message);
  });

  it('reports a member whose size claims more than the archive holds, at the start of its data', async () => {
    const lying = arArchive([{ name: 'debian-binary', data: '2.0\n' }, { name: 'data.tar.xz', data: 'short', size: '999999' }]);
    const e = await rejectionOf(list(lying), FormatError);
    expect(e.message).toBe('pkg.deb: ar at byte 132: truncated: expected ar member data.tar.xz (999999 bytes), found 6 bytes then end of data');
  });

  it('reports a member whose size claims less than it holds, at the next header', async () => {
    const lying = arArchive([{ name: 'a', data: 'four', size: '2' }, { name: 'b', data: 'x' }]);
    const e = await rejectionOf(list(lying), FormatError);
    expect(e.offset).toBe(8 + 60 + 2);
    expect(e.message).toContain('ar at byte 70: member header: bad terminator "  ": expected');
  });

  it.each([
    ['12x', 'bad size field "12x       "'],
    ['', 'bad size field "          "'],
    [' 1 2', 'bad size field " 1 2      "'],
    ['-1', 'bad size field "-1        "'],
  ])('rejects the size field %j at the offset of its header', async (size, message) => {
    const e = await rejectionOf(list(arArchive([{ name: 'a', data: 'x', size }])), FormatError);
    expect(e.offset).toBe(8);
    expect(e.message).toContain(message);
  });

  it('accepts blanks before the size digits, as dpkg does', async () => {
    expect(await list(arArchive([{ name: 'a', data: 'x', size: '  1' }]))).toEqual([{ name: 'a', size: 1, offset: 8, data: 'x' }]);
  });

  it('reports a truncated member header', async () => {
    const e = await rejectionOf(list(concat(bytes('!<arch>\n'), bytes('debian-binary   0'))), FormatError);
    expect(e.message).toBe('pkg.deb: ar at byte 8: truncated: expected ar member header (60 bytes), found 17 bytes then end of data');
  });
});
