// primary.xml: one record per <package> (depsolve.md §4.2), streamed with saxes so a 150 MB
// Fedora primary never sits in memory whole: records are yielded as their </package> closes.
import { RPMSENSE } from '../../pkg/index.js';
import type { Digest, RpmDepEntry, RpmPackageRecord } from '../types.js';
import { plainCount, plainSha256, readCount, readDigest, readXml, XmlScanner, type XmlAttrs } from './xml-stream.js';

/** The dependency lists of primary.xml, by element name (depsolve.md §2.1). */
const DEP_LISTS = {
  'rpm:provides': 'provides',
  'rpm:requires': 'requires',
  'rpm:conflicts': 'conflicts',
  'rpm:obsoletes': 'obsoletes',
  'rpm:recommends': 'recommends',
  'rpm:suggests': 'suggests',
  'rpm:supplements': 'supplements',
  'rpm:enhances': 'enhances',
} as const;
type DepListName = (typeof DEP_LISTS)[keyof typeof DEP_LISTS];

/** `flags` attribute → RPMSENSE bits (createrepo_c writes only these five; depsolve.md §2.2). */
const FLAGS: Record<string, number> = {
  EQ: RPMSENSE.EQUAL,
  LT: RPMSENSE.LESS,
  LE: RPMSENSE.LESS | RPMSENSE.EQUAL,
  GT: RPMSENSE.GREATER,
  GE: RPMSENSE.GREATER | RPMSENSE.EQUAL,
};

// Elements whose character data we keep; everything else (summary, description...) is skipped
// without being buffered.
const TEXT_IN_PACKAGE = new Set(['name', 'arch', 'checksum']);
const TEXT_IN_FORMAT = new Set(['rpm:sourcerpm', 'file']);

type Builder = {
  line: number;
  name?: string;
  arch?: string;
  epoch?: number;
  version?: string;
  release?: string;
  checksumType?: string;
  digest?: Digest;
  size?: number;
  installedSize: number;
  location?: string;
  locationBase?: string;
  sourcerpm?: string;
  headerRange?: [number, number];
  deps: Record<DepListName, RpmDepEntry[]>;
  files: string[];
};

function newBuilder(line: number): Builder {
  return {
    line,
    installedSize: 0,
    deps: { provides: [], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [] },
    files: [],
  };
}

/**
 * Streams the packages of a decompressed primary.xml. Bad XML, or a package without name,
 * arch, version, checksum, location or size, is a FormatError('xml') naming the package, the
 * line it starts on and the parser's line and column.
 */
export async function* parsePrimary(chunks: AsyncIterable<Uint8Array | string>, opts: { repoId: string; file?: string }): AsyncGenerator<RpmPackageRecord> {
  const done: RpmPackageRecord[] = [];
  let depth = 0;
  let pkg: Builder | undefined;
  let inFormat = false;
  let list: DepListName | undefined;
  let field: string | undefined;
  let text = '';

  const label = (b: Builder): string => (b.name === undefined ? `package at line ${b.line}` : `package "${b.name}" (line ${b.line})`);

  const reader: XmlScanner = new XmlScanner(
    {
      open(name, attrs) {
        depth++;
        if (depth === 1) {
          if (name !== 'metadata') throw reader.error(`expected a primary <metadata> document, found <${name}>`);
          return;
        }
        if (depth === 2) {
          if (name === 'package') pkg = newBuilder(reader.line);
          return;
        }
        if (pkg === undefined) return;
        if (depth === 3) {
          if (TEXT_IN_PACKAGE.has(name)) {
            field = name;
            text = '';
            if (name === 'checksum') pkg.checksumType = attrs.get('type') ?? '';
          } else if (name === 'version') readVersion(pkg, attrs);
          else if (name === 'size') {
            const size = attrs.get('package');
            if (size !== undefined) pkg.size = plainCount(size) ?? readCount(reader, size, `${label(pkg)}: <size package>`);
            const installed = attrs.get('installed');
            if (installed !== undefined) pkg.installedSize = plainCount(installed) ?? readCount(reader, installed, `${label(pkg)}: <size installed>`);
          } else if (name === 'location') {
            const href = attrs.get('href');
            if (href !== undefined && href !== '') pkg.location = href;
            const base = attrs.get('xml:base');
            if (base !== undefined) pkg.locationBase = base;
          } else if (name === 'format') inFormat = true;
        } else if (depth === 4 && inFormat) {
          if (TEXT_IN_FORMAT.has(name)) {
            field = name;
            text = '';
          } else if (Object.hasOwn(DEP_LISTS, name)) list = DEP_LISTS[name as keyof typeof DEP_LISTS];
          else if (name === 'rpm:header-range') {
            const start = attrs.get('start') ?? '';
            const end = attrs.get('end') ?? '';
            const s = plainCount(start);
            const e = plainCount(end);
            if (s !== undefined && e !== undefined) pkg.headerRange = [s, e];
            else {
              const what = `${label(pkg)}: <rpm:header-range>`;
              pkg.headerRange = [readCount(reader, start, `${what} start`), readCount(reader, end, `${what} end`)];
            }
          }
        } else if (depth === 5 && list !== undefined && name === 'rpm:entry') {
          pkg.deps[list].push(readEntry(pkg, attrs));
        }
      },
      text(t) {
        if (field !== undefined) text += t;
      },
      wantsText: () => field !== undefined,
      close(name) {
        // depth becomes the closed element's parent level (metadata = 1, package = 2, ...).
        depth--;
        if (pkg === undefined) return;
        if (field === name) {
          field = undefined;
          if (name === 'name') pkg.name = text.trim();
          else if (name === 'arch') pkg.arch = text.trim();
          else if (name === 'checksum') pkg.digest = plainSha256(pkg.checksumType, text) ?? readDigest(reader, pkg.checksumType, text, `${label(pkg)}: <checksum>`);
          else if (name === 'rpm:sourcerpm') {
            const s = text.trim();
            if (s !== '') pkg.sourcerpm = s;
          } else pkg.files.push(text);
        } else if (depth === 3 && Object.hasOwn(DEP_LISTS, name)) list = undefined;
        else if (depth === 2 && name === 'format') inFormat = false;
        else if (depth === 1 && name === 'package') {
          done.push(finish(pkg));
          pkg = undefined;
        }
      },
    },
    opts.file,
  );

  function readVersion(b: Builder, attrs: XmlAttrs): void {
    const e = attrs.get('epoch');
    b.epoch = e === undefined || e === '' ? 0 : (plainCount(e) ?? readCount(reader, e, `${label(b)}: <version epoch>`));
    const ver = attrs.get('ver');
    if (ver !== undefined && ver !== '') b.version = ver;
    // A missing rel is tolerated (libsolv does too); createrepo_c always writes one.
    b.release = attrs.get('rel') ?? '';
  }

  function readEntry(b: Builder, attrs: XmlAttrs): RpmDepEntry {
    const name = attrs.get('name');
    if (name === undefined || name === '') throw reader.error(`${label(b)}: <rpm:entry> without a name`);
    const entry: RpmDepEntry = { name, flags: 0, evr: '' };
    const flags = attrs.get('flags');
    const ver = attrs.get('ver');
    if (flags !== undefined) {
      const bits = FLAGS[flags];
      if (bits === undefined) throw reader.error(`${label(b)}: <rpm:entry name="${name}">: unknown flags ${JSON.stringify(flags)} (expected EQ, LT, LE, GT or GE)`);
      if (ver === undefined) throw reader.error(`${label(b)}: <rpm:entry name="${name}">: flags="${flags}" without ver`);
      entry.flags = bits;
      const epoch = attrs.get('epoch');
      // epoch="0" is how createrepo_c writes "no epoch"; both compare alike (depsolve.md §1.2).
      const e = epoch === undefined || epoch === '' ? 0 : (plainCount(epoch) ?? readCount(reader, epoch, `${label(b)}: <rpm:entry name="${name}"> epoch`));
      const rel = attrs.get('rel');
      entry.evr = `${e > 0 ? `${e}:` : ''}${ver}${rel === undefined ? '' : `-${rel}`}`;
    } else if (ver !== undefined) {
      throw reader.error(`${label(b)}: <rpm:entry name="${name}">: ver without flags`);
    }
    const pre = attrs.get('pre');
    if (pre === '1' || pre === 'true') entry.pre = true;
    if (name.startsWith('(')) entry.rich = true;
    return entry;
  }

  function finish(b: Builder): RpmPackageRecord {
    const missing = (what: string): never => {
      throw reader.error(`${label(b)}: missing ${what}`);
    };
    const rec: RpmPackageRecord = {
      kind: 'rpm',
      name: b.name === undefined || b.name === '' ? missing('<name>') : b.name,
      epoch: b.epoch ?? 0,
      version: b.version ?? missing('<version ver>'),
      release: b.release ?? '',
      arch: b.arch === undefined || b.arch === '' ? missing('<arch>') : b.arch,
      repoId: opts.repoId,
      location: b.location ?? missing('<location href>'),
      digest: b.digest ?? missing('<checksum>'),
      size: b.size ?? missing('<size package>'),
      installedSize: b.installedSize,
      ...b.deps,
      files: b.files,
    };
    if (b.locationBase !== undefined) rec.locationBase = b.locationBase;
    if (b.sourcerpm !== undefined) rec.sourcerpm = b.sourcerpm;
    if (b.headerRange !== undefined) rec.headerRange = b.headerRange;
    return rec;
  }

  yield* readXml(chunks, reader, () => done.splice(0));
}
