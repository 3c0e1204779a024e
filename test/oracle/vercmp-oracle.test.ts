import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDebianVersions, compareRpmVersions } from '../../src/pkg/index.js';

// 2,000 seeded random version pairs each, compared by the real rpm and dpkg (issue 2).
const SEED = 20261122;
const PAIRS = 2000;

/** A version string over an alphabet rich in the characters both orders treat specially. */
function versionArb(chars: string): fc.Arbitrary<string> {
  const segment = fc.oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[0-9]{1,4}$/) },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z]{1,3}$/) },
    { weight: 3, arbitrary: fc.constantFrom(...chars.split('')) },
  );
  return fc.array(segment, { minLength: 1, maxLength: 7 }).map((s) => s.join(''));
}

/** Two strings that often share a prefix, so comparisons reach deep into them. */
function similar(v: fc.Arbitrary<string>): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    fc.tuple(v, v),
    fc.tuple(v, v, v).map(([p, a, b]): [string, string] => [p + a, p + b]),
    fc.tuple(v, v).map(([p, a]): [string, string] => [p, p + a]),
    v.map((x): [string, string] => [x, x]),
    // equal in both orders although the strings differ: leading zeros
    v.map((x): [string, string] => [x, x.replace(/\d+/g, (d) => `0${d}`)]),
  );
}

const epochPair = fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined });
const fmt = (e: number | undefined, v: string, r: string | undefined): string => `${e === undefined ? '' : `${e}:`}${v}${r === undefined ? '' : `-${r}`}`;

/** RPM EVR pairs: version and release from rpm's special characters (`~`, `^`, separators). */
const rpmPair = fc
  .tuple(epochPair, epochPair, similar(versionArb('.~^_+').map((v) => `1${v}`)), fc.option(similar(versionArb('.~^_+').map((r) => `1${r}`)), { nil: undefined }), fc.boolean())
  .map(([ea, eb, [va, vb], rel, dropOne]): [string, string] => [fmt(ea, va, rel?.[0]), fmt(eb, vb, dropOne ? undefined : rel?.[1])]);

/** Debian version pairs: a `:` in upstream needs an explicit epoch, a `-` needs a revision. */
const debVersion = (e: number | undefined, up: string, rev: string | undefined): string =>
  fmt(up.includes(':') ? (e ?? 0) : e, up, rev === undefined && up.includes('-') ? '1' : rev);
const debPair = fc
  .tuple(epochPair, epochPair, similar(versionArb('.~+:-').map((v) => `1${v}`)), fc.option(similar(versionArb('.~+')), { nil: undefined }), fc.boolean())
  .map(([ea, eb, [ua, ub], rev, dropOne]): [string, string] => [debVersion(ea, ua, rev?.[0]), debVersion(eb, ub, dropOne ? undefined : rev?.[1])]);

/** The sample must exercise older, equal and newer, or agreement proves little. */
function expectAllOutcomes(results: string[]): void {
  for (const r of [-1, 0, 1]) expect(results.filter((x) => Math.sign(Number(x)) === r).length).toBeGreaterThan(PAIRS / 25);
}

describe('version comparison agrees with the real tools on random pairs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jigtree-vercmp-'));

  it(`rpm.vercmp (rpm --eval lua), ${PAIRS} pairs`, () => {
    const pairs = fc.sample(rpmPair, { seed: SEED, numRuns: PAIRS });
    const file = path.join(dir, 'rpm-pairs.txt');
    writeFileSync(file, pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
    // One rpm process for all pairs: Lua reads the file and prints one result a line.
    const lua = `%{lua: for l in io.lines("${file}") do local a, b = l:match("^(%S+) (%S+)$"); print(rpm.vercmp(a, b) .. "\\n") end}`;
    const out = execFileSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 1 << 24 }).split('\n').filter((l) => l !== '');
    expect(out).toHaveLength(pairs.length);
    const mismatches = pairs
      .map(([a, b], i) => ({ a, b, rpm: Math.sign(Number(out[i])), ours: compareRpmVersions(a, b) }))
      .filter((r) => r.rpm !== r.ours);
    expect(mismatches).toEqual([]);
    expectAllOutcomes(out);
  });

  it(`dpkg --compare-versions, ${PAIRS} pairs`, () => {
    const pairs = fc.sample(debPair, { seed: SEED, numRuns: PAIRS });
    const file = path.join(dir, 'deb-pairs.txt');
    writeFileSync(file, pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
    const script = `while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done < "$1"`;
    const out = execFileSync('bash', ['-c', script, 'bash', file], { encoding: 'utf8', maxBuffer: 1 << 24 }).split('\n').filter((l) => l !== '');
    expect(out).toHaveLength(pairs.length);
    const mismatches = pairs
      .map(([a, b], i) => ({ a, b, dpkg: Number(out[i]), ours: compareDebianVersions(a, b) }))
      .filter((r) => r.dpkg !== r.ours);
    expect(mismatches).toEqual([]);
    expectAllOutcomes(out);
  });
});
