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

/** Slot of each record field in `toRecord`'s table, by lowercase name and by canonical spelling. */
const FIELD_KEYS = Object.keys(FIELDS) as FieldKey[];
const SLOT = new Map<string, number>();
const SLOT_OF = {} as Record<FieldKey, number>;
for (const [i, key] of FIELD_KEYS.entries()) {
  SLOT.set(key, i);
  SLOT.set(FIELDS[key], i);
  SLOT_OF[key] = i;
}
/** One empty slot per field, copied for each paragraph (a packed array, quick to copy). */
const NO_FIELDS: (Deb822Field | undefined)[] = FIELD_KEYS.map(() => undefined);
/** What parseDeb822Stream keeps of a paragraph: the rest (Description, Tag...) is never built. */
const RECORD_FIELDS = Object.values(FIELDS);

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

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** dpkg's pkg_name_is_illegal: a letter or digit, then letters, digits and `-+._`. */
function isPackageName(s: string): boolean {
  if (s.length === 0 || !isAlnum(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2d && c !== 0x2b && c !== 0x2e && c !== 0x5f) return false;
  }
  return true;
}

/** Whether `s` is all printable ASCII without blanks (so no `\s` of any kind is in it). */
function isPrintableWord(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function checkVersion(where: Where, f: Deb822Field, version: string): void {
  try {
    parseDebianVersion(version);
  } catch (err) {
    if (err instanceof FormatError) throw recordError(where, f.line, `${FIELDS.version}: ${err.message.replace(/^deb-version: /, '')}`, FIELDS.version);
    throw err;
  }
}

function readCount(where: Where, f: Deb822Field, name: string): number {
  const v = f.value;
  // Up to 15 digits is always a safe integer: the common case, without a regular expression.
  if (v.length > 0 && v.length <= 15) {
    let n = 0;
    let i = 0;
    for (; i < v.length; i++) {
      const d = v.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === v.length) return n;
  }
  const n = Number(f.value);
  if (!/^\d+$/.test(f.value) || !Number.isSafeInteger(n)) throw recordError(where, f.line, `${name}: expected a non-negative integer, found ${JSON.stringify(f.value)}`, name);
  return n;
}

const LOWER_HEX = /^[0-9a-f]*$/;

function readHex(where: Where, f: Deb822Field, name: string, length: number): string {
  // The usual lowercase digest: one regular-expression test (native code), no new string.
  if (f.value.length === length && LOWER_HEX.test(f.value)) return f.value;
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
  // The common `Source: name`: one word, so the whole value is the name the pattern below would take.
  if (isPrintableWord(f.value) && isPackageName(f.value)) return { name: f.value };
  const m = /^(\S+)(?:\s*\(\s*(\S+)\s*\))?$/.exec(f.value);
  const name = m?.[1];
  if (m === null || name === undefined || !isPackageName(name)) throw recordError(where, f.line, `${FIELDS.source}: expected 'name' or 'name (version)', found ${JSON.stringify(f.value)}`, FIELDS.source);
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
    if ('anyOf' in e) for (const r of e.anyOf) checkBinaryRelation(where, f, name, r);
    else checkBinaryRelation(where, f, name, e);
  }
  return out;
}

function checkBinaryRelation(where: Where, f: Deb822Field, name: string, r: DebRelation): void {
  if (r.arches !== undefined) throw recordError(where, f.line, `${name}: architecture list [${r.arches.join(' ')}] on ${r.name} is only allowed in source package fields`, name);
  if (r.profiles !== undefined) throw recordError(where, f.line, `${name}: build profiles on ${r.name} are only allowed in source package fields`, name);
  if (name === FIELDS.provides && r.op !== undefined && r.op !== '=') throw recordError(where, f.line, `${name}: only '=' may version a Provides, found ${r.name} (${r.op} ${r.version ?? ''})`, name);
}

/** A field that takes no alternatives; parseDebRelations already rejects `|` in these. */
function readFlatRelations(where: Where, f: Deb822Field | undefined, name: string): DebRelation[] {
  const out = readRelations(where, f, name);
  for (const e of out) if ('anyOf' in e) throw new InternalError(`${name}: alternatives survived parseDebRelations`);
  return out as DebRelation[];
}

/** One Packages paragraph → a record; FormatError naming the package, field and line. */
function toRecord(para: Deb822Paragraph, repoId: string, file: string | undefined): DebPackageRecord {
  // The paragraph holds only FIELDS (parseDeb822Stream's `fields`); spread them into a table.
  const got = NO_FIELDS.slice();
  for (const f of para.fields) {
    const i = SLOT.get(f.name) ?? SLOT.get(f.name.toLowerCase());
    if (i !== undefined) got[i] = f;
  }
  const where: Where = { para, name: undefined, file };
  const need = (key: FieldKey): Deb822Field => {
    const f = got[SLOT_OF[key]];
    if (f === undefined || f.value === '') throw recordError(where, para.line, `missing ${FIELDS[key]}`, FIELDS[key]);
    return f;
  };

  const pkg = need('package');
  where.name = pkg.value;
  if (!isPackageName(pkg.value)) throw recordError(where, pkg.line, `${FIELDS.package}: invalid package name ${JSON.stringify(pkg.value)}`, FIELDS.package);
  const version = need('version');
  checkVersion(where, version, version.value);
  const arch = need('architecture');
  if (!isPrintableWord(arch.value) && /\s/.test(arch.value)) throw recordError(where, arch.line, `${FIELDS.architecture}: expected one architecture, found ${JSON.stringify(arch.value)}`, FIELDS.architecture);
  const filename = need('filename');
  if (filename.value.includes('\n')) throw recordError(where, filename.line, `${FIELDS.filename}: expected one path, found several lines`, FIELDS.filename);
  const size = readCount(where, need('size'), FIELDS.size);
  const sha256 = readHex(where, need('sha256'), FIELDS.sha256, 64);
  const essential = got[SLOT_OF.essential];
  const installedSize = got[SLOT_OF['installed-size']];

  const rec: DebPackageRecord = {
    kind: 'deb',
    name: pkg.value,
    version: version.value,
    arch: arch.value,
    essential: essential === undefined ? false : readYesNo(where, essential, FIELDS.essential),
    repoId,
    location: filename.value,
    size,
    digest: { algo: 'sha256', hex: sha256 },
    installedSize: installedSize === undefined ? 0 : readCount(where, installedSize, FIELDS['installed-size']),
    depends: readRelations(where, got[SLOT_OF.depends], FIELDS.depends),
    preDepends: readRelations(where, got[SLOT_OF['pre-depends']], FIELDS['pre-depends']),
    recommends: readRelations(where, got[SLOT_OF.recommends], FIELDS.recommends),
    suggests: readRelations(where, got[SLOT_OF.suggests], FIELDS.suggests),
    enhances: readRelations(where, got[SLOT_OF.enhances], FIELDS.enhances),
    conflicts: readFlatRelations(where, got[SLOT_OF.conflicts], FIELDS.conflicts),
    breaks: readFlatRelations(where, got[SLOT_OF.breaks], FIELDS.breaks),
    provides: readFlatRelations(where, got[SLOT_OF.provides], FIELDS.provides),
    replaces: readFlatRelations(where, got[SLOT_OF.replaces], FIELDS.replaces),
  };
  const ma = got[SLOT_OF['multi-arch']];
  if (ma !== undefined) {
    const v = ma.value.toLowerCase();
    if (!MULTI_ARCH.has(v)) throw recordError(where, ma.line, `${FIELDS['multi-arch']}: expected same, foreign, allowed or no, found ${JSON.stringify(ma.value)}`, FIELDS['multi-arch']);
    rec.multiArch = v as DebMultiArch;
  }
  const protect = got[SLOT_OF.protected];
  if (protect !== undefined) rec.protected = readYesNo(where, protect, FIELDS.protected);
  const priority = got[SLOT_OF.priority];
  if (priority !== undefined) rec.priority = priority.value;
  const source = got[SLOT_OF.source];
  if (source !== undefined) rec.source = readSource(where, source);
  const md5 = got[SLOT_OF.md5sum];
  if (md5 !== undefined) rec.md5 = readHex(where, md5, FIELDS.md5sum, 32);
  return rec;
}

/**
 * Streams the records of a decompressed Packages index. A paragraph without Package, Version,
 * Architecture, Filename, Size or SHA256, or with a malformed field or relation, is a
 * FormatError('deb822') naming the file, the package, the field and the line.
 */
export function parsePackages(chunks: AsyncIterable<Uint8Array | string>, opts: { repoId: string; file?: string }): AsyncGenerator<DebPackageRecord> {
  const { repoId, file } = opts;
  return parseDeb822Stream(chunks, { ...(file === undefined ? {} : { file }), fields: RECORD_FIELDS, map: (para: Deb822Paragraph) => toRecord(para, repoId, file) });
}
