// Throwaway OpenPGP keys (real gpg, in a private GNUPGHOME) and small apt / rpm-md repositories
// made from real data, signed or tampered, for the metadata loader's tests (depsolve.md §4).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BUILD_DIR, SHARED_TOOLS } from './paths.js';

const run = promisify(execFile);

/** The real bookworm index (make-apt-index output) and the keyring its InRelease is signed with. */
export const APT_INDEX = path.join(BUILD_DIR, 'apt-index');
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
export const BOOKWORM_PACKAGES = path.join(APT_INDEX, 'dists/bookworm/main/binary-amd64/Packages');

/** make-rpm-repo's output (built here when missing; the script is idempotent). */
export const RPM_REPO = path.join(BUILD_DIR, 'rpm-repo', 'repo');

/** Fails clearly when the bookworm index is missing (it is made by ../shared/tools/make-apt-index). */
export function requireAptIndex(): void {
  if (!existsSync(path.join(APT_INDEX, 'dists/bookworm/InRelease')) || !existsSync(BOOKWORM_PACKAGES)) {
    throw new Error(`the bookworm index is missing in ${APT_INDEX}: run ${path.join(SHARED_TOOLS, 'make-apt-index')} ${APT_INDEX} (after apt-get update)`);
  }
}

/** Builds make-rpm-repo's repository unless it is there. */
export async function ensureRpmRepo(): Promise<string> {
  if (!existsSync(path.join(RPM_REPO, 'repodata', 'repomd.xml'))) {
    await run(path.join(SHARED_TOOLS, 'make-rpm-repo'), ['--no-verify', path.dirname(RPM_REPO)], { maxBuffer: 64 * 1024 * 1024 });
  }
  return RPM_REPO;
}

/** A key pair in its own GNUPGHOME; the public half exported binary (`.gpg`) and armored (`.asc`). */
export type TestKey = {
  home: string;
  fingerprint: string;
  publicBinary: string;
  publicArmored: string;
  /** `gpg --clearsign` (an InRelease from a Release). */
  clearsign(input: string, output: string): Promise<void>;
  /** `gpg --detach-sign --armor` (Release.gpg, repomd.xml.asc). */
  detachSign(input: string, output: string): Promise<void>;
  /** Stops the gpg-agent and removes the home. */
  dispose(): Promise<void>;
};

/** Generates an ed25519 signing key with gpg in a fresh GNUPGHOME under `dir`. */
export async function makeGpgKey(dir: string, name = 'jigtree test'): Promise<TestKey> {
  await mkdir(dir, { recursive: true });
  // gpg-agent's socket path must stay short: the home lives in os.tmpdir().
  const home = await mkdtemp(path.join(os.tmpdir(), 'jt-gpg-'));
  const env = { ...process.env, GNUPGHOME: home };
  const gpg = (args: string[]): Promise<{ stdout: string }> => run('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env, maxBuffer: 16 * 1024 * 1024 });
  await gpg(['--quick-gen-key', `${name} <test@example.org>`, 'ed25519', 'sign', 'never']);
  const listing = (await gpg(['--with-colons', '--list-keys'])).stdout;
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1];
  if (fingerprint === undefined) throw new Error(`gpg made no key: ${listing}`);
  const slug = name.replace(/\W+/g, '-');
  const publicBinary = path.join(dir, `${slug}.gpg`);
  const publicArmored = path.join(dir, `${slug}.asc`);
  await gpg(['--yes', '--output', publicBinary, '--export', fingerprint]);
  await gpg(['--yes', '--armor', '--output', publicArmored, '--export', fingerprint]);
  return {
    home,
    fingerprint,
    publicBinary,
    publicArmored,
    clearsign: async (input, output) => {
      await gpg(['--yes', '--local-user', fingerprint, '--digest-algo', 'SHA256', '--output', output, '--clearsign', input]);
    },
    detachSign: async (input, output) => {
      await gpg(['--yes', '--local-user', fingerprint, '--armor', '--output', output, '--detach-sign', input]);
    },
    dispose: async () => {
      await run('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The first `n` paragraphs of the real bookworm Packages, each ending with a newline. */
export async function bookwormSample(n: number): Promise<string[]> {
  requireAptIndex();
  const text = await readFile(BOOKWORM_PACKAGES, 'utf8');
  return text.split(/\n\n/).slice(0, n).map((p) => `${p.trim()}\n`);
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** How writeAptRepo lays out and signs the repository. */
export type AptRepoSpec = {
  suite?: string;
  /** Packages paragraphs by `component/arch` (e.g. `main/amd64`, `main/all`). */
  indexes: Record<string, string[]>;
  /** Variants written for each index ('' plain, '.gz', '.xz'). */
  variants?: ('' | '.gz' | '.xz')[];
  /** Variants listed in Release but not written (as Debian lists a plain Packages it does not publish). */
  listedOnly?: ('' | '.gz' | '.xz')[];
  /** Acquire-By-Hash: yes, and the files stored only under by-hash/SHA256/<hex>. */
  byHash?: boolean;
  /** Extra Release fields (`Valid-Until`, `No-Support-for-Architecture-all`...). */
  fields?: Record<string, string>;
  /** How the Release is signed: clearsigned InRelease, detached Release.gpg, or not at all. */
  sign?: { key: TestKey; mode: 'inrelease' | 'detached' } | 'none';
};

/** Writes a small apt repository under `root` (the archive root); returns `dists/<suite>`. */
export async function writeAptRepo(root: string, spec: AptRepoSpec): Promise<string> {
  const suite = spec.suite ?? 'testing';
  const dists = path.join(root, 'dists', suite);
  const variants = spec.variants ?? ['', '.xz'];
  const lines: string[] = [];
  const components = new Set<string>();
  const archs = new Set<string>();
  for (const [key, paras] of Object.entries(spec.indexes)) {
    const [component = '', arch = ''] = key.split('/');
    components.add(component);
    archs.add(arch);
    const rel = `${component}/binary-${arch}/Packages`;
    const plain = Buffer.from(paras.join('\n'));
    const bodies: Record<string, Buffer> = { '': plain, '.gz': gzipSync(plain) };
    if (variants.includes('.xz') || spec.listedOnly?.includes('.xz') === true) {
      const tmp = path.join(root, `.xz-${component}-${arch}`);
      await writeFile(tmp, plain);
      await run('xz', ['-k', '-f', tmp]);
      bodies['.xz'] = await readFile(`${tmp}.xz`);
      await rm(tmp);
      await rm(`${tmp}.xz`);
    }
    const dir = path.join(dists, component, `binary-${arch}`);
    await mkdir(dir, { recursive: true });
    for (const v of [...variants, ...(spec.listedOnly ?? [])]) {
      const body = bodies[v];
      if (body === undefined) throw new Error(`no body for variant ${v}`);
      lines.push(` ${sha256(body)} ${String(body.length).padStart(9)} ${rel}${v}`);
      if (!variants.includes(v)) continue;
      if (spec.byHash === true) {
        await mkdir(path.join(dir, 'by-hash', 'SHA256'), { recursive: true });
        await writeFile(path.join(dir, 'by-hash', 'SHA256', sha256(body)), body);
      } else {
        await writeFile(path.join(dir, `Packages${v}`), body);
      }
    }
  }
  const fields: Record<string, string> = {
    Origin: 'jigtree-test',
    Suite: suite,
    Codename: suite,
    Date: 'Sat, 11 Jul 2026 10:16:37 UTC',
    ...(spec.byHash === true ? { 'Acquire-By-Hash': 'yes' } : {}),
    Architectures: [...archs].sort().join(' '),
    Components: [...components].sort().join(' '),
    ...spec.fields,
  };
  const release = `${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n')}\nSHA256:\n${lines.join('\n')}\n`;
  await mkdir(dists, { recursive: true });
  const releaseFile = path.join(dists, 'Release');
  await writeFile(releaseFile, release);
  const sign = spec.sign ?? 'none';
  if (sign !== 'none') {
    if (sign.mode === 'inrelease') {
      await sign.key.clearsign(releaseFile, path.join(dists, 'InRelease'));
      await rm(releaseFile);
    } else {
      await sign.key.detachSign(releaseFile, path.join(dists, 'Release.gpg'));
    }
  }
  return dists;
}
