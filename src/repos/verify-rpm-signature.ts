// RPM package signatures (issue 5 step 3, `gpgcheck`): the OpenPGP header signature over the
// main header's bytes, as `rpmkeys --checksig` checks it for header-only signatures (rpm >= 4.14
// signs the header only; rpm lib/rpmvs.c). The payload is covered by the header's PAYLOADDIGEST,
// which src/unpack verifies while streaming, so a good header signature vouches for every byte.
// Pure: openpgp.js over bytes in memory; keys come from verify-openpgp.ts's readKeyring.
import type { Key, Signature } from 'openpgp';
import { SignatureError } from '../core/index.js';
import type { Keyring } from './verify-openpgp.js';

// Callers build `keys` with readKeyring; exported with this module so src/repos/index.ts needs one line.
export { readKeyring, type Keyring } from './verify-openpgp.js';

type OpenPgp = typeof import('openpgp');
let loaded: Promise<OpenPgp> | undefined;
const openpgp = (): Promise<OpenPgp> => (loaded ??= import('openpgp'));

/**
 * The signature blobs of an RPM's signature header (src/unpack RpmSignatureInfo): RSAHEADER
 * (tag 268) and DSAHEADER (tag 267, which rpm also uses for EdDSA/ECDSA keys) are binary OpenPGP
 * signature packets; OPENPGP (rpm 6, tag 278) is a list of base64-encoded ones.
 */
export type RpmSignatureBlobs = { rsa?: Uint8Array | undefined; dsa?: Uint8Array | undefined; openpgp?: readonly string[] | undefined };

/** What verifyRpmSignature checks: `file` names the package in errors; `now` is seconds since the epoch. */
export type VerifyRpmSignatureOptions = {
  file: string;
  /** The main header's bytes, magic included (RpmDetails.header.range of src/unpack). */
  header: Uint8Array;
  signature: RpmSignatureBlobs;
  /** The repo's `gpgkey` files, read with readKeyring. */
  keys: Keyring | readonly Keyring[];
  /** Verification time (signatures made later, or keys expired by then, fail), as apt's check takes it. */
  now: number;
};

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** base64 (RFC 4648, no armor) to bytes; undefined when it is not base64. */
function fromBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return undefined;
  return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0));
}

/**
 * Verifies an RPM's header signature(s) against the configured keys, as rpm's rpmvs does with
 * `%_pkgverify_level signature`: every signature present must be either good or by a key we do
 * not have, and at least one must be good by one of the keys. Returns that signer's key ID (16
 * hex digits, uppercase). Throws SignatureError naming the file when the package is unsigned,
 * signed only by unknown keys, or carries a bad or unreadable signature.
 */
export async function verifyRpmSignature(opts: VerifyRpmSignatureOptions): Promise<{ keyId: string }> {
  const { file } = opts;
  const keyrings: readonly Keyring[] = Array.isArray(opts.keys) ? opts.keys : [opts.keys as Keyring];
  const keyFiles = keyrings.map((k) => k.file).join(', ');
  const blobs: { tag: string; bytes: Uint8Array | undefined }[] = [];
  if (opts.signature.rsa !== undefined) blobs.push({ tag: 'RSAHEADER', bytes: opts.signature.rsa });
  if (opts.signature.dsa !== undefined) blobs.push({ tag: 'DSAHEADER', bytes: opts.signature.dsa });
  for (const [i, b64] of (opts.signature.openpgp ?? []).entries()) blobs.push({ tag: `OPENPGP[${i}]`, bytes: fromBase64(b64) });
  if (blobs.length === 0) throw new SignatureError(file, 'package is not signed (no RSAHEADER, DSAHEADER or OPENPGP header signature)', { hint: 'sign it with rpmsign --addsign, or set gpgcheck: false for this repo' });

  const pgp = await openpgp();
  const keys: Key[] = keyrings.flatMap((k) => [...k.keys]);
  const message = await pgp.createMessage({ binary: opts.header });
  let good: string | undefined;
  const unknown: string[] = [];
  for (const blob of blobs) {
    if (blob.bytes === undefined) throw new SignatureError(file, `${blob.tag} is not base64`);
    let sig: Signature;
    try {
      sig = await pgp.readSignature({ binarySignature: blob.bytes });
    } catch (err) {
      throw new SignatureError(file, `${blob.tag} is not an OpenPGP signature (${messageOf(err)})`);
    }
    const result = await pgp.verify({ message, signature: sig, verificationKeys: [...keys], date: new Date(opts.now * 1000) });
    const [v] = result.signatures;
    if (v === undefined || result.signatures.length !== 1) throw new SignatureError(file, `${blob.tag} holds ${result.signatures.length} signatures, expected one`);
    const id = v.keyID.toHex().toUpperCase();
    const known = keys.some((k) => k.getKeys(v.keyID).length > 0);
    if (!known) {
      unknown.push(id);
      await v.verified.catch(() => undefined); // settle the promise; openpgp rejects it for a missing key
      continue;
    }
    try {
      await v.verified;
    } catch (err) {
      throw new SignatureError(file, `bad ${blob.tag} signature by key ${id} (${messageOf(err)})`, { data: { keyId: id } });
    }
    good ??= id;
  }
  if (good === undefined) throw new SignatureError(file, `signed by key ${unknown.join(', ')}, which is not in ${keyFiles}`, { data: { keyIds: unknown }, hint: 'add the signing key to the repo\'s gpgkey' });
  return { keyId: good };
}
