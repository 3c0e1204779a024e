import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { parseDeb822, parseDeb822Stream, type Deb822Paragraph } from './index.js';

// The `fields` and `map` options parsePackages reads a Packages index with: fewer values built,
// one generator less, and not a single result or error different from the plain parser's.

const view = (ps: Deb822Paragraph[]): unknown => ps.map((p) => [p.line, p.fields]);
const only = (ps: Deb822Paragraph[], names: string[]): unknown => ps.map((p) => [p.line, p.fields.filter((f) => names.some((n) => n.toLowerCase() === f.name.toLowerCase()))]);

function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    return err instanceof FormatError ? `error ${err.message}` : `crash ${String(err)}`;
  }
}

async function* pieces(text: string, sizes: number[]): AsyncGenerator<string> {
  for (let at = 0, i = 0; at < text.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    await Promise.resolve();
    yield text.slice(at, at + n);
    at += n;
  }
}

async function streamed(text: string, sizes: number[], fields?: string[]): Promise<unknown> {
  try {
    const out: Deb822Paragraph[] = [];
    for await (const p of parseDeb822Stream(pieces(text, sizes), fields === undefined ? {} : { fields })) out.push(p);
    return view(out);
  } catch (err) {
    return err instanceof FormatError ? `error ${err.message}` : `crash ${String(err)}`;
  }
}

const TEXT = 'Package: a\nDescription: long\n text\nX-Custom: 1\nVersion: 1.0\n\npackage: b\nVERSION: 2\nTag: t::x,\n t::y\n';

describe('deb822 fields option', () => {
  it('keeps only the named fields, case-insensitively, with the values and lines of a full parse', () => {
    const keep = ['package', 'Version', 'x-custom'];
    expect(view(parseDeb822(TEXT, { fields: keep }))).toEqual(only(parseDeb822(TEXT), keep));
    expect(parseDeb822(TEXT, { fields: keep }).map((p) => p.fields.map((f) => f.name))).toEqual([['Package', 'X-Custom', 'Version'], ['package', 'VERSION']]);
  });

  it('still checks the fields it leaves out: duplicates and syntax errors are the same', () => {
    const dup = thrownBy(() => parseDeb822('Package: a\nTag: x\ntag: y\n', { fields: ['Package'], file: 'P' }), FormatError);
    expect(dup.message).toBe('P: deb822: line 3: duplicate field "tag" (first on line 2)');
    const odd = thrownBy(() => parseDeb822('Package: a\nX-Odd: 1\nx-odd: 2\n', { fields: ['Package'] }), FormatError);
    expect(odd.message).toBe('deb822: line 3: duplicate field "x-odd" (first on line 2)');
    const bad = thrownBy(() => parseDeb822('Package: a\nBad Name: x\n', { fields: ['Package'] }), FormatError);
    expect(bad.message).toContain('line 2: invalid character in field name "Bad Name"');
  });

  it('gives what the full parser gives, filtered, for generated text in any chunking', async () => {
    const line = fc.oneof(
      fc.constantFrom('', ' ', '\t', ' .', ' cont', '#c', 'no colon', ': x', '-X: 1', 'Bad Name: 1', 'Fïeld: 1'),
      fc.tuple(fc.constantFrom('Package', 'package', 'Version', 'Depends', 'Tag', 'X-Custom', 'x-custom', 'Zz', 'Description'), fc.constantFrom(':', ': ', ':\t'), fc.constantFrom('', 'v', 'a b ', 'ü—')).map(([n, c, v]) => `${n}${c}${v}`),
    );
    const text = fc.tuple(fc.array(line, { maxLength: 20 }), fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([ls, eol, last]) => ls.join(eol) + (last ? eol : ''));
    const keep = ['Package', 'depends', 'X-CUSTOM'];
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }), async (t, sizes) => {
        const full = outcome(() => only(parseDeb822(t), keep));
        expect(outcome(() => view(parseDeb822(t, { fields: keep })))).toEqual(full);
        expect(await streamed(t, sizes, keep)).toEqual(full);
        expect(await streamed(t, sizes)).toEqual(outcome(() => view(parseDeb822(t))));
      }),
      { numRuns: 400 },
    );
  });

  it('maps each paragraph as it is yielded (map)', async () => {
    const names: string[] = [];
    for await (const n of parseDeb822Stream(pieces(TEXT, [7]), { fields: ['package'], map: (p) => p.get('package') ?? '?' })) names.push(n);
    expect(names).toEqual(['a', 'b']);
  });
});
