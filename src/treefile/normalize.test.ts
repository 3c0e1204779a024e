import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, ValidationError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { canonicalTreefileJson, parseTreefile, resolveBaseurl, rpmBasearch, substituteVariables, type Treefile } from './index.js';

const DIR = '/srv/trees';
const parse = (text: string, file = 'tf.yaml'): Treefile => parseTreefile(text, { file, dir: DIR });
const issuesOf = (text: string, file = 'tf.yaml'): { pointer: string; message: string }[] => thrownBy(() => parse(text, file), ValidationError).issues;

// The example from issue 4, verbatim.
const ISSUE4 = `ref: example/bookworm/minbase
arch: amd64                      # deb: amd64, arm64...; rpm: x86_64, aarch64...
repos:
  - id: bookworm
    kind: apt                    # or rpm-md
    baseurl: http://127.0.0.1:8080/debian    # file:// works too
    suite: bookworm              # apt only
    components: [main]           # apt only
    signed-by: keys/debian-archive-keyring.gpg   # or gpgcheck: false / trusted: true
bootstrap: minbase               # deb only: essential | minbase (as mmdebstrap's variants)
packages: [apt, systemd]
exclude-packages: []
recommends: false
`;

const RPM = `ref: fedora/\${basearch}/base
arch: i686
releasever: 40
repos:
  - id: fedora
    kind: rpm-md
    baseurl: repos/$releasever/$basearch/
    gpgkey: keys/RPM-GPG-KEY-fedora
  - id: updates
    kind: rpm-md
    baseurl: https://mirror.example/pub/fedora/linux/updates/\${releasever}/Everything/\${basearch}/
    gpgcheck: false
    priority: 10
    cost: 500
packages: [bash, "coreutils  kernel"]
packages-i386: [glibc]
packages-x86_64: [never-here]
`;

describe('parseTreefile: the issue-4 deb example', () => {
  it('normalizes to the fixed shape, with defaults and absolute paths', () => {
    const t = parse(ISSUE4);
    expect(t).toStrictEqual({
      kind: 'deb',
      ref: 'example/bookworm/minbase',
      arch: 'amd64',
      repos: [{
        kind: 'apt', id: 'bookworm', baseurl: 'http://127.0.0.1:8080/debian', mirrors: ['http://127.0.0.1:8080/debian'], suite: 'bookworm', components: ['main'],
        signedBy: '/srv/trees/keys/debian-archive-keyring.gpg', trusted: false, priority: 500,
      }],
      packages: ['apt', 'systemd'],
      excludePackages: [],
      recommends: false,
      bootstrap: 'minbase',
      architectures: [],
    });
    // Fixed key order, so JSON.stringify of a Treefile is deterministic too.
    expect(Object.keys(t)).toEqual(['kind', 'ref', 'arch', 'repos', 'packages', 'excludePackages', 'recommends', 'bootstrap', 'architectures']);
  });

  it('reads the same treefile written as JSON, by extension or by content', () => {
    const json = JSON.stringify({
      ref: 'example/bookworm/minbase', arch: 'amd64', bootstrap: 'minbase', packages: ['apt', 'systemd'], 'exclude-packages': [], recommends: false,
      repos: [{ id: 'bookworm', kind: 'apt', baseurl: 'http://127.0.0.1:8080/debian', suite: 'bookworm', components: ['main'], 'signed-by': 'keys/debian-archive-keyring.gpg' }],
    });
    expect(parse(json, 'tf.json')).toStrictEqual(parse(ISSUE4));
    expect(parse(json, 'treefile')).toStrictEqual(parse(ISSUE4));
    expect(parse(ISSUE4, 'treefile')).toStrictEqual(parse(ISSUE4));
  });

  it('applies apt defaults: components [main], trusted, priority', () => {
    const t = parse('ref: r\narch: arm64\nrepos: [{id: d, kind: apt, baseurl: /mirror/debian, suite: bookworm, trusted: true}]\npackages: [bash]\n');
    expect(t.repos).toStrictEqual([{ kind: 'apt', id: 'd', baseurl: 'file:///mirror/debian', mirrors: ['file:///mirror/debian'], suite: 'bookworm', components: ['main'], trusted: true, priority: 500 }]);
    expect(t.recommends).toBe(true);
  });
});

describe('parseTreefile: rpm', () => {
  it('substitutes $basearch/$releasever as dnf does and resolves paths against the treefile dir', () => {
    const t = parse(RPM);
    expect(t).toStrictEqual({
      kind: 'rpm',
      ref: 'fedora/i386/base',
      arch: 'i686',
      basearch: 'i386',
      releasever: '40',
      repos: [
        { kind: 'rpm-md', id: 'fedora', baseurl: 'file:///srv/trees/repos/40/i386', mirrors: ['file:///srv/trees/repos/40/i386'], gpgcheck: true, gpgkey: '/srv/trees/keys/RPM-GPG-KEY-fedora', priority: 99, cost: 1000 },
        {
          kind: 'rpm-md', id: 'updates', baseurl: 'https://mirror.example/pub/fedora/linux/updates/40/Everything/i386',
          mirrors: ['https://mirror.example/pub/fedora/linux/updates/40/Everything/i386'], gpgcheck: false, priority: 10, cost: 500 },
      ],
      // split on blanks as rpm-ostree does; packages-<basearch> joins, other arches do not
      packages: ['bash', 'coreutils', 'kernel', 'glibc'],
      excludePackages: [],
      recommends: true,
      installonly: ['kernel', 'kernel-PAE', 'installonlypkg(kernel)', 'installonlypkg(kernel-module)', 'installonlypkg(vm)', 'multiversion(kernel)'],
      multilibPolicy: 'best',
    });
  });

  it('keeps releasever as written, not as YAML reads the number', () => {
    const t = parse('ref: r\narch: x86_64\nreleasever: 9.10\nrepos: [{id: a, kind: rpm-md, baseurl: "http://h/$releasever_major/$releasever", gpgcheck: false}]\npackages: [a]\n');
    expect(t.releasever).toBe('9.10');
    expect(t.repos[0]?.baseurl).toBe('http://h/9/9.10');
  });

  it('takes installonly and multilib-policy, and file: gpgkeys become paths', () => {
    const t = parse('ref: r\narch: x86_64\ninstallonly: [kernel-core, kernel-core]\nmultilib-policy: all\nrepos: [{id: a, kind: rpm-md, baseurl: "file:///r/", gpgkey: "file:///etc/pki/k"}]\npackages: [a]\n');
    expect(t.kind === 'rpm' && [t.installonly, t.multilibPolicy, t.repos[0]?.gpgkey, t.repos[0]?.baseurl]).toStrictEqual([['kernel-core'], 'all', '/etc/pki/k', 'file:///r']);
  });
});

describe('parseTreefile: compose keys (issue 5) are validated and kept', () => {
  it('keeps them typed, add-files sources made absolute', () => {
    const t = parse(`${ISSUE4}units: [ssh.service]\ndefault-target: multi-user.target\ndocumentation: false\nadd-files: [[motd, /etc/motd]]\nadd-commit-metadata: {a: {b: [1, null]}}\ntimestamp: 1700000000\nremove-from-packages: [[bash, "/usr/share/doc/.*"]]\n`);
    expect(t).toMatchObject({
      units: ['ssh.service'], defaultTarget: 'multi-user.target', documentation: false, addFiles: [['/srv/trees/motd', '/etc/motd']],
      addCommitMetadata: { a: { b: [1, null] } }, timestamp: 1700000000, removeFromPackages: [['bash', '/usr/share/doc/.*']],
    });
  });

  it('checks their types', () => {
    expect(issuesOf(`${ISSUE4}units: ssh.service\ntmp-is-dir: "yes"\nadd-files: [[a]]\ntimestamp: yesterday\n`).map((i) => i.pointer)).toEqual(['/units', '/tmp-is-dir', '/add-files/0', '/timestamp']);
  });
});

describe('parseTreefile: errors', () => {
  it('collects every problem with its pointer, line and what was expected', () => {
    const text = `ref: a/../b
arch: x86_64
repos:
  - id: a
    kind: rpm-md
    baseurl: repo
    suite: x
    gpgchek: false
  - {id: b, kind: apt, baseurl: "ftp://x", suite: s, trusted: true}
bootstrap: minbase
package: [x]
recommends: yes
`;
    const err = thrownBy(() => parse(text), ValidationError);
    expect(err.issues).toEqual([
      { pointer: '/repos/0/suite', message: '"suite" is a key of apt repos; rpm-md repos do not take it (line 7)' },
      { pointer: '/repos/0/gpgchek', message: 'unknown repo key "gpgchek"; did you mean "gpgcheck"? (line 8)' },
      { pointer: '/repos/0', message: 'gpgcheck is on (the default) but no gpgkey is given: set gpgkey, or gpgcheck: false for an unsigned repo (line 4)' },
      { pointer: '/package', message: 'unknown treefile key "package"; did you mean "packages"? (line 11)' },
      { pointer: '/recommends', message: 'expected true or false, got the string "yes" (line 12)' },
      { pointer: '/repos/1', message: 'repo "b" is apt but repo "a" is rpm-md: all repos must be of one kind (a treefile composes either RPMs or debs) (line 9)' },
      { pointer: '/bootstrap', message: '"bootstrap" applies to apt repos only, and this treefile\'s repos are rpm-md (line 10)' },
      { pointer: '/ref', message: expect.stringContaining('got "a/../b"') as string },
      { pointer: '/repos/1/baseurl', message: 'expected an http, https or file URL, got "ftp://x" (line 9)' },
    ]);
    expect(err.message).toBe('tf.yaml: /repos/0/suite: "suite" is a key of apt repos; rpm-md repos do not take it (line 7) (and 8 more)');
  });

  it('hints kebab-case for snake_case keys', () => {
    expect(issuesOf(`${ISSUE4}default_target: graphical.target\n`)).toEqual([
      { pointer: '/default_target', message: 'unknown treefile key "default_target"; keys are kebab-case: did you mean "default-target"? (line 14)' },
    ]);
  });

  it('names missing required keys and empty selections', () => {
    expect(issuesOf('packages: []\n').map((i) => i.message)).toEqual([
      'missing required key "ref" (the ostree ref to commit to)',
      expect.stringContaining('missing required key "arch"') as string,
      'no repos: add at least one entry to "repos"',
    ]);
    expect(issuesOf('ref: r\narch: amd64\nrepos: [{id: d, kind: apt, baseurl: /m, suite: s, trusted: true}]\n').map((i) => i.message)).toEqual([
      'nothing to install: packages is empty and no bootstrap is set',
    ]);
    // bootstrap alone is a valid deb request (mmdebstrap's minbase)
    expect(parse('ref: r\narch: amd64\nbootstrap: essential\nrepos: [{id: d, kind: apt, baseurl: /m, suite: s, trusted: true}]\n').packages).toEqual([]);
  });

  it('checks repos: kind required, unique ids, apt suite and keys, wrong-world keys', () => {
    const text = `ref: r
arch: amd64
repos:
  - {id: a, baseurl: /m}
  - {id: "a b", kind: apt, baseurl: /m, suite: s, trusted: true}
  - {id: d, kind: apt, baseurl: /m, components: [], gpgcheck: false}
  - {id: e, kind: apt, baseurl: /m, suite: s, trusted: true, mirrors: [http://x]}
  - {id: e, kind: apt, baseurl: /m, suite: s/, trusted: true}
  - {id: f, kind: apt, baseurl: /m, suite: s, signed-by: k.gpg}
  - {id: f, kind: apt, baseurl: /n, suite: t, signed-by: k.gpg}
installonly: [kernel]
packages: [a]
`;
    expect(issuesOf(text)).toEqual([
      { pointer: '/repos/0', message: 'missing required key "kind" (rpm-md or apt) (line 4)' },
      { pointer: '/repos/1/id', message: 'expected a repo id of letters, digits, ".", "_" and "-", got "a b" (line 5)' },
      { pointer: '/repos/2/components', message: 'expected at least one component (line 6)' },
      { pointer: '/repos/2/gpgcheck', message: '"gpgcheck" is a key of rpm-md repos; apt repos do not take it (line 6)' },
      { pointer: '/repos/2', message: 'missing required key "suite" (apt repos need one, e.g. bookworm) (line 6)' },
      { pointer: '/repos/2', message: 'no signed-by keyring is given: set signed-by, or trusted: true for an unsigned repo (line 6)' },
      { pointer: '/repos/3/mirrors', message: 'give either "baseurl" or "mirrors", not both (put the baseurl first in mirrors) (line 7)' },
      { pointer: '/repos/4/suite', message: 'expected a suite name such as bookworm, got "s/" (flat repositories are not supported) (line 8)' },
      { pointer: '/repos/4/id', message: 'duplicate repo id "e" (first in tf.yaml at /repos/3) (line 8)' },
      { pointer: '/repos/6/id', message: 'duplicate repo id "f" (first in tf.yaml at /repos/5) (line 10)' },
      { pointer: '/installonly', message: '"installonly" applies to rpm-md repos only, and this treefile\'s repos are apt (line 11)' },
    ]);
  });

  it('checks architectures against the repo world, with the other world\'s name as a hint', () => {
    const deb = (arch: string): string => `ref: r\narch: ${arch}\nrepos: [{id: d, kind: apt, baseurl: /m, suite: s, trusted: true}]\npackages: [a]\n`;
    const rpm = (arch: string): string => `ref: r\narch: ${arch}\nrepos: [{id: a, kind: rpm-md, baseurl: /m, gpgcheck: false}]\npackages: [a]\n`;
    expect(issuesOf(deb('x86_64'))[0]?.message).toBe('expected a Debian architecture (amd64, arm64, i386...), got "x86_64"; Debian calls it "amd64" (line 2)');
    expect(issuesOf(rpm('amd64'))[0]?.message).toBe('expected an rpm architecture (x86_64, aarch64, i686...), got "amd64"; rpm calls it "x86_64" (line 2)');
    expect(issuesOf(rpm('x86-64'))[0]?.message).toContain('did you mean "x86_64"?');
    expect(rpmBasearch('armv7hl')).toBe('armhfp');
    expect(rpmBasearch('noarch')).toBeUndefined();
  });

  it('checks deb package specs: name, name:arch (configured), name=version', () => {
    const text = `ref: r
arch: amd64
architectures: [i386, amd64]
repos: [{id: d, kind: apt, baseurl: /m, suite: s, trusted: true}]
packages: [libc6:i386, "bash=5.2.15-2+b2", "wine:armhf", "vim=", "Bad/Name", "apt:amd64=2.6.1", "-x"]
exclude-packages: [libc6:i386, "nano=7.2-1"]
`;
    expect(issuesOf(text)).toEqual([
      { pointer: '/architectures/1', message: '"amd64" is not a foreign architecture (the native one is "amd64") (line 3)' },
      { pointer: '/packages/2', message: 'architecture "armhf" of "wine:armhf" is not configured: add it to architectures (line 5)' },
      { pointer: '/packages/3', message: 'bad version in "vim=": invalid version "": empty (line 5)' },
      { pointer: '/packages/4', message: 'expected a Debian package as name, name:arch or name=version, got "Bad/Name" (line 5)' },
      { pointer: '/packages/6', message: 'expected a Debian package as name, name:arch or name=version, got "-x" (line 5)' },
      { pointer: '/exclude-packages/1', message: 'expected a package name without a version, got "nano=7.2-1" (line 6)' },
      { pointer: '/packages/0', message: '"libc6:i386" is both in packages and in exclude-packages (line 5)' },
    ]);
  });

  it('refuses the remains of rpm version queries', () => {
    const text = 'ref: r\narch: x86_64\nrepos: [{id: a, kind: rpm-md, baseurl: /r, gpgcheck: false}]\npackages: ["podman >= 4.1", "pkgconfig(glib-2.0)", /usr/bin/sh]\n';
    expect(issuesOf(text)).toEqual([{ pointer: '/packages/0', message: 'expected a package name, provide or NEVR, got ">=" (version queries are not supported) (line 4)' }]);
    expect(parse(text.replace('"podman >= 4.1", ', '')).packages).toEqual(['pkgconfig(glib-2.0)', '/usr/bin/sh']);
  });

  it('refuses unknown variables and $releasever without releasever', () => {
    const text = 'ref: r\narch: x86_64\nrepos: [{id: a, kind: rpm-md, baseurl: "http://h/$releasever/$basearc", gpgcheck: false}]\npackages: [a]\n';
    expect(issuesOf(text)).toEqual([{ pointer: '/repos/0/baseurl', message: '$releasever is used but releasever is not set (line 3)' }]);
    expect(substituteVariables('x/$basearc/${arch}', new Map([['arch', 'a']]))).toEqual({ error: 'unknown variable $basearc in "x/$basearc/${arch}" (known: $arch)' });
    expect(substituteVariables('x/${arch', new Map([['arch', 'a']]))).toEqual({ error: 'unclosed "${" in "x/${arch"' });
  });

  it('refuses quoted version queries and non-mapping documents', () => {
    expect(issuesOf(ISSUE4.replace('packages: [apt, systemd]', `packages: ["'podman >= 4.1'"]`))[0]?.message).toContain('quoted version queries are not supported');
    expect(issuesOf('- a\n- b\n')).toEqual([{ pointer: '', message: 'expected a mapping of treefile keys, got a list' }]);
    expect(issuesOf('')).toEqual([{ pointer: '', message: 'expected a mapping of treefile keys, got nothing (null)' }]);
    expect(issuesOf(`${ISSUE4}include: base.yaml\n`)).toEqual([{ pointer: '/include', message: 'include needs loadTreefile, which reads the included files (line 14)' }]);
  });

  it('reports syntax errors as FormatError with line and column', () => {
    const y = thrownBy(() => parse('ref: r\nrepos: [a, b\narch: x\n'), FormatError);
    expect(y.format).toBe('yaml');
    expect(y.message).toMatch(/^tf\.yaml: yaml: line 3, column 1: /);
    expect(thrownBy(() => parse('ref: r\nref: s\n'), FormatError).message).toBe('tf.yaml: yaml: line 2, column 1: Map keys must be unique');
    const j = thrownBy(() => parse('{"ref": "r",\n "arch": }', 'tf.json'), FormatError);
    expect([j.format, j.message]).toEqual(['json', expect.stringMatching(/^tf\.json: json: .* \(line 2, column 10\)$/)]);
    expect(thrownBy(() => parse('{"ref": "r",\n "ref": "s"}', 'tf.json'), FormatError).message).toBe('tf.json: json: duplicate key (line 2, column 2)');
    expect(thrownBy(() => parse('a: !!binary aGk=\nb: !custom x\n'), FormatError).message).toContain('line 2');
  });
});

describe('baseurl resolution', () => {
  it('normalizes URLs and makes paths file URLs, without trailing slashes', () => {
    expect(resolveBaseurl('HTTP://Mirror.Example:80/debian//', '/d')).toEqual({ value: 'http://mirror.example/debian' });
    expect(resolveBaseurl('http://h/', '/d')).toEqual({ value: 'http://h' });
    expect(resolveBaseurl('file://localhost/srv/repo/', '/d')).toEqual({ value: 'file:///srv/repo' });
    expect(resolveBaseurl('../repo dir/x', '/srv/trees')).toEqual({ value: 'file:///srv/repo%20dir/x' });
    expect(resolveBaseurl('http://h/x?token=1', '/d')).toEqual({ error: 'expected a URL without a query or fragment, got "http://h/x?token=1"' });
    expect(resolveBaseurl('file://host/x', '/d')).toEqual({ error: 'expected a local file URL (file:///path), got "file://host/x"' });
  });
});

describe('repo mirrors', () => {
  const apt = (repo: string): string => `ref: r\narch: amd64\nreleasever: "12"\nrepos:\n  - {id: d, kind: apt, suite: s, trusted: true, ${repo}}\npackages: [a]\n`;

  it('takes a list of URLs in order, resolved and substituted as baseurl is; baseurl is the first', () => {
    const t = parse(apt('mirrors: ["http://one.example/debian/", "../local/$arch", "file:///srv/deb$releasever"]'));
    expect(t.repos[0]?.mirrors).toStrictEqual(['http://one.example/debian', 'file:///srv/local/amd64', 'file:///srv/deb12']);
    expect(t.repos[0]?.baseurl).toBe('http://one.example/debian');
    const rpm = parse('ref: r\narch: x86_64\nrepos:\n  - id: f\n    kind: rpm-md\n    gpgcheck: false\n    mirrors:\n      - https://a.example/f/$basearch\n      - https://b.example/f/$basearch\npackages: [a]\n');
    expect(rpm.repos[0]).toStrictEqual({
      kind: 'rpm-md', id: 'f', baseurl: 'https://a.example/f/x86_64', mirrors: ['https://a.example/f/x86_64', 'https://b.example/f/x86_64'],
      gpgcheck: false, priority: 99, cost: 1000,
    });
  });

  it('gives a lone baseurl as a list of one', () => {
    expect(parse(apt('baseurl: /m/')).repos[0]?.mirrors).toStrictEqual(['file:///m']);
  });

  it('refuses both keys, neither, an empty list, a wrong type, bad and repeated URLs, one line each', () => {
    expect(issuesOf(apt('baseurl: /m, mirrors: [/n]'))).toEqual([
      { pointer: '/repos/0/mirrors', message: 'give either "baseurl" or "mirrors", not both (put the baseurl first in mirrors) (line 5)' },
    ]);
    expect(issuesOf(apt('components: [main]'))).toEqual([
      { pointer: '/repos/0', message: 'missing required key "baseurl" or "mirrors" (a list of URLs tried in order) (line 5)' },
    ]);
    expect(issuesOf(apt('mirrors: []'))).toEqual([{ pointer: '/repos/0/mirrors', message: 'expected at least one mirror URL (line 5)' }]);
    expect(issuesOf(apt('mirrors: http://one.example/debian'))).toEqual([
      { pointer: '/repos/0/mirrors', message: 'expected a list of URLs (http, https, file) or paths relative to the treefile, got the string "http://one.example/debian" (line 5)' },
    ]);
    expect(issuesOf(apt('mirrors: [http://a, 7, ""]'))).toEqual([
      { pointer: '/repos/0/mirrors/1', message: 'expected a string, got the number 7 (line 5)' },
      { pointer: '/repos/0/mirrors/2', message: 'expected a string, got an empty string (line 5)' },
    ]);
    expect(issuesOf(apt('mirrors: [http://a, "ftp://b", "http://c/$nope", "http://A/"]'))).toEqual([
      { pointer: '/repos/0/mirrors/1', message: 'expected an http, https or file URL, got "ftp://b" (line 5)' },
      { pointer: '/repos/0/mirrors/2', message: 'unknown variable $nope in "http://c/$nope" (known: $arch, $basearch, $releasever, $releasever_major, $releasever_minor) (line 5)' },
      { pointer: '/repos/0/mirrors/3', message: 'mirror "http://a" is listed twice (line 5)' },
    ]);
  });

  it('counts in the canonical JSON (the inputhash)', () => {
    const one = canonicalTreefileJson(parse(apt('mirrors: [http://a, http://b]')));
    expect(one).toContain('"mirrors":["http://a","http://b"]');
    expect(canonicalTreefileJson(parse(apt('mirrors: [http://b, http://a]')))).not.toBe(one);
    expect(canonicalTreefileJson(parse(apt('baseurl: http://a')))).not.toBe(one);
  });
});

describe('canonicalTreefileJson', () => {
  it('does not depend on key order, comments or syntax', () => {
    const reordered = `# a comment
recommends: false
packages:
  - apt
  - systemd
repos:
  - signed-by: keys/debian-archive-keyring.gpg
    components: [main]
    suite: bookworm
    baseurl: http://127.0.0.1:8080/debian/
    kind: apt
    id: bookworm
bootstrap: minbase
arch: amd64
ref: example/bookworm/minbase
`;
    expect(canonicalTreefileJson(parse(reordered))).toBe(canonicalTreefileJson(parse(ISSUE4)));
    const json = canonicalTreefileJson(parse(ISSUE4));
    expect(json.startsWith('{"arch":"amd64","architectures":[],"bootstrap":"minbase","excludePackages":[],"kind":"deb","packages":["apt","systemd"]')).toBe(true);
    expect(canonicalTreefileJson(parse(ISSUE4.replace('recommends: false', 'recommends: true')))).not.toBe(json);
  });
});

describe('property: parseTreefile of arbitrary data', () => {
  const base: Record<string, unknown> = JSON.parse(JSON.stringify({
    ref: 'r', arch: 'amd64', bootstrap: 'minbase', packages: ['apt'], recommends: false,
    repos: [{ id: 'd', kind: 'apt', baseurl: '/m', suite: 's', components: ['main'], 'signed-by': 'k.gpg' }],
  })) as Record<string, unknown>;
  const expectOnlyOurErrors = (text: string, file: string): void => {
    try {
      parse(text, file);
    } catch (err) {
      if (err instanceof ValidationError) {
        expect(err.issues.length).toBeGreaterThan(0);
        for (const i of err.issues) expect(i.message).not.toBe('');
        return;
      }
      if (err instanceof FormatError && (err.format === 'json' || err.format === 'yaml')) return;
      throw err;
    }
  };

  it('random JSON values only give ValidationError or FormatError', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expectOnlyOurErrors(JSON.stringify(v), 'tf.json');
    }), { numRuns: 300 });
  });

  it('a valid treefile with one key replaced by random data only gives ValidationError', () => {
    const keys = [...Object.keys(base), 'include', 'architectures', 'installonly', 'multilib-policy', 'units', 'add-files', 'timestamp', 'releasever', 'packages-amd64'];
    fc.assert(fc.property(fc.constantFrom(...keys), fc.jsonValue(), fc.integer({ min: 0, max: 6 }), (key, v, repoKey) => {
      const doc = structuredClone(base);
      if (key === 'repos' && repoKey < 6) {
        const repo = (doc['repos'] as Record<string, unknown>[])[0] ?? {};
        // `mirrors` in place of baseurl: random data where a URL list belongs.
        if (repoKey === 5) delete repo['baseurl'];
        repo[['id', 'kind', 'baseurl', 'suite', 'components', 'mirrors'][repoKey] ?? 'id'] = v;
      } else {
        doc[key] = v;
      }
      expectOnlyOurErrors(JSON.stringify(doc), 'tf.json');
    }), { numRuns: 400 });
  });

  it('random text only gives ValidationError or FormatError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      expectOnlyOurErrors(s, 'tf.yaml');
      expectOnlyOurErrors(s, 'tf.json');
    }), { numRuns: 300 });
  });
});
