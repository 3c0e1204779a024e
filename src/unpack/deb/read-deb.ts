import { createHash } from 'node:crypto';
import { FormatError, IntegrityError, InternalError, concatBytes } from '../../core/index.js';
import { foldDeb822Value, multilineDeb822Value, parseDeb822, parseDebRelations, parseDebianVersion, type Deb822Paragraph } from '../../pkg/index.js';
import { decompress, type Compression, type DecoderPreference, type DecompressOptions } from '../codecs.js';
import { readTar, type ReadTarOptions } from '../tar.js';
import type { ArchiveEntry, EntryBody, PackageDepExpr, PackageInfo, PackageScript } from '../types.js';
import { readAr, type ArMember } from './ar.js';
import { MAINTAINER_SCRIPTS, parseConffiles, parseMd5sums, parseTriggers, scriptInterpreter, type DebConffile, type DebTrigger } from './control.js';

/*
 * A binary .deb (deb(5); dpkg src/deb/extract.c): an ar archive whose first member is
 * `debian-binary` ("2.x\n"), then `control.tar[.gz|.xz|.zst]`, then `data.tar[.gz|.xz|.zst|.bz2]`;
 * members whose names start with `_` may appear in between and are skipped, as dpkg does.
 * `readDeb` reads up to the start of data.tar (control.tar is small and read whole, under a cap);
 * `entries()` then streams data.tar without buffering it.
 *
 * md5sums are not verified by default. dpkg does not check them on unpack either (only
 * `dpkg --verify` and debsums do, later); the .deb as a whole is verified against the SHA-256 of
 * the repository index / lockfile before it gets here, which covers every byte md5sums would,
 * and MD5 adds no authenticity. `verifyMd5sums: true` checks each regular file's content against
 * md5sums while it streams (IntegrityError at the end of a body that does not match), for
 * inspection tools; the parsed md5sums are always exposed in `deb.md5sums`.
 */

/** Largest control.tar we accept, compressed and decompressed (dpkg's are a few KiB). */
export const MAX_CONTROL_TAR = 64 << 20;
/** control.tar members up to this size are always decoded in-process. */
const SMALL_CONTROL_TAR = 1 << 20;
/** data.tar members up to this size (compressed) are decoded in-process (see makeEntries). */
const SMALL_DATA_TAR = 256 * 1024;
/** Largest debian-binary member (it holds "2.0\n"). */
const MAX_DEBIAN_BINARY = 4096;

/** A compressed tar member of the .deb: its ar name, compression and size in the archive. */
export type DebMember = { name: string; compression: Compression; size: number };

/** One file of control.tar (top-level regular files only; directories are not listed). */
/** A member of control.tar: its bytes are kept (they are small) for the dpkg database (info/<pkg>.<member>). */
export type DebControlFile = { name: string; mode: number; size: number; bytes: Uint8Array };

/** What a .deb records beyond `PackageInfo`: its control data as parsed from control.tar. */
export type DebDetails = {
  /** Contents of `debian-binary` up to its newline, e.g. `2.0`. */
  formatVersion: string;
  /** The `control` paragraph: every field, in file order, raw values (deb822). */
  control: Deb822Paragraph;
  /** `md5sums`: absolute path → lowercase hex; empty when the package has none. */
  md5sums: ReadonlyMap<string, string>;
  /** `conffiles`, in file order; their entries carry `flags.config`. */
  conffiles: DebConffile[];
  /** Maintainer scripts present (preinst, postinst, prerm, postrm, config), in that order. */
  scripts: PackageScript[];
  /** Parsed `triggers` file; undefined when there is none. */
  triggers: DebTrigger[] | undefined;
  /** Whether control.tar has `shlibs`, `symbols`, `templates` (debconf). */
  shlibs: boolean;
  symbols: boolean;
  templates: boolean;
  /** Every regular file of control.tar, sorted by name. */
  controlFiles: DebControlFile[];
  controlMember: DebMember;
  dataMember: DebMember;
};

/** A .deb being read: metadata now, data.tar entries streamed once by `entries()`. */
export type DebPackage = {
  info: PackageInfo;
  deb: DebDetails;
  /** Streams data.tar (once); each entry's body must be consumed or drained before the next. */
  entries(): AsyncIterable<ArchiveEntry>;
  /** Releases the source without streaming the entries (a finished or abandoned `entries()` does it too). */
  close(): Promise<void>;
};

/**
 * Options for `readDeb`: `file` names the package in every error; `signal` is checked between
 * entries; `decoders` picks the decompressors (codecs.ts); `verifyMd5sums` checks file contents.
 */
export type ReadDebOptions = { file: string; signal?: AbortSignal; decoders?: DecoderPreference; verifyMd5sums?: boolean };

// Relationship fields of a binary package (deb-control(5)), keyed by lowercase name in PackageInfo.deps.
const DEP_FIELDS = ['Depends', 'Pre-Depends', 'Recommends', 'Suggests', 'Enhances', 'Breaks', 'Conflicts', 'Replaces', 'Provides', 'Built-Using'] as const;

// Member-name extensions and the codecs dpkg accepts for them (extract.c: control members take
// none/gz/xz/zst only). lzma is recognised so that the error can name it.
const CONTROL_EXT: Readonly<Record<string, Compression>> = { '': 'none', '.gz': 'gzip', '.xz': 'xz', '.zst': 'zstd' };
const DATA_EXT: Readonly<Record<string, Compression>> = { ...CONTROL_EXT, '.bz2': 'bzip2' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Opens a .deb: checks the ar layout and debian-binary, reads control.tar whole and parses it,
 * and leaves data.tar for `entries()`. Bad input is a FormatError naming `opts.file`, the member
 * and the byte offset (`bash_5.2_amd64.deb: data.tar.xz: tar at byte 1234: ...`).
 */
export async function readDeb(source: AsyncIterable<Uint8Array>, opts: ReadDebOptions): Promise<DebPackage> {
  opts.signal?.throwIfAborted();
  const file = opts.file;
  const members = readAr(source, { file });
  const debError = (message: string, offset?: number): FormatError => new FormatError('deb', message, { file, ...(offset === undefined ? {} : { offset }) });
  try {
    let next = await members.next();
    if (next.done === true) throw debError('empty archive: expected member debian-binary', next.value);
    const first = next.value;
    if (first.name !== 'debian-binary') throw debError(`first member is ${JSON.stringify(first.name)}: expected debian-binary (not a binary package?)`, first.offset);
    if (first.size > MAX_DEBIAN_BINARY) throw debError(`debian-binary is ${first.size} bytes: expected a short version line`, first.offset);
    const versionText = String.fromCharCode(...(await collect(first.body)));
    const vm = /^(\d+)\.(\d+)\n/.exec(versionText);
    if (vm?.[1] === undefined) throw debError(`debian-binary ${JSON.stringify(versionText.slice(0, 40))}: expected "2.<minor>\\n"`, first.offset);
    if (vm[1] !== '2') throw debError(`format version ${vm[1]}.${vm[2] ?? ''}: only 2.x is supported`, first.offset);
    const formatVersion = `${vm[1]}.${vm[2] ?? ''}`;

    // The container is checked before the contents: control.tar (small, capped) is read into
    // memory and decoded only once the data.tar member header has been found, so a damaged ar
    // layout is reported as such (with its offset), not as whatever the decoder makes of it.
    let control: { member: DebMember; bytes: Uint8Array } | undefined;
    let data: { member: DebMember; ar: ArMember } | undefined;
    while (data === undefined) {
      opts.signal?.throwIfAborted();
      next = await members.next();
      if (next.done === true) throw debError(control === undefined ? 'missing control.tar member' : 'missing data.tar member', next.value);
      const m = next.value;
      if (m.name.startsWith('_')) continue; // deb(5): optional members, skipped by dpkg
      if (m.name.startsWith('control.tar')) {
        if (control !== undefined) throw debError(`second control member ${JSON.stringify(m.name)}`, m.offset);
        const compression = memberCompression(m, 'control.tar', CONTROL_EXT, debError);
        if (m.size > MAX_CONTROL_TAR) throw debError(`${m.name} is ${m.size} bytes: over the ${MAX_CONTROL_TAR}-byte limit`, m.offset);
        control = { member: { name: m.name, compression, size: m.size }, bytes: await collect(m.body) };
      } else if (m.name.startsWith('data.tar')) {
        if (control === undefined) throw debError(`member ${JSON.stringify(m.name)} before control.tar`, m.offset);
        const compression = memberCompression(m, 'data.tar', DATA_EXT, debError);
        data = { member: { name: m.name, compression, size: m.size }, ar: m };
      } else {
        throw debError(`unexpected member ${JSON.stringify(m.name)}: expected ${control === undefined ? 'control.tar' : 'data.tar'}`, m.offset);
      }
    }
    if (control === undefined) throw new InternalError('control.tar missing after the member loop');

    const label = `${file}: ${control.member.name}`;
    const files = await readControlTar(control.bytes, control.member.compression, label, opts);
    const parsed = parseControl(files, label);
    const deb: DebDetails = { formatVersion, ...parsed, controlMember: control.member, dataMember: data.member };
    const info = packageInfo(deb, data.member.compression, label);
    const close = async (): Promise<void> => {
      await members.return(0);
    };
    return { info, deb, entries: makeEntries(members, data, deb, opts), close };
  } catch (err) {
    // The input error is what matters; a failure to close the source must not replace it.
    await members.return(0).catch(() => undefined);
    throw err;
  }
}

function memberCompression(m: ArMember, base: string, table: Readonly<Record<string, Compression>>, debError: (msg: string, off?: number) => FormatError): Compression {
  const ext = m.name.slice(base.length);
  const c = Object.hasOwn(table, ext) ? table[ext] : undefined;
  if (c === undefined) {
    const why = ext === '.lzma' ? 'lzma compression is not supported' : `unknown compression ${JSON.stringify(ext)}`;
    throw debError(`member ${JSON.stringify(m.name)}: ${why}`, m.offset);
  }
  if (m.size === 0) throw debError(`member ${JSON.stringify(m.name)} is empty`, m.offset);
  return c;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : concatBytes(parts);
}

function decodeOptions(label: string, opts: ReadDebOptions): DecompressOptions {
  return { file: label, ...(opts.decoders === undefined ? {} : { decoders: opts.decoders }) };
}

function tarOptions(label: string, opts: ReadDebOptions): ReadTarOptions {
  return { file: label, ...(opts.signal === undefined ? {} : { signal: opts.signal }) };
}

/** Passes chunks through, failing once more than `cap` bytes went by (a decompression bomb). */
async function* capped(source: AsyncIterable<Uint8Array>, cap: number, label: string): AsyncGenerator<Uint8Array, void, undefined> {
  let n = 0;
  for await (const c of source) {
    n += c.length;
    if (n > cap) throw new FormatError('deb', `decompresses to more than ${cap} bytes`, { file: label });
    yield c;
  }
}

/** Reads every top-level regular file of control.tar into memory (bounded by MAX_CONTROL_TAR). */
async function readControlTar(compressed: Uint8Array, compression: Compression, label: string, opts: ReadDebOptions): Promise<Map<string, { bytes: Uint8Array; mode: number }>> {
  const files = new Map<string, { bytes: Uint8Array; mode: number }>();
  // A control.tar is a few KiB: starting a decoder process for it (codecs.ts 'auto') costs more
  // than decoding it in-process (measured: ~0.4 s over the 97 minbase packages).
  const small = compressed.length <= SMALL_CONTROL_TAR;
  const decoded = decode(compression, once(compressed), label, small ? { file: label, decoders: 'builtin' } : decodeOptions(label, opts));
  for await (const e of readTar(capped(decoded, MAX_CONTROL_TAR, label), tarOptions(label, opts))) {
    if (e.body === undefined) continue;
    const bytes = await collect(e.body);
    // Only top-level files mean anything to dpkg; nested ones are read past.
    if (e.path.indexOf('/', 1) < 0) files.set(e.path.slice(1), { bytes, mode: e.mode });
  }
  return files;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  await Promise.resolve();
  yield bytes;
}

/**
 * Decompresses a member. Decoder failures surface wherever the output is read (a tar header or
 * a file body), so they are given their offset here, on the way out of the decoder.
 */
async function* decode(compression: Compression, source: AsyncIterable<Uint8Array>, label: string, options: DecompressOptions): AsyncGenerator<Uint8Array, void, undefined> {
  let consumed = 0;
  const counted = (async function* (): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of source) {
      consumed += chunk.length;
      yield chunk;
    }
  })();
  try {
    yield* decompress(compression, counted, options);
  } catch (err) {
    throw withDecoderOffset(err, label, consumed);
  }
}

const CODEC_FORMATS: ReadonlySet<string> = new Set(['gzip', 'xz', 'zstd', 'bzip2']);

/**
 * Decoders (codecs.ts) do not know where in their input they failed. Give their FormatError the
 * number of compressed bytes handed to the decoder by then: the damage is at or before it, in
 * the member the label names. Every other error passes unchanged.
 */
function withDecoderOffset(err: unknown, label: string, consumed: number): unknown {
  if (!(err instanceof FormatError) || err.offset !== undefined || !CODEC_FORMATS.has(err.format)) return err;
  const prefix = `${label}: ${err.format}: `;
  const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return new FormatError(err.format, `${message} (within the first ${consumed} compressed bytes)`, { file: label, offset: consumed, cause: err });
}

function parseControl(files: Map<string, { bytes: Uint8Array; mode: number }>, label: string): Omit<DebDetails, 'formatVersion' | 'controlMember' | 'dataMember'> {
  const text = (name: string): string | undefined => {
    const f = files.get(name);
    if (f === undefined) return undefined;
    try {
      return utf8.decode(f.bytes);
    } catch {
      throw new FormatError('deb', `./${name} is not valid UTF-8`, { file: label });
    }
  };
  const controlText = text('control');
  if (controlText === undefined) throw new FormatError('deb', 'no ./control file', { file: label });
  const paragraphs = parseDeb822(controlText, { file: `${label}: ./control` });
  const [control] = paragraphs;
  if (control === undefined || paragraphs.length !== 1) {
    throw new FormatError('deb', `./control has ${paragraphs.length} paragraphs: expected exactly one`, { file: label });
  }
  for (const required of ['Package', 'Version', 'Architecture']) {
    if ((control.get(required) ?? '') === '') throw new FormatError('deb', `./control has no ${required} field`, { file: label });
  }

  const md5Text = text('md5sums');
  const conffilesText = text('conffiles');
  const triggersText = text('triggers');
  const scripts: PackageScript[] = [];
  for (const name of MAINTAINER_SCRIPTS) {
    const f = files.get(name);
    if (f === undefined) continue;
    // Scripts are text in practice; a compiled one would be shown lossily here, never executed from it.
    const body = new TextDecoder('utf-8').decode(f.bytes);
    scripts.push({ name, interpreter: scriptInterpreter(body), body });
  }
  return {
    control,
    md5sums: md5Text === undefined ? new Map() : parseMd5sums(md5Text, `${label}: ./md5sums`),
    conffiles: conffilesText === undefined ? [] : parseConffiles(conffilesText, `${label}: ./conffiles`),
    scripts,
    triggers: triggersText === undefined ? undefined : parseTriggers(triggersText, `${label}: ./triggers`),
    shlibs: files.has('shlibs'),
    symbols: files.has('symbols'),
    templates: files.has('templates'),
    controlFiles: [...files]
      .map(([name, f]) => ({ name, mode: f.mode, size: f.bytes.length, bytes: f.bytes }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

function packageInfo(deb: DebDetails, payloadCompressor: Compression, label: string): PackageInfo {
  const c = deb.control;
  const get = (name: string): string => c.get(name) ?? '';
  const version = get('Version');
  let epoch: number;
  try {
    epoch = parseDebianVersion(version).epoch;
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError('deb', `./control Version: ${err.message}`, { file: label, cause: err });
    throw err;
  }
  const deps: Record<string, PackageDepExpr[]> = {};
  for (const name of DEP_FIELDS) {
    const value = c.get(name);
    deps[name.toLowerCase()] = value === undefined ? [] : parseDebRelations(foldDeb822Value(value), { field: name, file: `${label}: ./control` });
  }
  const [summary = '', ...rest] = multilineDeb822Value(get('Description'));
  return {
    kind: 'deb',
    name: get('Package'),
    epoch,
    version,
    release: undefined,
    arch: get('Architecture'),
    summary,
    description: rest.join('\n'),
    deps,
    payloadCompressor,
    scripts: deb.scripts,
    fields: c.toRecord(),
  };
}

function makeEntries(members: AsyncGenerator<ArMember, number, undefined>, data: { member: DebMember; ar: ArMember }, deb: DebDetails, opts: ReadDebOptions): () => AsyncIterable<ArchiveEntry> {
  let used = false;
  const conffiles = new Set(deb.conffiles.map((c) => c.path));
  const label = `${opts.file}: ${data.member.name}`;
  async function* stream(): AsyncGenerator<ArchiveEntry, void, undefined> {
    try {
      opts.signal?.throwIfAborted();
      // A small data.tar decodes faster in-process than through a new decoder process (spawning
      // one costs ~12 ms of the caller's thread when its heap is large; compose measured 1.2 s
      // of spawns over minbase's 96 packages, most of them a few KiB).
      const small = data.ar.size <= SMALL_DATA_TAR;
      const tar = decode(data.member.compression, data.ar.body, label, small ? { file: label, decoders: 'builtin' } : decodeOptions(label, opts));
      for await (const e of readTar(tar, tarOptions(label, opts))) {
        let body: EntryBody | undefined = e.body;
        if (body !== undefined && opts.verifyMd5sums === true) {
          const expected = deb.md5sums.get(e.path);
          if (expected !== undefined) body = new Md5CheckedBody(body, expected, `${label}: ${e.path}`);
        }
        yield {
          path: e.path,
          type: e.type,
          mode: e.mode,
          user: e.user,
          group: e.group,
          uid: e.uid,
          gid: e.gid,
          size: e.size,
          mtime: e.mtime,
          linkTarget: e.linkTarget,
          rdev: e.rdev,
          xattrs: e.xattrs,
          caps: undefined,
          flags: { config: conffiles.has(e.path), doc: false, ghost: false, license: false, noreplace: false, missingok: false, readme: false, artifact: false },
          digest: undefined,
          body,
        };
      }
    } finally {
      // Nothing after data.tar matters to dpkg; release the source.
      await members.return(0);
    }
  }
  return () => {
    if (used) throw new InternalError(`${opts.file}: entries() can be iterated only once`);
    used = true;
    return stream();
  };
}

/** Checks a body against its md5sums line as it streams (IntegrityError when it ends unequal). */
class Md5CheckedBody implements EntryBody {
  private readonly inner: EntryBody;
  private readonly expected: string;
  private readonly what: string;

  constructor(inner: EntryBody, expected: string, what: string) {
    this.inner = inner;
    this.expected = expected;
    this.what = what;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    const hash = createHash('md5');
    for await (const chunk of this.inner) {
      hash.update(chunk);
      yield chunk;
    }
    const actual = hash.digest('hex');
    if (actual !== this.expected) throw new IntegrityError(`${this.what}: md5sums`, this.expected, actual);
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }
}

