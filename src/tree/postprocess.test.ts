import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/index.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { ComposeTree } from './compose-tree.js';
import { applyPostprocess, resolveInTree } from './postprocess.js';
import type { FileContent, TreeEntry } from './types.js';

const enc = new TextEncoder();
const read = (c: FileContent): Promise<Uint8Array> => (c.kind === 'bytes' ? Promise.resolve(c.bytes) : Promise.reject(new Error('no object store in this test')));
const meta = { uid: 0, gid: 0, mode: 0o644, xattrs: [] };

function put(tree: ComposeTree, path: string, text: string, pkg?: string): void {
  tree.set(path, { type: 'file', meta, content: { kind: 'bytes', bytes: enc.encode(text) }, ...(pkg === undefined ? {} : { pkg }) });
}

function link(tree: ComposeTree, p: string): string | undefined {
  const e: TreeEntry | undefined = tree.get(p);
  return e?.type === 'symlink' ? e.target : undefined;
}

function merged(): ComposeTree {
  const t = new ComposeTree();
  t.mkdir('/usr/lib/systemd/system');
  t.symlink('/lib', 'usr/lib');
  t.mkdir('/etc/systemd/system');
  return t;
}

describe('resolveInTree', () => {
  it('follows relative and absolute links, clamps .. at the root, and leaves the last link alone on request', () => {
    const t = merged();
    t.symlink('/usr/lib/abs', '/usr/lib/systemd');
    t.symlink('/usr/lib/up', '../../../../usr');
    expect(resolveInTree(t, '/lib/systemd/system/x')).toBe('/usr/lib/systemd/system/x');
    expect(resolveInTree(t, '/lib/abs/system')).toBe('/usr/lib/systemd/system');
    expect(resolveInTree(t, '/lib/up/lib')).toBe('/usr/lib');
    expect(resolveInTree(t, '/lib', false)).toBe('/lib');
    expect(resolveInTree(t, '/lib')).toBe('/usr/lib');
  });
});

describe('applyPostprocess', () => {
  it('removes remove-files paths (relative, absolute, through links) and warns on a missing one', async () => {
    const t = merged();
    put(t, '/usr/lib/a/b', 'x');
    put(t, '/etc/foo', 'x');
    put(t, '/usr/lib/c', 'x');
    const { warnings } = await applyPostprocess(t, { removeFiles: ['usr/lib/a', '/etc/foo', 'lib/c', 'etc/nope'] }, read);
    expect([t.has('/usr/lib/a'), t.has('/usr/lib/a/b'), t.has('/etc/foo'), t.has('/usr/lib/c'), t.has('/lib')]).toEqual([false, false, false, false, true]);
    expect(warnings).toEqual([{ path: '/etc/nope', message: 'remove-files: etc/nope is not in the tree' }]);
  });

  it('rejects a remove-files path escaping the tree, naming the key', async () => {
    const err = await rejectionOf(applyPostprocess(merged(), { removeFiles: ['ok', '../../etc'], treefile: 'tf.yaml' }, read), ValidationError);
    expect(err.message).toBe('tf.yaml: /remove-files/1: path "../../etc" escapes the tree');
  });

  it('removes only the named package\'s matching paths (unanchored search)', async () => {
    const t = merged();
    put(t, '/usr/share/doc/a/README', 'x', 'pa');
    put(t, '/usr/share/doc/b/README', 'x', 'pb');
    put(t, '/usr/bin/a', 'x', 'pa');
    const { warnings } = await applyPostprocess(t, { removeFromPackages: [['pa', 'doc/', '^/nothing$']] }, read);
    expect([t.has('/usr/share/doc/a/README'), t.has('/usr/share/doc/b/README'), t.has('/usr/bin/a')]).toEqual([false, true, true]);
    expect(warnings).toEqual([]);
  });

  it.each([
    [[['nopkg', 'x']], '/remove-from-packages/0/0: package "nopkg" is not in the compose'],
    [[['pa', 'ok', '(']], '/remove-from-packages/0/2: invalid regex "("'],
    [[['pa']], '/remove-from-packages/0: expected at least one regex'],
  ] as const)('rejects a bad remove-from-packages entry (%#)', async (spec, why) => {
    const t = merged();
    put(t, '/usr/bin/a', 'x', 'pa');
    const err = await rejectionOf(applyPostprocess(t, { removeFromPackages: spec }, read), ValidationError);
    expect(err.message).toContain(`treefile: ${why}`);
  });

  it('accepts a package with no paths when the installed list names it, with a warning', async () => {
    const { warnings } = await applyPostprocess(merged(), { removeFromPackages: [['meta', 'x']], packages: ['meta'] }, read);
    expect(warnings.map((w) => w.message)).toEqual(['remove-from-packages: no path of meta matches x']);
  });

  it('writes add-files under /usr and /etc with the mode, creating parents', async () => {
    const t = merged();
    await applyPostprocess(t, { addFiles: [{ dest: '/etc/new/dir/f', bytes: enc.encode('hi'), mode: 0o100600 }, { dest: '/usr/lib/x', bytes: enc.encode('y'), mode: 0o755 }] }, read);
    const f = t.get('/etc/new/dir/f');
    expect(f?.type === 'file' ? [f.meta.mode, f.meta.uid, f.content] : undefined).toEqual([0o600, 0, { kind: 'bytes', bytes: enc.encode('hi') }]);
    expect(t.get('/etc/new')?.meta.mode).toBe(0o755);
    expect(t.get('/usr/lib/x')?.type).toBe('file');
    expect(link(t, '/lib')).toBe('usr/lib');
  });

  it.each(['/opt/x', 'etc/rel', '/usr', '/etc/../var/x'])('rejects add-files destination %s', async (dest) => {
    const err = await rejectionOf(applyPostprocess(merged(), { addFiles: [{ dest, bytes: new Uint8Array(), mode: 0o644 }] }, read), ValidationError);
    expect(err.message).toMatch(/^treefile: \/add-files\/0\/1: destination/);
  });

  it('enables units from their [Install] section as systemctl does', async () => {
    const t = merged();
    put(t, '/usr/lib/systemd/system/a.service', '[Unit]\nDescription=a\nWantedBy=wrong.target\n[Install]\nWantedBy=multi-user.target \\\n  graphical.target\nRequiredBy=b.target\nAlias=alias-a.service\nAlso=c.socket\n');
    put(t, '/usr/lib/systemd/system/c.socket', '[Install]\n# WantedBy=no.target\nWantedBy=sockets.target\n');
    put(t, '/usr/lib/systemd/system/getty@.service', '[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n');
    put(t, '/usr/lib/systemd/system/d@.service', '[Install]\nWantedBy=x-%i.target\nUpheldBy=y.target\nAlias=dd@.service\n');
    put(t, '/etc/systemd/system/local.service', '[Install]\nWantedBy=multi-user.target\n');
    const { warnings } = await applyPostprocess(t, { units: ['a.service', 'getty@.service', 'd@foo.service', 'local.service'] }, read);
    const S = '/usr/lib/systemd/system';
    expect(link(t, '/etc/systemd/system/multi-user.target.wants/a.service')).toBe(`${S}/a.service`);
    expect(link(t, '/etc/systemd/system/graphical.target.wants/a.service')).toBe(`${S}/a.service`);
    expect(link(t, '/etc/systemd/system/b.target.requires/a.service')).toBe(`${S}/a.service`);
    expect(link(t, '/etc/systemd/system/alias-a.service')).toBe(`${S}/a.service`);
    expect(link(t, '/etc/systemd/system/sockets.target.wants/c.socket')).toBe(`${S}/c.socket`);
    expect(link(t, '/etc/systemd/system/getty.target.wants/getty@tty1.service')).toBe(`${S}/getty@.service`);
    expect(link(t, '/etc/systemd/system/x-foo.target.wants/d@foo.service')).toBe(`${S}/d@.service`);
    expect(link(t, '/etc/systemd/system/y.target.upholds/d@foo.service')).toBe(`${S}/d@.service`);
    expect(link(t, '/etc/systemd/system/dd@foo.service')).toBe(`${S}/d@.service`);
    expect(link(t, '/etc/systemd/system/multi-user.target.wants/local.service')).toBe('/etc/systemd/system/local.service');
    expect(t.has('/etc/systemd/system/wrong.target.wants')).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('finds units through the /lib link and falls back to multi-user.target.wants without [Install]', async () => {
    const t = merged();
    put(t, '/usr/lib/systemd/system/plain.service', '[Service]\nExecStart=/bin/true\n');
    const { warnings } = await applyPostprocess(t, { units: ['plain.service'] }, read);
    expect(link(t, '/etc/systemd/system/multi-user.target.wants/plain.service')).toBe('/usr/lib/systemd/system/plain.service');
    expect(warnings).toHaveLength(1);
  });

  it('rejects a missing or masked unit, naming it', async () => {
    const t = merged();
    t.symlink('/usr/lib/systemd/system/masked.service', '/dev/null');
    expect((await rejectionOf(applyPostprocess(t, { units: ['nope.service'] }, read), ValidationError)).message).toMatch(/^treefile: \/units\/0: unit nope.service not found/);
    expect((await rejectionOf(applyPostprocess(t, { units: ['masked.service'] }, read), ValidationError)).message).toContain('masked or dangling');
  });

  it('points /usr/lib/systemd/system/default.target at the default-target as rpm-ostree does', async () => {
    const t = merged();
    t.symlink('/usr/lib/systemd/system/default.target', 'graphical.target');
    put(t, '/usr/lib/systemd/system/multi-user.target', '[Unit]\n');
    const { warnings } = await applyPostprocess(t, { defaultTarget: 'multi-user.target' }, read);
    expect(link(t, '/usr/lib/systemd/system/default.target')).toBe('/usr/lib/systemd/system/multi-user.target');
    expect(warnings).toEqual([]);
    const w = await applyPostprocess(t, { defaultTarget: 'rescue.target' }, read);
    expect(w.warnings.map((x) => x.message)).toEqual(['default-target: rescue.target is not a unit in the tree']);
  });
});
