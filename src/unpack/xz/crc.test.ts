// CRC-32 and CRC-64 as xz defines them: the standard check values, and the same result however
// the data is split or aligned (the word loops need 4-byte alignment and fall back otherwise).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { Crc64, crc64 } from './crc64.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('gives the standard check values (CRC-32/ISO-HDLC)', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('is the same for any split and alignment', () => {
    const data = randomBytes(10_000);
    const whole = crc32(data);
    for (const cut of [0, 1, 3, 7, 8, 9, 4095, 9999]) {
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(whole);
      expect(crc32(data, crc32(data, 0, 0, cut), cut)).toBe(whole);
    }
    const unaligned = new Uint8Array(data.length + 3);
    unaligned.set(data, 3);
    expect(crc32(unaligned.subarray(3))).toBe(whole);
  });
});

describe('crc64', () => {
  it('gives the standard check value (CRC-64/XZ)', () => {
    expect(crc64(ascii('123456789'))).toBe('995dc9bbdf1939fa');
    expect(crc64(new Uint8Array(0))).toBe('0000000000000000');
  });

  it('is the same for any split and alignment', () => {
    const data = randomBytes(10_000);
    const whole = crc64(data);
    for (const cut of [1, 5, 8, 13, 4096, 9999]) {
      const c = new Crc64();
      c.update(data.subarray(0, cut));
      c.update(data, cut);
      expect(Buffer.from(c.digest()).reverse().toString('hex')).toBe(whole);
    }
    const unaligned = new Uint8Array(data.length + 1);
    unaligned.set(data, 1);
    expect(crc64(unaligned.subarray(1))).toBe(whole);
  });
});
