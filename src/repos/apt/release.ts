// apt's Release / InRelease (depsolve.md §4.6): one deb822 paragraph naming the suite and
// listing every index file with its size and digests. A few KiB, so it is parsed from a string.
// An InRelease is an OpenPGP cleartext-signed message (RFC 4880 §7); its framing is removed
// here, while checking the signature is the loader's job (§4.8).
import { FormatError } from '../../core/index.js';
import { parseDeb822, type Deb822Field } from '../../pkg/index.js';
import type { Release, ReleaseFile } from '../types.js';

const BEGIN_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';
const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const END_SIGNATURE = '-----END PGP SIGNATURE-----';

/** A FormatError('deb822') for line `line` of the file, in the style of the deb822 parser. */
function releaseError(message: string, line: number, file: string | undefined): FormatError {
  return new FormatError('deb822', `line ${line}: ${message}`, { data: { line }, ...(file === undefined ? {} : { file }) });
}

/**
 * Undoes the cleartext-signature framing (RFC 4880 §7): the `BEGIN PGP SIGNED MESSAGE` line,
 * its `Hash:` armor headers and the blank line after them, the `- ` dash-escapes, and the
 * signature block. `body` keeps the line numbers of the input (the framing lines become blank
 * lines, which deb822 skips between paragraphs), so errors point into the InRelease itself.
 * `signedText` is the cleartext proper, lines joined with `\n`; as RFC 4880 §7.1 says, the line
 * break before the signature block is not part of it. Anything but blank lines after the
 * signature block is rejected, as apt does (it would be unsigned data).
 */
function unwrapCleartext(text: string, file: string | undefined): { body: string; signedText: string } | undefined {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[0]?.trimEnd() !== BEGIN_SIGNED) return undefined;
  let i = 1;
  for (; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (l.trim() === '') break;
    if (!/^Hash:\s*\S/.test(l)) throw releaseError(`expected a 'Hash:' armor header or a blank line after ${BEGIN_SIGNED}, found ${JSON.stringify(l.slice(0, 80))}`, i + 1, file);
  }
  if (i >= lines.length) throw releaseError('cleartext-signed message without a blank line after its armor headers', lines.length, file);
  const header = i + 1; // lines before the cleartext: BEGIN, Hash:..., the blank line
  const signed: string[] = [];
  for (i = header; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (l.trimEnd() === BEGIN_SIGNATURE) break;
    signed.push(l.startsWith('- ') ? l.slice(2) : l);
  }
  if (i >= lines.length) throw releaseError(`cleartext-signed message without a signature (no ${BEGIN_SIGNATURE} line)`, lines.length, file);
  let end = i + 1;
  while (end < lines.length && (lines[end] ?? '').trimEnd() !== END_SIGNATURE) end++;
  if (end >= lines.length) throw releaseError(`signature block not terminated (no ${END_SIGNATURE} line)`, lines.length, file);
  for (let j = end + 1; j < lines.length; j++) {
    if ((lines[j] ?? '').trim() !== '') throw releaseError(`content after the signature block`, j + 1, file);
  }
  const signedText = signed.join('\n');
  return { body: '\n'.repeat(header) + signedText, signedText };
}

/** Hash-list fields and the key and hex length each fills in (SHA1 is legacy and ignored). */
const HASH_FIELDS: Record<string, { key: 'md5' | 'sha256' | 'sha512'; hexLength: number; name: string }> = {
  md5sum: { key: 'md5', hexLength: 32, name: 'MD5Sum' },
  sha256: { key: 'sha256', hexLength: 64, name: 'SHA256' },
  sha512: { key: 'sha512', hexLength: 128, name: 'SHA512' },
};

/**
 * Reads one hash list: lines ` <hex> <size> <path>` (path relative to `dists/<suite>/`), the
 * first line of the field normally empty. A path listed in several lists must have one size.
 */
function readHashList(field: Deb822Field, files: Map<string, ReleaseFile>, file: string | undefined): void {
  const spec = HASH_FIELDS[field.name.toLowerCase()];
  if (spec === undefined) return;
  const lines = field.value.split('\n');
  const hexRe = new RegExp(`^[0-9a-fA-F]{${spec.hexLength}}$`);
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (l === '') return;
    const line = field.line + i;
    const parts = l.split(/[ \t]+/);
    const [hex = '', sizeText = '', path = ''] = parts;
    if (parts.length !== 3 || !hexRe.test(hex) || !/^\d+$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
      throw releaseError(`${spec.name}: expected '<${spec.hexLength} hex digits> <size> <path>', found ${JSON.stringify(l.slice(0, 200))}`, line, file);
    }
    const size = Number(sizeText);
    const entry = files.get(path);
    if (entry === undefined) files.set(path, { size, [spec.key]: hex.toLowerCase() });
    else {
      if (entry.size !== size) throw releaseError(`${spec.name}: ${path} has size ${size} here but ${entry.size} in an earlier hash list`, line, file);
      if (entry[spec.key] !== undefined) throw releaseError(`${spec.name}: ${path} is listed twice`, line, file);
      entry[spec.key] = hex.toLowerCase();
    }
  });
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const RFC2822 = /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+(UTC|GMT|UT|Z|[+-]\d{4})$/i;

/**
 * An RFC 2822 date-time as the archive writes it (`Sat, 11 Jul 2026 10:16:37 UTC`) → seconds
 * since the epoch; undefined when it is not one. apt also accepts a numeric zone; the weekday,
 * as in apt, is not checked against the date.
 */
function parseRfc2822(s: string): number | undefined {
  const m = RFC2822.exec(s.trim());
  if (m === null) return undefined;
  const [, d = '', mon = '', y = '', hh = '', mm = '', ss = '0', zone = ''] = m;
  const month = MONTHS.indexOf(mon.toLowerCase());
  const [day, year, hour, minute, second] = [Number(d), Number(y), Number(hh), Number(mm), Number(ss)];
  if (month < 0 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return undefined; // 31 Feb and friends
  const ms = Date.UTC(year, month, day, hour, minute, second);
  let offset = 0;
  if (zone.startsWith('+') || zone.startsWith('-')) {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(3, 5));
    if (zm > 59) return undefined;
    offset = (zone.startsWith('-') ? -1 : 1) * (zh * 3600 + zm * 60);
  }
  return ms / 1000 - offset;
}

/** deb822 booleans as apt writes them (`yes`/`no`; `true`/`false` accepted too). */
function readBool(field: Deb822Field, file: string | undefined): boolean {
  const v = field.value.trim().toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw releaseError(`${field.name}: expected 'yes' or 'no', found ${JSON.stringify(field.value)}`, field.line, file);
}

function readDate(field: Deb822Field, file: string | undefined): number {
  const t = parseRfc2822(field.value);
  if (t === undefined) throw releaseError(`${field.name}: ${JSON.stringify(field.value)} is not an RFC 2822 date (e.g. 'Sat, 11 Jul 2026 10:16:37 UTC')`, field.line, file);
  return t;
}

const words = (v: string): string[] => v.split(/\s+/).filter((w) => w !== '');

/**
 * Parses the text of a Release file, or of an InRelease (the cleartext-signature framing is
 * removed and the cleartext exposed as `signedText`; the signature is not checked here). Bad
 * input is a FormatError('deb822') naming the file and line.
 */
export function parseRelease(text: string, opts: { file?: string } = {}): Release {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const unwrapped = unwrapCleartext(input, opts.file);
  const paragraphs = parseDeb822(unwrapped?.body ?? input, opts);
  const [para, second] = paragraphs;
  if (para === undefined) throw releaseError('no Release paragraph (the file is empty)', 1, opts.file);
  if (second !== undefined) throw releaseError(`a Release file has one paragraph; another starts here`, second.line, opts.file);
  const release: Release = { architectures: [], components: [], acquireByHash: false, notAutomatic: false, butAutomaticUpgrades: false, files: new Map() };
  if (unwrapped !== undefined) release.signedText = unwrapped.signedText;
  for (const f of para.fields) {
    switch (f.name.toLowerCase()) {
      case 'origin':
        release.origin = f.value;
        break;
      case 'label':
        release.label = f.value;
        break;
      case 'suite':
        release.suite = f.value;
        break;
      case 'codename':
        release.codename = f.value;
        break;
      case 'version':
        release.version = f.value;
        break;
      case 'date':
        release.date = readDate(f, opts.file);
        break;
      case 'valid-until':
        release.validUntil = readDate(f, opts.file);
        break;
      case 'architectures':
        release.architectures = words(f.value);
        break;
      case 'components':
        release.components = words(f.value);
        break;
      case 'acquire-by-hash':
        release.acquireByHash = readBool(f, opts.file);
        break;
      case 'notautomatic':
        release.notAutomatic = readBool(f, opts.file);
        break;
      case 'butautomaticupgrades':
        release.butAutomaticUpgrades = readBool(f, opts.file);
        break;
      case 'no-support-for-architecture-all':
        release.noSupportForArchitectureAll = f.value;
        break;
      default:
        readHashList(f, release.files, opts.file);
    }
  }
  return release;
}
