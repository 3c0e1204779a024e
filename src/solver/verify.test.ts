// The independent checker must be right on its own: the solver's property tests trust it.
import { describe, expect, it } from 'vitest';
import type { PackageRecord } from '../pkg/index.js';
import { verifySolution, type Violation } from './index.js';
import { deb, rpm } from '../../test/helpers/memory-source.js';

const rpmCheck = (set: PackageRecord[], opts: Omit<Parameters<typeof verifySolution>[1], 'arch'> = {}): Violation[] => verifySolution(set, { arch: 'x86_64', ...opts });
const debCheck = (set: PackageRecord[], requested?: string[]): Violation[] => verifySolution(set, { arch: 'amd64', ...(requested === undefined ? {} : { requested }) });
const kinds = (v: Violation[]): string[] => v.map((x) => `${x.kind} ${x.package}`).sort();

describe('verifySolution: rpm', () => {
  it('accepts the empty set and a set whose requires are provided', () => {
    expect(rpmCheck([])).toEqual([]);
    expect(rpmCheck([rpm({ name: 'foo', requires: ['bar >= 2.0', 'virt'] }), rpm({ name: 'bar', evr: '2.0-1' }), rpm({ name: 'p', provides: ['virt = 1'] })])).toEqual([]);
  });

  it('reports a requires nothing in the set provides', () => {
    expect(rpmCheck([rpm({ name: 'foo', requires: ['bar >= 2.0'] }), rpm({ name: 'bar', evr: '1.5-1' })])).toEqual([{ package: 'foo-1.0-1.noarch', kind: 'requires', detail: 'bar' }]);
    expect(kinds(rpmCheck([rpm({ name: 'foo', evr: '1:2.0-3', arch: 'x86_64', requires: ['gone'] })]))).toEqual(['requires foo-1:2.0-3.x86_64']);
  });

  it('ignores rpmlib() requires', () => {
    expect(rpmCheck([rpm({ name: 'foo', requires: ['rpmlib(RichDependencies) <= 4.12.0-1'] })])).toEqual([]);
  });

  it('reads a package without a self-provide as providing N = EVR (libsolv)', () => {
    const lib = (evr: string): PackageRecord => {
      const r = rpm({ name: 'lib', evr });
      r.provides = [];
      return r;
    };
    expect(rpmCheck([rpm({ name: 'r', requires: ['lib >= 2'] }), lib('2.0-1')])).toEqual([]);
    expect(kinds(rpmCheck([rpm({ name: 'r', requires: ['lib >= 2'] }), lib('1.0-1')]))).toEqual(['requires r-1.0-1.noarch']);
  });

  it('satisfies a file requires from the primary files or from the filelists owners', () => {
    const baz = rpm({ name: 'baz', files: ['/usr/bin/baz'] });
    expect(rpmCheck([rpm({ name: 'foo', requires: ['/usr/bin/baz'] }), baz])).toEqual([]);
    const data = rpm({ name: 'data' });
    const foo = rpm({ name: 'foo', requires: ['/usr/share/data/x'] });
    expect(kinds(rpmCheck([foo, data]))).toEqual(['requires foo-1.0-1.noarch']);
    expect(rpmCheck([foo, data], { fileOwners: new Map([['/usr/share/data/x', [data]]]) })).toEqual([]);
  });

  it('evaluates rich requires over the whole set (§2.3)', () => {
    const a = rpm({ name: 'a' });
    const b = rpm({ name: 'b' });
    const both = rpm({ name: 'both', provides: ['x', 'y'] });
    const onlyX = rpm({ name: 'only-x', provides: ['x'] });
    const onlyY = rpm({ name: 'only-y', provides: ['y'] });
    const r = (dep: string): PackageRecord => rpm({ name: 'r', requires: [dep] });
    expect(rpmCheck([r('(a or b)'), b])).toEqual([]);
    expect(kinds(rpmCheck([r('(a and b)'), b]))).toEqual(['requires r-1.0-1.noarch']);
    expect(rpmCheck([r('(a if b)')])).toEqual([]);
    expect(kinds(rpmCheck([r('(a if b)'), b]))).toEqual(['requires r-1.0-1.noarch']);
    expect(rpmCheck([r('(a if b)'), a, b])).toEqual([]);
    expect(rpmCheck([r('(a if b else c)'), rpm({ name: 'c' })])).toEqual([]);
    expect(kinds(rpmCheck([r('(a if b else c)')]))).toEqual(['requires r-1.0-1.noarch']);
    expect(rpmCheck([r('(a unless b)'), b])).toEqual([]);
    expect(kinds(rpmCheck([r('(a unless b)')]))).toEqual(['requires r-1.0-1.noarch']);
    expect(rpmCheck([r('(x with y)'), both])).toEqual([]);
    expect(kinds(rpmCheck([r('(x with y)'), onlyX, onlyY]))).toEqual(['requires r-1.0-1.noarch']);
    expect(rpmCheck([r('(x without y)'), onlyX])).toEqual([]);
    expect(kinds(rpmCheck([r('(x without y)'), both]))).toEqual(['requires r-1.0-1.noarch']);
  });

  it('reports a conflict with another package, never with the package itself', () => {
    expect(kinds(rpmCheck([rpm({ name: 'ca', conflicts: ['cb'] }), rpm({ name: 'cb' })]))).toEqual(['conflicts ca-1.0-1.noarch']);
    expect(rpmCheck([rpm({ name: 'ca', conflicts: ['cb < 1'] }), rpm({ name: 'cb' })])).toEqual([]);
    expect(rpmCheck([rpm({ name: 'mta', provides: ['mta-virt'], conflicts: ['mta-virt'] })])).toEqual([]);
    expect(kinds(rpmCheck([rpm({ name: 'mta', provides: ['mta-virt'], conflicts: ['mta-virt'] }), rpm({ name: 'mta2', provides: ['mta-virt'] })]))).toEqual(['conflicts mta-1.0-1.noarch']);
  });

  it('reports obsoletes by name and version range, not by provides', () => {
    expect(rpmCheck([rpm({ name: 'oa', obsoletes: ['ob < 2'] }), rpm({ name: 'ob' })])).toEqual([{ package: 'oa-1.0-1.noarch', kind: 'obsoletes', detail: 'ob-1.0-1.noarch' }]);
    expect(rpmCheck([rpm({ name: 'oa', obsoletes: ['ob < 1'] }), rpm({ name: 'ob' })])).toEqual([]);
    expect(rpmCheck([rpm({ name: 'oa', obsoletes: ['virt'] }), rpm({ name: 'pv', provides: ['virt'] })])).toEqual([]);
  });

  it('allows one version per name and arch color, except installonly names', () => {
    const k = (evr: string, arch = 'x86_64'): PackageRecord => rpm({ name: 'kernel', evr, arch, provides: ['installonlypkg(kernel)'] });
    expect(kinds(rpmCheck([k('1.0-1'), k('2.0-1')]))).toEqual(['same-name kernel-1.0-1.x86_64', 'same-name kernel-2.0-1.x86_64']);
    expect(rpmCheck([k('1.0-1'), k('2.0-1')], { installonly: ['kernel'] })).toEqual([]);
    expect(rpmCheck([k('1.0-1'), k('2.0-1')], { installonly: ['installonlypkg(kernel)'] })).toEqual([]);
    // Multilib: x86_64 and i686 co-install; noarch shares a color with every arch.
    expect(rpmCheck([k('1.0-1', 'x86_64'), k('1.0-1', 'i686')])).toEqual([]);
    expect(kinds(rpmCheck([k('1.0-1', 'noarch'), k('1.0-1', 'i686')]))).toEqual(['same-name kernel-1.0-1.i686', 'same-name kernel-1.0-1.noarch']);
  });

  it('reports a requested name that is not installed', () => {
    expect(rpmCheck([rpm({ name: 'a' })], { requested: ['a', 'b'] })).toEqual([{ package: 'b', kind: 'job', detail: 'requested b is not installed' }]);
  });
});

describe('verifySolution: deb', () => {
  it('accepts a group satisfied by any alternative, and reports one satisfied by none', () => {
    expect(debCheck([deb({ name: 'r', depends: 'x | y, z' }), deb({ name: 'y' }), deb({ name: 'z' })])).toEqual([]);
    expect(debCheck([deb({ name: 'r', depends: 'x | y (>= 2), z' }), deb({ name: 'y' }), deb({ name: 'z' })])).toEqual([{ package: 'r=1.0:amd64', kind: 'requires', detail: 'x | y' }]);
    expect(kinds(debCheck([deb({ name: 'r', preDepends: 'pre' })]))).toEqual(['requires r=1.0:amd64']);
  });

  it('satisfies a versioned relation only by a versioned Provides (§3.3)', () => {
    expect(debCheck([deb({ name: 'r', depends: 'v (>= 1)' }), deb({ name: 'p-ver', version: '0.1', provides: 'v (= 2)' })])).toEqual([]);
    expect(kinds(debCheck([deb({ name: 'r', depends: 'v (>= 1)' }), deb({ name: 'p-unver', version: '5.0', provides: 'v' })]))).toEqual(['requires r=1.0:amd64']);
    expect(kinds(debCheck([deb({ name: 'r', depends: 'v (>= 3)' }), deb({ name: 'p-ver', provides: 'v (= 2)' })]))).toEqual(['requires r=1.0:amd64']);
    expect(debCheck([deb({ name: 'r', depends: 'v' }), deb({ name: 'p-unver', provides: 'v' })])).toEqual([]);
  });

  it('matches architectures as dpkg does (§3.5)', () => {
    // Same arch, arch all as native, M-A foreign across arches.
    expect(debCheck([deb({ name: 'u', arch: 'all', depends: 'lib' }), deb({ name: 'lib' })])).toEqual([]);
    expect(debCheck([deb({ name: 'u', arch: 'i386', depends: 'tool' }), deb({ name: 'tool', multiArch: 'foreign' })])).toEqual([]);
    expect(kinds(debCheck([deb({ name: 'u', arch: 'i386', depends: 'lib' }), deb({ name: 'lib' })]))).toEqual(['requires u=1.0:i386']);
    // `:any` only with M-A allowed; an explicit arch.
    expect(debCheck([deb({ name: 'u', depends: 'foon:any' }), deb({ name: 'foon', arch: 'i386', multiArch: 'allowed' })])).toEqual([]);
    expect(kinds(debCheck([deb({ name: 'u', depends: 'foon:any' }), deb({ name: 'foon', multiArch: 'foreign' })]))).toEqual(['requires u=1.0:amd64']);
    expect(debCheck([deb({ name: 'u', depends: 'gcc:i386' }), deb({ name: 'gcc', arch: 'i386' })])).toEqual([]);
    expect(kinds(debCheck([deb({ name: 'u', depends: 'gcc:i386' }), deb({ name: 'gcc' })]))).toEqual(['requires u=1.0:amd64']);
  });

  it('reports Conflicts and Breaks against other packages and their Provides, but not the package itself', () => {
    expect(kinds(debCheck([deb({ name: 'a', conflicts: 'b' }), deb({ name: 'b' })]))).toEqual(['conflicts a=1.0:amd64']);
    expect(kinds(debCheck([deb({ name: 'a', breaks: 'b (<< 2)' }), deb({ name: 'b' })]))).toEqual(['conflicts a=1.0:amd64']);
    expect(debCheck([deb({ name: 'a', breaks: 'b (<< 1)' }), deb({ name: 'b' })])).toEqual([]);
    expect(kinds(debCheck([deb({ name: 'a', conflicts: 'virt' }), deb({ name: 'p', provides: 'virt' })]))).toEqual(['conflicts a=1.0:amd64']);
    const mta = (name: string): PackageRecord => deb({ name, provides: 'mail-transport-agent', conflicts: 'mail-transport-agent' });
    expect(debCheck([mta('exim')])).toEqual([]);
    expect(kinds(debCheck([mta('exim'), mta('postfix')]))).toEqual(['conflicts exim=1.0:amd64', 'conflicts postfix=1.0:amd64']);
  });

  it('allows one version of a name, or Multi-Arch: same at one version across arches', () => {
    expect(kinds(debCheck([deb({ name: 'x', version: '1.0' }), deb({ name: 'x', version: '2.0' })]))).toEqual(['same-name x=1.0:amd64', 'same-name x=2.0:amd64']);
    expect(kinds(debCheck([deb({ name: 'x' }), deb({ name: 'x', arch: 'i386' })]))).toEqual(['same-name x=1.0:amd64', 'same-name x=1.0:i386']);
    const same = (arch: string, version: string): PackageRecord => deb({ name: 'libsame', arch, version, multiArch: 'same' });
    expect(debCheck([same('amd64', '1.0'), same('i386', '1.0')])).toEqual([]);
    expect(kinds(debCheck([same('amd64', '1.0'), same('i386', '1.1')]))).toEqual(['same-name libsame=1.0:amd64', 'same-name libsame=1.1:i386']);
  });

  it('reads requested specs with a version or arch by their name', () => {
    const set = [deb({ name: 'a' }), deb({ name: 'b', arch: 'i386' })];
    expect(debCheck(set, ['a=1.0', 'b:i386'])).toEqual([]);
    expect(debCheck(set, ['c'])).toEqual([{ package: 'c', kind: 'job', detail: 'requested c is not installed' }]);
  });
});
