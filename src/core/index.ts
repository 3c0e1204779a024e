// Cross-cutting pieces every module may use: errors, byte reading, assertions.
export * from './errors.js';
export { ByteReader, concatBytes } from './byte-reader.js';
export { assertNever } from './assert.js';
export { readXattrs, readXattr, writeXattr, xattrsAvailable } from './xattrs.js';
export { createLimit, type Limit } from './limit.js';
export { NET_ERRORS } from './net-errors.js';
