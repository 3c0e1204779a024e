/**
 * The OSTree layout of a composed tree, as rpm-ostree's compose makes it (treefile.md §5.2,
 * §5.4-5.6) and as ostree's "Adapting existing distributions" asks of dpkg trees (§7.1, §7.3).
 * It runs after post-processing, on plain paths, and leaves a root an OSTree commit can carry:
 * read-only /usr, /etc defaults in /usr/etc, empty /var recreated at boot by tmpfiles.d.
 *
 * | before (as packages installed it)         | after                                                    |
 * |-------------------------------------------|----------------------------------------------------------|
 * | /etc/...                                  | /usr/etc/... (merged into an existing /usr/etc)          |
 * | /etc/machine-id                           | empty 0444 /usr/etc/machine-id (machineid-compat), else removed |
 * | rpm: /etc/passwd, /etc/group              | uid 0 / gid 0 + etc-group-members stay; rest -> /usr/lib/passwd, /usr/lib/group |
 * | rpm: nsswitch.conf passwd:/group:         | `altfiles` added after `files`                           |
 * | /etc/default/useradd HOME=, adduser.conf DHOME= | HOME=/var/home, DHOME=/var/home                    |
 * | deb: /var/lib/dpkg/...                    | /usr/share/dpkg/database/... + `L /var/lib/dpkg` tmpfiles |
 * | rpm: /var/lib/rpm/..., /usr/lib/sysimage/rpm/... | /usr/share/rpm/... ; /usr/lib/sysimage/rpm -> ../../share/rpm ; `L /var/lib/rpm` ; macros.d/macros.rpm-ostree |
 * | rpm: /var/lib/alternatives, /var/lib/vagrant | /usr/lib/alternatives, /usr/lib/vagrant + `L` tmpfiles |
 * | /var/**, /run/** dirs and symlinks        | tmpfiles.d `d`/`L` lines in /usr/lib/tmpfiles.d/pkg-<pkg>.conf (jigtree-1-autovar.conf when no package) |
 * | /var/**, /run/** regular files            | dropped, one warning each                                |
 * | /var, /run                                | empty 0755 root:root directories                         |
 * | /home /root /srv /mnt /opt /media content | dirs/symlinks -> tmpfiles under var/home, var/roothome, var/srv, var/mnt, var/opt, run/media; files dropped |
 * | /usr/local/**                             | dirs/symlinks -> tmpfiles under /var/usrlocal; /usr/local -> ../var/usrlocal |
 * | /boot/vmlinuz-K, /usr/lib/modules/K/vmlinuz | /usr/lib/modules/K/vmlinuz                             |
 * | /boot/initrd.img-K, /boot/initramfs-K.img | /usr/lib/modules/K/initramfs.img                          |
 * | rest of /boot (minus /boot/loader)        | /usr/lib/ostree-boot/... ; /boot empty 0755              |
 * | bin sbin lib lib32 lib64 libx32           | kept; must be symlinks into usr (merged /usr)            |
 * | top level                                 | dev proc run sys var sysroot boot (0755 dirs), tmp (1777 dir or -> sysroot/tmp), home -> var/home, root -> var/roothome, ostree -> sysroot/ostree, srv -> var/srv, mnt -> var/mnt, media -> run/media, opt -> var/opt |
 * | anything else at top level                | dropped, one warning each                                |
 * | (generated)                               | /usr/lib/tmpfiles.d/jigtree-0-integration.conf           |
 */
import { FormatError } from '../core/index.js';
import type { ComposeTree } from './compose-tree.js';
import { DEFAULT_DIR_META, joinPath } from './compose-tree.js';
import { addAltfiles, splitGroup, splitPasswd } from './passwd.js';
import { formatTmpfiles, tmpfilesCanExpress, type TmpfilesLine } from './tmpfiles.js';
import type { ReadContent, TreeEntry, TreeWarning } from './types.js';

/** Which package world the tree comes from, and the treefile's layout switches (treefile.md §3.4, §3.6). */
export type LayoutOptions = {
  kind: 'rpm' | 'deb';
  /** `tmp-is-dir`: /tmp is a real 1777 directory instead of a link to sysroot/tmp (default false). */
  tmpIsDir?: boolean;
  /** `machineid-compat`: ship an empty /usr/etc/machine-id (default true) or none. */
  machineidCompat?: boolean;
  /** `etc-group-members`: groups kept in /etc/group by the rpm passwd/group split. */
  etcGroupMembers?: readonly string[];
};

/** What the layout found: the kernel (for `ostree.linux`/`ostree.bootable`) and non-fatal findings. */
export type LayoutResult = { kernel?: { version: string }; warnings: TreeWarning[] };

const TMPFILES_DIR = '/usr/lib/tmpfiles.d';
const INTEGRATION_CONF = `${TMPFILES_DIR}/jigtree-0-integration.conf`;
const AUTOVAR_CONF = `${TMPFILES_DIR}/jigtree-1-autovar.conf`;
/** UsrMove compat links (treefile.md §5.5 item 16; lib32/libx32 for multilib Debian). */
const USRMOVE_LINKS = ['bin', 'lib', 'lib32', 'lib64', 'libx32', 'sbin'];
/** Top-level directories that must be links into /var or /run on an OSTree system (§5.5 item 16, §7.1). */
const REDIRECTS: Record<string, string> = { home: '/var/home', root: '/var/roothome', srv: '/var/srv', mnt: '/var/mnt', opt: '/var/opt', media: '/run/media' };
/** The fresh root's links (relative, as rpm-ostree's compose_init_rootfs writes them). */
const TOPLEVEL_LINKS: [string, string][] = [
  ['home', 'var/home'],
  ['media', 'run/media'],
  ['mnt', 'var/mnt'],
  ['opt', 'var/opt'],
  ['ostree', 'sysroot/ostree'],
  ['root', 'var/roothome'],
  ['srv', 'var/srv'],
];
const TOPLEVEL_DIRS = ['boot', 'dev', 'proc', 'run', 'sys', 'sysroot', 'var'];
/** Mount points and generated dirs whose package-shipped content means nothing in a commit. */
const EMPTIED = new Set(['dev', 'proc', 'sys', 'sysroot', 'ostree', 'tmp']);

/** tmpfiles lines collected per owning package ('' = generated, no package). */
type Collected = Map<string, TmpfilesLine[]>;

/** Applies the OSTree layout to `tree` in place; see the table in the module doc. */
export async function applyOstreeLayout(tree: ComposeTree, opts: LayoutOptions, read: ReadContent): Promise<LayoutResult> {
  const warnings: TreeWarning[] = [];
  const collected: Collected = new Map();
  checkMergedUsr(tree);
  const integration = integrationLines();
  integration.push(...moveDatabase(tree, opts.kind));
  const kernel = moveKernel(tree);
  await moveEtc(tree, opts, read);
  const covered = new Set(integration.map((l) => l.path));
  // /var/run is /run's compat link; rpm-ostree never traverses it when it is a directory (§5.6 item 24).
  if (tree.get('/var/run')?.type === 'dir') {
    tree.remove('/var/run');
    warnings.push({ path: '/var/run', message: 'dropped: /var/run is a directory, not the usual link to /run' });
  }
  // §5.2/§5.6 item 24: /var and /run start empty on a deployment; what packages put there comes back via tmpfiles.d.
  convertToTmpfiles(tree, '/var', '/var', covered, collected, warnings);
  convertToTmpfiles(tree, '/run', '/run', covered, collected, warnings);
  // §5.6 item 23: /usr/local is machine state; its skeleton moves to /var/usrlocal.
  if (tree.has('/usr/local')) {
    if (tree.get('/usr/local')?.type === 'dir') convertToTmpfiles(tree, '/usr/local', '/var/usrlocal', covered, collected, warnings);
    tree.remove('/usr/local');
  }
  if (tree.get('/usr')?.type === 'dir') tree.symlink('/usr/local', '../var/usrlocal');
  rebuildToplevel(tree, opts.tmpIsDir ?? false, covered, collected, warnings);
  writeTmpfiles(tree, integration, collected);
  return kernel === undefined ? { warnings } : { kernel: { version: kernel }, warnings };
}

// §5.5 item 16: only the UsrMove links survive at the top level next to /usr; a real /lib or
// /bin means files outside /usr, which a read-only /usr deployment would lose.
function checkMergedUsr(tree: ComposeTree): void {
  for (const name of USRMOVE_LINKS) {
    const e = tree.get(`/${name}`);
    if (e === undefined) continue;
    if (e.type !== 'symlink') throw new FormatError('ostree', `/${name} is a ${e.type === 'dir' ? 'directory' : 'regular file'}: the package set is not merged-/usr (/${name} must be a symlink into /usr)`);
    if (!/^\/?usr(\/|$)/.test(e.target)) throw new FormatError('ostree', `/${name} -> ${e.target} does not point into /usr: the package set is not merged-/usr`);
  }
}

// §5.6 item 25 (rpm-ostree-0-integration.conf) and §7.1: the /var and /run directories the
// top-level links point at. /var/roothome is 0700 as /root always is.
function integrationLines(): TmpfilesLine[] {
  const d = (path: string, mode = 0o755): TmpfilesLine => ({ type: 'd', path, mode, uid: 0, gid: 0 });
  return [d('/var/home'), d('/var/srv'), d('/var/roothome', 0o700), d('/var/mnt'), d('/var/opt'), d('/var/usrlocal'), d('/run/media')];
}

// Moves `from`'s children into directory `to` (created with `from`'s meta when missing): a
// directory merges into a directory, anything else replaces what is there (`from` wins, as the
// later stage's view of the path is the one the tree shows). `from` is removed.
function mergeDir(tree: ComposeTree, from: string, to: string): void {
  const src = tree.get(from);
  if (src?.type !== 'dir') return;
  if (tree.get(to)?.type !== 'dir') tree.set(to, src);
  for (const name of tree.list(from).sort()) {
    const a = joinPath(from, name);
    const b = joinPath(to, name);
    if (tree.get(a)?.type === 'dir' && tree.get(b)?.type === 'dir') mergeDir(tree, a, b);
    else {
      tree.remove(b);
      tree.move(a, b);
    }
  }
  tree.remove(from);
}

// The package database lives in /usr so it matches the deployed /usr (§5.4 item 11, §7.1, §7.3 step 6).
function moveDatabase(tree: ComposeTree, kind: 'rpm' | 'deb'): TmpfilesLine[] {
  if (kind === 'deb') {
    // §7.3 step 6 (deb-ostree-builder, ruck): /var/lib/dpkg -> /usr/share/dpkg/database + tmpfiles link back.
    const db = tree.get('/var/lib/dpkg');
    if (db === undefined) return [];
    if (db.type !== 'dir') throw new FormatError('ostree', `/var/lib/dpkg is a ${db.type}, expected the dpkg database directory`);
    mergeDir(tree, '/var/lib/dpkg', '/usr/share/dpkg/database');
    return [{ type: 'L', path: '/var/lib/dpkg', target: '../../usr/share/dpkg/database' }];
  }
  // §5.4 item 11: rpmdb at /usr/share/rpm; /usr/lib/sysimage/rpm -> ../../share/rpm; _dbpath macro.
  tree.mkdir('/usr/share/rpm');
  for (const from of ['/var/lib/rpm', '/usr/lib/sysimage/rpm']) {
    const e = tree.get(from);
    if (e?.type === 'dir') mergeDir(tree, from, '/usr/share/rpm');
    else if (e !== undefined) tree.remove(from);
  }
  tree.symlink('/usr/lib/sysimage/rpm', '../../share/rpm');
  // rpm-ostree's postprocess_cleanup_rpmdb: lock files and Berkeley DB environments are host state.
  for (const name of tree.list('/usr/share/rpm')) if (name === '.dbenv.lock' || name === '.rpm.lock' || name.startsWith('__db.')) tree.remove(`/usr/share/rpm/${name}`);
  tree.writeFile('/usr/lib/rpm/macros.d/macros.rpm-ostree', new TextEncoder().encode('%_dbpath /usr/share/rpm\n'));
  const lines: TmpfilesLine[] = [{ type: 'L', path: '/var/lib/rpm', target: '../../usr/share/rpm' }];
  // §5.6 item 23: alternatives/vagrant state is package data on RPM systems; it moves to /usr/lib.
  for (const name of ['alternatives', 'vagrant']) {
    if (tree.get(`/var/lib/${name}`)?.type !== 'dir') continue;
    tree.remove(`/usr/lib/${name}`);
    tree.move(`/var/lib/${name}`, `/usr/lib/${name}`);
    lines.push({ type: 'L', path: `/var/lib/${name}`, target: `../../usr/lib/${name}` });
  }
  return lines;
}

// §5.6 item 26 (boot-location: modules, the 2024 default): the kernel and initramfs live in
// /usr/lib/modules/<kver>/, where ostree finds them; the rest of /boot goes to /usr/lib/ostree-boot.
function moveKernel(tree: ComposeTree): string | undefined {
  const kvers = new Set<string>();
  for (const k of tree.list('/usr/lib/modules')) if (tree.get(`/usr/lib/modules/${k}/vmlinuz`)?.type === 'file') kvers.add(k);
  const boot = tree.get('/boot')?.type === 'dir' ? tree.list('/boot').sort() : [];
  for (const name of boot) if (name.startsWith('vmlinuz-') && tree.get(`/boot/${name}`)?.type === 'file') kvers.add(name.slice('vmlinuz-'.length));
  // ostree deploys exactly one kernel per commit; rpm-ostree fails on several too.
  if (kvers.size > 1) throw new FormatError('ostree', `several kernels in the tree (${[...kvers].sort().join(', ')}); an OSTree commit boots exactly one`);
  const kver = [...kvers][0];
  if (kver !== undefined) {
    const dir = `/usr/lib/modules/${kver}`;
    const moves: [string, string][] = [
      [`/boot/vmlinuz-${kver}`, `${dir}/vmlinuz`],
      [`/boot/initrd.img-${kver}`, `${dir}/initramfs.img`],
      [`/boot/initramfs-${kver}.img`, `${dir}/initramfs.img`],
    ];
    for (const [from, to] of moves) if (tree.get(from)?.type === 'file' && !tree.has(to)) tree.move(from, to);
  }
  // rpm-ostree deletes boot/loader (bootloader entries are per deployment) and keeps the rest.
  if (tree.get('/boot')?.type === 'dir') {
    tree.remove('/boot/loader');
    if (tree.list('/boot').length > 0) mergeDir(tree, '/boot', '/usr/lib/ostree-boot');
  }
  tree.remove('/boot'); // recreated empty by rebuildToplevel
  return kver;
}

// Rewrites a text file in place, keeping its owner, mode and package; no-op when absent or unchanged.
async function rewrite(tree: ComposeTree, path: string, read: ReadContent, edit: (text: string) => string): Promise<void> {
  const e = tree.get(path);
  if (e?.type !== 'file') return;
  const text = new TextDecoder().decode(await read(e.content));
  const next = edit(text);
  if (next === text) return;
  tree.set(path, { ...e, content: { kind: 'bytes', bytes: new TextEncoder().encode(next) } });
}

// Writes `text` to `path`: appended to an existing file (keeping its meta), else a new 0644 root file.
async function appendFile(tree: ComposeTree, path: string, text: string, read: ReadContent): Promise<void> {
  const e = tree.get(path);
  if (e?.type === 'file') {
    await rewrite(tree, path, read, (old) => (old === '' || old.endsWith('\n') ? old : `${old}\n`) + text);
    return;
  }
  if (e !== undefined) throw new FormatError('ostree', `${path} is a ${e.type}, expected a regular file`);
  tree.writeFile(path, new TextEncoder().encode(text));
}

// §5.4 item 10: /etc -> /usr/etc (ostree's 3-way merge uses it as the defaults); then the
// /usr/etc edits of §5.6 items 17, 21 and 26 (machine-id).
async function moveEtc(tree: ComposeTree, opts: LayoutOptions, read: ReadContent): Promise<void> {
  const etc = tree.get('/etc');
  if (etc !== undefined && etc.type !== 'dir') throw new FormatError('ostree', `/etc is a ${etc.type}, expected a directory`);
  if (etc !== undefined) mergeDir(tree, '/etc', '/usr/etc');
  if (!tree.has('/usr/etc')) return;
  // §3.4 machineid-compat: dracut and systemd want the file to exist; without it, first boot runs preset-all.
  if (opts.machineidCompat ?? true) tree.writeFile('/usr/etc/machine-id', new Uint8Array(0), { mode: 0o444 });
  else tree.remove('/usr/etc/machine-id');
  if (opts.kind === 'rpm') {
    // §5.6 item 21: split for nss-altfiles. Debian ships no nss-altfiles, so deb trees keep
    // passwd and group whole in /usr/etc (ostree's /etc merge then carries them).
    const passwd = await tree.readFile('/usr/etc/passwd', read);
    if (passwd !== undefined) {
      const { etc: keep, usr } = splitPasswd(new TextDecoder().decode(passwd), '/etc/passwd');
      await rewrite(tree, '/usr/etc/passwd', read, () => keep);
      if (usr !== '') await appendFile(tree, '/usr/lib/passwd', usr, read);
    }
    const group = await tree.readFile('/usr/etc/group', read);
    if (group !== undefined) {
      const { etc: keep, usr } = splitGroup(new TextDecoder().decode(group), opts.etcGroupMembers ?? [], '/etc/group');
      await rewrite(tree, '/usr/etc/group', read, () => keep);
      if (usr !== '') await appendFile(tree, '/usr/lib/group', usr, read);
    }
    // rpm-ostree leaves a symlinked nsswitch.conf alone (authselect owns it).
    await rewrite(tree, '/usr/etc/nsswitch.conf', read, addAltfiles);
  }
  // §5.6 item 17 / §7.3 step 4: new users' homes under /var/home, matching the /home link.
  await rewrite(tree, '/usr/etc/default/useradd', read, (t) => t.replace(/^HOME=.*$/gm, 'HOME=/var/home'));
  await rewrite(tree, '/usr/etc/adduser.conf', read, (t) => t.replace(/^DHOME=.*$/gm, 'DHOME=/var/home'));
}

function addLine(collected: Collected, pkg: string | undefined, line: TmpfilesLine): void {
  const key = pkg ?? '';
  const list = collected.get(key);
  if (list === undefined) collected.set(key, [line]);
  else list.push(line);
}

// §5.2: directories and symlinks under `from` become tmpfiles.d lines at the same place under
// `to` (numeric owners: no NSS is needed at boot to apply them); regular files are dropped with a
// warning, as rpm-ostree's importer drops them. `from` is left empty. Paths the integration file
// already creates are skipped, so systemd-tmpfiles sees no duplicate line.
function convertToTmpfiles(tree: ComposeTree, from: string, to: string, covered: Set<string>, collected: Collected, warnings: TreeWarning[]): void {
  if (tree.get(from)?.type !== 'dir') return;
  const entries: [string, TreeEntry][] = [...tree.walk(from)].slice(1);
  for (const [p, e] of entries) {
    const dest = to + p.slice(from.length);
    if (e.type === 'file') {
      warnings.push({ path: p, message: `dropped: a regular file under ${from} is not part of an OSTree commit (only directories and symlinks become tmpfiles.d lines)` });
      continue;
    }
    if (covered.has(dest)) continue;
    if (!tmpfilesCanExpress(dest) || (e.type === 'symlink' && !tmpfilesCanExpress(e.target))) {
      warnings.push({ path: p, message: 'dropped: a line break in the path or link target cannot be written as a tmpfiles.d line' });
      continue;
    }
    if (e.type === 'dir') addLine(collected, e.pkg, { type: 'd', path: dest, mode: e.meta.mode, uid: e.meta.uid, gid: e.meta.gid });
    else addLine(collected, e.pkg, { type: 'L', path: dest, target: e.target });
  }
  for (const name of tree.list(from)) tree.remove(joinPath(from, name));
}

// §5.5 item 16: a fresh root with the OSTree mount points and links; only usr, boot, var and the
// UsrMove links move over from the assembled tree. Content of the dirs that become links is
// turned into tmpfiles lines at the link's target; anything else at the top level is dropped.
function rebuildToplevel(tree: ComposeTree, tmpIsDir: boolean, covered: Set<string>, collected: Collected, warnings: TreeWarning[]): void {
  const keep = new Set(['usr', 'boot', 'var', 'run', ...USRMOVE_LINKS]);
  for (const name of tree.list('/').sort()) {
    const p = `/${name}`;
    if (keep.has(name)) continue;
    const redirect = REDIRECTS[name];
    if (redirect !== undefined) convertToTmpfiles(tree, p, redirect, covered, collected, warnings);
    else if (EMPTIED.has(name)) {
      for (const child of tree.list(p).sort()) warnings.push({ path: joinPath(p, child), message: `dropped: ${p} is a mount point or link in an OSTree root` });
    } else if (name !== 'etc') warnings.push({ path: p, message: 'dropped: an OSTree root keeps only /usr, /boot, /var and the merged-/usr links at the top level' });
    tree.remove(p);
  }
  tree.set('/', { type: 'dir', meta: DEFAULT_DIR_META });
  for (const name of TOPLEVEL_DIRS) tree.set(`/${name}`, { type: 'dir', meta: DEFAULT_DIR_META });
  for (const [name, target] of TOPLEVEL_LINKS) tree.symlink(`/${name}`, target);
  // §3.4 tmp-is-dir: a real sticky /tmp for tmp.mount, else the shared /sysroot/tmp.
  if (tmpIsDir) tree.set('/tmp', { type: 'dir', meta: { ...DEFAULT_DIR_META, mode: 0o1777 } });
  else tree.symlink('/tmp', 'sysroot/tmp');
}

function tmpfilesName(pkg: string): string {
  return pkg === '' ? AUTOVAR_CONF : `${TMPFILES_DIR}/pkg-${pkg}.conf`;
}

// One tmpfiles.d file per package (as rpm-ostree's importer writes rpm-ostree/tmpfiles.d/<pkg>.conf),
// plus the integration file; file names sort so the integration lines come first.
function writeTmpfiles(tree: ComposeTree, integration: TmpfilesLine[], collected: Collected): void {
  const enc = new TextEncoder();
  tree.mkdir(TMPFILES_DIR);
  tree.writeFile(INTEGRATION_CONF, enc.encode(formatTmpfiles(integration, 'OSTree layout links and directories (generated by jigtree)')));
  for (const pkg of [...collected.keys()].sort()) {
    const header = pkg === '' ? 'from /var, /run and top-level content no package owns (generated by jigtree)' : `from the /var and /run content of package ${pkg} (generated by jigtree)`;
    tree.writeFile(tmpfilesName(pkg), enc.encode(formatTmpfiles(collected.get(pkg) ?? [], header)));
  }
}
