import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '../core/index.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { readKeyring, type Keyring } from './verify-openpgp.js';
import { verifyRpmSignature } from './verify-rpm-signature.js';

// Keys and signatures made by openpgp.js itself, for the paths rpm 4.18 cannot produce (rpm 6's
// base64 OPENPGP tag) and the malformed cases; test/oracle/rpm-signature.test.ts checks real
// rpmsign output against rpmkeys.
const NOW = 4102444800;
const header = new TextEncoder().encode('\x8e\xad\xe8\x01 pretend main header bytes');

async function key(name: string): Promise<{ ring: Keyring; priv: openpgp.PrivateKey }> {
  const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [{ name }], type: 'ecc', curve: 'ed25519Legacy', format: 'armored', date: new Date(1_700_000_000_000) });
  return { ring: await readKeyring(new TextEncoder().encode(publicKey), `${name}.asc`), priv: await openpgp.readPrivateKey({ armoredKey: privateKey }) };
}

async function sign(priv: openpgp.PrivateKey, data: Uint8Array): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: data });
  const sig: unknown = await openpgp.sign({ message, signingKeys: priv, detached: true, format: 'binary', date: new Date(1_700_000_100_000) });
  if (!(sig instanceof Uint8Array)) throw new Error('openpgp.sign gave no bytes');
  return sig;
}

const b64 = (b: Uint8Array): string => btoa(String.fromCharCode(...b));

describe('verifyRpmSignature', () => {
  it('accepts rpm 6 OPENPGP signatures when one is by a known key, ignoring unknown signers', async () => {
    const [a, b] = [await key('a'), await key('b')];
    const sigs = [b64(await sign(b.priv, header)), b64(await sign(a.priv, header))];
    const { keyId } = await verifyRpmSignature({ file: 'x.rpm', header, signature: { openpgp: sigs }, keys: a.ring, now: NOW });
    expect(keyId).toBe(a.priv.getKeyID().toHex().toUpperCase());
  });

  it('names the file and the reason for unsigned, garbage, foreign, bad and future signatures', async () => {
    const a = await key('a');
    const good = await sign(a.priv, header);
    const call = (signature: Parameters<typeof verifyRpmSignature>[0]['signature'], now = NOW, data = header): Promise<SignatureError> =>
      rejectionOf(verifyRpmSignature({ file: 'p.rpm', header: data, signature, keys: [a.ring], now }), SignatureError);
    expect((await call({})).message).toBe('p.rpm: package is not signed (no RSAHEADER, DSAHEADER or OPENPGP header signature)');
    expect((await call({ openpgp: ['not base64!'] })).message).toBe('p.rpm: OPENPGP[0] is not base64');
    expect((await call({ rsa: new Uint8Array([1, 2, 3]) })).message).toMatch(/^p\.rpm: RSAHEADER is not an OpenPGP signature/);
    expect((await call({ dsa: good }, NOW, new TextEncoder().encode('other bytes'))).message).toMatch(/^p\.rpm: bad DSAHEADER signature by key [0-9A-F]{16} /);
    expect((await call({ dsa: good }, 1_600_000_000)).message).toMatch(/bad DSAHEADER signature/);
    const other = await key('c');
    expect((await call({ rsa: await sign(other.priv, header) })).message).toMatch(/^p\.rpm: signed by key [0-9A-F]{16}, which is not in a\.asc$/);
  });
});
