/*
 * Oracle: verifyRpmSignature on real packages signed by `rpmsign --addsign` with throwaway gpg
 * keys (ed25519, which rpm stores in DSAHEADER, and RSA, stored in RSAHEADER), against
 * `rpmkeys --checksig` with `_pkgverify_level signature` (what gpgcheck means to dnf) run over
 * the same package and key. Never skipped: a missing rpmsign, rpmkeys or gpg fails.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureError } from '../../src/core/index.js';
import { readKeyring, type Keyring } from '../../src/repos/verify-openpgp.js';
import { verifyRpmSignature } from '../../src/repos/verify-rpm-signature.js';
import { openPackage, type RpmDetails } from '../../src/unpack/index.js';
import { rejectionOf } from '../helpers/errors.js';
import { buildRpmFixtures, rpmFixture } from '../helpers/rpm-fixtures.js';
import { makeGpgKey, type TestKey } from '../helpers/signed-repos.js';

const run = promisify(execFile);
const NOW = 4102444800; // 2100-01-01: after every signature made here

type Key = { home: string; fingerprint: string; armored: string; dispose(): Promise<void> };

let work: string;
let tamperAt: number;
const keys: Record<'ed' | 'other' | 'rsa', Key> = {} as Record<'ed' | 'other' | 'rsa', Key>;
const pkgs: Record<'ed' | 'rsa' | 'unsigned' | 'tampered', string> = {} as Record<'ed' | 'rsa' | 'unsigned' | 'tampered', string>;

const fromTestKey = (k: TestKey): Key => ({ home: k.home, fingerprint: k.fingerprint, armored: k.publicArmored, dispose: () => k.dispose() });

/** An RSA-3072 signing key (makeGpgKey makes ed25519 ones); same layout. */
async function rsaKey(dir: string): Promise<Key> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'jt-gpg-'));
  const env = { ...process.env, GNUPGHOME: home };
  const gpg = (args: string[]): Promise<{ stdout: string }> => run('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env });
  await gpg(['--quick-gen-key', 'jigtree rsa <rsa@example.org>', 'rsa3072', 'sign', 'never']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec((await gpg(['--with-colons', '--list-keys'])).stdout)?.[1] ?? '';
  const armored = path.join(dir, 'rsa.asc');
  await gpg(['--yes', '--armor', '--output', armored, '--export', fingerprint]);
  return { home, fingerprint, armored, dispose: async () => { await run('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined); await rm(home, { recursive: true, force: true }); } };
}

async function sign(rpm: string, key: Key): Promise<void> {
  await run('rpmsign', ['--addsign', '--define', '__gpg /usr/bin/gpg', '--define', `_gpg_name ${key.fingerprint}`, '--define', `_gpg_path ${key.home}`, rpm]);
}

async function keyring(...which: Key[]): Promise<Keyring[]> {
  return Promise.all(which.map(async (k) => readKeyring(new Uint8Array(await readFile(k.armored)), path.basename(k.armored))));
}

async function rpmDetails(rpm: string): Promise<RpmDetails> {
  const pkg = await openPackage(rpm);
  await pkg.close();
  if (pkg.kind !== 'rpm') throw new Error(`${rpm} is not an rpm`);
  return pkg.rpm;
}

/** verifyRpmSignature over `rpm` as compose calls it; `flip` changes one header byte first. */
async function check(rpm: string, which: Key[], flip?: number): Promise<{ keyId: string }> {
  const details = await rpmDetails(rpm);
  const bytes = new Uint8Array(await readFile(rpm));
  if (flip !== undefined) bytes[flip] = (bytes[flip] ?? 0) ^ 0x01;
  const { start, end } = details.header.range;
  const s = details.signature;
  return verifyRpmSignature({ file: path.basename(rpm), header: bytes.subarray(start, end), signature: { rsa: s.rsa, dsa: s.dsa, openpgp: s.openpgp }, keys: await keyring(...which), now: NOW });
}

/** rpmkeys --checksig in a fresh rpmdb holding `which`; true when it says the signatures are OK. */
async function rpmkeys(rpm: string, ...which: Key[]): Promise<boolean> {
  const root = await mkdtemp(path.join(work, 'rpmdb-'));
  for (const k of which) await run('rpmkeys', ['--root', root, '--import', k.armored]);
  try {
    await run('rpmkeys', ['--root', root, '--define', '_pkgverify_level signature', '--checksig', rpm]);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  await buildRpmFixtures();
  work = await mkdtemp(path.join(os.tmpdir(), 'jigtree-rpmsig-'));
  keys.ed = fromTestKey(await makeGpgKey(path.join(work, 'ed'), 'rpm signer'));
  keys.other = fromTestKey(await makeGpgKey(path.join(work, 'other'), 'someone else'));
  keys.rsa = await rsaKey(work);
  const demo = rpmFixture('gzip');
  for (const name of ['ed', 'rsa', 'unsigned'] as const) {
    pkgs[name] = path.join(work, `${name}.rpm`);
    await copyFile(demo, pkgs[name]);
  }
  await sign(pkgs.ed, keys.ed);
  await sign(pkgs.rsa, keys.rsa);
  // One byte of the main header's data store flipped. openPackage would refuse this file (its
  // SHA256HEADER no longer matches), so ours is checked over the bytes, rpmkeys over the file.
  const bytes = new Uint8Array(await readFile(pkgs.ed));
  tamperAt = (await rpmDetails(pkgs.ed)).header.range.end - 20;
  bytes[tamperAt] = (bytes[tamperAt] ?? 0) ^ 0x01;
  pkgs.tampered = path.join(work, 'tampered.rpm');
  await writeFile(pkgs.tampered, bytes);
}, 180_000);

afterAll(async () => {
  for (const k of Object.values(keys)) await k.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('verifyRpmSignature against rpmkeys --checksig', () => {
  it('accepts a package signed by the repo key (EdDSA in DSAHEADER, RSA in RSAHEADER)', async () => {
    expect((await check(pkgs.ed, [keys.ed])).keyId).toBe(keys.ed.fingerprint.slice(-16));
    expect((await check(pkgs.rsa, [keys.rsa])).keyId).toBe(keys.rsa.fingerprint.slice(-16));
    expect((await check(pkgs.ed, [keys.other, keys.ed])).keyId).toBe(keys.ed.fingerprint.slice(-16));
    expect(await rpmkeys(pkgs.ed, keys.ed)).toBe(true);
    const [ed, rsa] = [await rpmDetails(pkgs.ed), await rpmDetails(pkgs.rsa)];
    expect([ed.signature.dsa !== undefined, ed.signature.rsa !== undefined, rsa.signature.rsa !== undefined]).toEqual([true, false, true]);
    expect(await rpmkeys(pkgs.rsa, keys.rsa)).toBe(true);
  });

  it('rejects a package signed by another key, naming the file and key', async () => {
    const err = await rejectionOf(check(pkgs.ed, [keys.other]), SignatureError);
    expect(err.message).toBe(`ed.rpm: signed by key ${keys.ed.fingerprint.slice(-16)}, which is not in someone-else.asc`);
    expect(await rpmkeys(pkgs.ed, keys.other)).toBe(false);
    expect(await rpmkeys(pkgs.rsa, keys.ed)).toBe(false);
    await rejectionOf(check(pkgs.rsa, [keys.ed]), SignatureError);
  });

  it('rejects an unsigned package', async () => {
    const err = await rejectionOf(check(pkgs.unsigned, [keys.ed]), SignatureError);
    expect(err.message).toContain('unsigned.rpm: package is not signed');
    expect(await rpmkeys(pkgs.unsigned, keys.ed)).toBe(false);
  });

  it('rejects a header with one byte changed', async () => {
    const err = await rejectionOf(check(pkgs.ed, [keys.ed], tamperAt), SignatureError);
    expect(err.message).toMatch(/^ed\.rpm: bad DSAHEADER signature by key [0-9A-F]{16} /);
    expect(await rpmkeys(pkgs.tampered, keys.ed)).toBe(false);
  });
});
