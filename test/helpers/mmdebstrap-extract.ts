/*
 * The Debian oracle of issue 5 ("`--rootfs` output equals `mmdebstrap --variant=extract` of the
 * same package set path by path"): runs mmdebstrap 1.3.5 in extract mode, as root, into a
 * directory, from a loopback mirror, and says which paths of the result are mmdebstrap's own.
 *
 * What mmdebstrap does in extract mode (read from /usr/bin/mmdebstrap 1.3.5 and verified on the
 * minbase mirror, 97 packages, 2026-11-22; see MMDEBSTRAP_OWN_PATHS for the resulting list):
 * - Package set: `apt-get install <--include list>` in download mode with mmdebstrap's own apt
 *   config (Install-Recommends false), so the set is exactly the --include names plus any missing
 *   dependencies. We pass a closed set (a lockfile) and check the downloaded debs afterwards: an
 *   extract hook records $MMDEBSTRAP_ESSENTIAL (the .debs, in extraction order), so the helper
 *   fails when apt added or dropped a package.
 * - Extraction: `dpkg-deb --fsys-tarfile X | tar -C ROOT --keep-directory-symlink -x` per package
 *   in that order (no maintainer scripts, no dpkg database). Later packages overwrite earlier ones;
 *   a directory's metadata is the last tar entry's.
 * - Merged /usr: NOT set up in extract mode (no usrmerge run, no hook unless --hook-dir is
 *   given); /bin, /sbin, /lib are plain directories, exactly as the packages ship them.
 * - Before extraction the `setup` stage creates directories (/etc/apt/*, /var/cache/apt,
 *   /var/lib/apt/lists/partial, /tmp (chmod 1777), /var/lib/dpkg/{triggers,info,alternatives,
 *   updates}, /etc/dpkg/dpkg.cfg.d, /var/log/apt), /var/lib/dpkg/{status (empty), arch},
 *   /etc/fstab, /etc/apt/sources.list, copies the host's /etc/resolv.conf and /etc/hostname, and
 *   as root mknods /dev. None of that can be skipped except with --skip=setup, which breaks apt.
 *   `--skip=output/dev` only applies to tar output. Setup directories a package also ships end up
 *   with the package's metadata (tar sets it), so only the unshipped ones are "own".
 * - The `cleanup` stage runs `apt-get update` with no sources and `apt-get clean` (lists and debs
 *   go, the lock files and apt's chown of the partial/ dirs to _apt 0700 stay), removes its temp
 *   apt config, and then would delete package files: cleanup/reproducible (/var/log/*.log,
 *   /var/cache/ldconfig/aux-cache, /var/lib/dbus/machine-id, empties /etc/machine-id),
 *   cleanup/run (everything in /run but /run/lock), cleanup/tmp (everything in /tmp). We skip
 *   those three: they can only remove or change what packages ship.
 *
 * The helper also lists every path the extracted .debs contain (`tar -t` in the same hook), so
 * `ownPaths` of the result is computed, not assumed; it throws when a path is neither shipped by
 * a package nor in MMDEBSTRAP_OWN_PATHS, so a new mmdebstrap behaviour cannot hide.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Paths of an extract-mode tree that do not come from packages, or whose metadata mmdebstrap
 * changed after tar wrote them, with the reason. Directories in MMDEBSTRAP_SETUP_DIRS are own
 * only when no package ships them; everything under /dev/ is own (see DEV_NODES).
 */
export const MMDEBSTRAP_OWN_PATHS: ReadonlyMap<string, string> = new Map([
  ['/etc/apt/sources.list', 'setup: the one-line sources given on the command line'],
  ['/etc/fstab', 'setup: "# UNCONFIGURED FSTAB FOR BASE SYSTEM" unless a package ships /etc/fstab'],
  ['/etc/hostname', 'setup: copied from the host (mode too) "to allow network access from within"'],
  ['/etc/resolv.conf', 'setup: copied from the host, as /etc/hostname'],
  ['/var/lib/dpkg/arch', 'setup: the native architecture, always written (chrootless parity)'],
  ['/var/lib/dpkg/status', 'setup: empty file; apt-get update needs a dpkg status'],
  ['/var/cache/apt/archives/lock', 'apt-get install --download-only: the archives lock survives apt-get clean'],
  ['/var/lib/apt/lists/lock', 'apt-get update: the lists lock survives the cleanup update'],
  ['/var/cache/apt/archives/partial', 'shipped by apt (root 0755), but apt-get chowns it to the host\'s _apt (uid 42), mode 0700'],
  ['/var/lib/apt/lists/partial', 'shipped by apt (root 0755), but apt-get chowns it to the host\'s _apt (uid 42), mode 0700'],
]);

/** /dev entries mmdebstrap mknods/symlinks in setup when it runs as root (its @devfiles table). */
export const DEV_NODES: readonly string[] = [
  '/dev/console', '/dev/fd', '/dev/full', '/dev/null', '/dev/ptmx', '/dev/pts', '/dev/random', '/dev/shm',
  '/dev/stderr', '/dev/stdin', '/dev/stdout', '/dev/tty', '/dev/urandom', '/dev/zero',
];

/**
 * Directories the setup stage creates (with their parents) before extraction: own when no package
 * ships them (e.g. /var/lib/dpkg/triggers, which dpkg does not ship), the package's otherwise.
 */
export const MMDEBSTRAP_SETUP_DIRS: readonly string[] = [
  '/dev', '/etc', '/etc/apt', '/etc/apt/apt.conf.d', '/etc/apt/preferences.d', '/etc/apt/sources.list.d',
  '/etc/dpkg', '/etc/dpkg/dpkg.cfg.d', '/tmp', '/var', '/var/cache', '/var/cache/apt', '/var/cache/apt/archives',
  '/var/lib', '/var/lib/apt', '/var/lib/apt/lists', '/var/lib/dpkg', '/var/lib/dpkg/alternatives',
  '/var/lib/dpkg/info', '/var/lib/dpkg/triggers', '/var/lib/dpkg/updates', '/var/log', '/var/log/apt',
];

const SETUP_DIRS = new Set(MMDEBSTRAP_SETUP_DIRS);

/** True for paths mmdebstrap may create or change on its own (the static list, /dev/*, setup dirs). */
export function isMmdebstrapOwnPath(p: string): boolean {
  return MMDEBSTRAP_OWN_PATHS.has(p) || p.startsWith('/dev/') || SETUP_DIRS.has(p);
}

/** Options of mmdebstrapExtract. */
export type MmdebstrapExtractOptions = {
  /** Exact package names (optionally `name=version`), e.g. from our lockfile; a closed set. */
  packages: string[];
  /** The mirror, e.g. http://127.0.0.1:PORT (no trailing path needed). */
  mirrorUrl: string;
  /** Keyring for `signed-by`; without it the source is `trusted=yes` (unsigned test mirrors). */
  signedBy?: string;
  /** The output directory; must not exist or be empty. */
  target: string;
  /** Suite (default bookworm) and components (default main). */
  suite?: string;
  components?: string;
  /**
   * Set up merged /usr before extraction with mmdebstrap's own merged-usr hook (links bin, sbin,
   * lib and the multilib dirs into /usr, as debootstrap does), so tar follows /bin into /usr/bin:
   * the layout a bookworm system has and an OSTree tree needs.
   */
  mergedUsr?: boolean;
};

/** What mmdebstrap's merged-usr hook links on amd64 (its setup00.sh table). */
export const MERGED_USR_LINKS: readonly string[] = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** What mmdebstrapExtract did. */
export type MmdebstrapExtractResult = {
  /** The .deb file names extracted, in extraction order. */
  debs: string[];
  /** Every path the extracted packages contain ("/usr/bin/env", parents included), sorted. */
  packagePaths: Set<string>;
  /**
   * The paths of `target` that mmdebstrap made itself: present but shipped by no package, or in
   * MMDEBSTRAP_OWN_PATHS (metadata changed). Exclude these from both sides of a comparison.
   */
  ownPaths: Set<string>;
};

/** The package name of a pool file name `name_version_arch.deb`. */
const debName = (file: string): string => path.basename(file).split('_')[0] ?? file;

/** Every path under `dir` as "/a/b" (never following symlinks), without hashing anything. */
async function pathsOf(dir: string): Promise<string[]> {
  // Not readdir({recursive}): Node 20's follows symlinks to directories (tzdata's posix -> .).
  const out = ['/'];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk('');
  return out;
}

/** Runs `mmdebstrap --variant=extract --mode=root` of exactly `packages` into `target`. */
export async function mmdebstrapExtract(opts: MmdebstrapExtractOptions): Promise<MmdebstrapExtractResult> {
  if (opts.packages.length === 0) throw new Error('mmdebstrapExtract: no packages');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'jigtree-mmdebstrap-'));
  try {
    const source = `deb [${opts.signedBy === undefined ? 'trusted=yes' : `signed-by=${opts.signedBy}`}] ${opts.mirrorUrl} ${opts.suite ?? 'bookworm'} ${opts.components ?? 'main'}`;
    // The hook sees the downloaded .debs before the cleanup deletes them: record their names and
    // contents outside the tree.
    const hook = [
      'set -e',
      'printf "%s\\n" $MMDEBSTRAP_ESSENTIAL > "$JIGTREE_MM_OUT/debs"',
      'for d in $MMDEBSTRAP_ESSENTIAL; do dpkg-deb --fsys-tarfile "$1/$d" | tar -t --quoting-style=literal; done > "$JIGTREE_MM_OUT/paths"',
    ].join('\n');
    const argv = [
      '--variant=extract',
      '--mode=root',
      '--format=directory',
      `--include=${[...opts.packages].sort().join(',')}`,
      '--skip=cleanup/reproducible,cleanup/run,cleanup/tmp',
      `--extract-hook=${hook}`,
      ...(opts.mergedUsr === true ? ['--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr'] : []),
      opts.suite ?? 'bookworm',
      opts.target,
      source,
    ];
    try {
      await run('mmdebstrap', argv, { env: { ...process.env, JIGTREE_MM_OUT: work }, maxBuffer: 64 << 20 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`mmdebstrap failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
    }
    const debs = (await fs.readFile(path.join(work, 'debs'), 'utf8')).split('\n').filter((l) => l !== '').map((d) => path.basename(d));
    const wanted = [...new Set(opts.packages.map((p) => p.split('=')[0] ?? p))].sort();
    // The merged-usr hook adds its own dummy usr-is-merged package (no files) to the set.
    const got = debs.map(debName).filter((n) => !(opts.mergedUsr === true && n === 'usr-is-merged' && !wanted.includes(n))).sort();
    if (wanted.join(',') !== got.join(',')) {
      const extra = got.filter((n) => !wanted.includes(n));
      const missing = wanted.filter((n) => !got.includes(n));
      throw new Error(`mmdebstrap extracted another set than asked: extra [${extra.join(' ')}], missing [${missing.join(' ')}]`);
    }
    const packagePaths = new Set<string>(['/']);
    for (const line of (await fs.readFile(path.join(work, 'paths'), 'utf8')).split('\n')) {
      if (line === '' || line === './') continue;
      // "./usr/bin/" -> "/usr/bin"; parents too, though tar lists every directory of a .deb.
      let p = line.replace(/^\.?\/?/, '/').replace(/\/$/, '');
      if (opts.mergedUsr === true) {
        // tar followed the hook's links: /bin/sh was written to /usr/bin/sh.
        const top = p.split('/')[1] ?? '';
        if (MERGED_USR_LINKS.includes(top)) p = `/usr${p}`;
      }
      while (p !== '' && !packagePaths.has(p)) {
        packagePaths.add(p);
        p = p.slice(0, p.lastIndexOf('/'));
      }
    }
    const ownPaths = new Set<string>();
    if (opts.mergedUsr === true) for (const d of MERGED_USR_LINKS) packagePaths.add(`/${d}`).add(`/usr/${d}`);
    for (const p of await pathsOf(opts.target)) {
      if (MMDEBSTRAP_OWN_PATHS.has(p)) ownPaths.add(p);
      // The hook installs its dummy package with dpkg, which writes its database (lock files, info/format...).
      else if (opts.mergedUsr === true && (p.startsWith('/var/lib/dpkg/') || p === '/var/log/dpkg.log') && !packagePaths.has(p)) ownPaths.add(p);
      else if (!packagePaths.has(p)) {
        if (!isMmdebstrapOwnPath(p)) throw new Error(`mmdebstrap left ${p}, which no package ships and MMDEBSTRAP_OWN_PATHS does not list`);
        ownPaths.add(p);
      }
    }
    return { debs, packagePaths, ownPaths };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
