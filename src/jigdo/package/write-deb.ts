/*
 * Writes a .deb (deb(5)) with nothing but Node: the jigdo set as an ordinary binary package that
 * `dpkg-deb -I` reads and `apt-ftparchive packages` indexes (issue 6, "--as-package deb").
 *
 * Layout (deb(5), dpkg-deb's own output): an ar archive (ar(5)) of three members, in this order:
 *   debian-binary    "2.0\n"
 *   control.tar.gz   ./ (0755), ./control, ./md5sums (0644), owners root:root
 *   data.tar.gz      ./, every parent directory (0755), then the files in the spec's order
 * data.tar is gzip, not xz: Node has no xz encoder, and dpkg reads gzip members (deb(5)).
 * Everything is deterministic: every mtime is spec.mtime, owners are 0/0 root/root, gzip has
 * no name and MTIME 0 (package-io.ts), control fields come in dpkg's order, lists are sorted.
 */
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { UsageError, fsError } from '../../core/index.js';
import { parseDebianVersion } from '../../pkg/index.js';
import { checkSources, createTally, fileChunks, gzipBytes, gzipTransforms, tempChunks, writeAtomically, writeChunks } from './package-io.js';
import { TAR_MAX_SIZE, tarArchive, tarEnd, tarHeader, tarPadding } from './tar-writer.js';
import {
  ancestorDirs, checkCommonSpec, checkLine, checkText, compareBytes, specError,
  type PackageSpec, type WritePackageOptions, type WrittenPackage,
} from './types.js';

/** gzip level for both tar members (dpkg-deb's default for gzip is 9). */
const GZIP_LEVEL = 9;
/** Policy §5.6.7: package names are lower case letters, digits, `+`, `-`, `.`; at least two characters, starting alphanumerically. */
const DEB_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** dpkg-architecture(1): architecture names (`amd64`, `arm64`, `all`, `hurd-i386`). */
const DEB_ARCH = /^[a-z0-9][a-z0-9-]*$/;

/** The file name a Debian archive expects: `<name>_<version without epoch>_<arch>.deb` (dpkg-name, Policy §5.6.12). */
export function debFileName(spec: PackageSpec): string {
  const colon = spec.version.indexOf(':');
  return `${spec.name}_${colon < 0 ? spec.version : spec.version.slice(colon + 1)}_${spec.arch}.deb`;
}

/**
 * A deb Provides name for one of our capabilities. Deb Provides take only plain package names
 * (Policy §7.5), so `jigtree-jigdo(1)` becomes `jigtree-jigdo-1` and
 * `jigtree-jigdo-commit(<sha256>)` becomes `jigtree-jigdo-commit-<sha256>`: lower-cased, each
 * run of characters a package name cannot hold turned into one `-`, none at either end.
 */
export function debProvideName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9+.-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '');
}

/**
 * Checks our own version strictly (Policy §5.6.12): `[epoch:]upstream[-revision]`, epoch digits,
 * upstream starting with a digit and made of alphanumerics and `.+~` (plus `-` when there is a
 * revision, `:` when there is an epoch), revision of alphanumerics and `+.~`.
 */
function checkOwnVersion(v: unknown): string {
  const what = 'a Debian version [epoch:]upstream[-revision] (Policy 5.6.12: upstream starts with a digit; letters, digits and .+~ only)';
  if (typeof v !== 'string') throw specError('version', what, v);
  const m = /^(?:(\d+):)?(.+?)(?:-([A-Za-z0-9+.~]+))?$/.exec(v);
  if (m === null) throw specError('version', what, v);
  const [, epoch, upstream = '', revision] = m;
  const chars = `A-Za-z0-9.+~${epoch === undefined ? '' : ':'}${revision === undefined ? '' : '-'}`;
  if (!new RegExp(`^[0-9][${chars}]*$`).test(upstream)) throw specError('version', what, v);
  return v;
}

/** A version taken from a repository: dpkg's own parser (lenient, as dpkg) plus nothing that breaks a relation field. */
function checkDepVersion(v: unknown, field: string): string {
  if (typeof v !== 'string' || /[\s(),|]/.test(v)) throw specError(field, 'a Debian version', v);
  try {
    parseDebianVersion(v);
  } catch {
    throw specError(field, 'a Debian version', v);
  }
  return v;
}

/** One Depends entry: `name (= version)`, `name:arch (= version)` for a foreign architecture. */
function dependsEntry(spec: PackageSpec, i: number): string {
  const d = spec.requires[i];
  if (d === undefined || typeof d.name !== 'string' || !DEB_NAME.test(d.name)) throw specError(`requires[${i}].name`, 'a Debian package name (Policy 5.6.7)', d?.name);
  const version = checkDepVersion(d.evr, `requires[${i}].evr`);
  if (d.arch !== undefined && !DEB_ARCH.test(d.arch)) throw specError(`requires[${i}].arch`, 'a Debian architecture name', d.arch);
  // An unqualified dependency means the package's own architecture (or the native one for an
  // `all` package); only a package of another architecture (multiarch) needs `:arch`.
  const foreign = d.arch !== undefined && d.arch !== 'all' && spec.arch !== 'all' && d.arch !== spec.arch;
  return `${d.name}${foreign ? `:${d.arch ?? ''}` : ''} (= ${version})`;
}

/** Sorted, duplicates dropped; two pins on one package at different versions are an error. */
function sortedRelations(entries: readonly string[], field: string): string[] {
  const byName = new Map<string, string>();
  for (const e of entries) {
    const name = e.split(' ')[0] ?? e;
    const prev = byName.get(name);
    if (prev !== undefined && prev !== e) throw new UsageError(`package spec: ${field}: ${name} is listed twice with different versions ("${prev}" and "${e}")`);
    byName.set(name, e);
  }
  return [...byName.values()].sort(compareBytes);
}

/** Description (Policy §5.6.13): the summary, then each line indented by one space, " ." for an empty line. */
function descriptionField(summary: string, description: string): string {
  const lines = description.replace(/\s+$/, '').split('\n').map((l) => l.replace(/\s+$/, ''));
  const body = description.trim() === '' ? [] : lines.map((l) => (l === '' || l === '.' ? ' .' : ` ${l}`));
  return [`Description: ${summary}`, ...body].join('\n');
}

/** Checks the spec for a .deb; returns the Depends and Provides entries. */
function checkDebSpec(spec: PackageSpec): { depends: string[]; provides: string[] } {
  checkCommonSpec(spec, { maxFileSize: TAR_MAX_SIZE, format: 'tar' });
  if (typeof spec.name !== 'string' || !DEB_NAME.test(spec.name)) throw specError('name', 'a Debian package name: [a-z0-9][a-z0-9+.-]+ (Policy 5.6.7)', spec.name);
  checkOwnVersion(spec.version);
  if (typeof spec.arch !== 'string' || !DEB_ARCH.test(spec.arch)) throw specError('arch', 'a Debian architecture name (amd64, arm64, all, ...)', spec.arch);
  checkLine(spec.summary, 'summary');
  checkText(spec.description, 'description');
  checkLine(spec.maintainer, 'maintainer');
  if (spec.url !== undefined) checkLine(spec.url, 'url');
  const depends = sortedRelations(spec.requires.map((_, i) => dependsEntry(spec, i)), 'requires');
  const provides = sortedRelations(spec.provides.map((p, i) => {
    const name = typeof p.name === 'string' ? debProvideName(p.name) : '';
    if (!DEB_NAME.test(name)) throw specError(`provides[${i}].name`, 'a name that maps to a Debian package name', p.name);
    return p.evr === undefined ? name : `${name} (= ${checkDepVersion(p.evr, `provides[${i}].evr`)})`;
  }), 'provides');
  return { depends, provides };
}

/** The control file (deb-control(5)), fields in dpkg's order. */
function controlFile(spec: PackageSpec, rel: { depends: string[]; provides: string[] }, installedSize: number): string {
  const fields: string[] = [
    `Package: ${spec.name}`,
    `Version: ${spec.version}`,
    `Architecture: ${spec.arch}`,
    `Maintainer: ${spec.maintainer}`,
    `Installed-Size: ${installedSize}`,
  ];
  if (rel.depends.length > 0) fields.push(`Depends: ${rel.depends.join(', ')}`);
  if (rel.provides.length > 0) fields.push(`Provides: ${rel.provides.join(', ')}`);
  fields.push('Section: misc', 'Priority: optional');
  if (spec.url !== undefined) fields.push(`Homepage: ${spec.url}`);
  fields.push(descriptionField(spec.summary, spec.description));
  return `${fields.join('\n')}\n`;
}

/*
 * ar member header (ar(5); dpkg lib/dpkg/ar.c dpkg_ar_member_put_header), ASCII, space-padded:
 *   name 16 (no GNU '/' terminator, as dpkg-deb writes it), mtime 12 (decimal), uid 6, gid 6,
 *   mode 8 (octal), size 10 (decimal), then "`\n". Data follows, padded to even length with "\n".
 */
function arHeader(name: string, size: number, mtime: number): Buffer {
  const field = (v: string, n: number): string => {
    if (v.length > n) throw specError('ar member', `a value of at most ${n} characters`, v);
    return v.padEnd(n, ' ');
  };
  return Buffer.from(`${field(name, 16)}${field(String(mtime), 12)}${field('0', 6)}${field('0', 6)}${field('100644', 8)}${field(String(size), 10)}\`\n`, 'latin1');
}

const AR_MAGIC = Buffer.from('!<arch>\n', 'latin1');

/**
 * Writes the .deb for `spec` to `out` atomically (a temp file in the same directory, then a
 * rename) and returns its size and SHA-256. Bad input is one UsageError naming the field.
 */
export async function writeDebPackage(out: string, spec: PackageSpec, opts: WritePackageOptions = {}): Promise<WrittenPackage> {
  const rel = checkDebSpec(spec);
  opts.signal?.throwIfAborted();
  await checkSources(spec.files);
  const dirs = ancestorDirs(spec.files.map((f) => f.path));
  const mtime = spec.mtime;
  return writeAtomically(out, async (tmp) => {
    const dataTmp = `${tmp}.data`;
    try {
      // data.tar.gz first (to a temp file): the control member needs every file's MD5.
      const md5 = new Map<string, string>();
      const dataChunks = async function* (): AsyncGenerator<Uint8Array> {
        yield tarHeader({ name: './', type: 'dir', mode: 0o755, size: 0, mtime });
        for (const d of dirs) yield tarHeader({ name: `.${d}/`, type: 'dir', mode: 0o755, size: 0, mtime });
        for (const f of spec.files) {
          yield tarHeader({ name: `.${f.path}`, type: 'file', mode: f.mode, size: f.size, mtime });
          const h = createHash('md5');
          yield* fileChunks(f, [h]);
          md5.set(f.path, h.digest('hex'));
          yield tarPadding(f.size);
        }
        yield tarEnd();
      };
      await writeChunks(dataTmp, dataChunks(), gzipTransforms(GZIP_LEVEL), opts.signal);
      const dataSize = await sizeOf(dataTmp);

      // Installed-Size as dpkg-gencontrol computes it: each file's size rounded up to KiB,
      // plus 1 KiB for every other object (directories, `./` included).
      const installedSize = spec.files.reduce((n, f) => n + Math.ceil(f.size / 1024), 0) + dirs.length + 1;
      const control = Buffer.from(controlFile(spec, rel, installedSize), 'utf8');
      // md5sums as dh_md5sums writes it: "<md5>  <path without leading />", sorted by path.
      const md5sums = Buffer.from(
        [...md5.entries()].sort((a, b) => compareBytes(a[0], b[0])).map(([p, h]) => `${h}  ${p.slice(1)}\n`).join(''),
        'utf8',
      );
      const controlTar = gzipBytes(tarArchive([
        { entry: { name: './', type: 'dir', mode: 0o755, size: 0, mtime } },
        { entry: { name: './control', type: 'file', mode: 0o644, size: control.length, mtime }, data: control },
        { entry: { name: './md5sums', type: 'file', mode: 0o644, size: md5sums.length, mtime }, data: md5sums },
      ]), GZIP_LEVEL);

      const pad = (n: number): Buffer => Buffer.from(n % 2 === 1 ? '\n' : '', 'latin1');
      const debChunks = async function* (): AsyncGenerator<Uint8Array> {
        yield AR_MAGIC;
        yield arHeader('debian-binary', 4, mtime);
        yield Buffer.from('2.0\n', 'latin1');
        yield arHeader('control.tar.gz', controlTar.length, mtime);
        yield controlTar;
        yield pad(controlTar.length);
        yield arHeader('data.tar.gz', dataSize, mtime);
        yield* tempChunks(dataTmp);
        yield pad(dataSize);
      };
      const tally = createTally(['sha256']);
      await writeChunks(tmp, debChunks(), [tally.stream], opts.signal);
      return { size: tally.size(), sha256: tally.hex('sha256') };
    } finally {
      await rm(dataTmp, { force: true });
    }
  });
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    throw fsError(file, err);
  }
}
