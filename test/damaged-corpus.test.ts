import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, IntegrityError, JigtreeError, listPackage, type ListedEntry } from '../src/index.js';
import { ROOT } from './helpers/paths.js';

// The committed corpus of damaged packages (fixtures/damaged/make-damaged.mjs generates it and
// its manifest): each must give the named error with the file name and byte offset — never a
// crash, a hang, an out-of-memory or a wrong listing.
type Expect =
  | { ok: true; entries: number; symlink?: { path: string; target: string } }
  | { error: string; offset?: number; reason?: string };
const DIR = path.join(ROOT, 'fixtures/damaged');
const manifest = JSON.parse(readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as { file: string; sha256: string; why: string; expect: Expect }[];

async function listAll(file: string): Promise<ListedEntry[]> {
  const out: ListedEntry[] = [];
  for await (const e of listPackage(file, { decoders: 'builtin' })) out.push(e);
  return out;
}

describe('damaged packages', () => {
  it('the corpus has at least 30 damaged packages', () => {
    expect(manifest.filter((m) => !('ok' in m.expect)).length).toBeGreaterThanOrEqual(30);
  });

  for (const { file, sha256, why, expect: want } of manifest) {
    it(`${file}: ${why}`, async () => {
      const full = path.join(DIR, file);
      const bytes = readFileSync(full);
      // Generated, never hand-edited.
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
      if ('ok' in want) {
        const entries = await listAll(full);
        expect(entries).toHaveLength(want.entries);
        if (want.symlink !== undefined) {
          expect(entries.find((e) => e.path === want.symlink?.path)).toMatchObject({ type: 'symlink', target: want.symlink.target });
        }
        return;
      }
      const err = await listAll(full).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'no error at all').toBeInstanceOf(JigtreeError);
      const e = err as JigtreeError;
      expect(want.error.split('|')).toContain(e.name);
      expect(e instanceof FormatError || e instanceof IntegrityError).toBe(true);
      // One line, naming the file.
      expect(e.message).toContain(file);
      expect(e.message).not.toContain('\n');
      if (e instanceof FormatError) {
        expect(e.offset, `no byte offset in: ${e.message}`).toBeTypeOf('number');
        expect(e.message).toMatch(/at byte \d+/);
        if (want.offset !== undefined) expect(e.offset).toBe(want.offset);
      }
      if (want.reason !== undefined) expect(e.message).toMatch(new RegExp(want.reason, 'i'));
    }, 20_000);
  }
});
