// fast-check generators of GVariant type strings and values (ostree-format.md §1), shared by the
// codec's property tests and the GLib oracle test so that both explore the same space; the few
// ways they differ are options.
import fc from 'fast-check';
import { isVariant, parseType, variant, type BasicCode, type GVariantType, type GVariantValue } from '../../src/gvariant/index.js';

/** Every basic type code of the §1.1 type table. */
export const BASIC_CODES: readonly BasicCode[] = ['b', 'y', 'n', 'q', 'i', 'u', 'h', 'x', 't', 'd', 's', 'o', 'g'];

/** How gvariantTypeArb builds its trees. */
export interface GVariantTypeOptions {
  /** How deep containers nest (fast-check's oneof maxDepth). */
  readonly maxDepth: number;
  /** Whole type strings to draw as leaves too: ones random trees rarely reach on their own. */
  readonly extra?: readonly string[];
}

/** Random complete type strings, depth-limited: arrays, maybes (never `mm`), dict entries in arrays, tuples incl. `()`. */
export function gvariantTypeArb(opts: GVariantTypeOptions): fc.Arbitrary<string> {
  const depthIdentifier = fc.createDepthIdentifier();
  const leaves = [fc.constantFrom<string>(...BASIC_CODES, 'v')];
  if (opts.extra !== undefined && opts.extra.length > 0) leaves.push(fc.constantFrom(...opts.extra));
  return fc.letrec<{ type: string }>((tie) => ({
    type: fc.oneof(
      { maxDepth: opts.maxDepth, depthIdentifier },
      ...leaves,
      tie('type').map((t) => `a${t}`),
      // GVariant has maybe-of-maybe, but we refuse it (type.ts says why): stay at one level
      tie('type').map((t) => (t.startsWith('m') ? t : `m${t}`)),
      fc.tuple(fc.constantFrom(...BASIC_CODES), tie('type')).map(([k, v]) => `a{${k}${v}}`),
      fc.array(tie('type'), { maxLength: 4, depthIdentifier }).map((ms) => `(${ms.join('')})`),
    ),
  })).type;
}

/** How gvariantValueArb draws values. Arbitraries are cached per options object and signature: reuse one object. */
export interface GVariantValueOptions {
  /** Type strings for the contents of `v` values and the parts of `g` values; default gvariantTypeArb({ maxDepth: 3 }). */
  readonly variantTypes?: fc.Arbitrary<string>;
  /** How many variants may nest inside each other before their contents are basic types only; default 2. */
  readonly maxVariantNesting?: number;
  /** Also draw `ay` as a fixed 32-byte value, the size of an OSTree checksum (§2.4, §2.7), half the time. */
  readonly checksumSizedBytes?: boolean;
}

const noNul = (s: string): string => s.replace(/\0/g, '');
const stringArb = fc
  .oneof(
    { arbitrary: fc.string({ unit: 'binary', maxLength: 10 }), weight: 5 },
    { arbitrary: fc.constantFrom('', 'main', 'ostree.ref-binding', 'é', '😀', '\uFEFF', '\uFEFFbom'), weight: 2 },
    // long enough to push containers past 255 bytes (2-byte framing offsets, §1.3)
    { arbitrary: fc.string({ minLength: 100, maxLength: 300 }), weight: 1 },
  )
  .map(noNul);
const objectPathArb = fc.array(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), { maxLength: 3 }).map((s) => `/${s.join('/')}`);
const CHECKSUM_SIZED = new Uint8Array(32).fill(0xab);

const DEFAULT_OPTIONS: GVariantValueOptions = {};
const defaultVariantTypes = gvariantTypeArb({ maxDepth: 3 });
const caches = new WeakMap<GVariantValueOptions, Map<string, fc.Arbitrary<GVariantValue>>>();

/** A random value of type t (variants nest at most `maxVariantNesting` levels before turning basic). */
export function gvariantValueArb(type: GVariantType, opts: GVariantValueOptions = DEFAULT_OPTIONS): fc.Arbitrary<GVariantValue> {
  return cachedValueArb(type, opts, 0);
}

function cachedValueArb(t: GVariantType, opts: GVariantValueOptions, nesting: number): fc.Arbitrary<GVariantValue> {
  let cache = caches.get(opts);
  if (cache === undefined) {
    cache = new Map();
    caches.set(opts, cache);
  }
  const key = `${String(nesting)}:${t.sig}`;
  let a = cache.get(key);
  if (a === undefined) {
    a = makeValueArb(t, opts, nesting);
    cache.set(key, a);
  }
  return a;
}

function makeValueArb(t: GVariantType, opts: GVariantValueOptions, nesting: number): fc.Arbitrary<GVariantValue> {
  const types = opts.variantTypes ?? defaultVariantTypes;
  switch (t.kind) {
    case 'basic':
      switch (t.code) {
        case 'b': return fc.boolean();
        case 'y': return fc.integer({ min: 0, max: 0xff });
        case 'n': return fc.integer({ min: -0x8000, max: 0x7fff });
        case 'q': return fc.integer({ min: 0, max: 0xffff });
        case 'i':
        case 'h': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
        case 'u': return fc.integer({ min: 0, max: 0xffffffff });
        case 'x': return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
        case 't': return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
        case 'd': return fc.double();
        case 's': return stringArb;
        case 'o': return objectPathArb;
        // D-Bus signatures have no maybe types
        case 'g': return fc.array(types.filter((s) => !s.includes('m')), { maxLength: 3 }).map((ts) => ts.join(''));
      }
      break;
    case 'variant': {
      const inner = nesting >= (opts.maxVariantNesting ?? 2) ? fc.constantFrom<string>(...BASIC_CODES) : types;
      return inner.chain((sig) => cachedValueArb(parseType(sig), opts, nesting + 1).map((v) => variant(sig, v)));
    }
    case 'array':
      if (t.element.sig === 'y') {
        const bytes = fc.uint8Array({ maxLength: 40 });
        return opts.checksumSizedBytes === true ? fc.oneof(bytes, fc.constant(CHECKSUM_SIZED)) : bytes;
      }
      return fc.array(cachedValueArb(t.element, opts, nesting), { maxLength: 5 });
    case 'maybe':
      return fc.option(cachedValueArb(t.element, opts, nesting), { nil: null, freq: 3 });
    case 'tuple':
      return fc.tuple(...t.members.map((m) => cachedValueArb(m, opts, nesting))).map((v): GVariantValue => v);
    case 'dict-entry':
      return fc.tuple(cachedValueArb(t.key, opts, nesting), cachedValueArb(t.value, opts, nesting)).map((v): GVariantValue => v);
  }
  throw new Error('unreachable');
}

/** v with every Uint8Array replaced by its hex string: vitest compares typed arrays element by element, slowly. */
export function hexed(v: GVariantValue): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return (v as readonly GVariantValue[]).map(hexed);
  if (isVariant(v)) return { type: v.type, value: hexed(v.value) };
  return v;
}
