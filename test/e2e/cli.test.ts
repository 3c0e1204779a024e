import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { minbaseDebs } from '../helpers/deb-mirror.js';
import { ROOT } from '../helpers/paths.js';
import { rpmFixture, rpmFixtureFiles } from '../helpers/rpm-fixtures.js';

// The built CLI (`npm test` builds dist/ first), run as a user runs it, against the real tools.
const CLI = path.join(ROOT, 'dist/cli/main.js');
const jigtree = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });

type Listed = { path: string; type: string; mode: string; user?: string; group?: string; size: number; sha256?: string; target?: string; flags: string[] };
type Info = { name: string; epoch: number | null; version: string; release: string | null; arch: string; summary: string; payloadCompressor: string; scripts: { name: string }[]; deps: Record<string, unknown[]> };

describe('jigtree CLI', () => {
  it('--help lists the commands and exits 0', () => {
    const r = jigtree('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: jigtree COMMAND/);
    expect(r.stdout).toMatch(/\n {2}pkg +Inspect/);
  });

  it('an unknown command or subcommand is a usage error (exit 2)', () => {
    expect(jigtree('frobnicate')).toMatchObject({ status: 2, stderr: expect.stringMatching(/^jigtree: unknown command 'frobnicate'\nhint: /) as unknown });
    expect(jigtree('pkg', 'frob', 'x').status).toBe(2);
    expect(jigtree('pkg', 'info', '--bogus', 'x').status).toBe(2);
  });

  it('a missing file or a directory is one line and exit 1', () => {
    expect(jigtree('pkg', 'info', '/nonexistent.rpm')).toMatchObject({ status: 1, stderr: 'jigtree: /nonexistent.rpm: not found\n' });
    expect(jigtree('pkg', 'ls', ROOT)).toMatchObject({ status: 1, stderr: `jigtree: ${ROOT}: is a directory\n` });
  });

  it('a damaged package is one line naming the file and byte offset, exit 1; --json prints the error as JSON', () => {
    const bad = path.join(ROOT, 'fixtures/damaged/rpm-gz-cut-in-payload.rpm');
    const r = jigtree('pkg', 'ls', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^jigtree: rpm-gz-cut-in-payload\.rpm: rpm at byte \d+: truncated: [^\n]+\n$/);
    const j = jigtree('pkg', 'ls', '--json', bad);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stderr)).toMatchObject({ error: { code: 'E_FORMAT', name: 'FormatError', data: { format: 'rpm', file: 'rpm-gz-cut-in-payload.rpm' } } });
  });

  it.each(rpmFixtureFiles().map((f) => path.basename(f)))('pkg info --json %s agrees with rpm -qp --qf', (name) => {
    const file = rpmFixtureFiles().find((f) => path.basename(f) === name) ?? '';
    const info = JSON.parse(jigtree('pkg', 'info', '--json', file).stdout) as Info;
    const qf = sh('rpm', ['-qp', '--nosignature', '--qf', '%{NAME}\\n%{EPOCH}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n%{SUMMARY}\\n%{PAYLOADCOMPRESSOR}\\n', file]).split('\n');
    expect([info.name, info.epoch === null ? '(none)' : String(info.epoch), info.version, info.release, info.arch, info.summary, info.payloadCompressor]).toEqual(qf.slice(0, 7).map((v, i) => (i === 6 && v === '(none)' ? 'none' : v)));
    // The plain rendering prints every dependency kind rpm prints, line for line.
    const plain = jigtree('pkg', 'info', file).stdout;
    for (const kind of ['requires', 'provides', 'conflicts', 'obsoletes', 'recommends', 'suggests', 'supplements', 'enhances']) {
      const rpmLines = sh('rpm', ['-qp', '--nosignature', `--${kind}`, file]).split('\n').filter((l) => l !== '');
      const section = plain.split(`\n${kind}:\n`)[1]?.split(/\n(?! )/)[0] ?? '';
      const ours = section.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.slice(2).replace(/ {2}\[[^\]]*\]$/, ''));
      expect(ours.sort(), kind).toEqual(rpmLines.sort());
    }
  });

  it('pkg ls --json agrees with rpm -qp --dump (paths, sizes, sha256, modes, owners, link targets)', () => {
    const file = rpmFixture('gzip');
    const ours = JSON.parse(jigtree('pkg', 'ls', '--json', file).stdout) as Listed[];
    // --dump: path size mtime digest mode owner group isconfig isdoc rdev symlink
    const dump = sh('rpm', ['-qp', '--nosignature', '--dump', file]).split('\n').filter((l) => l !== '').map((l) => {
      const f = l.split(' ');
      const n = f.length;
      return { path: f.slice(0, n - 10).join(' '), size: Number(f[n - 10]), digest: f[n - 8], mode: Number.parseInt(f[n - 7] ?? '', 8), user: f[n - 6], group: f[n - 5], target: f[n - 1] };
    });
    expect(ours.map((e) => e.path).sort()).toEqual(dump.map((d) => d.path).sort());
    for (const d of dump) {
      const e = ours.find((o) => o.path === d.path);
      expect(e, d.path).toBeDefined();
      if (e === undefined) continue;
      expect(parseInt(e.mode, 8), d.path).toBe(d.mode & 0o7777);
      expect([e.user, e.group], d.path).toEqual([d.user, d.group]);
      if (e.type === 'symlink') expect(e.target, d.path).toBe(d.target);
      if ((e.type === 'file' || e.type === 'hardlink') && !e.flags.includes('ghost')) {
        expect(e.size, d.path).toBe(d.size);
        expect(e.sha256, d.path).toBe(d.digest);
      }
    }
  });

  it('pkg ls and pkg info on a real Debian package agree with dpkg-deb', () => {
    const bash = minbaseDebs().find((f) => path.basename(f).startsWith('bash_')) ?? '';
    const ours = JSON.parse(jigtree('pkg', 'ls', '--json', bash).stdout) as Listed[];
    const contents = sh('dpkg-deb', ['-c', bash]).split('\n').filter((l) => l !== '');
    expect(ours).toHaveLength(contents.length);
    const info = JSON.parse(jigtree('pkg', 'info', '--json', bash).stdout) as Info;
    expect([info.name, info.version, info.arch]).toEqual(sh('dpkg-deb', ['-f', bash, 'Package', 'Version', 'Architecture']).trim().split('\n').map((l) => l.replace(/^[^:]+: /, '')));
    expect(info.scripts.map((s) => s.name).sort()).toEqual(sh('dpkg-deb', ['-I', bash]).split('\n').filter((l) => /^ +\d+ bytes, +\d+ lines +\* +(preinst|postinst|prerm|postrm|config)/.test(l)).map((l) => l.trim().split(/\s+/)[5]).sort());
    // plain output: one line per entry, `ls -l` style
    const plain = jigtree('pkg', 'ls', bash).stdout.split('\n').filter((l) => l !== '');
    expect(plain).toHaveLength(contents.length);
    expect(plain.find((l) => l.endsWith(' /bin/bash'))).toMatch(/^-rwxr-xr-x root\/root +\d+ \/bin\/bash$/);
  });
});
