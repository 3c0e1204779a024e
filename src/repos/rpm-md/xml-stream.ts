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
export async function* readXml<T>(chunks: AsyncIterable<Uint8Array | string>, reader: XmlReader, drain: () => T[]): AsyncGenerator<T> {
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
    yield* drain();
  }
  const tail = decode();
  if (tail !== '') reader.write(tail);
  reader.end();
  yield* drain();
}

const DIGEST_HEX_LENGTH: Record<DigestAlgo, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/**
 * A `<checksum type="…">hex</checksum>` as a Digest (depsolve.md §4.1): old yum repos write
 * `sha` for sha1; the hex must have the algorithm's length. `what` names the field in errors.
 */
export function readDigest(reader: XmlReader, type: string | undefined, text: string, what: string): Digest {
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

/** A non-negative decimal integer attribute or text (sizes exceed 2^31; below 2^53 is exact). */
export function readCount(reader: XmlReader, value: string, what: string): number {
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw reader.error(`${what}: ${JSON.stringify(value)} is not a non-negative integer`);
  return n;
}
