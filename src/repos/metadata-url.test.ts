import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { compressionOfBytes, compressionOfName, describeHead, joinUrl, locationUrl, urlScheme } from './metadata-url.js';

describe('metadata URLs', () => {
  it('joins a base and a relative path, with or without a trailing slash', () => {
    expect(joinUrl('http://h/debian', 'dists/bookworm/InRelease')).toBe('http://h/debian/dists/bookworm/InRelease');
    expect(joinUrl('http://h/debian/', 'dists/bookworm/InRelease')).toBe('http://h/debian/dists/bookworm/InRelease');
    expect(joinUrl('file:///srv/repo', '/repodata/repomd.xml')).toBe('file:///srv/repo/repodata/repomd.xml');
  });

  it('percent-encodes what would change a URL, and nothing a mirror path normally has', () => {
    expect(joinUrl('http://h', 'pool/main/a/a+b/a+b_1.0~rc1_amd64.deb')).toBe('http://h/pool/main/a/a+b/a+b_1.0~rc1_amd64.deb');
    expect(joinUrl('http://h', 'x/odd name#1?%.rpm')).toBe('http://h/x/odd%20name%231%3F%25.rpm');
  });

  it('round-trips any file name through URL parsing', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..' && !s.includes('\\')), (name) => {
        const u = new URL(joinUrl('http://h/base', `dir/${name}`));
        expect(decodeURIComponent(u.pathname)).toBe(`/base/dir/${name}`);
      }),
    );
  });

  it('resolves rpm-md locations against xml:base when given (depsolve.md §4.1)', () => {
    expect(locationUrl('file:///r', 'repodata/x-primary.xml.gz')).toBe('file:///r/repodata/x-primary.xml.gz');
    expect(locationUrl('file:///r', 'repodata/x-primary.xml.gz', 'http://mirror/other/')).toBe('http://mirror/other/repodata/x-primary.xml.gz');
    expect(locationUrl('file:///r', 'https://cdn/x.xml.gz')).toBe('https://cdn/x.xml.gz');
  });

  it('accepts file and http(s) URLs only', () => {
    expect(urlScheme('file:///x', 'r')).toBe('file');
    expect(urlScheme('https://x/y', 'r')).toBe('http');
    expect(thrownBy(() => urlScheme('ftp://x/y', 'myrepo'), UsageError).message).toMatch(/repo myrepo: unsupported URL "ftp:\/\/x\/y"/);
  });

  it('tells compressions by name and by magic (depsolve.md §4.4)', () => {
    expect(['a.gz', 'a.xz', 'a.zst', 'a.bz2', 'Packages', 'primary.xml'].map(compressionOfName)).toEqual(['gzip', 'xz', 'zstd', 'bzip2', 'none', 'none']);
    expect(compressionOfBytes(Uint8Array.of(0x1f, 0x8b, 8))).toBe('gzip');
    expect(compressionOfBytes(Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00))).toBe('xz');
    expect(compressionOfBytes(Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a))).toBe('none');
    expect(compressionOfBytes(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd))).toBe('zstd');
    expect(compressionOfBytes(new TextEncoder().encode('BZh91AY'))).toBe('bzip2');
    expect(compressionOfBytes(new TextEncoder().encode('Package: a'))).toBe('none');
    expect(describeHead(new TextEncoder().encode('Package: a'))).toBe('bytes 50 61 63 6b 61 67');
    expect(describeHead(Uint8Array.of(0x1f, 0x8b))).toBe('gzip data');
  });
});
