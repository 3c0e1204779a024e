// An independent checker of a solution (architecture.md §8: `verify(pool, jobs, solve(...))`):
// it reads the installed records directly, with its own matching written from the semantics in
// depsolve.md §2-3, and shares nothing with the rule generator, so a rule bug cannot hide itself.
import { compareDebianVersions, isRichDep, parseRichDep, rpmDepOverlaps, type DebPackageRecord, type DebRelation, type PackageRecord, type RichDep, type RpmDepEntry, type RpmPackageRecord } from '../pkg/index.js';

/** One broken rule of a solution. */
export type Violation = { package: string; kind: 'requires' | 'conflicts' | 'obsoletes' | 'same-name' | 'job'; detail: string };

const id = (r: PackageRecord): string => (r.kind === 'rpm' ? `${r.name}-${r.epoch > 0 ? `${r.epoch}:` : ''}${r.version}-${r.release}.${r.arch}` : `${r.name}=${r.version}:${r.arch}`);

/** Checks that `installed` satisfies every hard rule among its own packages and names every requested name. */
export function verifySolution(
  installed: readonly PackageRecord[],
  opts: { arch: string; requested?: readonly string[]; installonly?: readonly string[]; fileOwners?: ReadonlyMap<string, readonly PackageRecord[]> },
): Violation[] {
  const out: Violation[] = [];
  const rpm = installed.filter((r): r is RpmPackageRecord => r.kind === 'rpm');
  const deb = installed.filter((r): r is DebPackageRecord => r.kind === 'deb');
  if (rpm.length > 0) checkRpm(rpm, opts, out);
  if (deb.length > 0) checkDeb(deb, opts.arch, out);
  for (const spec of opts.requested ?? []) {
    const name = spec.split(/[=:]/)[0] ?? spec;
    if (!installed.some((r) => r.name === name || r.name === spec)) out.push({ package: spec, kind: 'job', detail: `requested ${spec} is not installed` });
  }
  return out;
}

// ---- rpm ----

function rpmProvides(p: RpmPackageRecord, dep: RpmDepEntry, fileOwners: ReadonlyMap<string, readonly PackageRecord[]> | undefined): boolean {
  if (dep.name.startsWith('/')) {
    if (p.files.includes(dep.name)) return true;
    if (fileOwners?.get(dep.name)?.includes(p) === true) return true;
  }
  if (p.provides.some((e) => e.name === dep.name && rpmDepOverlaps(e, dep))) return true;
  const evr = `${p.epoch > 0 ? `${p.epoch}:` : ''}${p.version}-${p.release}`;
  return p.name === dep.name && !p.provides.some((e) => e.name === p.name) && rpmDepOverlaps({ name: p.name, flags: 0x08, evr }, dep);
}

/**
 * Evaluates a rich dependency over a package set (depsolve.md §2.3); `with`/`without` need one
 * package. In Conflicts, `A unless B` means "A installed and B not", `A if B` "both installed".
 */
function evalRich(d: RichDep, set: readonly RpmPackageRecord[], fo: ReadonlyMap<string, readonly PackageRecord[]> | undefined, conflicts = false): boolean {
  const single = (e: RichDep, p: RpmPackageRecord): boolean => {
    switch (e.op) {
      case 'dep':
        return rpmProvides(p, { name: e.dep.name, flags: e.dep.flags, evr: e.dep.evr }, fo);
      case 'and':
      case 'with':
        return e.args.every((a) => single(a, p));
      case 'or':
        return e.args.some((a) => single(a, p));
      case 'without':
        return single(e.args[0], p) && !single(e.args[1], p);
      case 'if':
      case 'unless':
        return false;
    }
  };
  switch (d.op) {
    case 'dep':
      return set.some((p) => rpmProvides(p, { name: d.dep.name, flags: d.dep.flags, evr: d.dep.evr }, fo));
    case 'and':
      return d.args.every((a) => evalRich(a, set, fo, conflicts));
    case 'or':
      return d.args.some((a) => evalRich(a, set, fo, conflicts));
    case 'with':
    case 'without':
      return set.some((p) => single(d, p));
    case 'if': {
      const [a, b, c] = d.args;
      const otherwise = c === undefined ? !conflicts : evalRich(c, set, fo, conflicts);
      return evalRich(b, set, fo, conflicts) ? evalRich(a, set, fo, conflicts) : otherwise;
    }
    case 'unless': {
      const [a, b, c] = d.args;
      const otherwise = c === undefined ? !conflicts : evalRich(c, set, fo, conflicts);
      return evalRich(b, set, fo, conflicts) ? otherwise : evalRich(a, set, fo, conflicts);
    }
  }
}

function holdsRpm(dep: RpmDepEntry, set: readonly RpmPackageRecord[], fo: ReadonlyMap<string, readonly PackageRecord[]> | undefined, conflicts = false): boolean {
  if (dep.rich === true || isRichDep(dep.name)) return evalRich(parseRichDep(dep.name), set, fo, conflicts);
  return set.some((p) => rpmProvides(p, dep, fo));
}

function checkRpm(set: RpmPackageRecord[], opts: { installonly?: readonly string[]; fileOwners?: ReadonlyMap<string, readonly PackageRecord[]> }, out: Violation[]): void {
  const fo = opts.fileOwners;
  const installonly = new Set(opts.installonly ?? []);
  for (const p of set) {
    for (const dep of p.requires) {
      if (dep.name.startsWith('rpmlib(')) continue;
      if (!holdsRpm(dep, set, fo)) out.push({ package: id(p), kind: 'requires', detail: dep.name });
    }
    const others = set.filter((o) => o !== p);
    for (const dep of p.conflicts) {
      if (holdsRpm(dep, others, fo, true)) out.push({ package: id(p), kind: 'conflicts', detail: dep.name });
    }
    for (const dep of p.obsoletes) {
      for (const o of others) {
        const evr = `${o.epoch > 0 ? `${o.epoch}:` : ''}${o.version}-${o.release}`;
        if (o.name === dep.name && rpmDepOverlaps({ name: o.name, flags: 0x08, evr }, dep)) out.push({ package: id(p), kind: 'obsoletes', detail: id(o) });
      }
    }
    const isOnly = installonly.has(p.name) || p.provides.some((e) => installonly.has(e.name));
    if (!isOnly) {
      for (const o of others) {
        if (o.name !== p.name) continue;
        if (o.arch !== p.arch && o.arch !== 'noarch' && p.arch !== 'noarch') continue;
        out.push({ package: id(p), kind: 'same-name', detail: id(o) });
      }
    }
  }
}

// ---- deb ----

function debArch(r: DebPackageRecord, native: string): string {
  return r.arch === 'all' ? native : r.arch;
}

function versionOk(op: DebRelation['op'], want: string | undefined, have: string): boolean {
  if (op === undefined || want === undefined) return true;
  const c = compareDebianVersions(have, want);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '=' ? c === 0 : op === '>=' ? c >= 0 : c > 0;
}

/** Whether q satisfies relation `rel` of p (dpkg deparchsatisfied + versioned provides, §3.3, §3.5). */
function debSatisfies(rel: DebRelation, p: DebPackageRecord, q: DebPackageRecord, native: string, conflict: boolean): boolean {
  const [name, qual] = rel.name.split(':') as [string, string | undefined];
  const qa = debArch(q, native);
  const archOk = qual === undefined ? qa === debArch(p, native) || q.multiArch === 'foreign' : qual === 'any' ? conflict || q.multiArch === 'allowed' : qual === 'native' ? qa === native : qa === qual;
  if (!archOk) return false;
  if (q.name === name && versionOk(rel.op, rel.version, q.version)) return true;
  return q.provides.some((pr) => pr.name === name && (rel.op === undefined || (pr.op === '=' && pr.version !== undefined && versionOk(rel.op, rel.version, pr.version))));
}

function checkDeb(set: DebPackageRecord[], native: string, out: Violation[]): void {
  // Candidates by name: the package itself and its Provides (a plain index, no matching logic).
  const byName = new Map<string, DebPackageRecord[]>();
  const index = (name: string, q: DebPackageRecord): void => {
    const list = byName.get(name);
    if (list === undefined) byName.set(name, [q]);
    else if (!list.includes(q)) list.push(q);
  };
  for (const q of set) {
    index(q.name, q);
    for (const pr of q.provides) index(pr.name, q);
  }
  const near = (rel: DebRelation): DebPackageRecord[] => byName.get(rel.name.split(':')[0] ?? rel.name) ?? [];
  for (const p of set) {
    for (const group of [...p.preDepends, ...p.depends]) {
      const rels = 'anyOf' in group ? group.anyOf : [group];
      if (!rels.some((rel) => near(rel).some((q) => debSatisfies(rel, p, q, native, false)))) out.push({ package: id(p), kind: 'requires', detail: rels.map((r) => r.name).join(' | ') });
    }
    for (const rel of [...p.conflicts, ...p.breaks]) {
      for (const q of near(rel)) if (q !== p && debSatisfies(rel, p, q, native, true)) out.push({ package: id(p), kind: 'conflicts', detail: `${rel.name} (${id(q)})` });
    }
    for (const q of byName.get(p.name) ?? []) {
      if (q === p || q.name !== p.name) continue;
      const bothSame = p.multiArch === 'same' && q.multiArch === 'same' && debArch(p, native) !== debArch(q, native) && compareDebianVersions(p.version, q.version) === 0;
      if (!bothSame) out.push({ package: id(p), kind: 'same-name', detail: id(q) });
    }
  }
}
