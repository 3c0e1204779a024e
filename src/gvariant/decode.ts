/**
 * Strict GVariant deserializer (ostree-format.md §1). OSTree hashes the exact bytes and `ostree
 * fsck` rejects metadata that is not in normal form (§1 intro), so this decoder accepts only
 * normal form: every byte is accounted for by the framing rules below, and each rule that GLib's
 * g_variant_is_normal_form() checks is checked here, with the byte offset of the first deviation.
 * The property "decode succeeds ⇒ re-encoding gives the same bytes" is what the tests fuzz.
 */
import { resolveType } from './encode.js';
import { PathFailure, childLabel } from './failure.js';
import { MAX_DEPTH, isObjectPath, isSignature, makeVariant, tryParseType, typeDepth, type GVariantType, type GVariantValue } from './type.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a leading U+FEFF is data, not a BOM

/** §1.3 as a reader sees it: the offset width follows from the container's total size. */
function offsetWidth(size: number): number {
  return size === 0 ? 0 : size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffff ? 4 : 8;
}

/** Offset of the first byte of the first invalid UTF-8 sequence in [start, end) (WHATWG rules, as GLib's). */
function firstInvalidUtf8(b: Uint8Array, start: number, end: number): number {
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => k < end && (b[k] ?? 0) >= lo && (b[k] ?? 0) <= hi;
  let i = start;
  while (i < end) {
    const c = b[i] ?? 0;
    if (c < 0x80) i += 1;
    else if (c >= 0xc2 && c <= 0xdf && cont(i + 1)) i += 2;
    else if (c >= 0xe0 && c <= 0xef && cont(i + 1, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf) && cont(i + 2)) i += 3;
    else if (c >= 0xf0 && c <= 0xf4 && cont(i + 1, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf) && cont(i + 2) && cont(i + 3)) i += 4;
    else return i;
  }
  return end;
}

const VALID_TYPE_CHAR = /^[bynqiuhxtdsogvam(){}]+$/;

class Reader {
  readonly b: Uint8Array;
  readonly view: DataView;
  constructor(bytes: Uint8Array) {
    // A plain Uint8Array view: Buffer.prototype.slice would hand out views, not copies, of `ay`.
    this.b = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** One little-endian framing offset of width w at `at` (§1.3: always LE). */
  offset(at: number, w: number): number {
    switch (w) {
      case 1:
        return this.b[at] ?? 0;
      case 2:
        return this.view.getUint16(at, true);
      case 4:
        return this.view.getUint32(at, true);
      default:
        return Number(this.view.getBigUint64(at, true));
    }
  }

  /** §1.2: padding bytes must be zero. */
  zeros(from: number, to: number, what: string): void {
    for (let k = from; k < to; k++) if (this.b[k] !== 0) throw new PathFailure(`non-zero ${what} byte 0x${(this.b[k] ?? 0).toString(16).padStart(2, '0')} (expected 0x00)`, k);
  }

  string(t: GVariantType & { kind: 'basic' }, start: number, end: number): string {
    const b = this.b;
    if (end === start) throw new PathFailure(`expected a NUL-terminated ${t.code === 's' ? 'string' : t.code === 'o' ? 'object path' : 'signature'}, got 0 bytes`, start);
    if (b[end - 1] !== 0) throw new PathFailure(`string is not NUL-terminated (expected 0x00, got 0x${(b[end - 1] ?? 0).toString(16).padStart(2, '0')})`, end - 1);
    const nul = b.indexOf(0, start);
    if (nul < end - 1) throw new PathFailure('embedded NUL in string (expected the NUL only at its end)', nul);
    let s: string;
    try {
      s = utf8.decode(b.subarray(start, end - 1));
    } catch {
      throw new PathFailure('string is not valid UTF-8', firstInvalidUtf8(b, start, end - 1));
    }
    if (t.code === 'o' && !isObjectPath(s)) throw new PathFailure(`expected a D-Bus object path, got ${JSON.stringify(s)}`, start);
    if (t.code === 'g' && !isSignature(s)) throw new PathFailure(`expected a D-Bus type signature, got ${JSON.stringify(s)}`, start);
    return s;
  }

  /** Decodes the value of type t that occupies exactly [start, end); depth = containers above it. */
  value(t: GVariantType, start: number, end: number, depth: number): GVariantValue {
    const size = end - start;
    if (t.fixedSize !== null && size !== t.fixedSize) throw new PathFailure(`expected ${t.fixedSize} bytes for ${t.sig}, got ${size}`, start);
    switch (t.kind) {
      case 'basic': {
        const v = this.view;
        switch (t.code) {
          case 'b': {
            const x = this.b[start];
            if (x !== 0 && x !== 1) throw new PathFailure(`boolean must be 0x00 or 0x01, got 0x${(x ?? 0).toString(16).padStart(2, '0')}`, start);
            return x === 1;
          }
          case 'y':
            return this.b[start] ?? 0;
          case 'n':
            return v.getInt16(start, true);
          case 'q':
            return v.getUint16(start, true);
          case 'i':
          case 'h':
            return v.getInt32(start, true);
          case 'u':
            return v.getUint32(start, true);
          case 'x':
            return v.getBigInt64(start, true);
          case 't':
            return v.getBigUint64(start, true);
          case 'd': {
            const d = v.getFloat64(start, true);
            // Only the NaN the encoder writes: a JS number cannot carry a NaN payload, so any
            // other NaN would not survive a round trip (GLib itself accepts every bit pattern).
            if (Number.isNaN(d) && v.getBigUint64(start, true) !== 0x7ff8000000000000n) throw new PathFailure('NaN with a non-canonical bit pattern (expected 00 00 00 00 00 00 f8 7f)', start);
            return d;
          }
          case 's':
          case 'o':
          case 'g':
            return this.string(t, start, end);
        }
        break;
      }
      case 'variant':
        return this.variant(start, end, depth);
      case 'maybe': {
        // §1.6: Nothing = no bytes; Just = the child (+ 0x00 if the child is variable-size).
        if (size === 0) return null;
        const e = t.element;
        let childEnd = end;
        if (e.fixedSize === null) {
          if (this.b[end - 1] !== 0) throw new PathFailure(`Just value of ${t.sig} must end with 0x00, got 0x${(this.b[end - 1] ?? 0).toString(16).padStart(2, '0')}`, end - 1);
          childEnd = end - 1;
        } else if (size !== e.fixedSize) {
          throw new PathFailure(`Just value of ${t.sig} must be ${e.fixedSize} bytes, got ${size}`, start);
        }
        try {
          return this.value(e, start, childEnd, depth + 1);
        } catch (err) {
          if (err instanceof PathFailure) err.labels.push(childLabel(t, 0));
          throw err;
        }
      }
      case 'array':
        return this.array(t, start, end, depth);
      case 'tuple':
        return this.tuple(t, t.members, start, end, depth);
      case 'dict-entry':
        return this.tuple(t, [t.key, t.value], start, end, depth);
    }
    return null;
  }

  /** §1.7: child bytes, 0x00, type string; the separator is the last zero byte. */
  variant(start: number, end: number, depth: number): GVariantValue {
    const b = this.b;
    let sep = end - 1;
    while (sep >= start && b[sep] !== 0) sep--;
    if (sep < start) throw new PathFailure('variant has no 0x00 before its type string', start);
    const sigStart = sep + 1;
    let sig = '';
    for (let k = sigStart; k < end; k++) sig += String.fromCharCode(b[k] ?? 0);
    if (sig === '') throw new PathFailure('variant type string is empty (expected a single complete type after the last 0x00)', sigStart);
    if (!VALID_TYPE_CHAR.test(sig)) throw new PathFailure(`variant type string ${JSON.stringify(sig)} has characters that are not type codes`, sigStart);
    const ct = tryParseType(sig);
    if (typeof ct === 'string') throw new PathFailure(`variant ${ct}`, sigStart);
    if (depth + typeDepth(ct) >= MAX_DEPTH) throw new PathFailure(`variants nested too deeply (GLib allows ${MAX_DEPTH} levels)`, sigStart);
    try {
      return makeVariant(ct.sig, this.value(ct, start, sep, depth + 1));
    } catch (err) {
      if (err instanceof PathFailure) err.labels.push(`value of variant <${ct.sig}>`);
      throw err;
    }
  }

  array(t: GVariantType & { kind: 'array' }, start: number, end: number, depth: number): GVariantValue {
    const e = t.element;
    const size = end - start;
    if (e.kind === 'basic' && e.code === 'y') return this.b.slice(start, end);
    const out: GVariantValue[] = [];
    if (size === 0) return out;
    let i = 0;
    try {
      if (e.fixedSize !== null) {
        // §1.4: fixed-size elements back to back, no offsets.
        const f = e.fixedSize;
        if (size % f !== 0) throw new PathFailure(`array of ${e.sig} is ${size} bytes, not a multiple of the element size ${f}`, start);
        for (let p = start; p < end; p += f, i++) out.push(this.value(e, p, p + f, depth + 1));
        return out;
      }
      // §1.4: elements, then one offset per element (its end); the last offset is where the table starts.
      const w = offsetWidth(size);
      const framing = `(${w}-byte offsets for a ${size}-byte array)`;
      const tableStart = this.offset(end - w, w);
      if (tableStart > size - w) throw new PathFailure(`last framing offset ${tableStart} points beyond the array body, expected at most ${size - w} ${framing}`, end - w);
      const tableSize = size - tableStart;
      if (tableSize % w !== 0) throw new PathFailure(`offset table of ${tableSize} bytes is not a multiple of the offset width ${framing}`, start + tableStart);
      const n = tableSize / w;
      let prev = 0;
      for (; i < n; i++) {
        const at = start + tableStart + i * w;
        const elemEnd = this.offset(at, w);
        const elemStart = Math.ceil(prev / e.align) * e.align;
        if (elemEnd < elemStart || elemEnd > tableStart) {
          const why = elemEnd > tableStart ? `beyond the offset table start ${tableStart}` : elemEnd < prev ? `before the previous element end ${prev} (offsets must not decrease)` : `inside the padding before element start ${elemStart}`;
          throw new PathFailure(`framing offset ${elemEnd} of element ${i} is ${why} ${framing}`, at);
        }
        this.zeros(start + prev, start + elemStart, 'padding');
        out.push(this.value(e, start + elemStart, start + elemEnd, depth + 1));
        prev = elemEnd;
      }
      return out;
    } catch (err) {
      if (err instanceof PathFailure) err.labels.push(childLabel(t, i));
      throw err;
    }
  }

  /** §1.5: members in order, each aligned; end offsets of non-last variable members stored reversed at the end. */
  tuple(t: GVariantType, members: readonly GVariantType[], start: number, end: number, depth: number): GVariantValue[] {
    if (members.length === 0) {
      if (this.b[start] !== 0) throw new PathFailure(`unit tuple () must be the byte 0x00, got 0x${(this.b[start] ?? 0).toString(16).padStart(2, '0')}`, start);
      return [];
    }
    const last = members.length - 1;
    let nOffsets = 0;
    if (t.fixedSize === null) for (let k = 0; k < last; k++) if ((members[k] as GVariantType).fixedSize === null) nOffsets++;
    const size = end - start;
    const w = nOffsets === 0 ? 0 : Math.max(1, offsetWidth(size)); // 0 bytes cannot hold an offset
    const tableStart = end - nOffsets * w;
    if (tableStart < start) throw new PathFailure(`${t.sig} is ${size} bytes, too short for its ${nOffsets} framing offsets`, start);
    const out: GVariantValue[] = new Array<GVariantValue>(members.length);
    let pos = start;
    let used = 0;
    let i = 0;
    try {
      for (; i <= last; i++) {
        const m = members[i] as GVariantType;
        const ms = start + Math.ceil((pos - start) / m.align) * m.align;
        if (ms > tableStart) throw new PathFailure(`${t.sig} ends before member ${i} (${tableStart - start} bytes before the offsets)`, tableStart);
        this.zeros(pos, ms, 'padding');
        let me: number;
        if (m.fixedSize !== null) {
          me = ms + m.fixedSize;
          if (me > tableStart) throw new PathFailure(`member ${i} needs ${m.fixedSize} bytes, only ${tableStart - ms} left`, ms);
        } else if (i === last) {
          me = tableStart;
        } else {
          const at = end - (used + 1) * w;
          used++;
          me = start + this.offset(at, w);
          if (me < ms || me > tableStart) throw new PathFailure(`framing offset ${me - start} of member ${i} is ${me > tableStart ? `beyond the offset table start ${tableStart - start}` : `before the member start ${ms - start}`}`, at);
        }
        out[i] = this.value(m, ms, me, depth + 1);
        pos = me;
      }
    } catch (err) {
      if (err instanceof PathFailure) err.labels.push(childLabel(t, i));
      throw err;
    }
    // Fixed tuples end with padding to their alignment; variable ones must end exactly at the table.
    if (t.fixedSize !== null) this.zeros(pos, end, 'trailing padding');
    else if (pos !== tableStart) throw new PathFailure(`${tableStart - pos} unexpected bytes after the last member of ${t.sig}`, pos);
    return out;
  }
}

/** Decodes bytes as `type`, strictly: any deviation from normal form throws FormatError('gvariant', msg, { offset }). */
export function decodeGVariant(type: string | GVariantType, bytes: Uint8Array, opts: { file?: string } = {}): GVariantValue {
  const t = resolveType(type);
  try {
    return new Reader(bytes).value(t, 0, bytes.length, 0);
  } catch (err) {
    if (err instanceof PathFailure) throw err.toFormatError(t, opts.file);
    throw err;
  }
}

/** True iff bytes are the normal-form serialization of some value of `type` (never throws on bad bytes). */
export function isNormalForm(type: string | GVariantType, bytes: Uint8Array): boolean {
  const t = resolveType(type);
  try {
    new Reader(bytes).value(t, 0, bytes.length, 0);
    return true;
  } catch (err) {
    if (err instanceof PathFailure) return false;
    throw err;
  }
}
