/*
 * Pull-based byte source for the xz decoder. It holds one source chunk at a time (so memory
 * does not depend on how the caller chunks its input) and counts the absolute offset that every
 * FormatError reports. Errors thrown by the source itself pass through untouched.
 */

import { FormatError } from '../../core/index.js';

/** Reads bytes from an async chunk source, tracking the offset; truncation is a FormatError. */
export class InputReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private base = 0; // offset of chunk[0] in the whole input
  private ended = false;
  /** The file name put into errors, if any. */
  readonly file: string | undefined;

  constructor(source: AsyncIterable<Uint8Array>, file: string | undefined) {
    this.it = source[Symbol.asyncIterator]();
    this.file = file;
  }

  /** Offset of the next unread byte in the compressed input. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** A FormatError ('xz') at `offset` (default: the current offset) naming the file. */
  error(message: string, offset = this.offset): FormatError {
    return new FormatError('xz', message, { offset, ...(this.file === undefined ? {} : { file: this.file }) });
  }

  /** Pulls source chunks until one has unread bytes; false at the end of the input. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done === true) {
        this.ended = true;
        return false;
      }
      this.base += this.chunk.length;
      this.chunk = r.value;
      this.pos = 0;
    }
    return true;
  }

  /** The next byte without consuming it, or -1 at the end of the input. */
  async peek(): Promise<number> {
    if (this.pos < this.chunk.length || (await this.fill())) return this.chunk[this.pos] ?? -1;
    return -1;
  }

  /** Consumes one byte; the end of the input here is a truncation error mentioning `what`. */
  async byte(what: string): Promise<number> {
    if (this.pos >= this.chunk.length && !(await this.fill())) throw this.truncated(what);
    return this.chunk[this.pos++] ?? 0;
  }

  /** Copies exactly n bytes into dst[off…]; the end of the input first is a truncation error. */
  async readExact(dst: Uint8Array, off: number, n: number, what: string): Promise<void> {
    let done = 0;
    while (done < n) {
      if (this.pos >= this.chunk.length && !(await this.fill())) throw this.truncated(what);
      const take = Math.min(n - done, this.chunk.length - this.pos);
      dst.set(this.chunk.subarray(this.pos, this.pos + take), off + done);
      this.pos += take;
      done += take;
    }
  }

  /** Consumes zero bytes up to the next non-zero byte or the end; returns how many. */
  async skipZeros(): Promise<number> {
    let n = 0;
    while (this.pos < this.chunk.length || (await this.fill())) {
      const c = this.chunk;
      let p = this.pos;
      while (p < c.length && c[p] === 0) p++;
      n += p - this.pos;
      this.pos = p;
      if (p < c.length) break;
    }
    return n;
  }

  /** Stops the source early (consumer gone or an error): lets it release what it holds. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.it.return?.();
  }

  private truncated(what: string): FormatError {
    return this.error(`truncated input: the data ends inside ${what}`);
  }
}
