import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../core/index.js';
import { readCpioHeader } from '../../unpack/rpm/cpio.js';
import { chunked } from '../../../test/helpers/bytes.js';
import { cpioHeader, cpioPadding, cpioTrailer, S_IFDIR, S_IFREG } from './cpio-writer.js';


describe('cpioHeader', () => {
  it('writes the 070701 header, the NUL-terminated name and padding to 4 bytes', () => {
    const h = cpioHeader({ name: './a', mode: S_IFREG | 0o644, size: 5, mtime: 0x10, ino: 7 });
    const text = new TextDecoder().decode(h);
    expect(text.slice(0, 6)).toBe('070701');
    expect(text.slice(6, 14)).toBe('00000007');
    expect(text.slice(14, 22)).toBe('000081a4');
    expect(text.slice(54, 62)).toBe('00000005');
    expect(text.slice(94, 102)).toBe('00000004');
    // 110 + "./a\0" = 114, padded to 116.
    expect(h.length).toBe(116);
    expect(h.subarray(110)).toEqual(Uint8Array.from([0x2e, 0x2f, 0x61, 0, 0, 0]));
    expect(cpioPadding(5).length).toBe(3);
    expect(cpioPadding(8).length).toBe(0);
  });

  it('reads back with our cpio reader (src/unpack/rpm/cpio.ts), trailer included', async () => {
    const entry = fc.record({
      name: fc.stringMatching(/^\.\/[a-z0-9/._-]{1,300}$/),
      dir: fc.boolean(),
      perm: fc.integer({ min: 0, max: 0o7777 }),
      size: fc.integer({ min: 0, max: 70 }),
      mtime: fc.integer({ min: 0, max: 0xffffffff }),
      ino: fc.integer({ min: 1, max: 0xffffffff }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 5 }), async (entries) => {
        const parts: Uint8Array[] = [];
        for (const e of entries) {
          const size = e.dir ? 0 : e.size;
          parts.push(cpioHeader({ name: e.name, mode: (e.dir ? S_IFDIR : S_IFREG) | e.perm, size, mtime: e.mtime, ino: e.ino }), new Uint8Array(size).fill(0x61), cpioPadding(size));
        }
        parts.push(cpioTrailer());
        const r = new ByteReader(chunked(Buffer.concat(parts), 37), 'cpio', 'test.cpio');
        for (const e of entries) {
          const h = await readCpioHeader(r);
          expect(h.kind).toBe('newc');
          if (h.kind !== 'newc') return;
          const size = e.dir ? 0 : e.size;
          expect({ name: h.name, mode: h.mode, size: h.fileSize, mtime: h.mtime, ino: h.ino, nlink: h.nlink, uid: h.uid, gid: h.gid }).toEqual({
            name: e.name, mode: (e.dir ? S_IFDIR : S_IFREG) | e.perm, size, mtime: e.mtime, ino: e.ino, nlink: 1, uid: 0, gid: 0,
          });
          expect(Buffer.from(await r.read(size, 'data')).toString('latin1')).toBe('a'.repeat(size));
        }
        expect((await readCpioHeader(r)).kind).toBe('trailer');
      }),
      { numRuns: 100 },
    );
  });
});
