// Oracle: the apt readers (src/repos/apt) on the real, still-signed bookworm main/amd64 index
// that ../shared/tools/make-apt-index copies (63,440 packages, metadata only). The InRelease
// framing is checked against gpgv's own output of the signed text, the Release fields and every
// Packages paragraph against apt's parser (python3-apt: apt_pkg.TagFile, apt_pkg.parse_depends).
// Never skipped: a missing tool or module fails.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DebRelationExpr } from '../../src/pkg/index.js';
import { parsePackages, parseRelease, type DebPackageRecord, type Release } from '../../src/repos/index.js';
import { ensureAptIndex } from '../helpers/apt-oracle.js';
import { BUILD_DIR } from '../helpers/paths.js';

const run = promisify(execFile);
const OUT = path.join(BUILD_DIR, 'apt-index');
const DISTS = path.join(OUT, 'dists', 'bookworm');
const INRELEASE = path.join(DISTS, 'InRelease');
const INDEX_DIR = 'main/binary-amd64';
const PACKAGES = path.join(DISTS, INDEX_DIR, 'Packages');
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
// python3-apt is installed for the system interpreter, not for a pyenv or venv one on PATH.
const PYTHON = '/usr/bin/python3';

const RELATION_FIELDS = ['Depends', 'Pre-Depends', 'Recommends', 'Suggests', 'Enhances', 'Conflicts', 'Breaks', 'Provides', 'Replaces'] as const;
type RelationField = (typeof RELATION_FIELDS)[number];
const RECORD_FIELD: Record<RelationField, keyof DebPackageRecord> = {
  Depends: 'depends',
  'Pre-Depends': 'preDepends',
  Recommends: 'recommends',
  Suggests: 'suggests',
  Enhances: 'enhances',
  Conflicts: 'conflicts',
  Breaks: 'breaks',
  Provides: 'provides',
  Replaces: 'replaces',
};
const RAW_FIELDS = ['Package', 'Version', 'Architecture', 'Filename', 'Size', 'SHA256', 'MD5sum', 'Installed-Size', 'Multi-Arch', 'Essential', 'Protected', 'Priority', 'Source'] as const;

/**
 * apt's reading of every paragraph, one JSON line each: the raw fields above (null when absent)
 * and each relationship field as apt_pkg.parse_depends gives it (groups of alternatives, each
 * [name with arch qualifier, version, op]; apt writes `<<`/`>>` as `<`/`>`, as our records do).
 * Also the InRelease fields through apt's own clearsign handling (open_maybe_clear_signed_file).
 */
const APT_SCRIPT = `
import apt_pkg, json, os, sys
apt_pkg.init()
raw, rels = ${JSON.stringify(RAW_FIELDS)}, ${JSON.stringify(RELATION_FIELDS)}
with open(sys.argv[3], 'w') as out:
    with apt_pkg.TagFile(sys.argv[1]) as tf:
        for s in tf:
            out.write(json.dumps([[s.get(f) for f in raw], {f: apt_pkg.parse_depends(s[f], False) for f in rels if f in s}]) + '\\n')
    fd = apt_pkg.open_maybe_clear_signed_file(sys.argv[2])
    with os.fdopen(fd) as f:
        sec = next(iter(apt_pkg.TagFile(f)))
        rel = {k: sec[k] for k in sec.keys()}
        rel['Date-Seconds'] = apt_pkg.str_to_time(sec['Date'])
        out.write(json.dumps(rel) + '\\n')
`;

type AptParagraph = [(string | null)[], Partial<Record<RelationField, [string, string, string][][]>>];

/** Our relation entries in apt_pkg.parse_depends' shape. */
const aptShape = (l: DebRelationExpr[]): [string, string, string][][] => l.map((e) => ('anyOf' in e ? e.anyOf : [e]).map((r) => [r.name, r.version ?? '', r.op ?? '']));

/** What apt's raw fields say our record must hold (the parser's documented normalizations). */
function expectedFromApt([raw, rels]: AptParagraph): Record<string, unknown> {
  const [name, version, arch, filename, size, sha256, md5, installed, multiArch, essential, prot, priority, source] = raw;
  const src = source === null || source === undefined ? undefined : /^(\S+)(?: \((\S+)\))?$/.exec(source);
  return {
    name,
    version,
    arch,
    location: filename,
    size: Number(size),
    digest: { algo: 'sha256', hex: sha256?.toLowerCase() },
    md5: md5?.toLowerCase(),
    installedSize: installed === null ? 0 : Number(installed),
    multiArch: multiArch?.toLowerCase(),
    essential: essential?.toLowerCase() === 'yes',
    protected: prot === null || prot === undefined ? undefined : prot.toLowerCase() === 'yes',
    priority: priority ?? undefined,
    source: src === undefined ? undefined : src === null ? `unparsable ${source ?? ''}` : { name: src[1], ...(src[2] === undefined ? {} : { version: src[2] }) },
    relations: Object.fromEntries(RELATION_FIELDS.map((f) => [f, rels[f] ?? []])),
  };
}

/** The same projection of our record. */
function projection(r: DebPackageRecord): Record<string, unknown> {
  return {
    name: r.name,
    version: r.version,
    arch: r.arch,
    location: r.location,
    size: r.size,
    digest: r.digest,
    md5: r.md5,
    installedSize: r.installedSize,
    multiArch: r.multiArch,
    essential: r.essential,
    protected: r.protected,
    priority: r.priority,
    source: r.source,
    relations: Object.fromEntries(RELATION_FIELDS.map((f) => [f, aptShape(r[RECORD_FIELD[f]] as DebRelationExpr[])])),
  };
}

async function sha256File(file: string): Promise<{ size: number; sha256: string }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: h.digest('hex') };
}

let release: Release;
let records: DebPackageRecord[];
let apt: AptParagraph[];
let aptRelease: Record<string, string | number>;
let gpgvText: string;

beforeAll(async () => {
  // Built once per run by the global setup (ensureAptIndex); a no-op here when it is current.
  await ensureAptIndex(OUT);
  release = parseRelease(await readFile(INRELEASE, 'utf8'), { file: INRELEASE });
  records = [];
  for await (const r of parsePackages(createReadStream(PACKAGES), { repoId: 'bookworm', file: PACKAGES })) records.push(r);

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'jigtree-apt-index-'));
  try {
    const aptOut = path.join(tmp, 'apt.jsonl');
    try {
      await run(PYTHON, ['-c', APT_SCRIPT, PACKAGES, INRELEASE, aptOut]);
    } catch (err) {
      throw new Error(`${PYTHON} with python3-apt is needed (apt-get install python3-apt): ${String(err)}`);
    }
    const lines = (await readFile(aptOut, 'utf8')).split('\n').filter((l) => l !== '');
    aptRelease = JSON.parse(lines.pop() ?? '{}') as Record<string, string | number>;
    apt = lines.map((l) => JSON.parse(l) as AptParagraph);
    // gpgv checks the signature with Debian's keyring and writes out the signed text it checked.
    const signed = path.join(tmp, 'signed.txt');
    await run('gpgv', ['--keyring', KEYRING, '--output', signed, INRELEASE]);
    gpgvText = await readFile(signed, 'utf8');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}, 600_000);

describe('apt readers on the real bookworm index', () => {
  it('InRelease: the signed text equals what gpgv verified, and the fields equal apt_pkg\'s', () => {
    // RFC 4880 §7.1: the line break before the signature is not part of the text; gpgv writes one.
    expect(release.signedText).toBeDefined();
    expect(`${release.signedText ?? ''}\n`).toBe(gpgvText);
    const words = (k: string): string[] => String(aptRelease[k]).split(/\s+/).filter((w) => w !== '');
    expect(release).toMatchObject({
      origin: aptRelease['Origin'],
      label: aptRelease['Label'],
      suite: aptRelease['Suite'],
      codename: 'bookworm',
      version: aptRelease['Version'],
      date: aptRelease['Date-Seconds'],
      acquireByHash: aptRelease['Acquire-By-Hash'] === 'yes',
      noSupportForArchitectureAll: aptRelease['No-Support-for-Architecture-all'],
      architectures: words('Architectures'),
      components: words('Components'),
    });
    expect(release.codename).toBe(aptRelease['Codename']);
    expect(release.validUntil).toBe(undefined);
    // Every SHA256 line (and MD5Sum line) of the signed Release is one files entry.
    const sha = String(aptRelease['SHA256']).split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
    const md5 = String(aptRelease['MD5Sum']).split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
    expect(sha.length).toBeGreaterThan(700);
    expect(release.files.size).toBe(new Set([...sha, ...md5].map((p) => p[2])).size);
    for (const [hex, size, p] of sha) expect(release.files.get(p ?? ''), p).toMatchObject({ sha256: hex, size: Number(size) });
    for (const [hex, size, p] of md5) expect(release.files.get(p ?? ''), p).toMatchObject({ md5: hex, size: Number(size) });
  });

  it('Packages, Packages.xz and Packages.gz have the size and sha256 the signed Release lists', async () => {
    for (const name of ['Packages', 'Packages.xz', 'Packages.gz']) {
      const listed = release.files.get(`${INDEX_DIR}/${name}`);
      expect(listed, name).toBeDefined();
      expect(await sha256File(path.join(DISTS, INDEX_DIR, name)), name).toEqual({ size: listed?.size, sha256: listed?.sha256 });
    }
  });

  it('every paragraph becomes a record: as many as grep counts and as apt reads', async () => {
    const { stdout } = await run('grep', ['-c', '^Package:', PACKAGES]);
    const count = Number(stdout.trim());
    expect(count).toBeGreaterThan(60_000);
    expect(records).toHaveLength(count);
    expect(apt).toHaveLength(count);
    expect(records.every((r) => r.repoId === 'bookworm')).toBe(true);
  });

  it('every record equals apt_pkg\'s reading: identity, location, size, digests, flags and parsed relations', () => {
    const mismatches: { index: number; ours: unknown; apt: unknown }[] = [];
    records.forEach((r, i) => {
      const a = apt[i];
      const want = a === undefined ? undefined : expectedFromApt(a);
      const got = projection(r);
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ index: i, ours: got, apt: want });
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(mismatches).toHaveLength(0);
  });

  it('a seeded sample of 200 records agrees field by field (readable diffs), and the data covers every form', () => {
    // mulberry32: a fixed sample, so a failure reproduces.
    let seed = 0x5eed4;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let n = 0; n < 200; n++) {
      const i = Math.floor(random() * records.length);
      const r = records[i];
      const a = apt[i];
      expect(r && projection(r), `paragraph ${i}`).toEqual(a && expectedFromApt(a));
    }
    // The index exercises what the parser handles; if the data changes shape, notice it here.
    const all = records.flatMap((r) => [...r.depends, ...r.preDepends, ...r.recommends, ...r.provides, ...r.conflicts, ...r.breaks]);
    const flat = all.flatMap((e) => ('anyOf' in e ? e.anyOf : [e]));
    expect(all.some((e) => 'anyOf' in e)).toBe(true);
    expect(flat.some((r) => r.name.endsWith(':any'))).toBe(true);
    expect(new Set(flat.map((r) => r.op))).toEqual(new Set([undefined, '<', '<=', '=', '>=', '>']));
    expect(records.filter((r) => r.essential).length).toBe(23);
    expect(records.filter((r) => r.provides.some((p) => p.version !== undefined)).length).toBeGreaterThan(1000);
    expect(records.some((r) => r.source?.version !== undefined)).toBe(true);
    expect(new Set(records.map((r) => r.multiArch))).toEqual(new Set([undefined, 'same', 'foreign', 'allowed']));
  });
});
