/*
 * The integrity check that follows each block (xz-file-format §2.1.1.2 Check ID, §3.4 Check).
 * The stream flags name one of 16 IDs; the spec fixes each ID's field size even for IDs it
 * does not define, so a decoder can skip them. We refuse them instead: an unverified payload is
 * not what a package tool should hand on, and xz/rpm/dpkg only ever write the four below.
 */

import { createHash, type Hash } from 'node:crypto';
import { crc32 } from './crc32.js';
import { Crc64 } from './crc64.js';

/** Check IDs this decoder verifies (xz-file-format §2.1.1.2). */
export const CHECK_NONE = 0x00;
/** CRC32 check ID. */
export const CHECK_CRC32 = 0x01;
/** CRC64 check ID (xz's default; dpkg-deb writes it). */
export const CHECK_CRC64 = 0x04;
/** SHA-256 check ID (rpm writes it for its xz payloads). */
export const CHECK_SHA256 = 0x0a;

// Field size by check ID, §3.4: 0 | 4 ×3 | 8 ×3 | 16 ×3 | 32 ×3 | 64 ×3 bytes.
const SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

/** The check field's size in bytes for a check ID 0..15. */
export function checkSize(id: number): number {
  return SIZES[id] ?? 0;
}

/** Whether this decoder can verify the check ID. */
export function isSupportedCheck(id: number): boolean {
  return id === CHECK_NONE || id === CHECK_CRC32 || id === CHECK_CRC64 || id === CHECK_SHA256;
}

/** A human name of a check ID, for messages. */
export function checkName(id: number): string {
  switch (id) {
    case CHECK_NONE:
      return 'None';
    case CHECK_CRC32:
      return 'CRC32';
    case CHECK_CRC64:
      return 'CRC64';
    case CHECK_SHA256:
      return 'SHA-256';
    default:
      return `check ID 0x${id.toString(16).padStart(2, '0')}`;
  }
}

/** Computes one block's check over its uncompressed data, in pieces; one instance per stream. */
export class BlockCheck {
  /** The stream's check ID (one of the supported ones). */
  readonly id: number;
  private crc = 0;
  private readonly crc64 = new Crc64();
  private sha: Hash | undefined;

  constructor(id: number) {
    this.id = id;
    this.reset();
  }

  /** Starts a new block. */
  reset(): void {
    this.crc = 0;
    this.crc64.reset();
    this.sha = this.id === CHECK_SHA256 ? createHash('sha256') : undefined;
  }

  /** Adds uncompressed bytes. */
  update(data: Uint8Array): void {
    if (this.id === CHECK_CRC64) this.crc64.update(data);
    else if (this.id === CHECK_CRC32) this.crc = crc32(data, this.crc);
    else if (this.sha !== undefined) this.sha.update(data);
  }

  /** The check field as stored after the block: CRCs little-endian, SHA-256 as is (§3.4). */
  digest(): Uint8Array {
    if (this.id === CHECK_CRC64) return this.crc64.digest();
    if (this.id === CHECK_CRC32) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, this.crc, true);
      return out;
    }
    if (this.sha !== undefined) return new Uint8Array(this.sha.digest());
    return new Uint8Array(0);
  }
}
