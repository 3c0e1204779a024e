/*
 * Oracle: every .deb of the bookworm minbase mirror, read by readDeb, against dpkg-deb + Python
 * tarfile (every entry's metadata and sha256, every control field, control.tar files, ar
 * members, relationship fields) and against GNU tar's verbose listing. Never skipped: a missing
 * python3, dpkg-deb or tar fails the test.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { minbaseDebs } from '../helpers/deb-mirror.js';
import { expectMatchesOracle, gnuTarListing, oracle, readOurs, type OracleDeb } from '../helpers/deb-oracle.js';

const debs = minbaseDebs();
let theirs: Promise<Record<string, OracleDeb>>;

beforeAll(() => {
  // One Python process for all 97 packages, running on the other core while we read.
  theirs = oracle(debs);
  theirs.catch(() => undefined); // reported by the first test that awaits it
});

async function oracleFor(deb: string): Promise<OracleDeb> {
  const o = (await theirs)[deb];
  if (o === undefined) throw new Error(`oracle has no result for ${deb}`);
  return o;
}

describe('minbase mirror', () => {
  it('has the 97 packages of bookworm minbase', () => {
    expect(debs).toHaveLength(97);
    expect(debs.map((d) => path.basename(d).split('_')[0])).toContain('libc6');
  });
});

describe.each(debs.map((d) => [path.basename(d), d]))('%s', (_name, deb) => {
  it('matches dpkg-deb, Python tarfile and GNU tar', async () => {
    // verifyMd5sums also checks every file against the package's md5sums while it streams.
    const [ours, o, gnu] = await Promise.all([readOurs(deb, { verifyMd5sums: true }), oracleFor(deb), gnuTarListing(deb)]);
    const { pkg } = ours;
    expectMatchesOracle(ours, o, gnu);
    expect(pkg.deb.dataMember.compression).toBe('xz');
  });
});
