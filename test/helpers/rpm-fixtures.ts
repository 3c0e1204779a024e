import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUILD_DIR, ROOT } from './paths.js';

const run = promisify(execFile);

/** The committed script that builds the RPM fixtures. */
export const RPM_FIXTURE_SCRIPT = path.join(ROOT, 'fixtures', 'rpm', 'make-fixture-rpms.sh');
const STAMP = '.stamp';

/** Where the built RPM fixtures live (git-ignored). */
export function rpmFixtureDir(): string {
  return path.join(BUILD_DIR, 'rpm');
}

/** Absolute paths of the built fixture RPMs, sorted; fails if they were not built. */
export function rpmFixtureFiles(): string[] {
  const dir = rpmFixtureDir();
  if (!existsSync(path.join(dir, STAMP))) throw new Error(`RPM fixtures are not built in ${dir}: run buildRpmFixtures() (vitest global setup does)`);
  return readdirSync(dir).filter((f) => f.endsWith('.rpm')).sort().map((f) => path.join(dir, f));
}

/** The fixture built with the given payload compressor (`gzip` is the plain `jt-demo`). */
export function rpmFixture(compressor: 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none'): string {
  const name = compressor === 'gzip' ? 'jt-demo' : `jt-demo-${compressor}`;
  return path.join(rpmFixtureDir(), `${name}-1.2-3.noarch.rpm`);
}

/**
 * Builds the fixture RPMs into `rpmFixtureDir()` with the committed script, unless the stamp
 * there records the same script and rpmbuild version. Builds into a temporary directory and
 * renames it into place, so a half-built set is never mistaken for a good one.
 */
export async function buildRpmFixtures(): Promise<void> {
  const dir = rpmFixtureDir();
  const script = await readFile(RPM_FIXTURE_SCRIPT);
  let rpmVersion: string;
  try {
    rpmVersion = (await run('rpmbuild', ['--version'])).stdout.trim();
  } catch (err) {
    throw new Error('rpmbuild is required to build the RPM fixtures (Debian: apt-get install rpm)', { cause: err });
  }
  const stamp = `${createHash('sha256').update(script).digest('hex')} ${rpmVersion}\n`;
  const stampFile = path.join(dir, STAMP);
  if (existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) return;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await run('bash', [RPM_FIXTURE_SCRIPT, tmp], { maxBuffer: 16 * 1024 * 1024 });
  await writeFile(path.join(tmp, STAMP), stamp);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  await rename(tmp, dir);
}

// ---------------------------------------------------------------------------------------------
// Synthetic RPMs for unit tests: a minimal writer of the format the reader parses (lead,
// headers with regions, newc or stripped cpio). rpm itself only writes the stripped format for
// files of 4 GiB or more, so tests construct it here.
