// apt's Packages index (depsolve.md §4.7): one deb822 paragraph per binary package, streamed
// with parseDeb822Stream so the 50 MB bookworm index is never held whole. Each paragraph
// becomes a DebPackageRecord; relationship fields are parsed here (§3.2), once, so the solver
// works on syntax trees.
import { FormatError, InternalError } from '../../core/index.js';
import { parseDeb822Stream, parseDebianVersion, parseDebRelations, type Deb822Field, type Deb822Paragraph, type DebRelation, type DebRelationExpr } from '../../pkg/index.js';
import type { DebMultiArch, DebPackageRecord } from '../types.js';

/** The fields a record is built from, by lowercase name, with their canonical spelling. */
const FIELDS = {
  package: 'Package',
  version: 'Version',
  architecture: 'Architecture',
  filename: 'Filename',
  size: 'Size',
  sha256: 'SHA256',
  md5sum: 'MD5sum',
  'installed-size': 'Installed-Size',
  'multi-arch': 'Multi-Arch',
  essential: 'Essential',
  protected: 'Protected',
  priority: 'Priority',
  source: 'Source',
  depends: 'Depends',
  'pre-depends': 'Pre-Depends',
  recommends: 'Recommends',
  suggests: 'Suggests',
  enhances: 'Enhances',
  conflicts: 'Conflicts',
  breaks: 'Breaks',
  provides: 'Provides',
  replaces: 'Replaces',
} as const;
type FieldKey = keyof typeof FIELDS;

const MULTI_ARCH = new Set<string>(['same', 'foreign', 'allowed', 'no']);

/** What the record's error messages need to say where they are. */
type Where = { para: Deb822Paragraph; name: string | undefined; file: string | undefined };

function recordError(where: Where, line: number, message: string, field?: string): FormatError {
  const label = where.name === undefined ? 'paragraph' : `package ${JSON.stringify(where.name)}`;
  return new FormatError('deb822', `line ${line}: ${label}: ${message}`, {
    data: { line, ...(where.name === undefined ? {} : { package: where.name }), ...(field === undefined ? {} : { field }) },
    ...(where.file === undefined ? {} : { file: where.file }),
  });
}

/** dpkg's pkg_name_is_illegal: a letter or digit, then letters, digits and `-+._`. */
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;

function checkVersion(where: Where, f: Deb822Field, version: string): void {
  try {
    parseDebianVersion(version);
  } catch (err) {
    if (err instanceof FormatError) throw recordError(where, f.line, `${FIELDS.version}: ${err.message.replace(/^deb-version: /, '')}`, FIELDS.version);
    throw err;
  }
}

function readCount(where: Where, f: Deb822Field, name: string): number {
  const n = Number(f.value);
  if (!/^\d+$/.test(f.value) || !Number.isSafeInteger(n)) throw recordError(where, f.line, `${name}: expected a non-negative integer, found ${JSON.stringify(f.value)}`, name);
  return n;
}

function readHex(where: Where, f: Deb822Field, name: string, length: number): string {
  if (f.value.length !== length || !/^[0-9a-fA-F]+$/.test(f.value)) throw recordError(where, f.line, `${name}: expected ${length} hex digits, found ${JSON.stringify(f.value.slice(0, 200))}`, name);
  return f.value.toLowerCase();
}

/** dpkg's booleans (`yes`/`no`, any case). */
function readYesNo(where: Where, f: Deb822Field, name: string): boolean {
  const v = f.value.toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw recordError(where, f.line, `${name}: expected 'yes' or 'no', found ${JSON.stringify(f.value)}`, name);
}

/** `Source: name` or `Source: name (version)` (binNMUs and other version skews; §4.7). */
function readSource(where: Where, f: Deb822Field): { name: string; version?: string } {
  const m = /^(\S+)(?:\s*\(\s*(\S+)\s*\))?$/.exec(f.value);
  const name = m?.[1];
  if (m === null || name === undefined || !PACKAGE_NAME.test(name)) throw recordError(where, f.line, `${FIELDS.source}: expected 'name' or 'name (version)', found ${JSON.stringify(f.value)}`, FIELDS.source);
  const version = m[2];
  if (version === undefined) return { name };
  try {
    parseDebianVersion(version);
  } catch (err) {
    if (err instanceof FormatError) throw recordError(where, f.line, `${FIELDS.source}: ${err.message.replace(/^deb-version: /, '')}`, FIELDS.source);
    throw err;
  }
  return { name, version };
}

/**
 * A relationship field of a binary package. Architecture lists and build profiles are for
 * source packages only (§3.2; apt's binary parser rejects them too), and Provides may be
 * versioned only with `=` (dpkg: "only exact versions may be used for Provides").
 */
function readRelations(where: Where, f: Deb822Field | undefined, name: string): DebRelationExpr[] {
  if (f === undefined) return [];
  let out: DebRelationExpr[];
  try {
    out = parseDebRelations(f.value, { field: name });
  } catch (err) {
    if (err instanceof FormatError) throw recordError(where, f.line, err.message.replace(/^deb822: /, ''), name);
    throw err;
  }
  for (const e of out) {
    for (const r of 'anyOf' in e ? e.anyOf : [e]) {
      if (r.arches !== undefined) throw recordError(where, f.line, `${name}: architecture list [${r.arches.join(' ')}] on ${r.name} is only allowed in source package fields`, name);
      if (r.profiles !== undefined) throw recordError(where, f.line, `${name}: build profiles on ${r.name} are only allowed in source package fields`, name);
      if (name === FIELDS.provides && r.op !== undefined && r.op !== '=') throw recordError(where, f.line, `${name}: only '=' may version a Provides, found ${r.name} (${r.op} ${r.version ?? ''})`, name);
    }
  }
  return out;
}

/** A field that takes no alternatives; parseDebRelations already rejects `|` in these. */
function readFlatRelations(where: Where, f: Deb822Field | undefined, name: string): DebRelation[] {
  return readRelations(where, f, name).map((e) => {
    if ('anyOf' in e) throw new InternalError(`${name}: alternatives survived parseDebRelations`);
    return e;
  });
}

/** One Packages paragraph → a record; FormatError naming the package, field and line. */
function toRecord(para: Deb822Paragraph, repoId: string, file: string | undefined): DebPackageRecord {
  const got: Partial<Record<FieldKey, Deb822Field>> = {};
  for (const f of para.fields) {
    const key = f.name.toLowerCase();
    if (Object.hasOwn(FIELDS, key)) got[key as FieldKey] = f;
  }
  const where: Where = { para, name: undefined, file };
  const need = (key: FieldKey): Deb822Field => {
    const f = got[key];
    if (f === undefined || f.value === '') throw recordError(where, para.line, `missing ${FIELDS[key]}`, FIELDS[key]);
    return f;
  };

  const pkg = need('package');
  where.name = pkg.value;
  if (!PACKAGE_NAME.test(pkg.value)) throw recordError(where, pkg.line, `${FIELDS.package}: invalid package name ${JSON.stringify(pkg.value)}`, FIELDS.package);
  const version = need('version');
  checkVersion(where, version, version.value);
  const arch = need('architecture');
  if (/\s/.test(arch.value)) throw recordError(where, arch.line, `${FIELDS.architecture}: expected one architecture, found ${JSON.stringify(arch.value)}`, FIELDS.architecture);
  const filename = need('filename');
  if (filename.value.includes('\n')) throw recordError(where, filename.line, `${FIELDS.filename}: expected one path, found several lines`, FIELDS.filename);
  const size = readCount(where, need('size'), FIELDS.size);
  const sha256 = readHex(where, need('sha256'), FIELDS.sha256, 64);

  const rec: DebPackageRecord = {
    kind: 'deb',
    name: pkg.value,
    version: version.value,
    arch: arch.value,
    essential: got.essential === undefined ? false : readYesNo(where, got.essential, FIELDS.essential),
    repoId,
    location: filename.value,
    size,
    digest: { algo: 'sha256', hex: sha256 },
    installedSize: got['installed-size'] === undefined ? 0 : readCount(where, got['installed-size'], FIELDS['installed-size']),
    depends: readRelations(where, got.depends, FIELDS.depends),
    preDepends: readRelations(where, got['pre-depends'], FIELDS['pre-depends']),
    recommends: readRelations(where, got.recommends, FIELDS.recommends),
    suggests: readRelations(where, got.suggests, FIELDS.suggests),
    enhances: readRelations(where, got.enhances, FIELDS.enhances),
    conflicts: readFlatRelations(where, got.conflicts, FIELDS.conflicts),
    breaks: readFlatRelations(where, got.breaks, FIELDS.breaks),
    provides: readFlatRelations(where, got.provides, FIELDS.provides),
    replaces: readFlatRelations(where, got.replaces, FIELDS.replaces),
  };
  const ma = got['multi-arch'];
  if (ma !== undefined) {
    const v = ma.value.toLowerCase();
    if (!MULTI_ARCH.has(v)) throw recordError(where, ma.line, `${FIELDS['multi-arch']}: expected same, foreign, allowed or no, found ${JSON.stringify(ma.value)}`, FIELDS['multi-arch']);
    rec.multiArch = v as DebMultiArch;
  }
  if (got.protected !== undefined) rec.protected = readYesNo(where, got.protected, FIELDS.protected);
  if (got.priority !== undefined) rec.priority = got.priority.value;
  if (got.source !== undefined) rec.source = readSource(where, got.source);
  if (got.md5sum !== undefined) rec.md5 = readHex(where, got.md5sum, FIELDS.md5sum, 32);
  return rec;
}

/**
 * Streams the records of a decompressed Packages index. A paragraph without Package, Version,
 * Architecture, Filename, Size or SHA256, or with a malformed field or relation, is a
 * FormatError('deb822') naming the file, the package, the field and the line.
 */
export async function* parsePackages(chunks: AsyncIterable<Uint8Array | string>, opts: { repoId: string; file?: string }): AsyncGenerator<DebPackageRecord> {
  for await (const para of parseDeb822Stream(chunks, opts.file === undefined ? {} : { file: opts.file })) {
    yield toRecord(para, opts.repoId, opts.file);
  }
}
