import { Readable, type Duplex } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import unbzip2Stream from 'unbzip2-stream';
import { XzReadableStream } from 'xz-decompress';
import { FormatError, JigtreeError, type FormatName } from '../core/errors.js';

/** Compression of an RPM payload or a .deb member. */
export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none';

/*
 * Decoder choice (measured on the minbase data.tar.xz members, bench/codecs.mjs; see README
 * "Performance"): node:zlib for gzip; xz-decompress (xz-embedded in WASM, streaming) for xz —
 * the napi lzma binding is no faster and only decodes whole buffers; fzstd (pure JS, streaming)
 * for zstd, since the faster WASM/napi zstd decoders only decode whole buffers or need a build
 * step; unbzip2-stream (pure JS, streaming) for bzip2, which only old packages use.
 */

/** Recognises a compressed stream by its magic bytes (RFC 1952, xz-file-format, RFC 8878, bzip2). */
export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'none';
}

/**
 * Decompresses a chunk stream. Decoder failures become a FormatError of the codec naming `file`;
 * errors thrown by the source itself pass through unchanged.
 */
export function decompress(kind: Compression, source: AsyncIterable<Uint8Array>, file?: string): AsyncIterable<Uint8Array> {
  switch (kind) {
    case 'none':
      return source;
    case 'gzip':
      return throughNodeStream('gzip', source, createGunzip(), file);
    case 'bzip2':
      return throughNodeStream('bzip2', source, unbzip2Stream(), file);
    case 'xz':
      return xzDecompress(source, file);
    case 'zstd':
      return zstdDecompress(source, file);
  }
}

function codecError(format: FormatName, err: unknown, file: string | undefined): unknown {
  if (err instanceof JigtreeError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new FormatError(format, `corrupt compressed data (${msg})`, { ...(file === undefined ? {} : { file }), cause: err });
}

async function* throughNodeStream(format: FormatName, source: AsyncIterable<Uint8Array>, decoder: Duplex, file: string | undefined): AsyncGenerator<Uint8Array> {
  let sourceError: unknown;
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (err) => {
    sourceError = err;
    decoder.destroy(err);
  });
  input.pipe(decoder);
  try {
    for await (const chunk of decoder) yield chunk as Uint8Array;
  } catch (err) {
    throw sourceError ?? codecError(format, err, file);
  } finally {
    input.destroy();
    decoder.destroy();
  }
}

async function* xzDecompress(source: AsyncIterable<Uint8Array>, file: string | undefined): AsyncGenerator<Uint8Array> {
  let sourceError: unknown;
  const it = source[Symbol.asyncIterator]();
  const compressed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await it.next();
        if (r.done === true) controller.close();
        else controller.enqueue(r.value);
      } catch (err) {
        sourceError = err;
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
  const reader = new XzReadableStream(compressed).getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } catch (err) {
    throw sourceError ?? codecError('xz', err, file);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function* zstdDecompress(source: AsyncIterable<Uint8Array>, file: string | undefined): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  const decoder = new ZstdDecompress((data) => {
    // fzstd may reuse its window buffer between callbacks: copy out.
    out.push(data.slice());
  });
  let sawInput = false;
  for await (const chunk of source) {
    sawInput = true;
    try {
      decoder.push(chunk);
    } catch (err) {
      throw codecError('zstd', err, file);
    }
    if (out.length > 0) {
      const ready = out;
      out = [];
      yield* ready;
    }
  }
  try {
    decoder.push(new Uint8Array(0), true);
  } catch (err) {
    throw codecError('zstd', err, file);
  }
  if (!sawInput) throw new FormatError('zstd', 'empty input: expected a zstd frame', { ...(file === undefined ? {} : { file }) });
  yield* out;
}
