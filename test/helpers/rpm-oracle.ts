/*
 * dnf and libsolv's testsolv as oracles for RPM resolution (depsolve.md §7.5, §7.6).
 *
 * dnf: its Python API under /usr/bin/python3, in one process for a batch of requests, configured
 * as the CLI would be with a private installroot, no system repo and no config files; each
 * package spec goes through `Base.install` (dnf's own selector logic: a name request also takes
 * the packages that obsolete it), then `Base.resolve`. For a failure dnf's own words are kept:
 * "No match for argument: X" for an unknown spec and the DepsolveError text otherwise.
 * `dnfCli` runs the `dnf` command itself for a cross-check that the API route is the CLI's.
 *
 * testsolv: `repo2solv -F` (full file lists) per repo, and a testcase with dnf's pool and job
 * setup: `poolflags implicitobsoleteusescolors` (libdnf sets it: different arches of a name
 * co-install), repo priority and cost as libdnf maps them (`-priority.-cost`), `job multiversion
 * provides` for each of dnf's default installonlypkgs, `solverflags ignorerecommended` when weak
 * deps are off, and one `job install oneof ...` per spec with the packages dnf's selector matched
 * (`job install name X` when it matched none, which testsolv reports as a problem).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** dnf's default installonlypkgs (libdnf 0.69; depsolve.md §2.6). */
export const INSTALLONLY_PKGS = ['kernel', 'kernel-PAE', 'installonlypkg(kernel)', 'installonlypkg(kernel-module)', 'installonlypkg(vm)', 'multiversion(kernel)'] as const;

/** One repository of a request. */
export type OracleRepo = { id: string; dir: string; priority: number; cost: number };

/** One resolve request: install `packages` from `repos` on an empty x86_64 system. */
export type OracleRequest = { key: string; repos: OracleRepo[]; packages: string[]; weak: boolean };

/** An installed package as an oracle reports it. */
export type OraclePackage = { name: string; epoch: number; version: string; release: string; arch: string; repo: string };

/** What an oracle says about a request. */
export type OracleResult =
  | { ok: true; packages: OraclePackage[] }
  | {
      ok: false;
      /** Specs that matched nothing ("No match for argument"). */
      notFound: string[];
      /** One line per problem rule, in the oracle's words ("nothing provides X needed by P"). */
      rules: string[];
      /**
       * The rules grouped by problem: dnf lists every rule of a problem, `testsolv -r` only the
       * one libsolv picks as its cause (solver_findproblemrule).
       */
      problems: string[][];
      /** The oracle's whole problem text. */
      text: string;
    };

/** dnf's answer plus, per spec, the packages its selectors matched (`NEVRA@repo`). */
export type DnfResult = OracleResult & { jobs: Record<string, string[][]> };

/** `[E:]V-R` with the epoch left out when 0, as the lockfile writes it. */
export function evrOf(p: { epoch: number; version: string; release: string }): string {
  return `${p.epoch > 0 ? `${p.epoch}:` : ''}${p.version}-${p.release}`;
}

/** `name-[E:]V-R.arch`, dnf's and libsolv's way of naming a package. */
export function nevraOf(p: OraclePackage): string {
  return `${p.name}-${evrOf(p)}.${p.arch}`;
}

const DNF_PY = String.raw`
import json, os, sys
import dnf, dnf.exceptions, dnf.subject

def nevra(p):
    e = '%d:' % p.epoch if p.epoch else ''
    return '%s-%s%s-%s.%s@%s' % (p.name, e, p.version, p.release, p.arch, p.reponame)

req = json.load(sys.stdin)
out = {}
for r in req['requests']:
    root = os.path.join(req['tmp'], 'root-%d' % len(out))
    os.makedirs(root)
    base = dnf.Base()
    c = base.conf
    c.installroot = root
    c.cachedir = os.path.join(req['tmp'], 'cache')
    c.reposdir = []
    c.substitutions['arch'] = 'x86_64'
    c.substitutions['basearch'] = 'x86_64'
    c.substitutions['releasever'] = '1'
    c.install_weak_deps = r['weak']
    c.gpgcheck = False
    for repo in r['repos']:
        base.repos.add_new_repo(repo['id'], c, baseurl=[repo['baseurl']], gpgcheck=False,
                                priority=repo['priority'], cost=repo['cost'])
    base.fill_sack(load_system_repo=False)
    jobs = {}
    not_found = []
    texts = []
    for spec in r['packages']:
        sltrs = dnf.subject.Subject(spec)._get_best_selectors(base, obsoletes=c.obsoletes)
        jobs[spec] = [sorted(nevra(p) for p in s.matches()) for s in sltrs]
        try:
            base.install(spec)
        except dnf.exceptions.MarkingError as e:
            not_found.append(spec)
            texts.append('%s: %s' % (e.value, spec))
    if not_found:
        # strict=1 (the default): dnf stops before resolving ("Unable to find a match").
        out[r['key']] = {'ok': False, 'notFound': not_found, 'rules': texts, 'problems': [[t] for t in texts], 'text': '\n'.join(texts), 'jobs': jobs}
    else:
        try:
            base.resolve()
        except dnf.exceptions.DepsolveError as e:
            out[r['key']] = {'ok': False, 'notFound': [], 'rules': [], 'problems': [], 'text': str(e), 'jobs': jobs}
        else:
            pkgs = [{'name': p.name, 'epoch': p.epoch, 'version': p.version, 'release': p.release,
                     'arch': p.arch, 'repo': p.reponame} for p in base.transaction.install_set]
            out[r['key']] = {'ok': True, 'packages': pkgs, 'jobs': jobs}
    base.close()
json.dump(out, sys.stdout)
`;

/**
 * The rules of a dnf problem text, per problem: "Problem[ N]: first rule" starts one, the
 * "  - rule" lines under it continue it (dnf's _format_resolve_problems).
 */
export function dnfProblems(text: string): string[][] {
  const problems: string[][] = [];
  for (const line of text.split('\n')) {
    const first = /^\s*Problem(?: \d+)?: (.*)$/.exec(line);
    if (first !== null) {
      problems.push([(first[1] ?? '').trim()]);
      continue;
    }
    const next = /^\s+- (.*)$/.exec(line);
    const last = problems[problems.length - 1];
    if (next !== null && last !== undefined) last.push((next[1] ?? '').trim());
  }
  return problems;
}

/** Runs a child with `input` on stdin; resolves with stdout, fails with stderr on a non-zero exit. */
function runWithInput(cmd: string, args: string[], input: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 });
    });
    child.stdin.end(input);
  });
}

/** Resolves every request with dnf's Python API, in one python3 process. */
export async function dnfResolve(requests: readonly OracleRequest[]): Promise<Map<string, DnfResult>> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'jigtree-dnf-oracle-'));
  try {
    const input = JSON.stringify({
      tmp,
      requests: requests.map((r) => ({ key: r.key, packages: r.packages, weak: r.weak, repos: r.repos.map((repo) => ({ id: repo.id, baseurl: pathToFileURL(repo.dir).href, priority: repo.priority, cost: repo.cost })) })),
    });
    const res = await runWithInput('/usr/bin/python3', ['-c', DNF_PY], input, { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    if (res.code !== 0) throw new Error(`the dnf oracle (python3 -c ... import dnf) failed with exit ${res.code}:\n${res.stderr}`);
    const raw = JSON.parse(res.stdout) as Record<string, DnfResult>;
    const out = new Map<string, DnfResult>();
    for (const r of requests) {
      const d = raw[r.key];
      if (d === undefined) throw new Error(`the dnf oracle gave no answer for ${r.key}`);
      if (!d.ok && d.notFound.length === 0) {
        d.problems = dnfProblems(d.text);
        d.rules = d.problems.flat();
        if (d.rules.length === 0) throw new Error(`the dnf oracle failed ${r.key} without a problem: ${d.text}`);
      }
      out.set(r.key, d);
    }
    return out;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `repo2solv -F` (with full file lists) of one rpm-md repo directory into `out`. */
export async function repo2solv(repoDir: string, out: string): Promise<void> {
  await mkdir(path.dirname(out), { recursive: true });
  await run('repo2solv', ['-F', '-o', out, repoDir]);
}

/** libdnf's repo priority mapping: libsolv priority = -priority, subpriority = -cost. */
function testsolvPriority(repo: OracleRepo): string {
  return `${-repo.priority}.${-repo.cost}`;
}

/**
 * The testcase for one request; `solv` maps repo id to its .solv file, `jobs` are dnf's selector
 * matches per spec (see the header comment).
 */
export function testcaseText(req: OracleRequest, solv: ReadonlyMap<string, string>, jobs: Record<string, string[][]>): string {
  const lines = ['poolflags implicitobsoleteusescolors', 'repo system 0 empty'];
  for (const repo of req.repos) {
    const file = solv.get(repo.id);
    if (file === undefined) throw new Error(`no .solv file for repo ${repo.id}`);
    lines.push(`repo ${repo.id} ${testsolvPriority(repo)} solv ${file}`);
  }
  lines.push('system x86_64 rpm system');
  if (!req.weak) lines.push('solverflags ignorerecommended');
  for (const p of INSTALLONLY_PKGS) lines.push(`job multiversion provides ${p}`);
  for (const spec of req.packages) {
    const sels = jobs[spec] ?? [];
    if (sels.length === 0) lines.push(`job install name ${spec}`);
    for (const sel of sels) lines.push(`job install oneof ${sel.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses `testsolv -r` output: `install NEVRA@repo` lines and `problem ID info TEXT` lines. */
export function parseTestsolv(stdout: string): OracleResult {
  const packages: OraclePackage[] = [];
  const rules: string[] = [];
  const notFound: string[] = [];
  for (const line of stdout.split('\n')) {
    const inst = /^install (\S+)@(\S+)$/.exec(line);
    if (inst !== null) {
      const nevra = /^(.+)-(?:(\d+):)?([^-:]+)-([^-]+)\.([^.]+)$/.exec(inst[1] ?? '');
      if (nevra === null) throw new Error(`testsolv: cannot parse ${JSON.stringify(line)}`);
      const [, name = '', epoch, version = '', release = '', arch = ''] = nevra;
      packages.push({ name, epoch: epoch === undefined ? 0 : Number(epoch), version, release, arch, repo: inst[2] ?? '' });
      continue;
    }
    const prob = /^problem \S+ info (.*)$/.exec(line);
    if (prob !== null) {
      const text = prob[1] ?? '';
      rules.push(text);
      // libsolv's words for a name job that matches nothing
      const nf = /^package (\S+) does not exist$/.exec(text) ?? /^nothing provides requested (\S+)$/.exec(text);
      if (nf?.[1] !== undefined) notFound.push(nf[1]);
      continue;
    }
    if (/^problem \S+ solution /.test(line) || line.trim() === '') continue;
    throw new Error(`testsolv: unexpected output line ${JSON.stringify(line)}`);
  }
  if (rules.length > 0) return { ok: false, notFound, rules, problems: rules.map((r) => [r]), text: rules.join('\n') };
  return { ok: true, packages };
}

/** Resolves one request with testsolv; `solv` maps repo id to its `repo2solv -F` file. */
export async function testsolvResolve(req: OracleRequest, solv: ReadonlyMap<string, string>, jobs: Record<string, string[][]>): Promise<OracleResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'jigtree-testsolv-'));
  try {
    await writeFile(path.join(dir, 'case.t'), testcaseText(req, solv, jobs));
    // testsolv joins repo file names to the testcase's directory, even absolute ones: give it a
    // bare file name so that directory is empty. It reports unreadable input on stderr only.
    const { stdout, stderr } = await run('testsolv', ['-r', 'case.t'], { cwd: dir, maxBuffer: 16 << 20 });
    if (stderr.trim() !== '') throw new Error(`testsolv complained about the testcase of ${req.key}: ${stderr.trim()}`);
    return parseTestsolv(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the dnf command line (`dnf --installroot ... --assumeno install ...`, depsolve.md §7.5)
 * and reads its transaction table, for a cross-check of the API route.
 */
export async function dnfCli(req: OracleRequest): Promise<OracleResult> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'jigtree-dnf-cli-'));
  try {
    const args = [
      `--installroot=${root}`, '--releasever=1', '--setopt=reposdir=/dev/null', `--setopt=cachedir=${root}/.cache`,
      '--setopt=gpgcheck=0', `--setopt=install_weak_deps=${req.weak ? 'True' : 'False'}`, '--forcearch=x86_64', '--disablerepo=*',
    ];
    for (const repo of req.repos) {
      args.push(`--repofrompath=${repo.id},${pathToFileURL(repo.dir).href}`, `--setopt=${repo.id}.priority=${repo.priority}`, `--setopt=${repo.id}.cost=${repo.cost}`, `--setopt=${repo.id}.gpgcheck=0`, `--enablerepo=${repo.id}`);
    }
    args.push('--assumeno', 'install', ...req.packages);
    const res = await runWithInput('dnf', args, '', { env: { ...process.env, LC_ALL: 'C.UTF-8', COLUMNS: '200' } });
    return parseDnfCli(`${res.stdout}\n${res.stderr}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Reads dnf's CLI output: the "Installing..." sections of the table, or its problems. */
export function parseDnfCli(out: string): OracleResult {
  const notFound = [...out.matchAll(/^No match for argument: (\S+)$/gm)].map((m) => m[1] ?? '');
  if (notFound.length > 0) {
    const rules = notFound.map((n) => `No match for argument: ${n}`);
    return { ok: false, notFound, rules, problems: rules.map((r) => [r]), text: out };
  }
  if (/^\s*Problem(?: \d+)?: /m.test(out)) {
    const text = out.slice(out.search(/^\s*Problem/m));
    const problems = dnfProblems(text);
    return { ok: false, notFound: [], rules: problems.flat(), problems, text };
  }
  const packages: OraclePackage[] = [];
  let inInstall = false;
  for (const line of out.split('\n')) {
    if (/^Installing( dependencies| weak dependencies)?:$/.test(line)) {
      inInstall = true;
      continue;
    }
    if (/^\S/.test(line)) inInstall = false;
    if (!inInstall) continue;
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const [name = '', arch = '', evr = '', repo = ''] = cols;
    const m = /^(?:(\d+):)?([^-]+)-(.+)$/.exec(evr);
    if (m === null) throw new Error(`dnf: cannot parse ${JSON.stringify(line)}`);
    packages.push({ name, epoch: m[1] === undefined ? 0 : Number(m[1]), version: m[2] ?? '', release: m[3] ?? '', arch, repo });
  }
  if (packages.length === 0) throw new Error(`dnf printed no transaction:\n${out}`);
  return { ok: true, packages };
}

/**
 * The kinds of problem rule in a dnf/libsolv rule line, named as our ProblemRule kinds, with
 * the dependency for the kinds that have one.
 */
export function classifyRule(line: string): { kind: 'not-found' | 'nothing-provides' | 'requires' | 'conflicts' | 'obsoletes' | 'same-name' | 'job' | 'other'; dep?: string } {
  let m: RegExpExecArray | null;
  if ((m = /^No match for argument: (.+)$/.exec(line)) !== null) return { kind: 'not-found', dep: m[1] ?? '' };
  if ((m = /^package (\S+) does not exist$/.exec(line)) !== null) return { kind: 'not-found', dep: m[1] ?? '' };
  if ((m = /^nothing provides requested (.+)$/.exec(line)) !== null) return { kind: 'not-found', dep: m[1] ?? '' };
  if ((m = /^nothing provides (.+) needed by \S+(?: from \S+)?$/.exec(line)) !== null) return { kind: 'nothing-provides', dep: m[1] ?? '' };
  if ((m = /^package \S+(?: from \S+)? requires (.+), but none of the providers can be installed$/.exec(line)) !== null) return { kind: 'requires', dep: m[1] ?? '' };
  if (/^package \S+(?: from \S+)? conflicts with /.test(line) || /^\S+ conflicts with /.test(line)) return { kind: 'conflicts' };
  if (/^package \S+(?: from \S+)? obsoletes /.test(line) || /^installed package \S+ obsoletes/.test(line)) return { kind: 'obsoletes' };
  if (/^cannot install both /.test(line)) return { kind: 'same-name' };
  if (/^conflicting requests$/.test(line) || /^cannot install the best candidate for the job$/.test(line)) return { kind: 'job' };
  return { kind: 'other' };
}

/** The parts of `jigtree resolve --json` output the comparison reads (interfaces of issue 4). */
export type ResolveJson = {
  packages: { name: string; evr: string; arch: string; repo: string }[];
  problems: { text: string; rules: { kind: string; dep?: string; text: string }[] }[];
};

/** Rule kinds whose presence in dnf's explanation our explanation must repeat. */
const KINDS_TO_MATCH = new Set(['not-found', 'nothing-provides', 'conflicts', 'obsoletes', 'same-name']);

/**
 * The differences between dnf's answer and one `jigtree resolve --json` run (empty: equal).
 * A solvable request must give exit 0 and exactly dnf's `name-evr.arch@repo` set; an impossible
 * one exit 1 and, for every missing capability or unknown name dnf names, a rule of the same
 * kind with the same `dep`, and for every conflict, obsoletes or same-name rule in dnf's text a
 * rule of that kind.
 */
export function diffAgainstDnf(dnf: OracleResult, run: { code: number; stdout: string; stderr: string }): string[] {
  let ours: ResolveJson;
  try {
    ours = JSON.parse(run.stdout) as ResolveJson;
    if (!Array.isArray(ours.packages) || !Array.isArray(ours.problems)) throw new Error('no packages/problems arrays');
  } catch (err) {
    return [`jigtree exited ${run.code} without the --json object (${(err as Error).message}); stderr: ${run.stderr.trim().slice(0, 2000)}`];
  }
  const diffs: string[] = [];
  const ourRules = ours.problems.flatMap((p) => p.rules);
  if (dnf.ok) {
    if (run.code !== 0) diffs.push(`exit ${run.code}, dnf resolves it; our problems: ${ours.problems.map((p) => p.text).join(' | ')}`);
    const want = new Set(dnf.packages.map((p) => `${nevraOf(p)}@${p.repo}`));
    const got = new Set(ours.packages.map((p) => `${p.name}-${p.evr}.${p.arch}@${p.repo}`));
    const missing = [...want].filter((x) => !got.has(x)).sort();
    const extra = [...got].filter((x) => !want.has(x)).sort();
    if (missing.length > 0) diffs.push(`missing (dnf installs): ${missing.join(' ')}`);
    if (extra.length > 0) diffs.push(`extra (dnf does not install): ${extra.join(' ')}`);
    return diffs;
  }
  if (run.code !== 1) diffs.push(`exit ${run.code}, expected 1 (dnf: ${dnf.rules.join(' | ')})`);
  for (const line of dnf.rules) {
    const c = classifyRule(line);
    if (!KINDS_TO_MATCH.has(c.kind)) continue;
    const hit = ourRules.some((r) => r.kind === c.kind && (c.dep === undefined || r.dep === c.dep));
    if (!hit) diffs.push(`no ${c.kind} rule${c.dep !== undefined ? ` with dep ${JSON.stringify(c.dep)}` : ''} (dnf: "${line}"); ours: ${JSON.stringify(ourRules.map((r) => [r.kind, r.dep]))}`);
  }
  return diffs;
}

/**
 * How two oracle answers differ (empty: they agree): the same set, or the same problems. With
 * `partial` (testsolv, which names one rule per problem) each problem's rules need only be among
 * dnf's rules of the same problem; otherwise (dnf API against dnf CLI) they must be equal.
 */
export function oraclesAgree(dnf: OracleResult, ts: OracleResult, mode: 'partial' | 'exact' = 'partial'): string[] {
  if (dnf.ok && ts.ok) {
    const a = dnf.packages.map((p) => `${nevraOf(p)}@${p.repo}`).sort();
    const b = ts.packages.map((p) => `${nevraOf(p)}@${p.repo}`).sort();
    return a.join(' ') === b.join(' ') ? [] : [`dnf: ${a.join(' ')}`, `other: ${b.join(' ')}`];
  }
  if (!dnf.ok && !ts.ok) {
    // dnf stops at an unknown spec before solving; libsolv says "package X does not exist".
    if (dnf.notFound.length > 0 || ts.notFound.length > 0) {
      const a = [...dnf.notFound].sort().join(' ');
      const b = [...ts.notFound].sort().join(' ');
      return a === b ? [] : [`dnf: no match for ${a}`, `other: no match for ${b}`];
    }
    // The same problems, and for each the rule testsolv names is one of the rules dnf lists.
    const same =
      dnf.problems.length === ts.problems.length &&
      ts.problems.every((p, i) => {
        const d = dnf.problems[i] ?? [];
        return mode === 'exact' ? p.join('\n') === d.join('\n') : p.every((rule) => d.includes(rule));
      });
    return same ? [] : [`dnf: ${dnf.problems.map((p) => p.join(' + ')).join(' | ')}`, `other: ${ts.problems.map((p) => p.join(' + ')).join(' | ')}`];
  }
  return [`dnf ${dnf.ok ? 'resolves' : 'fails'}: ${dnf.ok ? dnf.packages.map(nevraOf).join(' ') : dnf.rules.join(' | ')}`, `other ${ts.ok ? 'resolves' : 'fails'}: ${ts.ok ? ts.packages.map(nevraOf).join(' ') : ts.rules.join(' | ')}`];
}
