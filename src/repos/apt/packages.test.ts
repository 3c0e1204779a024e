import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../core/index.js';
import { rejectionOf } from '../../../test/helpers/errors.js';
import { parsePackages, type DebPackageRecord } from '../index.js';
import { streamOf, splitUtf8 } from '../../../test/helpers/bytes.js';

const SHA = 'ab'.repeat(32);
const MD5 = 'cd'.repeat(16);

// A bash-like paragraph (binNMU Source, Essential, Multi-Arch, every relationship field) with
// the non-ASCII and multi-line fields a real index has.
const FULL_TEXT = `Package: bash
Source: bash (5.2.15-2)
Version: 5.2.15-2+b2
Installed-Size: 7175
Maintainer: Matthias Klose <doko@debian.org> — ü
Architecture: amd64
Multi-Arch: Foreign
Replaces: bash-completion (<< 20060301-0), bash-doc (<= 2.05-1)
Depends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1),
 libfoo1 (>= 1.0) | libfoo2:any,
 python3:any
Pre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6)
Recommends: bash-completion (>= 20060301-0)
Suggests: bash-doc
Enhances: zsh
Conflicts: bash-completion (<< 20060301-0)
Breaks: old-bash (<< 5)
Provides: sh, shell (= 1:2.0)
Essential: yes
Protected: no
Description: GNU Bourne Again SHell
Description-md5: 3522aa7b4374048d6450e348a5bb45d9
Tag: implemented-in::c,
 interface::shell
Section: shells
Priority: required
Filename: pool/main/b/bash/bash_5.2.15-2+b2_amd64.deb
Size: 1491512
MD5sum: ${MD5.toUpperCase()}
SHA256: ${SHA.toUpperCase()}
`;

const FULL: DebPackageRecord = {
  kind: 'deb',
  name: 'bash',
  version: '5.2.15-2+b2',
  arch: 'amd64',
  multiArch: 'foreign',
  essential: true,
  protected: false,
  priority: 'required',
  source: { name: 'bash', version: '5.2.15-2' },
  repoId: 'bookworm',
  location: 'pool/main/b/bash/bash_5.2.15-2+b2_amd64.deb',
  size: 1491512,
  digest: { algo: 'sha256', hex: SHA },
  md5: MD5,
  installedSize: 7175,
  depends: [
    { name: 'base-files', op: '>=', version: '2.1.12' },
    { name: 'debianutils', op: '>=', version: '5.6-0.1' },
    { anyOf: [{ name: 'libfoo1', op: '>=', version: '1.0' }, { name: 'libfoo2:any', op: undefined, version: undefined }] },
    { name: 'python3:any', op: undefined, version: undefined },
  ],
  preDepends: [
    { name: 'libc6', op: '>=', version: '2.36' },
    { name: 'libtinfo6', op: '>=', version: '6' },
  ],
  recommends: [{ name: 'bash-completion', op: '>=', version: '20060301-0' }],
  suggests: [{ name: 'bash-doc', op: undefined, version: undefined }],
  enhances: [{ name: 'zsh', op: undefined, version: undefined }],
  conflicts: [{ name: 'bash-completion', op: '<', version: '20060301-0' }],
  breaks: [{ name: 'old-bash', op: '<', version: '5' }],
  provides: [
    { name: 'sh', op: undefined, version: undefined },
    { name: 'shell', op: '=', version: '1:2.0' },
  ],
  replaces: [
    { name: 'bash-completion', op: '<', version: '20060301-0' },
    { name: 'bash-doc', op: '<=', version: '2.05-1' },
  ],
};

const MINIMAL_TEXT = `Package: zlib-doc
Version: 1:1.2.13.dfsg-1
Architecture: all
Filename: pool/main/z/zlib/zlib-doc_1.2.13.dfsg-1_all.deb
Size: 10
SHA256: ${SHA}
`;

const MINIMAL: DebPackageRecord = {
  kind: 'deb',
  name: 'zlib-doc',
  version: '1:1.2.13.dfsg-1',
  arch: 'all',
  essential: false,
  repoId: 'bookworm',
  location: 'pool/main/z/zlib/zlib-doc_1.2.13.dfsg-1_all.deb',
  size: 10,
  digest: { algo: 'sha256', hex: SHA },
  installedSize: 0,
  depends: [],
  preDepends: [],
  recommends: [],
  suggests: [],
  enhances: [],
  conflicts: [],
  breaks: [],
  provides: [],
  replaces: [],
};

const INDEX = `${FULL_TEXT}\n${MINIMAL_TEXT}`;

async function parse(input: string | (Uint8Array | string)[], file?: string): Promise<DebPackageRecord[]> {
  const out: DebPackageRecord[] = [];
  const parts = typeof input === 'string' ? [input] : input;
  for await (const r of parsePackages(streamOf(parts), file === undefined ? { repoId: 'bookworm' } : { repoId: 'bookworm', file })) out.push(r);
  return out;
}

describe('parsePackages', () => {
  it('reads every field, every relation form, and the defaults of a minimal paragraph', async () => {
    expect(await parse(INDEX)).toEqual([FULL, MINIMAL]);
  });

  it('leaves optional fields out rather than setting them to undefined', async () => {
    const [r] = await parse(MINIMAL_TEXT);
    expect(Object.keys(r ?? {}).sort()).toEqual(Object.keys(MINIMAL).sort());
  });

  it('reads a Source without a version, Multi-Arch values and field names in any case', async () => {
    const text = MINIMAL_TEXT.replace('Package:', 'package:').replace('SHA256:', 'sha256:').replace('Version:', 'Source: zlib\nMulti-Arch: same\nVERSION:');
    const [r] = await parse(text);
    expect(r).toMatchObject({ name: 'zlib-doc', source: { name: 'zlib' }, multiArch: 'same', digest: { hex: SHA } });
    expect(r?.source && 'version' in r.source).toBe(false);
  });

  it('gives the same records for every split of the bytes into two chunks, and for 1-byte chunks', async () => {
    const bytes = new TextEncoder().encode(INDEX);
    for (let i = 0; i <= bytes.length; i++) {
      expect(await parse([bytes.subarray(0, i), bytes.subarray(i)])).toEqual([FULL, MINIMAL]);
    }
    expect(await parse(splitUtf8(INDEX, 1))).toEqual([FULL, MINIMAL]);
  });

  it('gives the same records for random chunkings of bytes and of text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 30 }), fc.boolean(), async (sizes, asText) => {
        const parts: (Uint8Array | string)[] = [];
        const bytes = new TextEncoder().encode(INDEX);
        const length = asText ? INDEX.length : bytes.length;
        let at = 0;
        for (let i = 0; at < length; i++) {
          const n = sizes[i % sizes.length] ?? 1;
          parts.push(asText ? INDEX.slice(at, at + n) : bytes.subarray(at, at + n));
          at += n;
        }
        expect(await parse(parts)).toEqual([FULL, MINIMAL]);
      }),
      { numRuns: 60, examples: [[[1], false], [[1], true], [[7, 3], false]] },
    );
  });

  it('yields a record as soon as its paragraph ends, before the rest is read', async () => {
    let restRead = false;
    async function* input(): AsyncGenerator<string> {
      await Promise.resolve();
      yield `${FULL_TEXT}\n`;
      restRead = true;
      yield MINIMAL_TEXT;
    }
    const it = parsePackages(input(), { repoId: 'r' });
    expect((await it.next()).value).toMatchObject({ name: 'bash', repoId: 'r' });
    expect(restRead).toBe(false);
    expect((await it.next()).value).toMatchObject({ name: 'zlib-doc' });
    expect((await it.next()).done).toBe(true);
  });

  // The second paragraph of the index starts on this line; errors about it name it.
  const line2 = FULL_TEXT.split('\n').length + 1;
  const missing = ['Package', 'Version', 'Architecture', 'Filename', 'Size', 'SHA256'];
  for (const field of missing) {
    it(`rejects a paragraph without ${field}, naming the file, package, field and line`, async () => {
      const text = `${FULL_TEXT}\n${MINIMAL_TEXT.replace(new RegExp(`^${field}: .*\\n`, 'm'), '')}`;
      const err = await rejectionOf(parse(text, 'main/binary-amd64/Packages'), FormatError);
      expect(err.format).toBe('deb822');
      const who = field === 'Package' ? 'paragraph' : 'package "zlib-doc"';
      expect(err.message).toBe(`main/binary-amd64/Packages: deb822: line ${line2}: ${who}: missing ${field}`);
      expect(err.data).toMatchObject({ line: line2, field, file: 'main/binary-amd64/Packages' });
    });
  }

  it('treats an empty required field as missing', async () => {
    const err = await rejectionOf(parse(MINIMAL_TEXT.replace(/^Filename: .*$/m, 'Filename:'), 'P'), FormatError);
    expect(err.message).toBe('P: deb822: line 1: package "zlib-doc": missing Filename');
  });

  const broken: [string, string, string, RegExp][] = [
    ['a broken Depends', 'Depends: a (>= 1.0, b', 'Depends', /line 7: package "zlib-doc": Depends: version of a unterminated|line 7: package "zlib-doc": Depends: .*expected '\)'/],
    ['a bad version in a relation', 'Depends: a (>= 1:)', 'Depends', /line 7: package "zlib-doc": Depends: relation to a: .*nothing after colon/],
    ['alternatives in Conflicts', 'Conflicts: a | b', 'Conflicts', /line 7: package "zlib-doc": Conflicts: alternatives \('\|'\) are not allowed/],
    ['an arch list in Depends', 'Depends: a [amd64]', 'Depends', /line 7: package "zlib-doc": Depends: architecture list \[amd64\] on a is only allowed in source package fields/],
    ['a build profile in Recommends', 'Recommends: a <!nocheck>', 'Recommends', /Recommends: build profiles on a are only allowed in source package fields/],
    ['a non-= Provides', 'Provides: a (>= 1)', 'Provides', /line 7: package "zlib-doc": Provides: only '=' may version a Provides, found a \(>= 1\)/],
    ['a bad Version', 'Version: 1:', 'Version', /line 2: package "zlib-doc": Version: invalid version "1:": nothing after colon/],
    ['a bad Size', 'Size: 12k', 'Size', /line 5: package "zlib-doc": Size: expected a non-negative integer, found "12k"/],
    ['a bad Installed-Size', 'Installed-Size: -3', 'Installed-Size', /Installed-Size: expected a non-negative integer, found "-3"/],
    ['a short SHA256', `SHA256: ${SHA.slice(1)}`, 'SHA256', /line 6: package "zlib-doc": SHA256: expected 64 hex digits/],
    ['a bad MD5sum', `MD5sum: ${'x'.repeat(32)}`, 'MD5sum', /MD5sum: expected 32 hex digits/],
    ['a bad Multi-Arch', 'Multi-Arch: sometimes', 'Multi-Arch', /Multi-Arch: expected same, foreign, allowed or no, found "sometimes"/],
    ['a bad Essential', 'Essential: maybe', 'Essential', /Essential: expected 'yes' or 'no', found "maybe"/],
    ['a bad Source', 'Source: a (1.0', 'Source', /Source: expected 'name' or 'name \(version\)'/],
    ['a bad Source version', 'Source: a (1:)', 'Source', /Source: invalid version "1:"/],
    ['two architectures', 'Architecture: amd64 i386', 'Architecture', /Architecture: expected one architecture/],
  ];
  for (const [what, line, field, msg] of broken) {
    it(`rejects ${what}, naming the file, package, field and line`, async () => {
      // Replace the field if the paragraph has it (then its line is kept), else add it at the end.
      const name = line.slice(0, line.indexOf(':'));
      const re = new RegExp(`^${name}: .*$`, 'm');
      const text = re.test(MINIMAL_TEXT) ? MINIMAL_TEXT.replace(re, line) : `${MINIMAL_TEXT}${line}\n`;
      const err = await rejectionOf(parse(text, 'Packages'), FormatError);
      expect(err.format).toBe('deb822');
      expect(err.message).toMatch(/^Packages: deb822: line \d+: package "zlib-doc": /);
      expect(err.message).toMatch(msg);
      expect(err.data).toMatchObject({ package: 'zlib-doc', field });
    });
  }

  it('rejects a bad package name and passes deb822 syntax errors through with their line', async () => {
    const bad = await rejectionOf(parse(MINIMAL_TEXT.replace('zlib-doc', '-zlib'), 'P'), FormatError);
    expect(bad.message).toBe('P: deb822: line 1: package "-zlib": Package: invalid package name "-zlib"');
    const syntax = await rejectionOf(parse(`${MINIMAL_TEXT}\n${MINIMAL_TEXT.replace('Size: 10', 'Size 10')}`, 'P'), FormatError);
    expect(syntax.message).toBe('P: deb822: line 12: expected \'Field: value\', found "Size 10"');
  });
});
