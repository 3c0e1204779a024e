/**
 * GVariant serializer producing normal form (ostree-format.md §1.2–§1.8). One pass into a
 * growable buffer: every container starts at an offset aligned to its own alignment, so
 * aligning children on the absolute buffer position equals aligning them relative to the
 * container (§1.2), and framing offsets (relative to the container start) are appended once
 * the body length is known (§1.3).
 */
import { PathFailure, childLabel } from './failure.js';
import { MAX_DEPTH, isObjectPath, isSignature, isVariant, parseType, tryParseType, typeDepth, type GVariantType, type GVariantValue } from './type.js';

// §1.1 integer ranges by width.
const INT_RANGE: Partial<Record<string, [number, number]>> = {
  y: [0, 0xff], n: [-0x8000, 0x7fff], q: [0, 0xffff], i: [-0x80000000, 0x7fffffff], h: [-0x80000000, 0x7fffffff], u: [0, 0xffffffff],
};
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
/** String.prototype.isWellFormed (ES2024, in Node 20) is missing from our ES2023 lib typings. */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : v instanceof Uint8Array ? 'a Uint8Array' : isVariant(v) ? 'a Variant' : typeof v === 'bigint' ? `bigint ${v}` : typeof v === 'number' ? `number ${v}` : typeof v;

/** Growable output buffer; zero-filled on allocation, so padding is written explicitly anyway for clarity. */
class Writer {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  pos = 0;
  private readonly utf8 = new TextEncoder();

  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Zero bytes until `pos` is a multiple of `align` (§1.2 padding). */
  pad(align: number): void {
    const rem = this.pos % align;
    if (rem === 0) return;
    const n = align - rem;
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** UTF-8 of a well-formed string without NUL, then the terminating 0x00 (§1.2 strings). */
  string(s: string): void {
    this.ensure(s.length * 3 + 1);
    const { written } = this.utf8.encodeInto(s, this.buf.subarray(this.pos));
    this.pos += written;
    this.buf[this.pos++] = 0;
  }

  /** Framing offsets of a container that started at `start` (§1.3: width from the total size). */
  offsets(start: number, ends: readonly number[]): void {
    const n = ends.length;
    if (n === 0) return;
    const body = this.pos - start;
    const w = body + n <= 0xff ? 1 : body + 2 * n <= 0xffff ? 2 : body + 4 * n <= 0xffffffff ? 4 : 8;
    this.ensure(w * n);
    for (const e of ends) {
      if (w === 1) this.buf[this.pos] = e;
      else if (w === 2) this.view.setUint16(this.pos, e, true);
      else if (w === 4) this.view.setUint32(this.pos, e, true);
      else this.view.setBigUint64(this.pos, BigInt(e), true);
      this.pos += w;
    }
  }
}

function checkString(code: 'string' | 'object path' | 'signature', v: GVariantValue): string {
  if (typeof v !== 'string') throw new PathFailure(`expected a ${code === 'string' ? 'string' : `${code} string`}, got ${describe(v)}`);
  if (v.includes('\0')) throw new PathFailure(`${code} contains a NUL character at index ${v.indexOf('\0')}`);
  if (!isWellFormed(v)) throw new PathFailure(`${code} contains a lone surrogate (not valid UTF-8)`);
  return v;
}

function writeValue(w: Writer, t: GVariantType, v: GVariantValue, depth: number): void {
  switch (t.kind) {
    case 'basic': {
      const c = t.code;
      switch (c) {
        case 'b':
          if (typeof v !== 'boolean') throw new PathFailure(`expected a boolean, got ${describe(v)}`);
          w.byte(v ? 1 : 0);
          return;
        case 'y':
        case 'n':
        case 'q':
        case 'i':
        case 'h':
        case 'u': {
          const [lo, hi] = INT_RANGE[c] ?? [0, 0];
          if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new PathFailure(`expected an integer ${lo}..${hi}, got ${describe(v)}`);
          w.pad(t.align);
          w.ensure(t.align);
          if (c === 'y') w.buf[w.pos] = v;
          else if (c === 'n') w.view.setInt16(w.pos, v, true);
          else if (c === 'q') w.view.setUint16(w.pos, v, true);
          else if (c === 'u') w.view.setUint32(w.pos, v, true);
          else w.view.setInt32(w.pos, v, true);
          w.pos += t.align;
          return;
        }
        case 'x':
        case 't': {
          const [lo, hi] = c === 'x' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
          if (typeof v !== 'bigint' || v < lo || v > hi) throw new PathFailure(`expected a bigint ${lo}..${hi}, got ${describe(v)}`);
          w.pad(8);
          w.ensure(8);
          if (c === 'x') w.view.setBigInt64(w.pos, v, true);
          else w.view.setBigUint64(w.pos, v, true);
          w.pos += 8;
          return;
        }
        case 'd':
          if (typeof v !== 'number') throw new PathFailure(`expected a number, got ${describe(v)}`);
          w.pad(8);
          w.ensure(8);
          // One NaN bit pattern, so output never depends on how the NaN was computed.
          if (Number.isNaN(v)) w.view.setBigUint64(w.pos, 0x7ff8000000000000n, true);
          else w.view.setFloat64(w.pos, v, true);
          w.pos += 8;
          return;
        case 's':
          w.string(checkString('string', v));
          return;
        case 'o': {
          const s = checkString('object path', v);
          if (!isObjectPath(s)) throw new PathFailure(`expected a D-Bus object path ("/" or "/a/b", segments [A-Za-z0-9_]), got ${JSON.stringify(s)}`);
          w.string(s);
          return;
        }
        case 'g': {
          const s = checkString('signature', v);
          if (!isSignature(s)) throw new PathFailure(`expected a D-Bus type signature, got ${JSON.stringify(s)}`);
          w.string(s);
          return;
        }
      }
      return;
    }
    case 'variant': {
      // §1.7: child bytes, 0x00, the child's type string.
      if (!isVariant(v)) throw new PathFailure(`expected a Variant, got ${describe(v)}`);
      const ct = tryParseType(v.type);
      if (typeof ct === 'string') throw new PathFailure(ct);
      if (depth + typeDepth(ct) >= MAX_DEPTH) throw new PathFailure(`variants nested too deeply (GLib allows ${MAX_DEPTH} levels)`);
      w.pad(8);
      try {
        writeValue(w, ct, v.value, depth + 1);
      } catch (err) {
        if (err instanceof PathFailure) err.labels.push(`value of variant <${ct.sig}>`);
        throw err;
      }
      w.byte(0);
      w.ensure(ct.sig.length);
      for (let k = 0; k < ct.sig.length; k++) w.buf[w.pos++] = ct.sig.charCodeAt(k);
      return;
    }
    case 'maybe': {
      // §1.6: Nothing is empty; Just(x) is x, plus 0x00 when x has variable size.
      if (v === null) return;
      w.pad(t.align);
      try {
        writeValue(w, t.element, v, depth + 1);
      } catch (err) {
        if (err instanceof PathFailure) err.labels.push(childLabel(t, 0));
        throw err;
      }
      if (t.element.fixedSize === null) w.byte(0);
      return;
    }
    case 'array': {
      const e = t.element;
      if (e.kind === 'basic' && e.code === 'y') {
        if (!(v instanceof Uint8Array)) throw new PathFailure(`expected a Uint8Array for ay, got ${describe(v)}`);
        w.bytes(v);
        return;
      }
      if (!Array.isArray(v)) throw new PathFailure(`expected an array, got ${describe(v)}`);
      const items = v as readonly GVariantValue[];
      if (items.length === 0) return;
      w.pad(t.align);
      const start = w.pos;
      let i = 0;
      try {
        if (e.fixedSize !== null) {
          // §1.4: fixed-size elements are already multiples of their alignment; no offsets.
          for (; i < items.length; i++) writeValue(w, e, items[i] as GVariantValue, depth + 1);
          return;
        }
        const ends = new Array<number>(items.length);
        for (; i < items.length; i++) {
          w.pad(e.align);
          writeValue(w, e, items[i] as GVariantValue, depth + 1);
          ends[i] = w.pos - start;
        }
        w.offsets(start, ends);
      } catch (err) {
        if (err instanceof PathFailure) err.labels.push(childLabel(t, i));
        throw err;
      }
      return;
    }
    case 'tuple':
    case 'dict-entry': {
      const members = t.kind === 'tuple' ? t.members : [t.key, t.value];
      if (!Array.isArray(v)) throw new PathFailure(`expected an array of ${members.length} values for ${t.sig}, got ${describe(v)}`);
      const items = v as readonly GVariantValue[];
      if (items.length !== members.length) throw new PathFailure(`expected ${members.length} values for ${t.sig}, got ${items.length}`);
      w.pad(t.align);
      if (members.length === 0) {
        w.byte(0); // §1.1: the unit tuple is one zero byte
        return;
      }
      const start = w.pos;
      const ends: number[] = [];
      const last = members.length - 1;
      let i = 0;
      try {
        for (; i <= last; i++) {
          const m = members[i] as GVariantType;
          w.pad(m.align);
          writeValue(w, m, items[i] as GVariantValue, depth + 1);
          if (m.fixedSize === null && i !== last) ends.push(w.pos - start);
        }
      } catch (err) {
        if (err instanceof PathFailure) err.labels.push(childLabel(t, i));
        throw err;
      }
      // §1.5: fixed tuples pad to their alignment; variable ones append offsets in reverse.
      if (t.fixedSize !== null) w.pad(t.align);
      else w.offsets(start, ends.reverse());
      return;
    }
  }
}

/** Resolves a type argument: strings through the parse cache; type objects (from parseType) as they are. */
export function resolveType(type: string | GVariantType): GVariantType {
  return typeof type === 'string' ? parseType(type) : type;
}

/** Serializes value as `type` in GVariant normal form (ostree-format.md §1); FormatError('gvariant') naming the path when the value does not fit. */
export function encodeGVariant(type: string | GVariantType, value: GVariantValue): Uint8Array {
  const t = resolveType(type);
  const w = new Writer();
  try {
    writeValue(w, t, value, 0);
  } catch (err) {
    if (err instanceof PathFailure) throw err.toFormatError(t);
    throw err;
  }
  return w.buf.slice(0, w.pos);
}
