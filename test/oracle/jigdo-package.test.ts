/*
 * Oracle: the jigdo set wrapped as a package (issue 6, `--as-package rpm|deb`, written by
 * src/jigdo/package) against the real tools: rpm 4.18 (rpm -qp, rpm -K, rpm2cpio | cpio,
 * rpm -i --root, rpm -V), createrepo_c, dpkg-deb (-I, -f, -c, -x, --info md5sums),
 * apt-ftparchive, dpkg -i --root and dpkg -V. Our own openPackage reads both back. Never
 * skipped: a missing tool fails.
 *
 * The fake jigdo set: jigdo.json (~300 KB), jigdo.json.asc, three parts/<sha256>.<role> files
 * (one 1.5 MiB), one part with a 170-byte file name (GNU long name in tar); ~100 exact pins.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debFileName, rpmFileName, writeDebPackage, writeRpmPackage, type PackageSpec, type WrittenPackage } from '../../src/jigdo/package/index.js';
import { openPackage } from '../../src/unpack/index.js';

const run = promisify(execFile);
const ENV = { ...process.env, LC_ALL: 'C.UTF-8' };

async function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const { stdout } = await run(cmd, args, { maxBuffer: 64 << 20, env: ENV, ...opts });
  return stdout;
}

/** `a | b` without a shell: a's stdout into b's stdin; b's stdout and stderr. */
async function pipe(a: [string, string[]], b: [string, string[]], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const pa = spawn(a[0], a[1], { env: ENV, cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    const pb = spawn(b[0], b[1], { env: ENV, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    pa.stdout.pipe(pb.stdin);
    let stdout = '';
    let stderr = '';
    pb.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    pb.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    pa.on('error', reject);
    pb.on('error', reject);
    pb.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${b[0]} exited ${String(code)}: ${stderr}`));
    });
  });
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

const ROOT = '/usr/share/jigtree/jigdo/demo-tree';
const MTIME = 1700000000;
let work: string;
/** name → bytes of every fake jigdo file, by install path. */
const content = new Map<string, Buffer>();
let files: PackageSpec['files'];

/** The fake jigdo set: commit-first order (jigdo.json, its signature, then parts, not sorted). */
async function makeJigdoSet(): Promise<void> {
  const src = path.join(work, 'src');
  await mkdir(src);
  const hex = (b: Buffer): string => sha256(b);
  const manifest = Buffer.from(JSON.stringify({ format: 1, packages: Array.from({ length: 3000 }, (_, i) => ({ name: `pkg-${i}`, digest: sha256(Buffer.from(String(i))) })) }));
  const big = randomBytes(1536 * 1024);
  const dirtree = randomBytes(300 * 1024);
  const small = randomBytes(700);
  const longName = randomBytes(100);
  const entries: [string, Buffer, number][] = [
    [`${ROOT}/jigdo.json`, manifest, 0o644],
    [`${ROOT}/jigdo.json.asc`, Buffer.from('-----BEGIN PGP SIGNATURE-----\nfake\n-----END PGP SIGNATURE-----\n'), 0o644],
    [`${ROOT}/parts/${hex(big)}.new`, big, 0o644],
    [`${ROOT}/parts/${hex(dirtree)}.dirtree`, dirtree, 0o644],
    [`${ROOT}/parts/${hex(small)}.commitmeta`, small, 0o600],
    // A 170-byte file name: neither a ustar name nor a prefix split can hold it (a GNU long name).
    [`${ROOT}/parts/${hex(longName).repeat(2)}.very-long-role-name-that-no-real-part-has`, longName, 0o644],
  ];
  files = [];
  for (const [i, [p, data, mode]] of entries.entries()) {
    const source = path.join(src, `f${i}`);
    await writeFile(source, data);
    content.set(p, data);
    files.push({ path: p, source, size: data.length, mode });
  }
}

/** ~100 pins: archful, noarch/all, with and without epochs. */
function pins(kind: 'rpm' | 'deb'): PackageSpec['requires'] {
  return Array.from({ length: 100 }, (_, i) => {
    const name = `pkg-${String(i).padStart(3, '0')}`;
    if (kind === 'rpm') {
      const arch = i % 3 === 0 ? 'noarch' : i % 7 === 0 ? 'i686' : 'x86_64';
      return { name, arch, evr: `${i % 5 === 0 ? `${i % 4 + 1}:` : ''}${i}.${i % 10}-${i % 3 + 1}.fc40` };
    }
    return { name, arch: i % 3 === 0 ? 'all' : 'amd64', evr: `${i % 5 === 0 ? `${i % 4 + 1}:` : ''}${i}.${i % 10}-${i % 3 + 1}+deb12u1` };
  });
}

function specFor(kind: 'rpm' | 'deb'): PackageSpec {
  return {
    name: 'demo-tree-jigdo', version: '42.20240101.0', release: '1', arch: kind === 'rpm' ? 'x86_64' : 'amd64',
    summary: 'Jigdo set of demo-tree 42.20240101.0', description: 'Rebuilds commit abc from the packages it pins.\n\nInstall it to get the set.',
    license: 'MIT', maintainer: 'Jig Tree <jig@example.org>', url: 'https://example.org/jigtree',
    requires: pins(kind),
    provides: [{ name: 'jigtree-jigdo(1)' }, { name: `jigtree-jigdo-commit(${'c'.repeat(64)})` }],
    files, mtime: MTIME,
  };
}

/** Directories the .deb data.tar lists: ./ and every parent of a file (dpkg-deb's layout). */
function debDirs(): string[] {
  const dirs = new Set<string>();
  for (const f of files) for (let d = path.posix.dirname(f.path); d !== '/'; d = path.posix.dirname(d)) dirs.add(d);
  return [...dirs].sort();
}

/** Everything openPackage streams: type, path, mode, size, sha256 of the body. */
async function readOurs(file: string): Promise<string[]> {
  const pkg = await openPackage(file);
  const out: string[] = [];
  for await (const e of pkg.entries()) {
    let digest = '';
    if (e.body !== undefined) {
      const h = createHash('sha256');
      for await (const c of e.body) h.update(c);
      digest = h.digest('hex');
    }
    out.push(`${e.type} ${e.path} ${e.mode.toString(8)} ${e.size} ${digest}`);
  }
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jigtree-jigdo-pkg-'));
  await makeJigdoSet();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('rpm', () => {
  let spec: PackageSpec;
  let rpm: string;
  let written: WrittenPackage;
  beforeAll(async () => {
    spec = specFor('rpm');
    await mkdir(path.join(work, 'rpm-repo'));
    rpm = path.join(work, 'rpm-repo', rpmFileName(spec));
    written = await writeRpmPackage(rpm, spec);
  });

  const rpmRequires = (): string[] => pins('rpm').map((d) => {
    const isa = d.arch === 'noarch' ? '' : d.arch === 'i686' ? '(x86-32)' : '(x86-64)';
    return `${d.name}${isa} = ${d.evr}`;
  });

  it('rpm -qp reads name, version, release, arch and the other header fields', async () => {
    const qf = '%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SUMMARY}|%{LICENSE}|%{URL}|%{BUILDTIME}|%{SOURCERPM}|%{GROUP}|%{OS}|%{SIZE}|%{PAYLOADCOMPRESSOR}\n';
    expect(await sh('rpm', ['-qp', '--qf', qf, rpm])).toBe(
      `demo-tree-jigdo|42.20240101.0|1|x86_64|${spec.summary}|MIT|https://example.org/jigtree|${MTIME}|demo-tree-jigdo-42.20240101.0-1.src.rpm|Unspecified|linux|${files.reduce((n, f) => n + f.size, 0)}|gzip\n`,
    );
    expect(await sh('rpm', ['-qp', '--qf', '%{DESCRIPTION}', rpm])).toBe(spec.description);
  });

  it('rpm -qp --requires and --provides list exactly the pins, rpmlib() and the provides', async () => {
    const requires = (await sh('rpm', ['-qp', '--requires', rpm])).trimEnd().split('\n');
    expect(requires).toHaveLength(103);
    expect([...requires].sort()).toEqual([
      ...rpmRequires(), 'rpmlib(CompressedFileNames) <= 3.0.4-1', 'rpmlib(FileDigests) <= 4.6.0-1', 'rpmlib(PayloadFilesHavePrefix) <= 4.0-1',
    ].sort());
    expect((await sh('rpm', ['-qp', '--provides', rpm])).trimEnd().split('\n')).toEqual([
      'demo-tree-jigdo = 42.20240101.0-1', 'demo-tree-jigdo(x86-64) = 42.20240101.0-1', 'jigtree-jigdo(1)', `jigtree-jigdo-commit(${'c'.repeat(64)})`,
    ]);
  });

  it('rpm -qpl and --dump list the owned directories and every file with its digest', async () => {
    const paths = [ROOT, `${ROOT}/parts`, ...files.map((f) => f.path)].sort();
    expect((await sh('rpm', ['-qpl', rpm])).trimEnd().split('\n')).toEqual(paths);
    const dump = (await sh('rpm', ['-qp', '--dump', rpm])).trimEnd().split('\n');
    const expected = paths.map((p) => {
      const data = content.get(p);
      const f = files.find((x) => x.path === p);
      return data === undefined || f === undefined
        ? `${p} 0 ${MTIME} ${'0'.repeat(64)} 040755 root root 0 0 0 X`
        : `${p} ${data.length} ${MTIME} ${sha256(data)} 0100${f.mode.toString(8)} root root 0 0 0 X`;
    });
    expect(dump).toEqual(expected);
  });

  it('rpm -K says every digest is OK', async () => {
    const out = await sh('rpm', ['-Kv', '--nosignature', rpm]);
    expect(out).toContain('Header SHA256 digest: OK');
    expect(out).toContain('Header SHA1 digest: OK');
    expect(out).toContain('Payload SHA256 digest: OK');
    expect(out).toContain('MD5 digest: OK');
    expect(out).not.toMatch(/BAD|NOT OK/);
    await expect(sh('rpm', ['--checksig', '--nosignature', rpm])).resolves.toMatch(/digests OK/);
  });

  it('rpm2cpio | cpio gives the same bytes, in the payload order we wrote', async () => {
    const dest = path.join(work, 'rpm2cpio');
    await mkdir(dest);
    const { stderr } = await pipe(['rpm2cpio', [rpm]], ['cpio', ['-idmv', '--no-absolute-filenames']], dest);
    // Owned directories first, then the files in spec order (commit-first), not sorted.
    expect(stderr.trim().split('\n').slice(0, -1)).toEqual([`.${ROOT}`, `.${ROOT}/parts`, ...files.map((f) => `.${f.path}`)]);
    for (const f of files) expect(sha256(await readFile(path.join(dest, f.path))), f.path).toBe(sha256(content.get(f.path) ?? Buffer.alloc(0)));
  });

  it('createrepo_c indexes it: location, checksum, size, requires and provides', async () => {
    await sh('createrepo_c', ['--quiet', '--no-database', path.join(work, 'rpm-repo')]);
    const repomd = await readFile(path.join(work, 'rpm-repo', 'repodata', 'repomd.xml'), 'utf8');
    const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1];
    expect(href).toBeDefined();
    const primary = gunzipSync(await readFile(path.join(work, 'rpm-repo', href ?? ''))).toString('utf8');
    expect(primary).toContain(`<location href="${path.basename(rpm)}"/>`);
    expect(primary).toContain(`<checksum type="sha256" pkgid="YES">${written.sha256}</checksum>`);
    expect(primary).toMatch(new RegExp(`<size package="${written.size}" `));
    const block = (tag: string): string[] => [...(new RegExp(`<rpm:${tag}>([\\s\\S]*?)</rpm:${tag}>`).exec(primary)?.[1] ?? '').matchAll(/<rpm:entry ([^/]*)\/>/g)].map((m) => m[1] ?? '');
    const entry = (attrs: string): string => {
      const a: Record<string, string | undefined> = Object.fromEntries([...attrs.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
      const e = a['epoch'] !== undefined && a['epoch'] !== '0' ? `${a['epoch']}:` : '';
      return a['flags'] === undefined ? a['name'] ?? '' : `${a['name'] ?? ''} ${a['flags']} ${e}${a['ver'] ?? ''}-${a['rel'] ?? ''}`;
    };
    // createrepo_c leaves rpmlib() requirements out of primary.xml.
    expect(block('requires').map(entry).sort()).toEqual(rpmRequires().map((r) => r.replace(' = ', ' EQ ')).sort());
    expect(block('provides').map(entry)).toEqual([
      'demo-tree-jigdo EQ 42.20240101.0-1', 'demo-tree-jigdo(x86-64) EQ 42.20240101.0-1', 'jigtree-jigdo(1)', `jigtree-jigdo-commit(${'c'.repeat(64)})`,
    ]);
  });

  it('rpm -i --root installs it and rpm -V verifies it clean', async () => {
    const root = path.join(work, 'rpm-root');
    const define = ['--define', '_dbpath /.oracle-rpmdb'];
    await sh('rpm', ['-i', '--nodeps', '--noscripts', '--nosignature', '--root', root, ...define, rpm]);
    for (const f of files) expect(sha256(await readFile(path.join(root, f.path))), f.path).toBe(sha256(content.get(f.path) ?? Buffer.alloc(0)));
    // rpm -V prints nothing and exits 0 when every file matches the header (digest, mode, owner,
    // mtime...); --nodeps, as the pinned packages are not installed. -Vv shows each file checked.
    expect(await sh('rpm', ['-V', '--nodeps', '--root', root, ...define, 'demo-tree-jigdo'])).toBe('');
    const verbose = (await sh('rpm', ['-Vv', '--nodeps', '--root', root, ...define, 'demo-tree-jigdo'])).trimEnd().split('\n');
    expect(verbose).toEqual([ROOT, `${ROOT}/parts`, ...files.map((f) => f.path)].sort().map((p) => `.........    ${p}`));
    expect(await sh('rpm', ['-q', '--root', root, ...define, 'demo-tree-jigdo'])).toBe('demo-tree-jigdo-42.20240101.0-1.x86_64\n');
  });

  it('openPackage reads it back: entries in payload order with the same bytes', async () => {
    expect(await readOurs(rpm)).toEqual([
      `dir ${ROOT} 755 0 `, `dir ${ROOT}/parts 755 0 `,
      ...files.map((f) => `file ${f.path} ${f.mode.toString(8)} ${f.size} ${sha256(content.get(f.path) ?? Buffer.alloc(0))}`),
    ]);
  });

  it('is deterministic: a second write gives the same bytes', async () => {
    const again = path.join(work, 'again.rpm');
    expect(await writeRpmPackage(again, spec)).toEqual(written);
    expect(sha256(await readFile(again))).toBe(sha256(await readFile(rpm)));
  });
});

describe('deb', () => {
  let spec: PackageSpec;
  let deb: string;
  let written: WrittenPackage;
  beforeAll(async () => {
    spec = specFor('deb');
    await mkdir(path.join(work, 'deb-repo'));
    deb = path.join(work, 'deb-repo', debFileName(spec));
    written = await writeDebPackage(deb, spec);
  });

  const depends = (): string => pins('deb').map((d) => `${d.name} (= ${d.evr})`).sort().join(', ');

  it('dpkg-deb -I and -f read the control fields; Depends is exactly the pins', async () => {
    const info = await sh('dpkg-deb', ['-I', deb]);
    expect(info).toMatch(/^ new Debian package, version 2\.0\.$/m);
    expect(info).toMatch(/^ +\d+ bytes, +\d+ lines +control +$/m);
    expect(info).toMatch(/^ +\d+ bytes, +6 lines +md5sums +$/m);
    const field = async (f: string): Promise<string> => (await sh('dpkg-deb', ['-f', deb, f])).trimEnd();
    expect(await field('Package')).toBe('demo-tree-jigdo');
    expect(await field('Version')).toBe('42.20240101.0');
    expect(await field('Architecture')).toBe('amd64');
    expect(await field('Maintainer')).toBe('Jig Tree <jig@example.org>');
    expect(await field('Depends')).toBe(depends());
    expect(await field('Provides')).toBe(`jigtree-jigdo-1, jigtree-jigdo-commit-${'c'.repeat(64)}`);
    expect(await field('Homepage')).toBe('https://example.org/jigtree');
    const kib = files.reduce((n, f) => n + Math.ceil(f.size / 1024), 0) + debDirs().length + 1;
    expect(await field('Installed-Size')).toBe(String(kib));
    expect(await field('Description')).toBe('Jigdo set of demo-tree 42.20240101.0\n Rebuilds commit abc from the packages it pins.\n .\n Install it to get the set.');
  });

  it('dpkg-deb -c lists ./, the parent directories and the files in order, owned by root', async () => {
    const date = '2023-11-14 22:13';
    const lines = (await sh('dpkg-deb', ['-c', deb])).trimEnd().split('\n').map((l) => l.replace(/ +/g, ' '));
    expect(lines).toEqual([
      `drwxr-xr-x root/root 0 ${date} ./`,
      ...debDirs().map((d) => `drwxr-xr-x root/root 0 ${date} .${d}/`),
      ...files.map((f) => `${f.mode === 0o600 ? '-rw-------' : '-rw-r--r--'} root/root ${f.size} ${date} .${f.path}`),
    ]);
  });

  it('dpkg-deb -x gives the same bytes; md5sums matches them', async () => {
    const dest = path.join(work, 'deb-x');
    await sh('dpkg-deb', ['-x', deb, dest]);
    for (const f of files) expect(sha256(await readFile(path.join(dest, f.path))), f.path).toBe(sha256(content.get(f.path) ?? Buffer.alloc(0)));
    const sums = (await sh('dpkg-deb', ['--info', deb, 'md5sums'])).trimEnd().split('\n');
    expect(sums).toEqual(files.map((f) => f.path).sort().map((p) => `${md5(content.get(p) ?? Buffer.alloc(0))}  ${p.slice(1)}`));
  });

  it('apt-ftparchive packages indexes it: Filename, Size, SHA256, Version, Depends', async () => {
    const out = await sh('apt-ftparchive', ['packages', '.'], { cwd: path.join(work, 'deb-repo') });
    const fields = new Map(out.replace(/\n /g, '\u0000').trimEnd().split('\n').map((l) => {
      const i = l.indexOf(': ');
      return [l.slice(0, i), l.slice(i + 2)] as const;
    }));
    expect(fields.get('Package')).toBe('demo-tree-jigdo');
    expect(fields.get('Version')).toBe('42.20240101.0');
    expect(fields.get('Filename')).toBe(`./${path.basename(deb)}`);
    expect(fields.get('Size')).toBe(String(written.size));
    expect(fields.get('SHA256')).toBe(written.sha256);
    expect(fields.get('Depends')).toBe(depends());
    expect(fields.get('Section')).toBe('misc');
  });

  it('dpkg -i --root installs it and dpkg -V verifies it clean', async () => {
    const root = path.join(work, 'deb-root');
    await mkdir(path.join(root, 'var/lib/dpkg/info'), { recursive: true });
    await mkdir(path.join(root, 'var/lib/dpkg/updates'), { recursive: true });
    await writeFile(path.join(root, 'var/lib/dpkg/status'), '');
    await sh('dpkg', [`--root=${root}`, '--force-depends', '--force-not-root', '--force-script-chrootless', '-i', deb]);
    for (const f of files) expect(sha256(await readFile(path.join(root, f.path))), f.path).toBe(sha256(content.get(f.path) ?? Buffer.alloc(0)));
    expect(await sh('dpkg', [`--root=${root}`, '-V', 'demo-tree-jigdo'])).toBe('');
  });

  it('openPackage reads it back: entries in order with the same bytes', async () => {
    expect(await readOurs(deb)).toEqual([
      'dir / 755 0 ', ...debDirs().map((d) => `dir ${d} 755 0 `),
      ...files.map((f) => `file ${f.path} ${f.mode.toString(8)} ${f.size} ${sha256(content.get(f.path) ?? Buffer.alloc(0))}`),
    ]);
  });

  it('is deterministic: a second write gives the same bytes', async () => {
    const again = path.join(work, 'again.deb');
    expect(await writeDebPackage(again, spec)).toEqual(written);
    expect(sha256(await readFile(again))).toBe(sha256(await readFile(deb)));
  });
});
