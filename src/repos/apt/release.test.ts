import { describe, expect, it } from 'vitest';
import { FormatError } from '../../core/index.js';
import { thrownBy } from '../../../test/helpers/errors.js';
import { parseRelease, type Release } from '../index.js';

const MD5_A = 'a'.repeat(32);
const SHA_A = 'b'.repeat(64);
const SHA_B = 'C'.repeat(64);
const SHA512_A = 'd'.repeat(128);

// Shaped like bookworm's (depsolve.md §4.6), with the optional fields of other suites added.
const RELEASE = `Origin: Debian
Label: Debian
Suite: oldstable
Version: 12.15
Codename: bookworm
Changelogs: https://metadata.ftp-master.debian.org/changelogs/@CHANGEPATH@_changelog
Date: Sat, 11 Jul 2026 10:16:37 UTC
Valid-Until: Sat, 18 Jul 2026 10:16:37 UTC
Acquire-By-Hash: yes
NotAutomatic: yes
ButAutomaticUpgrades: yes
No-Support-for-Architecture-all: Packages
Architectures: all amd64 arm64
Components: main contrib non-free-firmware
Description: Debian 12.15 Released 11 July 2026
MD5Sum:
 ${MD5_A}  1484322 contrib/Contents-all
 ${MD5_A}    98581 main/binary-amd64/Packages
SHA1:
 ${'e'.repeat(40)}  1484322 contrib/Contents-all
SHA256:
 ${SHA_A}  1484322 contrib/Contents-all
 ${SHA_B} 50060337 main/binary-amd64/Packages.xz
 ${SHA_A}    98581 main/binary-amd64/Packages
SHA512:
 ${SHA512_A} 98581 main/binary-amd64/Packages
`;

const EXPECTED: Release = {
  origin: 'Debian',
  label: 'Debian',
  suite: 'oldstable',
  version: '12.15',
  codename: 'bookworm',
  date: Date.UTC(2026, 6, 11, 10, 16, 37) / 1000,
  validUntil: Date.UTC(2026, 6, 18, 10, 16, 37) / 1000,
  acquireByHash: true,
  notAutomatic: true,
  butAutomaticUpgrades: true,
  noSupportForArchitectureAll: 'Packages',
  architectures: ['all', 'amd64', 'arm64'],
  components: ['main', 'contrib', 'non-free-firmware'],
  files: new Map([
    ['contrib/Contents-all', { size: 1484322, md5: MD5_A, sha256: SHA_A }],
    ['main/binary-amd64/Packages', { size: 98581, md5: MD5_A, sha256: SHA_A, sha512: SHA512_A }],
    ['main/binary-amd64/Packages.xz', { size: 50060337, sha256: SHA_B.toLowerCase() }],
  ]),
};

/** OpenPGP cleartext framing (RFC 4880 §7) around `text`, dash-escaping lines that start with '-'. */
function clearsign(text: string, opts: { hashes?: string[]; trailer?: string; escapeAll?: boolean } = {}): string {
  const body = text.replace(/\n$/, '').split('\n').map((l) => (l.startsWith('-') || opts.escapeAll === true ? `- ${l}` : l)).join('\n');
  const hashes = (opts.hashes ?? ['SHA256']).map((h) => `Hash: ${h}\n`).join('');
  return `-----BEGIN PGP SIGNED MESSAGE-----\n${hashes}\n${body}\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n${opts.trailer ?? ''}`;
}

const errorOf = (text: string, file = 'dists/x/Release'): FormatError => thrownBy(() => parseRelease(text, { file }), FormatError);

describe('parseRelease', () => {
  it('reads every field and merges the hash lists per path (SHA1 ignored, hex lowercased)', () => {
    const r = parseRelease(RELEASE, { file: 'Release' });
    expect(r).toEqual(EXPECTED);
    expect('signedText' in r).toBe(false);
  });

  it('defaults: no flags, no lists, no optional fields', () => {
    expect(parseRelease('Suite: sid\n', {})).toEqual({ suite: 'sid', architectures: [], components: [], acquireByHash: false, notAutomatic: false, butAutomaticUpgrades: false, files: new Map() });
    expect(parseRelease('Acquire-By-Hash: no\nNotAutomatic: false\n', {})).toMatchObject({ acquireByHash: false, notAutomatic: false });
  });

  it('reads field names case-insensitively, CRLF line ends and a BOM', () => {
    const r = parseRelease(`\ufeff${RELEASE.replace('Codename:', 'codename:').replace('SHA256:', 'sha256:').replaceAll('\n', '\r\n')}`, {});
    expect(r).toEqual(EXPECTED);
  });

  it('accepts numeric zones, GMT and a missing weekday or seconds in dates', () => {
    const at = (d: string): number | undefined => parseRelease(`Date: ${d}\n`, {}).date;
    const t = Date.UTC(2026, 6, 11, 10, 16, 37) / 1000;
    expect(at('11 Jul 2026 10:16:37 GMT')).toBe(t);
    expect(at('Sat, 11 Jul 2026 12:16:37 +0200')).toBe(t);
    expect(at('Sat, 11 Jul 2026 05:46:37 -0430')).toBe(t);
    expect(at('Sat,  1 Feb 2025 00:00 Z')).toBe(Date.UTC(2025, 1, 1) / 1000);
  });

  for (const bad of ['yesterday', '2026-07-11T10:16:37Z', 'Sat, 31 Feb 2026 10:16:37 UTC', 'Sat, 11 Jul 2026 24:00:00 UTC', 'Sat, 11 Foo 2026 10:16:37 UTC', 'Sat, 11 Jul 2026 10:16:37 CEST']) {
    it(`rejects the date ${JSON.stringify(bad)} naming the field and line`, () => {
      const err = errorOf(`Suite: x\nValid-Until: ${bad}\n`);
      expect(err.message).toBe(`dists/x/Release: deb822: line 2: Valid-Until: ${JSON.stringify(bad)} is not an RFC 2822 date (e.g. 'Sat, 11 Jul 2026 10:16:37 UTC')`);
    });
  }

  const badLists: [string, string, RegExp][] = [
    ['a short digest', `SHA256:\n ${SHA_A}  1 a\n abcd 12 main/x\n`, /line 4: SHA256: expected '<64 hex digits> <size> <path>', found "abcd 12 main\/x"/],
    ['a missing path', `MD5Sum:\n ${MD5_A} 12\n`, /line 3: MD5Sum: expected '<32 hex digits> <size> <path>'/],
    ['an extra word', `SHA256:\n ${SHA_A} 12 a b\n`, /line 3: SHA256: expected/],
    ['a bad size', `SHA256:\n ${SHA_A} -1 a\n`, /line 3: SHA256: expected/],
    ['a non-hex digest', `SHA512:\n ${'g'.repeat(128)} 1 a\n`, /line 3: SHA512: expected '<128 hex digits>/],
    ['sizes that disagree', `MD5Sum:\n ${MD5_A} 1 a\nSHA256:\n ${SHA_A} 2 a\n`, /line 5: SHA256: a has size 2 here but 1 in an earlier hash list/],
    ['a path listed twice', `SHA256:\n ${SHA_A} 1 a\n ${SHA_A} 1 a\n`, /line 4: SHA256: a is listed twice/],
  ];
  for (const [what, text, msg] of badLists) {
    it(`rejects a hash list with ${what}, naming the line`, () => {
      const err = errorOf(`Origin: X\n${text}`);
      expect(err.format).toBe('deb822');
      expect(err.message).toMatch(/^dists\/x\/Release: deb822: line \d+: /);
      expect(err.message).toMatch(msg);
    });
  }

  it('rejects bad booleans, an empty file, a second paragraph and a broken line', () => {
    expect(errorOf('Suite: x\nAcquire-By-Hash: maybe\n').message).toBe(`dists/x/Release: deb822: line 2: Acquire-By-Hash: expected 'yes' or 'no', found "maybe"`);
    expect(errorOf('').message).toMatch(/line 1: no Release paragraph/);
    expect(errorOf('Suite: x\n\nSuite: y\n').message).toMatch(/line 3: a Release file has one paragraph/);
    expect(errorOf('Suite: x\nnot a field\n').message).toMatch(/line 2: expected 'Field: value'/);
  });
});

describe('parseRelease on an InRelease (cleartext-signed)', () => {
  it('strips the framing and exposes the signed text', () => {
    const r = parseRelease(clearsign(RELEASE, { hashes: ['SHA256', 'SHA512'] }), { file: 'InRelease' });
    const { signedText, ...rest } = r;
    expect(rest).toEqual(EXPECTED);
    expect(signedText).toBe(RELEASE.replace(/\n$/, ''));
  });

  it('undoes dash-escapes, which RFC 4880 §7.1 allows on any line', () => {
    const signed = clearsign(RELEASE, { escapeAll: true });
    expect(signed).toContain('\n- Origin: Debian\n- Label: Debian\n');
    const { signedText, ...rest } = parseRelease(signed, {});
    expect(rest).toEqual(EXPECTED);
    expect(signedText).toBe(RELEASE.replace(/\n$/, ''));
  });

  it('hands a line that was escaped because it starts with "-" to deb822, which rejects it', () => {
    const signed = clearsign('Suite: x\n-Bad: y\n');
    expect(signed).toContain('\n- -Bad: y\n');
    const err = errorOf(signed, 'InRelease');
    expect(err.message).toMatch(/^InRelease: deb822: line 5: field name "-Bad" starts with '-'/);
  });

  it('keeps the line numbers of the InRelease in errors', () => {
    const signed = clearsign(`Suite: x\nSHA256:\n ${SHA_A} 1 a\n zz 1 b\n`, { hashes: ['SHA256', 'SHA1'] });
    // BEGIN, two Hash: lines, blank, Suite (5), SHA256 (6), first entry (7), bad entry (8).
    expect(errorOf(signed, 'InRelease').message).toMatch(/^InRelease: deb822: line 8: SHA256: expected/);
  });

  it('reads CRLF framing and allows blank lines after the signature', () => {
    const r = parseRelease(clearsign('Suite: x\n', { trailer: '\n\n' }).replaceAll('\n', '\r\n'), {});
    expect(r).toMatchObject({ suite: 'x', signedText: 'Suite: x' });
  });

  const broken: [string, string, RegExp][] = [
    ['a foreign armor header', clearsign('Suite: x\n').replace('Hash: SHA256', 'Comment: hi'), /line 2: expected a 'Hash:' armor header or a blank line/],
    ['no blank line after the headers', '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256', /cleartext-signed message without a blank line/],
    ['no signature', clearsign('Suite: x\n').replace(/-----BEGIN PGP SIGNATURE-----[^]*$/, ''), /without a signature \(no -----BEGIN PGP SIGNATURE----- line\)/],
    ['an unterminated signature', clearsign('Suite: x\n').replace('-----END PGP SIGNATURE-----\n', ''), /signature block not terminated/],
    ['data after the signature', clearsign('Suite: x\n', { trailer: 'Suite: evil\n' }), /line 10: content after the signature block/],
  ];
  for (const [what, text, msg] of broken) {
    it(`rejects ${what}`, () => {
      const err = errorOf(text, 'InRelease');
      expect(err.format).toBe('deb822');
      expect(err.message).toMatch(/^InRelease: deb822: line \d+: /);
      expect(err.message).toMatch(msg);
    });
  }
});
