// OpenPGP checks of repository metadata over bytes already in memory (depsolve.md §4.8): apt's
// clearsigned InRelease and detached Release.gpg, rpm-md's detached repomd.xml.asc, against the
// keys the repo config names. Pure: openpgp.js is plain JS. It is imported on first use only,
// because loading it costs tens of milliseconds and a warm run (signature verified before,
// load.ts keeps a marker) needs none of it.
import type { Key } from 'openpgp';
import { FormatError, SignatureError } from '../core/index.js';

type OpenPgp = typeof import('openpgp');
let loaded: Promise<OpenPgp> | undefined;
const openpgp = (): Promise<OpenPgp> => (loaded ??= import('openpgp'));

/** Public keys read from one key file (a Debian binary keyring, or one or more armored blocks). */
export type Keyring = { readonly file: string; readonly keys: readonly Key[] };

const ARMOR_BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const ARMOR_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Reads the keys of a key file: armored (`.asc`, possibly several blocks one after another) or
 * binary (`.gpg` keyrings as Debian ships them: keys back to back, §4.8). A file that holds no
 * key, or that openpgp.js cannot read, is a FormatError('openpgp') naming the file.
 */
export async function readKeyring(bytes: Uint8Array, file: string): Promise<Keyring> {
  const pgp = await openpgp();
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 4096));
  const keys: Key[] = [];
  try {
    if (head.trimStart().startsWith('-----BEGIN')) {
      const text = new TextDecoder().decode(bytes);
      const blocks = text.match(ARMOR_BLOCK) ?? [];
      if (blocks.length === 0) throw new Error(`no ${ARMOR_BEGIN} block`);
      for (const armoredKeys of blocks) keys.push(...(await pgp.readKeys({ armoredKeys })));
    } else {
      keys.push(...(await pgp.readKeys({ binaryKeys: bytes })));
    }
  } catch (err) {
    throw new FormatError('openpgp', `cannot read the OpenPGP public keys (${messageOf(err)})`, { file, cause: err });
  }
  if (keys.length === 0) throw new FormatError('openpgp', 'holds no OpenPGP public key', { file });
  return { file, keys };
}

type Verification = { keyID: { toHex(): string }; verified: Promise<true> };

/**
 * apt's rule (methods/gpgv): the data is good when at least one signature is valid and made by
 * a key of the configured keyring. Signatures by other keys are ignored (bookworm's InRelease
 * carries three; a keyring may hold only one of their keys); when none is good, the message says
 * why for each.
 */
async function judge(what: string, keyring: Keyring, results: readonly Verification[]): Promise<string> {
  if (results.length === 0) throw new SignatureError(what, 'no OpenPGP signature found');
  const why: string[] = [];
  for (const r of results) {
    const id = r.keyID.toHex().toUpperCase();
    const known = keyring.keys.some((k) => k.getKeys(r.keyID as Parameters<Key['getKeys']>[0]).length > 0);
    try {
      await r.verified;
      if (known) return id;
      why.push(`key ${id} is not in ${keyring.file}`);
    } catch (err) {
      why.push(known ? `bad signature by key ${id} (${messageOf(err)})` : `signed by key ${id}, which is not in ${keyring.file}`);
    }
  }
  throw new SignatureError(what, `no valid signature by a key in ${keyring.file}: ${why.join('; ')}`, { data: { keyring: keyring.file } });
}

/**
 * Verifies an OpenPGP cleartext-signed message (RFC 4880 §7; apt's InRelease) made at or before
 * `now` (seconds). Returns the signed text exactly as openpgp.js hashed it, so the caller can
 * check that what it parses is what was signed. `what` names the file in errors.
 */
export async function verifyCleartext(text: string, keyring: Keyring, opts: { what: string; now: number }): Promise<{ signedText: string; signer: string }> {
  const pgp = await openpgp();
  let message;
  try {
    message = await pgp.readCleartextMessage({ cleartextMessage: text });
  } catch (err) {
    throw new SignatureError(opts.what, `not an OpenPGP cleartext-signed message (${messageOf(err)})`);
  }
  const result = await pgp.verify({ message, verificationKeys: [...keyring.keys], date: new Date(opts.now * 1000) });
  const signer = await judge(opts.what, keyring, result.signatures);
  return { signedText: result.data, signer };
}

/**
 * Verifies a detached signature (armored or binary) over the exact bytes of `data` (apt's
 * Release + Release.gpg, rpm-md's repomd.xml + repomd.xml.asc; §4.8). A text-mode signature
 * (`gpg --textmode`) is checked over the text with its line endings canonicalized, as gpg does.
 */
export async function verifyDetached(data: Uint8Array, signature: Uint8Array, keyring: Keyring, opts: { what: string; signatureFile: string; now: number }): Promise<{ signer: string }> {
  const pgp = await openpgp();
  let sig;
  try {
    const head = new TextDecoder('latin1').decode(signature.subarray(0, 64));
    sig = head.trimStart().startsWith('-----BEGIN') ? await pgp.readSignature({ armoredSignature: new TextDecoder().decode(signature) }) : await pgp.readSignature({ binarySignature: signature });
  } catch (err) {
    throw new SignatureError(opts.what, `${opts.signatureFile} is not an OpenPGP signature (${messageOf(err)})`);
  }
  const textMode = sig.packets.some((p) => p.signatureType === pgp.enums.signature.text);
  const message = textMode ? await pgp.createMessage({ text: new TextDecoder().decode(data) }) : await pgp.createMessage({ binary: data });
  const result = await pgp.verify({ message, signature: sig, verificationKeys: [...keyring.keys], date: new Date(opts.now * 1000) });
  return { signer: await judge(opts.what, keyring, result.signatures) };
}
