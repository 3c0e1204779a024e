/*
 * What dpkg-deb, GNU tar and Python's tarfile say about a .deb, for the oracle tests
 * (test/oracle/deb-*.test.ts). One Python process
 * handles a list of .debs: for each it runs `dpkg-deb --fsys-tarfile` and lists and hashes every
 * member with tarfile, runs `dpkg-deb -f` and `dpkg-deb --ctrl-tarfile` for the control data,
 * walks the ar members itself, and parses the relationship fields with its own regex. Nothing
 * here shares code with the readers under test.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import path from 'node:path';
import { readDeb, type DebPackage, type ReadDebOptions } from '../../src/unpack/deb/read-deb.js';
import type { PackageDepExpr } from '../../src/unpack/types.js';
import { multilineDeb822Value, parseDebianVersion } from '../../src/pkg/index.js';
import { expect } from 'vitest';

const run = promisify(execFile);

/** One data.tar entry in the shape both sides are compared in. */
export type ListedEntry = {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  user: string | null;
  group: string | null;
  size: number;
  mtime: number;
  linkTarget: string | null;
  rdev: [number, number] | null;
  xattrs: [string, string][];
  sha256: string | null;
};

/** A dependency as the Python side parses it: alternatives of [name, op, version]. */
export type ListedDep = [string, string | null, string | null][];

/** Everything the oracle reports about one .deb. */
export type OracleDeb = {
  entries: ListedEntry[];
  fields: [string, string][];
  deps: Record<string, ListedDep[]>;
  controlFiles: Record<string, { size: number; mode: number; text: string | null }>;
  ar: [string, number][];
};

const ORACLE_PY = String.raw`
import hashlib, json, re, subprocess, sys, tarfile

def norm(p):
    segs = [s for s in p.split('/') if s not in ('', '.')]
    return '/' + '/'.join(segs)

TYPES = {tarfile.REGTYPE: 'file', tarfile.AREGTYPE: 'file', tarfile.CONTTYPE: 'file',
         tarfile.LNKTYPE: 'hardlink', tarfile.SYMTYPE: 'symlink', tarfile.CHRTYPE: 'chardev',
         tarfile.BLKTYPE: 'blockdev', tarfile.DIRTYPE: 'dir', tarfile.FIFOTYPE: 'fifo'}

def tar_members(cmd, keep_bytes=False):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    out = []
    with tarfile.open(fileobj=p.stdout, mode='r|') as tf:
        for ti in tf:
            t = TYPES[ti.type]
            e = {'path': norm(ti.name), 'type': t, 'mode': ti.mode & 0o7777, 'uid': ti.uid,
                 'gid': ti.gid, 'user': ti.uname or None, 'group': ti.gname or None,
                 'size': ti.size if t == 'file' else 0, 'mtime': ti.mtime,
                 'linkTarget': norm(ti.linkname) if t == 'hardlink' else (ti.linkname if t == 'symlink' else None),
                 'rdev': [ti.devmajor, ti.devminor] if t in ('chardev', 'blockdev') else None,
                 'xattrs': sorted([k[len('SCHILY.xattr.'):], v.encode('utf-8', 'surrogateescape').hex()]
                                  for k, v in ti.pax_headers.items() if k.startswith('SCHILY.xattr.')),
                 'sha256': None}
            if t == 'file':
                f = tf.extractfile(ti)
                h = hashlib.sha256()
                data = b''
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    h.update(b)
                    if keep_bytes:
                        data += b
                e['sha256'] = h.hexdigest()
                if keep_bytes:
                    e['bytes'] = data
            out.append(e)
    while p.stdout.read(1 << 16):
        pass
    if p.wait() != 0:
        sys.exit('%s failed' % ' '.join(cmd))
    return out

def fields(deb):
    text = subprocess.run(['dpkg-deb', '-f', deb], check=True, capture_output=True).stdout.decode('utf-8')
    out = []
    for line in text.split('\n'):
        if line == '':
            continue
        if line[0] in ' \t':
            out[-1][1] += '\n' + line
        else:
            name, _, value = line.partition(':')
            out.append([name, value.lstrip(' \t')])
    # dpkg keeps blanks at the end of inner lines (the first included) and trims the value's end.
    return [[n, v.rstrip()] for n, v in out]

OPS = {'<<': '<', '<=': '<=', '=': '=', '>=': '>=', '>>': '>', '<': '<=', '>': '>='}
REL = re.compile(r'^\s*([A-Za-z0-9][A-Za-z0-9+._-]*(?::[A-Za-z0-9-]+)?)\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^\s()]+)\s*\))?\s*$')

def deps(value):
    out = []
    for item in value.replace('\n', ' ').split(','):
        if item.strip() == '':
            continue
        alts = []
        for alt in item.split('|'):
            m = REL.match(alt)
            if not m:
                sys.exit('oracle cannot parse relation %r' % alt)
            alts.append([m.group(1), OPS[m.group(2)] if m.group(2) else None, m.group(3)])
        out.append(alts)
    return out

DEP_FIELDS = ['Depends', 'Pre-Depends', 'Recommends', 'Suggests', 'Enhances', 'Breaks', 'Conflicts', 'Replaces', 'Provides', 'Built-Using']

def ar_members(deb):
    data = open(deb, 'rb').read()
    assert data[:8] == b'!<arch>\n'
    off, out = 8, []
    while off < len(data):
        h = data[off:off + 60]
        name = h[:16].decode('ascii').rstrip(' ')
        if name.endswith('/'):
            name = name[:-1]
        size = int(h[48:58].decode('ascii'))
        out.append([name, size])
        off += 60 + size + (size & 1)
    return out

result = {}
for deb in json.load(sys.stdin):
    ctrl = {}
    for e in tar_members(['dpkg-deb', '--ctrl-tarfile', deb], keep_bytes=True):
        if e['type'] == 'file' and e['path'].count('/') == 1:
            try:
                text = e['bytes'].decode('utf-8')
            except UnicodeDecodeError:
                text = None
            ctrl[e['path'][1:]] = {'size': e['size'], 'mode': e['mode'], 'text': text}
    f = fields(deb)
    fmap = {k.lower(): v for k, v in f}
    result[deb] = {
        'entries': tar_members(['dpkg-deb', '--fsys-tarfile', deb]),
        'fields': f,
        'deps': {k.lower(): deps(fmap.get(k.lower(), '')) for k in DEP_FIELDS},
        'controlFiles': ctrl,
        'ar': ar_members(deb),
    }
json.dump(result, sys.stdout)
`;

/** Runs the Python/dpkg-deb oracle over `debs` (one process for all). */
export async function oracle(debs: string[]): Promise<Record<string, OracleDeb>> {
  const child = execFile('python3', ['-c', ORACLE_PY], { maxBuffer: 1 << 30 });
  const done = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`python3 oracle exited ${code}: ${err}`));
    });
  });
  child.stdin?.end(JSON.stringify(debs));
  return JSON.parse(await done) as Record<string, OracleDeb>;
}

/** Our reading of a .deb, in the oracle's shapes. */
export type OurDeb = { pkg: DebPackage; entries: ListedEntry[]; configPaths: string[] };

/** Reads a .deb with readDeb, hashing every regular file's content. */
export async function readOurs(deb: string, opts: Partial<ReadDebOptions> = {}): Promise<OurDeb> {
  const pkg = await readDeb(createReadStream(deb, { highWaterMark: 256 * 1024 }), { file: path.basename(deb), ...opts });
  const entries: ListedEntry[] = [];
  const configPaths: string[] = [];
  for await (const e of pkg.entries()) {
    let sha256: string | null = null;
    if (e.body !== undefined) {
      const h = createHash('sha256');
      for await (const c of e.body) h.update(c);
      sha256 = h.digest('hex');
    }
    if (e.flags.config) configPaths.push(e.path);
    entries.push({
      path: e.path,
      type: e.type,
      mode: e.mode,
      uid: e.uid ?? -1,
      gid: e.gid ?? -1,
      user: e.user ?? null,
      group: e.group ?? null,
      size: e.size,
      mtime: e.mtime,
      linkTarget: e.linkTarget ?? null,
      rdev: e.rdev === undefined ? null : [e.rdev.major, e.rdev.minor],
      xattrs: e.xattrs.map(([n, v]) => [n, Buffer.from(v).toString('hex')]),
      sha256,
    });
  }
  return { pkg, entries, configPaths };
}

/** A parsed dependency field in the oracle's shape. */
export function listedDeps(exprs: PackageDepExpr[]): ListedDep[] {
  return exprs.map((x) => {
    if ('rich' in x) throw new Error('rich dependency in a .deb');
    const alts = 'anyOf' in x ? x.anyOf : [x];
    return alts.map((d): [string, string | null, string | null] => [d.name, d.op ?? null, d.version ?? null]);
  });
}

/** One line of GNU tar's verbose listing, parsed into the oracle's terms. */
export type GnuTarLine = {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  /** Size for regular files (0 for the rest), as GNU tar prints it. */
  size: number;
  rdev: [number, number] | null;
  /** Whole seconds (tar prints a fraction only for pax times). */
  mtime: number;
  linkTarget: string | null;
};

const GNU_TYPES: Record<string, string> = { '-': 'file', h: 'hardlink', l: 'symlink', c: 'chardev', b: 'blockdev', d: 'dir', p: 'fifo' };

function parseGnuMode(s: string): number {
  let m = 0;
  const bits = [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1];
  const specials: Record<number, number> = { 2: 0o4000, 5: 0o2000, 8: 0o1000 };
  for (let i = 0; i < 9; i++) {
    const c = s[i] ?? '-';
    if (c !== '-' && c !== 'S' && c !== 'T') m |= bits[i] ?? 0;
    if (c === 's' || c === 'S' || c === 't' || c === 'T') m |= specials[i] ?? 0;
  }
  return m;
}

function normalize(p: string): string {
  const segs = p.split('/').filter((s) => s !== '' && s !== '.');
  return `/${segs.join('/')}`;
}

/**
 * `dpkg-deb --fsys-tarfile X | tar -tv --numeric-owner --full-time`, parsed (TZ=UTC, names
 * printed literally; a name containing " -> " or " link to " would confuse it, so test trees
 * avoid those).
 */
export async function gnuTarListing(deb: string): Promise<GnuTarLine[]> {
  const { stdout } = await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -tv --numeric-owner --full-time --quoting-style=literal', 'sh', deb], {
    maxBuffer: 64 << 20,
    env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' },
  });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const m = /^(.)(\S{9}) (\d+)\/(\d+) +(\d+|\d+,\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (.*)$/.exec(line);
      if (m === null) throw new Error(`cannot parse tar listing line ${JSON.stringify(line)}`);
      const [, t = '', perms = '', uid = '', gid = '', size = '', date = '', rest = ''] = m;
      const type = GNU_TYPES[t];
      if (type === undefined) throw new Error(`unknown type in ${line}`);
      let name = rest;
      let linkTarget: string | null = null;
      const sep = type === 'symlink' ? ' -> ' : type === 'hardlink' ? ' link to ' : undefined;
      if (sep !== undefined) {
        const i = rest.indexOf(sep);
        name = rest.slice(0, i);
        linkTarget = type === 'hardlink' ? normalize(rest.slice(i + sep.length)) : rest.slice(i + sep.length);
      }
      const dev = size.includes(',') ? (size.split(',').map(Number) as [number, number]) : null;
      return {
        path: normalize(name),
        type,
        mode: parseGnuMode(perms),
        uid: Number(uid),
        gid: Number(gid),
        size: dev === null ? Number(size) : 0,
        rdev: dev,
        mtime: Math.floor(Date.parse(`${date.slice(0, 19).replace(' ', 'T')}Z`) / 1000),
        linkTarget,
      };
    });
}

/** Our entry in GnuTarLine terms (whole-second mtime, as tar prints it). */
export function asGnuTarLine(e: ListedEntry): GnuTarLine {
  return { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, rdev: e.rdev, mtime: Math.floor(e.mtime), linkTarget: e.linkTarget };
}

/**
 * Asserts that our reading of a .deb agrees with the oracle's on everything both can see:
 * data.tar entries (metadata and sha256, and GNU tar's listing), control fields, relationship
 * fields, control.tar files, md5sums, conffiles (and the entries flagged config), maintainer
 * scripts, triggers, ar members.
 */
export function expectMatchesOracle(ours: OurDeb, o: OracleDeb, gnu: GnuTarLine[]): void {
  const { pkg } = ours;

  // data.tar: every entry, in order, with content hashes.
  expect(ours.entries.length).toBeGreaterThan(0);
  expect(ours.entries).toEqual(o.entries);
  expect(ours.entries.map(asGnuTarLine)).toEqual(gnu);

  // Control fields: every field dpkg-deb -f prints, same order, same raw value.
  expect(pkg.deb.control.fields.map((f) => [f.name, f.value])).toEqual(o.fields);
  expect(pkg.info.fields).toEqual(Object.fromEntries(o.fields));
  const field = (name: string): string => o.fields.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? '';
  expect(pkg.info).toMatchObject({ kind: 'deb', name: field('Package'), version: field('Version'), arch: field('Architecture'), release: undefined });
  expect(pkg.info.epoch).toBe(parseDebianVersion(field('Version')).epoch);
  const description = multilineDeb822Value(field('Description'));
  expect(pkg.info.summary).toBe(description[0]);
  expect(pkg.info.description).toBe(description.slice(1).join('\n'));
  for (const [key, deps] of Object.entries(o.deps)) expect([key, listedDeps(pkg.info.deps[key] ?? [])]).toEqual([key, deps]);

  // control.tar: files, md5sums, conffiles (and the entries flagged as config), scripts, triggers.
  expect(pkg.deb.controlFiles.map(({ name, mode, size }) => ({ name, mode, size }))).toEqual(Object.entries(o.controlFiles).map(([name, f]) => ({ name, mode: f.mode, size: f.size })).sort((a, b) => (a.name < b.name ? -1 : 1)));
  for (const f of pkg.deb.controlFiles) {
    const text = o.controlFiles[f.name]?.text;
    if (text !== null && text !== undefined) expect(Buffer.from(f.bytes).toString('utf8'), `control member ${f.name}`).toBe(text);
  }
  const md5Text = o.controlFiles['md5sums']?.text ?? '';
  const md5 = md5Text.split('\n').filter((l) => l !== '').map((l) => [`/${l.slice(34)}`, l.slice(0, 32)]);
  expect([...pkg.deb.md5sums]).toEqual(md5);
  const conffiles = (o.controlFiles['conffiles']?.text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  expect(pkg.deb.conffiles).toEqual(conffiles.map((p) => ({ path: p, flags: [] })));
  expect(ours.configPaths).toEqual(ours.entries.map((e) => e.path).filter((p) => conffiles.includes(p)));
  const scripts = ['preinst', 'postinst', 'prerm', 'postrm', 'config'].filter((s) => s in o.controlFiles);
  expect(pkg.deb.scripts.map((s) => [s.name, s.body])).toEqual(scripts.map((s) => [s, o.controlFiles[s]?.text]));
  expect(pkg.info.scripts).toBe(pkg.deb.scripts);
  for (const s of pkg.deb.scripts) expect(s.interpreter).toBe(/^#!\s*(\S+)/.exec(s.body)?.[1]);
  const triggers = o.controlFiles['triggers']?.text;
  expect(pkg.deb.triggers).toEqual(
    triggers?.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
      const [directive, name] = l.split(/\s+/);
      return { directive, name };
    }),
  );
  expect([pkg.deb.shlibs, pkg.deb.symbols, pkg.deb.templates]).toEqual(['shlibs', 'symbols', 'templates'].map((f) => f in o.controlFiles));

  // ar members.
  expect(pkg.deb.formatVersion).toBe('2.0');
  expect([['debian-binary', 4], [pkg.deb.controlMember.name, pkg.deb.controlMember.size], [pkg.deb.dataMember.name, pkg.deb.dataMember.size]]).toEqual(o.ar);
  expect(pkg.info.payloadCompressor).toBe(pkg.deb.dataMember.compression);
}
