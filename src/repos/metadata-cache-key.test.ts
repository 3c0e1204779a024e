import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aptPlanCacheName, fileProvidersCacheName, indexCacheName, rawFileCacheName, rpmmdPlanCacheName, sha256Hex, verifiedMarkerName } from './metadata-cache-key.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('metadata cache names', () => {
  it('name an index by kind, repo and content digest, and nothing else', () => {
    const a = indexCacheName('deb', 'bookworm', 'sha256:aa');
    expect(a).toMatch(/^index\/[0-9a-f]{64}\.idx$/);
    expect(indexCacheName('deb', 'bookworm', 'sha256:aa')).toBe(a);
    expect(new Set([a, indexCacheName('rpm', 'bookworm', 'sha256:aa'), indexCacheName('deb', 'other', 'sha256:aa'), indexCacheName('deb', 'bookworm', 'sha256:ab')]).size).toBe(4);
  });

  it('keep part boundaries: moving bytes between signed parts and keyring changes the marker', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (x, y, z) => {
        fc.pre(y !== '' || z !== '');
        // [x][y+z] vs [x+y][z]: same concatenation, different files.
        const one = verifiedMarkerName([bytes(x)], bytes(y + z));
        const two = verifiedMarkerName([bytes(x + y)], bytes(z));
        if (y !== '') expect(one).not.toBe(two);
        expect(verifiedMarkerName([bytes(x), bytes(y)], bytes(z))).not.toBe(verifiedMarkerName([bytes(x)], bytes(y + z)));
      }),
    );
    expect(verifiedMarkerName([bytes('a')], bytes('k'))).toMatch(/^verified\/[0-9a-f]{64}$/);
  });

  it('name file-provider answers independently of the order of the paths', () => {
    expect(fileProvidersCacheName('r', 'd', ['/b', '/a'])).toBe(fileProvidersCacheName('r', 'd', ['/a', '/b']));
    expect(fileProvidersCacheName('r', 'd', ['/a'])).not.toBe(fileProvidersCacheName('r', 'd', ['/a', '/b']));
    expect(fileProvidersCacheName('r', 'd', ['/a'])).not.toBe(fileProvidersCacheName('r', 'e', ['/a']));
  });

  it('name raw files by digest and compression', () => {
    expect(rawFileCacheName('sha256', 'ab', 'gzip')).toBe('files/sha256-ab.gzip');
    expect(sha256Hex(bytes('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('name plans by the metadata bytes and every setting that changes them', () => {
    const rel = bytes('Suite: x\n');
    const base = { components: ['main'], arch: 'amd64', foreignArchs: [] as string[], local: true };
    const a = aptPlanCacheName(rel, 'dists/x/InRelease', base);
    expect(a).toMatch(/^apt-plan\/[0-9a-f]{64}\.json$/);
    const variants = [
      aptPlanCacheName(bytes('Suite: y\n'), 'dists/x/InRelease', base),
      aptPlanCacheName(rel, 'dists/x/Release', base),
      aptPlanCacheName(rel, 'dists/x/InRelease', { ...base, components: ['main', 'contrib'] }),
      aptPlanCacheName(rel, 'dists/x/InRelease', { ...base, arch: 'arm64' }),
      aptPlanCacheName(rel, 'dists/x/InRelease', { ...base, foreignArchs: ['i386'] }),
      aptPlanCacheName(rel, 'dists/x/InRelease', { ...base, local: false }),
    ];
    expect(new Set([a, ...variants]).size).toBe(7);
    expect(rpmmdPlanCacheName(rel, 'file:///a')).not.toBe(rpmmdPlanCacheName(rel, 'file:///b'));
    expect(rpmmdPlanCacheName(rel, 'file:///a')).toMatch(/^rpmmd-plan\/[0-9a-f]{64}\.json$/);
  });
});
