import { FormatError, type FormatName } from './errors.js';

/**
 * Pull-based reader over a stream of chunks, for the binary container parsers (ar, tar, cpio,
 * RPM). It keeps at most one source chunk plus the bytes of one `read()` in memory, tracks the
 * absolute offset for error messages, and hands bodies out as sub-streams without copying.
 *
 * Chunks yielded by the source must not be mutated afterwards (every codec here yields fresh
 * buffers); `read()` may return a view into one.
 */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private consumed = 0; // bytes of the source before `chunk`
  private done = false;
  readonly format: FormatName;
  readonly file: string | undefined;

  constructor(source: AsyncIterable<Uint8Array>, format: FormatName, file?: string) {
    this.format = format;
    this.file = file;
    this.it = source[Symbol.asyncIterator]();
  }

  /** Bytes consumed so far: the offset of the next byte. */
  get offset(): number {
    return this.consumed + this.pos;
  }

  /** A FormatError at `offset` (default: the current one) naming this reader's file. */
  error(message: string, offset = this.offset): FormatError {
    return new FormatError(this.format, message, { offset, ...(this.file === undefined ? {} : { file: this.file }) });
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done === true) {
        this.done = true;
        return false;
      }
      this.consumed += this.chunk.length;
      this.chunk = r.value;
      this.pos = 0;
    }
    return true;
  }

  /** True when the source has no more bytes. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Exactly n bytes; a short source is a FormatError naming `what` and where it began. */
  async read(n: number, what: string): Promise<Uint8Array> {
    const start = this.offset;
    if (!(await this.fill())) {
      if (n === 0) return new Uint8Array(0);
      throw this.error(`truncated: expected ${what} (${n} bytes), found end of data`, start);
    }
    const avail = this.chunk.length - this.pos;
    if (avail >= n) {
      const out = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) {
        throw this.error(`truncated: expected ${what} (${n} bytes), found ${got} bytes then end of data`, start);
      }
      const take = Math.min(n - got, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), got);
      this.pos += take;
      got += take;
    }
    return out;
  }

  /** Up to n bytes; fewer only at the end of the source. */
  async readAtMost(n: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < n && (await this.fill())) {
      const take = Math.min(n - got, this.chunk.length - this.pos);
      parts.push(this.chunk.subarray(this.pos, this.pos + take));
      this.pos += take;
      got += take;
    }
    if (parts.length === 1) return parts[0] ?? new Uint8Array(0);
    return concatBytes(parts, got);
  }

  /** Discards exactly n bytes. */
  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.stream(n, what)) {
      // discard
    }
  }

  /** Yields exactly n bytes as views of the source chunks, then stops. */
  async *stream(n: number, what: string): AsyncGenerator<Uint8Array, void, undefined> {
    const start = this.offset;
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) {
        throw this.error(`truncated: expected ${what} (${n} bytes), found ${n - left} bytes then end of data`, start);
      }
      const take = Math.min(left, this.chunk.length - this.pos);
      const view = this.chunk.subarray(this.pos, this.pos + take);
      this.pos += take;
      left -= take;
      yield view;
    }
  }

  /** Discards everything left in the source; returns the number of bytes discarded. */
  async drain(): Promise<number> {
    let n = 0;
    while (await this.fill()) {
      n += this.chunk.length - this.pos;
      this.pos = this.chunk.length;
    }
    return n;
  }

  /** Stops the source early (releases decoders, file handles). */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }
}

/** Concatenates byte arrays (total length given when known). */
export function concatBytes(parts: readonly Uint8Array[], total = parts.reduce((a, p) => a + p.length, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
