/**
 * RPM signature checks of downloaded packages when the repo has `gpgcheck` on (issue 5 step 3):
 * the header signature against the repo's `gpgkey`, as `rpmkeys --checksig` does. The payload is
 * covered by the header's PAYLOADDIGEST, which the unpacker verifies while it streams.
 */
import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FetchError, fsError } from '../../core/index.js';
import { readKeyring, verifyRpmSignature, type Keyring } from '../../repos/index.js';
import { openPackage } from '../../unpack/index.js';

const keyrings = new Map<string, Promise<Keyring>>();

/** Reads a `gpgkey` (a path, file:// or http(s):// URL) once per process. */
export function loadRepoKey(ref: string): Promise<Keyring> {
  let k = keyrings.get(ref);
  if (k === undefined) {
    k = (async () => {
      if (/^https?:\/\//.test(ref)) {
        const res = await fetch(ref);
        if (!res.ok) throw new FetchError(ref, `HTTP ${res.status} reading gpgkey`, { status: res.status });
        return readKeyring(new Uint8Array(await res.arrayBuffer()), ref);
      }
      const file = ref.startsWith('file://') ? fileURLToPath(ref) : ref;
      try {
        return await readKeyring(await readFile(file), file);
      } catch (err) {
        throw fsError(file, err);
      }
    })();
    keyrings.set(ref, k);
  }
  return k;
}

/** Verifies the header signature of the RPM at `file`; `name` labels errors. */
export async function verifyRpmFile(file: string, name: string, keys: Keyring, now: number): Promise<string> {
  const pkg = await openPackage(file);
  try {
    if (pkg.kind !== 'rpm') throw new FetchError(name, 'expected an RPM package from an rpm-md repo');
    const { start, end } = pkg.rpm.header.range;
    const header = new Uint8Array(end - start);
    const fh = await open(file, 'r');
    try {
      await fh.read(header, 0, header.length, start);
    } finally {
      await fh.close();
    }
    const sig = pkg.rpm.signature;
    const { keyId } = await verifyRpmSignature({ file: name, header, signature: { rsa: sig.rsa, dsa: sig.dsa, openpgp: sig.openpgp }, keys, now });
    return keyId;
  } finally {
    await pkg.close();
  }
}
