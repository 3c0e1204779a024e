import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUILD_DIR, SHARED_TOOLS } from './paths.js';

const run = promisify(execFile);

/** The minbase mirror (bookworm/amd64, 97 .debs) that make-deb-mirror builds for the tests. */
export const MINBASE_MIRROR = path.join(BUILD_DIR, 'mirror-minbase');
/** make-deb-mirror's download cache, kept between runs so a rebuild downloads nothing. */
export const DEB_CACHE = path.join(BUILD_DIR, 'deb-cache');

const TOOL = path.join(SHARED_TOOLS, 'make-deb-mirror');
const STAMP = path.join(MINBASE_MIRROR, '.jigtree-stamp');
const APT_LISTS = '/var/lib/apt/lists';

/**
 * What the mirror depends on: the tool itself and the host's apt lists it resolves against.
 * When neither changed and the mirror is complete, the ~10 s rerun of the tool is skipped.
 */
function inputsDigest(): string {
  const h = createHash('sha256');
  h.update(readFileSync(TOOL));
  h.update('\0minbase\0');
  for (const name of readdirSync(APT_LISTS).sort()) {
    const st = statSync(path.join(APT_LISTS, name));
    if (st.isFile()) h.update(`${name}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

function mirrorComplete(): boolean {
  const list = path.join(MINBASE_MIRROR, 'packages.list');
  if (!existsSync(list) || !existsSync(path.join(MINBASE_MIRROR, 'dists/bookworm/Release'))) return false;
  const wanted = readFileSync(list, 'utf8').split('\n').filter((l) => l !== '').length;
  return wanted > 0 && listDebs().length === wanted;
}

/**
 * Builds `fixtures/build/mirror-minbase` with the shared make-deb-mirror tool (idempotent: a
 * rerun downloads nothing, and is skipped when its inputs did not change).
 */
export async function buildMinbaseMirror(): Promise<void> {
  const digest = inputsDigest();
  if (mirrorComplete() && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digest) return;
  try {
    await run(TOOL, ['--cache', DEB_CACHE, MINBASE_MIRROR, 'minbase'], { maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`make-deb-mirror failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
  }
  if (!mirrorComplete()) throw new Error(`make-deb-mirror left an incomplete mirror in ${MINBASE_MIRROR}`);
  writeFileSync(STAMP, digest);
}

function listDebs(dir = path.join(MINBASE_MIRROR, 'pool')): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listDebs(p));
    else if (e.name.endsWith('.deb')) out.push(p);
  }
  return out;
}

/** Every .deb of the minbase mirror, sorted by path; throws when the mirror was not built. */
export function minbaseDebs(): string[] {
  const debs = listDebs().sort();
  if (debs.length === 0) throw new Error(`no .debs in ${MINBASE_MIRROR}: buildMinbaseMirror() did not run`);
  return debs;
}
