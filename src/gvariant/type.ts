/**
 * GVariant type strings and the JS value model (ostree-format.md §1.1). Type objects carry the
 * alignment and fixed size that the serializer needs (§1.1, §1.5), so encode/decode never
 * recompute them. Parsed types are cached and frozen: the same string always yields the same
 * object, which the encoder and decoder also use as a key for their own caches.
 */
import { FormatError } from '../core/index.js';

/** Codes of the basic (non-container) types; every one of them may be a dict-entry key. */
export type BasicCode = 'b' | 'y' | 'n' | 'q' | 'i' | 'u' | 'h' | 'x' | 't' | 'd' | 's' | 'o' | 'g';

/** A parsed, complete GVariant type with its alignment and fixed size (null = variable size). */
export type GVariantType =
  | { kind: 'basic'; code: BasicCode; sig: string; align: number; fixedSize: number | null }
  | { kind: 'variant'; sig: 'v'; align: 8; fixedSize: null }
  | { kind: 'array'; element: GVariantType; sig: string; align: number; fixedSize: null }
  | { kind: 'maybe'; element: GVariantType; sig: string; align: number; fixedSize: null }
  | { kind: 'tuple'; members: GVariantType[]; sig: string; align: number; fixedSize: number | null }
  | { kind: 'dict-entry'; key: GVariantType; value: GVariantType; sig: string; align: number; fixedSize: number | null };

/** A value of type `v`: the contained value together with its type string. */
export interface Variant {
  readonly type: string;
  readonly value: GVariantValue;
}

/**
 * A GVariant value: b → boolean; y n q i u h d → number; x t → bigint; s o g → string;
 * ay → Uint8Array; other aT → array; mT → null (Nothing) or the value; tuple → array with one
 * item per member; dict entry → [key, value]; v → Variant.
 */
export type GVariantValue = boolean | number | bigint | string | Uint8Array | Variant | null | readonly GVariantValue[];

/**
 * GLib's G_VARIANT_MAX_RECURSION_DEPTH: at most this many containers may enclose a type, and a
 * variant's content may not reach this depth counted from the outermost value. Also keeps our
 * recursion far from the JS stack limit on hostile input.
 */
export const MAX_DEPTH = 128;

// §1.1 type table: alignment and size of the fixed-size basic types; strings are variable.
const BASIC: Record<BasicCode, [align: number, size: number | null]> = {
  b: [1, 1], y: [1, 1], n: [2, 2], q: [2, 2], i: [4, 4], u: [4, 4], h: [4, 4],
  x: [8, 8], t: [8, 8], d: [8, 8], s: [1, null], o: [1, null], g: [1, null],
};

/** True for the one-character codes of basic types. */
export function isBasicCode(c: string | undefined): c is BasicCode {
  return c !== undefined && c.length === 1 && Object.hasOwn(BASIC, c);
}

const basicTypes = new Map<string, GVariantType>(
  (Object.keys(BASIC) as BasicCode[]).map((code) => {
    const [align, fixedSize] = BASIC[code];
    return [code, Object.freeze({ kind: 'basic' as const, code, sig: code, align, fixedSize })];
  }),
);
const VARIANT_TYPE: GVariantType = Object.freeze({ kind: 'variant' as const, sig: 'v' as const, align: 8 as const, fixedSize: null });

const depths = new WeakMap<GVariantType, number>();

/** Nesting depth of a type: 1 for basic types and `v`, one more than the deepest child for containers. */
export function typeDepth(t: GVariantType): number {
  return depths.get(t) ?? 1;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** §1.1: alignment = largest member alignment (1 for `()`); fixed iff all members are fixed. */
function tupleLayout(members: readonly GVariantType[]): { align: number; fixedSize: number | null } {
  let align = 1;
  let end = 0;
  let fixed = true;
  for (const m of members) {
    align = Math.max(align, m.align);
    if (m.fixedSize === null) fixed = false;
    else end = alignUp(end, m.align) + m.fixedSize;
  }
  // The unit tuple is one zero byte; others are padded to their own alignment (§1.1).
  return { align, fixedSize: !fixed ? null : members.length === 0 ? 1 : alignUp(end, align) };
}

/** How strict the scanner is: our type system, or GLib's rules for the content of a `g` string. */
interface ScanRules {
  /** GLib allows `{KV}` anywhere; we allow it only as an array element (the brief, like D-Bus). */
  dictAnywhere: boolean;
  /** `m` is not allowed in a D-Bus signature (GLib's `g` check). */
  allowMaybe: boolean;
  /** `mm…` cannot be represented: a JS null cannot tell Nothing from Just(Nothing). */
  allowNestedMaybe: boolean;
}
const OURS: ScanRules = { dictAnywhere: false, allowMaybe: true, allowNestedMaybe: false };
const GLIB_SIGNATURE: ScanRules = { dictAnywhere: true, allowMaybe: false, allowNestedMaybe: true };

class TypeSyntaxError extends Error {
  readonly at: number;
  constructor(message: string, at: number) {
    super(message);
    this.at = at;
  }
}

/** Recursive-descent scanner over one complete type starting at `i`; returns the type and the next index. */
function scan(s: string, i: number, depth: number, rules: ScanRules, build: boolean, inArray: boolean): [GVariantType, number] {
  if (depth > MAX_DEPTH) throw new TypeSyntaxError(`type nested deeper than ${MAX_DEPTH} containers`, i);
  const c = s[i];
  if (c === undefined) throw new TypeSyntaxError('type string ends in the middle of a type', i);
  if (isBasicCode(c)) return [basicTypes.get(c) as GVariantType, i + 1];
  switch (c) {
    case 'v':
      return [VARIANT_TYPE, i + 1];
    case 'a':
    case 'm': {
      if (c === 'm' && !rules.allowMaybe) throw new TypeSyntaxError("'m' (maybe) is not allowed here", i);
      if (c === 'm' && s[i + 1] === 'm' && !rules.allowNestedMaybe) throw new TypeSyntaxError("nested maybe 'mm' is not supported (null cannot tell Nothing from Just Nothing)", i + 1);
      const [element, next] = scan(s, i + 1, depth + 1, rules, build, c === 'a');
      if (!build) return [element, next];
      const sig = s.slice(i, next);
      const t: GVariantType = Object.freeze({ kind: c === 'a' ? ('array' as const) : ('maybe' as const), element, sig, align: element.align, fixedSize: null });
      depths.set(t, typeDepth(element) + 1);
      return [t, next];
    }
    case '(': {
      const members: GVariantType[] = [];
      let j = i + 1;
      while (s[j] !== ')') {
        if (s[j] === undefined) throw new TypeSyntaxError("missing ')'", j);
        const [m, next] = scan(s, j, depth + 1, rules, build, false);
        members.push(m);
        j = next;
      }
      if (!build) return [VARIANT_TYPE, j + 1];
      Object.freeze(members);
      const t: GVariantType = Object.freeze({ kind: 'tuple' as const, members, sig: s.slice(i, j + 1), ...tupleLayout(members) });
      let deepest = 0; // a loop, not Math.max(...): a hostile type string may have 10^6 members
      for (const m of members) deepest = Math.max(deepest, typeDepth(m));
      depths.set(t, 1 + deepest);
      return [t, j + 1];
    }
    case '{': {
      if (!inArray && !rules.dictAnywhere) throw new TypeSyntaxError("a dict entry '{…}' is only allowed as an array element ('a{…}')", i);
      const k = s[i + 1];
      if (!isBasicCode(k)) throw new TypeSyntaxError('a dict-entry key must be a basic type (one of bynqiuhxtdsog)', i + 1);
      const key = basicTypes.get(k) as GVariantType;
      if (s[i + 2] === '}') throw new TypeSyntaxError('a dict entry needs a key and a value type', i + 2);
      const [value, next] = scan(s, i + 2, depth + 1, rules, build, false);
      if (s[next] !== '}') throw new TypeSyntaxError("expected '}' after the dict-entry key and value", next);
      if (!build) return [VARIANT_TYPE, next + 1];
      const t: GVariantType = Object.freeze({ kind: 'dict-entry' as const, key, value, sig: s.slice(i, next + 1), ...tupleLayout([key, value]) });
      depths.set(t, 1 + Math.max(typeDepth(key), typeDepth(value)));
      return [t, next + 1];
    }
    default:
      throw new TypeSyntaxError(`unexpected character ${JSON.stringify(c)} in type string`, i);
  }
}

const cache = new Map<string, GVariantType>();
/** Bounds the cache: variant type strings come from untrusted bytes. */
const CACHE_LIMIT = 4096;

/** Parses a complete type or returns why it is not one (no exception, for the decoder's hot path). */
export function tryParseType(sig: string): GVariantType | string {
  const hit = cache.get(sig);
  if (hit !== undefined) return hit;
  let t: GVariantType;
  try {
    const [parsed, next] = scan(sig, 0, 0, OURS, true, false);
    if (next !== sig.length) return `type string ${JSON.stringify(sig)} is not a single complete type (extra characters at index ${next})`;
    t = parsed;
  } catch (err) {
    if (err instanceof TypeSyntaxError) return `bad type string ${JSON.stringify(sig)} at index ${err.at}: ${err.message}`;
    throw err;
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sig, t);
  return t;
}

/** Parses one complete type string ("(a{sv}aya(say)sstayay)"); cached; FormatError('gvariant', ...) on a bad signature. */
export function parseType(sig: string): GVariantType {
  const t = tryParseType(sig);
  if (typeof t === 'string') throw new FormatError('gvariant', t);
  return t;
}

/** GLib's rule for `g` values: zero or more complete types, no maybes, dict entries anywhere. */
export function isSignature(s: string): boolean {
  try {
    for (let i = 0; i < s.length; ) i = scan(s, i, 0, GLIB_SIGNATURE, false, false)[1];
    return true;
  } catch (err) {
    if (err instanceof TypeSyntaxError) return false;
    throw err;
  }
}

const OBJECT_PATH = /^\/$|^(?:\/[A-Za-z0-9_]+)+$/;
/** D-Bus object path rule used by GLib for `o` values: "/" or "/seg/seg", segments [A-Za-z0-9_]+. */
export function isObjectPath(s: string): boolean {
  return OBJECT_PATH.test(s);
}

/** True if v is a Variant (not an array, not bytes). */
export function isVariant(v: unknown): v is Variant {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && typeof (v as { type?: unknown }).type === 'string' && 'value' in v;
}

/** Makes a Variant, checking the type string parses. */
export function variant(type: string, value: GVariantValue): Variant {
  parseType(type);
  return Object.freeze({ type, value });
}

/** A Variant without re-checking the type (the decoder has just parsed it). */
export function makeVariant(type: string, value: GVariantValue): Variant {
  return Object.freeze({ type, value });
}
