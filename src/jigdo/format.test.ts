import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import type { Checksum } from '../ostree/index.js';
import { decodePack, encodeFilesPart, encodeManifest, encodePack, isSafeLocation, mergeFilesParts, parseFilesPart, parseManifest, type JigdoFilesPart, type JigdoManifest, type PackRecord } from './format.js';

const C = (c: string): Checksum => c.repeat(64).slice(0, 64) as Checksum;
const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

function manifest(): JigdoManifest {
  return {
    format: 'jigtree-jigdo',
    version: 1,
    commit: C('a'),
    ref: 'debian/12/x86_64/minbase',
    commitVersion: '12.1',
    timestamp: 1767225600,
    kind: 'deb',
    arch: 'amd64',
    commitObject: 'AAAA',
    repos: [{ id: 'bookworm', kind: 'apt', baseurl: 'http://127.0.0.1:1/debian' }],
    packages: [{ kind: 'deb', name: 'hostname', evr: '3.23+nmu1', arch: 'amd64', digest: `sha256:${C('b')}`, size: 10500, repo: 'bookworm', location: 'pool/main/h/hostname/hostname_3.23+nmu1_amd64.deb' }],
    parts: [
      { file: `parts/${C('c')}.meta`, sha256: C('c'), size: 10, role: 'meta' },
      { file: `parts/${C('d')}.files`, sha256: C('d'), size: 10, role: 'files' },
      { file: `parts/${C('e')}.object`, sha256: C('e'), size: 10, role: 'object', objects: [C('f')], header: { uid: 0, gid: 0, mode: 0o100644, xattrs: [['security.capability', 'AQ==']] }, dataSize: 2_000_000 },
    ],
    stats: { contentObjects: 1, fromPackages: 0, overrides: 0, newObjects: 1, newBytes: 2_000_000, packageBytes: 10500 },
  };
}

function reparse(edit: (m: Record<string, unknown>) => void): FormatError {
  const m = JSON.parse(new TextDecoder().decode(encodeManifest(manifest()))) as Record<string, unknown>;
  edit(m);
  try {
    parseManifest(enc(m), 'set/jigdo.json');
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('parsed');
}

describe('jigdo manifest', () => {
  it('round-trips through its canonical encoding, and the encoding is stable', () => {
    const bytes = encodeManifest(manifest());
    expect(parseManifest(bytes, 'jigdo.json')).toEqual(manifest());
    expect(encodeManifest(parseManifest(bytes, 'jigdo.json'))).toEqual(bytes);
  });

  it('names the field and what was expected for each kind of damage', () => {
    expect(reparse((m) => (m['format'] = 'x')).message).toContain('set/jigdo.json: jigdo: format: expected "jigtree-jigdo"');
    expect(reparse((m) => (m['version'] = 2)).message).toContain('format version 2 is newer than this jigtree reads (1)');
    expect(reparse((m) => (m['version'] = 0)).message).toContain('version: expected format version 1');
    expect(reparse((m) => (m['commit'] = 'abc')).message).toContain('.commit: expected a string matching');
    expect(reparse((m) => ((m['packages'] as Record<string, unknown>[])[0] as Record<string, unknown>)['location'] = '../../etc/passwd').message).toContain('packages[0].location: expected a relative path');
    expect(reparse((m) => ((m['packages'] as Record<string, unknown>[])[0] as Record<string, unknown>)['location'] = 'http://evil/x.deb').message).toContain('packages[0].location');
    expect(reparse((m) => ((m['packages'] as Record<string, unknown>[])[0] as Record<string, unknown>)['repo'] = 'other').message).toContain('packages[0].repo: expected one of the manifest\'s repos (bookworm)');
    expect(reparse((m) => ((m['packages'] as Record<string, unknown>[])[0] as Record<string, unknown>)['digest'] = 'md5:00').message).toContain('packages[0].digest');
    expect(reparse((m) => ((m['packages'] as Record<string, unknown>[])[0] as Record<string, unknown>)['size'] = -1).message).toContain('packages[0].size: expected a non-negative integer');
    expect(reparse((m) => ((m['parts'] as Record<string, unknown>[])[0] as Record<string, unknown>)['file'] = 'parts/../../x').message).toContain(`parts[0].file: expected parts/${C('c')}.meta`);
    expect(reparse((m) => (m['parts'] as unknown[]).splice(1, 1)).message).toContain('parts: expected a part with role "files"');
    expect(reparse((m) => ((m['parts'] as Record<string, unknown>[])[2] as Record<string, unknown>)['objects'] = []).message).toContain('parts[2].objects: expected exactly one object');
    expect(() => parseManifest(new TextEncoder().encode('{'), 'j.json')).toThrow(/j\.json: jigdo: not valid JSON/);
  });

  it('accepts only relative locations below a repo', () => {
    expect(isSafeLocation('pool/main/b/bash/bash_5.2_amd64.deb')).toBe(true);
    expect(isSafeLocation('Packages/b/bash-5.2-1.x86_64.rpm')).toBe(true);
    for (const bad of ['', '/abs', 'a/../b', 'file:///etc/passwd', 'https://x/y', 'a//b', 'a\\b']) expect(isSafeLocation(bad), bad).toBe(false);
  });
});

describe('jigdo files parts', () => {
  const digest = `sha256:${C('b')}`;
  it('round-trip, and merge into one overrides table by manifest package', () => {
    const m = manifest();
    const p1: JigdoFilesPart = { metas: [{ uid: 0, gid: 5, mode: 0o100640, xattrs: [] }], packages: { [digest]: [['/usr/bin/hostname', C('1')], ['/etc/x', C('2'), 0]] } };
    expect(parseFilesPart(encodeFilesPart(p1), 'f')).toEqual(p1);
    const other: JigdoFilesPart = { metas: [{ uid: 1, gid: 1, mode: 0o100600, xattrs: [] }], packages: {} };
    const merged = mergeFilesParts([other, p1], m, 'f');
    expect(merged.metas).toHaveLength(2);
    expect(merged.packages).toEqual([[['/usr/bin/hostname', C('1')], ['/etc/x', C('2'), 1]]]);
  });

  it('names what is wrong', () => {
    const m = manifest();
    expect(() => mergeFilesParts([], m, 'f')).toThrow(`packages[${digest}]: expected the file list of hostname 3.23+nmu1`);
    const p: JigdoFilesPart = { metas: [], packages: { [digest]: [] } };
    expect(() => mergeFilesParts([p, p], m, 'f')).toThrow('one file list per package (it appears in two parts)');
    expect(() => parseFilesPart(enc({ metas: [], packages: { [digest]: [['/x', C('1'), 0]] } }), 'f')).toThrow(`.packages[${digest}][0][2]: expected an index into metas`);
    expect(() => parseFilesPart(enc({ metas: [], packages: { [digest]: [['/x', 'nothex']] } }), 'f')).toThrow('[path, object checksum(, meta index)]');
    expect(() => parseFilesPart(enc({ metas: [], packages: { bash: [] } }), 'f')).toThrow('expected a package digest as key');
  });
});

describe('jigdo pack', () => {
  const record = fc.oneof(
    fc.record({ type: fc.constantFrom('dirtree' as const, 'dirmeta' as const), checksum: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')).map((s) => s as Checksum), bytes: fc.uint8Array({ maxLength: 200 }) }),
    fc.record({ type: fc.constant('file' as const), checksum: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')).map((s) => s as Checksum), header: fc.uint8Array({ maxLength: 64 }), data: fc.uint8Array({ maxLength: 300 }) }),
  );

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records: PackRecord[]) => {
        const back = [...decodePack(encodePack(records), 'p')].map((r) => (r.type === 'file' ? { ...r, header: Uint8Array.from(r.header), data: Uint8Array.from(r.data) } : { ...r, bytes: Uint8Array.from(r.bytes) }));
        expect(back).toEqual(records.map((r) => ({ ...r, checksum: r.checksum.toLowerCase() })));
      }),
    );
  });

  it('names the byte offset of damage', () => {
    const good = encodePack([{ type: 'dirmeta', checksum: C('a'), bytes: new Uint8Array([1, 2, 3]) }]);
    expect(() => [...decodePack(good.subarray(0, 5), 'p')]).toThrow(/p: jigdo at byte 0: expected the pack magic/);
    expect(() => [...decodePack(good.subarray(0, good.length - 1), 'p')]).toThrow(/at byte 15: pack record a+: 3 bytes announced, 2 left/);
    const wrongType = Uint8Array.from(good);
    wrongType[15] = 0x41;
    expect(() => [...decodePack(wrongType, 'p')]).toThrow(/at byte 15: unknown pack record type 0x41/);
  });
});
