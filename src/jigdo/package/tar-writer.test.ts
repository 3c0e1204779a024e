import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../core/index.js';
import { readTar } from '../../unpack/tar.js';
import { chunked } from '../../../test/helpers/bytes.js';
import { TAR_BLOCK, splitUstarName, tarArchive, tarHeader, tarPadding, type TarHeaderEntry } from './tar-writer.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

type Read = { path: string; type: string; mode: number; uid: number; gid: number; user: string | undefined; group: string | undefined; size: number; mtime: number; content: string | undefined };

/** Reads an archive back with our tar reader (src/unpack/tar.ts), bodies as text. */
async function readBack(tar: Uint8Array): Promise<Read[]> {
  const out: Read[] = [];
  for await (const e of readTar(chunked(tar, 700), { file: 'test.tar' })) {
    let content: string | undefined;
    if (e.body !== undefined) {
      const parts: Uint8Array[] = [];
      for await (const c of e.body) parts.push(c);
      content = dec.decode(concatBytes(parts));
    }
    out.push({ path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, user: e.user, group: e.group, size: e.size, mtime: e.mtime, content });
  }
  return out;
}

describe('tarHeader', () => {
  it('writes one checksummed ustar block for a short name', () => {
    const h = tarHeader({ name: './usr/share/x', type: 'file', mode: 0o644, size: 5, mtime: 1700000000 });
    expect(h.length).toBe(TAR_BLOCK);
    expect(dec.decode(h.subarray(257, 265))).toBe('ustar\u000000');
    expect(dec.decode(h.subarray(100, 108))).toBe('0000644\0');
    expect(dec.decode(h.subarray(124, 136))).toBe('00000000005\0');
    expect(dec.decode(h.subarray(265, 269))).toBe('root');
    // POSIX: the checksum is the byte sum with the chksum field read as spaces.
    const copy = Uint8Array.from(h);
    copy.fill(0x20, 148, 156);
    const sum = copy.reduce((a, b) => a + b, 0);
    expect(parseInt(dec.decode(h.subarray(148, 154)), 8)).toBe(sum);
    expect([h[154], h[155]]).toEqual([0, 0x20]);
  });

  it('uses the ustar prefix for a name that splits, a GNU long-name record otherwise', () => {
    const splittable = `./${'a'.repeat(120)}/${'b'.repeat(90)}`;
    const h = tarHeader({ name: splittable, type: 'file', mode: 0o644, size: 0, mtime: 0 });
    expect(h.length).toBe(TAR_BLOCK);
    expect(dec.decode(h.subarray(345, 345 + 122))).toBe(`./${'a'.repeat(120)}`);
    const long = `./${'c'.repeat(200)}`;
    const l = tarHeader({ name: long, type: 'file', mode: 0o644, size: 0, mtime: 0 });
    expect(String.fromCharCode(l[156] ?? 0)).toBe('L');
    expect(dec.decode(l.subarray(0, 13))).toBe('././@LongLink');
    expect(dec.decode(l.subarray(257, 265))).toBe('ustar  \0');
    expect(l.length).toBe(3 * TAR_BLOCK);
  });

  it('splits at the first / that leaves at most 100 bytes', () => {
    const name = enc.encode(`${'p'.repeat(60)}/${'q'.repeat(60)}/${'r'.repeat(60)}`);
    const s = splitUstarName(name);
    expect(s && dec.decode(s.prefix)).toBe(`${'p'.repeat(60)}/${'q'.repeat(60)}`);
    expect(s && dec.decode(s.name)).toBe('r'.repeat(60));
    expect(splitUstarName(enc.encode(`a/${'x'.repeat(101)}`))).toBeUndefined();
    expect(splitUstarName(enc.encode(`${'x'.repeat(156)}/y`))).toBeUndefined();
  });

  it('pads data to whole blocks', () => {
    expect(tarPadding(0).length).toBe(0);
    expect(tarPadding(1).length).toBe(511);
    expect(tarPadding(512).length).toBe(0);
    expect(tarPadding(513).length).toBe(511);
  });
});

describe('tarArchive read back by our tar reader', () => {
  it('keeps names of every length, modes, owners, sizes, times and contents', async () => {
    // Segments of 1..120 ASCII/UTF-8 characters; paths up to a few hundred bytes.
    const segment = fc.stringMatching(/^[a-zA-Z0-9._+é-]{1,120}$/).filter((s) => s !== '.' && s !== '..');
    const member = fc.record({
      segs: fc.array(segment, { minLength: 1, maxLength: 4 }),
      dir: fc.boolean(),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      mtime: fc.integer({ min: 0, max: 0xffffffff }),
      content: fc.string({ maxLength: 600 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(member, { maxLength: 6, selector: (m) => m.segs.join('/') }), async (members) => {
        const entries = members.map((m) => {
          const data = m.dir ? new Uint8Array(0) : enc.encode(m.content);
          const entry: TarHeaderEntry = { name: `./${m.segs.join('/')}${m.dir ? '/' : ''}`, type: m.dir ? 'dir' : 'file', mode: m.mode, size: data.length, mtime: m.mtime };
          return { entry, data };
        });
        const read = await readBack(tarArchive(entries));
        expect(read).toEqual(entries.map(({ entry, data }) => ({
          path: entry.name.slice(1).replace(/\/$/, ''), type: entry.type, mode: entry.mode, uid: 0, gid: 0, user: 'root', group: 'root',
          size: data.length, mtime: entry.mtime, content: entry.type === 'file' ? dec.decode(data) : undefined,
        })));
      }),
      { numRuns: 150 },
    );
  });
});
