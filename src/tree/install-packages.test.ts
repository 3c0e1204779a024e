import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { ComposeTree } from './compose-tree.js';
import { installPackages, resolveNamedOwners, type InstallEntry, type InstallPackage } from './install-packages.js';

const file = (p: string, object: string, extra: Partial<InstallEntry> = {}): InstallEntry => ({ path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, object, size: 1, ...extra });
const dir = (p: string, mode = 0o755): InstallEntry => ({ path: p, type: 'dir', mode, uid: 0, gid: 0 });
const pkg = (kind: 'rpm' | 'deb', name: string, entries: InstallEntry[], replaces: string[] = []): InstallPackage => ({ kind, name, label: `${name}-1`, entries, replaces: (o) => replaces.includes(o) });
const opts = { documentation: true };

describe('installPackages', () => {
  it('follows a symlinked parent directory into its target (merged /usr)', () => {
    const t = new ComposeTree();
    t.mkdir('/usr/bin');
    t.symlink('/bin', 'usr/bin');
    const r = installPackages(t, [pkg('deb', 'bash', [dir('/bin'), file('/bin/bash', 'a'.repeat(64))])], opts);
    expect(t.get('/usr/bin/bash')?.type).toBe('file');
    expect(t.get('/bin')?.type).toBe('symlink');
    expect(r.paths.get('bash')).toEqual(['/bin', '/usr/bin/bash']);
  });

  it('shares identical files and directories between packages', () => {
    const t = new ComposeTree();
    installPackages(t, [pkg('rpm', 'a', [dir('/d'), file('/d/f', 'x')]), pkg('rpm', 'b', [dir('/d', 0o700), file('/d/f', 'x')])], opts);
    // The first package's directory metadata stays (rpm and dpkg alike).
    expect(t.get('/d')?.meta.mode).toBe(0o755);
  });

  it('refuses differing rpm files, naming both packages, unless one is %ghost or %config', () => {
    const t = new ComposeTree();
    const e = thrownBy(() => installPackages(t, [pkg('rpm', 'a', [file('/f', 'x')]), pkg('rpm', 'b', [file('/f', 'y')])], opts), FormatError);
    expect(e.message).toContain('file /f from install of b-1 conflicts with file from package a-1');
    const g = new ComposeTree();
    installPackages(g, [pkg('rpm', 'a', [file('/f', 'x')]), pkg('rpm', 'b', [file('/f', 'y', { ghost: true })])], opts);
    expect(g.get('/f')).toMatchObject({ content: { checksum: 'x' } });
    const c = new ComposeTree();
    const r = installPackages(c, [pkg('rpm', 'a', [file('/f', 'x', { config: true })]), pkg('rpm', 'b', [file('/f', 'y')])], opts);
    expect(c.get('/f')).toMatchObject({ content: { checksum: 'y' } });
    expect(r.warnings[0]?.message).toContain('%config file differs');
  });

  it('lets a deb package overwrite another only when it Replaces it, in either install order', () => {
    const t = new ComposeTree();
    expect(thrownBy(() => installPackages(t, [pkg('deb', 'a', [file('/f', 'x')]), pkg('deb', 'b', [file('/f', 'y')])], opts), FormatError).message).toContain("trying to overwrite '/f', which is also in package a-1");
    for (const order of [['a', 'b'], ['b', 'a']]) {
      const u = new ComposeTree();
      const pkgs = { a: pkg('deb', 'a', [file('/f', 'x')]), b: pkg('deb', 'b', [file('/f', 'y')], ['a']) };
      installPackages(u, order.map((n) => pkgs[n as 'a' | 'b']), opts);
      expect(u.get('/f')).toMatchObject({ content: { checksum: 'y' }, pkg: 'b' });
    }
  });

  it('skips documentation and unwanted locales when asked', () => {
    const t = new ComposeTree();
    const r = installPackages(
      t,
      [pkg('deb', 'a', [file('/usr/share/doc/a/changelog.gz', 'c'), file('/usr/share/doc/a/copyright', 'k'), file('/usr/share/locale/de/LC_MESSAGES/a.mo', 'd'), file('/usr/share/locale/fr/LC_MESSAGES/a.mo', 'f')])],
      { documentation: false, installLangs: ['de_DE'] },
    );
    expect(t.has('/usr/share/doc/a/changelog.gz')).toBe(false);
    expect(t.has('/usr/share/doc/a/copyright')).toBe(true);
    expect(t.has('/usr/share/locale/de/LC_MESSAGES/a.mo')).toBe(true);
    expect(t.has('/usr/share/locale/fr/LC_MESSAGES/a.mo')).toBe(false);
    expect(r.skipped).toBe(2);
  });

  it('resolves rpm owner names against passwd/group, falling back to root like rpm', () => {
    const t = new ComposeTree();
    const r = installPackages(t, [pkg('rpm', 'a', [file('/f', 'x', { user: 'daemon', group: 'nobody' }), file('/g', 'y', { user: 'ghost' })])], opts);
    const w = resolveNamedOwners(t, r.namedOwners, new Map([['daemon', 2]]), new Map([['nobody', 65534]]));
    expect(t.get('/f')?.meta).toMatchObject({ uid: 2, gid: 65534 });
    expect(t.get('/g')?.meta).toMatchObject({ uid: 0, gid: 0 });
    expect(w.map((x) => x.message)).toEqual(['user ghost does not exist - using root']);
  });

  it('drops device nodes with a warning (ostree stores none)', () => {
    const t = new ComposeTree();
    const r = installPackages(t, [pkg('deb', 'a', [{ path: '/dev/null', type: 'chardev', mode: 0o666 }])], opts);
    expect(t.has('/dev/null')).toBe(false);
    expect(r.warnings[0]?.message).toContain('chardev not stored');
  });
});
