/**
 * Objects as JSON-safe values (`jigtree show`), and the few text forms the ostree CLI prints
 * that jigtree reproduces byte for byte: the commit block of `ostree log`/`ostree show` and the
 * GVariant text of xattrs in `ostree ls -X` (ostree-format.md §2, §5.2).
 */
import { createHash } from 'node:crypto';
import { NotFoundError, assertNever } from '../core/index.js';
import { parseType, type GVariantType, type GVariantValue, type Variant } from '../gvariant/index.js';
import { checksumToBytes, type Checksum } from './checksum.js';
import { lookupMetadata, type Commit, type ContentHeader, type DirTree, type FileMeta, type ObjectType, type VariantDict, type Xattr } from './objects.js';
import { loadCommit, loadCommitMeta, loadContentObject, loadDirMeta, loadDirTree } from './read.js';
import { hasObject, type Repo } from './repo.js';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * A GVariant value as JSON, guided by its type: integers as numbers (64-bit ones as strings when
 * beyond 2^53), `ay` as hex, dictionaries with basic keys as objects, variants as {type, value},
 * maybes as null or their value, tuples as arrays.
 */
export function gvariantToJson(type: string | GVariantType, value: GVariantValue): JsonValue {
  const t = typeof type === 'string' ? parseType(type) : type;
  switch (t.kind) {
    case 'basic':
      if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
      return value as boolean | number | string;
    case 'variant': {
      const v = value as Variant;
      return { type: v.type, value: gvariantToJson(v.type, v.value) };
    }
    case 'maybe':
      return value === null ? null : gvariantToJson(t.element, value);
    case 'array': {
      if (t.element.kind === 'basic' && t.element.code === 'y') return hex(value as Uint8Array);
      const items = value as readonly GVariantValue[];
      const el = t.element;
      if (el.kind === 'dict-entry' && el.key.kind === 'basic') {
        const out: Record<string, JsonValue> = {};
        for (const item of items) {
          const [k, v] = item as readonly [GVariantValue, GVariantValue];
          // Basic keys are strings, numbers, bigints or booleans.
          const key = typeof k === 'string' ? k : typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean' ? String(k) : '';
          out[key] = gvariantToJson(el.value, v);
        }
        return out;
      }
      return items.map((item) => gvariantToJson(el, item));
    }
    case 'tuple':
      return t.members.map((m, i) => gvariantToJson(m, (value as readonly GVariantValue[])[i] ?? null));
    case 'dict-entry': {
      const [k, v] = value as readonly [GVariantValue, GVariantValue];
      return [gvariantToJson(t.key, k), gvariantToJson(t.value, v)];
    }
  }
}

/** An `a{sv}` dictionary as `{ key: { type, value } }`, in stored order. */
export function variantDictToJson(d: VariantDict): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of d) out[k] = gvariantToJson('v', v);
  return out;
}

/** Xattrs as `{ name: base64 value }` (as `jigtree pkg ls` prints them). */
export function xattrsToJson(xattrs: readonly Xattr[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of xattrs) out[x.name] = Buffer.from(x.value).toString('base64');
  return out;
}

/** `ostree show`'s ContentChecksum: SHA-256 of the root dirtree and dirmeta checksums' bytes (§2.7). */
export function commitContentChecksum(commit: Commit): Checksum {
  return createHash('sha256').update(checksumToBytes(commit.rootTree)).update(checksumToBytes(commit.rootMeta)).digest('hex') as Checksum;
}

/** Octal st_mode as ostree tools print it (`040755`, `100644`). */
export function octalMode(mode: number): string {
  return mode.toString(8).padStart(6, '0');
}

/** A commit as JSON. */
export function commitToJson(checksum: Checksum, c: Commit, detached?: VariantDict): Record<string, JsonValue> {
  return {
    type: 'commit',
    checksum,
    parent: c.parent,
    subject: c.subject,
    body: c.body,
    timestamp: c.timestamp,
    date: new Date(c.timestamp * 1000).toISOString(),
    rootTree: c.rootTree,
    rootMeta: c.rootMeta,
    contentChecksum: commitContentChecksum(c),
    metadata: variantDictToJson(c.metadata),
    ...(detached === undefined ? {} : { detachedMetadata: variantDictToJson(detached) }),
  };
}

/** A dirtree as JSON. */
export function dirTreeToJson(checksum: Checksum, t: DirTree): Record<string, JsonValue> {
  return { type: 'dirtree', checksum, files: t.files.map((f) => ({ name: f.name, checksum: f.checksum })), dirs: t.dirs.map((d) => ({ name: d.name, tree: d.tree, meta: d.meta })) };
}

/** A dirmeta as JSON. */
export function dirMetaToJson(checksum: Checksum, m: FileMeta): Record<string, JsonValue> {
  return { type: 'dirmeta', checksum, uid: m.uid, gid: m.gid, mode: octalMode(m.mode), xattrs: xattrsToJson(m.xattrs) };
}

/** A content object's header as JSON (the data is not included; `jigtree cat` prints it). */
export function contentToJson(checksum: Checksum, h: ContentHeader, size: number): Record<string, JsonValue> {
  return { type: 'file', checksum, uid: h.uid, gid: h.gid, mode: octalMode(h.mode), size, ...(h.target === '' ? {} : { target: h.target }), xattrs: xattrsToJson(h.xattrs) };
}

/** The object types stored under `checksum`, in the order show prefers them. */
export async function objectTypesOf(repo: Repo, checksum: Checksum): Promise<ObjectType[]> {
  const types: ObjectType[] = ['commit', 'dirtree', 'dirmeta', 'file', 'commitmeta'];
  const present = await Promise.all(types.map((t) => hasObject(repo, t, checksum)));
  return types.filter((_, i) => present[i] === true);
}

/**
 * Decodes the object `checksum` as JSON. Without `type`, the first type present wins (commit,
 * dirtree, dirmeta, file, commitmeta): a commit and its detached metadata share a name.
 */
export async function show(repo: Repo, checksum: Checksum, type?: ObjectType): Promise<Record<string, JsonValue>> {
  const t = type ?? (await objectTypesOf(repo, checksum))[0];
  switch (t) {
    case undefined:
      throw new NotFoundError(`object ${checksum}`);
    case 'commit':
      return commitToJson(checksum, await loadCommit(repo, checksum), await loadCommitMeta(repo, checksum));
    case 'dirtree':
      return dirTreeToJson(checksum, await loadDirTree(repo, checksum));
    case 'dirmeta':
      return dirMetaToJson(checksum, await loadDirMeta(repo, checksum));
    case 'file': {
      const obj = await loadContentObject(repo, checksum);
      return contentToJson(checksum, obj.header, obj.size);
    }
    case 'commitmeta': {
      const d = await loadCommitMeta(repo, checksum);
      if (d === undefined) throw new NotFoundError(`commitmeta object ${checksum}`);
      return { type: 'commitmeta', checksum, metadata: variantDictToJson(d) };
    }
    case 'tombstone-commit':
      throw new NotFoundError(`${t} object ${checksum} (not supported by show)`);
    default:
      return assertNever(t);
  }
}

// ---------------------------------------------------------------------------------------------
// ostree's text forms

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:MM:SS +0000`, the date format of `ostree log` (ot-dump.c). */
export function formatCommitDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** Each line indented by four spaces; a final line without newline gets one (ot-dump.c). */
function indented(text: string): string {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  return lines.map((l) => `    ${l}\n`).join('') + (last === '' ? '' : `    ${last}\n`);
}

/** The block `ostree log` and `ostree show` print for one commit, byte for byte. */
export function formatCommit(checksum: Checksum, c: Commit): string {
  let out = `commit ${checksum}\n`;
  if (c.parent !== null) out += `Parent:  ${c.parent}\n`;
  out += `ContentChecksum:  ${commitContentChecksum(c)}\n`;
  out += `Date:  ${formatCommitDate(c.timestamp)}\n`;
  const version = lookupMetadata(c.metadata, 'version');
  if (version?.type === 's') out += `Version: ${version.value as string}\n`;
  out += c.subject === '' ? '(no subject)\n' : `\n${indented(c.subject)}`;
  if (c.body !== '') out += `\n${indented(c.body)}`;
  return `${out}\n`;
}

/** GLib's g_strescape: C escapes for \b \f \n \r \t \v \\ ", octal for other bytes outside 0x20-0x7e. */
function strescape(bytes: Uint8Array): string {
  const named: Record<number, string> = { 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 92: '\\\\', 34: '\\"' };
  let s = '';
  for (const b of bytes) s += named[b] ?? (b < 0x20 || b >= 0x7f ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b));
  return s;
}

/** g_variant_print of one `ay`: a bytestring literal when it is NUL-terminated text, else bytes. */
function printBytes(b: Uint8Array, annotate: boolean): string {
  if (b.length > 0 && b.indexOf(0) === b.length - 1) {
    const body = b.subarray(0, b.length - 1);
    const escaped = strescape(body);
    return body.includes(0x27) ? `b"${escaped}"` : `b'${escaped}'`;
  }
  if (b.length === 0) return annotate ? '@ay []' : '[]';
  return `[${Array.from(b, (x, i) => `${annotate && i === 0 ? 'byte ' : ''}0x${x.toString(16).padStart(2, '0')}`).join(', ')}]`;
}

const utf8 = new TextEncoder();

/** g_variant_print(xattrs, TRUE) of an `a(ayay)`, as `ostree ls -X` shows it. */
export function printXattrs(xattrs: readonly Xattr[]): string {
  if (xattrs.length === 0) return '@a(ayay) []';
  // GLib annotates only the first element of an array; later ones are printed without types.
  return `[${xattrs.map((x, i) => `(${printBytes(utf8.encode(`${x.name}\0`), i === 0)}, ${printBytes(x.value, i === 0)})`).join(', ')}]`;
}
