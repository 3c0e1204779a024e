/*
 * Oracle: what the layout and post-processing stages write for systemd, checked by systemd's own
 * tools. (1) `units:` enablement against `systemctl --root=DIR enable` on the same unit files:
 * the same link names, pointing at the same unit file (Debian's systemctl spells the target
 * /lib/systemd/system, we spell it /usr/lib/systemd/system; in a merged-/usr root they are one
 * file). (2) The tmpfiles.d files the layout generates, applied by `systemd-tmpfiles --root=DIR
 * --create`, recreate /var and /run exactly as packages shipped them (type, mode, owner, link
 * target), plus the integration directories. (UpheldBy= is left out: systemd 252 ignores it in
 * [Install]; it arrived in 254, and we honour it.) Never skipped: a missing systemctl fails.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOstreeLayout, applyPostprocess, ComposeTree, type FileContent } from '../../src/tree/index.js';

const run = promisify(execFile);
const enc = new TextEncoder();
const read = (c: FileContent): Promise<Uint8Array> => (c.kind === 'bytes' ? Promise.resolve(c.bytes) : Promise.reject(new Error('no object store here')));
let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'jigtree-tree-systemd-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Every symlink under `dir` (relative path -> target), sorted. */
async function links(dir: string, rel = ''): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const r = path.join(rel, name);
    const st = await lstat(path.join(dir, r));
    if (st.isSymbolicLink()) out.push([r, await readlink(path.join(dir, r))]);
    else if (st.isDirectory()) out.push(...(await links(dir, r)));
  }
  return out;
}

describe('units: against systemctl --root enable', () => {
  const UNITS: Record<string, string> = {
    'usr/lib/systemd/system/a.service': '[Unit]\nDescription=a\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target \\\n  graphical.target\nRequiredBy=b.target\nAlias=alias-a.service\nAlso=c.socket\n',
    'usr/lib/systemd/system/c.socket': '[Socket]\nListenStream=/run/c\n[Install]\n; WantedBy=no.target\nWantedBy=sockets.target\n',
    'usr/lib/systemd/system/getty@.service': '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n',
    'usr/lib/systemd/system/d@.service': '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=x-%i.target\nAlias=dd@.service\n',
    'usr/lib/systemd/system/u.service': '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nWantedBy=\nWantedBy=z.target\n',
    'etc/systemd/system/local.service': '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n',
  };
  const ENABLE = ['a.service', 'getty@.service', 'd@foo.service', 'u.service', 'local.service'];

  it('makes the links systemctl makes', async () => {
    const root = path.join(scratch, 'units');
    const tree = new ComposeTree();
    await mkdir(path.join(root, 'usr/lib/systemd/system'), { recursive: true });
    await mkdir(path.join(root, 'etc/systemd/system'), { recursive: true });
    await symlink('usr/lib', path.join(root, 'lib'));
    tree.mkdir('/usr/lib/systemd/system');
    tree.mkdir('/etc/systemd/system');
    tree.symlink('/lib', 'usr/lib');
    for (const [p, text] of Object.entries(UNITS)) {
      await writeFile(path.join(root, p), text);
      tree.writeFile(`/${p}`, enc.encode(text));
    }
    await run('systemctl', [`--root=${root}`, 'enable', ...ENABLE]);
    const theirs = (await links(path.join(root, 'etc'))).map(([p, t]) => [p, t.replace(/^\/lib\//, '/usr/lib/')]);
    const { warnings } = await applyPostprocess(tree, { units: ENABLE }, read);
    const ours = [...tree.walk('/etc')].flatMap(([p, e]) => (e.type === 'symlink' ? [[p.slice('/etc/'.length), e.target]] : []));
    expect(ours).toEqual(theirs);
    expect(ours.length).toBeGreaterThan(8);
    expect(warnings).toEqual([]);
  });
});

describe('layout tmpfiles.d: applied by systemd-tmpfiles', () => {
  it('recreates /var and /run as the packages shipped them', async () => {
    const tree = new ComposeTree();
    tree.symlink('/lib', 'usr/lib');
    tree.mkdir('/usr/lib');
    const dir = (p: string, mode: number, uid = 0, gid = 0, pkg = 'p1'): void => {
      tree.set(p, { type: 'dir', meta: { uid, gid, mode, xattrs: [] }, pkg });
    };
    const lnk = (p: string, target: string, pkg = 'p2'): void => {
      tree.set(p, { type: 'symlink', meta: { uid: 0, gid: 0, mode: 0o777, xattrs: [] }, target, pkg });
    };
    dir('/var', 0o755);
    dir('/var/lib', 0o755);
    dir('/var/lib/app', 0o750, 100, 101);
    dir('/var/mail', 0o2775, 0, 8);
    dir('/var/tmp', 0o1777);
    dir('/var/spool/odd name\\"%', 0o700, 5, 6, 'p2');
    lnk('/var/run', '/run');
    lnk('/var/lock', '/run/lock');
    lnk('/var/lib/app/current', '../app-1.0 with space');
    dir('/run', 0o755);
    dir('/run/lock', 0o1777);
    dir('/usr/lib/dpkg-db-placeholder', 0o755);
    const before = [...tree.walk('/var'), ...tree.walk('/run')].slice(1).filter(([p]) => p !== '/run').map(([p, e]) => [p, e.type === 'symlink' ? `-> ${e.target}` : `${e.type} ${e.meta.mode.toString(8)} ${e.meta.uid}:${e.meta.gid}`]);
    await applyOstreeLayout(tree, { kind: 'deb' }, read);
    expect(tree.list('/var')).toEqual([]);

    const root = path.join(scratch, 'tmpfiles');
    const confDir = path.join(scratch, 'tmpfiles-conf');
    await mkdir(root, { recursive: true });
    await mkdir(confDir, { recursive: true });
    const confs: string[] = [];
    for (const [p, e] of tree.walk('/usr/lib/tmpfiles.d')) {
      if (e.type !== 'file' || e.content.kind !== 'bytes') continue;
      const f = path.join(confDir, path.basename(p));
      await writeFile(f, e.content.bytes);
      confs.push(f);
    }
    expect(confs.map((f) => path.basename(f)).sort()).toEqual(['jigtree-0-integration.conf', 'jigtree-1-autovar.conf', 'pkg-p1.conf', 'pkg-p2.conf']);
    await run('systemd-tmpfiles', [`--root=${root}`, '--create', ...confs]);

    const after: [string, string][] = [];
    const walk = async (rel: string): Promise<void> => {
      for (const name of (await readdir(path.join(root, rel))).sort()) {
        const r = `${rel}/${name}`;
        const st = await lstat(path.join(root, r));
        if (st.isSymbolicLink()) after.push([r, `-> ${await readlink(path.join(root, r))}`]);
        else {
          after.push([r, `${st.isDirectory() ? 'dir' : 'file'} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`]);
          if (st.isDirectory()) await walk(r);
        }
      }
    };
    await walk('/var');
    await walk('/run');
    const integration = ['/var/home', '/var/mnt', '/var/opt', '/var/roothome', '/var/srv', '/var/usrlocal', '/run/media', '/var/lib/dpkg'];
    expect(after.filter(([p]) => !integration.includes(p)).sort()).toEqual([...before].sort());
    expect(after.find(([p]) => p === '/var/roothome')?.[1]).toBe('dir 700 0:0');
    expect(await readFile(path.join(confDir, 'pkg-p2.conf'), 'utf8')).toContain('"/var/spool/odd name\\\\\\"%%"');
  });
});
