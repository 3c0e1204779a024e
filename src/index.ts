// jigtree library API: the public types, functions and error classes.
export {
  JigtreeError, UsageError, FormatError, IntegrityError, NotFoundError, InternalError,
  type ErrorCode, type ErrorData, type FormatName,
} from './core/index.js';
export * from './pkg/index.js';
