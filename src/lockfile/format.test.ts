import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, ValidationError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { formatLockfile, parseLockfile, type LockedPackage, type Lockfile } from './index.js';

const SHA = (c: string): string => `sha256:${c.repeat(64)}`;

const pkg = (name: string, evr: string, arch = 'x86_64', over: Partial<LockedPackage> = {}): LockedPackage => ({
  kind: 'rpm', name, evr, arch, repo: 'fedora', location: `http://m/p/${name}-${evr}.${arch}.rpm`, size: 10, digest: SHA('a'), ...over,
});

const LOCK: Lockfile = {
  version: 1,
  ref: 'fedora/x86_64/base',
  arch: 'x86_64',
  repos: [{ id: 'fedora', kind: 'rpm-md', baseurl: 'http://m/fedora', revision: '1718000000' }],
  packages: [pkg('kernel', '6.10.1-1.fc40'), pkg('bash', '5.2-1.fc40'), pkg('kernel', '6.9.2-1.fc40'), pkg('glibc', '2.39-1.fc40', 'i686'), pkg('glibc', '2.39-1.fc40')],
};

describe('formatLockfile', () => {
  it('writes canonical bytes: fixed key order, packages by name, arch, then version order', () => {
    const text = formatLockfile({ ...LOCK, packages: [pkg('bash', '1:5.2-1', 'x86_64', { size: 0, digest: `sha512:${'b'.repeat(128)}` })] });
    expect(text).toBe(`{
  "version": 1,
  "ref": "fedora/x86_64/base",
  "arch": "x86_64",
  "repos": [
    {
      "id": "fedora",
      "kind": "rpm-md",
      "baseurl": "http://m/fedora",
      "revision": "1718000000"
    }
  ],
  "packages": [
    {
      "kind": "rpm",
      "name": "bash",
      "evr": "1:5.2-1",
      "arch": "x86_64",
      "repo": "fedora",
      "location": "http://m/p/bash-1:5.2-1.x86_64.rpm",
      "size": 0,
      "digest": "sha512:${'b'.repeat(128)}"
    }
  ]
}
`);
    const sorted = parseLockfile(formatLockfile(LOCK), 'l.json').packages.map((p) => `${p.name}-${p.evr}.${p.arch}`);
    // 6.9 sorts before 6.10 (rpmvercmp), not as text
    expect(sorted).toEqual(['bash-5.2-1.fc40.x86_64', 'glibc-2.39-1.fc40.i686', 'glibc-2.39-1.fc40.x86_64', 'kernel-6.9.2-1.fc40.x86_64', 'kernel-6.10.1-1.fc40.x86_64']);
  });

  it('orders deb versions with dpkg rules (an epoch wins)', () => {
    const deb = (evr: string): LockedPackage => pkg('linux-image', evr, 'amd64', { kind: 'deb', repo: 'd' });
    const lock: Lockfile = { ...LOCK, arch: 'amd64', repos: [{ id: 'd', kind: 'apt', baseurl: 'file:///m', revision: 'sha256:x' }], packages: [deb('1:1.0'), deb('2.0~rc1'), deb('2.0')] };
    expect(parseLockfile(formatLockfile(lock), 'l').packages.map((p) => p.evr)).toEqual(['2.0~rc1', '2.0', '1:1.0']);
  });

  it('refuses to format an invalid lockfile', () => {
    expect(thrownBy(() => formatLockfile({ ...LOCK, packages: [pkg('a', '1-1', 'x86_64', { size: -1 })] }), ValidationError).message).toBe(
      '<lockfile>: /packages/0/size: expected a non-negative integer, got -1',
    );
  });
});

describe('parseLockfile', () => {
  it('collects every problem with a JSON pointer', () => {
    const bad = {
      version: 1, ref: 'a/../b', arch: 'x 86', extra: true,
      repos: [{ id: 'fedora', kind: 'yum', baseurl: 'repo/dir', revision: '' }, { id: 'd', kind: 'apt', baseurl: 'http://d', revision: 'r' }],
      packages: [
        { kind: 'rpm', name: 'bash', evr: '0:5.2-1', arch: 'x86_64', repo: 'fedora', location: 'http://m/bash.rpm', size: 1.5, digest: 'sha256:ABC' },
        { kind: 'rpm', name: 'zsh', evr: '5.9', arch: 'x86_64', repo: 'nope', location: 'mirror/zsh.rpm', size: 1, digest: SHA('c') },
        { kind: 'rpm', name: 'vim', evr: '9.1-1', arch: 'x86_64', repo: 'd', location: 'http://m/vim.rpm', size: 1, digest: SHA('c'), url: 'x' },
        { kind: 'deb', name: 'Bad Name', evr: '1.0', arch: 'amd64', repo: 'd', location: 'http://d/x.deb', size: 1, digest: SHA('d') },
        'nonsense',
      ],
    };
    const err = thrownBy(() => parseLockfile(JSON.stringify(bad), 'lock.json'), ValidationError);
    expect(err.issues).toEqual([
      { pointer: '/extra', message: 'unknown key "extra" (expected version, ref, arch, repos, packages)' },
      { pointer: '/ref', message: 'expected an ostree ref (components of letters, digits, "_", "-", "." joined by "/", no ".."), got "a/../b"' },
      { pointer: '/arch', message: 'expected an architecture name, got "x 86"' },
      { pointer: '/repos/0/kind', message: 'expected one of rpm-md, apt, got the string "yum"' },
      { pointer: '/repos/0/baseurl', message: 'expected an absolute http, https or file URL, got "repo/dir"' },
      { pointer: '/repos/0/revision', message: 'expected a non-empty string, got the string ""' },
      { pointer: '/packages/0/evr', message: 'expected no epoch when it is 0 (write "5.2-1"), got "0:5.2-1"' },
      { pointer: '/packages/0/repo', message: 'repo "fedora" is not one of the lockfile\'s repos' },
      { pointer: '/packages/0/size', message: 'expected a non-negative integer, got 1.5' },
      { pointer: '/packages/0/digest', message: 'expected "sha256:" and 64 lowercase hex digits (or "sha512:" and 128), got "sha256:ABC"' },
      { pointer: '/packages/1/evr', message: 'expected an rpm [E:]V-R, got "5.9" (no release)' },
      { pointer: '/packages/1/repo', message: 'repo "nope" is not one of the lockfile\'s repos' },
      { pointer: '/packages/1/location', message: 'expected an absolute http, https or file URL, got "mirror/zsh.rpm"' },
      { pointer: '/packages/2/url', message: 'unknown key "url" (expected kind, name, evr, arch, repo, location, size, digest)' },
      { pointer: '/packages/2/kind', message: 'a rpm package cannot come from the apt repo "d"' },
      { pointer: '/packages/3/name', message: 'expected a package name, got "Bad Name"' },
      { pointer: '/packages/4', message: 'expected a package object, got the string "nonsense"' },
    ]);
    expect(err.message).toBe('lock.json: /extra: unknown key "extra" (expected version, ref, arch, repos, packages) (and 16 more)');
  });

  it('refuses duplicates, other versions and non-objects', () => {
    const dup = { ...LOCK, packages: [pkg('a', '1-1'), pkg('a', '1-1', 'x86_64', { size: 2 })] };
    expect(thrownBy(() => parseLockfile(JSON.stringify(dup), 'l'), ValidationError).issues).toEqual([{ pointer: '/packages/1', message: 'a-1-1.x86_64 is locked twice (also /packages/0)' }]);
    expect(thrownBy(() => parseLockfile(JSON.stringify({ ...LOCK, version: 2 }), 'l'), ValidationError).issues).toEqual([{ pointer: '/version', message: 'unsupported lockfile version 2: this jigtree reads version 1' }]);
    expect(thrownBy(() => parseLockfile('[]', 'l'), ValidationError).issues).toEqual([{ pointer: '', message: 'expected a JSON object (a lockfile), got an array' }]);
    const dupRepo = { ...LOCK, repos: [...LOCK.repos, ...LOCK.repos] };
    expect(thrownBy(() => parseLockfile(JSON.stringify(dupRepo), 'l'), ValidationError).issues).toEqual([{ pointer: '/repos/1/id', message: 'duplicate repo id "fedora"' }]);
  });

  it('reports JSON syntax errors as FormatError with the line', () => {
    const err = thrownBy(() => parseLockfile('{\n  "version": 1,\n  "ref": "x",\n}', 'lock.json'), FormatError);
    expect([err.format, err.message]).toEqual(['json', expect.stringMatching(/^lock\.json: json: .*\(line 4, column 1\)$/)]);
    // V8 gives no position for some errors; its message quotes the text around it instead
    expect(thrownBy(() => parseLockfile('{\n  "ref": x\n}', 'lock.json'), FormatError).message).toContain('"ref": x');
  });
});

// --- properties -----------------------------------------------------------------------------

const token = fc.stringMatching(/^[a-z0-9][a-z0-9+._-]{0,8}$/);
const rpmEvr = fc.tuple(fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }), fc.stringMatching(/^[0-9][0-9a-z.~^]{0,5}$/), fc.stringMatching(/^[0-9][0-9a-z.]{0,4}$/))
  .map(([e, v, r]) => `${e === undefined ? '' : `${e}:`}${v}-${r}`);
const lockArb: fc.Arbitrary<Lockfile> = fc.record({
  ref: fc.stringMatching(/^[a-z0-9_][a-z0-9._-]{0,6}(\/[a-z0-9_][a-z0-9_-]{0,6}){0,2}$/).filter((r) => !r.includes('..')),
  arch: fc.constantFrom('x86_64', 'aarch64'),
  revision: fc.stringMatching(/^[ -~]{1,20}$/),
  packages: fc.uniqueArray(fc.record({
    name: token, evr: rpmEvr, arch: fc.constantFrom('x86_64', 'noarch', 'i686'),
    size: fc.nat(), hex: fc.stringMatching(/^[0-9a-f]{64}$/),
  }), { selector: (p) => `${p.name} ${p.arch} ${p.evr}`, maxLength: 15 }),
}).map(({ ref, arch, revision, packages }) => ({
  version: 1 as const, ref, arch,
  repos: [{ id: 'r1', kind: 'rpm-md' as const, baseurl: 'http://h/r1', revision }],
  packages: packages.map((p) => ({ kind: 'rpm' as const, name: p.name, evr: p.evr, arch: p.arch, repo: 'r1', location: `http://h/r1/${p.name}.rpm`, size: p.size, digest: `sha256:${p.hex}` })),
}));

describe('lockfile properties', () => {
  it('format → parse round-trips, and formatting is idempotent', () => {
    fc.assert(fc.property(lockArb, (lock) => {
      const text = formatLockfile(lock);
      const back = parseLockfile(text, 'l');
      expect(new Set(back.packages.map((p) => JSON.stringify(p)))).toEqual(new Set(lock.packages.map((p) => JSON.stringify(p))));
      expect({ ...back, packages: [] }).toEqual({ ...lock, packages: [] });
      expect(formatLockfile(back)).toBe(text);
      // the input order does not matter
      expect(formatLockfile({ ...lock, packages: [...lock.packages].reverse() })).toBe(text);
    }), { numRuns: 200 });
  });

  const onlyOurs = (text: string): void => {
    try {
      parseLockfile(text, 'l');
    } catch (err) {
      if (err instanceof ValidationError && err.issues.length > 0) return;
      if (err instanceof FormatError && err.format === 'json') return;
      throw err;
    }
  };

  it('random JSON only gives ValidationError or FormatError(json)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      onlyOurs(JSON.stringify(v));
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ maxLength: 100 }), (s) => {
      onlyOurs(s);
    }), { numRuns: 200 });
  });

  it('a valid lockfile with one field replaced by random JSON only gives ValidationError', () => {
    const fields = ['version', 'ref', 'arch', 'repos', 'packages', 'r.id', 'r.kind', 'r.baseurl', 'r.revision', 'p.kind', 'p.name', 'p.evr', 'p.arch', 'p.repo', 'p.location', 'p.size', 'p.digest'];
    fc.assert(fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, v) => {
      const doc = JSON.parse(formatLockfile(LOCK)) as Record<string, unknown> & { repos: Record<string, unknown>[]; packages: Record<string, unknown>[] };
      const [where, key] = field.split('.');
      if (key === undefined) doc[where ?? ''] = v;
      else if (where === 'r' && doc.repos[0] !== undefined) doc.repos[0][key] = v;
      else if (doc.packages[1] !== undefined) doc.packages[1][key] = v;
      onlyOurs(JSON.stringify(doc));
    }), { numRuns: 300 });
  });
});
