import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, IntegrityError } from '../src/core/index.js';
import { parseDeb822, parseDebRelations, parseDebianVersion, parseRpmEvr, parseRpmNevra } from '../src/pkg/index.js';
import { readAr } from '../src/unpack/deb/ar.js';
import { readDeb } from '../src/unpack/deb/read-deb.js';
import { parseLead } from '../src/unpack/rpm/lead.js';
import { headerBodyLength, parseHeader, parseHeaderIntro } from '../src/unpack/rpm/header.js';
import { readRpm } from '../src/unpack/rpm/read-rpm.js';
import { readTar } from '../src/unpack/tar.js';
import { chunked } from './helpers/bytes.js';
import { paxEntry, tarArchive, tarEntry } from './helpers/archive-builder.js';
import { ROOT } from './helpers/paths.js';

// Issue 2: a fast-check fuzz of every parser, 30 s in all; only our error classes may escape,
// and no input may hang (each run has a time limit). Seeds are the real packages of the damaged
// corpus; a failure prints fast-check's seed and path to replay it.
const BUDGET_MS = Number(process.env['JIGTREE_FUZZ_MS'] ?? 30_000);
const TARGETS = 10;
const PER_TARGET = Math.floor(BUDGET_MS / TARGETS);
const seed = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(ROOT, 'fixtures/damaged', name)));

/** Random damage to real bytes: flips, overwrites, cuts, insertions, duplicated runs. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x30, 0x2e, 0x2f) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 600 }) }),
  );
  return fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => {
    let b = base;
    for (const o of ops) {
      const at = b.length === 0 ? 0 : o.at % b.length;
      switch (o.kind) {
        case 'flip': b = Uint8Array.from(b); if (b.length > 0) b[at] = (b[at] ?? 0) ^ (1 << o.bit); break;
        case 'set': b = Uint8Array.from(b); if (b.length > 0) b[at] = o.value; break;
        case 'cut': b = b.subarray(0, at); break;
        case 'insert': b = Uint8Array.from([...b.subarray(0, at), ...o.bytes, ...b.subarray(at)]); break;
        case 'dup': b = Uint8Array.from([...b.subarray(0, at + o.len), ...b.subarray(at, at + o.len), ...b.subarray(at + o.len)]); break;
      }
    }
    return b;
  });
}

/** Fails the property on anything but FormatError/IntegrityError. */
function onlyOurErrors(err: unknown): void {
  if (!(err instanceof FormatError || err instanceof IntegrityError)) throw err;
}

async function drainPackage(pkg: { entries(): AsyncIterable<{ body: AsyncIterable<Uint8Array> | undefined }> }): Promise<void> {
  for await (const e of pkg.entries()) if (e.body !== undefined) for await (const _ of e.body) { /* drain */ }
}

const opts = (ms: number): fc.Parameters<unknown> => ({ numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(ms), fc.timeout(5_000)] });

describe(`fuzz (${BUDGET_MS / 1000} s)`, () => {
  const deb = seed('valid-demo.deb');
  const rpmGz = seed('valid-demo-gz.rpm');
  const rpmNone = seed('valid-demo-none.rpm');
  const tar = tarArchive([
    tarEntry({ name: './', type: '5' }),
    paxEntry([['path', `./a/long/${'x'.repeat(120)}`], ['SCHILY.xattr.user.k', 'v']]),
    tarEntry({ name: './a/short', data: 'hello' }),
    tarEntry({ name: './l', type: '2', linkname: 'a' }),
  ]);

  it('readDeb on damaged .debs', async () => {
    await fc.assert(fc.asyncProperty(mutated(deb), fc.integer({ min: 1, max: 4096 }), async (b, chunk) => {
      await readDeb(chunked(b, chunk), { file: 'f.deb' }).then(drainPackage).catch(onlyOurErrors);
    }), opts(PER_TARGET));
  }, BUDGET_MS);

  it('readRpm on damaged .rpms (gzip and uncompressed payloads)', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(mutated(rpmGz), mutated(rpmNone)), fc.integer({ min: 1, max: 4096 }), async (b, chunk) => {
      await readRpm(chunked(b, chunk), { file: 'f.rpm' }).then(drainPackage).catch(onlyOurErrors);
    }), opts(2 * PER_TARGET));
  }, BUDGET_MS);

  it('rpm lead and header parsers on random and damaged bytes', () => {
    const mainAt = 96 + 16 + 16 * new DataView(rpmGz.buffer).getUint32(96 + 8) + new DataView(rpmGz.buffer).getUint32(96 + 12);
    const headerStart = mainAt + ((8 - (mainAt % 8)) % 8);
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), mutated(rpmGz.subarray(headerStart))), (b) => {
      try {
        parseLead(b.subarray(0, 96));
      } catch (e) { onlyOurErrors(e); }
      try {
        const intro = parseHeaderIntro(b.subarray(0, 16), { kind: 'main', start: 0 });
        const len = headerBodyLength(intro);
        parseHeader(intro, b.subarray(16, 16 + len), { kind: 'main', start: 0 });
      } catch (e) { onlyOurErrors(e); }
    }), opts(PER_TARGET));
  });

  it('tar reader', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(mutated(tar), fc.uint8Array({ maxLength: 3000 })), async (b) => {
      try {
        for await (const e of readTar(chunked(b, 512), { file: 't.tar' })) if (e.body !== undefined) for await (const _ of e.body) { /* drain */ }
      } catch (e) { onlyOurErrors(e); }
    }), opts(PER_TARGET));
  }, BUDGET_MS);

  it('ar reader', async () => {
    await fc.assert(fc.asyncProperty(mutated(deb.subarray(0, 400)), async (b) => {
      try {
        for await (const m of readAr(chunked(b, 64), { file: 'a.deb' })) for await (const _ of m.body) { /* drain */ }
      } catch (e) { onlyOurErrors(e); }
    }), opts(PER_TARGET));
  }, BUDGET_MS);

  it('deb822 and Debian relation parsers', () => {
    const control = 'Package: demo\nVersion: 1:1.0-1\nDepends: libc6 (>= 2.36), a | b:any (<< 2) [amd64] <!nocheck>\nDescription: x\n y\n .\n z\n\n# c\nPackage: b\n';
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), mutated(new TextEncoder().encode(control)).map((b) => new TextDecoder().decode(b)));
    fc.assert(fc.property(text, (t) => {
      try { parseDeb822(t); } catch (e) { onlyOurErrors(e); }
      try { parseDebRelations(t.replace(/\n/g, ' ')); } catch (e) { onlyOurErrors(e); }
    }), opts(PER_TARGET));
  });

  it('version and NEVRA parsers', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      for (const parse of [parseRpmEvr, parseRpmNevra, parseDebianVersion]) {
        try { parse(s); } catch (e) { onlyOurErrors(e); }
      }
    }), opts(PER_TARGET));
  });

  it('the seeds are valid, so the mutations start from real packages', async () => {
    await expect(readDeb(chunked(deb), { file: 'f.deb' }).then(drainPackage)).resolves.toBeUndefined();
    await expect(readRpm(chunked(rpmGz), { file: 'f.rpm' }).then(drainPackage)).resolves.toBeUndefined();
  });
});
