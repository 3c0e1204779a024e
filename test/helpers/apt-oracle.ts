/*
 * apt 2.6 as an oracle for the deb resolver (depsolve.md §7.2): a private apt root in a fresh
 * temporary directory (never /etc/apt), whose only source is the real, still-signed bookworm
 * index that ../shared/tools/make-apt-index copies into fixtures/build/apt-index. apt verifies
 * that index's InRelease with Debian's archive keyring (`signed-by`), exactly as on a real
 * system, and `apt-get update` runs once per oracle, offline (a file: source).
 *
 * - aptResolve: `apt-get install --assume-no -V [--no-install-recommends] NAMES` on an empty dpkg
 *   status: apt's decision only (no `-s`, so no ordering simulation); the "NEW packages" list with
 *   its versions is the set. Architectures come from the index (name + version -> Architecture).
 * - aptBootstrap: the package selection of mmdebstrap 1.3.5's variants, by running the apt-get
 *   calls mmdebstrap itself makes (read from /usr/bin/mmdebstrap: run_download, run_install and
 *   its apt.conf), in this private root. `mmdebstrap --simulate` runs its second apt call on an
 *   empty status (nothing is unpacked), so its output is not the set a real run installs; here the
 *   first stage's packages are written into a dpkg status file ("install ok installed") before the
 *   second stage runs, as after a real extract. Recommends are off, as mmdebstrap configures apt.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { BUILD_DIR, SHARED_TOOLS } from './paths.js';

const run = promisify(execFile);

/** The local copy of the real bookworm index (make-apt-index's layout). */
export const APT_INDEX = path.join(BUILD_DIR, 'apt-index');
/** Debian's archive keyring, which signs the real InRelease (package debian-archive-keyring). */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** One package as both sides are compared: arch is the Packages field (`all` or `amd64`). */
export type AptPackage = { name: string; arch: string; version: string };
/** apt's answer: the new packages, or the failure text (its E: lines and explanation block). */
export type AptOutcome = { ok: true; set: AptPackage[]; text: string } | { ok: false; text: string };
/** mmdebstrap variants reproduced (depsolve.md §3.6; `minbase` is mmdebstrap's alias of `required`). */
export type BootstrapVariant = 'essential' | 'apt' | 'minbase' | 'buildd';
/** One Packages paragraph's identity. */
export type IndexEntry = { name: string; version: string; arch: string };

/** The Packages file of an index made by make-apt-index. */
export const indexPackagesFile = (indexDir: string, suite = 'bookworm', component = 'main', arch = 'amd64'): string =>
  path.join(indexDir, 'dists', suite, component, `binary-${arch}`, 'Packages');

/**
 * Builds the index when it is missing or older than the host's apt lists. make-apt-index
 * rewrites Packages in place, so it runs once per test run from the global setup and only when
 * needed; test files calling this afterwards find it current and leave it alone (no race).
 */
export async function ensureAptIndex(indexDir: string = APT_INDEX): Promise<string> {
  if (await aptIndexCurrent(indexDir)) return indexDir;
  await run(path.join(SHARED_TOOLS, 'make-apt-index'), [indexDir]);
  return indexDir;
}

/** Whether the index's InRelease is the host's (apt's lists) and its Packages file is there. */
async function aptIndexCurrent(indexDir: string): Promise<boolean> {
  try {
    const mine = await readFile(path.join(indexDir, 'dists', 'bookworm', 'InRelease'));
    const lists = '/var/lib/apt/lists';
    const names = (await readdir(lists)).filter((n) => n.endsWith('_dists_bookworm_InRelease'));
    for (const n of names) if (mine.equals(await readFile(path.join(lists, n)))) return (await stat(indexPackagesFile(indexDir))).size > 0;
    return false;
  } catch {
    return false;
  }
}

/** Streams a Packages file (or a dpkg status) and calls `visit` with each paragraph's lines. */
async function eachParagraph(file: string, visit: (lines: string[]) => void): Promise<void> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lines: string[] = [];
  for await (const line of rl) {
    if (line === '') {
      if (lines.length > 0) visit(lines);
      lines = [];
    } else lines.push(line);
  }
  if (lines.length > 0) visit(lines);
}

const field = (lines: readonly string[], name: string): string | undefined => {
  const prefix = `${name}:`;
  const l = lines.find((x) => x.startsWith(prefix));
  return l?.slice(prefix.length).trim();
};

/** Name, version and architecture of every paragraph of a Packages file, in file order. */
export async function readIndexEntries(file: string): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  await eachParagraph(file, (lines) => {
    const name = field(lines, 'Package');
    const version = field(lines, 'Version');
    const arch = field(lines, 'Architecture');
    if (name === undefined || version === undefined || arch === undefined) throw new Error(`${file}: paragraph without Package/Version/Architecture: ${lines[0] ?? ''}`);
    out.push({ name, version, arch });
  });
  return out;
}

/** The distinct package names of an index, sorted (the pool requests are drawn from). */
export const indexNames = (entries: readonly IndexEntry[]): string[] => [...new Set(entries.map((e) => e.name))].sort();

/** `name=version:arch`, the key both sides are compared on. */
export const packageKey = (p: AptPackage): string => `${p.name}=${p.version}:${p.arch}`;

/** The private apt root and the calls made in it. */
export type AptOracle = {
  /** The temporary root (Dir) of this apt. */
  root: string;
  /** The index the root's only source points at. */
  indexDir: string;
  /** Environment for apt-get in this root (APT_CONFIG, LC_ALL=C). */
  env: NodeJS.ProcessEnv;
  /** Every paragraph of the index (name, version, arch). */
  entries: IndexEntry[];
  /** apt-get with this root's config; never throws on a non-zero exit. */
  aptGet: (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  /** What `apt-get install` on an empty system would add (depsolve.md §7.2). */
  aptResolve: (packages: readonly string[], options: { recommends: boolean }) => Promise<AptOutcome>;
  /** mmdebstrap's package selection for a variant (depsolve.md §3.6). */
  aptBootstrap: (variant: BootstrapVariant) => Promise<AptOutcome>;
  /** Removes the root. */
  dispose: () => Promise<void>;
};

// mmdebstrap 1.3.5's patterns (run_download / run_install), for the suite and native arch.
const narrow = (suite: string, arch: string, what: string): string => `?narrow(?or(?archive(^${suite}$),?codename(^${suite}$)),?architecture(${arch}),${what})`;
// What mmdebstrap writes into its apt.conf for every variant but `apt` (apt would otherwise count
// itself as Essential), plus no binary caches: ForceEssential is applied when the cache is built,
// and the root's cache from `apt-get update` was built with apt's default.
const NOT_APT_ESSENTIAL = ['-o', 'pkgCacheGen::ForceEssential=,', '-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache='];
const NO_RECOMMENDS = ['-o', 'APT::Install-Recommends=false'];
const NOISE = /^(Reading package lists|Building dependency tree|Reading state information)\.\.\.( Done)?$/;

/**
 * Sets up the private root and runs `apt-get update` against the index. `W` is a fresh mkdtemp
 * directory before anything is written: every path in apt.conf is under it (depsolve.md §7.2).
 */
export async function openAptOracle(options: { indexDir?: string; suite?: string; arch?: string } = {}): Promise<AptOracle> {
  const indexDir = path.resolve(options.indexDir ?? APT_INDEX);
  const suite = options.suite ?? 'bookworm';
  const arch = options.arch ?? 'amd64';
  const W = await mkdtemp(path.join(os.tmpdir(), 'jigtree-aptroot-'));
  if (!path.isAbsolute(W) || W === '/' || !W.includes('jigtree-aptroot-')) throw new Error(`refusing apt root ${W}`);
  try {
    // apt drops to the _apt user to fetch: the root must be traversable and readable by it.
    await chmod(W, 0o755);
    for (const d of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg', 'var/log/apt', 'status']) {
      await mkdir(path.join(W, d), { recursive: true });
    }
    await writeFile(path.join(W, 'var/lib/dpkg/status'), '');
    const conf = [
      `Dir "${W}/";`,
      `Dir::State::status "${W}/var/lib/dpkg/status";`,
      `Dir::Etc::main "${W}/etc/apt/apt.conf";`,
      `Dir::Etc::parts "${W}/etc/apt/apt.conf.d";`,
      `Dir::Etc::sourcelist "${W}/etc/apt/sources.list";`,
      `Dir::Etc::sourceparts "${W}/etc/apt/sources.list.d";`,
      `Dir::Etc::preferences "${W}/etc/apt/preferences";`,
      `Dir::Etc::preferencesparts "${W}/etc/apt/preferences.d";`,
      `APT::Architecture "${arch}";`,
      `APT::Architectures { "${arch}"; };`,
      'Acquire::Languages "none";',
      '',
    ].join('\n');
    await writeFile(path.join(W, 'apt.conf'), conf);
    await writeFile(path.join(W, 'etc/apt/sources.list'), `deb [signed-by=${DEBIAN_KEYRING}] file:${indexDir} ${suite} main\n`);
  } catch (err) {
    await rm(W, { recursive: true, force: true });
    throw err;
  }
  // APT_CONFIG is read before any other configuration, so /etc/apt is never consulted.
  const env: NodeJS.ProcessEnv = { ...process.env, APT_CONFIG: path.join(W, 'apt.conf'), LC_ALL: 'C', LANGUAGE: '' };
  // One apt-get at a time: a non-simulated install takes the root's dpkg lock.
  let queue: Promise<unknown> = Promise.resolve();
  const aptGet = (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const next = queue.then(() => aptGetNow(args));
    queue = next.catch(() => undefined);
    return next;
  };
  const aptGetNow = async (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run('apt-get', [...args], { env, maxBuffer: 1 << 28 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err; // apt-get missing or not runnable: an oracle never skips
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  // Waits for apt-get calls still queued (a test may have stopped waiting for one) before removing.
  const dispose = async (): Promise<void> => {
    await queue;
    await rm(W, { recursive: true, force: true });
  };
  let entries: IndexEntry[];
  try {
    const up = await aptGet(['update']);
    if (up.code !== 0 || /^(E|W): /m.test(up.stderr)) throw new Error(`apt-get update in ${W} failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
    entries = await readIndexEntries(indexPackagesFile(indexDir, suite, 'main', arch));
  } catch (err) {
    await dispose();
    throw err;
  }
  const archOf = new Map(entries.map((e) => [`${e.name}=${e.version}`, e.arch]));

  /** Parses `apt-get ... --assume-no -V` output; apt's exit is 1 after "Abort." when it would act. */
  const outcome = (r: { code: number; stdout: string; stderr: string }): AptOutcome => {
    const text = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => !NOISE.test(l))
      .join('\n')
      .trim();
    const wouldAct = r.code === 1 && /^Abort\.$/m.test(r.stdout);
    if ((r.code !== 0 && !wouldAct) || /^E: /m.test(r.stderr)) return { ok: false, text };
    if (/^The following packages will be REMOVED:/m.test(r.stdout)) throw new Error(`apt wants to remove packages from an empty system:\n${text}`);
    const set = parseNewPackages(r.stdout).map(({ name, qualifier, version }) => {
      const found = archOf.get(`${name}=${version}`);
      if (found === undefined) throw new Error(`apt installs ${name} ${version}, which is not in ${indexDir}`);
      return { name, version, arch: qualifier ?? found };
    });
    const count = /^\d+ upgraded, (\d+) newly installed/m.exec(r.stdout);
    if (count === null || Number(count[1]) !== set.length) throw new Error(`apt's summary does not match the ${set.length} NEW packages parsed:\n${text}`);
    return { ok: true, set: sortPackages(set), text };
  };

  const aptResolve = async (packages: readonly string[], opts: { recommends: boolean }): Promise<AptOutcome> =>
    outcome(await aptGet(['install', '--assume-no', '-V', '-o', `APT::Install-Recommends=${opts.recommends}`, '-o', 'APT::Install-Suggests=false', ...packages]));

  /** Writes the packages of a first stage as installed, as dpkg's status is after it unpacked them. */
  const writeStatus = async (file: string, installed: readonly AptPackage[]): Promise<void> => {
    const want = new Set(installed.map((p) => `${p.name}=${p.version}`));
    const out: string[] = [];
    const DROP = new Set(['Filename', 'Size', 'MD5sum', 'SHA256', 'Description-md5']);
    await eachParagraph(indexPackagesFile(indexDir, suite, 'main', arch), (lines) => {
      if (!want.has(`${field(lines, 'Package') ?? ''}=${field(lines, 'Version') ?? ''}`)) return;
      // Keep continuation lines with their field; drop the archive-only fields.
      const kept: string[] = [];
      let dropping = false;
      for (const l of lines) {
        if (!l.startsWith(' ') && !l.startsWith('\t')) dropping = DROP.has(l.slice(0, l.indexOf(':')));
        if (!dropping) kept.push(l);
      }
      kept.splice(1, 0, 'Status: install ok installed');
      out.push(kept.join('\n'));
    });
    if (out.length !== want.size) throw new Error(`status for ${want.size} packages: found ${out.length} in the index`);
    await writeFile(file, `${out.join('\n\n')}\n`);
  };

  const aptBootstrap = async (variant: BootstrapVariant): Promise<AptOutcome> => {
    if (variant === 'apt') {
      // mmdebstrap: `apt-get dist-upgrade` on an empty status installs Essential + apt (apt counts
      // itself as essential), with no ForceEssential override in this variant.
      return outcome(await aptGet(['dist-upgrade', '--assume-no', '-V', ...NO_RECOMMENDS]));
    }
    const essential = outcome(await aptGet([...NOT_APT_ESSENTIAL, ...NO_RECOMMENDS, 'install', '--assume-no', '-V', narrow(suite, arch, '?essential')]));
    if (variant === 'essential' || !essential.ok) return essential;
    // Second stage, with the first stage installed: Priority required (not Essential), apt among
    // them, and build-essential for buildd.
    const status = path.join(W, 'status', `${variant}.status`);
    await writeStatus(status, essential.set);
    const extra = variant === 'buildd' ? ['build-essential'] : [];
    const second = outcome(
      await aptGet([...NOT_APT_ESSENTIAL, ...NO_RECOMMENDS, '-o', `Dir::State::status=${status}`, 'install', '--assume-no', '-V', ...extra, narrow(suite, arch, '?and(?priority(required),?not(?essential))')]),
    );
    if (!second.ok) return second;
    return { ok: true, set: sortPackages([...essential.set, ...second.set]), text: `${essential.text}\n${second.text}` };
  };

  return { root: W, indexDir, env, entries, aptGet, aptResolve, aptBootstrap, dispose };
}

/** The "NEW packages" list of `apt-get install -V` output: name, `:arch` qualifier if any, version. */
export function parseNewPackages(stdout: string): { name: string; qualifier: string | undefined; version: string }[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf('The following NEW packages will be installed:');
  if (start < 0) return [];
  const out: { name: string; qualifier: string | undefined; version: string }[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(' ')) break;
    const m = /^\s+([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))? \((\S+)\)$/.exec(line);
    if (m === null) throw new Error(`unexpected line in apt's NEW list: ${JSON.stringify(line)}`);
    const [, name = '', qualifier, version = ''] = m;
    out.push({ name, qualifier, version });
  }
  return out;
}

/** Sorted by name, then arch, then version, as the lockfile and `resolve --json` are. */
export function sortPackages(ps: AptPackage[]): AptPackage[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return ps.sort((a, b) => cmp(a.name, b.name) || cmp(a.arch, b.arch) || cmp(a.version, b.version));
}

/** mulberry32: a tiny seeded PRNG, so drawn requests are the same on every run. */
export function mulberry32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct items of `pool` (distinct items in a fixed order, e.g. sorted), drawn with `random`. */
export function drawDistinct(pool: readonly string[], count: number, random: () => number): string[] {
  if (count > pool.length) throw new Error(`cannot draw ${count} of ${pool.length}`);
  const rest = [...pool];
  const out: string[] = [];
  // A partial Fisher-Yates shuffle: each draw takes one of the remaining items.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (rest.length - i));
    const a = rest[i];
    const b = rest[j];
    if (a === undefined || b === undefined) throw new Error('draw out of range');
    rest[i] = b;
    rest[j] = a;
    out.push(b);
  }
  return out;
}
