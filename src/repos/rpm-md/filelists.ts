// filelists.xml: every path of every package (depsolve.md §4.3), needed only for file
// dependencies outside primary's subset (§2.5). Streamed like primary.xml.
import type { FilelistsEntry } from '../types.js';
import { readXml, XmlScanner } from './xml-stream.js';

/**
 * Streams the packages of a decompressed filelists.xml, joined to primary by `pkgid`. `files`
 * holds every `<file>` in document order; the `type` attribute (dir, ghost) is dropped on
 * purpose, because a file dependency is satisfied by any path a package ships, directories and
 * ghosts included (depsolve.md §2.5).
 */
export async function* parseFilelists(chunks: AsyncIterable<Uint8Array | string>, opts: { file?: string } = {}): AsyncGenerator<FilelistsEntry> {
  const done: FilelistsEntry[] = [];
  let depth = 0;
  let cur: FilelistsEntry | undefined;
  let inFile = false;
  let text = '';

  const reader: XmlScanner = new XmlScanner(
    {
      open(name, attrs) {
        depth++;
        if (depth === 1) {
          if (name !== 'filelists') throw reader.error(`expected a <filelists> document, found <${name}>`);
        } else if (depth === 2 && name === 'package') {
          const pkgid = attrs.get('pkgid');
          const pname = attrs.get('name');
          const arch = attrs.get('arch');
          const label = pname === undefined ? 'package' : `package "${pname}"`;
          if (pkgid === undefined || pkgid === '') throw reader.error(`${label}: missing pkgid`);
          if (pname === undefined || pname === '') throw reader.error(`package ${pkgid}: missing name`);
          if (arch === undefined || arch === '') throw reader.error(`${label}: missing arch`);
          cur = { pkgid: pkgid.toLowerCase(), name: pname, arch, files: [] };
        } else if (depth === 3 && cur !== undefined && name === 'file') {
          inFile = true;
          text = '';
        }
      },
      text(t) {
        if (inFile) text += t;
      },
      wantsText: () => inFile,
      close(name) {
        depth--;
        if (inFile && depth === 2) {
          inFile = false;
          cur?.files.push(text);
        } else if (depth === 1 && name === 'package' && cur !== undefined) {
          done.push(cur);
          cur = undefined;
        }
      },
    },
    opts.file,
  );
  yield* readXml(chunks, reader, () => done.splice(0));
}
