import { InternalError } from './errors.js';

/** Exhaustiveness check for discriminated unions (convention 12). */
export function assertNever(value: never): never {
  throw new InternalError(`unexpected value ${JSON.stringify(value)}`);
}
