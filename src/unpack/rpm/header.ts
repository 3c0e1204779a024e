import { FormatError } from '../../core/index.js';
import {
  HEADER_TAGS, MIN_TAG, REGION_TAG, RPM_TYPE, SIGNATURE_TAGS, TYPE_INFO, TYPE_OF_CODE,
  isStringType, unknownTagName, type RpmType, type TagTypeCode,
} from './tags.js';

/*
 * The RPM header structure (rpm doc/manual/format.md "Header", lib/header.c), used both for the
 * signature header and the main header. Pure: bytes in, typed tag values out.
 *
 *   offset        size     field
 *   0             3        magic 8E AD E8
 *   3             1        version 01
 *   4             4        reserved, zero (header.c compares all 8 bytes with rpm_header_magic)
 *   8             4        il: number of index entries (BE u32)
 *   12            4        dl: size of the data store in bytes (BE u32)
 *   16            16 * il  index entries: tag, type, offset, count (BE u32 each; offset into the store)
 *   16 + 16*il    dl       data store
 *
 * Validation follows header.c (hdrblobRead, hdrblobVerifyRegion, hdrblobVerifyInfo): bounded il
 * and dl; the first entry is the region tag (62 signature, 63 main) whose 16-byte trailer at
 * the end of the region points back over the whole index (package files: region = whole
 * header); every other entry has a tag >= 100, a known type, a count in 1..dl, an offset aligned
 * for its type, data inside the store, strings NUL-terminated inside the store, entries in data
 * order without overlap, and (main header) the type rpmtag.h declares for known tags.
 */

/** Size of the fixed part before the index: magic, reserved, il, dl. */
export const HEADER_INTRO_SIZE = 16;
/** Size of one index entry. */
export const INDEX_ENTRY_SIZE = 16;

/** Which header of the package this is; they differ in limits, region tag and tag names. */
export type HeaderKind = 'signature' | 'main';

/**
 * Size limits (header.c hdrblobVerifyLengths: the signature header allows 32 entries and 64 MiB
 * of data, the main header 0xffff entries and 256 MiB). The blob is buffered, so these bound
 * the memory a header can take; nothing is allocated before the bytes have actually arrived.
 */
export const HEADER_LIMITS: Readonly<Record<HeaderKind, { maxEntries: number; maxData: number }>> = {
  signature: { maxEntries: 32, maxData: 64 * 1024 * 1024 },
  main: { maxEntries: 0xffff, maxData: 0x0fffffff },
};
/** header.c HEADER_ARRAY_MAX: at most ~1M elements in a non-binary entry. */
const ARRAY_MAX = 0x000fffff;

/** The counts announced by a header's first 16 bytes. */
export type HeaderIntro = { entries: number; dataLength: number };

/** A decoded tag value. Integers are unsigned; INT64 values are bigints. */
export type TagData =
  | { kind: 'numbers'; values: number[] }
  | { kind: 'bigints'; values: bigint[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; values: string[] }
  | { kind: 'bytes'; value: Uint8Array };

/** One index entry with its decoded data. `offset` is the file offset of its index entry. */
export type HeaderEntry = { tag: number; type: RpmType; count: number; offset: number; data: TagData };

/** Byte range of a header in the package file, magic included: [start, end). */
export type ByteRange = { start: number; end: number };

/** Parses the 16-byte intro at file offset `start`: checks the magic and the il/dl bounds. */
export function parseHeaderIntro(bytes: Uint8Array, opts: { kind: HeaderKind; start: number; file?: string }): HeaderIntro {
  const err = (msg: string, at: number): FormatError => formatError(`${opts.kind} header: ${msg}`, opts.start + at, opts.file);
  if (bytes.length < HEADER_INTRO_SIZE) throw err(`truncated: expected ${HEADER_INTRO_SIZE} bytes, found ${bytes.length}`, bytes.length);
  const magic = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
  for (let i = 0; i < magic.length; i++) {
    if (bytes[i] !== magic[i]) {
      throw err(`expected the header magic 8E AD E8 01 00 00 00 00, found ${hexBytes(bytes.subarray(0, 8))}`, i);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_INTRO_SIZE);
  const entries = view.getUint32(8);
  const dataLength = view.getUint32(12);
  const limits = HEADER_LIMITS[opts.kind];
  if (entries < 1 || entries > limits.maxEntries) {
    throw err(`index entry count ${entries} out of range (1..${limits.maxEntries})`, 8);
  }
  if (dataLength > limits.maxData) throw err(`data store size ${dataLength} out of range (at most ${limits.maxData})`, 12);
  return { entries, dataLength };
}

/** Size of index plus data store, the bytes that follow the intro. */
export function headerBodyLength(intro: HeaderIntro): number {
  return intro.entries * INDEX_ENTRY_SIZE + intro.dataLength;
}

/**
 * Parses a header whose intro was read at file offset `start`; `body` holds the index and the
 * data store (`headerBodyLength(intro)` bytes).
 */
export function parseHeader(intro: HeaderIntro, body: Uint8Array, opts: { kind: HeaderKind; start: number; file?: string }): RpmHeader {
  const { kind, start, file } = opts;
  const il = intro.entries;
  const dl = intro.dataLength;
  const indexStart = start + HEADER_INTRO_SIZE;
  const storeStart = indexStart + il * INDEX_ENTRY_SIZE;
  const err = (msg: string, at: number): FormatError => formatError(`${kind} header: ${msg}`, at, file);
  if (body.length !== headerBodyLength(intro)) {
    throw err(`expected ${headerBodyLength(intro)} bytes of index and data, found ${body.length}`, indexStart + body.length);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const store = body.subarray(il * INDEX_ENTRY_SIZE);
  const raw = (i: number): { tag: number; type: number; offset: number; count: number } => ({
    tag: view.getUint32(i * INDEX_ENTRY_SIZE),
    type: view.getUint32(i * INDEX_ENTRY_SIZE + 4),
    offset: view.getInt32(i * INDEX_ENTRY_SIZE + 8),
    count: view.getUint32(i * INDEX_ENTRY_SIZE + 12),
  });
  const at = (i: number): number => indexStart + i * INDEX_ENTRY_SIZE;

  // Region (hdrblobVerifyRegion). A header whose first tag is no region tag is a legacy header
  // (rpm < 4.0); rpm still reads those, and so do we.
  const regionTag = kind === 'signature' ? REGION_TAG.HEADERSIGNATURES : REGION_TAG.HEADERIMMUTABLE;
  const first = raw(0);
  let hasRegion = false;
  let regionDataEnd = dl;
  if (first.tag === REGION_TAG.HEADERIMAGE || first.tag === REGION_TAG.HEADERSIGNATURES || first.tag === REGION_TAG.HEADERIMMUTABLE) {
    if (first.tag !== regionTag) throw err(`expected region tag ${regionTag} as the first entry, found ${first.tag}`, at(0));
    if (first.type !== RPM_TYPE.BIN || first.count !== INDEX_ENTRY_SIZE) {
      throw err(`region tag ${regionTag}: expected type 7 (bin) count 16, found type ${first.type} count ${first.count}`, at(0));
    }
    if (first.offset < 0 || first.offset + INDEX_ENTRY_SIZE > dl) {
      throw err(`region trailer offset ${first.offset} outside the ${dl}-byte data store`, at(0));
    }
    const t = first.offset;
    const trailer = { tag: readU32(store, t), type: readU32(store, t + 4), offset: -readI32(store, t + 8), count: readU32(store, t + 12) };
    if (trailer.tag !== regionTag || trailer.type !== RPM_TYPE.BIN || trailer.count !== INDEX_ENTRY_SIZE) {
      throw err(`region trailer: expected tag ${regionTag} type 7 count 16, found tag ${trailer.tag} type ${trailer.type} count ${trailer.count}`, storeStart + t);
    }
    regionDataEnd = t + INDEX_ENTRY_SIZE;
    // The trailer's negated offset is the size of the region's index (il * 16 for a package).
    if (trailer.offset % INDEX_ENTRY_SIZE !== 0 || trailer.offset / INDEX_ENTRY_SIZE !== il || regionDataEnd !== dl) {
      throw err(
        `region ${regionTag} does not cover the whole header: trailer says ${trailer.offset / INDEX_ENTRY_SIZE} entries and ${regionDataEnd} data bytes, header has ${il} and ${dl}`,
        storeStart + t + 8,
      );
    }
    hasRegion = true;
  }

  // Entries (hdrblobVerifyInfo), decoded as we go.
  const table = kind === 'signature' ? SIGNATURE_TAGS : HEADER_TAGS;
  const entries = new Map<number, HeaderEntry>();
  let end = 0;
  for (let i = hasRegion ? 1 : 0; i < il; i++) {
    const e = raw(i);
    const where = `entry ${i} (tag ${e.tag})`;
    if (e.tag < MIN_TAG) throw err(`${where}: tag numbers below ${MIN_TAG} are reserved for regions`, at(i));
    if (e.type < RPM_TYPE.CHAR || e.type > RPM_TYPE.I18NSTRING) throw err(`${where}: unknown data type ${e.type} (expected 1..9)`, at(i) + 4);
    const type = e.type as RpmType;
    if (e.count < 1 || e.count > dl) throw err(`${where}: count ${e.count} out of range (1..${dl})`, at(i) + 12);
    if (type !== RPM_TYPE.BIN && e.count > ARRAY_MAX) throw err(`${where}: count ${e.count} exceeds ${ARRAY_MAX} elements`, at(i) + 12);
    if (e.offset < 0 || e.offset > dl) throw err(`${where}: data offset ${e.offset} outside the ${dl}-byte data store`, at(i) + 8);
    const align = TYPE_INFO[type].align;
    if (e.offset % align !== 0) throw err(`${where}: data offset ${e.offset} not aligned to ${align} bytes for type ${TYPE_INFO[type].name}`, at(i) + 8);
    if (e.offset < end) throw err(`${where}: data at ${e.offset} overlaps the previous entry's data (ends at ${end})`, at(i) + 8);
    const declared = table.get(e.tag);
    if (kind === 'main' && declared !== undefined) {
      const want = TYPE_OF_CODE[declared[1]];
      if (want !== undefined && want !== type && !(isStringType(want) && isStringType(type))) {
        throw err(`${where} ${declared[0]}: type ${TYPE_INFO[type].name}, expected ${TYPE_INFO[want].name}`, at(i) + 4);
      }
    }
    const decoded = decodeData(store, type, e.offset, e.count, dl);
    if (typeof decoded === 'string') throw err(`${where}: ${decoded}`, storeStart + e.offset);
    end = e.offset + decoded.length;
    if (hasRegion && end > regionDataEnd - INDEX_ENTRY_SIZE && e.offset < regionDataEnd) {
      throw err(`${where}: data overlaps the region trailer`, storeStart + e.offset);
    }
    if (entries.has(e.tag)) throw err(`${where}: tag appears more than once`, at(i));
    entries.set(e.tag, { tag: e.tag, type, count: e.count, offset: at(i), data: decoded.data });
  }
  const range = { start, end: storeStart + dl };
  return new RpmHeader(kind, entries, range, file);
}

const utf8 = new TextDecoder('utf-8');

/** Decodes one entry's data, or returns why it does not fit (header.c dataLength). */
function decodeData(store: Uint8Array, type: RpmType, offset: number, count: number, dl: number): { data: TagData; length: number } | string {
  switch (type) {
    case RPM_TYPE.NULL:
      return 'type null carries no data';
    case RPM_TYPE.STRING:
    case RPM_TYPE.STRING_ARRAY:
    case RPM_TYPE.I18NSTRING: {
      if (type === RPM_TYPE.STRING && count !== 1) return `a string entry must have count 1, found ${count}`;
      const values: string[] = [];
      let pos = offset;
      for (let k = 0; k < count; k++) {
        const nul = pos < dl ? store.indexOf(0, pos) : -1;
        if (nul < 0 || nul >= dl) return `string ${k + 1} of ${count} is not NUL-terminated inside the data store`;
        values.push(utf8.decode(store.subarray(pos, nul)));
        pos = nul + 1;
      }
      const data: TagData = type === RPM_TYPE.STRING ? { kind: 'string', value: values[0] ?? '' } : { kind: 'strings', values };
      return { data, length: pos - offset };
    }
    case RPM_TYPE.BIN: {
      if (offset + count > dl) return `${count} bytes of binary data do not fit in the data store`;
      return { data: { kind: 'bytes', value: store.slice(offset, offset + count) }, length: count };
    }
    case RPM_TYPE.CHAR:
    case RPM_TYPE.INT8:
    case RPM_TYPE.INT16:
    case RPM_TYPE.INT32:
    case RPM_TYPE.INT64: {
      const size = TYPE_INFO[type].size;
      const length = size * count;
      if (offset + length > dl) return `${count} values of type ${TYPE_INFO[type].name} (${length} bytes) do not fit in the data store`;
      const view = new DataView(store.buffer, store.byteOffset + offset, length);
      if (type === RPM_TYPE.INT64) {
        const values: bigint[] = [];
        for (let k = 0; k < count; k++) values.push(view.getBigUint64(k * 8));
        return { data: { kind: 'bigints', values }, length };
      }
      const values: number[] = [];
      for (let k = 0; k < count; k++) {
        values.push(size === 1 ? view.getUint8(k) : size === 2 ? view.getUint16(k * 2) : view.getUint32(k * 4));
      }
      return { data: { kind: 'numbers', values }, length };
    }
  }
}

/** A parsed header: typed access by tag number, with errors that name the entry's offset. */
export class RpmHeader {
  readonly kind: HeaderKind;
  readonly entries: ReadonlyMap<number, HeaderEntry>;
  /** Where the header lies in the file, magic included. */
  readonly range: ByteRange;
  private readonly file: string | undefined;

  constructor(kind: HeaderKind, entries: ReadonlyMap<number, HeaderEntry>, range: ByteRange, file?: string) {
    this.kind = kind;
    this.entries = entries;
    this.range = range;
    this.file = file;
  }

  /** True when the tag is present. */
  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  private typeError(e: HeaderEntry, want: string): FormatError {
    return formatError(`${this.kind} header: tag ${e.tag} (${this.tagName(e.tag)}) has type ${TYPE_INFO[e.type].name}, expected ${want}`, e.offset + 4, this.file);
  }

  /** A FormatError pointing at the tag's index entry (or the header start when absent). */
  error(tag: number, message: string): FormatError {
    const e = this.entries.get(tag);
    return formatError(`${this.kind} header: tag ${tag} (${this.tagName(tag)}): ${message}`, e?.offset ?? this.range.start, this.file);
  }

  /** The tag's rpm name (or `tag_N`). */
  tagName(tag: number): string {
    return (this.kind === 'signature' ? SIGNATURE_TAGS : HEADER_TAGS).get(tag)?.[0] ?? unknownTagName(tag);
  }

  /** A single string: STRING, or the first element of a string array / i18n string (its "C" locale). */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (e === undefined) return undefined;
    if (e.data.kind === 'string') return e.data.value;
    if (e.data.kind === 'strings') return e.data.values[0];
    throw this.typeError(e, 'a string');
  }

  /** A string list: a string array, or a single string as a list of one (rpm treats them alike). */
  strings(tag: number): string[] | undefined {
    const e = this.entries.get(tag);
    if (e === undefined) return undefined;
    if (e.data.kind === 'strings') return e.data.values;
    if (e.data.kind === 'string') return [e.data.value];
    throw this.typeError(e, 'a string array');
  }

  /** Integers of any width; INT64 values must fit in a double exactly. */
  numbers(tag: number): number[] | undefined {
    const e = this.entries.get(tag);
    if (e === undefined) return undefined;
    if (e.data.kind === 'numbers') return e.data.values;
    if (e.data.kind === 'bigints') {
      return e.data.values.map((v) => {
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(tag, `value ${v} is too large`);
        return Number(v);
      });
    }
    throw this.typeError(e, 'integers');
  }

  /** The first integer of the tag (rpm's headerGetNumber). */
  number(tag: number): number | undefined {
    return this.numbers(tag)?.[0];
  }

  /** Binary data (BIN). */
  bytes(tag: number): Uint8Array | undefined {
    const e = this.entries.get(tag);
    if (e === undefined) return undefined;
    if (e.data.kind === 'bytes') return e.data.value;
    throw this.typeError(e, 'binary data');
  }

  /**
   * Every tag decoded by name, JSON-safe, sorted by tag number (for `pkg info --json`): strings
   * as strings, i18n strings as their "C" text, arrays as lists (a tag rpmtag.h declares as an
   * array stays a list even with one element), binary as lowercase hex, 64-bit integers as
   * numbers (as decimal strings beyond 2^53).
   */
  fields(): Record<string, unknown> {
    const table = this.kind === 'signature' ? SIGNATURE_TAGS : HEADER_TAGS;
    const out: Record<string, unknown> = {};
    for (const tag of [...this.entries.keys()].sort((a, b) => a - b)) {
      const e = this.entries.get(tag);
      if (e === undefined) continue;
      const code: TagTypeCode | undefined = table.get(tag)?.[1];
      const isArray = code === undefined ? e.count > 1 : code.endsWith('[]');
      out[table.get(tag)?.[0] ?? unknownTagName(tag)] = jsonValue(e.data, isArray);
    }
    return out;
  }
}

function jsonValue(d: TagData, isArray: boolean): unknown {
  switch (d.kind) {
    case 'string':
      return isArray ? [d.value] : d.value;
    case 'strings':
      return isArray ? d.values : d.values[0];
    case 'bytes':
      return toHex(d.value);
    case 'numbers':
      return isArray || d.values.length !== 1 ? d.values : d.values[0];
    case 'bigints': {
      const vs = d.values.map((v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()));
      return isArray || vs.length !== 1 ? vs : vs[0];
    }
  }
}

/** Lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

function readU32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset + o, 4).getUint32(0);
}

function readI32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset + o, 4).getInt32(0);
}

function formatError(message: string, offset: number, file: string | undefined): FormatError {
  return new FormatError('rpm-header', message, { offset, ...(file === undefined ? {} : { file }) });
}
