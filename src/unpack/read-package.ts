import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { FormatError, fsError } from '../core/index.js';
import type { DecoderPreference } from './codecs.js';
import { readDeb, type DebDetails } from './deb/read-deb.js';
import { readRpm, type RpmDetails } from './rpm/read-rpm.js';
import type { ArchiveEntry, PackageInfo } from './types.js';

/** A package opened for reading: its metadata now, its entries streamed on demand (once). */
export type OpenedPackage = ({ kind: 'rpm'; rpm: RpmDetails } | { kind: 'deb'; deb: DebDetails }) & {
  file: string;
  info: PackageInfo;
  /** Every entry in package order; each body must be consumed or drained before the next. */
  entries(): AsyncIterable<ArchiveEntry>;
  /** Releases the file when the entries are not (fully) read. */
  close(): Promise<void>;
};

/** Options of openPackage(). */
export type OpenPackageOptions = { signal?: AbortSignal; decoders?: DecoderPreference };

const RPM_LEAD_MAGIC = [0xed, 0xab, 0xee, 0xdb];
const AR_MAGIC = '!<arch>\n';
const READ_CHUNK = 256 * 1024;

/**
 * Opens a .rpm or .deb file, recognised by its magic bytes (not its name), and reads its
 * metadata. Only the headers are read here; the payload streams through `entries()`.
 */
export async function openPackage(file: string, opts: OpenPackageOptions = {}): Promise<OpenedPackage> {
  const head = await readHead(file, 8);
  const name = path.basename(file);
  const stream = createReadStream(file, { highWaterMark: READ_CHUNK });
  const source = (async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) yield chunk as Uint8Array;
  })();
  const close = async (): Promise<void> => {
    await source.return(undefined);
    stream.destroy();
  };
  const common = { file: name, ...(opts.signal === undefined ? {} : { signal: opts.signal }), ...(opts.decoders === undefined ? {} : { decoders: opts.decoders }) };
  try {
    if (RPM_LEAD_MAGIC.every((b, i) => head[i] === b)) {
      const pkg = await readRpm(source, common);
      return { kind: 'rpm', file, info: pkg.info, rpm: pkg.rpm, entries: () => pkg.entries(), close };
    }
    if (Buffer.from(head).toString('latin1') === AR_MAGIC) {
      const pkg = await readDeb(source, common);
      return { kind: 'deb', file, info: pkg.info, deb: pkg.deb, entries: () => pkg.entries(), close };
    }
  } catch (err) {
    await close();
    throw err;
  }
  await close();
  throw new FormatError('rpm', 'not a package: expected an RPM lead (ed ab ee db) or a .deb ar archive ("!<arch>")', { offset: 0, file: name });
}

async function readHead(file: string, n: number): Promise<Uint8Array> {
  try {
    const fh = await open(file, 'r');
    try {
      const buf = new Uint8Array(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw fsError(file, err);
  }
}
