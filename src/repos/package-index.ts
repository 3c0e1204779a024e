// The parsed form of one repository index (a primary.xml or a Packages file) as kept in the
// metadata cache: built once per metadata checksum, then opened in a few milliseconds on every
// later run. Records are stored serialized and decoded only when the solver touches them, so a
// warm resolve against 63,440 packages pays for the few thousand it looks at, not for all.
//
// Layout (little-endian; every table 4-byte aligned so it can be viewed as a Uint32Array):
//   header  10 u32: MAGIC, VERSION, kind (0 rpm, 1 deb), size, keyCount, slotCount,
//                   u32PoolLength, repoIdLength, keyBytesLength, recordBytesLength
//   repoId   UTF-8, padded to 4
//   offsets  u32[size + 1]      record i is records[offsets[i], offsets[i+1])
//   order    u32[size]          deb: apt's package id of the record's name (see aptOrder); rpm: i
//   slots    u32[slotCount]     open addressing (linear probing) on fnv1a(key); 0 = empty, else key + 1
//   keys     u32[keyCount * 8]  keyStart, keyLength (into keyBytes), namedStart, namedLength,
//                               providingStart, providingLength, obsoletingStart,
//                               obsoletingLength (into pool)
//   flags    u32[10]            start, length (into pool) of essential, required, important,
//                               standard, supplements
//   pool     u32[u32PoolLength] package-number lists, each ascending
//   keyBytes UTF-8 of all keys, padded to 4
//   records  the records as UTF-8 JSON, one after another, padded to 4
//   trailer  u32 MAGIC           a truncated file fails here
// Everything before the records is read at open (about a tenth of the file); a record is read
// when first asked for, so a warm run never reads the whole 60 MB of a bookworm index.
// A damaged file is detected by the bounds checks at open and on use (FormatError); the cache
// is written atomically, so damage means a disk fault or tampering, never a half-written file.
import { FormatError } from '../core/index.js';
import type { PackageRecord } from '../pkg/index.js';

/**
 * Package sets kept as lists: deb `Essential: yes` and Priority sets the bootstrap variants start
 * from (depsolve.md §3.6); rpm packages with Supplements, which the weak-deps pass must find
 * without decoding every record (§2.1).
 */
export type PackageFlag = 'essential' | 'required' | 'important' | 'standard' | 'supplements';

/** An opened package index: lazy, read-only, indexes are dense from 0 to size - 1. */
export type PackageIndex = {
  readonly repoId: string;
  readonly kind: 'rpm' | 'deb';
  /** Number of packages. */
  readonly size: number;
  /** Package `i`, decoded on first use and memoized. */
  record(i: number): PackageRecord;
  /** Packages whose name is `name`, ascending. */
  named(name: string): readonly number[];
  /** Packages with a Provides of capability `name` (rpm: also primary file paths), ascending. */
  providing(name: string): readonly number[];
  /** rpm: packages whose Obsoletes name `name`, ascending; deb: always empty. */
  obsoleting(name: string): readonly number[];
  /** The packages of one PackageFlag set, ascending. */
  flagged(flag: PackageFlag): readonly number[];
  /** Every package name, sorted by UTF-16 code units, without duplicates. */
  names(): readonly string[];
  /**
   * deb: the rank of the package's name in apt's cache creation order, the last tie-break of
   * apt's provider order (research: names get ids in the order the Packages file first mentions
   * them: the package, then its relationship targets, then its Provides); rpm: `i`.
   */
  order(i: number): number;
};

/** Collects records one at a time and serializes the index without holding the records. */
export type PackageIndexBuilder = {
  add(record: PackageRecord): void;
  finish(): Uint8Array;
};

const MAGIC = 0x4950544a; // "JTPI"
const VERSION = 3;
const HEADER_WORDS = 10;
const KEY_WORDS = 8;
const FLAGS: readonly PackageFlag[] = ['essential', 'required', 'important', 'standard', 'supplements'];
const EMPTY: readonly number[] = Object.freeze([]);

/** FNV-1a over UTF-8 bytes: cheap, and good enough for package names and paths. */
function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i] ?? 0;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const pad4 = (n: number): number => (n + 3) & ~3;

type KeyLists = { named: number[]; providing: number[]; obsoleting: number[] };

/** The capabilities a record answers to: its Provides names (rpm: and its primary paths). */
function providedNames(record: PackageRecord): string[] {
  switch (record.kind) {
    case 'rpm':
      return [...record.provides.map((p) => p.name), ...record.files];
    case 'deb':
      return record.provides.map((p) => p.name);
  }
}

/** Starts building the index of one repository's metadata file. */
export function createPackageIndexBuilder(repoId: string, kind: 'rpm' | 'deb'): PackageIndexBuilder {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [0];
  let recordBytes = 0;
  const mention = new Map<string, number>();
  const recordNames: string[] = [];
  const mentioned = (name: string): void => {
    // `n:any` and `n:ARCH` are other cache records in apt; only plain names count here.
    if (!name.includes(':') && !mention.has(name)) mention.set(name, mention.size);
  };
  const keys = new Map<string, KeyLists>();
  const flagged: Record<PackageFlag, number[]> = { essential: [], required: [], important: [], standard: [], supplements: [] };
  const listsOf = (key: string): KeyLists => {
    let lists = keys.get(key);
    if (lists === undefined) {
      lists = { named: [], providing: [], obsoleting: [] };
      keys.set(key, lists);
    }
    return lists;
  };
  let finished = false;

  return {
    add(record) {
      if (record.kind !== kind) throw new FormatError('package-index', `${repoId}: a ${record.kind} record in a ${kind} index`);
      const n = offsets.length - 1;
      const bytes = encoder.encode(JSON.stringify(record));
      chunks.push(bytes);
      recordBytes += bytes.length;
      offsets.push(recordBytes);
      listsOf(record.name).named.push(n);
      recordNames.push(record.name);
      mentioned(record.name);
      if (record.kind === 'deb') {
        for (const field of [record.preDepends, record.depends, record.conflicts, record.breaks, record.recommends, record.suggests, record.replaces, record.enhances]) {
          for (const e of field) for (const r of 'anyOf' in e ? e.anyOf : [e]) mentioned(r.name);
        }
        for (const p of record.provides) mentioned(p.name);
      }
      for (const name of providedNames(record)) {
        const lists = listsOf(name);
        // A package listing one capability twice (or a path and a Provides) is indexed once.
        if (lists.providing[lists.providing.length - 1] !== n) lists.providing.push(n);
      }
      if (record.kind === 'rpm') {
        if (record.supplements.length > 0) flagged.supplements.push(n);
        for (const o of record.obsoletes) {
          const lists = listsOf(o.name);
          if (lists.obsoleting[lists.obsoleting.length - 1] !== n) lists.obsoleting.push(n);
        }
      }
      if (record.kind === 'deb') {
        if (record.essential) flagged.essential.push(n);
        const p = record.priority;
        if (p === 'required' || p === 'important' || p === 'standard') flagged[p].push(n);
      }
    },

    finish() {
      if (finished) throw new FormatError('package-index', `${repoId}: finish() called twice`);
      finished = true;
      const size = offsets.length - 1;
      // Keys sorted so the same records always give the same bytes (determinism, convention 9).
      const keyList = [...keys.keys()].sort();
      const keyBytesParts: Uint8Array[] = [];
      const keyWords = new Uint32Array(keyList.length * KEY_WORDS);
      const pool: number[] = [];
      let keyBytesLength = 0;
      const hashes = new Uint32Array(keyList.length);
      keyList.forEach((key, k) => {
        const b = encoder.encode(key);
        hashes[k] = fnv1a(b, 0, b.length);
        keyWords[k * KEY_WORDS] = keyBytesLength;
        keyWords[k * KEY_WORDS + 1] = b.length;
        keyBytesParts.push(b);
        keyBytesLength += b.length;
        const lists = keys.get(key) ?? { named: [], providing: [], obsoleting: [] };
        keyWords[k * KEY_WORDS + 2] = pool.length;
        keyWords[k * KEY_WORDS + 3] = lists.named.length;
        for (const p of lists.named) pool.push(p);
        keyWords[k * KEY_WORDS + 4] = pool.length;
        keyWords[k * KEY_WORDS + 5] = lists.providing.length;
        for (const p of lists.providing) pool.push(p);
        keyWords[k * KEY_WORDS + 6] = pool.length;
        keyWords[k * KEY_WORDS + 7] = lists.obsoleting.length;
        for (const p of lists.obsoleting) pool.push(p);
      });
      const flagWords = new Uint32Array(FLAGS.length * 2);
      FLAGS.forEach((f, i) => {
        flagWords[i * 2] = pool.length;
        flagWords[i * 2 + 1] = flagged[f].length;
        for (const p of flagged[f]) pool.push(p);
      });
      let slotCount = 16;
      while (slotCount < keyList.length * 2) slotCount *= 2;
      const slots = new Uint32Array(slotCount);
      for (let k = 0; k < keyList.length; k++) {
        let s = (hashes[k] ?? 0) & (slotCount - 1);
        while (slots[s] !== 0) s = (s + 1) & (slotCount - 1);
        slots[s] = k + 1;
      }
      const repoIdBytes = encoder.encode(repoId);
      const total =
        HEADER_WORDS * 4 + pad4(repoIdBytes.length) + (size + 1) * 4 + size * 4 + slotCount * 4 + keyWords.length * 4 + flagWords.length * 4 +
        pool.length * 4 + pad4(keyBytesLength) + pad4(recordBytes) + 4;
      const out = new Uint8Array(total);
      const view = new DataView(out.buffer);
      let at = 0;
      const u32 = (v: number): void => {
        view.setUint32(at, v, true);
        at += 4;
      };
      const bytes = (b: Uint8Array): void => {
        out.set(b, at);
        at += b.length;
      };
      for (const v of [MAGIC, VERSION, kind === 'rpm' ? 0 : 1, size, keyList.length, slotCount, pool.length, repoIdBytes.length, keyBytesLength, recordBytes]) u32(v);
      bytes(repoIdBytes);
      at = pad4(at);
      for (const o of offsets) u32(o);
      recordNames.forEach((name, i) => {
        u32(kind === 'deb' ? (mention.get(name) ?? i) : i);
      });
      for (const s of slots) u32(s);
      for (const w of keyWords) u32(w);
      for (const w of flagWords) u32(w);
      for (const p of pool) u32(p);
      for (const b of keyBytesParts) bytes(b);
      at = pad4(at);
      for (const b of chunks) bytes(b);
      at = pad4(at);
      u32(MAGIC);
      if (at !== total) throw new FormatError('package-index', `${repoId}: layout error (${at} != ${total})`);
      return out;
    },
  };
}

/**
 * Where index bytes come from: the whole file in memory, or positioned reads of a file (the
 * metadata cache passes a file descriptor's pread, so opening costs the tables only).
 */
export type IndexSource = Uint8Array | { readonly byteLength: number; read(position: number, length: number): Uint8Array };

/** Opens serialized index bytes; throws FormatError('package-index') when they are damaged. */
export function openPackageIndex(source: IndexSource, opts: { file?: string } = {}): PackageIndex {
  const fail = (why: string, offset?: number): never => {
    throw new FormatError('package-index', why, { ...(opts.file === undefined ? {} : { file: opts.file }), ...(offset === undefined ? {} : { offset }) });
  };
  const byteLength = source.byteLength;
  const read = (position: number, length: number): Uint8Array => {
    if (position + length > byteLength) fail(`truncated: ${length} bytes at byte ${position} run past the end (${byteLength} bytes)`, position);
    const b = source instanceof Uint8Array ? source.subarray(position, position + length) : source.read(position, length);
    if (b.length !== length) fail(`short read: ${b.length} of ${length} bytes at byte ${position}`, position);
    return b;
  };
  // Typed-array views need 4-byte alignment; a Buffer from the shared pool may not have it.
  // (`new Uint8Array(b)` copies; Buffer#slice would not.)
  const aligned = (b: Uint8Array): Uint8Array => (b.byteOffset % 4 === 0 ? b : new Uint8Array(b));
  const header = new Uint32Array(new Uint8Array(read(0, HEADER_WORDS * 4)).buffer);
  const [magic = 0, version = 0, kindCode = 0, size = 0, keyCount = 0, slotCount = 0, poolLength = 0, repoIdLength = 0, keyBytesLength = 0, recordBytesLength = 0] = Array.from(header);
  if (magic !== MAGIC) fail('not a jigtree package index (bad magic)', 0);
  if (version !== VERSION) fail(`unsupported index version ${version} (expected ${VERSION})`, 4);
  if (kindCode !== 0 && kindCode !== 1) fail(`bad kind ${kindCode}`, 8);
  if (slotCount === 0 || (slotCount & (slotCount - 1)) !== 0 || slotCount < keyCount) fail(`bad slot count ${slotCount}`, 20);
  const tablesStart = HEADER_WORDS * 4 + pad4(repoIdLength);
  const tableWords = size + 1 + size + slotCount + keyCount * KEY_WORDS + FLAGS.length * 2 + poolLength;
  const keyBytesStartAbs = tablesStart + tableWords * 4;
  const recordsStartAbs = keyBytesStartAbs + pad4(keyBytesLength);
  const trailerAt = recordsStartAbs + pad4(recordBytesLength);
  if (trailerAt + 4 !== byteLength) fail(`size mismatch: the header describes ${trailerAt + 4} bytes, the file has ${byteLength}`, 0);
  const trailer = read(trailerAt, 4);
  if (new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, true) !== MAGIC) fail('bad trailer (truncated or overwritten)', trailerAt);
  const head = aligned(read(0, recordsStartAbs));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const repoId = decoder.decode(head.subarray(HEADER_WORDS * 4, HEADER_WORDS * 4 + repoIdLength));
  let at = tablesStart;
  const words = (count: number): Uint32Array => {
    const w = new Uint32Array(head.buffer, head.byteOffset + at, count);
    at += count * 4;
    return w;
  };
  const offsets = words(size + 1);
  const orders = words(size);
  const slots = words(slotCount);
  const keyWords = words(keyCount * KEY_WORDS);
  const flagWords = words(FLAGS.length * 2);
  const pool = words(poolLength);
  const bytes = head;
  const keyBytesStart = keyBytesStartAbs;
  if (offsets[size] !== recordBytesLength) fail(`record offsets end at ${offsets[size]}, the record area has ${recordBytesLength} bytes`);

  const kind = kindCode === 0 ? 'rpm' : 'deb';
  const records = new Array<PackageRecord | undefined>(size);
  const listCache = new Map<number, readonly number[]>();
  const encoder = new TextEncoder();
  let scratch = new Uint8Array(256);

  const list = (start: number, length: number, what: string): readonly number[] => {
    if (length === 0) return EMPTY;
    if (start + length > poolLength) fail(`${what}: list [${start}, +${length}) outside the pool of ${poolLength}`);
    const out = Array.from(pool.subarray(start, start + length));
    for (const n of out) if (n >= size) fail(`${what}: package number ${n} >= ${size}`);
    return out;
  };

  /** The key number of `name`, or -1. */
  const findKey = (name: string): number => {
    if (scratch.length < name.length * 3) scratch = new Uint8Array(name.length * 3);
    const { written } = encoder.encodeInto(name, scratch);
    const mask = slotCount - 1;
    let s = fnv1a(scratch, 0, written) & mask;
    for (let probes = 0; probes < slotCount; probes++) {
      const slot = slots[s] ?? 0;
      if (slot === 0) return -1;
      const k = slot - 1;
      if (k >= keyCount) fail(`hash slot ${s} names key ${k} of ${keyCount}`);
      const kStart = keyWords[k * KEY_WORDS] ?? 0;
      const kLen = keyWords[k * KEY_WORDS + 1] ?? 0;
      if (kStart + kLen > keyBytesLength) fail(`key ${k} outside the key table`);
      if (kLen === written) {
        let same = true;
        const base = keyBytesStart + kStart;
        for (let i = 0; i < written; i++) {
          if (bytes[base + i] !== scratch[i]) {
            same = false;
            break;
          }
        }
        if (same) return k;
      }
      s = (s + 1) & mask;
    }
    return -1;
  };

  const keyList = (name: string, which: 0 | 1 | 2): readonly number[] => {
    const k = findKey(name);
    if (k < 0) return EMPTY;
    const cacheKey = k * 3 + which;
    let cached = listCache.get(cacheKey);
    if (cached === undefined) {
      const w = k * KEY_WORDS + 2 + which * 2;
      cached = list(keyWords[w] ?? 0, keyWords[w + 1] ?? 0, JSON.stringify(name));
      listCache.set(cacheKey, cached);
    }
    return cached;
  };

  return {
    repoId,
    kind,
    size,
    record(i) {
      const cached = records[i];
      if (cached !== undefined) return cached;
      if (!Number.isInteger(i) || i < 0 || i >= size) fail(`package number ${i} out of range (0..${size - 1})`);
      const start = offsets[i] ?? 0;
      const end = offsets[i + 1] ?? 0;
      if (start > end || end > recordBytesLength) fail(`record ${i}: bad offsets [${start}, ${end})`);
      let record: PackageRecord;
      try {
        record = JSON.parse(decoder.decode(read(recordsStartAbs + start, end - start))) as PackageRecord;
      } catch (err) {
        if (err instanceof FormatError) throw err;
        return fail(`record ${i} is damaged: ${err instanceof Error ? err.message : String(err)}`, recordsStartAbs + start);
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the bytes may be damaged
      if (typeof record !== 'object' || record === null || (record as { kind?: unknown }).kind !== kind || typeof record.name !== 'string') fail(`record ${i} is not a ${kind} package record`, recordsStartAbs + start);
      records[i] = record;
      return record;
    },
    order: (i) => orders[i] ?? i,
    named: (name) => keyList(name, 0),
    providing: (name) => keyList(name, 1),
    obsoleting: (name) => keyList(name, 2),
    flagged(flag) {
      const f = FLAGS.indexOf(flag);
      return list(flagWords[f * 2] ?? 0, flagWords[f * 2 + 1] ?? 0, `flag ${flag}`);
    },
    names() {
      const out: string[] = [];
      for (let k = 0; k < keyCount; k++) {
        if ((keyWords[k * KEY_WORDS + 3] ?? 0) === 0) continue;
        const s = keyBytesStart + (keyWords[k * KEY_WORDS] ?? 0);
        out.push(decoder.decode(bytes.subarray(s, s + (keyWords[k * KEY_WORDS + 1] ?? 0))));
      }
      return out.sort();
    },
  };
}
