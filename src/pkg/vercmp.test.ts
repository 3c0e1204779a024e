import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { compareDebianVersions, compareRpmVersions, parseDebianVersion, parseRpmDep, parseRpmEvr, parseRpmNevra, rpmDepOverlaps, rpmvercmp } from './index.js';
import { SHARED_DOCS } from '../../test/helpers/paths.js';

// Every vector of depsolve-vectors.tsv (verified with rpm 4.18 and dpkg 1.21.23).
const vectors = readFileSync(`${SHARED_DOCS}/depsolve-vectors.tsv`, 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split('\t'));

describe('depsolve-vectors.tsv', () => {
  it('has the documented number of version vectors', () => {
    expect(vectors.filter((v) => v[0] === 'rpm-evr')).toHaveLength(62);
    expect(vectors.filter((v) => v[0] === 'deb')).toHaveLength(52);
    expect(vectors.filter((v) => v[0] === 'rpm-match')).toHaveLength(20);
    expect(vectors.filter((v) => !['rpm-evr', 'deb', 'rpm-match'].includes(v[0] ?? ''))).toEqual([]);
  });
  for (const [kind, a = '', b = '', expected] of vectors) {
    if (kind === 'rpm-evr') {
      it(`rpm ${a} vs ${b} = ${expected}`, () => {
        expect(compareRpmVersions(a, b)).toBe(Number(expected));
        expect(compareRpmVersions(b, a)).toBe(-Number(expected) || 0);
      });
    } else if (kind === 'rpm-match') {
      it(`rpm provide "${a}" satisfies require "${b}": ${expected}`, () => {
        const provide = parseRpmDep(a.replace(/^P: /, ''));
        const require = parseRpmDep(b.replace(/^R: /, ''));
        expect(rpmDepOverlaps(provide, require)).toBe(expected === '1');
      });
    } else if (kind === 'deb') {
      it(`deb ${a} vs ${b} = ${expected}`, () => {
        expect(compareDebianVersions(a, b)).toBe(Number(expected));
        expect(compareDebianVersions(b, a)).toBe(-Number(expected) || 0);
      });
    }
  }
});

describe('parsers', () => {
  it('splits RPM EVRs at the last dash and treats an empty release as none', () => {
    expect(parseRpmEvr('1.0-1-2')).toEqual({ epoch: undefined, version: '1.0-1', release: '2' });
    expect(parseRpmEvr(':1.0')).toEqual({ epoch: 0, version: '1.0', release: undefined });
    expect(parseRpmEvr('2:1.0-')).toEqual({ epoch: 2, version: '1.0', release: undefined });
  });
  it.each(['', 'x:1.0', '1.0 2', '1:', '1:2:3', '-1', 'a\tb'])('rejects RPM EVR %j', (s) => {
    expect(() => parseRpmEvr(s)).toThrow(FormatError);
  });
  it('parses NEVRAs with dashes in the name', () => {
    expect(parseRpmNevra('demo-app-libs-1:2.0-3.fc40.x86_64.rpm')).toEqual({ name: 'demo-app-libs', epoch: 1, version: '2.0', release: '3.fc40', arch: 'x86_64' });
    expect(parseRpmNevra('bash-5.2.26-3.fc40.noarch')).toMatchObject({ name: 'bash', version: '5.2.26', release: '3.fc40' });
  });
  it.each(['bash', 'bash-5.2', 'bash-5.2-1', 'bash-5.2-.x86_64', '-5.2-1.x86_64'])('rejects NEVRA %j', (s) => {
    expect(() => parseRpmNevra(s)).toThrow(FormatError);
  });
  it('parses Debian versions as dpkg does', () => {
    expect(parseDebianVersion(' 1:2.30-1 ')).toEqual({ epoch: 1, upstream: '2.30', revision: '1' });
    expect(parseDebianVersion('1.2-3-4')).toEqual({ epoch: 0, upstream: '1.2-3', revision: '4' });
    // dpkg only warns about these.
    expect(parseDebianVersion('a1.0').upstream).toBe('a1.0');
    expect(parseDebianVersion('1.0_1').upstream).toBe('1.0_1');
  });
  // depsolve.md §1.7: the inputs dpkg rejects with exit 2.
  it.each(['', '1.0-', '1:', 'x:1.0', '1.0 2', '99999999999:1'])('rejects Debian version %j', (s) => {
    expect(() => parseDebianVersion(s)).toThrow(FormatError);
  });
  it('compares raw rpmvercmp segments', () => {
    expect(rpmvercmp('1.0~rc1', '1.0')).toBe(-1);
    expect(rpmvercmp('1.0-1', '1.0.1')).toBe(0); // '-' is just a separator at this level
  });
});
