import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../core/index.js';
import { XmlReader, XmlScanner, type XmlAttrs } from './xml-stream.js';

// XmlScanner reads the XML subset createrepo_c writes itself and hands everything else to saxes
// (XmlReader) at the first token it is unsure of. Whatever the input and its chunking, a reader
// must see the same events, positions and errors as with saxes alone: that is checked here on
// generated documents full of what the fast path gives up on.

const ATTR_NAMES = ['name', 'flags', 'ver', 'x', 'xml:base', 'b'];

/** Everything a sink can observe, in order; text between two tags is joined into one entry. */
function recorder(getLine: () => number): { log: string[]; open(name: string, attrs: XmlAttrs): void; close(name: string): void; text(t: string): void; mark(): void } {
  const log: string[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') log.push(`text ${JSON.stringify(text)}`);
    text = '';
  };
  return {
    log,
    open(name, attrs) {
      flush();
      log.push(`open ${name} line ${getLine()} ${JSON.stringify(ATTR_NAMES.map((a) => attrs.get(a) ?? null))}`);
    },
    close(name) {
      flush();
      log.push(`close ${name} line ${getLine()}`);
    },
    text(t) {
      text += t;
    },
    mark() {
      log.push('|');
    },
  };
}

/** saxes (XmlReader) with the scanner's contract: text only inside the root element. */
function viaSaxes(parts: string[], errorAt?: string): string[] {
  const rec = recorder(() => reader.line);
  let depth = 0;
  const reader: XmlReader = new XmlReader(
    {
      open: (n, a) => {
        depth++;
        rec.open(n, { get: (k) => a[k] });
        if (n === errorAt) throw reader.error(`bad <${n}>`);
      },
      close: (n) => {
        depth--;
        rec.close(n);
      },
      text: (t) => {
        if (depth > 0) rec.text(t);
      },
    },
    'f.xml',
  );
  try {
    // The marks say in which write an event or error came: the records a reader yields between.
    for (const p of parts) {
      reader.write(p);
      rec.mark();
    }
    reader.end();
    rec.log.push('end');
  } catch (err) {
    rec.log.push(err instanceof FormatError ? `error ${err.message}` : `crash ${String(err)}`);
  }
  return rec.log;
}

function viaScanner(parts: string[], errorAt?: string): string[] {
  const rec = recorder(() => scanner.line);
  const scanner: XmlScanner = new XmlScanner(
    {
      open: (n, a) => {
        rec.open(n, a);
        // A reader's own errors carry the scanner's position: the same as saxes's.
        if (n === errorAt) throw scanner.error(`bad <${n}>`);
      },
      close: (n) => { rec.close(n); },
      text: (t) => { rec.text(t); },
      wantsText: () => true,
    },
    'f.xml',
  );
  try {
    for (const p of parts) {
      scanner.write(p);
      rec.mark();
    }
    scanner.end();
    rec.log.push('end');
  } catch (err) {
    rec.log.push(err instanceof FormatError ? `error ${err.message}` : `crash ${String(err)}`);
  }
  return rec.log;
}

// Pieces of documents: mostly what the fast path reads, plus all it leaves to saxes.
const textPiece = fc.constantFrom('abc', ' ', '\n', '\n  ', '\t', 'ü—', '\u{1F600}', '&amp;', '&lt;&gt;', '&quot;&apos;', '&#65;', '&#x41;', '&bogus;', '&am', ']]', ']]>', ']', '>', '\r\n', '\r', '\u0001', '\uFFFF', '\uD800', '\uDC00', '<!-- c -->', '<![CDATA[<x>]]>', '<?pi x?>', '&');
const attrValue = fc.array(fc.constantFrom('1', 'a b', 'é', '&amp;', '&lt;', '>', "'", '"', '\t', '\n', '<', '&#65;', '\u{1F600}', '\uD800'), { maxLength: 3 }).map((a) => a.join(''));
const attr = fc.tuple(fc.constantFrom(...ATTR_NAMES, '1x', ''), attrValue, fc.constantFrom('"', "'", ''), fc.constantFrom(' ', '\n', '  ', '', ' = ')).map(([n, v, q, sp]) => `${sp === '' ? '' : ' '}${n}${sp === ' = ' ? ' = ' : '='}${q}${v}${q}`);
const tagName = fc.constantFrom('package', 'name', 'rpm:entry', 'file', 'a', 'b');

type Node = string;
const tree: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    textPiece,
    fc.tuple(tagName, fc.array(attr, { maxLength: 3 }), fc.array(tie('node'), { maxLength: 4 }), fc.constantFrom('', ' ', '\n'), fc.boolean()).map(([n, attrs, kids, sp, empty]) => (empty && kids.length === 0 ? `<${n}${attrs.join('')}${sp}/>` : `<${n}${attrs.join('')}${sp}>${kids.join('')}</${n}${sp}>`)),
  ),
})).node;

const document = fc
  .tuple(fc.constantFrom('<?xml version="1.0" encoding="UTF-8"?>\n', '', '<?xml version="1.0"?>', '\n', '\uFEFF<?xml version="1.0" encoding="UTF-8"?>'), fc.array(tree, { maxLength: 6 }), fc.constantFrom('\n', '', ' x', '<a/>', '<!-- c -->'), fc.boolean())
  .map(([decl, kids, after, truncate]) => {
    const doc = `${decl}<metadata xmlns="u" packages="1">${kids.join('')}</metadata>${after}`;
    return truncate ? doc.slice(0, Math.floor(doc.length / 2)) : doc;
  });

/** `doc` cut into pieces of the given sizes (cycled); splits may fall inside surrogate pairs. */
function cut(doc: string, sizes: number[]): string[] {
  const parts: string[] = [];
  for (let at = 0, i = 0; at < doc.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    parts.push(doc.slice(at, at + n));
    at += n;
  }
  return parts;
}

describe('XmlScanner', () => {
  it('reads a createrepo_c document on its fast path like saxes: events, lines, text with entities', () => {
    const doc = '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="u" packages="1">\n<package type="rpm">\n  <name>f&amp;o</name>\n  <rpm:entry name="a" flags="EQ" ver="1"/>\n</package>\n</metadata>\n';
    expect(viaScanner([doc])).toEqual(viaSaxes([doc]));
    expect(viaScanner([doc])).toContain('open rpm:entry line 5 ["a","EQ","1",null,null,null]');
  });

  it('hands over to saxes with the same events and errors, whatever the document and chunking', () => {
    fc.assert(
      fc.property(document, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (doc, sizes) => {
        expect(viaScanner(cut(doc, sizes))).toEqual(viaSaxes(cut(doc, sizes)));
        expect(viaScanner([doc])).toEqual(viaSaxes([doc]));
      }),
      { numRuns: 1500 },
    );
  });

  it('stamps a reader\'s own errors with the position saxes would give', () => {
    fc.assert(
      fc.property(document, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), tagName, (doc, sizes, at) => {
        expect(viaScanner(cut(doc, sizes), at)).toEqual(viaSaxes(cut(doc, sizes), at));
      }),
      { numRuns: 500 },
    );
  });
});
