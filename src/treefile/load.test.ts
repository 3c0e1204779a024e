import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../core/index.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { loadTreefile } from './index.js';

let dir = '';
const at = (name: string): string => path.join(dir, name);

async function put(name: string, text: string): Promise<string> {
  await mkdir(path.dirname(at(name)), { recursive: true });
  await writeFile(at(name), text);
  return at(name);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jigtree-treefile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadTreefile', () => {
  it('merges nested includes with rpm-ostree rules, resolving paths against each file', async () => {
    await put('sub/base.yaml', `repos:
  - {id: base, kind: apt, baseurl: ../mirror/, suite: bookworm, signed-by: keys/k.gpg}
packages: [base-pkg, shared]
add-commit-metadata: {k: base, b: 1}
add-files: [[files/motd, /etc/motd]]
`);
    await put('mid.yaml', `include: sub/base.yaml
ref: mid/ref
arch: amd64
recommends: false
packages: [mid-pkg, shared]
exclude-packages: [x-mid]
units: [mid.service]
`);
    await put('extra/extra.json', JSON.stringify({
      arch: 'arm64', packages: ['extra-pkg'], 'exclude-packages': ['x-extra'], units: ['extra.service'],
      repos: [{ id: 'extra', kind: 'apt', baseurl: 'http://x/debian', suite: 'bookworm', trusted: true }],
    }));
    const top = await put('top.yaml', `include: [mid.yaml, extra/extra.json]
ref: top/ref
packages: [top-pkg]
exclude-packages: [x-top]
units: [top.service]
add-commit-metadata: {k: top, t: 1}
`);
    const t = await loadTreefile(top);
    expect(t).toStrictEqual({
      kind: 'deb',
      ref: 'top/ref', // the includer wins
      arch: 'amd64', // an earlier include wins over a later one
      // lists: with include [a, b] the order is b, a, self (treefile.md §2)
      repos: [
        { kind: 'apt', id: 'extra', baseurl: 'http://x/debian', mirrors: ['http://x/debian'], suite: 'bookworm', components: ['main'], trusted: true, priority: 500 },
        { kind: 'apt', id: 'base', baseurl: `file://${dir}/mirror`, mirrors: [`file://${dir}/mirror`], suite: 'bookworm', components: ['main'], signedBy: at('sub/keys/k.gpg'), trusted: false, priority: 500 },
      ],
      packages: ['extra-pkg', 'base-pkg', 'shared', 'mid-pkg', 'top-pkg'],
      excludePackages: ['x-extra', 'x-mid', 'x-top'],
      recommends: false,
      architectures: [],
      addCommitMetadata: { k: 'top', b: 1, t: 1 }, // maps: union, the includer wins
      addFiles: [[at('sub/files/motd'), '/etc/motd']],
      units: ['extra.service', 'mid.service', 'top.service'],
    });
  });

  it('refuses an include cycle, naming the chain', async () => {
    await put('cycle/a.yaml', 'include: b.yaml\nref: r\n');
    await put('cycle/b.yaml', 'arch: amd64\ninclude: [a.yaml]\n');
    const err = await rejectionOf(loadTreefile(at('cycle/a.yaml')), ValidationError);
    expect(err.data['file']).toBe(at('cycle/b.yaml'));
    expect(err.issues).toEqual([{ pointer: '/include/0', message: `include cycle: ${at('cycle/a.yaml')} -> ${at('cycle/b.yaml')} -> ${at('cycle/a.yaml')} (line 2)` }]);
    await put('cycle/self.yaml', 'include: ./self.yaml\n');
    expect((await rejectionOf(loadTreefile(at('cycle/self.yaml')), ValidationError)).message).toContain('include cycle');
  });

  it('sees through symlinks when looking for cycles', async () => {
    await put('link/a.yaml', 'include: b.yaml\n');
    await symlink(at('link/a.yaml'), at('link/b.yaml'));
    expect((await rejectionOf(loadTreefile(at('link/a.yaml')), ValidationError)).message).toMatch(/include cycle: .*a\.yaml -> .*b\.yaml/);
  });

  it('refuses a file included twice, as rpm-ostree does', async () => {
    await put('twice/x.yaml', 'packages: [x]\n');
    await put('twice/y.yaml', 'include: x.yaml\n');
    await put('twice/top.yaml', 'include: [x.yaml, y.yaml]\n');
    const err = await rejectionOf(loadTreefile(at('twice/top.yaml')), ValidationError);
    expect(err.message).toBe(`${at('twice/y.yaml')}: /include: ${at('twice/x.yaml')} is included twice (also by ${at('twice/top.yaml')}) (line 1)`);
  });

  it('names the including file and pointer when an include is missing', async () => {
    await put('missing/top.yaml', 'ref: r\ninclude: [nope.yaml]\n');
    const err = await rejectionOf(loadTreefile(at('missing/top.yaml')), NotFoundError);
    expect(err.message).toBe(`${at('missing/top.yaml')} /include/0: ${at('missing/nope.yaml')}: not found`);
    expect((await rejectionOf(loadTreefile(at('missing/none.yaml')), NotFoundError)).message).toBe(`${at('missing/none.yaml')}: not found`);
  });

  it('reports the issues of every file at once, each naming its file and line', async () => {
    await put('bad/base.yaml', 'repos:\n  - {id: a, kind: apt, baseurl: /m, suite: s, trusted: true, gpgkey: k}\n');
    await put('bad/top.yaml', 'include: base.yaml\nref: r\narch: amd64\npackges: [bash]\n');
    const err = await rejectionOf(loadTreefile(at('bad/top.yaml')), ValidationError);
    expect(err.issues).toEqual([
      { pointer: '/packges', message: 'unknown treefile key "packges"; did you mean "packages"? (line 4)' },
      { pointer: '/repos/0/gpgkey', message: `"gpgkey" is a key of rpm-md repos; apt repos do not take it (in ${at('bad/base.yaml')}, line 2)` },
    ]);
    expect(err.message).toMatch(/^.*bad\/top\.yaml: \/packges: unknown treefile key/);
  });

  it('reports a whole-treefile issue at the include that caused it', async () => {
    await put('mixed/rpm.yaml', 'repos: [{id: f, kind: rpm-md, baseurl: /r, gpgcheck: false}]\n');
    await put('mixed/top.yaml', 'include: rpm.yaml\nref: r\narch: x86_64\nrepos: [{id: d, kind: apt, baseurl: /m, suite: s, trusted: true}]\npackages: [a]\n');
    const err = await rejectionOf(loadTreefile(at('mixed/top.yaml')), ValidationError);
    expect(err.issues).toEqual([{ pointer: '/repos/0', message: 'repo "d" is apt but repo "f" is rpm-md: all repos must be of one kind (a treefile composes either RPMs or debs) (line 4)' }]);
  });
});
