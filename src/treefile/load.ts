// The one I/O file of treefile/: reads a treefile and, recursively, its includes (treefile.md §2).
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { JigtreeError, ValidationError, fsError } from '../core/index.js';
import { parseTreefileDocument, type TreefileDocument } from './document.js';
import { mergeTreefileLayers, normalizeTreefile } from './normalize.js';
import { checkTreefileLayer, type At, type LayerIssue, type TreefileLayer } from './schema.js';
import type { Treefile } from './types.js';

/** Options of loadTreefile. */
export type LoadTreefileOptions = { signal?: AbortSignal };

// rpm-ostree's limit on include nesting (treefile.md §2).
const MAX_INCLUDE_DEPTH = 50;

type Visit = { real: string; shown: string };

/**
 * Reads, validates and normalizes a treefile with its includes. Includes are merged one at a
 * time in order with rpm-ostree's rules; a cycle, or a file included twice, is an error (as in
 * rpm-ostree). Problems of one file are reported together in one ValidationError.
 */
export async function loadTreefile(file: string, opts: LoadTreefileOptions = {}): Promise<Treefile> {
  const docs = new Map<string, TreefileDocument>();
  const issues: LayerIssue[] = [];
  const layer = await loadLayer(path.resolve(file), file, [], new Map(), docs, issues, undefined, opts.signal);
  return normalizeTreefile(layer, { lineOf: (at, onKey) => docs.get(at.file)?.lineOf(at.pointer, onKey), issues });
}

async function loadLayer(
  abs: string, shown: string, chain: Visit[], seen: Map<string, string>, docs: Map<string, TreefileDocument>, issues: LayerIssue[],
  from: { file: string; at: At<string> } | undefined, signal: AbortSignal | undefined,
): Promise<TreefileLayer> {
  signal?.throwIfAborted();
  const includeError = (message: string): ValidationError => {
    if (from === undefined) return new ValidationError(shown, [{ pointer: '', message }]);
    const line = docs.get(from.file)?.lineOf(from.at.at.pointer);
    return new ValidationError(from.file, [{ pointer: from.at.at.pointer, message: `${message}${line === undefined ? '' : ` (line ${line})`}` }]);
  };
  let real: string;
  let text: string;
  try {
    real = await realpath(abs);
    text = await readFile(real, 'utf8');
  } catch (err) {
    const e = fsError(shown, err);
    if (from !== undefined && e instanceof JigtreeError) e.prefix(`${from.file} ${from.at.at.pointer}`);
    throw e;
  }
  const cycleAt = chain.findIndex((v) => v.real === real);
  if (cycleAt >= 0) throw includeError(`include cycle: ${[...chain.slice(cycleAt), { real, shown }].map((v) => v.shown).join(' -> ')}`);
  const firstBy = seen.get(real);
  if (firstBy !== undefined) throw includeError(`${shown} is included twice (also by ${firstBy})`);
  if (chain.length > MAX_INCLUDE_DEPTH) throw includeError(`includes nest deeper than ${MAX_INCLUDE_DEPTH} levels`);
  seen.set(real, from?.file ?? shown);

  const doc = parseTreefileDocument(text, shown);
  docs.set(shown, doc);
  // Issues are collected across all files and reported with the whole-treefile ones.
  const checked = checkTreefileLayer(doc, { file: shown, dir: path.dirname(real) });
  issues.push(...checked.issues);
  const layer = checked.layer;

  let merged = layer;
  const here = [...chain, { real, shown }];
  for (const inc of layer.include) {
    // Shown relative to the including file as the user wrote it; resolved against its real dir,
    // as rpm-ostree resolves include paths against the including file.
    const incShown = path.isAbsolute(inc.value) ? inc.value : path.join(path.dirname(shown), inc.value);
    const child = await loadLayer(path.resolve(path.dirname(real), inc.value), incShown, here, seen, docs, issues, { file: shown, at: inc }, signal);
    merged = mergeTreefileLayers(merged, child);
  }
  return merged;
}
