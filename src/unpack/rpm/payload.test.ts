import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ByteReader } from '../../core/index.js';
import { FormatError, IntegrityError } from '../../core/index.js';
import { CpioWriter, encodeHeader, synthesize, type SynthFile, type SynthOptions } from '../../../test/helpers/rpm-builder.js';
import { chunked } from '../../../test/helpers/bytes.js';
import type { ArchiveEntry } from '../types.js';
import { readCpioHeader } from './cpio.js';
import { readFileList, type RpmFileList } from './files.js';
import { HEADER_INTRO_SIZE, parseHeader, parseHeaderIntro } from './header.js';
import { readPayloadEntries } from './payload.js';
import { rejectionOf } from '../../../test/helpers/errors.js';

const FILE = 'pkg.rpm';
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

function fileList(o: SynthOptions): { list: RpmFileList; cpio: Uint8Array } {
  const { tags, cpio } = synthesize(o);
  const bytes = encodeHeader([...tags].sort((a, b) => a.tag - b.tag), 63);
  const intro = parseHeaderIntro(bytes.subarray(0, HEADER_INTRO_SIZE), { kind: 'main', start: 0, file: FILE });
  const h = parseHeader(intro, bytes.subarray(HEADER_INTRO_SIZE), { kind: 'main', start: 0, file: FILE });
  return { list: readFileList(h, FILE), cpio };
}

/** Reads all entries, consuming bodies (or not), and returns them with their content. */
async function collect(list: RpmFileList, cpio: Uint8Array, readBodies = true): Promise<(ArchiveEntry & { content?: string })[]> {
  const r = new ByteReader(chunked(cpio, 5), 'cpio', FILE);
  const out: (ArchiveEntry & { content?: string })[] = [];
  for await (const e of readPayloadEntries(r, list, { file: FILE })) {
    if (e.body !== undefined && readBodies) {
      const parts: Uint8Array[] = [];
      for await (const c of e.body) parts.push(c.slice());
      out.push({ ...e, content: Buffer.concat(parts).toString('utf8') });
    } else {
      out.push(e);
    }
  }
  return out;
}

const FILES: SynthFile[] = [
  { path: '/usr/bin/tool', mode: 0o100755, content: '#!/bin/sh\necho hi\n' },
  { path: '/usr/lib/x/a', content: 'shared\n', inode: 7 },
  { path: '/usr/lib/x/b', content: 'shared\n', inode: 7 },
  { path: '/usr/lib/x', mode: 0o040755 },
  { path: '/usr/lib/x/link', mode: 0o120777, linkTarget: '../../bin/tool' },
  { path: '/usr/share/ghost', flags: 64 },
  { path: '/usr/share/z', content: 'shared\n', inode: 7 },
];

describe('readPayloadEntries', () => {
  for (const longSizes of [false, true]) {
    // rpm writes the stripped "07070X" format only when a file is 4 GiB or larger
    // (LONGFILESIZES), which no fixture can afford, so the stripped case is synthetic.
    test(`merges header and ${longSizes ? 'stripped' : 'newc'} payload: order, hardlinks, ghosts`, async () => {
      const { list, cpio } = fileList({ files: FILES, longSizes });
      expect(list.longSizes).toBe(longSizes);
      const entries = await collect(list, cpio);
      expect(entries.map((e) => [e.path, e.type, e.size, e.linkTarget, e.content])).toEqual([
        ['/usr/bin/tool', 'file', 18, undefined, '#!/bin/sh\necho hi\n'],
        ['/usr/lib/x', 'dir', 0, undefined, undefined],
        ['/usr/lib/x/link', 'symlink', 0, '../../bin/tool', undefined],
        // hardlink set after the other files, as rpm writes it; the ghost keeps its header slot
        ['/usr/lib/x/a', 'file', 7, undefined, 'shared\n'],
        ['/usr/lib/x/b', 'hardlink', 0, '/usr/lib/x/a', undefined],
        ['/usr/share/z', 'hardlink', 0, '/usr/lib/x/a', undefined],
        ['/usr/share/ghost', 'file', 0, undefined, undefined],
      ]);
      expect(entries.find((e) => e.path === '/usr/bin/tool')).toMatchObject({ mode: 0o755, user: 'root', group: 'root', digest: { algo: 'sha256', hex: sha256('#!/bin/sh\necho hi\n') } });
      expect(entries.find((e) => e.path === '/usr/share/ghost')).toMatchObject({ flags: { ghost: true }, body: undefined });
    });
  }

  test('bodies left unread are drained and still verified', async () => {
    const { list, cpio } = fileList({ files: FILES });
    expect((await collect(list, cpio, false)).length).toBe(7);
    const bad = fileList({ files: [{ path: '/a', content: 'good', digest: sha256('other') }, { path: '/b', content: 'x' }] });
    await rejectionOf(collect(bad.list, bad.cpio, false), IntegrityError);
  });

  test('a file whose content does not match its header digest → IntegrityError naming package and path', async () => {
    const { list, cpio } = fileList({ files: [{ path: '/etc/conf', content: 'tampered\n', digest: sha256('original\n') }] });
    const err = await rejectionOf(collect(list, cpio), IntegrityError);
    expect(err.message).toBe(`${FILE}: /etc/conf: sha256 digest: expected ${sha256('original\n')}, got ${sha256('tampered\n')}`);
    // The same for stripped payloads and for a hardlink set's shared content.
    const s = fileList({ files: [{ path: '/a', content: 'x', inode: 3, digest: sha256('y') }, { path: '/b', content: 'x', inode: 3, digest: sha256('y') }], longSizes: true });
    expect(String(await rejectionOf(collect(s.list, s.cpio), Error))).toContain(`${FILE}: /a: sha256 digest`);
  });

  test('the bad chunk is withheld: the consumer sees the error before the last chunk', async () => {
    const { list, cpio } = fileList({ files: [{ path: '/f', content: 'abcdefghij', digest: sha256('abcdefghiX') }] });
    const r = new ByteReader(chunked(cpio, 3), 'cpio', FILE);
    const got: string[] = [];
    await rejectionOf((async () => {
      for await (const e of readPayloadEntries(r, list, { file: FILE })) {
        for await (const c of e.body ?? []) got.push(Buffer.from(c).toString());
      }
    })(), IntegrityError);
    expect(got.join('').length).toBeLessThan(10);
  });

  const newc = (name: string, data = ''): CpioWriter => new CpioWriter().newc(name, 0o100644, text(data));
  const one = fileList({ files: [{ path: '/only', content: 'data' }] }).list;
  const bad: [name: string, list: RpmFileList, cpio: () => Uint8Array, type: typeof FormatError | typeof IntegrityError, message: string, offset: number | undefined][] = [
    ['payload entry with no header record', one, () => newc('./only', 'data').newc('./extra', 0o100644, text('')).trailer().bytes(), FormatError, 'payload entry "/extra" is not listed in the header', 124],
    ['header file missing from the payload', one, () => new CpioWriter().trailer().bytes(), FormatError, 'the header lists "/only" but the payload has no entry for it', 0],
    ['path with ..', one, () => newc('./usr/../../etc/passwd').trailer().bytes(), FormatError, 'contains ".." and would escape the tree', 0],
    ['entry listed twice', one, () => newc('./only', 'data').newc('./only', 0o100644, text('data')).trailer().bytes(), FormatError, '"/only" appears twice in the payload', 124],
    ['cpio size disagrees with the header', one, () => newc('./only', 'dat').trailer().bytes(), IntegrityError, 'size in the payload: expected 4, got 3', undefined],
    ['cpio file type disagrees with the header', one, () => new CpioWriter().newc('./only', 0o040755, text('data')).trailer().bytes(), FormatError, 'disagree on the file type', 0],
    ['data after the trailer', one, () => newc('./only', 'data').trailer().raw(text('junk')).bytes(), FormatError, 'unexpected data after the cpio trailer', 248],
    ['stripped index out of range', one, () => new CpioWriter().stripped(5, text('data')).trailer().bytes(), FormatError, 'refers to file 5, but the header lists 1 files', 0],
    ['newc and stripped mixed', fileList({ files: [{ path: '/a', content: 'a' }, { path: '/b', content: 'b' }] }).list,
      () => new CpioWriter().newc('./a', 0o100644, text('a')).stripped(1, text('b')).trailer().bytes(), FormatError, 'a stripped cpio header in a newc archive', 120],
    ['bad magic', one, () => text('070707xxxxxxxxxxxxxxxxxxxxxxx'), FormatError, 'expected a cpio header magic', 0],
    ['truncated data', one, () => newc('./only', 'data').bytes().subarray(0, 122), FormatError, 'truncated: expected content of /only (4 bytes), found 2 bytes', 120],
  ];
  test.each(bad)('%s', async (_name, list, cpio, type, message, offset) => {
    const err = await rejectionOf(collect(list, cpio()), type);
    expect(err.message).toContain(message);
    expect(err.message).toContain(FILE);
    if (offset !== undefined) expect(err).toMatchObject({ offset });
  });

  test('symlink data must equal FILELINKTOS', async () => {
    const { list } = fileList({ files: [{ path: '/l', mode: 0o120777, linkTarget: 'abc' }] });
    const cpio = new CpioWriter().newc('./l', 0o120777, text('abd')).trailer().bytes();
    const err = await rejectionOf(collect(list, cpio), IntegrityError);
    expect(err.message).toContain('/l: symlink target in the payload: expected "abc", got "abd"');
  });
});

describe('readCpioHeader', () => {
  const read = (b: Uint8Array): ReturnType<typeof readCpioHeader> => readCpioHeader(new ByteReader(chunked(b, 4), 'cpio', FILE));
  test('newc, stripped and both trailers', async () => {
    expect(await read(new CpioWriter().newc('./a b/é', 0o100600, text('xyz'), { ino: 9 }).bytes())).toMatchObject({ kind: 'newc', name: './a b/é', mode: 0o100600, ino: 9, fileSize: 3, offset: 0 });
    expect(await read(new CpioWriter().stripped(0x1234, new Uint8Array(0)).bytes())).toEqual({ kind: 'stripped', index: 0x1234, offset: 0 });
    expect(await read(new CpioWriter().trailer().bytes())).toEqual({ kind: 'trailer', offset: 0 });
    expect(await read(text('07070Xffffffff\0\0'))).toEqual({ kind: 'trailer', offset: 0 });
  });
  test('malformed headers → FormatError at the field', async () => {
    const good = new CpioWriter().newc('./a', 0o100644, text('')).bytes();
    const badHex = good.slice();
    badHex[20] = 0x67; // 'g' inside the mode field
    const e1 = await rejectionOf(read(badHex), FormatError);
    expect(e1.offset).toBe(14);
    expect(e1.message).toContain('cpio mode: expected 8 hex digits');
    const noNul = good.slice();
    noNul[113] = 0x41;
    expect(String(await rejectionOf(read(noNul), Error))).toContain('not NUL-terminated');
    const bigName = good.slice();
    bigName.set(text('00001001'), 94);
    expect(String(await rejectionOf(read(bigName), Error))).toContain('cpio name size 4097 out of range');
  });
});
