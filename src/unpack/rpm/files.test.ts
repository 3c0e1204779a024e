import { describe, expect, test } from 'vitest';
import { FormatError } from '../../core/index.js';
import { encodeHeader, synthesize, type SynthFile, type TagSpec } from '../../../test/helpers/rpm-builder.js';
import { readFileList } from './files.js';
import { HEADER_INTRO_SIZE, parseHeader, parseHeaderIntro } from './header.js';
import { parseLead } from './lead.js';
import { RPM_TYPE, TAG } from './tags.js';
import { thrownBy } from '../../../test/helpers/errors.js';

function listOf(tags: readonly TagSpec[]): ReturnType<typeof readFileList> {
  const bytes = encodeHeader([...tags].sort((a, b) => a.tag - b.tag), 63);
  const intro = parseHeaderIntro(bytes.subarray(0, HEADER_INTRO_SIZE), { kind: 'main', start: 0, file: 'f.rpm' });
  return readFileList(parseHeader(intro, bytes.subarray(HEADER_INTRO_SIZE), { kind: 'main', start: 0, file: 'f.rpm' }), 'f.rpm');
}

/** The synthetic header tags for `files`, with `edit` applied to one tag. */
function tagsWith(files: SynthFile[], tag: number, value: TagSpec['value'] | undefined): TagSpec[] {
  const { tags } = synthesize({ files });
  return tags.flatMap((t) => (t.tag !== tag ? [t] : value === undefined ? [] : [{ ...t, value }]));
}

const TWO: SynthFile[] = [{ path: '/a/x', content: 'x' }, { path: '/a/y', mode: 0o120777, linkTarget: 'x' }];

describe('readFileList', () => {
  test('joins DIRNAMES[DIRINDEXES[i]] and BASENAMES[i]; decodes types, owners, rdev and flags', () => {
    const list = listOf([
      ...tagsWith([...TWO, { path: '/dev/null', mode: 0o020666 }, { path: '/', mode: 0o040755 }], TAG.FILERDEVS, [0, 0, 0, 0x0103]),
    ]);
    expect(list.files.map((f) => [f.path, f.type, f.rdev])).toEqual([
      ['/', 'dir', undefined], ['/a/x', 'file', undefined], ['/a/y', 'symlink', undefined], ['/dev/null', 'chardev', { major: 1, minor: 3 }],
    ]);
    expect(list.byPath.get('/a/y')).toBe(2);
  });

  const cases: [name: string, tags: () => TagSpec[], message: string][] = [
    ['a ".." segment', () => tagsWith(TWO, TAG.DIRNAMES, ['/a/../../etc/']), 'contains ".." and would escape the tree'],
    ['a relative directory', () => tagsWith(TWO, TAG.DIRNAMES, ['a/']), 'must start and end with "/"'],
    ['a "/" in a basename', () => tagsWith(TWO, TAG.BASENAMES, ['x', 'y/z']), 'contains "/"'],
    ['a path listed twice', () => tagsWith(TWO, TAG.BASENAMES, ['x', 'x']), '"/a/x" is listed twice'],
    ['a directory index out of range', () => tagsWith(TWO, TAG.DIRINDEXES, [0, 5]), 'element 1 is 5, but DIRNAMES has 1 entries'],
    ['a per-file array of the wrong length', () => tagsWith(TWO, TAG.FILEMTIMES, [1]), 'has 1 elements for 2 files'],
    ['no FILEMODES', () => tagsWith(TWO, TAG.FILEMODES, undefined), 'lists 2 files but FILEMODES is missing'],
    ['a socket', () => tagsWith(TWO, TAG.FILEMODES, [0o140755, 0o120777]), 'unsupported file type in mode 0140755'],
    ['a symlink without target', () => tagsWith(TWO, TAG.FILELINKTOS, ['', '']), 'symlink "/a/y" has no target'],
    ['a digest that is not hex of the right length', () => tagsWith(TWO, TAG.FILEDIGESTS, ['abcd', '']), 'is not a sha256 hex digest'],
    ['hardlinked files of different sizes', () => tagsWith([{ path: '/p', content: 'a', inode: 3 }, { path: '/q', content: 'bb', inode: 3 }], -1, undefined), 'have different sizes'],
  ];
  test.each(cases)('%s → FormatError', (_name, tags, message) => {
    const e = thrownBy(() => listOf(tags()), FormatError);
    expect(e.message).toContain(message);
    expect(e.message).toContain('f.rpm');
    expect(e.offset).toBeGreaterThanOrEqual(0);
  });

  test('an unknown digest algorithm is recorded, not thrown (entries() reports it)', () => {
    const list = listOf(tagsWith(TWO, TAG.FILEDIGESTALGO, [12]));
    expect(list.unsupportedDigestAlgo).toEqual({ algo: 12, name: 'sha3-256' });
    expect(list.files[0]?.digest).toBeUndefined();
  });

  test('OLDFILENAMES (rpm < 4.0) still names the files', () => {
    const tags = tagsWith(TWO, TAG.BASENAMES, undefined).filter((t) => t.tag !== TAG.DIRNAMES && t.tag !== TAG.DIRINDEXES);
    const list = listOf([...tags, { tag: TAG.OLDFILENAMES, type: RPM_TYPE.STRING_ARRAY, value: ['/a/x', '/a/y'] }]);
    expect(list.files.map((f) => f.path)).toEqual(['/a/x', '/a/y']);
  });
});

describe('parseLead', () => {
  const lead = (): Uint8Array => {
    const b = new Uint8Array(96);
    b.set([0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 1, 0, 1], 0);
    b.set(new TextEncoder().encode('demo-1.0-1'), 10);
    b[77] = 1;
    b[79] = 5;
    return b;
  };
  test('decodes the fields', () => {
    expect(parseLead(lead())).toEqual({ major: 3, minor: 0, type: 'source', archnum: 1, name: 'demo-1.0-1', osnum: 1, signatureType: 5 });
  });
  const bad: [name: string, at: number, value: number, offset: number, message: string][] = [
    ['magic', 1, 0, 0, 'not an RPM package'],
    ['major version', 4, 2, 4, 'unsupported lead version 2'],
    ['type', 7, 9, 6, 'lead type 9'],
    ['signature type', 79, 1, 78, 'lead signature type 1: expected 5'],
  ];
  test.each(bad)('bad %s → FormatError at its offset', (_name, at, value, offset, message) => {
    const b = lead();
    b[at] = value;
    const e = thrownBy(() => parseLead(b, { file: 'f.rpm' }), FormatError);
    expect(e.offset).toBe(offset);
    expect(e.message).toContain(message);
    expect(e.message).toContain('f.rpm');
  });
});
