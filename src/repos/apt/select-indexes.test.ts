import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, NotFoundError } from '../../core/index.js';
import { thrownBy } from '../../../test/helpers/errors.js';
import { APT_INDEX, requireAptIndex } from '../../../test/helpers/signed-repos.js';
import { parseRelease } from './release.js';
import { selectAptIndexes } from './select-indexes.js';

const H = (c: string): string => c.repeat(64);

function release(extra: string, hashes: string): ReturnType<typeof parseRelease> {
  return parseRelease(`Suite: testing\nArchitectures: all amd64 arm64\nComponents: main contrib\n${extra}SHA256:\n${hashes}`);
}

describe('selectAptIndexes', () => {
  it('picks bookworm main amd64 from the real InRelease: plain first for file://, gz first for http, by-hash before each', () => {
    requireAptIndex();
    const rel = parseRelease(readFileSync(path.join(APT_INDEX, 'dists/bookworm/InRelease'), 'utf8'));
    const local = selectAptIndexes(rel, { releaseFile: 'dists/bookworm/InRelease', components: ['main'], arch: 'amd64', local: true });
    // No-Support-for-Architecture-all: Packages => binary-all is not fetched.
    expect(local.targets.map((t) => t.name)).toEqual(['main/binary-amd64/Packages']);
    const t = local.targets[0];
    // The plain Packages' SHA256 as the signed InRelease lists it.
    expect(t?.contentDigest).toBe('sha256:515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f');
    expect(t?.attempts.map((a) => [a.path.replace(/[0-9a-f]{64}$/, 'HEX'), a.compression, a.byHash])).toEqual([
      ['main/binary-amd64/by-hash/SHA256/HEX', 'none', true],
      ['main/binary-amd64/Packages', 'none', false],
      ['main/binary-amd64/by-hash/SHA256/HEX', 'gzip', true],
      ['main/binary-amd64/Packages.gz', 'gzip', false],
      ['main/binary-amd64/by-hash/SHA256/HEX', 'xz', true],
      ['main/binary-amd64/Packages.xz', 'xz', false],
    ]);
    expect(t?.attempts[1]).toMatchObject({ size: 50060337, algo: 'sha256', listed: 'main/binary-amd64/Packages' });
    expect(t?.attempts[0]?.hex).toBe(t?.contentDigest.slice('sha256:'.length));
    const remote = selectAptIndexes(rel, { releaseFile: 'dists/bookworm/InRelease', components: ['main'], arch: 'amd64', local: false });
    expect(remote.targets[0]?.attempts.filter((a) => !a.byHash).map((a) => a.listed)).toEqual(['main/binary-amd64/Packages.gz', 'main/binary-amd64/Packages.xz', 'main/binary-amd64/Packages']);
    // The content digest does not depend on the variant order.
    expect(remote.targets[0]?.contentDigest).toBe(t?.contentDigest);
  });

  it('adds foreign archs and binary-all when the Release has them, in config order', () => {
    const rel = release('', ` ${H('a')} 10 main/binary-amd64/Packages\n ${H('b')} 11 main/binary-arm64/Packages.xz\n ${H('c')} 12 main/binary-all/Packages\n ${H('d')} 13 contrib/binary-amd64/Packages.gz\n`);
    const sel = selectAptIndexes(rel, { releaseFile: 'R', components: ['main', 'contrib'], arch: 'amd64', foreignArchs: ['arm64', 'i386', 'amd64'], local: false });
    expect(sel.targets.map((t) => t.name)).toEqual(['main/binary-amd64/Packages', 'main/binary-arm64/Packages', 'main/binary-all/Packages', 'contrib/binary-amd64/Packages']);
    expect(sel.targets[1]?.contentDigest).toBe(`sha256:${H('b')}`);
    // Foreign indexes the repo lacks are skipped with a reason, as apt skips them.
    expect(sel.skipped).toEqual([
      { name: 'main/binary-i386/Packages', reason: 'R does not list main/binary-i386/Packages' },
      { name: 'contrib/binary-arm64/Packages', reason: 'R does not list contrib/binary-arm64/Packages' },
      { name: 'contrib/binary-i386/Packages', reason: 'R does not list contrib/binary-i386/Packages' },
    ]);
    // No Acquire-By-Hash: no by-hash attempts.
    expect(sel.targets.flatMap((t) => t.attempts).some((a) => a.byHash)).toBe(false);
  });

  it('leaves binary-all out when the Release says No-Support-for-Architecture-all: Packages', () => {
    const rel = release('No-Support-for-Architecture-all: Packages\n', ` ${H('a')} 10 main/binary-amd64/Packages\n ${H('c')} 12 main/binary-all/Packages\n`);
    expect(selectAptIndexes(rel, { releaseFile: 'R', components: ['main'], arch: 'amd64', local: true }).targets.map((t) => t.name)).toEqual(['main/binary-amd64/Packages']);
  });

  it('uses the strongest digest, and refuses MD5-only entries', () => {
    const both = parseRelease(`Suite: s\nSHA256:\n ${H('a')} 10 main/binary-amd64/Packages\nSHA512:\n ${'e'.repeat(128)} 10 main/binary-amd64/Packages\n`);
    const a = selectAptIndexes(both, { releaseFile: 'R', components: ['main'], arch: 'amd64', local: true }).targets[0]?.attempts[0];
    expect(a).toMatchObject({ algo: 'sha512', hex: 'e'.repeat(128) });
    const md5 = parseRelease(`Suite: s\nMD5Sum:\n ${'1'.repeat(32)} 10 main/binary-amd64/Packages\n`);
    const err = thrownBy(() => selectAptIndexes(md5, { releaseFile: 'dists/s/InRelease', components: ['main'], arch: 'amd64', local: true }), FormatError);
    expect(err.message).toBe('dists/s/InRelease: deb822: main/binary-amd64/Packages is listed without a SHA256 or SHA512 digest (apt refuses MD5-only indexes)');
  });

  it('names the missing native index, the components and archs the Release has', () => {
    const rel = release('', ` ${H('a')} 10 main/binary-amd64/Packages\n`);
    const err = thrownBy(() => selectAptIndexes(rel, { releaseFile: 'dists/testing/InRelease', components: ['non-free'], arch: 'amd64', local: true }), NotFoundError);
    expect(err.message).toBe('non-free/binary-amd64/Packages in dists/testing/InRelease (components: main contrib; architectures: all amd64 arm64): not found');
  });

  it('skips variants it has no decoder for (lz4)', () => {
    const rel = release('', ` ${H('a')} 10 main/binary-amd64/Packages.lz4\n ${H('b')} 10 main/binary-amd64/Packages.bz2\n`);
    expect(selectAptIndexes(rel, { releaseFile: 'R', components: ['main'], arch: 'amd64', local: true }).targets[0]?.attempts.map((a) => a.listed)).toEqual(['main/binary-amd64/Packages.bz2']);
  });
});
