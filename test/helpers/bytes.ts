/** Yields `data` in chunks of `size` bytes (views, resolved one by one as a file stream would). */
export async function* chunked(data: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) {
    await Promise.resolve();
    yield data.subarray(i, i + size);
  }
}

/** Concatenates a chunk stream. */
export async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

/** Yields the given parts one by one, each on a later microtask, as a stream would. */
export async function* streamOf<T extends Uint8Array | string>(parts: readonly T[]): AsyncGenerator<T> {
  for (const p of parts) {
    await Promise.resolve();
    yield p;
  }
}

/** The UTF-8 bytes of `s` cut into `size`-byte pieces (multi-byte characters may be split: on purpose). */
export function splitUtf8(s: string, size: number): Uint8Array[] {
  const b = new TextEncoder().encode(s);
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}
