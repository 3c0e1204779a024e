import { createHash, type Hash } from 'node:crypto';
import { ByteReader, concatBytes } from '../../core/index.js';
import { FormatError, IntegrityError, InternalError } from '../../core/index.js';
import { decompress, detectCompression, type Compression, type DecoderPreference } from '../codecs.js';
import type { ArchiveEntry, PackageInfo } from '../types.js';
import { readFileList, type RpmFileList } from './files.js';
import { headerBodyLength, parseHeader, parseHeaderIntro, toHex, HEADER_INTRO_SIZE, type ByteRange, type HeaderKind, type RpmHeader } from './header.js';
import { LEAD_SIZE, parseLead, type RpmLead } from './lead.js';
import { readDeps, readFileTriggers, readScriptlets, readTriggers, toPackageScripts, type RpmFileTrigger, type RpmScriptlet, type RpmTrigger } from './package-info.js';
import { isInputError, readPayloadEntries } from './payload.js';
import { DIGEST_ALGOS, SIGTAG, TAG, UNSUPPORTED_DIGEST_ALGOS } from './tags.js';

/*
 * An .rpm file (rpm doc/manual/format.md): lead (96 bytes), signature header, zero padding to a
 * multiple of 8, main header, payload (a compressed cpio archive) to the end of the file.
 * `readRpm` reads everything up to the payload; `entries()` then streams the payload.
 *
 * Integrity, as rpm checks it (lib/rpmvs.c), without trusting anything but the headers' own
 * digests:
 *  - readRpm: SHA256HEADER / SHA1HEADER of the signature header must match the main header's
 *    bytes (so FILEDIGESTS and PAYLOADDIGEST are the ones the packager's rpm wrote);
 *  - entries(): PAYLOADDIGEST (PAYLOADDIGESTALGO) over the compressed payload, PAYLOADDIGESTALT
 *    over the uncompressed one, each file's FILEDIGESTS entry, SIZE/LONGSIZE (main header +
 *    payload) and PAYLOADSIZE/LONGARCHIVESIZE (uncompressed). Packages from before rpm 4.14 have
 *    no payload digest; for them the signature header's MD5 over header + payload is checked.
 * The payload checks finish when the stream does: the last `next()` of entries() throws if they
 * fail, after entries have been yielded. A consumer commits a package only when entries()
 * completed. When reading fails midway (a codec or cpio error, a bad file digest), the rest of
 * the payload is hashed first: if the payload digest does not match either, that IntegrityError
 * is thrown instead (the original error is its cause), since it is the real diagnosis.
 *
 * Signatures (RSA/DSA/OpenPGP blobs) are only reported here; checking them against keys over
 * `rpm.header.range` is a later stage's job.
 */

/** rpm's PAYLOADCOMPRESSOR names that we can decode. */
const COMPRESSORS: ReadonlyMap<string, Compression> = new Map([
  ['gzip', 'gzip'], ['bzip2', 'bzip2'], ['xz', 'xz'], ['zstd', 'zstd'],
]);
/** Compressed payload is pulled in reads of at most this many bytes. */
const PAYLOAD_READ = 64 * 1024;

/** A digest recorded in a header. */
export type RecordedDigest = { algo: string; hex: string };

/** What the signature header says. Blobs are present when the package is signed that way. */
export type RpmSignatureInfo = {
  /** Byte range of the signature header (magic included, padding excluded). */
  range: ByteRange;
  /** SIZE or LONGSIZE: bytes of main header + compressed payload. */
  size: number | undefined;
  /** PAYLOADSIZE or LONGARCHIVESIZE: bytes of the uncompressed payload. */
  payloadSize: number | undefined;
  /** SHA1HEADER / SHA256HEADER: hex digests of the main header's bytes. */
  sha1Header: string | undefined;
  sha256Header: string | undefined;
  /** MD5 (hex) over main header + compressed payload. */
  md5: string | undefined;
  /** Signature blobs: PGP/GPG over header + payload, RSA/DSA over the header, OpenPGP (rpm 6, base64 strings). */
  pgp: Uint8Array | undefined;
  gpg: Uint8Array | undefined;
  rsa: Uint8Array | undefined;
  dsa: Uint8Array | undefined;
  openpgp: string[] | undefined;
  /** Every signature tag decoded by name. */
  fields: Record<string, unknown>;
};

/** RPM-specific details beyond PackageInfo. */
export type RpmDetails = {
  lead: RpmLead;
  signature: RpmSignatureInfo;
  /** Byte range of the main header in the file (magic included): what RSA/OpenPGP header signatures cover. */
  header: { range: ByteRange };
  payload: {
    /** File offset where the compressed payload starts. */
    offset: number;
    /** PAYLOADFORMAT (`cpio`; rpm < 4.? wrote none, meaning cpio). */
    format: string;
    /** PAYLOADCOMPRESSOR as written (undefined when absent). */
    compressor: string | undefined;
    /** How we decode it; undefined when the compressor is not supported (entries() then throws). */
    compression: Compression | undefined;
    /** PAYLOADFLAGS (compression level etc.). */
    flags: string | undefined;
    /** PAYLOADDIGEST with PAYLOADDIGESTALGO (over the compressed payload). */
    digest: RecordedDigest | undefined;
    /** PAYLOADDIGESTALT (over the uncompressed payload). */
    digestAlt: RecordedDigest | undefined;
  };
  scriptlets: RpmScriptlet[];
  triggers: RpmTrigger[];
  fileTriggers: RpmFileTrigger[];
  /** Every main header tag decoded by name (the same object as PackageInfo.fields). */
  fields: Record<string, unknown>;
};

/** A package whose headers have been read; `entries()` streams the payload once. */
export type RpmPackage = { info: PackageInfo; rpm: RpmDetails; entries(): AsyncIterable<ArchiveEntry> };

/** Options of readRpm(): the package's name for errors, cancellation, and the decoder choice. */
export type ReadRpmOptions = { file: string; signal?: AbortSignal; decoders?: DecoderPreference };

type HeaderRead = { header: RpmHeader; bytes: Uint8Array[] };

async function readHeaderFrom(r: ByteReader, kind: HeaderKind, file: string): Promise<HeaderRead> {
  const start = r.offset;
  const introBytes = await r.read(HEADER_INTRO_SIZE, `the ${kind} header`);
  const intro = parseHeaderIntro(introBytes, { kind, start, file });
  // Collect the announced bytes as they arrive: a lying dl costs no allocation up front.
  const parts: Uint8Array[] = [];
  for await (const part of r.stream(headerBodyLength(intro), `the ${kind} header index and data`)) parts.push(part);
  const body = concatBytes(parts);
  return { header: parseHeader(intro, body, { kind, start, file }), bytes: [introBytes.slice(), body] };
}

function digestOfParts(algo: string, parts: readonly Uint8Array[]): string {
  const h = createHash(algo);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function recordedDigest(h: RpmHeader, digestTag: number, algoNumber: number | undefined): RecordedDigest | undefined {
  const hex = h.strings(digestTag)?.[0];
  if (hex === undefined || hex === '') return undefined;
  // rpmbuild always writes PAYLOADDIGESTALGO with PAYLOADDIGEST; SHA-256 is what it has used.
  const n = algoNumber ?? 8;
  const algo = DIGEST_ALGOS.get(n) ?? UNSUPPORTED_DIGEST_ALGOS.get(n) ?? `algorithm ${n}`;
  return { algo, hex: hex.toLowerCase() };
}

/**
 * Reads the lead and both headers of an .rpm from `source` (its raw bytes) and returns the
 * package; `entries()` streams the payload afterwards. `opts.file` names the package in errors.
 */
export async function readRpm(source: AsyncIterable<Uint8Array>, opts: ReadRpmOptions): Promise<RpmPackage> {
  const { file, signal, decoders } = opts;
  signal?.throwIfAborted();
  const r = new ByteReader(source, 'rpm', file);
  try {
    const lead = parseLead(await r.read(LEAD_SIZE, 'the 96-byte lead'), { file });
    const sig = await readHeaderFrom(r, 'signature', file);
    const sigh = sig.header;
    // The signature header is padded to a multiple of 8 bytes (header.c hdrblobRead).
    const sigLength = sigh.range.end - sigh.range.start;
    await r.skip((8 - (sigLength % 8)) % 8, 'padding after the signature header');
    signal?.throwIfAborted();
    const main = await readHeaderFrom(r, 'main', file);
    const h = main.header;

    for (const [tag, algo] of [[SIGTAG.SHA256, 'sha256'], [SIGTAG.SHA1, 'sha1']] as const) {
      const expected = sigh.string(tag);
      if (expected === undefined) continue;
      const actual = digestOfParts(algo, main.bytes);
      if (actual !== expected.toLowerCase()) {
        throw new IntegrityError(`${file}: main header ${algo} (signature header ${sigh.tagName(tag)})`, expected, actual, {
          data: { file, offset: h.range.start },
        });
      }
    }

    const num = (t: RpmHeader, a: number, b: number): number | undefined => t.number(a) ?? t.number(b);
    const compressor = h.string(TAG.PAYLOADCOMPRESSOR);
    let compression = compressor === undefined ? undefined : COMPRESSORS.get(compressor);
    const payloadOffset = r.offset;
    // Without PAYLOADCOMPRESSOR rpm opens the payload as gzip, and zlib reads uncompressed data
    // through unchanged (rpm2cpio.c, rpmio gzdio): look at the magic to tell which it is.
    let head = new Uint8Array(0);
    if (compressor === undefined) {
      head = (await r.readAtMost(6)).slice();
      compression = detectCompression(head) === 'gzip' ? 'gzip' : 'none';
    }

    const fields = h.fields();
    const scriptlets = readScriptlets(h);
    const sigMd5 = sigh.bytes(SIGTAG.MD5);
    const rpm: RpmDetails = {
      lead,
      signature: {
        range: sigh.range,
        size: num(sigh, SIGTAG.LONGSIZE, SIGTAG.SIZE),
        payloadSize: num(sigh, SIGTAG.LONGARCHIVESIZE, SIGTAG.PAYLOADSIZE),
        sha1Header: sigh.string(SIGTAG.SHA1)?.toLowerCase(),
        sha256Header: sigh.string(SIGTAG.SHA256)?.toLowerCase(),
        md5: sigMd5 === undefined ? undefined : toHex(sigMd5),
        pgp: sigh.bytes(SIGTAG.PGP),
        gpg: sigh.bytes(SIGTAG.GPG),
        rsa: sigh.bytes(SIGTAG.RSA),
        dsa: sigh.bytes(SIGTAG.DSA),
        openpgp: sigh.strings(SIGTAG.OPENPGP),
        fields: sigh.fields(),
      },
      header: { range: h.range },
      payload: {
        offset: payloadOffset,
        format: h.string(TAG.PAYLOADFORMAT) ?? 'cpio',
        compressor,
        compression,
        flags: h.string(TAG.PAYLOADFLAGS),
        digest: recordedDigest(h, TAG.PAYLOADDIGEST, h.number(TAG.PAYLOADDIGESTALGO)),
        digestAlt: recordedDigest(h, TAG.PAYLOADDIGESTALT, h.number(TAG.PAYLOADDIGESTALGO)),
      },
      scriptlets,
      triggers: readTriggers(h),
      fileTriggers: readFileTriggers(h),
      fields,
    };
    const name = h.string(TAG.NAME);
    const version = h.string(TAG.VERSION);
    const release = h.string(TAG.RELEASE);
    if (name === undefined || version === undefined || release === undefined) {
      const missing = name === undefined ? 'NAME' : version === undefined ? 'VERSION' : 'RELEASE';
      throw new FormatError('rpm-header', `main header: the ${missing} tag is missing`, { offset: h.range.start, file });
    }
    const info: PackageInfo = {
      kind: 'rpm',
      name,
      epoch: h.number(TAG.EPOCH),
      version,
      release,
      arch: h.string(TAG.ARCH) ?? '',
      summary: h.string(TAG.SUMMARY) ?? '',
      description: h.string(TAG.DESCRIPTION) ?? '',
      deps: readDeps(h),
      // An unsupported compressor (lzma, or an unknown name) has no Compression value; it is
      // reported as 'none' here, rpm.payload.compressor keeps the name and entries() throws.
      payloadCompressor: compression ?? 'none',
      scripts: toPackageScripts(scriptlets),
      fields,
    };
    const files = readFileList(h, file);

    // Before rpm 4.14 there is no payload digest; the signature MD5 covers header + payload.
    let md5: Hash | undefined;
    if (rpm.payload.digest === undefined && rpm.signature.md5 !== undefined) {
      md5 = createHash('md5');
      for (const p of main.bytes) md5.update(p);
    }

    let started = false;
    return {
      info,
      rpm,
      entries(): AsyncIterable<ArchiveEntry> {
        if (started) throw new InternalError(`${file}: entries() of an RPM package may be called only once`);
        started = true;
        return streamEntries({ r, file, signal, decoders, rpm, files, head, md5, headerLength: h.range.end - h.range.start });
      },
    };
  } catch (err) {
    await r.close();
    throw err;
  }
}

/**
 * Serializes reads of the compressed payload from the file reader and hashes every byte once,
 * in order, whoever pulls it (the decompressor, or the drain after it stopped).
 */
class CompressedPayload {
  private queue: Promise<unknown> = Promise.resolve();
  private head: Uint8Array | undefined;
  private finished = false;
  private detached = false;
  /** Compressed bytes pulled so far. */
  consumed = 0;

  private readonly r: ByteReader;
  private readonly hashes: readonly Hash[];

  constructor(r: ByteReader, head: Uint8Array, hashes: readonly Hash[]) {
    this.r = r;
    this.hashes = hashes;
    this.head = head.length > 0 ? head : undefined;
  }

  /** The next chunk, or undefined at the end of the file. */
  next(): Promise<Uint8Array | undefined> {
    const p = this.queue.then(() => this.pull());
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async pull(): Promise<Uint8Array | undefined> {
    let chunk: Uint8Array | undefined = this.head;
    this.head = undefined;
    if (chunk === undefined) {
      if (this.finished) return undefined;
      chunk = await this.r.readAtMost(PAYLOAD_READ);
      if (chunk.length === 0) {
        this.finished = true;
        return undefined;
      }
    }
    for (const h of this.hashes) h.update(chunk);
    this.consumed += chunk.length;
    return chunk;
  }

  /** The stream handed to the decompressor; it stops pulling once detached. */
  async *chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      if (this.detached) return;
      const c = await this.next();
      if (c === undefined) return;
      yield c;
    }
  }

  /** Stops feeding the decompressor and pulls (hashing) whatever is left of the file. */
  async drain(): Promise<void> {
    this.detached = true;
    while ((await this.next()) !== undefined) {
      // hashed in pull()
    }
  }
}

type StreamState = {
  r: ByteReader;
  file: string;
  signal: AbortSignal | undefined;
  decoders: DecoderPreference | undefined;
  rpm: RpmDetails;
  files: RpmFileList;
  head: Uint8Array;
  md5: Hash | undefined;
  headerLength: number;
};

async function* streamEntries(s: StreamState): AsyncGenerator<ArchiveEntry, void, undefined> {
  const { r, file, signal, rpm } = s;
  const loc = { file };
  const payloadStart = rpm.payload.offset;
  const digestHash = (d: RecordedDigest | undefined, what: string): Hash | undefined => {
    if (d === undefined) return undefined;
    if (![...DIGEST_ALGOS.values()].some((a) => a === d.algo)) {
      throw new FormatError('rpm-header', `${what}: unsupported digest algorithm ${d.algo}`, { offset: rpm.header.range.start, ...loc });
    }
    return createHash(d.algo);
  };
  let cpio: ByteReader | undefined;
  let compressed: CompressedPayload | undefined;
  let payloadHash: Hash | undefined;
  // Set once the payload digest has been computed (a Hash can be finalized only once).
  let payloadActual: string | undefined;
  let uncompressedBytes = 0;
  try {
    signal?.throwIfAborted();
    if (rpm.payload.format !== 'cpio') {
      throw new FormatError('rpm-header', `payload format ${JSON.stringify(rpm.payload.format)} is not supported (expected cpio)`, { offset: rpm.header.range.start, ...loc });
    }
    const kind = rpm.payload.compression;
    if (kind === undefined) {
      throw new FormatError('rpm', `payload compressor ${JSON.stringify(rpm.payload.compressor)} is not supported (gzip, bzip2, xz and zstd are)`, { offset: payloadStart, ...loc });
    }
    const unsupported = s.files.unsupportedDigestAlgo;
    if (unsupported !== undefined) {
      throw new FormatError('rpm-header', `file digest algorithm ${unsupported.name} (FILEDIGESTALGO ${unsupported.algo}) is not supported: file contents cannot be verified`, { offset: rpm.header.range.start, ...loc });
    }
    payloadHash = digestHash(rpm.payload.digest, 'PAYLOADDIGEST');
    const altHash = digestHash(rpm.payload.digestAlt, 'PAYLOADDIGESTALT');
    compressed = new CompressedPayload(r, s.head, [payloadHash, s.md5].filter((x): x is Hash => x !== undefined));
    const source = compressed;

    // Decompressor errors carry no position: give them the compressed offset reached.
    const decoded = decompress(kind, source.chunks(), s.decoders === undefined ? {} : { decoders: s.decoders });
    const counted = async function* (): AsyncGenerator<Uint8Array, void, undefined> {
      try {
        for await (const chunk of decoded) {
          uncompressedBytes += chunk.length;
          altHash?.update(chunk);
          yield chunk;
        }
      } catch (err) {
        if (err instanceof FormatError && err.offset === undefined) {
          const why = err.cause instanceof Error ? err.cause.message : err.message;
          throw new FormatError(err.format, `corrupt ${err.format} payload (${why})`, { offset: payloadStart + source.consumed, ...loc, cause: err });
        }
        throw err;
      }
    };
    cpio = new ByteReader(counted(), 'cpio', file);
    yield* readPayloadEntries(cpio, s.files, { file, signal });

    // The payload is fully decoded. Hash what the decompressor left unread, then the checks.
    await source.drain();
    const total = s.headerLength + source.consumed;
    const declared = rpm.signature.size;
    if (declared !== undefined && total !== declared) {
      throw sizeError(declared, total, payloadStart - s.headerLength, file);
    }
    if (payloadHash !== undefined && rpm.payload.digest !== undefined) {
      payloadActual = payloadHash.digest('hex');
      if (payloadActual !== rpm.payload.digest.hex) throw payloadDigestError(rpm.payload.digest, payloadActual, file, undefined);
    }
    if (altHash !== undefined && rpm.payload.digestAlt !== undefined) {
      const actual = altHash.digest('hex');
      if (actual !== rpm.payload.digestAlt.hex) {
        throw new IntegrityError(`${file}: uncompressed payload ${rpm.payload.digestAlt.algo} digest (PAYLOADDIGESTALT)`, rpm.payload.digestAlt.hex, actual, { data: { file } });
      }
    }
    if (s.md5 !== undefined && rpm.signature.md5 !== undefined) {
      const actual = s.md5.digest('hex');
      if (actual !== rpm.signature.md5) {
        throw new IntegrityError(`${file}: header and payload md5 digest (signature header MD5)`, rpm.signature.md5, actual, { data: { file } });
      }
    }
    const payloadSize = rpm.signature.payloadSize;
    if (payloadSize !== undefined && payloadSize !== uncompressedBytes) {
      throw new IntegrityError(`${file}: uncompressed payload size (signature header ${rpm.signature.fields['longarchivesize'] === undefined ? 'PAYLOADSIZE' : 'LONGARCHIVESIZE'})`, String(payloadSize), String(uncompressedBytes), { data: { file } });
    }
  } catch (err) {
    // Before reporting a format or per-file error, find out whether the payload is simply not
    // the one the header describes: that is the better diagnosis.
    const expected = rpm.payload.digest;
    if (isInputError(err) && compressed !== undefined && payloadHash !== undefined && expected !== undefined && payloadActual === undefined) {
      const hash = payloadHash;
      const rest = compressed;
      await cpio?.close().catch(() => undefined);
      const drained = await rest.drain().then(() => true, () => false);
      if (drained) {
        const total = s.headerLength + rest.consumed;
        const declared = rpm.signature.size;
        if (declared !== undefined && total !== declared) throw sizeError(declared, total, payloadStart - s.headerLength, file);
        const actual = hash.digest('hex');
        if (actual !== expected.hex) throw payloadDigestError(expected, actual, file, err);
      }
    }
    throw err;
  } finally {
    await cpio?.close().catch(() => undefined);
    await r.close();
  }
}

function sizeError(declared: number, total: number, headerStart: number, file: string): FormatError {
  const end = headerStart + total;
  const expectedEnd = headerStart + declared;
  return total < declared
    ? new FormatError('rpm', `truncated: the signature header's SIZE says the package ends at byte ${expectedEnd}, the file ends at byte ${end}`, { offset: end, file })
    : new FormatError('rpm', `${total - declared} bytes of unexpected data after the payload (the signature header's SIZE says the package ends at byte ${expectedEnd})`, { offset: expectedEnd, file });
}

function payloadDigestError(d: RecordedDigest, actual: string, file: string, cause: unknown): IntegrityError {
  const e = new IntegrityError(`${file}: payload ${d.algo} digest (PAYLOADDIGEST)`, d.hex, actual, { data: { file } });
  // IntegrityError takes no cause option; the first symptom is kept for whoever debugs it.
  if (cause !== undefined) e.cause = cause;
  return e;
}
