// A thin streaming layer over saxes shared by the rpm-md readers: bytes in (any chunking, UTF-8
// split anywhere), element events out, and every error as one FormatError('xml') that names the
// file, line and column. Pure: the caller streams decompressed bytes in (architecture.md §1).
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { FormatError, JigtreeError } from '../../core/index.js';
import type { Digest, DigestAlgo } from '../types.js';

/** What an rpm-md reader does with the element events of one document. */
export type XmlSink = {
  /** An element opened; `attrs` holds its attributes by their prefixed name (`xml:base`). */
  open(name: string, attrs: Record<string, string>): void;
  /** An element closed (right after `open` for `<empty/>` elements). */
  close(name: string): void;
  /** Character data (entities decoded), CDATA included; may arrive in several pieces. */
  text(text: string): void;
};

/** One streaming XML document fed chunk by chunk; see `readXml` for the usual loop. */
export class XmlReader {
  readonly #parser: SaxesParser;
  readonly #file: string | undefined;

  /** Parses into `sink`; `file` names the document in error messages. */
  constructor(sink: XmlSink, file: string | undefined) {
    this.#file = file;
    // xmlns off: rpm-md readers (libsolv's repo_rpmmd included) match the prefixed names
    // createrepo_c writes (`rpm:entry`), and namespace tracking would only cost time.
    const parser = new SaxesParser({ xmlns: false, position: true });
    parser.on('opentag', (tag: SaxesTagPlain) => { sink.open(tag.name, tag.attributes); });
    parser.on('closetag', (tag: SaxesTagPlain) => { sink.close(tag.name); });
    parser.on('text', (t) => { sink.text(t); });
    parser.on('cdata', (t) => { sink.text(t); });
    // saxes prefixes "line:column: " itself; we put our own position in front instead.
    parser.on('error', (err) => {
      throw this.error(err.message.replace(/^\d+:\d+: /, ''));
    });
    this.#parser = parser;
  }

  /** The parser's current position, one-based, for messages ("line 3, column 14"). */
  where(): string {
    return `line ${this.#parser.line}, column ${this.#parser.column + 1}`;
  }

  /** The current line (one-based), e.g. to remember where a `<package>` started. */
  get line(): number {
    return this.#parser.line;
  }

  /** A FormatError at the current position. */
  error(message: string): FormatError {
    return new FormatError('xml', `${this.where()}: ${message}`, this.#file === undefined ? {} : { file: this.#file });
  }

  /** Feeds decoded text. */
  write(text: string): void {
    this.#parser.write(text);
  }

  /**
   * Sets the position saxes counts from (what it reports and stamps on errors). XmlScanner
   * replays its state to a fresh reader as a short synthetic prefix, then moves the position to
   * where the document really is; saxes keeps `line` and `column` as plain public fields.
   */
  moveTo(line: number, column: number): void {
    this.#parser.line = line;
    this.#parser.column = column;
  }

  /** Ends the document; fails when it is truncated (unclosed elements, no root). */
  end(): void {
    this.#parser.close();
  }
}

/**
 * Decodes `chunks` as UTF-8 (a multi-byte character may straddle chunks) into `reader`,
 * yielding whatever `drain()` collected after each chunk, so memory stays bounded by one chunk's
 * worth of records however long the document is.
 */
export async function* readXml<T>(chunks: AsyncIterable<Uint8Array | string>, reader: XmlInput, drain: () => T[]): AsyncGenerator<T> {
  // fatal: invalid UTF-8 is an error, never silently U+FFFD (XML 1.0 §4.3.3).
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes?: Uint8Array): string => {
    try {
      return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
    } catch (err) {
      if (err instanceof JigtreeError) throw err;
      throw reader.error('invalid UTF-8');
    }
  };
  for await (const chunk of chunks) {
    reader.write(typeof chunk === 'string' ? chunk : decode(chunk));
    // A plain loop: `yield*` over an array would wrap each item in one more promise.
    for (const item of drain()) yield item;
  }
  const tail = decode();
  if (tail !== '') reader.write(tail);
  reader.end();
  for (const item of drain()) yield item;
}

/** What readXml feeds: XmlReader or XmlScanner. */
export type XmlInput = { write(text: string): void; end(): void; error(message: string): FormatError };

const DIGEST_HEX_LENGTH: Record<DigestAlgo, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/**
 * A `<checksum type="…">hex</checksum>` as a Digest (depsolve.md §4.1): old yum repos write
 * `sha` for sha1; the hex must have the algorithm's length. `what` names the field in errors.
 */
export function readDigest(reader: XmlInput, type: string | undefined, text: string, what: string): Digest {
  const algo = type === 'sha' ? 'sha1' : type;
  if (algo === undefined || !Object.hasOwn(DIGEST_HEX_LENGTH, algo)) {
    throw reader.error(`${what}: unknown checksum type ${JSON.stringify(type ?? '')} (expected sha256, sha1, sha512, sha384, sha224 or md5)`);
  }
  const hex = text.trim().toLowerCase();
  const a = algo as DigestAlgo;
  if (hex.length !== DIGEST_HEX_LENGTH[a] || !/^[0-9a-f]*$/.test(hex)) {
    throw reader.error(`${what}: ${JSON.stringify(text.trim())} is not a ${a} digest (${DIGEST_HEX_LENGTH[a]} hex digits)`);
  }
  return { algo: a, hex };
}

/**
 * The value of plain decimal digits (up to 15, so always a safe integer), else undefined: the
 * common case of readCount, checked before building readCount's message.
 */
export function plainCount(value: string): number | undefined {
  const len = value.length;
  if (len === 0 || len > 15) return undefined;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

const LOWER_HEX_64 = /^[0-9a-f]{64}$/;

/** A lowercase sha256 `<checksum>` as createrepo_c writes it, else undefined: readDigest's common case. */
export function plainSha256(type: string | undefined, text: string): Digest | undefined {
  return type === 'sha256' && LOWER_HEX_64.test(text) ? { algo: 'sha256', hex: text } : undefined;
}

/** A non-negative decimal integer attribute or text (sizes exceed 2^31; below 2^53 is exact). */
export function readCount(reader: XmlInput, value: string, what: string): number {
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw reader.error(`${what}: ${JSON.stringify(value)} is not a non-negative integer`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// XmlScanner: a fast path for the documents createrepo_c writes, with saxes behind it.
//
// saxes reads a character at a time and costs ~80% of parsing a primary.xml. rpm-md files use
// a small part of XML: a fixed declaration, elements, attributes in double quotes, text with the
// five predefined entities. XmlScanner reads that part itself, with regular expressions (native
// code) doing the character scans, and hands everything else to saxes at the first token it is
// not sure of: comments, CDATA, DOCTYPE, character references, CR line ends, odd names or
// spacing, and every error. It hands over before any event or error saxes would have given
// for that token, and gives saxes the state it would have had there: the declaration, the open
// elements (replayed muted, as a short prefix) and the line and column. So events, records and
// errors are the same as saxes alone would give, whatever the input and its chunking.

/** An element's attributes by name (XmlScanSink.open); valid only during that call. */
export type XmlAttrs = { get(name: string): string | undefined };

/** What an rpm-md reader does with the element events of one document (XmlScanner). */
export type XmlScanSink = {
  /** An element opened; `attrs` holds its attributes by their prefixed name (`xml:base`). */
  open(name: string, attrs: XmlAttrs): void;
  /** An element closed (right after `open` for `<empty/>` elements). */
  close(name: string): void;
  /**
   * Character data inside the root element (entities decoded, CDATA included), only while
   * `wantsText` says so; may arrive in several pieces.
   */
  text(text: string): void;
  /** Whether `text` is wanted now; when not, the scanner skips character data unbuilt. */
  wantsText(): boolean;
};

/** Attributes as parallel arrays, refilled for every tag. */
class ScanAttrs implements XmlAttrs {
  readonly names: string[] = [];
  readonly values: string[] = [];
  count = 0;

  get(name: string): string | undefined {
    for (let i = 0; i < this.count; i++) if (this.names[i] === name) return this.values[i];
    return undefined;
  }
}

/** saxes's attribute record seen as XmlAttrs (the record has no prototype). */
class RecordAttrs implements XmlAttrs {
  readonly #record: Record<string, string>;

  constructor(record: Record<string, string>) {
    this.#record = record;
  }

  get(name: string): string | undefined {
    return this.#record[name];
  }
}

/** The declaration createrepo_c (and dnf, yum) write; any other is saxes's to read. */
const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';
// The next character a scan must look at; the classes list what passes unseen.
// Text: not `<` `&` `]`, controls (but tab, LF), CR, surrogates, U+FFFE/U+FFFF.
const TEXT_STOP = /[^\t\n\x20-\x25\x27-\x3b\x3d-\x5c\x5e-\ud7ff\ue000-\ufffd]/g;
// Attribute values in "..." and '...': not the quote, `<` `&`, any control (saxes turns tab,
// CR and LF into spaces), surrogates, U+FFFE/U+FFFF.
const ATTR_STOP_DQ = /[^\x20\x21\x23-\x25\x27-\x3b\x3d-\ud7ff\ue000-\ufffd]/g;
const ATTR_STOP_SQ = /[^\x20-\x25\x28-\x3b\x3d-\ud7ff\ue000-\ufffd]/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// ASCII character classes, for the short scans (a loop beats a regular-expression call there).
const NAME_START = 1; // [A-Za-z_:]
const NAME_CHAR = 2; // [A-Za-z0-9_.:-]
const TEXT_PLAIN = 4; // what TEXT_STOP passes
const DQ_PLAIN = 8; // what ATTR_STOP_DQ passes
const SQ_PLAIN = 16; // what ATTR_STOP_SQ passes
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  const digit = c >= 0x30 && c <= 0x39;
  let k = 0;
  if (letter || c === 0x5f || c === 0x3a) k |= NAME_START | NAME_CHAR;
  if (digit || c === 0x2e || c === 0x2d) k |= NAME_CHAR;
  if ((c >= 0x20 && c !== 0x26 && c !== 0x3c && c !== 0x5d) || c === 0x09 || c === 0x0a) k |= TEXT_PLAIN;
  if (c >= 0x20 && c !== 0x26 && c !== 0x3c && c !== 0x22) k |= DQ_PLAIN;
  if (c >= 0x20 && c !== 0x26 && c !== 0x3c && c !== 0x27) k |= SQ_PLAIN;
  ASCII[c] = k;
}
/** Whether a non-ASCII UTF-16 unit passes the TEXT/ATTR stops unseen (not a surrogate, U+FFFE, U+FFFF). */
const plainWide = (c: number): boolean => c < 0xd800 || (c >= 0xe000 && c <= 0xfffd);
/** How far the short scans go before handing a long run to the regular expressions. */
const SHORT = 16;

/** Whether code `c` continues an XML name (the ASCII subset XmlScanner reads). */
const isNameChar = (c: number): boolean => c < 128 && ((ASCII[c] ?? 0) & NAME_CHAR) !== 0;

/** The end of the XML name (ASCII subset) at s[p], or p when there is none. */
function nameEnd(s: string, p: number): number {
  const len = s.length;
  if (p >= len) return p;
  let c = s.charCodeAt(p);
  if (c >= 128 || ((ASCII[c] ?? 0) & NAME_START) === 0) return p;
  for (p++; p < len; p++) {
    c = s.charCodeAt(p);
    if (c >= 128 || ((ASCII[c] ?? 0) & NAME_CHAR) === 0) break;
  }
  return p;
}

/**
 * Names seen before, by a cheap key, so an element or attribute name is one string however
 * often it appears (no new string per tag, and Set or property lookups reuse its hash).
 */
class NameCache {
  readonly #slots: string[] = new Array<string>(512).fill('');

  /** s[a, b) as a string, shared with earlier occurrences where possible. */
  get(s: string, a: number, b: number): string {
    const len = b - a;
    const key = (len * 31 + s.charCodeAt(a) * 7 + s.charCodeAt(b - 1) + s.charCodeAt(a + (len >> 1)) * 3) & 511;
    const cand = this.#slots[key] ?? '';
    if (cand.length === len) {
      let i = 0;
      while (i < len && cand.charCodeAt(i) === s.charCodeAt(a + i)) i++;
      if (i === len) return cand;
    }
    // A property key is an internalized string: flat (a slice would keep the whole chunk
    // alive) and quick to compare with the literals the readers test names against.
    const name = Object.keys({ [s.slice(a, b)]: 0 })[0] ?? s.slice(a, b);
    this.#slots[key] = name;
    return name;
  }
}

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;
const EQ = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;
const LF = 0x0a;
const isWs = (c: number): boolean => c === 0x20 || c === LF || c === 0x09;
const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

// Results of scanning one token at `pos`: its end (> pos), or one of these.
const MORE = 0; // the token goes on past the text at hand
const BAIL = -1; // not sure: saxes takes over at the token

/** Code points in s[a, b) (a and b never split a surrogate pair). */
function codePoints(s: string, a: number, b: number): number {
  let n = b - a;
  for (let i = a; i < b; i++) if (isLow(s.charCodeAt(i))) n--;
  return n;
}

/**
 * An entity reference at s[i] (`&`): [its text, its length], MORE when s ends inside what may
 * still become one of the five predefined entities, or BAIL (character references, undefined
 * entities: saxes words those).
 */
function entityAt(s: string, i: number): [string, number] | typeof MORE | typeof BAIL {
  const semi = s.indexOf(';', i + 1);
  if (semi < 0 || semi - i > 5) {
    const rest = s.slice(i + 1, i + 6);
    if (semi < 0 && s.length - i <= 5 && Object.keys(ENTITIES).some((e) => e.startsWith(rest))) return MORE;
    return BAIL;
  }
  const value = ENTITIES[s.slice(i + 1, semi)];
  return value === undefined ? BAIL : [value, semi + 1 - i];
}

/**
 * Streams one document to `sink` on the fast path, falling back to saxes (XmlReader) from the
 * first token it leaves to saxes. Same interface as XmlReader; see the section comment.
 */
export class XmlScanner {
  readonly #sink: XmlScanSink;
  readonly #file: string | undefined;
  #saxes: XmlReader | undefined;
  #muted = false;
  readonly #attrs = new ScanAttrs();
  readonly #names = new NameCache();
  #lastOpen = ''; // the name of the last start tag
  readonly #stack: string[] = [];
  #started = false; // the root element has opened
  #rootClosed = false;
  #decl = ''; // the declaration as read (replayed to saxes)
  #tail = ''; // an unfinished token carried to the next write (from the document start until #started)
  // Position: line #line starts (or, when #lineStart < 0, started #column code points before)
  // index #from of #buf, the text being scanned; newlines before #from are counted.
  #buf = '';
  #from = 0;
  #line = 1;
  #lineStart = 0;
  #column = 0;
  #at = 0; // index in #buf just after the token being reported (events' position)

  /** Parses into `sink`; `file` names the document in error messages. */
  constructor(sink: XmlScanSink, file: string | undefined) {
    this.#sink = sink;
    this.#file = file;
  }

  /** The current line (one-based), e.g. to remember where a `<package>` started. */
  get line(): number {
    if (this.#saxes !== undefined) return this.#saxes.line;
    this.#advance(this.#at);
    return this.#line;
  }

  /** The current position, one-based, for messages ("line 3, column 14"). */
  where(): string {
    if (this.#saxes !== undefined) return this.#saxes.where();
    return `line ${this.line}, column ${this.#columnAt(this.#at) + 1}`;
  }

  /** A FormatError at the current position. */
  error(message: string): FormatError {
    if (this.#saxes !== undefined) return this.#saxes.error(message);
    return new FormatError('xml', `${this.where()}: ${message}`, this.#file === undefined ? {} : { file: this.#file });
  }

  /** Feeds decoded text. */
  write(text: string): void {
    if (this.#saxes !== undefined) {
      this.#saxes.write(text);
      return;
    }
    if (this.#tail === '') {
      this.#scanText(text, 0);
      return;
    }
    // Finish the carried token on a short string of its own (scanning stays on flat strings,
    // which V8 reads several times faster than a concatenation), growing it until it does.
    const tail = this.#tail;
    for (let k = Math.min(text.length, 256); ; k = Math.min(text.length, k * 4)) {
      const head = tail + text.slice(0, k);
      this.#enter(head, 0);
      const stop = this.#run(head, 0);
      if (stop === BAIL) {
        this.#bailTo(this.#stop, head, text.slice(k));
        return;
      }
      if (stop > 0) {
        this.#leave(stop);
        if (stop < tail.length) {
          // (Not seen: a carried token ends only past the carried text.) Carry the rest again.
          this.#tail = tail.slice(stop);
          this.write(text);
          return;
        }
        // Past the carried text: go on in `text` itself.
        this.#tail = '';
        this.#scanText(text, stop - tail.length);
        return;
      }
      if (k === text.length) {
        this.#tail = head;
        return;
      }
    }
  }

  /** Ends the document; fails when it is truncated (unclosed elements, no root). */
  end(): void {
    if (this.#saxes === undefined) {
      if (this.#tail === '' && this.#rootClosed) return;
      // Whatever is left (a truncated document, text after the root...): saxes words it.
      this.#enter(this.#tail, 0);
      this.#bailTo(0, this.#tail, '');
    }
    this.#saxes?.end();
  }

  #scanText(text: string, start: number): void {
    this.#enter(text, start);
    const stop = this.#run(text, start);
    if (stop === BAIL) {
      this.#bailTo(this.#stop, text, '');
      return;
    }
    // A token runs past the end: carry it (and, before the root, all of the prolog).
    this.#leave(stop);
    this.#tail = text.slice(stop);
  }

  /** Starts scanning `buf` at `start` (the position state carries over from the last buffer). */
  #enter(buf: string, start: number): void {
    this.#buf = buf;
    this.#from = start;
    this.#at = start;
  }

  /** Leaves the current buffer at `stop`: counts its lines there, to carry the position on. */
  #leave(stop: number): void {
    this.#advance(stop);
    this.#column = this.#columnAt(stop);
    this.#lineStart = -1;
  }

  /** Counts the newlines before `pos` (≥ the last count) in #buf. */
  #advance(pos: number): void {
    const buf = this.#buf;
    for (let nl = buf.indexOf('\n', this.#from); nl >= 0 && nl < pos; nl = buf.indexOf('\n', nl + 1)) {
      this.#line++;
      this.#lineStart = nl + 1;
    }
    if (pos > this.#from) {
      if (this.#lineStart < 0) {
        // Still on the line carried in: fold what this buffer adds into its column.
        this.#column += codePoints(buf, this.#from, pos);
      }
      this.#from = pos;
    }
  }

  /** The column (zero-based, in code points, as saxes counts) of `pos` in #buf. */
  #columnAt(pos: number): number {
    this.#advance(pos);
    return this.#lineStart < 0 ? this.#column : codePoints(this.#buf, this.#lineStart, pos);
  }

  #stop = 0; // where #run stopped when it returned BAIL

  /**
   * Scans tokens of `buf` from `pos`, reporting each; returns where the first unfinished one
   * starts (the end of buf when none), or BAIL with #stop where saxes must take over.
   */
  #run(buf: string, pos: number): number {
    const len = buf.length;
    if (!this.#started) {
      const r = this.#prolog(buf);
      if (r === BAIL) {
        this.#stop = 0;
        return BAIL;
      }
      if (r === MORE) return 0;
      pos = r;
    }
    while (pos < len) {
      const r = buf.charCodeAt(pos) === LT ? this.#tag(buf, pos) : this.#textRun(buf, pos);
      if (r === MORE) return pos;
      if (r === BAIL) {
        this.#stop = pos;
        return BAIL;
      }
      pos = r;
    }
    return pos;
  }

  /** The declaration, blanks and the root's start tag (the whole document start, from 0). */
  #prolog(buf: string): number {
    let p = 0;
    if (buf.startsWith('<?')) {
      if (buf.length < XML_DECL.length) return XML_DECL.startsWith(buf) ? MORE : BAIL;
      if (!buf.startsWith(XML_DECL)) return BAIL;
      this.#decl = XML_DECL;
      p = XML_DECL.length;
    }
    while (p < buf.length && isWs(buf.charCodeAt(p))) p++;
    if (p === buf.length) return MORE;
    if (buf.charCodeAt(p) !== LT) return BAIL;
    if (p + 1 < buf.length && buf.charCodeAt(p + 1) === SLASH) return BAIL;
    return this.#tag(buf, p);
  }

  /** Character data at `pos`, up to the next `<`. */
  #textRun(buf: string, pos: number): number {
    const len = buf.length;
    if (this.#stack.length === 0) {
      // After the root only blanks may stand; saxes words the error, in this chunk already.
      let k = pos;
      while (k < len && isWs(buf.charCodeAt(k))) k++;
      if (k === len) return MORE;
      return buf.charCodeAt(k) === LT ? k : BAIL;
    }
    let i = pos;
    let parts: string[] | undefined; // decoded pieces, when there are entities
    let from = pos;
    for (;;) {
      // The next character to look at: by hand for a short way (the blanks between tags), then
      // by regular expression (long text).
      let j = i;
      const short = Math.min(len, i + SHORT);
      for (; j < short; j++) {
        const c = buf.charCodeAt(j);
        if (c < 128 ? ((ASCII[c] ?? 0) & TEXT_PLAIN) === 0 : !plainWide(c)) break;
      }
      if (j === short) {
        if (j === len) return MORE;
        TEXT_STOP.lastIndex = j;
        if (!TEXT_STOP.test(buf)) return MORE;
        j = TEXT_STOP.lastIndex - 1;
      }
      const c = buf.charCodeAt(j);
      if (c === LT) {
        i = j;
        break;
      }
      if (c === AMP) {
        const e = entityAt(buf, j);
        if (e === MORE || e === BAIL) return e;
        (parts ??= []).push(buf.slice(from, j), e[0]);
        i = from = j + e[1];
      } else if (c === 0x5d) {
        // `]]>` is not allowed in text (saxes fails on it).
        if (j + 1 >= len) return MORE;
        if (buf.charCodeAt(j + 1) === 0x5d) {
          if (j + 2 >= len) return MORE;
          if (buf.charCodeAt(j + 2) === GT) return BAIL;
        }
        i = j + 1;
      } else if (isHigh(c)) {
        if (j + 1 >= len) return MORE;
        if (!isLow(buf.charCodeAt(j + 1))) return BAIL;
        i = j + 2;
      } else return BAIL;
    }
    if (this.#sink.wantsText()) {
      this.#at = i;
      const sink = this.#sink;
      if (parts === undefined) sink.text(buf.slice(pos, i));
      else {
        parts.push(buf.slice(from, i));
        sink.text(parts.join(''));
      }
    }
    return i;
  }

  /** A tag at `pos` (`<`): a start tag with its attributes, an empty-element tag or an end tag. */
  #tag(buf: string, pos: number): number {
    const len = buf.length;
    if (pos + 1 >= len) return MORE;
    const c1 = buf.charCodeAt(pos + 1);
    if (c1 === SLASH) {
      let p = nameEnd(buf, pos + 2);
      if (p === pos + 2) return p >= len ? MORE : BAIL;
      if (p >= len) return MORE;
      const end = p;
      while (p < len && isWs(buf.charCodeAt(p))) p++;
      if (p >= len) return MORE;
      if (buf.charCodeAt(p) !== GT) return BAIL;
      const stack = this.#stack;
      const top = stack[stack.length - 1];
      // A mismatch is an error: saxes's words.
      if (top?.length !== end - pos - 2) return BAIL;
      for (let i = 0; i < top.length; i++) if (top.charCodeAt(i) !== buf.charCodeAt(pos + 2 + i)) return BAIL;
      stack.pop();
      if (stack.length === 0) this.#rootClosed = true;
      this.#at = p + 1;
      this.#sink.close(top);
      return p + 1;
    }
    // A start tag; after the root, saxes words the error.
    if (this.#rootClosed) return BAIL;
    // Elements come in runs (`<rpm:entry>` after `<rpm:entry>`): try the last start tag's name.
    let name = this.#lastOpen;
    let p = pos + 1 + name.length;
    if (!(name !== '' && p < len && buf.startsWith(name, pos + 1) && !isNameChar(buf.charCodeAt(p)))) {
      p = nameEnd(buf, pos + 1);
      if (p === pos + 1) return BAIL;
      if (p >= len) return MORE;
      name = this.#names.get(buf, pos + 1, p);
      this.#lastOpen = name;
    }
    const attrs = this.#attrs;
    attrs.count = 0;
    let empty = false;
    for (;;) {
      let c = buf.charCodeAt(p);
      if (c === GT) {
        p++;
        break;
      }
      if (c === SLASH) {
        if (p + 1 >= len) return MORE;
        if (buf.charCodeAt(p + 1) !== GT) return BAIL;
        empty = true;
        p += 2;
        break;
      }
      // An attribute, after at least one blank.
      if (!isWs(c)) return BAIL;
      while (p < len && isWs(buf.charCodeAt(p))) p++;
      if (p >= len) return MORE;
      c = buf.charCodeAt(p);
      if (c === GT || c === SLASH) continue;
      const nameStart = p;
      // Attributes come in the same order tag after tag: try the last tag's at this place.
      let attrName = attrs.names[attrs.count] ?? '';
      p = nameStart + attrName.length;
      if (!(attrName !== '' && p < len && buf.startsWith(attrName, nameStart) && !isNameChar(buf.charCodeAt(p)))) {
        p = nameEnd(buf, nameStart);
        if (p === nameStart) return BAIL;
        if (p >= len) return MORE;
        attrName = this.#names.get(buf, nameStart, p);
      }
      if (buf.charCodeAt(p) !== EQ) return BAIL;
      if (p + 1 >= len) return MORE;
      const q = buf.charCodeAt(p + 1);
      if (q !== QUOT && q !== APOS) return BAIL;
      const stop = q === QUOT ? ATTR_STOP_DQ : ATTR_STOP_SQ;
      const vStart = p + 2;
      let i = vStart;
      let parts: string[] | undefined;
      let from = vStart;
      let end: number;
      const plain = q === QUOT ? DQ_PLAIN : SQ_PLAIN;
      for (;;) {
        let j = i;
        const short = Math.min(len, i + SHORT);
        for (; j < short; j++) {
          const c2 = buf.charCodeAt(j);
          if (c2 < 128 ? ((ASCII[c2] ?? 0) & plain) === 0 : !plainWide(c2)) break;
        }
        if (j === short) {
          if (j === len) return MORE;
          stop.lastIndex = j;
          if (!stop.test(buf)) return MORE;
          j = stop.lastIndex - 1;
        }
        const c2 = buf.charCodeAt(j);
        if (c2 === q) {
          end = j;
          break;
        }
        if (c2 === AMP) {
          const e = entityAt(buf, j);
          if (e === MORE || e === BAIL) return e;
          (parts ??= []).push(buf.slice(from, j), e[0]);
          i = from = j + e[1];
        } else if (isHigh(c2)) {
          if (j + 1 >= len) return MORE;
          if (!isLow(buf.charCodeAt(j + 1))) return BAIL;
          i = j + 2;
        } else return BAIL;
      }
      let value: string;
      if (parts === undefined) value = buf.slice(vStart, end);
      else {
        parts.push(buf.slice(from, end));
        value = parts.join('');
      }
      // A duplicate attribute is an error: saxes's words.
      for (let k = 0; k < attrs.count; k++) if (attrs.names[k] === attrName) return BAIL;
      attrs.names[attrs.count] = attrName;
      attrs.values[attrs.count] = value;
      attrs.count++;
      p = end + 1;
      if (p >= len) return MORE;
    }
    this.#started = true;
    this.#at = p;
    const sink = this.#sink;
    if (empty) {
      sink.open(name, attrs);
      if (this.#stack.length === 0) this.#rootClosed = true;
      sink.close(name);
    } else {
      this.#stack.push(name);
      sink.open(name, attrs);
    }
    return p;
  }

  /**
   * Hands the document over to saxes at `pos` of `buf` (then `rest`): saxes gets, muted, the
   * declaration and the open elements (what its state depends on), the position, and the text
   * from `pos` on. Before the root, the whole document so far is still in `buf` (from 0).
   */
  #bailTo(pos: number, buf: string, rest: string): void {
    // Depth, to pass on only the text the fast path would: inside the root, when wanted.
    let depth = this.#stack.length;
    const saxes = new XmlReader(
      {
        open: (name, attrs) => {
          if (this.#muted) return;
          depth++;
          this.#sink.open(name, new RecordAttrs(attrs));
        },
        close: (name) => {
          if (this.#muted) return;
          depth--;
          this.#sink.close(name);
        },
        text: (t) => {
          if (!this.#muted && depth > 0 && this.#sink.wantsText()) this.#sink.text(t);
        },
      },
      this.#file,
    );
    this.#saxes = saxes;
    this.#tail = '';
    if (!this.#started) {
      saxes.write(buf);
    } else {
      const line = this.#lineOf(pos);
      const column = this.#columnAt(pos);
      this.#muted = true;
      saxes.write(`${this.#decl}${this.#stack.map((n) => `<${n}>`).join('')}${this.#rootClosed ? '<r/>' : ''}`);
      this.#muted = false;
      saxes.moveTo(line, column);
      saxes.write(buf.slice(pos));
    }
    if (rest !== '') saxes.write(rest);
  }

  /** The line of `pos` in #buf. */
  #lineOf(pos: number): number {
    this.#advance(pos);
    return this.#line;
  }
}
