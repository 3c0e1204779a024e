import { FormatError } from '../core/index.js';
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

/** Options for the deb822 parsers: `file` names the input in error messages. */
export type Deb822Options = { file?: string };

function deb822Error(message: string, line: number, file: string | undefined): FormatError {
  return new FormatError('deb822', `line ${line}: ${message}`, { data: { line }, ...(file === undefined ? {} : { file }) });
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const HASH = 0x23;
const HYPHEN = 0x2d;

/**
 * Incremental parser over text chunks. It works on indices into the current buffer: a field's
 * raw value is one slice from its first to its last line (continuation lines are contiguous in
 * the text), so a 40-line Description costs one substring, not forty. The buffer keeps only the
 * current field and the unfinished last line between chunks. Completed paragraphs accumulate in
 * `out` for the caller to take.
 */
class Deb822Parser {
  out: Deb822Paragraph[] = [];
  private para: Deb822Paragraph | undefined;
  private buf = '';
  private scan = 0; // where the unprocessed text starts in buf
  private inField = false;
  private name = '';
  private valueStart = 0; // in buf
  private valueEnd = 0; // in buf, exclusive, trailing blanks of the last line excluded
  private valueLine = 0;
  private lineNo = 0;
  private readonly file: string | undefined;

  constructor(file: string | undefined) {
    this.file = file;
  }

  /** Consumes `text`; with `final`, also an unterminated last line, and ends the input. */
  feed(text: string, final: boolean): void {
    const buf = this.buf + text;
    this.buf = buf;
    let ls = this.scan; // start of the current line
    for (;;) {
      let nl = buf.indexOf('\n', ls);
      if (nl < 0) {
        if (!final || ls >= buf.length) break;
        nl = buf.length;
      }
      this.line(buf, ls, nl > ls && buf.charCodeAt(nl - 1) === CR ? nl - 1 : nl);
      ls = nl + 1;
    }
    if (final) {
      this.endParagraph();
      this.buf = '';
      this.scan = 0;
      return;
    }
    // Keep the current field's text (its value is sliced when it ends) and the unfinished line.
    const keep = this.inField ? Math.min(this.valueStart, ls) : ls;
    this.buf = buf.slice(keep);
    this.scan = ls - keep;
    this.valueStart -= keep;
    this.valueEnd -= keep;
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
      while (e > ls && (buf.charCodeAt(e - 1) === SPACE || buf.charCodeAt(e - 1) === TAB)) e--;
      // A line of only blanks separates paragraphs (deb822(5)).
      if (e === ls) {
        this.endParagraph();
        return;
      }
      if (!this.inField) throw deb822Error('continuation line outside a field', n, this.file);
      this.valueEnd = e;
      return;
    }
    // deb822(5): lines starting with `#` are comments (no leading blank allowed); skipped.
    if (c0 === HASH) return;
    const colon = buf.indexOf(':', ls);
    if (colon < 0 || colon >= le) throw deb822Error(`expected 'Field: value', found ${JSON.stringify(buf.slice(ls, Math.min(le, ls + 80)))}`, n, this.file);
    this.endField();
    const name = buf.slice(ls, colon);
    checkFieldName(name, n, this.file);
    let v = colon + 1;
    while (v < le && (buf.charCodeAt(v) === SPACE || buf.charCodeAt(v) === TAB)) v++;
    let e = le;
    while (e > v && (buf.charCodeAt(e - 1) === SPACE || buf.charCodeAt(e - 1) === TAB)) e--;
    this.name = name;
    this.valueStart = v;
    this.valueEnd = e;
    this.valueLine = n;
    this.inField = true;
    this.para ??= new Deb822Paragraph(n);
  }

  private endField(): void {
    if (!this.inField || this.para === undefined) return;
    this.inField = false;
    let value = this.buf.slice(this.valueStart, this.valueEnd);
    // CRLF input: the CRs of inner line breaks are inside the slice.
    if (value.includes('\r\n')) value = value.replaceAll('\r\n', '\n');
    // dpkg trims the blanks at the end of the whole value (done by valueEnd), not of inner lines.
    const field: Deb822Field = { name: this.name, value, line: this.valueLine };
    if (!this.para.add(field)) {
      const first = this.para.field(field.name);
      throw deb822Error(`duplicate field ${JSON.stringify(field.name)} (first on line ${first?.line ?? '?'})`, field.line, this.file);
    }
  }

  private endParagraph(): void {
    this.endField();
    if (this.para !== undefined) {
      this.out.push(this.para);
      this.para = undefined;
    }
  }
}

/**
 * deb822(5): a field name is US-ASCII from `!` to `~` without `:`, and starts with neither `#`
 * nor `-` (which also rejects OpenPGP armor lines left in by mistake).
 */
function checkFieldName(name: string, line: number, file: string | undefined): void {
  if (name.length === 0) throw deb822Error('empty field name', line, file);
  const c0 = name.charCodeAt(0);
  if (c0 === HYPHEN) throw deb822Error(`field name ${JSON.stringify(name)} starts with '-'`, line, file);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw deb822Error(`invalid character in field name ${JSON.stringify(name)}`, line, file);
  }
}

/** Parses deb822 text into paragraphs (FormatError 'deb822' with the line number on bad input). */
export function parseDeb822(text: string, opts: Deb822Options = {}): Deb822Paragraph[] {
  const p = new Deb822Parser(opts.file);
  p.feed(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, true);
  return p.out;
}

/**
 * Streams paragraphs out of chunks of UTF-8 bytes or text (e.g. a decompressed `Packages`), one
 * paragraph at a time, holding only the current paragraph and one chunk in memory.
 */
export async function* parseDeb822Stream(source: AsyncIterable<Uint8Array | string>, opts: Deb822Options = {}): AsyncGenerator<Deb822Paragraph, void, undefined> {
  const p = new Deb822Parser(opts.file);
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
      yield* ready;
    }
  }
  p.feed(decode(undefined), true);
  yield* p.out;
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

/**
 * Parses a relationship field (Depends, Pre-Depends, Recommends, ..., Built-Using, Build-Depends)
 * into entries; an empty value gives `[]`. Names follow dpkg's pkg_name_is_illegal (alnum first,
 * then alnum or `-+._`); versions must parse as Debian versions. Empty entries (`a, , b`, a
 * trailing comma) are skipped as Dpkg::Deps does. Errors are FormatError 'deb822'.
 */
export function parseDebRelations(value: string, opts: DebRelationOptions = {}): DebRelationExpr[] {
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
