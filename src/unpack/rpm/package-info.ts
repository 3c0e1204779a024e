import type { PackageDep, PackageDepExpr, PackageScript } from '../types.js';
import type { RpmHeader } from './header.js';
import { DEP_KINDS, RPMSENSE, RPMSENSE_QUALIFIERS, SCRIPTLETS, TAG, TRIGGER_KINDS } from './tags.js';

/*
 * Package-level metadata from the main header (pure): dependencies (rpm lib/rpmds.c), scriptlets
 * (lib/rpmscript.c) and triggers (lib/rpmtriggers.c, rpmds.c rpmdsNew with trigger indexes).
 */

/** A scriptlet as rpm stores it. */
export type RpmScriptlet = {
  /** `prein`, `postin`, `preun`, `postun`, `pretrans`, `posttrans`, `preuntrans`, `postuntrans`, `verifyscript`. */
  name: string;
  body: string;
  /** Interpreter and its arguments (`*PROG`: a string or a string array); `/bin/sh` when absent, as rpmscript.c defaults. */
  interpreter: string[];
  /** RPMSCRIPT_FLAG_* bits (`*FLAGS`), 0 when absent. */
  flags: number;
};

/** One condition of a trigger: the package (or path prefix, for file triggers) and version range. */
export type RpmTriggerCondition = { name: string; op: PackageDep['op']; version: string | undefined; flags: number };

/** A %trigger scriptlet with its conditions. */
export type RpmTrigger = {
  kind: 'prein' | 'in' | 'un' | 'postun';
  body: string;
  interpreter: string[];
  flags: number;
  conditions: RpmTriggerCondition[];
};

/** A %filetrigger / %transfiletrigger scriptlet: prefixes it watches and its priority. */
export type RpmFileTrigger = RpmTrigger & { scope: 'file' | 'transaction'; priority: number | undefined };

/** The comparison of dependency flags (RPMSENSE_LESS/GREATER/EQUAL), or a FormatError text. */
export function senseOp(flags: number): PackageDep['op'] | 'invalid' {
  const lt = (flags & RPMSENSE.LESS) !== 0;
  const gt = (flags & RPMSENSE.GREATER) !== 0;
  const eq = (flags & RPMSENSE.EQUAL) !== 0;
  if (lt && gt) return 'invalid';
  if (lt) return eq ? '<=' : '<';
  if (gt) return eq ? '>=' : '>';
  return eq ? '=' : undefined;
}

/** Qualifier names of the non-comparison dependency flag bits (rpmds.h), in bit order. */
export function senseQualifiers(flags: number): string[] {
  return RPMSENSE_QUALIFIERS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
}

/** Reads the parallel NAME/FLAGS/VERSION arrays of one dependency kind. */
function depTriples(h: RpmHeader, nameTag: number, flagsTag: number, versionTag: number): { name: string; flags: number; version: string }[] {
  const names = h.strings(nameTag) ?? [];
  const flags = h.numbers(flagsTag);
  const versions = h.strings(versionTag);
  if (flags !== undefined && flags.length !== names.length) throw h.error(flagsTag, `has ${flags.length} elements, ${h.tagName(nameTag)} has ${names.length}`);
  if (versions !== undefined && versions.length !== names.length) throw h.error(versionTag, `has ${versions.length} elements, ${h.tagName(nameTag)} has ${names.length}`);
  return names.map((name, i) => ({ name, flags: flags?.[i] ?? 0, version: versions?.[i] ?? '' }));
}

/**
 * Dependencies by kind (requires, provides, conflicts, obsoletes, recommends, suggests,
 * supplements, enhances, orderwithrequires), in header order. Rich dependencies (names that
 * start with `(`) are kept as their text.
 */
export function readDeps(h: RpmHeader): Record<string, PackageDepExpr[]> {
  const out: Record<string, PackageDepExpr[]> = {};
  for (const [kind, nameTag, flagsTag, versionTag] of DEP_KINDS) {
    out[kind] = depTriples(h, nameTag, flagsTag, versionTag).map(({ name, flags, version }): PackageDepExpr => {
      if (name.startsWith('(')) return { rich: name };
      const op = senseOp(flags);
      if (op === 'invalid') throw h.error(flagsTag, `dependency ${JSON.stringify(name)} has both < and > in its flags (0x${flags.toString(16)})`);
      const qualifiers = senseQualifiers(flags);
      const dep: PackageDep = { name, op, version: version === '' ? undefined : version };
      return qualifiers.length > 0 ? { ...dep, qualifiers } : dep;
    });
  }
  return out;
}

/** Formats a dependency as `rpm -q --requires` prints it: `name`, or `name op [E:]V[-R]`. */
export function formatDep(d: PackageDepExpr): string {
  if ('rich' in d) return d.rich;
  if ('anyOf' in d) return d.anyOf.map(formatDep).join(' | ');
  if (d.op === undefined) return d.version === undefined ? d.name : `${d.name} ${d.version}`;
  return `${d.name} ${d.op} ${d.version ?? ''}`;
}

/** Interpreter of a scriptlet from its PROG tag (string or string array); rpm defaults to /bin/sh. */
function interpreterOf(h: RpmHeader, progTag: number): string[] {
  const prog = h.strings(progTag);
  return prog === undefined || prog.length === 0 ? ['/bin/sh'] : prog;
}

/** Scriptlets present (a body, or only an interpreter as in `%post -p /sbin/ldconfig`). */
export function readScriptlets(h: RpmHeader): RpmScriptlet[] {
  const out: RpmScriptlet[] = [];
  for (const [name, bodyTag, progTag, flagsTag] of SCRIPTLETS) {
    if (!h.has(bodyTag) && !h.has(progTag)) continue;
    out.push({ name, body: h.string(bodyTag) ?? '', interpreter: interpreterOf(h, progTag), flags: h.number(flagsTag) ?? 0 });
  }
  return out;
}

/** The scriptlets as PackageInfo lists them (interpreter joined with spaces). */
export function toPackageScripts(s: readonly RpmScriptlet[]): PackageScript[] {
  return s.map((x) => ({ name: x.name, interpreter: x.interpreter.join(' '), body: x.body }));
}

type TriggerTags = { scripts: number; progs: number; scriptFlags: number; names: number; versions: number; flags: number; index: number };

/**
 * Triggers: condition i (NAME/VERSION/FLAGS) belongs to script INDEX[i]; the script's kind comes
 * from the RPMSENSE_TRIGGER* bit of its conditions (rpmtriggers.c / rpmds.c).
 */
function readTriggerSet(h: RpmHeader, t: TriggerTags): RpmTrigger[] {
  const scripts = h.strings(t.scripts) ?? [];
  const progs = h.strings(t.progs);
  const sflags = h.numbers(t.scriptFlags);
  const conds = depTriples(h, t.names, t.flags, t.versions);
  const index = h.numbers(t.index);
  if (conds.length > 0 && (index === undefined || index.length !== conds.length)) {
    throw h.error(t.index, `has ${index?.length ?? 0} elements for ${conds.length} trigger conditions`);
  }
  const out: RpmTrigger[] = scripts.map((body, j) => ({
    kind: 'in',
    body,
    interpreter: progs?.[j] === undefined || progs[j] === '' ? ['/bin/sh'] : [progs[j]],
    flags: sflags?.[j] ?? 0,
    conditions: [],
  }));
  conds.forEach((c, i) => {
    const j = index?.[i] ?? 0;
    const trig = out[j];
    if (trig === undefined) throw h.error(t.index, `condition ${i} refers to script ${j}, but there are ${scripts.length}`);
    const kind = TRIGGER_KINDS.find(([bit]) => (c.flags & bit) !== 0)?.[1];
    if (kind === undefined) throw h.error(t.flags, `trigger condition ${JSON.stringify(c.name)} has no trigger type bit (0x${c.flags.toString(16)})`);
    trig.kind = kind;
    const op = senseOp(c.flags);
    if (op === 'invalid') throw h.error(t.flags, `trigger condition ${JSON.stringify(c.name)} has both < and >`);
    trig.conditions.push({ name: c.name, op, version: c.version === '' ? undefined : c.version, flags: c.flags });
  });
  return out;
}

/** %trigger* scriptlets (TRIGGERNAME/VERSION/FLAGS/INDEX/SCRIPTS/SCRIPTPROG/SCRIPTFLAGS). */
export function readTriggers(h: RpmHeader): RpmTrigger[] {
  return readTriggerSet(h, {
    scripts: TAG.TRIGGERSCRIPTS, progs: TAG.TRIGGERSCRIPTPROG, scriptFlags: TAG.TRIGGERSCRIPTFLAGS,
    names: TAG.TRIGGERNAME, versions: TAG.TRIGGERVERSION, flags: TAG.TRIGGERFLAGS, index: TAG.TRIGGERINDEX,
  });
}

/** %filetrigger* and %transfiletrigger* scriptlets, with their priorities. */
export function readFileTriggers(h: RpmHeader): RpmFileTrigger[] {
  const file = readTriggerSet(h, {
    scripts: TAG.FILETRIGGERSCRIPTS, progs: TAG.FILETRIGGERSCRIPTPROG, scriptFlags: TAG.FILETRIGGERSCRIPTFLAGS,
    names: TAG.FILETRIGGERNAME, versions: TAG.FILETRIGGERVERSION, flags: TAG.FILETRIGGERFLAGS, index: TAG.FILETRIGGERINDEX,
  });
  const trans = readTriggerSet(h, {
    scripts: TAG.TRANSFILETRIGGERSCRIPTS, progs: TAG.TRANSFILETRIGGERSCRIPTPROG, scriptFlags: TAG.TRANSFILETRIGGERSCRIPTFLAGS,
    names: TAG.TRANSFILETRIGGERNAME, versions: TAG.TRANSFILETRIGGERVERSION, flags: TAG.TRANSFILETRIGGERFLAGS, index: TAG.TRANSFILETRIGGERINDEX,
  });
  const fp = h.numbers(TAG.FILETRIGGERPRIORITIES);
  const tp = h.numbers(TAG.TRANSFILETRIGGERPRIORITIES);
  return [
    ...file.map((t, j) => ({ ...t, scope: 'file' as const, priority: fp?.[j] })),
    ...trans.map((t, j) => ({ ...t, scope: 'transaction' as const, priority: tp?.[j] })),
  ];
}
