// Treefile text → plain JSON data, plus a way back from a JSON pointer to a line number, so that
// a schema issue can name the line (issue 5: "names the file, line, key path").
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { FormatError, ValidationError } from '../core/index.js';

/** How a treefile was written. */
export type TreefileSyntax = 'yaml' | 'json';

/** A parsed treefile: its data, and where each JSON pointer sits in the text. */
export type TreefileDocument = {
  file: string;
  syntax: TreefileSyntax;
  /** The data: only null, booleans, numbers, strings, arrays and plain objects (and Uint8Array from YAML `!!binary`). */
  value: unknown;
  /** The 1-based line of the value at `pointer` (of its key, when `key`), if it can be found. */
  lineOf(pointer: string, key?: boolean): number | undefined;
  /** The literal text of a scalar (e.g. `9.10` before YAML makes it the number 9.1). */
  sourceOf(pointer: string): string | undefined;
};

// YAML aliases are expanded by toJS; cap them (billion laughs).
const MAX_ALIAS_COUNT = 1000;

/**
 * Picks the syntax: by extension like rpm-ostree (treefile.md §1: `.yaml`/`.yml` YAML, `.json`
 * JSON), else by content (JSON text starts with `{`).
 */
export function treefileSyntax(file: string, text: string): TreefileSyntax {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return text.replace(/^\uFEFF/, '').trimStart().startsWith('{') ? 'json' : 'yaml';
}

/**
 * Parses treefile text. YAML is read as YAML 1.2 core schema (so `yes` is a string, not a boolean)
 * with unique keys and a single document; JSON with JSON.parse, duplicate keys refused too. Syntax
 * errors are a FormatError naming the file, line and column.
 */
export function parseTreefileDocument(text: string, file: string): TreefileDocument {
  if (file.toLowerCase().endsWith('.ks')) {
    throw new ValidationError(file, [{ pointer: '', message: 'kickstart (.ks) treefiles are not supported: write YAML or JSON' }]);
  }
  const syntax = treefileSyntax(file, text);
  const body = text.replace(/^\uFEFF/, '');
  const lines = new LineCounter();
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2', schema: 'core' });
  let value: unknown;
  if (syntax === 'json') {
    try {
      value = JSON.parse(body);
    } catch (err) {
      const msg = (err instanceof Error ? err.message : String(err)).replace(/ \(line \d+ column \d+\)$/, '').replace(/\s*\n\s*/g, ' ');
      // V8 gives a position for some errors only; the scanner finds it for the others.
      const posText = /at position (\d+)/.exec(msg)?.[1];
      const pos = posText === undefined ? jsonErrorOffset(body) : Number(posText);
      const lc = pos === undefined ? undefined : lines.linePos(pos);
      const where = lc === undefined ? '' : ` (line ${lc.line}, column ${lc.col})`;
      throw new FormatError('json', `${msg}${where}`, { file, ...(lc === undefined ? {} : { data: { line: lc.line, column: lc.col } }) });
    }
    // JSON.parse keeps the last of duplicate keys silently; the YAML view of the same text sees them.
    const dup = doc.errors.find((e) => e.code === 'DUPLICATE_KEY');
    if (dup !== undefined) {
      const p = lines.linePos(dup.pos[0]);
      throw new FormatError('json', `duplicate key (line ${p.line}, column ${p.col})`, { file, data: { line: p.line, column: p.col } });
    }
  } else {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) {
      const p = lines.linePos(problem.pos[0]);
      throw new FormatError('yaml', `line ${p.line}, column ${p.col}: ${problem.message}`, { file, data: { line: p.line, column: p.col } });
    }
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      throw new FormatError('yaml', err instanceof Error ? err.message : String(err), { file });
    }
  }
  const yamlOk = syntax === 'yaml' || doc.errors.length === 0;
  return {
    file,
    syntax,
    value,
    lineOf: (pointer, key = false) => {
      if (!yamlOk) return undefined;
      const node = nodeAt(doc, pointer, key);
      const start = node?.range?.[0];
      return start === undefined ? undefined : lines.linePos(start).line;
    },
    sourceOf: (pointer) => {
      if (!yamlOk) return undefined;
      const node = nodeAt(doc, pointer, false);
      return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
    },
  };
}

// JSON nesting beyond this is reported as an error position rather than recursed into.
const MAX_JSON_DEPTH = 512;

/**
 * The offset of the first syntax error in JSON text (RFC 8259), or undefined when it is valid:
 * where JSON.parse's message gives none, this says where to look.
 */
export function jsonErrorOffset(s: string): number | undefined {
  let i = 0;
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const ws = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const word = (w: string): boolean => {
    if (!s.startsWith(w, i)) return false;
    i += w.length;
    return true;
  };
  const str = (): boolean => {
    if (s[i] !== '"') return false;
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const n = s[i + 1];
      if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) i += 6;
      else if (n !== undefined && n !== 'u' && '"\\/bfnrt'.includes(n)) i += 2;
      else return false;
    }
    return false;
  };
  const value = (depth: number): boolean => {
    ws();
    if (depth > MAX_JSON_DEPTH) return false;
    const c = s[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (s[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (!str()) return false;
          ws();
          if (s[i] !== ':') return false;
          i++;
        }
        if (!value(depth + 1)) return false;
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === close) {
          i++;
          return true;
        } else return false;
      }
    }
    if (c === '"') return str();
    if (c === 't') return word('true');
    if (c === 'f') return word('false');
    if (c === 'n') return word('null');
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(s);
    if (m === null) return false;
    i += m[0].length;
    return true;
  };
  if (!value(0)) return Math.min(i, s.length);
  ws();
  return i < s.length ? i : undefined;
}

/** Splits an RFC 6901 pointer into its reference tokens. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Appends one reference token to a pointer (RFC 6901 escaping). */
export function pointerJoin(pointer: string, token: string | number): string {
  return `${pointer}/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

// The deepest node on the pointer's path (a partial match still gives a useful line).
function nodeAt(doc: Document, pointer: string, key: boolean): Node | undefined {
  let node: unknown = doc.contents;
  const tokens = pointerTokens(pointer);
  for (let i = 0; i < tokens.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const t = tokens[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === t);
      if (pair === undefined) break;
      node = key && i === tokens.length - 1 ? pair.key : pair.value;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(t)];
      if (item === undefined) break;
      node = item;
    } else {
      break;
    }
  }
  return node !== null && typeof node === 'object' && 'range' in node ? (node as Node) : undefined;
}
