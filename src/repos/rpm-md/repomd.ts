// repomd.xml: the index of an rpm-md repository (depsolve.md §4.1). Small (a few KiB), so it
// is parsed from a string; the same saxes layer as primary.xml keeps error messages alike.
import type { Digest, Repomd, RepomdData } from '../types.js';
import { readCount, readDigest, XmlReader } from './xml-stream.js';

type DataBuilder = {
  type: string;
  line: number;
  location?: string;
  locationBase?: string;
  checksum?: Digest;
  openChecksum?: Digest;
  size?: number;
  openSize?: number;
  timestamp?: number;
};

// Children of <data> whose text we read; the rest (database_version, header-checksum...) are skipped.
const TEXT_FIELDS = new Set(['checksum', 'open-checksum', 'timestamp', 'size', 'open-size']);

/** Parses repomd.xml: `<revision>` and each `<data type>` with its location, digests and sizes. */
export function parseRepomd(xml: string, opts: { file?: string } = {}): Repomd {
  const data = new Map<string, RepomdData>();
  let revision: string | undefined;
  let depth = 0;
  let cur: DataBuilder | undefined;
  let field: string | undefined;
  let fieldType: string | undefined;
  let text = '';

  const reader: XmlReader = new XmlReader(
    {
      open(name, attrs) {
        depth++;
        if (depth === 1) {
          if (name !== 'repomd') throw reader.error(`expected a <repomd> document, found <${name}>`);
        } else if (depth === 2 && name === 'revision') {
          field = name;
          text = '';
        } else if (depth === 2 && name === 'data') {
          const type = attrs['type'];
          if (type === undefined || type === '') throw reader.error('<data> without a type attribute');
          if (data.has(type)) throw reader.error(`<data type="${type}"> appears twice`);
          cur = { type, line: reader.line };
        } else if (depth === 3 && cur !== undefined) {
          if (name === 'location') {
            const href = attrs['href'];
            if (href === undefined || href === '') throw reader.error(`<data type="${cur.type}">: <location> without href`);
            cur.location = href;
            const base = attrs['xml:base'];
            if (base !== undefined) cur.locationBase = base;
          } else if (TEXT_FIELDS.has(name)) {
            field = name;
            fieldType = attrs['type'];
            text = '';
          }
        }
      },
      text(t) {
        if (field !== undefined) text += t;
      },
      close(name) {
        depth--;
        if (field === name) {
          if (name === 'revision') revision = text.trim();
          else if (cur !== undefined) {
            const what = `<data type="${cur.type}"> <${name}>`;
            if (name === 'checksum') cur.checksum = readDigest(reader, fieldType, text, what);
            else if (name === 'open-checksum') cur.openChecksum = readDigest(reader, fieldType, text, what);
            else if (name === 'timestamp') cur.timestamp = readTimestamp(reader, text, what);
            else if (name === 'size') cur.size = readCount(reader, text, what);
            else cur.openSize = readCount(reader, text, what);
          }
          field = undefined;
        } else if (depth === 1 && name === 'data' && cur !== undefined) {
          data.set(cur.type, finishData(reader, cur));
          cur = undefined;
        }
      },
    },
    opts.file,
  );
  reader.write(xml);
  reader.end();
  return revision === undefined ? { data } : { revision, data };
}

// createrepo_c writes integer seconds; older tools wrote floats ("1700000000.12"): keep the seconds.
function readTimestamp(reader: XmlReader, text: string, what: string): number {
  const t = text.trim();
  return readCount(reader, /^\d+\.\d*$/.test(t) ? t.slice(0, t.indexOf('.')) : t, what);
}

function finishData(reader: XmlReader, d: DataBuilder): RepomdData {
  const where = `<data type="${d.type}"> (line ${d.line})`;
  if (d.location === undefined) throw reader.error(`${where}: missing <location href>`);
  if (d.checksum === undefined) throw reader.error(`${where}: missing <checksum>`);
  const out: RepomdData = { type: d.type, location: d.location, checksum: d.checksum };
  if (d.locationBase !== undefined) out.locationBase = d.locationBase;
  if (d.openChecksum !== undefined) out.openChecksum = d.openChecksum;
  if (d.size !== undefined) out.size = d.size;
  if (d.openSize !== undefined) out.openSize = d.openSize;
  if (d.timestamp !== undefined) out.timestamp = d.timestamp;
  return out;
}
