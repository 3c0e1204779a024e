/*
 * The RPM oracle of issue 5 ("the same checks against `rpm -i --noscripts --nodeps --root` of the
 * same set"): installs .rpm files into an empty directory with rpm 4.18 and says which paths are
 * rpm's own, which the packages ship, and which are %ghost.
 *
 * rpm 4.18.0 (Debian 12) behaviour, verified on fixtures/build/rpm-repo (make-rpm-repo), as root:
 * - The rpmdb goes to `_dbpath` inside the root (Debian's default is ~/.rpmdb); we define it as
 *   RPM_ORACLE_DBPATH (/.oracle-rpmdb: rpmdb.sqlite, -shm, -wal, .rpm.lock), a top-level
 *   directory no package ships and no implied parent is needed for. Nothing else is created by rpm
 *   itself (no /var/tmp, no /var/lib/rpm).
 * - Parent directories that no package lists (e.g. /usr, /etc when no filesystem package owns
 *   them) are created as root:root 0755: reported as `impliedDirs`, compare them like any dir.
 * - %ghost files are NOT created (demo-files' /var/log/demo/demo.log); the directory is.
 * - %config / %config(noreplace) files are installed like any file on a fresh install.
 * - Owners are looked up by NAME in the target's /etc/passwd and /etc/group (rpm chroots into
 *   --root for the lookup); a name that does not resolve there, including a numeric one such as
 *   %attr(0755,1001,1001), falls back to root with "warning: user 1001 does not exist - using
 *   root" (see `ownerFallbacks`). --noscripts means %pre's useradd never runs, so packaged users
 *   (demo-user's "demo") fall back to root as well.
 * - %caps: the capability is written as the security.capability xattr (demo-files' demo-ping gets
 *   cap_net_raw=ep; `getcap` shows it); read it with manifestOfDir(dir, { xattrs: (n) => n ===
 *   'security.capability' }).
 * - Hard links in the payload stay hard links (manifestOfDir reports them as files).
 * - Debian's rpm prints "RPM should not be used directly ..." on stderr; harmless.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the oracle's rpmdb lands inside the target (an rpm `_dbpath`, relative to --root). */
export const RPM_ORACLE_DBPATH = '/.oracle-rpmdb';

/** True for paths rpm itself creates in the target that no package ships: the rpmdb. */
export function isRpmOwnPath(p: string): boolean {
  return p === RPM_ORACLE_DBPATH || p.startsWith(`${RPM_ORACLE_DBPATH}/`);
}

/** Options of rpmInstallRoot. */
export type RpmInstallRootOptions = {
  /** .rpm file paths, installed in one transaction (rpm orders them). */
  rpms: string[];
  /** The root directory (created by rpm when missing). */
  target: string;
  /** Pass --replacefiles (file conflicts between packages are errors otherwise). */
  replaceFiles?: boolean;
};

/** What rpmInstallRoot did. */
export type RpmInstallRootResult = {
  /** Every path the packages list (files, dirs, symlinks, ghosts), "/opt/demo/bin/x". */
  packagePaths: Set<string>;
  /** The %ghost paths among them (listed, never created by rpm). */
  ghostPaths: Set<string>;
  /** Parent directories rpm had to create that no package lists. */
  impliedDirs: Set<string>;
  /** "user demo", "group adm": owner names rpm could not resolve and replaced by root. */
  ownerFallbacks: string[];
};

/** Runs `rpm -i --noscripts --nodeps --nosignature --root TARGET` with the rpmdb at RPM_ORACLE_DBPATH. */
export async function rpmInstallRoot(opts: RpmInstallRootOptions): Promise<RpmInstallRootResult> {
  if (opts.rpms.length === 0) throw new Error('rpmInstallRoot: no rpms');
  const define = ['--define', `_dbpath ${RPM_ORACLE_DBPATH}`];
  let stderr: string;
  try {
    const r = await run('rpm', ['-i', '--noscripts', '--nodeps', '--nosignature', ...(opts.replaceFiles === true ? ['--replacefiles'] : []), '--root', opts.target, ...define, ...opts.rpms], { maxBuffer: 64 << 20 });
    stderr = r.stderr;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`rpm -i failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
  }
  // One line per file: its flags (rpm's fflags letters: c config, d doc, g ghost, ...) and path.
  const q = await run('rpm', ['-qp', '--nosignature', '--qf', '[%{FILEFLAGS:fflags}\\t%{FILENAMES}\\n]', ...opts.rpms], { maxBuffer: 64 << 20 });
  const packagePaths = new Set<string>();
  const ghostPaths = new Set<string>();
  for (const line of q.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const p = line.slice(tab + 1);
    packagePaths.add(p);
    if (line.slice(0, tab).includes('g')) ghostPaths.add(p);
  }
  const impliedDirs = new Set<string>();
  for (const p of packagePaths) {
    for (let d = p.slice(0, p.lastIndexOf('/')); d !== ''; d = d.slice(0, d.lastIndexOf('/'))) {
      if (!packagePaths.has(d)) impliedDirs.add(d);
    }
  }
  const ownerFallbacks = [...new Set([...stderr.matchAll(/warning: (user|group) (\S+) does not exist - using root/g)].map((m) => `${m[1] ?? ''} ${m[2] ?? ''}`))].sort();
  return { packagePaths, ghostPaths, impliedDirs, ownerFallbacks };
}
