import { FormatError } from '../../core/index.js';

/*
 * The lead: the first 96 bytes of an .rpm (rpm doc/manual/format.md "Lead", lib/rpmlead.c).
 * Modern rpm ignores most of it (the headers are authoritative) but still checks the magic,
 * the major version and the signature type.
 *
 *   offset size field
 *   0      4    magic            ED AB EE DB
 *   4      1    major            3 (rpm 4.x and 6 write 3; rpmlead.c accepts 3 and 4)
 *   5      1    minor            0
 *   6      2    type             BE u16: 0 binary, 1 source
 *   8      2    archnum          BE u16 (legacy arch number)
 *   10     66   name             NUL-terminated NEVR, truncated (informational)
 *   76     2    osnum            BE u16 (1 = Linux)
 *   78     2    signature_type   BE u16: must be 5 (RPMSIGTYPE_HEADERSIG: a header follows)
 *   80     16   reserved
 */

/** Size of the lead in bytes. */
export const LEAD_SIZE = 96;
/** RPMSIGTYPE_HEADERSIG: the signature is a header structure (the only type rpm still reads). */
export const LEAD_SIGTYPE_HEADERSIG = 5;

/** The decoded lead. */
export type RpmLead = {
  major: number;
  minor: number;
  type: 'binary' | 'source';
  archnum: number;
  /** The truncated NEVR rpmbuild wrote; informational only. */
  name: string;
  osnum: number;
  signatureType: number;
};

/** Decodes and validates the 96-byte lead; `offset` is where it starts in `file` (normally 0). */
export function parseLead(bytes: Uint8Array, opts: { file?: string; offset?: number } = {}): RpmLead {
  const base = opts.offset ?? 0;
  const err = (msg: string, at: number): FormatError =>
    new FormatError('rpm', msg, { offset: base + at, ...(opts.file === undefined ? {} : { file: opts.file }) });
  if (bytes.length < LEAD_SIZE) throw err(`truncated: expected the ${LEAD_SIZE}-byte lead, found ${bytes.length} bytes`, bytes.length);
  if (bytes[0] !== 0xed || bytes[1] !== 0xab || bytes[2] !== 0xee || bytes[3] !== 0xdb) {
    throw err(`expected the lead magic ED AB EE DB, found ${hex(bytes.subarray(0, 4))}: not an RPM package`, 0);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, LEAD_SIZE);
  const major = view.getUint8(4);
  if (major !== 3 && major !== 4) throw err(`unsupported lead version ${major} (expected 3 or 4)`, 4);
  const rawType = view.getUint16(6);
  if (rawType !== 0 && rawType !== 1) throw err(`lead type ${rawType}: expected 0 (binary) or 1 (source)`, 6);
  const signatureType = view.getUint16(78);
  if (signatureType !== LEAD_SIGTYPE_HEADERSIG) {
    throw err(`lead signature type ${signatureType}: expected ${LEAD_SIGTYPE_HEADERSIG} (header-style signature)`, 78);
  }
  const nameBytes = bytes.subarray(10, 76);
  const nul = nameBytes.indexOf(0);
  return {
    major,
    minor: view.getUint8(5),
    type: rawType === 0 ? 'binary' : 'source',
    archnum: view.getUint16(8),
    name: new TextDecoder('utf-8').decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul)),
    osnum: view.getUint16(76),
    signatureType,
  };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ').toUpperCase();
}
