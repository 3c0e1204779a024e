import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, SignatureError } from '../core/index.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { APT_INDEX, DEBIAN_KEYRING, makeGpgKey, requireAptIndex, type TestKey } from '../../test/helpers/signed-repos.js';
import { parseRelease } from './apt/release.js';
import { readKeyring, verifyCleartext, verifyDetached } from './verify-openpgp.js';

const run = promisify(execFile);
const NOW = Math.floor(Date.parse('2026-11-01T00:00:00Z') / 1000);

let dir: string;
let key: TestKey;
let other: TestKey;
let inRelease: string;

beforeAll(async () => {
  requireAptIndex();
  dir = await mkdtemp(path.join(os.tmpdir(), 'jt-pgp-'));
  key = await makeGpgKey(dir, 'signer');
  other = await makeGpgKey(dir, 'stranger');
  inRelease = await readFile(path.join(APT_INDEX, 'dists/bookworm/InRelease'), 'utf8');
}, 120_000);

afterAll(async () => {
  await key.dispose();
  await other.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('readKeyring', () => {
  it("reads Debian's binary keyring, several keys back to back", async () => {
    const k = await readKeyring(await readFile(DEBIAN_KEYRING), DEBIAN_KEYRING);
    expect(k.keys.length).toBeGreaterThanOrEqual(3);
    expect(k.file).toBe(DEBIAN_KEYRING);
  });

  it('reads armored keys, also several armored blocks in one file', async () => {
    const both = `${await readFile(key.publicArmored, 'utf8')}\n${await readFile(other.publicArmored, 'utf8')}`;
    const k = await readKeyring(new TextEncoder().encode(both), 'both.asc');
    expect(k.keys.map((x) => x.getFingerprint().toUpperCase()).sort()).toEqual([key.fingerprint, other.fingerprint].sort());
  });

  it('names the file it cannot read', async () => {
    const err = await rejectionOf(readKeyring(new TextEncoder().encode('not a key at all'), '/etc/keys/bad.gpg'), FormatError);
    expect(err.message).toMatch(/^\/etc\/keys\/bad\.gpg: openpgp: cannot read the OpenPGP public keys \(/);
    const armorErr = await rejectionOf(readKeyring(new TextEncoder().encode('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\ngarbage\n'), 'k.asc'), FormatError);
    expect(armorErr.message).toMatch(/^k\.asc: openpgp: cannot read/);
  });
});

describe('verifyCleartext', () => {
  it("verifies bookworm's InRelease against Debian's keyring and returns exactly the text parseRelease reads", async () => {
    const k = await readKeyring(await readFile(DEBIAN_KEYRING), DEBIAN_KEYRING);
    const { signedText, signer } = await verifyCleartext(inRelease, k, { what: 'InRelease', now: NOW });
    expect(signedText).toBe(parseRelease(inRelease).signedText);
    expect(signer).toMatch(/^[0-9A-F]{16}$/);
  });

  it('rejects one changed byte in the signed text', async () => {
    const k = await readKeyring(await readFile(DEBIAN_KEYRING), DEBIAN_KEYRING);
    const tampered = inRelease.replace('Version: 12.15', 'Version: 12.16');
    expect(tampered).not.toBe(inRelease);
    const err = await rejectionOf(verifyCleartext(tampered, k, { what: 'dists/bookworm/InRelease', now: NOW }), SignatureError);
    expect(err.message).toMatch(/^dists\/bookworm\/InRelease: no valid signature by a key in \/usr\/share\/keyrings\/debian-archive-keyring\.gpg: bad signature by key [0-9A-F]{16} \(Signed digest did not match\)/);
  });

  it('rejects a signature by a key that is not in the keyring', async () => {
    const k = await readKeyring(await readFile(other.publicBinary), other.publicBinary);
    const err = await rejectionOf(verifyCleartext(inRelease, k, { what: 'InRelease', now: NOW }), SignatureError);
    expect(err.message).toContain(`signed by key `);
    expect(err.message).toContain(`which is not in ${other.publicBinary}`);
  });

  it('rejects a signature made after `now`', async () => {
    const k = await readKeyring(await readFile(DEBIAN_KEYRING), DEBIAN_KEYRING);
    const err = await rejectionOf(verifyCleartext(inRelease, k, { what: 'InRelease', now: NOW - 365 * 86400 }), SignatureError);
    expect(err.message).toMatch(/in the future/);
  });

  it('rejects text that is not a cleartext-signed message', async () => {
    const k = await readKeyring(await readFile(key.publicBinary), key.publicBinary);
    const err = await rejectionOf(verifyCleartext('Suite: x\n', k, { what: 'InRelease', now: NOW }), SignatureError);
    expect(err.message).toMatch(/^InRelease: not an OpenPGP cleartext-signed message/);
  });

  it('verifies a clearsigned file gpg made with a throwaway key, armored or binary key file', async () => {
    const release = path.join(dir, 'Release');
    await writeFile(release, 'Suite: testing\nCodename: testing\n- dash line\n');
    await key.clearsign(release, path.join(dir, 'InRelease'));
    const text = await readFile(path.join(dir, 'InRelease'), 'utf8');
    for (const file of [key.publicBinary, key.publicArmored]) {
      const k = await readKeyring(await readFile(file), file);
      const { signedText } = await verifyCleartext(text, k, { what: 'InRelease', now: Math.floor(Date.now() / 1000) + 60 });
      // The dash-escaped line comes back unescaped (RFC 4880 §7.1).
      expect(signedText).toBe('Suite: testing\nCodename: testing\n- dash line');
    }
  });
});

describe('verifyDetached', () => {
  const now = (): number => Math.floor(Date.now() / 1000) + 60;

  it('verifies a detached armored signature over the exact bytes, and catches tampering', async () => {
    const data = path.join(dir, 'repomd.xml');
    await writeFile(data, '<?xml version="1.0"?>\n<repomd><revision>1</revision></repomd>\n');
    await key.detachSign(data, `${data}.asc`);
    const bytes = await readFile(data);
    const sig = await readFile(`${data}.asc`);
    const k = await readKeyring(await readFile(key.publicArmored), key.publicArmored);
    await expect(verifyDetached(bytes, sig, k, { what: 'repodata/repomd.xml', signatureFile: 'repodata/repomd.xml.asc', now: now() })).resolves.toEqual({ signer: expect.stringMatching(/^[0-9A-F]{16}$/) as unknown });
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 1;
    const err = await rejectionOf(verifyDetached(tampered, sig, k, { what: 'repodata/repomd.xml', signatureFile: 'repodata/repomd.xml.asc', now: now() }), SignatureError);
    expect(err.message).toMatch(/^repodata\/repomd\.xml: no valid signature by a key in .*signer\.asc: bad signature by key [0-9A-F]{16} \(Signed digest did not match\)$/);
    const wrong = await readKeyring(await readFile(other.publicArmored), other.publicArmored);
    const err2 = await rejectionOf(verifyDetached(bytes, sig, wrong, { what: 'repodata/repomd.xml', signatureFile: 'repodata/repomd.xml.asc', now: now() }), SignatureError);
    expect(err2.message).toContain('which is not in');
  });

  it('accepts a binary signature, and a text-mode one over text bytes', async () => {
    const data = path.join(dir, 'Release.bin');
    await writeFile(data, 'Suite: x\r\nCodename: y\n');
    const env = { ...process.env, GNUPGHOME: key.home };
    await run('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--local-user', key.fingerprint, '--output', `${data}.sig`, '--detach-sign', data], { env });
    await run('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--local-user', key.fingerprint, '--textmode', '--armor', '--output', `${data}.txt.asc`, '--detach-sign', data], { env });
    const k = await readKeyring(await readFile(key.publicBinary), key.publicBinary);
    const bytes = await readFile(data);
    await verifyDetached(bytes, await readFile(`${data}.sig`), k, { what: 'Release', signatureFile: 'Release.gpg', now: now() });
    await verifyDetached(bytes, await readFile(`${data}.txt.asc`), k, { what: 'Release', signatureFile: 'Release.gpg', now: now() });
  });

  it('names a signature file that is not one', async () => {
    const k = await readKeyring(await readFile(key.publicBinary), key.publicBinary);
    const err = await rejectionOf(verifyDetached(new Uint8Array(3), new TextEncoder().encode('hello'), k, { what: 'dists/x/Release', signatureFile: 'dists/x/Release.gpg', now: now() }), SignatureError);
    expect(err.message).toMatch(/^dists\/x\/Release: dists\/x\/Release\.gpg is not an OpenPGP signature/);
  });
});
