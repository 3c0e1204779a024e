/**
 * `jigtree jigdo REV -o DIR` and `compose --jigdo DIR` (issue 6 "Emit"): the jigdo set of a
 * composed commit, optionally signed and wrapped as an ordinary .rpm or .deb whose dependencies
 * pin every package of the tree at its exact version, so a mirror carries nothing but packages.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fsError, NotFoundError, SignatureError, UsageError } from '../core/index.js';
import { cachedPackagePath } from '../fetch/index.js';
import {
  buildJigdo, isSafeLocation, JIGDO_INSTALL_DIR, MANIFEST_FILE, SIGNATURE_FILE, writeDebPackage, writeRpmPackage, debFileName, rpmFileName,
  type ImportedFiles, type JigdoManifest, type JigdoPackage, type JigdoRepo, type PackageSpec,
} from '../jigdo/index.js';
import { loadCommit, lookupMetadata, openRepo, resolveRev, type Checksum, type Repo } from '../ostree/index.js';
import { COMPOSE_METADATA } from './compose.js';
import { importPackage, loadCachedImport } from './compose/import-package.js';


/** Options of emitJigdo. */
export type JigdoOptions = {
  repo: string;
  /** A ref or commit checksum. */
  rev: string;
  /** Output directory: the set, or (with asPackage) the package file. */
  out: string;
  /** An armored OpenPGP secret key (unprotected) to sign the manifest with. */
  signKey?: string;
  asPackage?: 'rpm' | 'deb';
  /** Package name; default `<ref as a package name>-jigdo`. */
  packageName?: string;
  /** Where compose keeps downloads: a package whose import record is gone is re-imported from there. */
  cacheDir?: string;
  signal?: AbortSignal;
};

/** What emitJigdo wrote. */
export type JigdoResult = {
  commit: Checksum;
  ref: string;
  version: string | undefined;
  /** The set directory (a temporary one, removed, when a package was asked for). */
  dir: string | undefined;
  signed: boolean;
  /** Bytes of the set: manifest, signature and parts. */
  setBytes: number;
  parts: number;
  /** Bytes of the tree's packages, for comparison. */
  packageBytes: number;
  stats: JigdoManifest['stats'];
  package?: { file: string; name: string; size: number; sha256: string };
};

/** The package list of a composed commit (jigtree.packages, compose format 2). */
function commitPackages(meta: Awaited<ReturnType<typeof loadCommit>>['metadata'], what: string): { packages: JigdoPackage[]; repos: JigdoRepo[] } {
  const pk = lookupMetadata(meta, COMPOSE_METADATA.packages);
  const rp = lookupMetadata(meta, COMPOSE_METADATA.repos);
  if (pk === undefined || rp === undefined) throw new NotFoundError(`${what}: no jigtree.packages metadata (was it composed by jigtree?)`);
  if (pk.type !== 'a(ssssssst)') throw new UsageError(`${what}: jigtree.packages has type ${pk.type}; it was composed by an older jigtree, recompose it to emit a jigdo`);
  const repos = (rp.value as [string, string, string, string][]).map(([id, kind, baseurl]) => ({ id, kind: kind as JigdoRepo['kind'], baseurl }));
  const packages = (pk.value as [string, string, string, string, string, string, string, bigint][]).map(([kind, name, evr, arch, digest, repo, location, size]) => {
    if (!isSafeLocation(location)) throw new UsageError(`${what}: package ${name} comes from ${location}, outside its repo's base URL; a jigdo can only name packages below a repo`);
    return { kind: kind as 'rpm' | 'deb', name, evr, arch, digest, size: Number(size), repo, location };
  });
  return { packages, repos };
}

/** The tree's architecture: the most common package arch other than noarch/all. */
function treeArch(packages: readonly JigdoPackage[]): string {
  const n = new Map<string, number>();
  for (const p of packages) if (p.arch !== 'noarch' && p.arch !== 'all') n.set(p.arch, (n.get(p.arch) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? packages[0]?.arch ?? 'noarch';
}

/** A package name for the set of `ref` (Debian Policy 5.6.1 for deb; rpm allows `_` too). */
export function jigdoPackageName(ref: string, kind: 'rpm' | 'deb'): string {
  const base = kind === 'deb' ? ref.toLowerCase().replace(/[^a-z0-9.+-]+/g, '-') : ref.replace(/[^A-Za-z0-9._+-]+/g, '-');
  return `${base.replace(/^[^A-Za-z0-9]+|-+$/g, '')}-jigdo`;
}

async function signManifest(bytes: Uint8Array, keyFile: string, timestamp: number): Promise<Uint8Array> {
  const pgp = await import('openpgp');
  let armored: string;
  try {
    armored = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw fsError(keyFile, err);
  }
  let key: Awaited<ReturnType<typeof pgp.readPrivateKey>>;
  try {
    key = await pgp.readPrivateKey({ armoredKey: armored });
  } catch (err) {
    throw new SignatureError(keyFile, `not an armored OpenPGP secret key (${(err as Error).message})`);
  }
  if (!key.isDecrypted()) throw new SignatureError(keyFile, 'the secret key is passphrase-protected; export an unprotected signing subkey for the build machine');
  // Dated by the commit (or the key's creation, when the key is newer: a signature may not
  // predate its key), so the same commit and key give the same signature bytes.
  const created = Math.floor(key.getCreationTime().getTime() / 1000);
  try {
    const message = await pgp.createMessage({ binary: bytes });
    // openpgp's declared return type depends on web-stream types that are not installed; for a
    // Uint8Array message with format 'armored' it is a string.
    const sign = pgp.sign as (o: { message: typeof message; signingKeys: typeof key; detached: true; format: 'armored'; date: Date }) => Promise<string>;
    const sig = await sign({ message, signingKeys: key, detached: true, format: 'armored', date: new Date(Math.max(timestamp, created) * 1000) });
    return new TextEncoder().encode(sig);
  } catch (err) {
    throw new SignatureError(keyFile, `cannot sign with this key (${(err as Error).message})`);
  }
}

/** Emits the jigdo of an existing commit; the import records come from the repo (or the download cache). */
export async function emitJigdo(opts: JigdoOptions): Promise<JigdoResult> {
  const repo = await openRepo(opts.repo);
  const commit = await resolveRev(repo, opts.rev);
  const c = await loadCommit(repo, commit);
  const { packages, repos } = commitPackages(c.metadata, `commit ${commit}`);
  const binding = lookupMetadata(c.metadata, 'ostree.ref-binding');
  const ref = binding?.type === 'as' && (binding.value as string[]).length > 0 ? ((binding.value as string[])[0] as string) : opts.rev;
  const imports: ImportedFiles[] = [];
  for (const p of packages) {
    let rec = loadCachedImport(repo, p.digest);
    const file = opts.cacheDir === undefined ? undefined : cachedPackagePath(opts.cacheDir, p.digest);
    if (rec === undefined && file !== undefined && existsSync(file)) {
      rec = await importPackage(repo, file, { name: `${p.name}-${p.evr}.${p.arch}`, digest: p.digest, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
    }
    if (rec === undefined) throw new NotFoundError(`import record of ${p.name} ${p.evr} (${p.digest}) in ${repo.path} (emit the jigdo from the repo the commit was composed in, or give --cachedir holding the package)`);
    imports.push(rec);
  }
  return emitFromImports(repo, { ...opts, commit, ref, packages, repos, imports });
}

/** Emits the jigdo of `commit` with the imports compose already has in memory (`compose --jigdo`). */
export async function emitFromImports(
  repo: Repo,
  opts: Omit<JigdoOptions, 'repo' | 'rev'> & { commit: Checksum; ref: string; packages: JigdoPackage[]; repos: JigdoRepo[]; imports: ImportedFiles[] },
): Promise<JigdoResult> {
  const kind = opts.packages[0]?.kind ?? 'rpm';
  const arch = treeArch(opts.packages);
  const out = path.resolve(opts.out);
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw fsError(out, err);
  }
  // The set is staged next to the package it becomes (same filesystem), then removed.
  const setDir = opts.asPackage === undefined ? out : mkdtempSync(path.join(out, '.jigdo-set-'));
  try {
    const built = await buildJigdo({ repo, commit: opts.commit, ref: opts.ref, kind, arch, repos: opts.repos, packages: opts.packages, imports: opts.imports, out: setDir, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
    let sigBytes = 0;
    if (opts.signKey !== undefined) {
      const sig = await signManifest(built.manifestBytes, opts.signKey, built.manifest.timestamp);
      const target = path.join(setDir, SIGNATURE_FILE);
      try {
        writeFileSync(`${target}.tmp`, sig);
        renameSync(`${target}.tmp`, target);
      } catch (err) {
        throw fsError(target, err);
      }
      sigBytes = sig.length;
    } else {
      rmSync(path.join(setDir, SIGNATURE_FILE), { force: true });
    }
    const m = built.manifest;
    const result: JigdoResult = {
      commit: opts.commit,
      ref: opts.ref,
      version: m.commitVersion,
      dir: opts.asPackage === undefined ? setDir : undefined,
      signed: opts.signKey !== undefined,
      setBytes: built.totalBytes + sigBytes,
      parts: m.parts.length,
      packageBytes: m.stats.packageBytes,
      stats: m.stats,
    };
    if (opts.asPackage !== undefined) {
      const name = opts.packageName ?? jigdoPackageName(opts.ref, opts.asPackage);
      const version = packageVersion(m.commitVersion, m.timestamp, opts.asPackage);
      const inst = `${JIGDO_INSTALL_DIR}/${name}`;
      const files = [MANIFEST_FILE, ...(opts.signKey !== undefined ? [SIGNATURE_FILE] : []), ...m.parts.map((p) => p.file)];
      const spec: PackageSpec = {
        name,
        version,
        arch: opts.asPackage === 'deb' ? (arch === 'noarch' ? 'all' : arch) : arch,
        summary: `jigdo of ${opts.ref}${m.commitVersion === undefined ? '' : ` ${m.commitVersion}`}`,
        description: `Rebuilds OSTree commit ${opts.commit} of ${opts.ref} bit for bit from the packages this package depends on: jigtree assemble ${name}.`,
        license: 'MIT',
        maintainer: 'jigtree <jigtree@localhost>',
        requires: m.packages.map((p) => ({ name: p.name, evr: p.evr, ...(p.arch === 'noarch' || p.arch === 'all' ? {} : { arch: p.arch }) })),
        provides: [{ name: `jigtree-jigdo(${m.version})` }, { name: `jigtree-jigdo-commit(${opts.commit})` }],
        files: files.map((f) => ({ path: `${inst}/${f}`, source: path.join(setDir, f), size: statSize(path.join(setDir, f)), mode: 0o644 })),
        mtime: m.timestamp,
      };
      const fileName = opts.asPackage === 'deb' ? debFileName(spec) : rpmFileName(spec);
      const target = path.join(out, fileName);
      const w = opts.asPackage === 'deb' ? await writeDebPackage(target, spec) : await writeRpmPackage(target, spec);
      result.package = { file: target, name, size: w.size, sha256: w.sha256 };
    }
    return result;
  } finally {
    if (opts.asPackage !== undefined) rmSync(setDir, { recursive: true, force: true });
  }
}

function statSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (err) {
    throw fsError(file, err);
  }
}

/** The package version: the commit's version (rpm: `-` is not allowed in Version), else the date. */
function packageVersion(version: string | undefined, timestamp: number, kind: 'rpm' | 'deb'): string {
  const v = version ?? new Date(timestamp * 1000).toISOString().slice(0, 10).replace(/-/g, '');
  const clean = kind === 'rpm' ? v.replace(/[-\s]/g, '_') : v.replace(/[^A-Za-z0-9.+~-]/g, '+');
  return /^[0-9]/.test(clean) ? clean : `0+${clean}`;
}
