import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, InternalError, concatBytes } from '../core/index.js';
import { bytes, concat, paxEntry, tarArchive, tarEntry, tarHeader } from '../../test/helpers/archive-builder.js';
import { chunked } from '../../test/helpers/bytes.js';
import { readTar, type TarEntry } from './tar.js';
import { rejectionOf } from '../../test/helpers/errors.js';

type Listed = Omit<TarEntry, 'body' | 'offset'> & { content?: string };

/** Lists an archive, reading every body as text. */
async function list(data: Uint8Array, chunkSize = 65536): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const e of readTar(chunked(data, chunkSize), { file: 'test.tar' })) {
    const { body, offset: _offset, ...rest } = e;
    if (body === undefined) {
      out.push(rest);
      continue;
    }
    const parts: Uint8Array[] = [];
    for await (const c of body) parts.push(c);
    out.push({ ...rest, content: new TextDecoder().decode(concatBytes(parts)) });
  }
  return out;
}

const base = { uid: 0, gid: 0, user: 'root', group: 'root', mtime: 1700000000, linkTarget: undefined, rdev: undefined, xattrs: [] };

describe('readTar: ustar and GNU headers', () => {
  it('lists every entry type with normalized paths, masked modes and owners', async () => {
    const tar = tarArchive([
      tarEntry({ name: './', type: '5', mode: 0o755 }),
      tarEntry({ name: './usr/bin/', type: '5', mode: 0o40755 }),
      tarEntry({ name: './usr/bin/hello', data: 'hello world\n', mode: 0o104755, uid: 1000, gid: 100, uname: 'user', gname: 'users', mtime: 1234567890 }),
      tarEntry({ name: './usr/bin/hi', type: '1', linkname: './usr/bin/hello', mode: 0o755 }),
      tarEntry({ name: './usr/bin/sym', type: '2', linkname: '../lib/x/../y', mode: 0o777 }),
      tarEntry({ name: './dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 }),
      tarEntry({ name: './dev/sda', type: '4', devmajor: 8, devminor: 0, mode: 0o660 }),
      tarEntry({ name: './run/fifo', type: '6', mode: 0o600 }),
      tarEntry({ name: 'contig', type: '7', data: 'c' }),
      tarEntry({ name: 'old-file', type: '\0', data: 'o', magic: 'v7' }),
      tarEntry({ name: 'old-dir/', type: '\0', magic: 'v7', mode: 0o755 }),
      tarEntry({ name: '/abs//path/./x', data: '' }),
    ]);
    expect(await list(tar)).toEqual([
      { ...base, path: '/', type: 'dir', mode: 0o755, size: 0 },
      { ...base, path: '/usr/bin', type: 'dir', mode: 0o755, size: 0 },
      { ...base, path: '/usr/bin/hello', type: 'file', mode: 0o4755, size: 12, uid: 1000, gid: 100, user: 'user', group: 'users', mtime: 1234567890, content: 'hello world\n' },
      { ...base, path: '/usr/bin/hi', type: 'hardlink', mode: 0o755, size: 0, linkTarget: '/usr/bin/hello' },
      { ...base, path: '/usr/bin/sym', type: 'symlink', mode: 0o777, size: 0, linkTarget: '../lib/x/../y' },
      { ...base, path: '/dev/null', type: 'chardev', mode: 0o666, size: 0, rdev: { major: 1, minor: 3 } },
      { ...base, path: '/dev/sda', type: 'blockdev', mode: 0o660, size: 0, rdev: { major: 8, minor: 0 } },
      { ...base, path: '/run/fifo', type: 'fifo', mode: 0o600, size: 0 },
      { ...base, path: '/contig', type: 'file', mode: 0o644, size: 1, content: 'c' },
      { ...base, path: '/old-file', type: 'file', mode: 0o644, size: 1, user: undefined, group: undefined, content: 'o' },
      { ...base, path: '/old-dir', type: 'dir', mode: 0o755, size: 0, user: undefined, group: undefined },
      { ...base, path: '/abs/path/x', type: 'file', mode: 0o644, size: 0, content: '' },
    ]);
  });

  it('joins the POSIX prefix field, and ignores those bytes in GNU headers', async () => {
    const tar = tarArchive([
      tarEntry({ name: 'file', prefix: './a/very/long/prefix', magic: 'posix', data: 'x' }),
      tarEntry({ name: 'gnu-file', prefix: 'not-a-prefix', magic: 'gnu', data: 'y' }),
    ]);
    expect((await list(tar)).map((e) => e.path)).toEqual(['/a/very/long/prefix/file', '/gnu-file']);
  });

  it('reads GNU long names (L) and long links (K), including non-ASCII ones', async () => {
    const longName = `./usr/share/${'ä'.repeat(60)}/${'n'.repeat(120)}.txt`;
    const longLink = `../${'t'.repeat(150)}/target`;
    const tar = tarArchive([
      tarEntry({ name: '././@LongLink', type: 'L', data: `${longName}\0` }),
      tarEntry({ name: 'truncated-placeholder', data: 'long' }),
      tarEntry({ name: '././@LongLink', type: 'K', data: `${longLink}\0` }),
      tarEntry({ name: './s', type: '2', linkname: longLink.slice(0, 99) }),
      tarEntry({ name: '././@LongLink', type: 'L', data: `${longName}.hl` }),
      tarEntry({ name: '././@LongLink', type: 'K', data: longName }),
      tarEntry({ name: 'hl', type: '1', linkname: 'ignored' }),
      tarEntry({ name: './after', data: 'plain' }),
    ]);
    const got = await list(tar);
    expect(got.map((e) => [e.path, e.type, e.linkTarget, e.content])).toEqual([
      [longName.slice(1), 'file', undefined, 'long'],
      ['/s', 'symlink', longLink, undefined],
      [`${longName.slice(1)}.hl`, 'hardlink', longName.slice(1), undefined],
      ['/after', 'file', undefined, 'plain'],
    ]);
  });

  it('reads GNU base-256 numbers, negative mtimes included', async () => {
    const data = 'x'.repeat(1000);
    const tar = tarArchive([
      tarEntry({ name: 'big-ids', data, size: { base256: 1000 }, uid: { base256: 4294967294 }, gid: { base256: 70000 }, mtime: { base256: -1 } }),
      tarEntry({ name: 'future', mtime: { base256: 2 ** 40 } }),
      tarEntry({ name: 'spaces', mode: { raw: '   644 \0' }, uid: { raw: '\0\0\0\0\0\0\0\0' } }),
    ]);
    const [a, b, c] = await list(tar);
    expect(a).toMatchObject({ size: 1000, uid: 4294967294, gid: 70000, mtime: -1, content: data });
    expect(b?.mtime).toBe(2 ** 40);
    expect(c).toMatchObject({ mode: 0o644, uid: 0 });
  });

  it('accepts the historic signed checksum and rejects a wrong one at the header offset', async () => {
    const signed = tarArchive([tarEntry({ name: 'ok' }), tarEntry({ name: 'ünï-x', checksum: 'signed' })]);
    expect((await list(signed)).map((e) => e.path)).toEqual(['/ok', '/ünï-x']);

    const bad = tarArchive([tarEntry({ name: 'ok', data: 'abc' }), tarEntry({ name: 'broken', checksum: 0o1234 })]);
    const e = await rejectionOf(list(bad), FormatError);
    expect(e.format).toBe('tar');
    expect(e.offset).toBe(1024);
    expect(e.message).toMatch(/^test\.tar: tar at byte 1024: header checksum mismatch: stored 1234, computed \d+/);
  });

  it('rejects junk in numeric fields and unsupported entry types', async () => {
    expect((await rejectionOf(list(tarArchive([tarEntry({ name: 'a', uid: { raw: '12x4\0' } })])), FormatError)).message).toContain('tar at byte 0: uid field: invalid octal digit "x"');
    expect((await rejectionOf(list(tarArchive([tarEntry({ name: 'a', size: { raw: '12 4\0' } })])), FormatError)).message).toContain('size field: junk after the octal number');
    expect((await rejectionOf(list(tarArchive([tarEntry({ name: 'a', type: 'S' })])), FormatError)).message).toContain("tar at byte 0: unsupported entry type 'S' (GNU sparse files are not supported)");
    expect((await rejectionOf(list(tarArchive([tarEntry({ name: 'a', type: 'V' })])), FormatError)).message).toContain("unsupported entry type 'V'");
  });

  it('rejects data declared on entries that have none', async () => {
    const e = await rejectionOf(list(tarArchive([tarEntry({ name: 'link', type: '2', linkname: 't', size: 10 })])), FormatError);
    expect(e.message).toContain('symlink entry "link" declares 10 bytes of data: expected 0');
    await expect(list(tarArchive([tarEntry({ name: 'd/', type: '5', size: 512 })]))).rejects.toThrow('dir entry');
  });
});

describe('readTar: paths', () => {
  it.each(['../etc/passwd', './a/../../b', 'a/..', '..'])('rejects the path %j', async (name) => {
    const e = await rejectionOf(list(tarArchive([tarEntry({ name, data: 'x' })])), FormatError);
    expect(e.message).toContain("has a '..' segment");
    expect(e.offset).toBe(0);
  });

  it('rejects a hardlink target with a .. segment or pointing at /', async () => {
    await expect(list(tarArchive([tarEntry({ name: 'ok', data: 'x' }), tarEntry({ name: 'l', type: '1', linkname: './a/../../ok' })]))).rejects.toThrow(
      "tar at byte 1024: hardlink target \"./a/../../ok\" has a '..' segment",
    );
    await expect(list(tarArchive([tarEntry({ name: 'l', type: '1', linkname: './' })]))).rejects.toThrow('points at the root directory');
  });

  it('rejects empty names, empty symlink targets and names that are not UTF-8', async () => {
    await expect(list(tarArchive([tarEntry({ name: '', data: 'x' })]))).rejects.toThrow('empty path');
    await expect(list(tarArchive([tarEntry({ name: 's', type: '2' })]))).rejects.toThrow('symlink "s" has an empty target');
    await expect(list(tarArchive([tarEntry({ name: 'caf\u00e9' })]))).resolves.toHaveLength(1);
    // é in Latin-1 (0xe9) is not UTF-8; the checksum is made for the patched byte so only the name is wrong.
    const patched = tarArchive([tarEntry({ name: 'x', checksum: tarChecksumWith(0, 0xe9) })]);
    patched[0] = 0xe9;
    await expect(list(patched)).rejects.toThrow('name is not valid UTF-8');
  });
});

/** The checksum a default header named 'x' gets when byte `at` is replaced by `value`. */
function tarChecksumWith(at: number, value: number): number {
  const h = tarHeader({ name: 'x' });
  h[at] = value;
  h.fill(0x20, 148, 156);
  return h.reduce((a, b) => a + b, 0);
}

describe('readTar: pax extended headers', () => {
  it('applies path, linkpath, size, ids, names, fractional mtime and binary-safe xattrs', async () => {
    const binary = new Uint8Array([0, 1, 0x0a, 0xff, 0x3d, 0x20]);
    const tar = tarArchive([
      paxEntry([
        ['path', `./${'p'.repeat(200)}/ünïcode`],
        ['uid', '123456789'],
        ['gid', '987654321'],
        ['uname', 'ünï'],
        ['gname', 'grp'],
        ['mtime', '1700000000.123456789'],
        ['atime', '1'],
        ['SCHILY.xattr.user.zeta', 'z'],
        ['SCHILY.xattr.security.capability', binary],
        ['SCHILY.xattr.user.empty', ''],
        ['LIBARCHIVE.xattr.user.%C3%A4', 'aGVsbG8='],
        ['comment', 'ignored'],
      ]),
      tarEntry({ name: 'short', data: 'body', magic: 'posix' }),
      paxEntry([['linkpath', `/${'l'.repeat(300)}`], ['size', '0']]),
      tarEntry({ name: 'sym', type: '2', linkname: 'short-target', magic: 'posix' }),
      paxEntry([['size', '5']]),
      tarEntry({ name: 'sized', data: '12345', size: { raw: '77777777777\0' }, magic: 'posix' }),
    ]);
    const got = await list(tar);
    expect(got[0]).toMatchObject({
      path: `/${'p'.repeat(200)}/ünïcode`,
      uid: 123456789,
      gid: 987654321,
      user: 'ünï',
      group: 'grp',
      mtime: Number('1700000000.123456789'),
      content: 'body',
    });
    expect(got[0]?.xattrs).toEqual([
      ['security.capability', binary],
      ['user.empty', new Uint8Array(0)],
      ['user.zeta', bytes('z')],
      ['user.ä', bytes('hello')],
    ]);
    expect(got[1]).toMatchObject({ path: '/sym', type: 'symlink', linkTarget: `/${'l'.repeat(300)}`, xattrs: [] });
    expect(got[2]).toMatchObject({ path: '/sized', size: 5, content: '12345' });
  });

  it('applies global (g) records to every later entry; x overrides them and an empty value falls back to the header', async () => {
    const tar = tarArchive([
      paxEntry([['uname', 'globaluser'], ['SCHILY.xattr.user.g', 'G']], 'g'),
      tarEntry({ name: 'a', uname: 'hdr' }),
      paxEntry([['uname', '']]),
      tarEntry({ name: 'b', uname: 'hdr' }),
      paxEntry([['uname', 'local'], ['SCHILY.xattr.user.g', 'L']]),
      tarEntry({ name: 'c', uname: 'hdr' }),
      tarEntry({ name: 'd', uname: 'hdr' }),
    ]);
    const got = await list(tar);
    expect(got.map((e) => [e.path, e.user, new TextDecoder().decode(e.xattrs[0]?.[1])])).toEqual([
      ['/a', 'globaluser', 'G'],
      ['/b', 'hdr', 'G'],
      ['/c', 'local', 'L'],
      ['/d', 'globaluser', 'G'],
    ]);
  });

  it.each([
    [[['size', '12a']], 'pax size "12a": expected a decimal number'],
    [[['uid', '-1']], 'pax uid "-1": expected a decimal number'],
    [[['mtime', '1e9']], 'pax mtime "1e9": expected decimal seconds'],
    [[['path', '../x']], "has a '..' segment"],
    [[['path', 'a\0b']], 'contains a NUL byte'],
    [[['GNU.sparse.size', '10']], 'sparse files are not supported'],
    [[['size', '99999999999999999999']], 'out of range'],
  ] as [[string, string][], string][])('rejects pax records %j', async (records, why) => {
    await expect(list(tarArchive([paxEntry(records), tarEntry({ name: 'f' })]))).rejects.toThrow(why);
  });

  it('rejects malformed pax records with the offset of the record', async () => {
    const bad = (data: string): Uint8Array => tarArchive([tarEntry({ name: 'x', type: 'x', data, magic: 'posix' }), tarEntry({ name: 'f' })]);
    expect((await rejectionOf(list(bad('9 a=b\n')), FormatError)).message).toContain('tar at byte 512: pax header: record length 9 does not fit');
    expect((await rejectionOf(list(bad('6 a=b\n2 \n')), FormatError)).message).toContain('tar at byte 518: pax header: record length 2 does not fit');
    expect((await rejectionOf(list(bad('5 a=b\n')), FormatError)).message).toContain('tar at byte 516: pax header: record does not end with a newline');
    expect((await rejectionOf(list(bad('6 a=bc')), FormatError)).message).toContain('record does not end with a newline');
    expect((await rejectionOf(list(bad('x a=b\n')), FormatError)).message).toContain('expected "<length> <key>=<value>\\n"');
    expect((await rejectionOf(list(bad('5 ab\n')), FormatError)).message).toContain('record without "key="');
    expect((await rejectionOf(list(bad('6 a=b\n\0\0x')), FormatError)).message).toContain('NUL byte inside the records');
    await expect(list(bad('6 a=b\n\0\0\0'))).resolves.toHaveLength(1);
  });
});

describe('readTar: end of archive and truncation', () => {
  const one = tarEntry({ name: 'f', data: 'data' });

  it('ends at one zero block, at a clean end of data, and ignores what follows the end block', async () => {
    for (const tar of [tarArchive([one], 2), tarArchive([one], 1), tarArchive([one], 0), concat(tarArchive([one], 1), tarEntry({ name: 'after-end', data: 'ignored' }), bytes('garbage'))]) {
      expect((await list(tar)).map((e) => e.path)).toEqual(['/f']);
    }
    expect(await list(new Uint8Array(0))).toEqual([]);
  });

  it('reports a partial header, a short body and missing padding as truncation with offsets', async () => {
    const partial = concat(one, new Uint8Array(100).fill(0x41));
    expect((await rejectionOf(list(partial), FormatError)).message).toBe('test.tar: tar at byte 1024: truncated: expected tar header (512 bytes), found 100 bytes then end of data');
    const shortBody = one.subarray(0, 512 + 2);
    expect((await rejectionOf(list(shortBody), FormatError)).message).toBe('test.tar: tar at byte 512: truncated: expected body of f (4 bytes), found 2 bytes then end of data');
    const noPadding = one.subarray(0, 512 + 4);
    expect((await rejectionOf(list(noPadding), FormatError)).message).toContain('tar at byte 516: truncated: expected padding after f');
  });

  it('fails fast, without allocating, on an entry declaring 10 GB in a small stream', async () => {
    const huge = tarArchive([tarEntry({ name: 'huge', data: 'tiny', size: { base256: 10 * 2 ** 30 } })]);
    const before = process.memoryUsage().arrayBuffers;
    // Read through the body, and also let the reader skip it unread.
    const e1 = await rejectionOf(list(huge), FormatError);
    expect(e1.message).toBe(`test.tar: tar at byte 512: truncated: expected body of huge (${10 * 2 ** 30} bytes), found 1536 bytes then end of data`);
    const e2 = await rejectionOf(
      (async () => {
        for await (const _ of readTar(chunked(huge))) {
          // leave the body unread
        }
      })(),
      FormatError,
    );
    expect(e2.message).toContain('truncated');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    const hugeName = tarArchive([tarEntry({ name: '././@LongLink', type: 'L', size: { base256: 2 ** 40 } })]);
    expect((await rejectionOf(list(hugeName), FormatError)).message).toContain('tar at byte 0: GNU long name of 1099511627776 bytes exceeds the 1048576-byte limit');
    const hugePax = tarArchive([tarEntry({ name: 'p', type: 'x', size: 2 ** 30, magic: 'posix' })]);
    expect((await rejectionOf(list(hugePax), FormatError)).message).toContain('pax extended header of 1073741824 bytes exceeds');
  });

  it('rejects an extended header that is not followed by its entry', async () => {
    await expect(list(tarArchive([tarEntry({ name: '././@LongLink', type: 'L', data: 'name' })], 2))).rejects.toThrow(
      'tar at byte 1024: end-of-archive block after an extended header',
    );
    await expect(list(tarArchive([paxEntry([['path', 'x']])], 0))).rejects.toThrow('end of data after an extended header');
  });
});

describe('readTar: streaming', () => {
  const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
  const tar = tarArchive([tarEntry({ name: 'a', data: 'first' }), tarEntry({ name: 'big', data: big }), tarEntry({ name: 'z', data: 'last' })]);

  it('gives the same listing for any chunking of the input', async () => {
    const expected = await list(tar);
    for (const size of [1, 7, 511, 512, 513, 4096]) expect(await list(tar, size)).toEqual(expected);
  });

  it('hands out body chunks as views of the source chunks, not copies', async () => {
    const sourceBuffers = new Set<ArrayBufferLike>();
    async function* source(): AsyncGenerator<Uint8Array> {
      for await (const c of chunked(tar, 65536)) {
        const own = c.slice(); // a fresh buffer per chunk, as a decoder yields
        sourceBuffers.add(own.buffer);
        yield own;
      }
    }
    let total = 0;
    for await (const e of readTar(source())) {
      if (e.path !== '/big' || e.body === undefined) continue;
      for await (const c of e.body) {
        expect(sourceBuffers.has(c.buffer)).toBe(true);
        total += c.length;
      }
    }
    expect(total).toBe(big.length);
  });

  it('drains unread or half-read bodies when iteration moves on, and refuses a stale body', async () => {
    const paths: string[] = [];
    let stale: TarEntry['body'];
    for await (const e of readTar(chunked(tar, 1000))) {
      paths.push(e.path);
      if (e.path === '/big' && e.body !== undefined) {
        for await (const _ of e.body) break; // read one chunk only
        stale = e.body;
      }
    }
    expect(paths).toEqual(['/a', '/big', '/z']);
    const body = stale;
    if (body === undefined) throw new Error('no body');
    await expect((async () => {
      for await (const _ of body) {
        // nothing
      }
    })()).rejects.toBeInstanceOf(InternalError);
  });

  it('checks the abort signal between entries', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of readTar(chunked(tar), { signal: ac.signal })) {
          seen.push(e.path);
          ac.abort();
        }
      })(),
    ).rejects.toThrow('aborted');
    expect(seen).toEqual(['/a']);
  });

  it('throws only FormatError on damaged archives (random byte flips, truncations)', async () => {
    const sample = tarArchive([
      paxEntry([['path', 'pax/path'], ['SCHILY.xattr.user.x', 'v']]),
      tarEntry({ name: 'f', data: 'x'.repeat(700) }),
      tarEntry({ name: '././@LongLink', type: 'L', data: 'long/name' }),
      tarEntry({ name: 'l', type: '2', linkname: 'target' }),
    ]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(sample.length), async (flips, cut) => {
        const damaged = sample.slice(0, cut);
        for (const [at, v] of flips) if (at < damaged.length) damaged[at] = v;
        try {
          await list(damaged, 97);
        } catch (err) {
          if (!(err instanceof FormatError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});
