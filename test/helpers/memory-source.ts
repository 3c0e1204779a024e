// An in-memory PackageSource (src/solver/types.ts) over a records array, and terse record
// builders, for solver tests: the same indexing rules as repos/package-index.ts (providing =
// Provides names, plus the primary file paths for rpm; flagged = deb Essential/Priority, rpm
// packages with Supplements), with no files or caches involved.
import { isRichDep, parseDebRelations, parseRpmDep, type DebPackageRecord, type DebRelation, type DebRelationExpr, type PackageRecord, type RpmDepEntry, type RpmPackageRecord } from '../../src/pkg/index.js';
import type { PackageSource, PoolRepo } from '../../src/solver/index.js';

type Flag = Parameters<PackageSource['flagged']>[0];

/** A PackageSource holding `records` in memory (record i is `records[i]`). */
export function memorySource(records: readonly PackageRecord[]): PackageSource {
  const named = new Map<string, number[]>();
  const providing = new Map<string, number[]>();
  const obsoleting = new Map<string, number[]>();
  const flagged: Record<Flag, number[]> = { essential: [], required: [], important: [], standard: [], supplements: [] };
  // apt gives a name its id when a paragraph first mentions it: the package, its relationship
  // targets in field order, its Provides (research-apt §6); `n:any`/`n:ARCH` are other records.
  const mention = new Map<string, number>();
  const mentioned = (name: string): void => {
    if (!name.includes(':') && !mention.has(name)) mention.set(name, mention.size);
  };
  const push = (m: Map<string, number[]>, key: string, i: number): void => {
    const list = m.get(key);
    if (list === undefined) m.set(key, [i]);
    else if (list[list.length - 1] !== i) list.push(i);
  };
  records.forEach((r, i) => {
    push(named, r.name, i);
    mentioned(r.name);
    if (r.kind === 'deb') {
      for (const field of [r.preDepends, r.depends, r.conflicts, r.breaks, r.recommends, r.suggests, r.replaces, r.enhances]) {
        for (const e of field) for (const rel of 'anyOf' in e ? e.anyOf : [e]) mentioned(rel.name);
      }
      for (const p of r.provides) mentioned(p.name);
    }
    for (const p of r.provides) push(providing, p.name, i);
    if (r.kind === 'rpm') {
      for (const f of r.files) push(providing, f, i);
      for (const o of r.obsoletes) push(obsoleting, o.name, i);
      if (r.supplements.length > 0) flagged.supplements.push(i);
    } else {
      if (r.essential) flagged.essential.push(i);
      if (r.priority === 'required' || r.priority === 'important' || r.priority === 'standard') flagged[r.priority].push(i);
    }
  });
  const names = [...named.keys()].sort();
  return {
    size: records.length,
    record(i) {
      const r = records[i];
      if (r === undefined) throw new RangeError(`memorySource: no record ${i}`);
      return r;
    },
    named: (name) => named.get(name) ?? [],
    providing: (name) => providing.get(name) ?? [],
    obsoleting: (name) => obsoleting.get(name) ?? [],
    flagged: (flag) => flagged[flag],
    names: () => names,
    order(i) {
      const r = records[i];
      if (r === undefined) throw new RangeError(`memorySource: no record ${i}`);
      return r.kind === 'deb' ? (mention.get(r.name) ?? i) : i;
    },
  };
}

/** A pool repo over records in memory; deb priority defaults to 500, rpm to 99 (see PoolRepo). */
export function memoryRepo(id: string, records: readonly PackageRecord[], opts: { priority?: number; cost?: number; fileProviders?: ReadonlyMap<string, readonly number[]> } = {}): PoolRepo {
  const deb = records[0]?.kind === 'deb';
  const repo: PoolRepo = { id, priority: opts.priority ?? (deb ? 500 : 99), cost: opts.cost ?? 1000, sources: [memorySource(records)] };
  if (opts.fileProviders !== undefined) repo.fileProviders = opts.fileProviders;
  return repo;
}

// ---- deb records ----

/** Fields of `deb()`: relationship fields as written in a Packages paragraph. */
export type DebSpec = {
  name: string;
  version?: string;
  arch?: string;
  multiArch?: DebPackageRecord['multiArch'];
  essential?: boolean;
  priority?: string;
  repoId?: string;
  depends?: string;
  preDepends?: string;
  recommends?: string;
  conflicts?: string;
  breaks?: string;
  provides?: string;
};

const rels = (value: string | undefined, field: string): DebRelationExpr[] => (value === undefined ? [] : parseDebRelations(value, { field }));
const flat = (value: string | undefined, field: string): DebRelation[] => rels(value, field).map((e) => ('anyOf' in e ? (e.anyOf[0] as DebRelation) : e));

/** A deb record with defaults (version 1.0, amd64, priority optional) and parsed relationship fields. */
export function deb(spec: DebSpec): DebPackageRecord {
  const version = spec.version ?? '1.0';
  const arch = spec.arch ?? 'amd64';
  const r: DebPackageRecord = {
    kind: 'deb',
    name: spec.name,
    version,
    arch,
    essential: spec.essential ?? false,
    priority: spec.priority ?? 'optional',
    repoId: spec.repoId ?? 'main',
    location: `pool/main/${spec.name}_${version}_${arch}.deb`,
    size: 1000,
    digest: { algo: 'sha256', hex: '0'.repeat(64) },
    installedSize: 1,
    depends: rels(spec.depends, 'depends'),
    preDepends: rels(spec.preDepends, 'pre-depends'),
    recommends: rels(spec.recommends, 'recommends'),
    suggests: [],
    enhances: [],
    conflicts: flat(spec.conflicts, 'conflicts'),
    breaks: flat(spec.breaks, 'breaks'),
    provides: flat(spec.provides, 'provides'),
    replaces: [],
  };
  if (spec.multiArch !== undefined) r.multiArch = spec.multiArch;
  return r;
}

// ---- rpm records ----

/** Fields of `rpm()`: dependencies as rpm prints them (`bar >= 2.0`, `(a or b)`). */
export type RpmSpec = {
  name: string;
  /** `[E:]V-R`; default `1.0-1`. */
  evr?: string;
  arch?: string;
  repoId?: string;
  provides?: string[];
  requires?: string[];
  conflicts?: string[];
  obsoletes?: string[];
  recommends?: string[];
  supplements?: string[];
  files?: string[];
};

/** An rpm dependency entry from its printed form; a `(`-expression becomes a rich entry. */
export function rpmEntry(s: string): RpmDepEntry {
  if (isRichDep(s)) return { name: s, flags: 0, evr: '', rich: true };
  const d = parseRpmDep(s);
  return { name: d.name, flags: d.flags, evr: d.evr };
}

/** An rpm record with defaults (1.0-1, noarch) and the automatic `N = EVR` provide as rpmbuild adds it. */
export function rpm(spec: RpmSpec): RpmPackageRecord {
  const m = /^(?:(\d+):)?([^-]+)-(.+)$/.exec(spec.evr ?? '1.0-1');
  if (m === null) throw new Error(`rpm(): bad evr ${spec.evr ?? ''}`);
  const epoch = Number(m[1] ?? '0');
  const version = m[2] ?? '';
  const release = m[3] ?? '';
  const arch = spec.arch ?? 'noarch';
  const evr = `${epoch > 0 ? `${epoch}:` : ''}${version}-${release}`;
  const provides = (spec.provides ?? []).map(rpmEntry);
  if (!provides.some((p) => p.name === spec.name)) provides.push({ name: spec.name, flags: 0x08, evr });
  return {
    kind: 'rpm',
    name: spec.name,
    epoch,
    version,
    release,
    arch,
    repoId: spec.repoId ?? 'main',
    location: `Packages/${spec.name}-${version}-${release}.${arch}.rpm`,
    digest: { algo: 'sha256', hex: '0'.repeat(64) },
    size: 1000,
    installedSize: 1,
    provides,
    requires: (spec.requires ?? []).map(rpmEntry),
    conflicts: (spec.conflicts ?? []).map(rpmEntry),
    obsoletes: (spec.obsoletes ?? []).map(rpmEntry),
    recommends: (spec.recommends ?? []).map(rpmEntry),
    suggests: [],
    supplements: (spec.supplements ?? []).map(rpmEntry),
    enhances: [],
    files: spec.files ?? [],
  };
}
