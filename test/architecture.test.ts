import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

// architecture.md §1-2: pure modules never do I/O; other modules enter a module only through
// its index.ts; the layering points one way.
const SRC = path.join(ROOT, 'src');
const IO_IMPORTS = /^(node:)?(fs|fs\/promises|net|http|https|child_process|worker_threads|timers|timers\/promises|process)$|^undici/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.ts$/.test(n) && !/\.test\.ts$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? '');
}

const files = walk(SRC).map((f) => path.relative(SRC, f));
const moduleOf = (rel: string): string => rel.split(path.sep)[0] ?? '';

/** Pure modules and the one file in each that may do I/O (architecture.md §1: `[pure*]`). */
const PURE: Record<string, string[]> = { pkg: [], gvariant: [], solver: [], tree: [], treefile: ['treefile/load.ts'], repos: ['repos/load.ts'], lockfile: ['lockfile/read-write.ts'] };
/** Codec files inside modules that do I/O elsewhere: they parse bytes handed to them. */
const PURE_FILES = ['unpack/tar.ts', 'unpack/types.ts', 'unpack/rpm/lead.ts', 'unpack/rpm/header.ts', 'unpack/rpm/tags.ts', 'unpack/rpm/cpio.ts', 'unpack/deb/ar.ts', 'unpack/deb/control.ts', 'core/byte-reader.ts', 'core/errors.ts'];
/** Who may import whom (§2); `core` and `pkg` are importable by all below cli. */
const LAYER: Record<string, number> = { cli: 5, index: 4, api: 3, treefile: 2, repos: 2, solver: 2, lockfile: 2, fetch: 2, unpack: 2, tree: 2, ostree: 2, jigdo: 2.5, pkg: 1, gvariant: 1, core: 0, types: 0 };

describe('architecture', () => {
  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const rel of files) {
    const mod = moduleOf(rel.replace(/\.ts$/, ''));
    it(`${rel} follows the import rules`, () => {
      const isPure = (PURE[mod] !== undefined && !(PURE[mod] ?? []).includes(rel)) || PURE_FILES.includes(rel);
      for (const spec of imports(path.join(SRC, rel))) {
        if (isPure) expect(IO_IMPORTS.test(spec), `${rel} is pure but imports ${spec}`).toBe(false);
        if (!spec.startsWith('.')) continue;
        const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, rel)), spec)).replace(/\.js$/, '.ts');
        const tmod = moduleOf(target.replace(/\.ts$/, ''));
        if (tmod === mod) continue;
        // Another module: only through its index.ts (convention 1). Exception: a CLI command
        // may import its own verb's file in api/, so that running one command does not load
        // every verb (resolve's warm path must not pay for ostree, unpack and native addons).
        const verbFile = mod === 'cli' && rel.startsWith('cli/commands/') && tmod === 'api';
        if (!verbFile) expect(target, `${rel} reaches into ${target}`).toMatch(/(^|\/)index\.ts$|^types\//);
        expect(LAYER[tmod] ?? 99, `${rel} (${mod}) imports ${tmod}: the layering points the other way`).toBeLessThan(LAYER[mod] ?? 0);
        if (tmod === 'jigdo') expect(mod, 'only api/ imports jigdo/').toBe('api');
      }
    });
  }
});
