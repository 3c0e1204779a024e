// Oracle: the rpm-md readers (src/repos) against rpm 4.18 and createrepo_c on the repository
// ../shared/tools/make-rpm-repo builds (33 packages: rich deps, epochs, scriptlet requires,
// file deps, ELF sonames, weak deps). Never skipped: a missing tool fails.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { rpmvercmp } from '../../src/pkg/index.js';
import { parseFilelists, parsePrimary, parseRepomd, type FilelistsEntry, type Repomd, type RpmDepEntry, type RpmPackageRecord } from '../../src/repos/index.js';
import { BUILD_DIR, SHARED_TOOLS } from '../helpers/paths.js';

const run = promisify(execFile);
const OUT = path.join(BUILD_DIR, 'rpm-repo');
const REPO = path.join(OUT, 'repo');

/** rpm's dependency kinds, as header tag prefix → our record field. */
const KINDS = [
  ['PROVIDE', 'provides'],
  ['REQUIRE', 'requires'],
  ['CONFLICT', 'conflicts'],
  ['OBSOLETE', 'obsoletes'],
  ['RECOMMEND', 'recommends'],
  ['SUGGEST', 'suggests'],
  ['SUPPLEMENT', 'supplements'],
  ['ENHANCE', 'enhances'],
] as const;
type DepField = (typeof KINDS)[number][1];

// rpmds.h sense bits: LESS|GREATER|EQUAL; and the Requires flags createrepo_c marks pre="1"
// (PREREQ 1<<6, PRETRANS 1<<7, SCRIPT_PRE 1<<9, SCRIPT_POST 1<<10, POSTTRANS 1<<5).
const SENSE = 0x0e;
const PRE_BITS = (1 << 6) | (1 << 7) | (1 << 9) | (1 << 10) | (1 << 5);

type RpmTruth = { file: string; sourcerpm: string; name: string; epoch: number; version: string; release: string; arch: string; deps: Record<DepField, { name: string; flags: number; evr: string }[]>; files: string[] };

/** Everything rpm says about one package, in one `rpm -qp --qf` call. */
async function rpmTruth(file: string): Promise<RpmTruth> {
  const qf = `H\t%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n${KINDS.map(([t]) => `[${t}\t%{${t}NAME}\t%{${t}FLAGS}\t%{${t}VERSION}\n]`).join('')}[FILE\t%{FILENAMES}\n]`;
  const { stdout } = await run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', qf, file], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const t: RpmTruth = { file, sourcerpm: '', name: '', epoch: 0, version: '', release: '', arch: '', deps: { provides: [], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [] }, files: [] };
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [tag = '', a = '', b = '', c = '', d = '', e = '', f = ''] = line.split('\t');
    if (tag === 'H') Object.assign(t, { name: a, epoch: b === '(none)' ? 0 : Number(b), version: c, release: d, arch: e, sourcerpm: f });
    else if (tag === 'FILE') t.files.push(a);
    else {
      const kind = KINDS.find(([k]) => k === tag);
      if (kind === undefined) throw new Error(`unexpected rpm output line ${JSON.stringify(line)}`);
      // rpm prints an explicit 0 epoch ("0:1.0"); primary's epoch="0" means the same (§1.2).
      t.deps[kind[1]].push({ name: a, flags: Number(b), evr: c.replace(/^0:/, '') });
    }
  }
  return t;
}

/** createrepo_c's primary subset test (cr_is_primary; depsolve.md §2.5). */
function isPrimaryPath(p: string): boolean {
  return p.startsWith('/etc/') || p.includes('bin/') || p === '/usr/lib/sendmail';
}

const entry = (name: string, flags: number, evr: string, pre: boolean): RpmDepEntry => ({
  name,
  flags: flags & SENSE,
  evr,
  ...(pre ? { pre: true as const } : {}),
  ...(name.startsWith('(') ? { rich: true as const } : {}),
});

/**
 * What createrepo_c 0.17 writes to <rpm:requires> for rpm's Requires (parsehdr.c; depsolve.md
 * §2.5), so the comparison is exact rather than "a subset": it drops rpmlib(...) feature deps
 * (rpm's own capability checks), file requires on the package's own primary files, requires
 * equal to one of its own provides (e.g. config(N) = EVR), and duplicates of (name, sense, EVR)
 * (/bin/sh for both %pre and %post becomes one entry; pre from the first); and it keeps one
 * libc.so.6 requirement, the one with the highest GLIBC_ version, since glibc provides all
 * lower ones too.
 */
function expectedRequires(t: RpmTruth): RpmDepEntry[] {
  const ownPrimary = new Set(t.files.filter(isPrimaryPath));
  const provided = new Set(t.deps.provides.map((p) => `${p.name}\0${p.flags & SENSE}\0${p.evr}`));
  const seen = new Set<string>();
  const out: RpmDepEntry[] = [];
  let libc: { name: string; flags: number; evr: string } | undefined;
  const glibcVersion = (name: string): string => /\(GLIBC_([^)]*)\)/.exec(name)?.[1] ?? '';
  for (const r of t.deps.requires) {
    const key = `${r.name}\0${r.flags & SENSE}\0${r.evr}`;
    if (r.name.startsWith('rpmlib(')) continue;
    if (r.name.startsWith('/') && ownPrimary.has(r.name)) continue;
    if (provided.has(key)) continue;
    if (r.name.startsWith('libc.so.6')) {
      if (libc === undefined || rpmvercmp(glibcVersion(r.name), glibcVersion(libc.name)) > 0) libc = r;
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry(r.name, r.flags, r.evr, (r.flags & PRE_BITS) !== 0));
  }
  if (libc !== undefined) out.push(entry(libc.name, libc.flags, libc.evr, (libc.flags & PRE_BITS) !== 0));
  return out;
}

const sortDeps = (l: RpmDepEntry[]): RpmDepEntry[] => [...l].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.evr < b.evr ? -1 : a.evr > b.evr ? 1 : a.flags - b.flags));

async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** Streams a compressed repodata file decompressed through `xz -dc` / `gzip -dc` / `zstd -dc`. */
function decompressed(file: string): AsyncIterable<Uint8Array> {
  const tool = file.endsWith('.xz') ? 'xz' : file.endsWith('.gz') ? 'gzip' : file.endsWith('.zst') ? 'zstd' : 'cat';
  const child = spawn(tool, tool === 'cat' ? [file] : ['-dc', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return child.stdout;
}

let repomd: Repomd;
let records: RpmPackageRecord[];
let filelists: FilelistsEntry[];
let rpms: string[];

function dataFile(type: string): string {
  const d = repomd.data.get(type);
  if (d === undefined) throw new Error(`repomd.xml has no ${type}`);
  return path.join(REPO, d.location);
}

beforeAll(async () => {
  // Idempotent: a rebuild with unchanged specs changes nothing (SOURCE_DATE_EPOCH builds).
  await run(path.join(SHARED_TOOLS, 'make-rpm-repo'), ['--no-verify', '--compress', 'xz', OUT], { maxBuffer: 64 * 1024 * 1024 });
  repomd = parseRepomd(readFileSync(path.join(REPO, 'repodata', 'repomd.xml'), 'utf8'), { file: 'repodata/repomd.xml' });
  records = [];
  for await (const r of parsePrimary(decompressed(dataFile('primary')), { repoId: 'demo', file: 'primary.xml' })) records.push(r);
  filelists = [];
  for await (const f of parseFilelists(decompressed(dataFile('filelists')), { file: 'filelists.xml' })) filelists.push(f);
  rpms = [];
  for (const dir of ['noarch', 'x86_64']) for (const f of await readdir(path.join(REPO, dir))) if (f.endsWith('.rpm')) rpms.push(`${dir}/${f}`);
  rpms.sort();
}, 600_000);

describe('rpm-md readers against createrepo_c output and rpm', () => {
  it('repomd.xml: every file exists with the recorded checksum, size, and open checksum/size', async () => {
    expect([...repomd.data.keys()].sort()).toEqual(['filelists', 'filelists_db', 'other', 'other_db', 'primary', 'primary_db']);
    for (const d of repomd.data.values()) {
      const file = path.join(REPO, d.location);
      expect(d.checksum.algo).toBe('sha256');
      expect(await sha256File(file), d.type).toBe(d.checksum.hex);
      expect((await stat(file)).size, d.type).toBe(d.size);
      const h = createHash('sha256');
      let n = 0;
      for await (const chunk of decompressed(file)) {
        h.update(chunk);
        n += chunk.length;
      }
      expect(h.digest('hex'), `${d.type} open-checksum`).toBe(d.openChecksum?.hex);
      expect(n, `${d.type} open-size`).toBe(d.openSize);
    }
    expect(repomd.revision).toMatch(/^\d+$/);
  });

  it('primary.xml has one record per .rpm, at its location, with its size and sha256', async () => {
    expect(records.map((r) => r.location).sort()).toEqual(rpms);
    for (const r of records) {
      const file = path.join(REPO, r.location);
      expect(existsSync(file), r.location).toBe(true);
      expect(r.repoId).toBe('demo');
      expect(r.digest.algo).toBe('sha256');
      expect(await sha256File(file), r.location).toBe(r.digest.hex);
      expect((await stat(file)).size, r.location).toBe(r.size);
    }
  });

  it('names, EVRs, arches, dependencies and primary files equal what rpm reads from each package', async () => {
    let pre = 0;
    let rich = 0;
    let epochs = 0;
    for (const r of records) {
      const t = await rpmTruth(path.join(REPO, r.location));
      expect({ name: r.name, epoch: r.epoch, version: r.version, release: r.release, arch: r.arch }, r.location).toEqual({ name: t.name, epoch: t.epoch, version: t.version, release: t.release, arch: t.arch });
      expect(r.sourcerpm, r.location).toBe(t.sourcerpm);
      for (const [, field] of KINDS) {
        // Only Requires carry pre="1" (the scriptlet bits); the other kinds are taken whole.
        const want = field === 'requires' ? expectedRequires(t) : t.deps[field].map((d) => entry(d.name, d.flags, d.evr, false));
        expect(sortDeps(r[field]), `${r.location} ${field}`).toEqual(sortDeps(want));
      }
      expect(r.files, r.location).toEqual(t.files.filter(isPrimaryPath));
      pre += r.requires.filter((d) => d.pre === true).length;
      rich += Object.values(KINDS).flatMap(([, f]) => r[f]).filter((d) => d.rich === true).length;
      if (r.epoch > 0) epochs++;
    }
    // The fixture exercises what this test is about; if make-rpm-repo changes, notice it here.
    expect(pre).toBeGreaterThan(0);
    expect(rich).toBeGreaterThan(0);
    expect(epochs).toBeGreaterThan(0);
  });

  it('filelists.xml has every path rpm -qpl lists for every package, joined by pkgid', async () => {
    expect(filelists).toHaveLength(records.length);
    const byId = new Map(filelists.map((f) => [f.pkgid, f]));
    for (const r of records) {
      const f = byId.get(r.digest.hex);
      expect(f, r.location).toMatchObject({ name: r.name, arch: r.arch });
      const { stdout } = await run('rpm', ['-qpl', '--nosignature', '--nodigest', path.join(REPO, r.location)], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
      const listed = stdout.split('\n').filter((l) => l !== '' && l !== '(contains no files)');
      expect([...(f?.files ?? [])].sort(), r.location).toEqual(listed.sort());
    }
  });
});
