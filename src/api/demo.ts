/**
 * `jigtree demo` (issue 6, "The whole story in one command"): on the bundled fixture mirrors, for
 * Debian and RPM alike, compose the demo treefile, emit its jigdo as an ordinary package into a
 * copy of the mirror, and assemble the commit into a fresh repository from that copy alone, so
 * the two commit checksums can be compared. Needs nothing but Node: the mirrors are committed
 * (scripts/make-demo-fixtures.sh), and every step is jigtree's own code.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fsError, InternalError, NotFoundError, UsageError } from '../core/index.js';
import type { Checksum } from '../ostree/index.js';
import { assemble, type AssembleEvent } from './assemble.js';
import { compose, type ComposeEvent } from './compose.js';
import { emitJigdo, jigdoPackageName } from './jigdo.js';

/** The two package worlds the demo runs. */
export type DemoKind = 'deb' | 'rpm';

/** The steps of one kind, in order. */
export type DemoStep = 'copy' | 'compose' | 'jigdo' | 'assemble';

/** What one kind of the demo did. */
export type DemoKindResult = {
  kind: DemoKind;
  /** The demo treefile composed (in the fixtures directory). */
  treefile: string;
  ref: string;
  /** The copy of the fixture mirror the jigdo package is written into and assembled from. */
  mirror: { dir: string; url: string; packages: number; bytes: number };
  compose: { repo: string; commit: Checksum; version: string | undefined; packages: number; packageBytes: number };
  jigdo: { file: string; name: string; size: number; setBytes: number; parts: number; signed: boolean };
  assemble: {
    repo: string;
    commit: Checksum;
    signer: string | undefined;
    packages: { total: number; needed: number; downloaded: number; cached: number; bytesDownloaded: number };
    /** Bytes fetched for the jigdo itself (0: the demo hands assemble the package file in the mirror copy). */
    jigdoBytes: number;
    /** Every URL the assemble fetched from, sorted: the jigdo package's parts and the mirror copy's packages. */
    urls: string[];
  };
  /** The assembled commit is the composed one, bit for bit (same checksum). */
  identical: boolean;
  seconds: Record<DemoStep, number>;
};

/** What runDemo did. */
export type DemoResult = {
  dir: string;
  fixturesDir: string;
  kinds: DemoKindResult[];
  /** Every kind assembled its composed commit. */
  identical: boolean;
};

/** What runDemo reports while it works; the compose and assemble events are passed through. */
export type DemoEvent =
  | { type: 'step'; kind: DemoKind; step: DemoStep }
  | { type: 'copied'; kind: DemoKind; seconds: number; mirror: DemoKindResult['mirror'] }
  | { type: 'composed'; kind: DemoKind; seconds: number; ref: string; compose: DemoKindResult['compose'] }
  | { type: 'emitted'; kind: DemoKind; seconds: number; jigdo: DemoKindResult['jigdo']; packageBytes: number }
  | { type: 'assembled'; kind: DemoKind; seconds: number; assemble: DemoKindResult['assemble']; identical: boolean }
  | { type: 'compose-event'; kind: DemoKind; event: ComposeEvent }
  | { type: 'assemble-event'; kind: DemoKind; event: AssembleEvent };

/** Options of runDemo. */
export type DemoOptions = {
  /** The work directory: created, or one an earlier demo made (anything else is refused). */
  dir: string;
  /** Holds debian.yaml, rpm.yaml and their mirrors deb/ and rpm/; default the package's fixtures/demo. */
  fixturesDir?: string;
  /** Compose's metadata and download cache (assemble gets its own, fresh, under `dir`). */
  cacheDir: string;
  /** Unix seconds, for signature and Valid-Until checks. */
  now: number;
  /** Run only these kinds; default both, deb first. */
  kinds?: DemoKind[];
  signal?: AbortSignal;
  reporter?: (e: DemoEvent) => void;
};

/** Marks a directory as the demo's own, so a rerun may wipe what the last run left in it. */
export const DEMO_MARKER = '.jigtree-demo';

/** The demo treefile and mirror of each kind, below the fixtures directory. */
const LAYOUT: Record<DemoKind, { treefile: string; mirror: string }> = {
  deb: { treefile: 'debian.yaml', mirror: 'deb' },
  rpm: { treefile: 'rpm.yaml', mirror: 'rpm' },
};

/**
 * The package's own fixtures/demo: two levels above this module both in src/api and dist/api,
 * so it is found from a checkout and from an npm-installed package (package.json `files`).
 */
export function defaultDemoFixtures(): string {
  return fileURLToPath(new URL('../../fixtures/demo/', import.meta.url)).replace(/\/$/, '');
}

/** Refuses a work directory that holds anything not made by the demo (a rerun wipes its subdirectories). */
function prepareDir(dir: string): void {
  try {
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new UsageError(`demo: ${dir} exists and is not a directory`);
      if (readdirSync(dir).length > 0 && !existsSync(path.join(dir, DEMO_MARKER))) {
        throw new UsageError(`demo: ${dir} is not empty and was not made by jigtree demo; refusing to write into it`, { hint: 'give a new or empty directory' });
      }
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, DEMO_MARKER), 'Made by `jigtree demo`; a rerun replaces the deb/ and rpm/ directories here.\n');
  } catch (err) {
    throw fsError(dir, err);
  }
}

/** Package files below `dir` and their total size (the mirror's pool, not its indexes). */
function packageFiles(dir: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(deb|rpm)$/.test(e.name)) {
        count++;
        bytes += statSync(p).size;
      }
    }
  };
  try {
    walk(dir);
  } catch (err) {
    throw fsError(dir, err);
  }
  return { count, bytes };
}

/**
 * Where a mirror keeps a package of this name: Debian's pool/<component>/<prefix>/<source>/
 * (Debian Policy 5.6.1 names, `lib` + one letter for libraries), rpm-md's per-architecture dir.
 */
function packageDir(mirror: string, kind: DemoKind, name: string, arch: string): string {
  if (kind === 'rpm') return path.join(mirror, arch);
  const prefix = name.startsWith('lib') && name.length > 3 ? name.slice(0, 4) : name.slice(0, 1);
  return path.join(mirror, 'pool', 'main', prefix, name);
}

/**
 * A throwaway signing key under the work directory, so the demo also shows the signature check
 * assemble does first (jigdo-prior-art.md §10 lesson 5). Dated before any demo commit: a
 * signature older than its key would not verify. Kept between runs, so a rerun signs alike.
 */
async function demoKey(dir: string): Promise<{ secret: string; keyring: string }> {
  const keyDir = path.join(dir, 'demo-key');
  const secret = path.join(keyDir, 'signing-key.asc');
  const keyring = path.join(keyDir, 'keyring.asc');
  if (existsSync(secret) && existsSync(keyring)) return { secret, keyring };
  const pgp = await import('openpgp');
  const key = await pgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'jigtree demo (throwaway key, trust it for nothing)', email: 'demo@jigtree.invalid' }],
    date: new Date(Date.UTC(2020, 0, 1)),
    format: 'armored',
  });
  try {
    mkdirSync(keyDir, { recursive: true });
    writeFileSync(secret, key.privateKey, { mode: 0o600 });
    writeFileSync(keyring, key.publicKey);
  } catch (err) {
    throw fsError(keyDir, err);
  }
  return { secret, keyring };
}

/** Runs the demo for one kind; `work` is `<dir>/<kind>`, wiped first. */
async function runKind(kind: DemoKind, work: string, fixturesDir: string, key: { secret: string; keyring: string }, opts: DemoOptions): Promise<DemoKindResult> {
  const report = opts.reporter;
  const signal = opts.signal;
  const seconds: Record<DemoStep, number> = { copy: 0, compose: 0, jigdo: 0, assemble: 0 };
  const step = async <T>(s: DemoStep, fn: () => Promise<T> | T): Promise<[T, number]> => {
    signal?.throwIfAborted();
    report?.({ type: 'step', kind, step: s });
    const t0 = performance.now();
    const r = await fn();
    seconds[s] = (performance.now() - t0) / 1000;
    return [r, seconds[s]];
  };
  const treefile = path.join(fixturesDir, LAYOUT[kind].treefile);
  const source = path.join(fixturesDir, LAYOUT[kind].mirror);
  const mirrorDir = path.join(work, 'mirror');
  const composeRepo = path.join(work, 'compose-repo');
  const assembledRepo = path.join(work, 'assembled-repo');

  // 1. A fresh copy of the fixture mirror: the jigdo package goes there, and assemble reads only it.
  const [mirror, copySeconds] = await step('copy', () => {
    try {
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      cpSync(source, mirrorDir, { recursive: true });
    } catch (err) {
      throw fsError(mirrorDir, err);
    }
    const files = packageFiles(mirrorDir);
    return { dir: mirrorDir, url: pathToFileURL(mirrorDir).href, packages: files.count, bytes: files.bytes };
  });
  report?.({ type: 'copied', kind, seconds: copySeconds, mirror });

  // 2. Compose from the committed fixture mirror (not the copy), as a release engineer would.
  const [composed, composeSeconds] = await step('compose', async () => {
    const r = await compose({
      treefile,
      repo: composeRepo,
      cacheDir: opts.cacheDir,
      now: opts.now,
      ...(signal === undefined ? {} : { signal }),
      ...(report === undefined ? {} : { reporter: (event: ComposeEvent) => { report({ type: 'compose-event', kind, event }); } }),
    });
    if (r.commit === undefined) throw new InternalError(`demo: compose of ${treefile} into a fresh repo ended ${r.status} without a commit`);
    const packageBytes = r.packages.reduce((n, p) => n + p.size, 0);
    return { ref: r.ref, arch: r.lockfile.arch, compose: { repo: composeRepo, commit: r.commit, version: r.version, packages: r.packages.length, packageBytes } };
  });
  report?.({ type: 'composed', kind, seconds: composeSeconds, ref: composed.ref, compose: composed.compose });

  // 3. The jigdo, signed and wrapped as an ordinary package, dropped into the mirror copy.
  const [jigdo, jigdoSeconds] = await step('jigdo', async () => {
    const name = jigdoPackageName(composed.ref, kind);
    const r = await emitJigdo({
      repo: composeRepo,
      rev: composed.compose.commit,
      out: packageDir(mirrorDir, kind, name, composed.arch),
      asPackage: kind,
      packageName: name,
      signKey: key.secret,
      cacheDir: opts.cacheDir,
      ...(signal === undefined ? {} : { signal }),
    });
    if (r.package === undefined) throw new InternalError(`demo: emitJigdo wrote no ${kind} package for ${composed.ref}`);
    return { file: r.package.file, name: r.package.name, size: r.package.size, setBytes: r.setBytes, parts: r.parts, signed: r.signed, packageBytes: r.packageBytes };
  });
  const { packageBytes, ...jigdoResult } = jigdo;
  report?.({ type: 'emitted', kind, seconds: jigdoSeconds, jigdo: jigdoResult, packageBytes });

  // 4. Assemble into a fresh repo from the mirror copy alone, with a fresh download cache: every
  // package the commit needs comes from the copy, nothing from compose's repo or cache.
  const [assembled, assembleSeconds] = await step('assemble', async () => {
    const urls = new Set<string>();
    const r = await assemble({
      source: jigdo.file,
      repo: assembledRepo,
      mirrors: [mirror.url],
      keyring: key.keyring,
      cacheDir: path.join(work, 'assemble-cache'),
      now: opts.now,
      ...(signal === undefined ? {} : { signal }),
      reporter: (event: AssembleEvent) => {
        if (event.type === 'fetch-start') urls.add(event.url);
        report?.({ type: 'assemble-event', kind, event });
      },
    });
    const p = r.packages;
    return {
      repo: assembledRepo,
      commit: r.commit,
      signer: r.signer,
      packages: { total: p.total, needed: p.needed, downloaded: p.downloaded, cached: p.cached, bytesDownloaded: p.bytesDownloaded },
      jigdoBytes: r.jigdo.bytesDownloaded,
      urls: [...urls].sort(),
    };
  });
  const identical = assembled.commit === composed.compose.commit;
  report?.({ type: 'assembled', kind, seconds: assembleSeconds, assemble: assembled, identical });

  return { kind, treefile, ref: composed.ref, mirror, compose: composed.compose, jigdo: jigdoResult, assemble: assembled, identical, seconds };
}

/** Runs the demo: per kind, compose → jigdo package into a mirror copy → assemble from that copy. */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const dir = path.resolve(opts.dir);
  const fixturesDir = path.resolve(opts.fixturesDir ?? defaultDemoFixtures());
  const kinds = opts.kinds ?? ['deb', 'rpm'];
  for (const k of kinds) {
    for (const f of [LAYOUT[k].treefile, LAYOUT[k].mirror]) {
      if (!existsSync(path.join(fixturesDir, f))) {
        throw new NotFoundError(`demo fixture ${path.join(fixturesDir, f)}`);
      }
    }
  }
  const inside = (a: string, b: string): boolean => a === b || a.startsWith(`${b}${path.sep}`);
  // A rerun wipes <dir>/deb and <dir>/rpm, and the mirrors are copied into dir: keep them apart.
  if (inside(fixturesDir, dir) || inside(dir, fixturesDir)) throw new UsageError(`demo: the work directory ${dir} and the fixtures ${fixturesDir} overlap; give a directory outside the fixtures`);
  prepareDir(dir);
  const key = await demoKey(dir);
  const results: DemoKindResult[] = [];
  for (const k of kinds) results.push(await runKind(k, path.join(dir, k), fixturesDir, key, opts));
  return { dir, fixturesDir, kinds: results, identical: results.every((r) => r.identical) };
}
