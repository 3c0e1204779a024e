import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, parseTreefileDocument, pointerJoin, pointerTokens, treefileSyntax } from './document.js';

describe('parseTreefileDocument', () => {
  const yaml = 'ref: r\nrepos:\n  - id: a\n    base/url: 9.10\n  - &x {id: b}\nalias: *x\n';

  it('maps JSON pointers back to lines, of the value or of its key', () => {
    const doc = parseTreefileDocument(yaml, 'tf.yaml');
    expect(doc.lineOf('/ref')).toBe(1);
    expect(doc.lineOf('/repos/0/id')).toBe(3);
    expect(doc.lineOf('/repos/0/base~1url', true)).toBe(4);
    expect(doc.lineOf('/repos/1/id')).toBe(5);
    expect(doc.lineOf('/alias/id')).toBe(5);
    // a pointer that leaves the document still finds the deepest node on its way
    expect(doc.lineOf('/repos/0/nothing')).toBe(3);
    expect(doc.sourceOf('/repos/0/base~1url')).toBe('9.10');
    expect(doc.value).toEqual({ ref: 'r', repos: [{ id: 'a', 'base/url': 9.1 }, { id: 'b' }], alias: { id: 'b' } });
  });

  it('locates JSON too', () => {
    const doc = parseTreefileDocument('{\n  "ref": "r",\n  "repos": [\n    {"id": 1}\n  ]\n}\n', 'tf.json');
    expect([doc.syntax, doc.lineOf('/repos/0/id'), doc.lineOf('/ref', true)]).toEqual(['json', 4, 2]);
  });

  it('picks the syntax by extension, else by content', () => {
    expect(treefileSyntax('a.YML', '{')).toBe('yaml');
    expect(treefileSyntax('a.json', 'x: 1')).toBe('json');
    expect(treefileSyntax('a', '\uFEFF  {"a": 1}')).toBe('json');
    expect(treefileSyntax('a', 'a: {}')).toBe('yaml');
  });

  it('escapes pointer tokens (RFC 6901)', () => {
    expect(pointerJoin('/a', 'b/c~d')).toBe('/a/b~1c~0d');
    expect(pointerTokens('/a/b~1c~0d')).toEqual(['a', 'b/c~d']);
    expect(pointerTokens('')).toEqual([]);
  });
});

describe('jsonErrorOffset', () => {
  it('finds where JSON.parse fails when V8 does not say', () => {
    expect(jsonErrorOffset('{"a": }')).toBe(6);
    expect(jsonErrorOffset('{"a": [1,2,]}')).toBe(11);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset('{"a": "\\x"}')).toBe(7);
    expect(jsonErrorOffset('[1] 2')).toBe(4);
    expect(jsonErrorOffset('')).toBe(0);
    expect(jsonErrorOffset(' {"a": [1, -2.5e3, true, false, null, "\\u00e9"]} ')).toBeUndefined();
  });

  it('agrees with JSON.parse on what is valid', () => {
    const valid = (s: string): boolean => {
      try {
        JSON.parse(s);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(jsonErrorOffset(JSON.stringify(v, null, 1))).toBeUndefined();
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', 'x', '\n'), (v, at, junk) => {
      const s = JSON.stringify(v);
      const cut = at % (s.length + 1);
      const t = s.slice(0, cut) + junk + s.slice(cut);
      const off = jsonErrorOffset(t);
      expect(off === undefined).toBe(valid(t));
      if (off !== undefined) expect(off).toBeLessThanOrEqual(t.length);
    }), { numRuns: 400 });
  });
});
