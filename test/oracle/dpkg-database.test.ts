/*
 * Oracle: the dpkg database dpkgDatabase() writes, against what the real dpkg writes for
 * `dpkg --root=SCRATCH --force-all --unpack` of the same .debs (status paragraphs field by field,
 * info/ members and their modes, .list files, trigger interest files, arch), and read back by
 * dpkg-query -W / -L and dpkg --audit / -C. Packages: five from the minbase mirror chosen for
 * what they exercise (none has a preinst, so dpkg runs no script in the scratch root) and one
 * built here with dpkg-deb whose control file has scrambled field order, nicknames and
 * relations to normalize. Never skipped: a missing dpkg fails.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeb822 } from '../../src/pkg/index.js';
import { dpkgDatabase, type DpkgDatabaseEntry, type DpkgPackageInput } from '../../src/tree/dpkg-database.js';
import { openPackage } from '../../src/unpack/index.js';
import { MINBASE_MIRROR } from '../helpers/deb-mirror.js';

const run = promisify(execFile);
const POOL = path.join(MINBASE_MIRROR, 'pool/main');
// base-files: Essential, conffiles, postinst. libattr1: Multi-Arch: same, epoch, conffile,
// activate trigger, shlibs/symbols. libc-bin: interest trigger, conffiles. debconf: config and
// templates members, alternatives in Suggests. debianutils: a file trigger interest, prerm/postrm.
const MIRROR_DEBS = ['b/base-files/base-files_12.4+deb12u15_amd64.deb', 'a/attr/libattr1_2.5.1-4_amd64.deb', 'g/glibc/libc-bin_2.36-9+deb12u14_amd64.deb', 'd/debconf/debconf_1.5.82_all.deb', 'd/debianutils/debianutils_5.7-0.5~deb12u1_amd64.deb'];

// Scrambled order, nicknames (Recommended, Optional, Class), spacing and relation spellings dpkg
// normalizes, arbitrary fields, Protected, epoch 0, obsolete `<`.
const SYNTH_CONTROL = `Package: synth
Homepage: https://example.org
Description: a synthetic package
 with a long description
 .
 and more\t
X-Custom-Field: value
Version: 0:1.0-1
Depends: libc6(>=2.3),foo|bar:any (<< 3), baz:amd64,   qux (<2)
Pre-Depends: awk
Provides: virt (= 1.0)
Architecture: amd64
Maintainer: Someone <s@example.org>
Bugs: debbugs://bugs.debian.org
Origin: Debian
Protected: yes
Essential: no
Multi-Arch: foreign
Class: Extra
Section: misc
Installed-Size: 12
Source: synthsrc (1.0-0)
Built-Using: gcc (= 12)
Recommended: u
Optional: v
Enhances: x
Breaks: y (>= 0:2)
Conflicts: z
Replaces: w
Original-Maintainer: O <o@example.org>
`;

let work: string;
let debs: string[];
let ours: string; // root with our database and the packages' files
let theirs: string; // root dpkg --unpack wrote
let generated: DpkgDatabaseEntry[];

async function md5(bytes: Uint8Array): Promise<string> {
  return Promise.resolve(createHash('md5').update(bytes).digest('hex'));
}

async function buildSynth(dir: string): Promise<string> {
  const root = path.join(dir, 'synth');
  await mkdir(path.join(root, 'DEBIAN'), { recursive: true });
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await mkdir(path.join(root, 'usr/share/synth'), { recursive: true });
  const files: [string, string][] = [['etc/synth.conf', 'setting=1\n'], ['usr/share/synth/data', 'data\n']];
  for (const [p, text] of files) await writeFile(path.join(root, p), text);
  await writeFile(path.join(root, 'DEBIAN/control'), SYNTH_CONTROL);
  await writeFile(path.join(root, 'DEBIAN/conffiles'), '/etc/synth.conf\n');
  const sums = await Promise.all(files.map(async ([p, text]) => `${await md5(new TextEncoder().encode(text))}  ${p}\n`));
  await writeFile(path.join(root, 'DEBIAN/md5sums'), sums.join(''));
  await writeFile(path.join(root, 'DEBIAN/triggers'), '# comment\ninterest-noawait /usr/share/synth\ninterest synth-trig\n interest-noawait ldconfig \nactivate-noawait ldconfig\n');
  await writeFile(path.join(root, 'DEBIAN/postinst'), '#!/bin/sh\nexit 0\n');
  await chmod(path.join(root, 'DEBIAN/postinst'), 0o755);
  const out = path.join(dir, 'synth_1.0-1_amd64.deb');
  await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-b', root, out]);
  return out;
}

/** What compose hands dpkgDatabase for one .deb: control members via dpkg-deb -e, paths and conffile md5s via openPackage. */
async function inputFor(deb: string, dir: string): Promise<DpkgPackageInput> {
  const ctrl = path.join(dir, `ctrl-${path.basename(deb)}`);
  await run('dpkg-deb', ['-e', deb, ctrl]);
  const names = (await readdir(ctrl)).sort();
  const controlFiles = await Promise.all(names.filter((n) => n !== 'control').map(async (name) => ({ name, bytes: new Uint8Array(await readFile(path.join(ctrl, name))) })));
  const pkg = await openPackage(deb);
  if (pkg.kind !== 'deb') throw new Error(`${deb} is not a deb`);
  const confPaths = new Set(pkg.deb.conffiles.map((c) => c.path));
  const paths: string[] = [];
  const conffiles = new Map<string, string>();
  for await (const e of pkg.entries()) {
    paths.push(e.path === '/' ? '/.' : e.path);
    if (e.body === undefined) continue;
    if (!confPaths.has(e.path)) {
      await e.body.drain();
      continue;
    }
    const h = createHash('md5');
    for await (const chunk of e.body) h.update(chunk);
    conffiles.set(e.path, h.digest('hex'));
  }
  return {
    control: await readFile(path.join(ctrl, 'control'), 'utf8'),
    controlFiles,
    paths,
    conffiles: pkg.deb.conffiles.map((c) => ({ path: c.path, md5: conffiles.get(c.path) ?? 'missing' })),
  };
}

async function dpkgQuery(root: string, ...args: string[]): Promise<string> {
  return (await run('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, ...args])).stdout;
}

async function dpkgOut(root: string, ...args: string[]): Promise<string> {
  const r = await run('dpkg', [`--root=${root}`, ...args]);
  return r.stdout + r.stderr;
}

async function listTree(dir: string): Promise<Map<string, { mode: number; bytes: Buffer | undefined }>> {
  const out = new Map<string, { mode: number; bytes: Buffer | undefined }>();
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    const st = await stat(path.join(dir, rel));
    out.set(rel, { mode: st.mode & 0o7777, bytes: st.isFile() ? await readFile(path.join(dir, rel)) : undefined });
  }
  return out;
}

const paragraphs = (text: string): Map<string, [string, string][]> =>
  new Map(parseDeb822(text).map((p) => [`${p.get('Package') ?? ''}:${p.get('Architecture') ?? ''}`, p.fields.map((f): [string, string] => [f.name, f.value])]));

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jigtree-dpkgdb-'));
  debs = [...MIRROR_DEBS.map((d) => path.join(POOL, d)), await buildSynth(work)];
  const inputs = await Promise.all(debs.map((d) => inputFor(d, work)));
  generated = dpkgDatabase(inputs, { arch: 'amd64', foreignArchs: ['i386'] });

  ours = path.join(work, 'ours');
  for (const e of generated) {
    const p = path.join(ours, e.path);
    if ('dir' in e) await mkdir(p, { recursive: true, mode: e.mode });
    else {
      await mkdir(path.dirname(p), { recursive: true });
      await writeFile(p, e.bytes, { mode: e.mode });
      await chmod(p, e.mode);
    }
  }
  for (const d of debs) await run('dpkg-deb', ['-x', d, ours]);

  theirs = path.join(work, 'theirs');
  await mkdir(path.join(theirs, 'var/lib/dpkg/info'), { recursive: true });
  await mkdir(path.join(theirs, 'var/lib/dpkg/updates'), { recursive: true });
  await writeFile(path.join(theirs, 'var/lib/dpkg/status'), '');
  await run('dpkg', [`--root=${theirs}`, '--add-architecture', 'i386']);
  await run('dpkg', [`--root=${theirs}`, '--force-all', '--unpack', ...debs]);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('dpkgDatabase against dpkg --unpack', () => {
  it('writes status paragraphs with dpkg\'s fields, order and values (conffile hashes aside)', async () => {
    const mine = paragraphs(await readFile(path.join(ours, 'var/lib/dpkg/status'), 'utf8'));
    const real = paragraphs(await readFile(path.join(theirs, 'var/lib/dpkg/status'), 'utf8'));
    expect([...mine.keys()]).toEqual([...real.keys()]); // same packages, same (sorted) order
    expect(mine.size).toBe(6);
    for (const [key, fields] of real) {
      const m = mine.get(key) ?? [];
      // dpkg records `newconffile` until configure (and keeps the file as .dpkg-new); we record
      // the shipped md5 because our tree has the file in place. Paths and order must agree.
      const conf = (fs: [string, string][]): string[] => (fs.find(([n]) => n === 'Conffiles')?.[1] ?? '').split('\n').filter((l) => l !== '').map((l) => l.trim().split(' ')[0] ?? '');
      expect(conf(m), key).toEqual(conf(fields));
      const strip = (fs: [string, string][]): [string, string][] => fs.map(([n, v]): [string, string] => [n, n === 'Conffiles' ? '' : v]);
      expect(strip(m), key).toEqual(strip(fields));
    }
    // Our conffile md5s are the md5s of the files as unpacked.
    for (const fields of mine.values()) {
      for (const line of (fields.find(([n]) => n === 'Conffiles')?.[1] ?? '').split('\n').filter((l) => l.trim() !== '')) {
        const [file = '', sum = ''] = line.trim().split(' ');
        expect(await md5(await readFile(path.join(ours, file))), file).toBe(sum);
      }
    }
    expect(mine.get('synth:amd64')?.map(([n]) => n)).toContain('Protected');
  });

  it('writes the same info/, triggers/ and arch files with the same bytes and modes', async () => {
    const mine = await listTree(path.join(ours, 'var/lib/dpkg'));
    const real = await listTree(path.join(theirs, 'var/lib/dpkg'));
    // Only dpkg's own lock files and status backup are missing; we add empty available,
    // diversions and statoverride (what a debootstrapped system has).
    const dpkgOnly = ['lock', 'lock-frontend', 'status-old', 'triggers/Lock'];
    expect([...real.keys()].filter((k) => !mine.has(k)).sort()).toEqual(dpkgOnly.sort());
    expect([...mine.keys()].filter((k) => !real.has(k)).sort()).toEqual(['available', 'diversions', 'statoverride']);
    for (const [rel, r] of real) {
      if (dpkgOnly.includes(rel) || rel === 'status') continue;
      const m = mine.get(rel);
      expect(m?.mode, rel).toBe(r.mode);
      expect(m?.bytes?.toString('latin1'), rel).toBe(r.bytes?.toString('latin1'));
    }
    expect(real.get('triggers/File')?.bytes?.toString()).toContain('synth/noawait');
    expect(real.has('info/libattr1:amd64.list')).toBe(true);
  });

  it('reads back the same through dpkg-query -W and -L', async () => {
    const fmt = '-f=${Package}:${Architecture} ${Version} ${Status} ${db:Status-Abbrev}\n';
    const w = await dpkgQuery(ours, '-W', fmt);
    expect(w).toBe(await dpkgQuery(theirs, '-W', fmt));
    expect(w.split('\n').filter((l) => l !== '').every((l) => l.endsWith('install ok unpacked iU '))).toBe(true);
    for (const pkg of ['base-files', 'libattr1:amd64', 'debconf', 'synth']) {
      const files = await dpkgQuery(ours, '-L', pkg);
      expect(files, pkg).toBe(await dpkgQuery(theirs, '-L', pkg));
      expect(files.split('\n').length, pkg).toBeGreaterThan(3);
    }
  });

  it('dpkg --audit and -C report exactly the unpacked, unconfigured packages', async () => {
    const audit = await dpkgOut(ours, '--audit');
    expect(audit).toBe(await dpkgOut(theirs, '--audit'));
    expect(audit).toContain('have been unpacked but not yet configured');
    for (const name of ['base-files', 'libattr1:amd64', 'libc-bin', 'debconf', 'debianutils', 'synth']) expect(audit).toMatch(new RegExp(`^ ${name} `, 'm'));
    expect(audit.split('\n').filter((l) => l.startsWith(' ')).length).toBe(6);
    expect(await dpkgOut(ours, '-C')).toBe(audit);
    const list = await dpkgOut(ours, '-l');
    expect(list).toMatch(/^iU {2}base-files /m);
    expect(await dpkgOut(ours, '--print-foreign-architectures')).toBe('i386\n');
  });
});
