/*
 * The dpkg status database of a deb compose (issue 5 step 6): what `dpkg --unpack` of the
 * packages leaves under /var/lib/dpkg, so `dpkg -l` / `dpkg-query` in the composed tree list what
 * was installed. Maintainer scripts have NOT run, so every package is honestly recorded as
 * `install ok unpacked` (`dpkg -l` shows `iU`, `dpkg --audit` lists them); a later stage that runs
 * `dpkg --configure -a` turns them into `installed`.
 *
 * Byte layout follows dpkg 1.21 (lib/dpkg/parse.c fieldinfos, lib/dpkg/dump.c writers,
 * src/main/unpack.c pkg_infodb_update, lib/dpkg/triglib.c), checked against the real dpkg by
 * test/oracle/dpkg-database.test.ts. Known, documented departures from a real `dpkg --unpack`:
 * - Conffiles carry the md5 of the shipped content, where dpkg writes `newconffile` and leaves
 *   the file as `<path>.dpkg-new` until configure. Our tree has the conffile at its real path, so
 *   the real md5 is the state dpkg itself reaches after configure (configure.c keeps the recorded
 *   hash when no .dpkg-new exists), and later upgrades see the conffile as unmodified.
 * - A package without an `md5sums` control member gets no info/<pkg>.md5sums (dpkg computes one
 *   while unpacking; we are not given file contents here).
 * Pure: no I/O; the caller supplies the control members and the path list.
 */
import { FormatError } from '../core/index.js';
import { formatDebianVersion, parseDeb822, parseDebRelations, parseDebianVersion, type DebRelation } from '../pkg/index.js';

/** One package as unpacked: its control paragraph, other control.tar members, paths and conffiles. */
export type DpkgPackageInput = {
  /** The package's `control` file text (one deb822 paragraph, as in control.tar). */
  control: string;
  /** Other control.tar members: preinst postinst prerm postrm config templates triggers shlibs symbols md5sums ... */
  controlFiles: { name: string; bytes: Uint8Array }[];
  /** Every path the package installed, in archive order ("/." first as dpkg lists; dirs included; "/" is written as "/."). */
  paths: string[];
  /** Conffiles with the md5 (lowercase hex) of their shipped content, in `conffiles` order. */
  conffiles: { path: string; md5: string }[];
};

/** A generated path under /var/lib/dpkg: a regular file with its bytes, or a directory. */
export type DpkgDatabaseEntry = { path: string; mode: number; bytes: Uint8Array } | { path: string; mode: number; dir: true };

/** Options of dpkgDatabase: the native architecture and the foreign ones (`dpkg --add-architecture`). */
export type DpkgDatabaseOptions = { arch: string; foreignArchs: string[] };

const ADMINDIR = '/var/lib/dpkg';
// Maintainer scripts dpkg runs (deb-preinst(5) ...; debconf's `config`): executable in info/.
const SCRIPTS = new Set(['preinst', 'postinst', 'prerm', 'postrm', 'config']);
// dpkg's MAXCONTROLFILENAME (src/main/unpack.c refuses longer control member names).
const MAX_CONTROL_FILE_NAME = 100;
// parse.c nicknames: old spellings dpkg reads as the canonical field.
const NICKNAMES = new Map([['recommended', 'Recommends'], ['optional', 'Suggests'], ['class', 'Priority']]);
// Relationship fields in parse.c fieldinfos order (their place in the status paragraph).
const RELATION_FIELDS = ['Replaces', 'Provides', 'Depends', 'Pre-Depends', 'Recommends', 'Suggests', 'Breaks', 'Conflicts', 'Enhances'] as const;
// fieldinfos entries written only to `available` (w_filecharf) or never (w_null): a control file
// value is read and dropped, as dpkg does.
const DROPPED = new Set(['filename', 'size', 'md5sum', 'msdos-filename']);
// Database-only fields; dpkg refuses them in a package's control file (pdb_rejectstatus).
const REJECTED = new Set(['status', 'config-version', 'conffiles', 'triggers-pending', 'triggers-awaited', 'revision', 'package-revision', 'package_revision']);
// Every field fieldinfos knows; the rest are "arbitrary" fields, written after them in control order.
const KNOWN = new Set([
  'package', 'essential', 'protected', 'priority', 'section', 'installed-size', 'origin', 'maintainer', 'bugs', 'architecture',
  'multi-arch', 'source', 'version', 'description', ...RELATION_FIELDS.map((f) => f.toLowerCase()), ...DROPPED, ...REJECTED,
]);
const PRIORITIES = ['required', 'important', 'standard', 'optional', 'extra'];
const MULTI_ARCH = ['no', 'same', 'allowed', 'foreign'];

const utf8 = new TextEncoder();

/** A parsed package: what the status paragraph, the info files and the trigger files need. */
type Parsed = { name: string; arch: string; infoName: string; paragraph: string; input: DpkgPackageInput };

/**
 * The files (and directories) dpkg would have under /var/lib/dpkg after `dpkg --unpack` of `pkgs`
 * in this order (scripts not run): status, info/*, triggers/*, arch, format, empty available,
 * diversions and statoverride. Sorted by path, parents first; deterministic bytes.
 */
export function dpkgDatabase(pkgs: DpkgPackageInput[], opts: DpkgDatabaseOptions): DpkgDatabaseEntry[] {
  const parsed = pkgs.map((p) => parsePackage(p));
  const byInfoName = new Map<string, Parsed>();
  for (const p of parsed) {
    const other = byInfoName.get(p.infoName) ?? byInfoName.get(p.name);
    if (other !== undefined) throw new FormatError('deb822', `package ${p.infoName} is given twice (${other.infoName} and ${p.infoName}); dpkg keeps one instance unless both are Multi-Arch: same`);
    byInfoName.set(p.infoName, p);
  }

  const out: DpkgDatabaseEntry[] = [];
  const file = (rel: string, text: string | Uint8Array, mode = 0o644): void => {
    out.push({ path: `${ADMINDIR}/${rel}`, mode, bytes: typeof text === 'string' ? utf8.encode(text) : text });
  };
  for (const dir of ['', '/info', '/triggers', '/updates']) out.push({ path: `${ADMINDIR}${dir}`, mode: 0o755, dir: true });

  // lib/dpkg/dump.c writedb: records sorted by name (strcmp), then architecture; each ends in a blank line.
  const sorted = [...parsed].sort((a, b) => byteCompare(a.name, b.name) || byteCompare(a.arch, b.arch));
  file('status', sorted.map((p) => `${p.paragraph}\n`).join(''));
  file('available', '');
  file('diversions', '');
  file('statoverride', '');
  // dpkg_arch_save_list: the native architecture, then the foreign ones as added.
  const archs = [opts.arch, ...opts.foreignArchs.filter((a, i, all) => a !== opts.arch && all.indexOf(a) === i)];
  file('arch', archs.map((a) => `${a}\n`).join(''));
  file('info/format', '1\n');

  for (const p of parsed) {
    file(`info/${p.infoName}.list`, p.input.paths.map((x) => `${listPath(x, p.infoName)}\n`).join(''));
    for (const member of p.input.controlFiles) {
      if (!installsAsInfo(member.name, p.infoName)) continue;
      file(`info/${p.infoName}.${member.name}`, member.bytes, SCRIPTS.has(member.name) ? 0o755 : 0o644);
    }
  }

  // Trigger interests (triglib.c): explicit ones in triggers/<name>, file ones in triggers/File,
  // lines appended in unpack order. Activations are not recorded: dpkg ignores them for packages
  // that are only unpacked (trig_record_activation wants at least triggers-awaited).
  const explicit = new Map<string, string[]>();
  const fileInterests: string[] = [];
  for (const p of parsed) {
    const member = p.input.controlFiles.find((m) => m.name === 'triggers');
    if (member === undefined) continue;
    for (const t of parseTriggers(new TextDecoder().decode(member.bytes), p.infoName)) {
      if (t.kind !== 'interest') continue;
      const who = `${p.infoName}${t.noawait ? '/noawait' : ''}`;
      if (t.name.startsWith('/')) {
        const line = `${t.name} ${who}`;
        if (!fileInterests.includes(line)) fileInterests.push(line);
      } else {
        const list = explicit.get(t.name) ?? [];
        if (!list.includes(who)) list.push(who);
        explicit.set(t.name, list);
      }
    }
  }
  file('triggers/Unincorp', '');
  if (fileInterests.length > 0) file('triggers/File', fileInterests.map((l) => `${l}\n`).join(''));
  for (const [name, lines] of explicit) file(`triggers/${name}`, lines.map((l) => `${l}\n`).join(''));

  return out.sort((a, b) => byteCompare(a.path, b.path));
}

/** strcmp order (UTF-16 code units equal bytes for the ASCII names and paths dpkg allows). */
function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** dpkg names the root of every package "/." in its .list file. */
function listPath(p: string, pkg: string): string {
  if (!p.startsWith('/') || p.includes('\n')) throw new FormatError('deb', `${pkg}: path ${JSON.stringify(p)} for the .list file must be absolute and on one line`);
  return p === '/' ? '/.' : p;
}

/** unpack.c pkg_infodb_update: which control members become info/<pkg>.<member>. */
function installsAsInfo(name: string, pkg: string): boolean {
  if (name === '' || name.includes('/') || name === '..') throw new FormatError('deb', `${pkg}: control member name ${JSON.stringify(name)} is not a plain file name`);
  if (name.includes('.')) return false; // dpkg skips names with a dot
  if (name.length > MAX_CONTROL_FILE_NAME) throw new FormatError('deb', `${pkg}: control member name ${JSON.stringify(name.slice(0, 50))}... is longer than ${MAX_CONTROL_FILE_NAME} bytes`);
  return name !== 'control' && name !== 'list'; // control goes to status; dpkg refuses a "list" member
}

/** One directive of a package's `triggers` control file (deb-triggers(5)). */
type TriggerDirective = { kind: 'interest' | 'activate'; name: string; noawait: boolean };

/** triglib.c trig_parse_ci: `#` comments, `interest[-await|-noawait] NAME`, `activate[...] NAME`. */
function parseTriggers(text: string, pkg: string): TriggerDirective[] {
  const out: TriggerDirective[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    const where = `${pkg} triggers line ${i + 1}`;
    if (m === null) throw new FormatError('deb', `${where}: expected "DIRECTIVE TRIGGER-NAME", got ${JSON.stringify(line)}`);
    const [, directive = '', name = ''] = m;
    const d = /^(interest|activate)(-await|-noawait)?$/.exec(directive);
    if (d === null) throw new FormatError('deb', `${where}: unknown directive ${JSON.stringify(directive)} (expected interest, interest-await, interest-noawait, activate, activate-await or activate-noawait)`);
    if (!/^[\x21-\x7e]+$/.test(name)) throw new FormatError('deb', `${where}: trigger name ${JSON.stringify(name)} has a blank or non-ASCII byte`);
    out.push({ kind: d[1] === 'interest' ? 'interest' : 'activate', name, noawait: d[2] === '-noawait' });
  }
  return out;
}

/** Reads one package's control paragraph and renders its status record (no trailing blank line). */
function parsePackage(input: DpkgPackageInput): Parsed {
  const paragraphs = parseDeb822(input.control, { file: 'control' });
  const para = paragraphs[0];
  if (para === undefined || paragraphs.length !== 1) throw new FormatError('deb822', `a control file must hold exactly one paragraph, found ${paragraphs.length}`, { file: 'control' });
  const name = para.get('Package') ?? '';
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) throw new FormatError('deb822', `Package ${JSON.stringify(name)} is not a valid package name (lowercase alphanumerics and +.-, at least two)`, { file: 'control' });
  const file = `${name} control`;
  const bad = (field: string, why: string): FormatError => new FormatError('deb822', `${field}: ${why}`, { file });

  // Canonical field -> value, with nicknames folded (parse.c pkg_parse_field).
  const values = new Map<string, string>();
  const arbitrary: { name: string; value: string }[] = [];
  for (const f of para.fields) {
    const canon = NICKNAMES.get(f.name.toLowerCase()) ?? f.name;
    const key = canon.toLowerCase();
    if (REJECTED.has(key)) throw bad(f.name, 'is a dpkg database field and not allowed in a control file');
    if (values.has(key)) throw bad(canon, 'given twice');
    if (KNOWN.has(key)) values.set(key, f.value);
    else if (f.value !== '') arbitrary.push({ name: f.name, value: f.value });
  }
  const get = (field: string): string | undefined => {
    const v = values.get(field.toLowerCase());
    return v === undefined || v === '' ? undefined : v;
  };

  const arch = get('Architecture');
  if (arch === undefined) throw bad('Architecture', 'missing (dpkg needs it for an unpacked package)');
  const multiArch = choice(get('Multi-Arch') ?? 'no', MULTI_ARCH, () => bad('Multi-Arch', `expected one of ${MULTI_ARCH.join(', ')}`));
  if (multiArch === 'same' && arch === 'all') throw bad('Multi-Arch', 'same is not allowed for Architecture: all');
  const versionText = get('Version');
  if (versionText === undefined) throw bad('Version', 'missing');
  const version = formatVersion(versionText, () => bad('Version', `invalid version ${JSON.stringify(versionText)}`));

  const lines: string[] = [`Package: ${name}`];
  const put = (field: string, value: string | undefined): void => {
    if (value !== undefined) lines.push(`${field}: ${value}`);
  };
  for (const flag of ['Essential', 'Protected']) {
    const v = get(flag);
    if (v !== undefined && choice(v, ['yes', 'no'], () => bad(flag, 'expected yes or no')) === 'yes') put(flag, 'yes');
  }
  put('Status', 'install ok unpacked');
  const priority = get('Priority');
  put('Priority', priority === undefined ? undefined : (PRIORITIES.find((p) => p === priority.toLowerCase()) ?? priority));
  for (const field of ['Section', 'Installed-Size', 'Origin', 'Maintainer', 'Bugs']) put(field, get(field));
  put('Architecture', arch);
  put('Multi-Arch', multiArch === 'no' ? undefined : multiArch);
  put('Source', get('Source'));
  put('Version', version);
  for (const field of RELATION_FIELDS) {
    const v = get(field);
    if (v !== undefined) put(field, formatRelations(v, field, file));
  }
  if (input.conffiles.length > 0) {
    lines.push('Conffiles:');
    for (const c of input.conffiles) {
      if (!c.path.startsWith('/') || /\s/.test(c.path)) throw bad('Conffiles', `path ${JSON.stringify(c.path)} must be absolute without blanks`);
      if (!/^[0-9a-f]{32}$/.test(c.md5)) throw bad('Conffiles', `md5 of ${c.path} must be 32 lowercase hex digits, got ${JSON.stringify(c.md5)}`);
      lines.push(` ${c.path} ${c.md5}`);
    }
  }
  put('Description', get('Description'));
  for (const f of arbitrary) put(f.name, f.value);

  // pkgbin_name(pnaw_same): Multi-Arch: same instances are arch-qualified in info/ and triggers/.
  const infoName = multiArch === 'same' ? `${name}:${arch}` : name;
  return { name, arch, infoName, paragraph: `${lines.join('\n')}\n`, input };
}

/** parse_nv: a case-insensitive match against the allowed words, returned canonical. */
function choice(value: string, allowed: readonly string[], err: () => FormatError): string {
  const hit = allowed.find((a) => a === value.toLowerCase());
  if (hit === undefined) throw err();
  return hit;
}

/** varbufversion(vdew_nonambig): the epoch only when non-zero, the revision only when present. */
function formatVersion(text: string, err: () => FormatError): string {
  try {
    return formatDebianVersion(parseDebianVersion(text));
  } catch {
    throw err();
  }
}

/** dump.c varbufdependency: `name[:arch] (op version)`, alternatives ` | `, entries `, `. */
function formatRelations(value: string, field: string, file: string): string {
  const one = (r: DebRelation): string => {
    if (r.arches !== undefined || r.profiles !== undefined) throw new FormatError('deb822', `${field}: architecture or build-profile restrictions are not allowed in a binary package`, { file });
    if (r.op === undefined || r.version === undefined) return r.name;
    const op = r.op === '<' ? '<<' : r.op === '>' ? '>>' : r.op;
    const version = r.version;
    return `${r.name} (${op} ${formatVersion(version, () => new FormatError('deb822', `${field}: invalid version ${JSON.stringify(version)}`, { file }))})`;
  };
  return parseDebRelations(value, { field, file })
    .map((e) => ('anyOf' in e ? e.anyOf.map(one).join(' | ') : one(e)))
    .join(', ');
}

/** The status paragraph of one control file (exported for tests and `pkg info`-style tools). */
export function dpkgStatusParagraph(input: DpkgPackageInput): string {
  return parsePackage(input).paragraph;
}
