import { FormatError, InternalError } from '../core/index.js';
import { parseDebianVersion } from './vercmp-deb.js';

/*
 * deb822 control data (deb822(5)): paragraphs of `Name: value` fields separated by blank lines.
 * One parser serves a package's `control`, apt's `Packages`/`Release` (an `InRelease` after its
 * OpenPGP armor is stripped) and dpkg's `status`. Values are kept raw, as dpkg stores them: the
 * first line's text, then `\n` and every continuation line verbatim (its leading blank kept);
 * `foldDeb822Value` and `multilineDeb822Value` give the two readings deb822(5) defines.
 *
 * Cost per paragraph is a handful of string slices per field and one Map; no regular expressions
 * on the hot path, so the 100 MB bookworm `Packages` streams through `parseDeb822Stream`.
 */

/** One field: its name as spelled in the file, its raw value and the line it starts on (1-based). */
export type Deb822Field = { readonly name: string; readonly value: string; readonly line: number };

/** ASCII case-insensitive equality of field names (deb822(5) names are US-ASCII), allocation-free. */
function sameName(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const lx = x | 0x20;
    if (lx !== (y | 0x20) || lx < 0x61 || lx > 0x7a) return false;
  }
  return true;
}

/**
 * A deb822 paragraph: fields in file order, looked up case-insensitively (deb822(5)). Lookups scan
 * the few fields a paragraph has; no index is built, which keeps 60k-paragraph files cheap.
 */
export class Deb822Paragraph {
  /** Fields in the order they appear. */
  readonly fields: Deb822Field[] = [];
  /** The 1-based line number of the paragraph's first field. */
  readonly line: number;

  constructor(line: number) {
    this.line = line;
  }

  /** The raw value of a field, by case-insensitive name. */
  get(name: string): string | undefined {
    return this.field(name)?.value;
  }

  /** The field record (name as spelled, value, line), by case-insensitive name. */
  field(name: string): Deb822Field | undefined {
    for (const f of this.fields) if (sameName(f.name, name)) return f;
    return undefined;
  }

  /** Whether the paragraph has the field (case-insensitive). */
  has(name: string): boolean {
    return this.field(name) !== undefined;
  }

  /** Fields as a plain object keyed by the names as spelled (own data properties only). */
  toRecord(): Record<string, string> {
    return Object.fromEntries(this.fields.map((f) => [f.name, f.value]));
  }

  /** JSON form: the fields as an object, in file order. */
  toJSON(): Record<string, string> {
    return this.toRecord();
  }

  /** Adds a field; false when one of the same name (case-insensitively) is already present. */
  add(field: Deb822Field): boolean {
    if (this.field(field.name) !== undefined) return false;
    this.fields.push(field);
    return true;
  }
}

/**
 * Options for the deb822 parsers: `file` names the input in error messages; `fields`, when given,
 * keeps only those fields (names matched case-insensitively) in the paragraphs. The other fields
 * are still checked (syntax, duplicates) but their values are never built, which is what makes
 * reading a 50 MB `Packages` for a handful of fields cheap.
 */
export type Deb822Options = { file?: string; fields?: readonly string[] };

function deb822Error(message: string, line: number, file: string | undefined): FormatError {
  return new FormatError('deb822', `line ${line}: ${message}`, { data: { line }, ...(file === undefined ? {} : { file }) });
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const HASH = 0x23;
const HYPHEN = 0x2d;
const COLON = 0x3a;

/**
 * Field names of Packages, Sources, Release, status and control files (deb-control(5),
 * deb-src-control(5), apt's Release). The parser recognizes them straight from the text, so a
 * paragraph's names cost no string and its duplicate check no scan; any other name works too,
 * on a slower path.
 */
const COMMON_FIELDS = [
  'Package', 'Source', 'Version', 'Installed-Size', 'Maintainer', 'Original-Maintainer', 'Uploaders', 'Architecture', 'Multi-Arch',
  'Essential', 'Protected', 'Important', 'Build-Essential', 'Priority', 'Section', 'Homepage', 'Description', 'Description-md5', 'Tag',
  'Depends', 'Pre-Depends', 'Recommends', 'Suggests', 'Enhances', 'Conflicts', 'Breaks', 'Provides', 'Replaces',
  'Built-Using', 'Static-Built-Using', 'Javascript-Built-Using', 'X-Cargo-Built-Using', 'Build-Ids', 'Ruby-Versions', 'Lua-Versions',
  'Python-Version', 'Python-Egg-Name', 'Ghc-Package', 'Go-Import-Path', 'Efi-Vendor', 'Auto-Built-Package',
  'Filename', 'Size', 'MD5sum', 'SHA1', 'SHA256', 'SHA512', 'Status', 'Conffiles', 'Config-Version', 'Origin', 'Bugs',
  'Label', 'Suite', 'Codename', 'Date', 'Valid-Until', 'Architectures', 'Components', 'Acquire-By-Hash', 'No-Support-for-Architecture-all',
  'Changelogs', 'Snapshots', 'NotAutomatic', 'ButAutomaticUpgrades', 'Signed-By',
  'Binary', 'Format', 'Standards-Version', 'Build-Depends', 'Build-Depends-Indep', 'Build-Depends-Arch', 'Build-Conflicts',
  'Build-Conflicts-Indep', 'Build-Conflicts-Arch', 'Vcs-Git', 'Vcs-Browser', 'Testsuite', 'Testsuite-Triggers', 'Rules-Requires-Root',
  'Checksums-Sha1', 'Checksums-Sha256', 'Checksums-Sha512', 'Files', 'Package-List', 'Directory', 'Dgit', 'Extra-Source-Only',
];

/** The hash step `FieldTable` uses; `c | 0x20` folds ASCII case, so equal names hash alike. */
const hashStep = (h: number, c: number): number => (Math.imul(h, 31) + (c | 0x20)) | 0;

/** Field names by number, found case-insensitively from a slice of the text without building a string. */
class FieldTable {
  /** Names as spelled in the table (what a field spelled exactly so is given, shared). */
  readonly names: string[] = [];
  /** The same, each followed by its colon (what a field line starts with). */
  readonly withColon: string[] = [];
  /** Whether the last `find` hit matched the table's spelling exactly (then `names[id]` is the name). */
  exact = false;
  private readonly spelled: string; // every name as spelled, end to end
  private readonly lower: string; // the same, lowercase
  private readonly offsets = [0]; // name `id` is [offsets[id], offsets[id + 1]) of both
  private readonly slots = new Int32Array(512); // id + 1 by hash, open addressing; 0 = free

  /** The number of `name` (case-insensitive), or -1. */
  lookup(name: string): number {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = hashStep(h, name.charCodeAt(i));
    return this.find(name, 0, name.length, h);
  }

  /** A table of `names` (distinct case-insensitively); it never changes afterwards. */
  constructor(names: readonly string[]) {
    if (names.length * 2 > this.slots.length) throw new InternalError('deb822 field table is too small');
    if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) throw new InternalError('deb822 field table has a name twice');
    const mask = this.slots.length - 1;
    for (const name of names) {
      let h = 0;
      for (let i = 0; i < name.length; i++) h = hashStep(h, name.charCodeAt(i));
      const id = this.names.length;
      this.names.push(name);
      this.withColon.push(`${name}:`);
      this.offsets.push((this.offsets[id] ?? 0) + name.length);
      let at = h & mask;
      while (this.slots[at] !== 0) at = (at + 1) & mask;
      this.slots[at] = id + 1;
    }
    // One join: a flat string, which charCodeAt reads fastest.
    this.spelled = names.join('');
    this.lower = this.spelled.toLowerCase();
  }

  /** The number of the name `buf[s, e)` (whose hash is `h`), or -1; sets `exact`. */
  find(buf: string, s: number, e: number, h: number): number {
    const slots = this.slots;
    const offsets = this.offsets;
    const spelled = this.spelled;
    const lower = this.lower;
    const mask = slots.length - 1;
    const len = e - s;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const slot = slots[at] ?? 0;
      if (slot === 0) return -1;
      const o = offsets[slot - 1] ?? 0;
      if ((offsets[slot] ?? 0) - o !== len) continue;
      let exact = true;
      let i = 0;
      for (; i < len; i++) {
        const x = buf.charCodeAt(s + i);
        if (x === spelled.charCodeAt(o + i)) continue;
        const y = lower.charCodeAt(o + i);
        if (x !== y && ((x | 0x20) !== y || y < 0x61 || y > 0x7a)) break;
        exact = false;
      }
      if (i === len) {
        this.exact = exact;
        return slot - 1;
      }
    }
  }
}

const COMMON_TABLE = new FieldTable(COMMON_FIELDS);

/**
 * Incremental parser over text chunks. It works on indices into the chunk itself (V8 reads a
 * decoder's flat string several times faster than a concatenation of two): only the unfinished
 * last line is carried to the next chunk, and completed into a small string of its own. A
 * field's raw value is one slice from its first to its last line (continuation lines are
 * contiguous in the text), so a 40-line Description costs one substring, not forty, and a field
 * left out by `fields` costs none; a value that spans chunks is carried as text. Completed
 * paragraphs accumulate in `out` for the caller to take.
 */
class Deb822Parser {
  out: Deb822Paragraph[] = [];
  private para: Deb822Paragraph | undefined;
  private cur = ''; // the text being scanned
  private base = 0; // where its scan started (what comes before is not part of this scan)
  private tail = ''; // the unfinished last line of the previous chunk
  private inField = false;
  private name = ''; // the current field's name as spelled
  private id = -1; // its number in `table`, or -1
  private keep = false; // whether it goes into the paragraph
  private valueStart = 0; // in cur
  private valueEnd = 0; // in cur, exclusive, trailing blanks of the last line excluded
  // A kept value begun in earlier text: that text up to its end (`pre`), the value as it stood
  // there (`preEnd`), and whether a continuation line in `cur` extended it to `valueEnd`.
  private carried = false;
  private pre = '';
  private preEnd = '';
  private extended = false;
  private valueLine = 0;
  private lineNo = 0;
  private sawCr = false; // a line ended in CRLF: values may need their inner CRs removed
  private readonly file: string | undefined;
  private readonly table: FieldTable;
  /** Per field number: 1 when kept (all 1 without `fields`). */
  private readonly keepId: Uint8Array;
  /** Per field number + 1 (0: paragraph start): the field that followed it last time, or -1. */
  private readonly next: Int32Array;
  /** Kept names outside the table (only with `fields`); undefined means "keep every other name". */
  private readonly keepOther: string[] | undefined;
  /** Per field number: the line it first appeared on in the current paragraph, 0 if not yet. */
  private readonly seen: Int32Array;
  private readonly seenIds: number[] = [];
  /** Names outside the table seen in the current paragraph, and their lines. */
  private readonly others: Deb822Field[] = [];

  constructor(opts: Deb822Options) {
    this.file = opts.file;
    const table = COMMON_TABLE;
    this.table = table;
    this.seen = new Int32Array(table.names.length);
    this.keepId = new Uint8Array(table.names.length);
    this.next = new Int32Array(table.names.length + 1).fill(-1);
    const wanted = opts.fields;
    if (wanted === undefined) {
      this.keepOther = undefined;
      this.keepId.fill(1);
    } else {
      // Names outside the common table are matched on the slow path, by name.
      this.keepOther = [];
      for (const n of wanted) {
        const id = table.lookup(n);
        if (id >= 0) this.keepId[id] = 1;
        else this.keepOther.push(n);
      }
    }
  }

  /** Consumes `text`; with `final`, also an unterminated last line, and ends the input. */
  feed(text: string, final: boolean): void {
    let start = 0;
    if (this.tail !== '') {
      // Complete the carried line with the start of this chunk, and scan it on its own.
      const nl = text.indexOf('\n');
      if (nl < 0) {
        this.tail += text;
        if (final) {
          const head = this.tail;
          this.tail = '';
          this.scan(head, 0, true);
        }
        return;
      }
      const head = this.tail + text.slice(0, nl + 1);
      this.tail = '';
      this.scan(head, 0, false);
      start = nl + 1;
    }
    this.scan(text, start, final);
  }

  /**
   * Consumes the lines of `buf` from `start`: all complete ones, and with `final` an
   * unterminated last one too (then the input ends); otherwise that one becomes `tail`.
   */
  private scan(buf: string, start: number, final: boolean): void {
    this.cur = buf;
    this.base = start;
    let ls = start; // start of the current line
    for (;;) {
      let nl = buf.indexOf('\n', ls);
      if (nl < 0) {
        if (!final || ls >= buf.length) break;
        nl = buf.length;
      }
      let le = nl;
      if (nl > ls && buf.charCodeAt(nl - 1) === CR) {
        le = nl - 1;
        this.sawCr = true;
      }
      this.line(buf, ls, le);
      ls = nl + 1;
    }
    if (final) {
      this.endParagraph();
      return;
    }
    if (ls < buf.length) this.tail = buf.slice(ls);
    if (this.inField && this.keep) {
      // The value may go on in the next text: keep what it has so far.
      if (!this.carried) {
        this.preEnd = buf.slice(this.valueStart, this.valueEnd);
        this.pre = buf.slice(this.valueStart, ls);
        this.carried = true;
      } else {
        if (this.extended) this.preEnd = this.pre + buf.slice(start, this.valueEnd);
        this.pre += buf.slice(start, ls);
      }
      this.extended = false;
    }
  }

  /** One line: buf[ls, le), line break (and a CR before it) excluded. */
  private line(buf: string, ls: number, le: number): void {
    const n = ++this.lineNo;
    if (le === ls) {
      this.endParagraph();
      return;
    }
    const c0 = buf.charCodeAt(ls);
    if (c0 === SPACE || c0 === TAB) {
      let e = le;
      while (e > ls) {
        const c = buf.charCodeAt(e - 1);
        if (c !== SPACE && c !== TAB) break;
        e--;
      }
      // A line of only blanks separates paragraphs (deb822(5)).
      if (e === ls) {
        this.endParagraph();
        return;
      }
      if (!this.inField) throw deb822Error('continuation line outside a field', n, this.file);
      this.valueEnd = e;
      this.extended = true;
      return;
    }
    // deb822(5): lines starting with `#` are comments (no leading blank allowed); skipped.
    if (c0 === HASH) return;
    // Fields come in much the same order in every paragraph of an index: first try the name
    // that followed the previous field last time, spelled as in the table and with its colon
    // (one comparison in native code finds both; a table name is valid by construction).
    const table = this.table;
    let id = this.next[this.id + 1] ?? -1;
    let name = '';
    let colon: number;
    if (id >= 0 && buf.startsWith(table.withColon[id] ?? '', ls)) {
      name = table.names[id] ?? '';
      colon = ls + name.length;
      this.endField();
    } else {
      id = -1;
      colon = buf.indexOf(':', ls);
      if (colon < 0 || colon >= le) throw deb822Error(`expected 'Field: value', found ${JSON.stringify(buf.slice(ls, Math.min(le, ls + 80)))}`, n, this.file);
      this.endField();
    }
    if (id < 0) {
      // deb822(5): a field name is US-ASCII from `!` to `~` without `:`, and starts with neither
      // `#` nor `-` (which also rejects OpenPGP armor lines left in by mistake).
      if (colon === ls) throw deb822Error('empty field name', n, this.file);
      if (c0 === HYPHEN) throw deb822Error(`field name ${JSON.stringify(buf.slice(ls, colon))} starts with '-'`, n, this.file);
      let h = 0;
      for (let i = ls; i < colon; i++) {
        const c = buf.charCodeAt(i);
        if (c < 0x21 || c > 0x7e) throw deb822Error(`invalid character in field name ${JSON.stringify(buf.slice(ls, colon))}`, n, this.file);
        h = hashStep(h, c);
      }
      const prev = this.id;
      id = table.find(buf, ls, colon, h);
      if (id >= 0) {
        name = table.exact ? (table.names[id] ?? '') : buf.slice(ls, colon);
        // Only exact spellings are predicted (the prediction compares case-sensitively).
        if (table.exact) this.next[prev + 1] = id;
      } else name = buf.slice(ls, colon);
    }
    if (id >= 0) this.keep = this.keepId[id] === 1;
    else {
      const other = this.keepOther;
      this.keep = other === undefined || other.some((o) => sameName(o, name));
    }
    this.name = name;
    this.id = id;
    this.valueLine = n;
    this.inField = true;
    this.carried = false;
    this.para ??= new Deb822Paragraph(n);
    if (!this.keep) return;
    let v = colon + 1;
    while (v < le) {
      const c = buf.charCodeAt(v);
      if (c !== SPACE && c !== TAB) break;
      v++;
    }
    let e = le;
    while (e > v) {
      const c = buf.charCodeAt(e - 1);
      if (c !== SPACE && c !== TAB) break;
      e--;
    }
    this.valueStart = v;
    this.valueEnd = e;
  }

  private endField(): void {
    const para = this.para;
    if (!this.inField || para === undefined) return;
    this.inField = false;
    const name = this.name;
    const line = this.valueLine;
    const id = this.id;
    let first = 0;
    if (id >= 0) {
      first = this.seen[id] ?? 0;
      if (first === 0) {
        this.seen[id] = line;
        this.seenIds.push(id);
      }
    } else {
      for (const f of this.others) {
        if (sameName(f.name, name)) {
          first = f.line;
          break;
        }
      }
      if (first === 0) this.others.push({ name, value: '', line });
    }
    if (first !== 0) throw deb822Error(`duplicate field ${JSON.stringify(name)} (first on line ${first})`, line, this.file);
    if (!this.keep) return;
    let value: string;
    if (!this.carried) value = this.cur.slice(this.valueStart, this.valueEnd);
    else {
      value = this.extended ? this.pre + this.cur.slice(this.base, this.valueEnd) : this.preEnd;
      this.carried = false;
      this.pre = '';
      this.preEnd = '';
    }
    // CRLF input: the CRs of inner line breaks are inside the slice.
    if (this.sawCr && value.includes('\r\n')) value = value.replaceAll('\r\n', '\n');
    // dpkg trims the blanks at the end of the whole value (done by valueEnd), not of inner lines.
    para.fields.push({ name, value, line });
  }

  private endParagraph(): void {
    this.endField();
    if (this.para !== undefined) {
      this.out.push(this.para);
      this.para = undefined;
      for (const id of this.seenIds) this.seen[id] = 0;
      this.seenIds.length = 0;
      this.others.length = 0;
    }
    this.id = -1;
  }
}

/** Parses deb822 text into paragraphs (FormatError 'deb822' with the line number on bad input). */
export function parseDeb822(text: string, opts: Deb822Options = {}): Deb822Paragraph[] {
  const p = new Deb822Parser(opts);
  p.feed(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, true);
  return p.out;
}

/** Options of parseDeb822Stream: `map` turns each paragraph into what is yielded, as it is yielded. */
export type Deb822StreamOptions<T> = Deb822Options & { map: (paragraph: Deb822Paragraph) => T };

/**
 * Streams paragraphs out of chunks of UTF-8 bytes or text (e.g. a decompressed `Packages`), one
 * paragraph at a time, holding only the current paragraph and one chunk in memory. With `map`,
 * yields what it makes of each paragraph instead (a reader's records, without a second
 * generator in between); it runs when the paragraph's turn comes, so errors keep their order.
 */
export function parseDeb822Stream<T>(source: AsyncIterable<Uint8Array | string>, opts: Deb822StreamOptions<T>): AsyncGenerator<T, void, undefined>;
/** Streams the paragraphs themselves (see above). */
export function parseDeb822Stream(source: AsyncIterable<Uint8Array | string>, opts?: Deb822Options): AsyncGenerator<Deb822Paragraph, void, undefined>;
export async function* parseDeb822Stream<T>(source: AsyncIterable<Uint8Array | string>, opts: Deb822Options & { map?: (paragraph: Deb822Paragraph) => T } = {}): AsyncGenerator<T | Deb822Paragraph, void, undefined> {
  const p = new Deb822Parser(opts);
  const map = opts.map;
  // The decoder drops a leading BOM (ignoreBOM: false) and keeps split UTF-8 sequences for the next chunk.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const decode = (chunk: Uint8Array | undefined): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (err) {
      throw new FormatError('deb822', 'invalid UTF-8', { cause: err, ...(opts.file === undefined ? {} : { file: opts.file }) });
    }
  };
  for await (const chunk of source) {
    p.feed(typeof chunk === 'string' ? chunk : decode(chunk), false);
    if (p.out.length > 0) {
      const ready = p.out;
      p.out = [];
      // A plain loop: `yield*` over an array would wrap each item in one more promise.
      for (const para of ready) yield map === undefined ? para : map(para);
    }
  }
  p.feed(decode(undefined), true);
  for (const para of p.out) yield map === undefined ? para : map(para);
}

/**
 * A folded field's value (deb822(5) "folded", e.g. Depends): line breaks removed, RFC 822
 * unfolding, so `a,\n b` reads `a, b`.
 */
export function foldDeb822Value(value: string): string {
  return value.indexOf('\n') < 0 ? value : value.replaceAll('\n', '');
}

/**
 * A multiline field's lines (deb822(5) "multiline", e.g. Description): the first line, then each
 * continuation line without its one leading blank, with ` .` read as an empty line.
 */
export function multilineDeb822Value(value: string): string[] {
  const lines = value.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const l = (lines[i] ?? '').slice(1);
    lines[i] = l === '.' ? '' : l;
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Relationship fields (deb-control(5) "Package interrelationship fields", Debian Policy §7.1,
// §7.1 build profiles from BuildProfileSpec): `name[:archqual] [(op version)] [[archs]] [<profiles>]`
// alternatives separated by `|`, entries by `,`.

/** One relation of a Debian relationship field. */
export type DebRelation = {
  /** Package name, with its architecture qualifier kept (`python3:any`, `gcc:native`). */
  name: string;
  /** `<<`/`>>` are normalized to `<`/`>`; the obsolete `<`/`>` mean `<=`/`>=` (as dpkg reads them). */
  op: '<' | '<=' | '=' | '>=' | '>' | undefined;
  version: string | undefined;
  /** Architecture restriction as written (`['amd64', 'arm64']` or `['!i386']`); source fields only. */
  arches?: string[];
  /** Build-profile restriction: alternatives of conjunctions (`<!nocheck> <stage1 cross>`). */
  profiles?: string[][];
};

/** An entry of a relationship field: one relation, or alternatives (`a | b`). */
export type DebRelationExpr = DebRelation | { anyOf: DebRelation[] };

/** Options for `parseDebRelations`: the field (for messages and the no-`|` rule) and the file. */
export type DebRelationOptions = { field?: string; file?: string };

// dpkg rejects alternatives in these fields (lib/dpkg/fields.c f_dependency).
const NO_ALTERNATIVES = new Set(['conflicts', 'breaks', 'provides', 'replaces']);

const isBlank = (c: number): boolean => c === SPACE || c === TAB || c === 0x0a || c === 0x0d;
const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

// ASCII classes for the relation scanner: one table read instead of a chain of comparisons.
const C_ALNUM = 1;
const C_NAME = 2; // a package-name character after the first: alnum or `-+._`
const C_ARCH = 4; // an architecture-qualifier character: alnum or `-`
const C_BLANK = 8; // isBlank
const REL_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let k = 0;
  if (isAlnum(c)) k |= C_ALNUM | C_NAME | C_ARCH;
  if (c === 0x2d || c === 0x2b || c === 0x2e || c === 0x5f) k |= C_NAME;
  if (c === 0x2d) k |= C_ARCH;
  if (isBlank(c)) k |= C_BLANK;
  REL_CLASS[c] = k;
}
/** Whether code `c` (-1 past the end) is ASCII of class `k`. */
const relIs = (c: number, k: number): boolean => c >= 0 && c < 128 && ((REL_CLASS[c] ?? 0) & k) !== 0;

/**
 * Parses a relationship field (Depends, Pre-Depends, Recommends, ..., Built-Using, Build-Depends)
 * into entries; an empty value gives `[]`. Names follow dpkg's pkg_name_is_illegal (alnum first,
 * then alnum or `-+._`); versions must parse as Debian versions. Empty entries (`a, , b`, a
 * trailing comma) are skipped as Dpkg::Deps does. Errors are FormatError 'deb822'.
 */
export function parseDebRelations(value: string, opts: DebRelationOptions = {}): DebRelationExpr[] {
  return fastRelations(value, opts.field) ?? slowRelations(value, opts);
}

const INT_MAX = 0x7fffffff;

/**
 * Whether parseDebianVersion accepts `s[a, b)`, printable ASCII without blanks whose first `:`
 * is at `colon` and last `-` at `dash` (-1: none): dpkg's rules (§1.5). False means "not sure":
 * the caller then takes the full path, which gives the exact result or error.
 */
function versionShapeOk(s: string, a: number, b: number, colon: number, dash: number): boolean {
  let rest = a;
  if (colon >= 0) {
    if (colon === a || colon - a > 9 || colon + 1 === b) return false;
    for (let i = a; i < colon; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    if (Number(s.slice(a, colon)) > INT_MAX) return false;
    rest = colon + 1;
  }
  // The revision is after the last `-`; both it and the upstream part must be non-empty.
  return dash < rest || (dash > rest && dash + 1 < b);
}

/**
 * The common case of parseDebRelations, allocation-lean and closure-free: `name[:arch]
 * [(op version)]` entries with `|` and `,`. Anything else (architecture lists, build profiles,
 * obsolete or implicit operators, odd versions, any error) gives undefined, and the caller
 * parses the value again on the full path, which keeps every result and message as it was.
 */
function fastRelations(s: string, field: string | undefined): DebRelationExpr[] | undefined {
  const n = s.length;
  const out: DebRelationExpr[] = [];
  // `c` is always the code at `p`, or -1 past the end (reading past it would deoptimize).
  let p = 0;
  let c = n > 0 ? s.charCodeAt(0) : -1;
  let alts: DebRelation[] | undefined;
  let noAlternatives: boolean | undefined;
  for (;;) {
    // At the start of an entry, or after a `|`.
    while (relIs(c, C_BLANK)) c = ++p < n ? s.charCodeAt(p) : -1;
    if (alts === undefined) {
      if (c < 0) break;
      if (c === 0x2c) {
        c = ++p < n ? s.charCodeAt(p) : -1;
        continue;
      }
    }
    // The package name: dpkg's pkg_name_is_illegal, and where the full parser stops it.
    const nameStart = p;
    if (!relIs(c, C_ALNUM)) return undefined;
    c = ++p < n ? s.charCodeAt(p) : -1;
    while (relIs(c, C_NAME)) c = ++p < n ? s.charCodeAt(p) : -1;
    if (c === COLON) {
      const archStart = ++p;
      c = p < n ? s.charCodeAt(p) : -1;
      while (relIs(c, C_ARCH)) c = ++p < n ? s.charCodeAt(p) : -1;
      if (p === archStart) return undefined;
    }
    const name = s.slice(nameStart, p);
    while (relIs(c, C_BLANK)) c = ++p < n ? s.charCodeAt(p) : -1;
    let op: DebRelation['op'];
    let version: string | undefined;
    if (c === 0x28) {
      c = ++p < n ? s.charCodeAt(p) : -1;
      while (relIs(c, C_BLANK)) c = ++p < n ? s.charCodeAt(p) : -1;
      const c2 = p + 1 < n ? s.charCodeAt(p + 1) : -1;
      if (c === 0x3c) {
        if (c2 === 0x3c) op = '<';
        else if (c2 === 0x3d) op = '<=';
        else return undefined;
        p += 2;
      } else if (c === 0x3e) {
        if (c2 === 0x3e) op = '>';
        else if (c2 === 0x3d) op = '>=';
        else return undefined;
        p += 2;
      } else if (c === 0x3d) {
        op = '=';
        p += 1;
      } else return undefined;
      c = p < n ? s.charCodeAt(p) : -1;
      while (relIs(c, C_BLANK)) c = ++p < n ? s.charCodeAt(p) : -1;
      // The version runs to a blank or parenthesis; dpkg's rules (§1.5) are checked on the way
      // for printable ASCII: where the first `:` and the last `-` are.
      const vStart = p;
      let colon = -1;
      let dash = -1;
      while (c > 0x20 && c < 0x7f && c !== 0x29 && c !== 0x28) {
        if (c === COLON) {
          if (colon < 0) colon = p;
        } else if (c === HYPHEN) dash = p;
        c = ++p < n ? s.charCodeAt(p) : -1;
      }
      const vEnd = p;
      while (relIs(c, C_BLANK)) c = ++p < n ? s.charCodeAt(p) : -1;
      if (c !== 0x29 || vEnd === vStart || !versionShapeOk(s, vStart, vEnd, colon, dash)) return undefined;
      version = s.slice(vStart, vEnd);
      c = ++p < n ? s.charCodeAt(p) : -1;
      while (relIs(c, C_BLANK)) c = ++p < n ? s.charCodeAt(p) : -1;
    }
    const rel: DebRelation = { name, op, version };
    if (c === 0x7c) {
      // Alternatives: refused in some fields; the full path words that error.
      noAlternatives ??= field !== undefined && NO_ALTERNATIVES.has(field.toLowerCase());
      if (noAlternatives) return undefined;
      (alts ??= []).push(rel);
      c = ++p < n ? s.charCodeAt(p) : -1;
      continue;
    }
    if (c >= 0 && c !== 0x2c) return undefined;
    if (alts === undefined) out.push(rel);
    else {
      alts.push(rel);
      out.push({ anyOf: alts });
      alts = undefined;
    }
  }
  return out;
}

/** The full relationship parser: every form dpkg reads, and its errors. */
function slowRelations(value: string, opts: DebRelationOptions): DebRelationExpr[] {
  const s = value;
  const field = opts.field ?? 'relationship field';
  const noAlternatives = NO_ALTERNATIVES.has(field.toLowerCase());
  let p = 0;
  const fail = (why: string): never => {
    throw new FormatError('deb822', `${field}: ${why} in ${JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s)}`, opts.file === undefined ? {} : { file: opts.file });
  };
  const skipBlanks = (): void => {
    while (p < s.length && isBlank(s.charCodeAt(p))) p++;
  };
  // A word of [A-Za-z0-9] plus `extra`, optionally `!`-prefixed when `bang`.
  const word = (extra: string, what: string, bang: boolean): string => {
    const start = p;
    if (bang && s[p] === '!') p++;
    const first = p;
    while (p < s.length && (isAlnum(s.charCodeAt(p)) || extra.includes(s[p] ?? ''))) p++;
    if (p === first) fail(`expected ${what} at offset ${p}`);
    return s.slice(start, p);
  };

  const relation = (): DebRelation => {
    skipBlanks();
    const nameStart = p;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (isBlank(c) || c === 0x3a || c === 0x28 || c === 0x2c || c === 0x7c || c === 0x5b || c === 0x3c) break; // : ( , | [ <
      p++;
    }
    let name = s.slice(nameStart, p);
    if (name === '') fail(`missing package name at offset ${nameStart}`);
    if (!isAlnum(name.charCodeAt(0))) fail(`package name ${JSON.stringify(name)} must start with a letter or digit`);
    for (let i = 1; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (!isAlnum(c) && c !== 0x2d && c !== 0x2b && c !== 0x2e && c !== 0x5f) fail(`invalid character in package name ${JSON.stringify(name)}`);
    }
    if (s[p] === ':') {
      p++;
      name += `:${word('-', 'architecture qualifier', false)}`;
    }
    const rel: DebRelation = { name, op: undefined, version: undefined };
    skipBlanks();
    if (s[p] === '(') {
      p++;
      skipBlanks();
      const c1 = s[p];
      const c2 = s[p + 1];
      if (c1 === '<' || c1 === '>') {
        if (c2 === c1) {
          rel.op = c1;
          p += 2;
        } else if (c2 === '=') {
          rel.op = c1 === '<' ? '<=' : '>=';
          p += 2;
        } else if (c2 === '<' || c2 === '>') {
          fail(`bad version relation '${c1}${c2}' for ${name}`);
        } else {
          // Obsolete `<`/`>`: dpkg warns and reads them as `<=`/`>=`.
          rel.op = c1 === '<' ? '<=' : '>=';
          p += 1;
        }
      } else if (c1 === '=') {
        rel.op = '=';
        p += 1;
      } else {
        // dpkg: "implicit exact match on version number" (a warning).
        rel.op = '=';
      }
      skipBlanks();
      const vStart = p;
      while (p < s.length && !isBlank(s.charCodeAt(p)) && s[p] !== ')' && s[p] !== '(') p++;
      const version = s.slice(vStart, p);
      skipBlanks();
      if (s[p] !== ')') fail(p >= s.length ? `version of ${name} unterminated` : `${JSON.stringify(s[p])} after the version of ${name}: expected ')'`);
      p++;
      if (version === '') fail(`empty version for ${name}`);
      try {
        parseDebianVersion(version);
      } catch (err) {
        if (err instanceof FormatError) fail(`relation to ${name}: ${err.message}`);
        throw err;
      }
      rel.version = version;
      skipBlanks();
    }
    if (s[p] === '[') {
      p++;
      const arches: string[] = [];
      for (;;) {
        skipBlanks();
        if (s[p] === ']') break;
        if (p >= s.length) fail(`architecture list of ${name} unterminated`);
        arches.push(word('-', 'architecture name', true));
      }
      p++;
      if (arches.length === 0) fail(`empty architecture list for ${name}`);
      const negated = arches.filter((a) => a.startsWith('!')).length;
      if (negated !== 0 && negated !== arches.length) fail(`architecture list of ${name} mixes negated and plain names`);
      rel.arches = arches;
      skipBlanks();
    }
    while (s[p] === '<') {
      p++;
      const terms: string[] = [];
      for (;;) {
        skipBlanks();
        if (s[p] === '>') break;
        if (p >= s.length) fail(`build profile list of ${name} unterminated`);
        terms.push(word('.+-_', 'build profile name', true));
      }
      p++;
      if (terms.length === 0) fail(`empty build profile list for ${name}`);
      (rel.profiles ??= []).push(terms);
      skipBlanks();
    }
    return rel;
  };

  const out: DebRelationExpr[] = [];
  for (;;) {
    skipBlanks();
    if (p >= s.length) break;
    if (s[p] === ',') {
      p++;
      continue;
    }
    const alts = [relation()];
    while (s[p] === '|') {
      if (noAlternatives) fail(`alternatives ('|') are not allowed`);
      p++;
      alts.push(relation());
    }
    if (p < s.length && s[p] !== ',') fail(`expected ',' or '|' after ${alts[alts.length - 1]?.name ?? ''} at offset ${p}`);
    const [only] = alts;
    out.push(alts.length === 1 && only !== undefined ? only : { anyOf: alts });
  }
  return out;
}
