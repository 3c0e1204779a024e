// A streaming .xz decoder written in TypeScript: the container, LZMA2 and LZMA, every check type
// dpkg-deb and rpm write (see decode-xz.ts and lzma-decoder.ts). codecs.ts is its one user.

/** Decodes .xz streams from a chunk source; see decode-xz.ts. */
export { decodeXz } from './decode-xz.js';
/** The largest LZMA2 dictionary decodeXz accepts (1.5 GiB). */
export { MAX_DICT_SIZE } from './decode-block.js';
