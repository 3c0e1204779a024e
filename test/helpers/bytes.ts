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
