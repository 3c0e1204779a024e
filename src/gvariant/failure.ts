/** Errors on their way out of the encoder and decoder, and the labels that make up their path. */
import { FormatError } from '../core/index.js';
import type { GVariantType } from './type.js';

/** An encode or decode failure on its way out; containers add their label while it unwinds. */
export class PathFailure extends Error {
  readonly labels: string[] = [];
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message);
    this.offset = offset;
  }
  /** The failure as the public error: "member 3 of (…): expected a string". */
  toFormatError(t: GVariantType, file?: string): FormatError {
    const where = this.labels.length === 0 ? `value of type ${t.sig}` : this.labels.join(' in ');
    return new FormatError('gvariant', `${where}: ${this.message}`, { ...(this.offset === undefined ? {} : { offset: this.offset }), ...(file === undefined ? {} : { file }) });
  }
}

/** The label of child `i` of container `t`, for error paths. */
export function childLabel(t: GVariantType, i: number): string {
  switch (t.kind) {
    case 'array':
      return `element ${i} of ${t.sig}`;
    case 'tuple':
      return `member ${i} of ${t.sig}`;
    case 'dict-entry':
      return `${i === 0 ? 'key' : 'value'} of ${t.sig}`;
    case 'maybe':
      return `value of ${t.sig}`;
    case 'variant':
      return 'value of variant';
    case 'basic':
      return t.sig;
  }
}
