// How codecs.ts wraps the built-in xz decoder: decompress() promises a FormatError for bad
// compressed data whatever the decoder, so a failed xz check arrives as one (offset and cause
// kept), while an error of the source itself, even an IntegrityError, passes through as is.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FormatError, IntegrityError } from '../../core/index.js';
import { chunked, collect } from '../../../test/helpers/bytes.js';
import { rejectionOf } from '../../../test/helpers/errors.js';
import { decompress } from '../codecs.js';

const data = Buffer.from('payload bytes for the codec test\n'.repeat(2000));
const stream = execFileSync('xz', ['-c', '--check=sha256'], { input: data });

describe("decompress('xz', …, { decoders: 'builtin' })", () => {
  it('decodes rpm-style SHA-256-checked streams', async () => {
    expect((await collect(decompress('xz', chunked(stream, 1000), { decoders: 'builtin' }))).equals(data)).toBe(true);
  });

  it('turns a check mismatch into a FormatError at the check, naming the file', async () => {
    const bad = Buffer.from(stream);
    const checkAt = bad.length - 12 - 12 - 32; // footer, index (one record), SHA-256
    bad[checkAt] = (bad[checkAt] ?? 0) ^ 1;
    const err = await rejectionOf(collect(decompress('xz', chunked(bad, 4096), { decoders: 'builtin', file: 'p.rpm: payload' })), FormatError);
    expect(err.message).toMatch(/^p\.rpm: payload: xz at byte \d+: corrupt compressed data \(block 1 SHA-256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}\)$/);
    expect(err.offset).toBe(checkAt);
    expect(err.cause).toBeInstanceOf(IntegrityError);
  });

  it("passes the source's own errors through unchanged, IntegrityError included", async () => {
    const digestFailure = new IntegrityError('download sha256', 'aa', 'bb');
    async function* source(): AsyncGenerator<Uint8Array> {
      yield* chunked(stream.subarray(0, 500));
      throw digestFailure;
    }
    await expect(collect(decompress('xz', source(), { decoders: 'builtin' }))).rejects.toBe(digestFailure);
  });
});
