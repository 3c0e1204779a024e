// GVariant normal-form serialization (ostree-format.md §1); pure, knows nothing about ostree.
export { parseType, variant, isVariant } from './type.js';
export type { GVariantType, GVariantValue, Variant, BasicCode } from './type.js';
export { encodeGVariant } from './encode.js';
export { decodeGVariant, isNormalForm } from './decode.js';
