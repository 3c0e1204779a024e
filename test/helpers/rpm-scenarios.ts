/*
 * Generated rpm-md scenario repositories for the RPM resolve oracle test
 * (test/oracle/resolve-rpm.test.ts). Each scenario is one or more tiny repositories whose
 * packages are described here as data; the builder writes one spec per package, builds it with
 * rpmbuild (twice, `--target x86_64` and `--target i686`, for multilib packages) and indexes each
 * repository with createrepo_c. Every request names the packages to install and, as `want`, the
 * outcome the scenario is designed to show, which the test checks against dnf first, so a scenario
 * that stopped exercising its point is noticed (depsolve.md §2, §7.5, §7.6).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, utimesSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUILD_DIR, SHARED_TOOLS } from './paths.js';

const run = promisify(execFile);

/** Where the scenario repositories are built (git-ignored). */
export const RPM_SCENARIO_DIR = path.join(BUILD_DIR, 'rpm-scenarios');
/** Fixed build time, so a rebuild gives the same packages and repodata. */
const SOURCE_DATE_EPOCH = 1747699200;
/** Bumped when the builder changes what it produces from the same scenario data. */
const BUILDER_VERSION = '1';

/** One package of a scenario: a spec is generated from it. */
export type ScenarioPackage = {
  name: string;
  version: string;
  release?: string;
  epoch?: number;
  /** `multilib` builds the same spec for x86_64 and i686 (rpmbuild --target). */
  arch: 'noarch' | 'x86_64' | 'i686' | 'multilib';
  requires?: string[];
  provides?: string[];
  conflicts?: string[];
  obsoletes?: string[];
  recommends?: string[];
  suggests?: string[];
  supplements?: string[];
  enhances?: string[];
  /** Paths the package ships; default one file under /usr/share/<name>/. */
  files?: string[];
};

/** One repository of a scenario; priority and cost as in dnf (defaults 99 and 1000). */
export type ScenarioRepo = {
  id: string;
  priority?: number;
  cost?: number;
  /** createrepo_c --general-compress-type (default gz), to vary what the loader reads. */
  compress?: 'gz' | 'xz' | 'bz2';
  packages: ScenarioPackage[];
};

/**
 * What a request is designed to show, checked against dnf: the exact set as `name-[E:]V-R.arch`
 * (plus `@repo` when `repos` is given), or a failure naming what dnf names.
 */
export type Want =
  | { install: string[]; withRepo?: true }
  | { fail: 'nothing-provides'; dep: string }
  | { fail: 'not-found'; dep: string }
  | { fail: 'conflicts' }
  | { fail: 'obsoletes' }
  | { fail: 'same-name' };

/** One resolve request: the treefile's `packages` and `recommends`. */
export type ScenarioRequest = {
  id: string;
  packages: string[];
  /** dnf install_weak_deps; default true. */
  recommends?: boolean;
  /** Why the request is here. */
  note: string;
  want: Want;
};

/** A named set of repositories and the requests resolved against them. */
export type Scenario = {
  name: string;
  description: string;
  repos: ScenarioRepo[];
  requests: ScenarioRequest[];
};

const noarch = (name: string, version: string, more: Partial<ScenarioPackage> = {}): ScenarioPackage => ({ name, version, arch: 'noarch', ...more });
const x86 = (name: string, version: string, more: Partial<ScenarioPackage> = {}): ScenarioPackage => ({ name, version, arch: 'x86_64', ...more });

/** The scenarios; names are kebab-case and double as directory names. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'rich-deps',
    description: 'boolean dependencies (depsolve.md §2.3) in Requires, Conflicts, Recommends and Supplements',
    repos: [
      {
        id: 'rich',
        packages: [
          ...['dep-a', 'dep-b', 'dep-c', 'dep-d', 'dep-e'].map((n) => noarch(n, '1.0')),
          noarch('r-and', '1.0', { requires: ['(dep-a and dep-b)'] }),
          noarch('r-or', '1.0', { requires: ['(dep-e or dep-b)'] }),
          noarch('r-if', '1.0', { requires: ['(dep-c if dep-d)'] }),
          noarch('r-ifelse', '1.0', { requires: ['(dep-c if dep-d else dep-e)'] }),
          // rpm allows `unless` only in or-like contexts (Conflicts, Supplements), `if` only in
          // and-like ones (Requires, Recommends): depsolve.md §2.3.
          noarch('r-unless', '1.0', { conflicts: ['(dep-c unless dep-d)'] }),
          noarch('r-unless-else', '1.0', { conflicts: ['(dep-c unless dep-d else dep-e)'] }),
          noarch('r-nested', '1.0', { requires: ['((dep-d or dep-b) and (dep-c or dep-e))'] }),
          noarch('r-with', '1.0', { requires: ['(cap-w with cap-w-feature)'] }),
          noarch('w-plain', '1.0', { provides: ['cap-w'] }),
          noarch('w-feature-only', '1.0', { provides: ['cap-w-feature'] }),
          noarch('w-full', '1.0', { provides: ['cap-w', 'cap-w-feature'] }),
          noarch('r-without', '1.0', { requires: ['(cap-v without cap-v-debug)'] }),
          noarch('v-debug', '1.0', { provides: ['cap-v', 'cap-v-debug'] }),
          noarch('v-plain', '1.0', { provides: ['cap-v'] }),
          noarch('r-conflicts', '1.0', { conflicts: ['(dep-a and dep-b)'] }),
          noarch('r-rec', '1.0', { recommends: ['(dep-d or dep-e)', '(dep-c if dep-a)'] }),
          noarch('r-app', '1.0'),
          noarch('r-locale', '1.0'),
          noarch('r-lang', '1.0', { supplements: ['(r-app and r-locale)'] }),
        ],
      },
    ],
    requests: [
      { id: 'and', packages: ['r-and'], note: '(a and b) needs both', want: { install: ['r-and-1.0-1.noarch', 'dep-a-1.0-1.noarch', 'dep-b-1.0-1.noarch'] } },
      { id: 'or', packages: ['r-or'], note: '(dep-e or dep-b): one of them, the choice is policy', want: { install: ['r-or-1.0-1.noarch', 'dep-b-1.0-1.noarch'] } },
      { id: 'if-untriggered', packages: ['r-if'], note: '(c if d) with d absent needs nothing', want: { install: ['r-if-1.0-1.noarch'] } },
      { id: 'if-triggered', packages: ['r-if', 'dep-d'], note: '(c if d) with d requested pulls c', want: { install: ['r-if-1.0-1.noarch', 'dep-c-1.0-1.noarch', 'dep-d-1.0-1.noarch'] } },
      { id: 'if-else', packages: ['r-ifelse'], note: '(c if d else e): the d-or-e clause is decided by name order, which picks d and so c (depsolve.md §2.3)', want: { install: ['r-ifelse-1.0-1.noarch', 'dep-c-1.0-1.noarch', 'dep-d-1.0-1.noarch'] } },
      { id: 'if-else-e', packages: ['r-ifelse', 'dep-e'], note: '(c if d else e) with e requested needs nothing else', want: { install: ['r-ifelse-1.0-1.noarch', 'dep-e-1.0-1.noarch'] } },
      { id: 'unless-conflict', packages: ['r-unless', 'dep-c'], note: 'Conflicts: (c unless d) with c requested: the solver adds d to lift the conflict', want: { install: ['r-unless-1.0-1.noarch', 'dep-c-1.0-1.noarch', 'dep-d-1.0-1.noarch'] } },
      { id: 'unless-lifted', packages: ['r-unless', 'dep-c', 'dep-d'], note: 'Conflicts: (c unless d) with d too is fine', want: { install: ['r-unless-1.0-1.noarch', 'dep-c-1.0-1.noarch', 'dep-d-1.0-1.noarch'] } },
      { id: 'unless-else-ok', packages: ['r-unless-else', 'dep-d', 'dep-c'], note: 'Conflicts: (c unless d else e) with d and c', want: { install: ['r-unless-else-1.0-1.noarch', 'dep-c-1.0-1.noarch', 'dep-d-1.0-1.noarch'] } },
      { id: 'unless-else-conflict', packages: ['r-unless-else', 'dep-d', 'dep-e'], note: 'Conflicts: (c unless d else e) with d and e', want: { fail: 'conflicts' } },
      { id: 'nested', packages: ['r-nested'], note: 'nested ((d or b) and (c or e))', want: { install: ['r-nested-1.0-1.noarch', 'dep-b-1.0-1.noarch', 'dep-c-1.0-1.noarch'] } },
      { id: 'with', packages: ['r-with'], note: '(w with w-feature): one package must provide both', want: { install: ['r-with-1.0-1.noarch', 'w-full-1.0-1.noarch'] } },
      { id: 'without', packages: ['r-without'], note: '(v without v-debug): the provider must not provide v-debug', want: { install: ['r-without-1.0-1.noarch', 'v-plain-1.0-1.noarch'] } },
      { id: 'conflicts-half', packages: ['r-conflicts', 'dep-a'], note: 'Conflicts: (a and b) with only a is fine', want: { install: ['r-conflicts-1.0-1.noarch', 'dep-a-1.0-1.noarch'] } },
      { id: 'conflicts-both', packages: ['r-conflicts', 'dep-a', 'dep-b'], note: 'Conflicts: (a and b) with both requested is impossible', want: { fail: 'conflicts' } },
      { id: 'recommends-rich', packages: ['r-rec', 'dep-a'], note: 'Recommends (d or e) and (c if a)', want: { install: ['r-rec-1.0-1.noarch', 'dep-a-1.0-1.noarch', 'dep-c-1.0-1.noarch', 'dep-d-1.0-1.noarch'] } },
      { id: 'recommends-rich-off', packages: ['r-rec', 'dep-a'], recommends: false, note: 'the same with weak deps off', want: { install: ['r-rec-1.0-1.noarch', 'dep-a-1.0-1.noarch'] } },
      { id: 'supplements-rich', packages: ['r-app', 'r-locale'], note: 'Supplements: (app and locale) is pulled when both are installed', want: { install: ['r-app-1.0-1.noarch', 'r-locale-1.0-1.noarch', 'r-lang-1.0-1.noarch'] } },
      { id: 'supplements-rich-half', packages: ['r-app'], note: 'Supplements: (app and locale) with only app is not pulled', want: { install: ['r-app-1.0-1.noarch'] } },
      { id: 'supplements-rich-off', packages: ['r-app', 'r-locale'], recommends: false, note: 'Supplements are weak: off with weak deps off', want: { install: ['r-app-1.0-1.noarch', 'r-locale-1.0-1.noarch'] } },
    ],
  },
  {
    name: 'file-deps',
    description: 'file dependencies inside and outside primary.xml\'s file subset, explicit path Provides, file Conflicts (depsolve.md §2.5)',
    repos: [
      {
        id: 'files',
        compress: 'xz',
        packages: [
          x86('fd-data', '1.0', { files: ['/usr/share/fd-data/table.txt'] }),
          noarch('fd-consumer', '1.0', { requires: ['/usr/share/fd-data/table.txt'] }),
          x86('fd-tool', '1.0', { files: ['/usr/bin/fd-tool'] }),
          noarch('fd-bin-user', '1.0', { requires: ['/usr/bin/fd-tool'] }),
          noarch('fd-conf', '1.0', { files: ['/etc/fd.conf'] }),
          noarch('fd-etc-user', '1.0', { requires: ['/etc/fd.conf'] }),
          noarch('fd-virtual', '1.0', { provides: ['/opt/fd/plugin'] }),
          noarch('fd-plugin-user', '1.0', { requires: ['/opt/fd/plugin'] }),
          noarch('fd-missing', '1.0', { requires: ['/usr/share/nowhere/file'] }),
          noarch('fd-anti-tool', '1.0', { conflicts: ['/usr/bin/fd-tool'] }),
        ],
      },
    ],
    requests: [
      { id: 'outside-primary', packages: ['fd-consumer'], note: 'a path only filelists.xml has', want: { install: ['fd-consumer-1.0-1.noarch', 'fd-data-1.0-1.x86_64'] } },
      { id: 'usr-bin', packages: ['fd-bin-user'], note: 'a /usr/bin path (in primary)', want: { install: ['fd-bin-user-1.0-1.noarch', 'fd-tool-1.0-1.x86_64'] } },
      { id: 'etc', packages: ['fd-etc-user'], note: 'an /etc path (in primary)', want: { install: ['fd-etc-user-1.0-1.noarch', 'fd-conf-1.0-1.noarch'] } },
      { id: 'provides-path', packages: ['fd-plugin-user'], note: 'a path satisfied by an explicit Provides, no file', want: { install: ['fd-plugin-user-1.0-1.noarch', 'fd-virtual-1.0-1.noarch'] } },
      { id: 'missing-path', packages: ['fd-missing'], note: 'a path nobody has', want: { fail: 'nothing-provides', dep: '/usr/share/nowhere/file' } },
      { id: 'file-conflict', packages: ['fd-anti-tool', 'fd-bin-user'], note: 'Conflicts: /usr/bin/fd-tool against a package shipping it', want: { fail: 'conflicts' } },
    ],
  },
  {
    name: 'obsoletes',
    description: 'a renamed package: new-tool obsoletes and provides old-tool (depsolve.md §2.6)',
    repos: [
      {
        id: 'ren',
        packages: [
          noarch('old-tool', '1.0'),
          noarch('new-tool', '2.0', { obsoletes: ['old-tool < 2.0'], provides: ['old-tool = 2.0'] }),
          noarch('legacy-user', '1.0', { requires: ['old-tool'] }),
          noarch('pinned-user', '1.0', { requires: ['old-tool < 2.0'] }),
        ],
      },
    ],
    requests: [
      { id: 'new-name', packages: ['new-tool'], note: 'the new name', want: { install: ['new-tool-2.0-1.noarch'] } },
      { id: 'old-name', packages: ['old-tool'], note: 'dnf adds obsoleters to a name request: the old name gets the new package', want: { install: ['new-tool-2.0-1.noarch'] } },
      { id: 'dependency-on-old-name', packages: ['legacy-user'], note: 'Requires: old-tool, provided by both', want: { install: ['legacy-user-1.0-1.noarch', 'new-tool-2.0-1.noarch'] } },
      { id: 'pinned-old', packages: ['pinned-user'], note: 'Requires: old-tool < 2.0 only the old package satisfies', want: { install: ['pinned-user-1.0-1.noarch', 'old-tool-1.0-1.noarch'] } },
      { id: 'pinned-and-new', packages: ['pinned-user', 'new-tool'], note: 'the obsoleter and the obsoleted cannot be installed together', want: { fail: 'obsoletes' } },
    ],
  },
  {
    name: 'conflicts',
    description: 'Conflicts between names, versioned Conflicts, and a provider choice that must avoid a conflict',
    repos: [
      {
        id: 'conf',
        packages: [
          noarch('c-a', '1.0', { conflicts: ['c-b'] }),
          noarch('c-b', '1.0'),
          noarch('c-user', '1.0', { requires: ['c-a'] }),
          noarch('c-lib', '1.0'),
          noarch('c-lib', '2.0'),
          noarch('c-versioned', '1.0', { conflicts: ['c-lib < 2.0'] }),
          noarch('c-old-user', '1.0', { requires: ['c-lib = 1.0'] }),
          noarch('c-mail-client', '1.0', { requires: ['mta'] }),
          noarch('mta-a', '1.0', { provides: ['mta'], conflicts: ['c-mail-client'] }),
          noarch('mta-b', '1.0', { provides: ['mta'] }),
        ],
      },
    ],
    requests: [
      { id: 'alone', packages: ['c-a'], note: 'no conflict', want: { install: ['c-a-1.0-1.noarch'] } },
      { id: 'pair', packages: ['c-a', 'c-b'], note: 'an impossible pair', want: { fail: 'conflicts' } },
      { id: 'pair-through-requires', packages: ['c-user', 'c-b'], note: 'the conflict reached through a Requires', want: { fail: 'conflicts' } },
      { id: 'versioned-ok', packages: ['c-versioned', 'c-lib'], note: 'Conflicts: c-lib < 2.0 with the newest c-lib', want: { install: ['c-versioned-1.0-1.noarch', 'c-lib-2.0-1.noarch'] } },
      { id: 'versioned-bad', packages: ['c-versioned', 'c-old-user'], note: 'Conflicts: c-lib < 2.0 against Requires: c-lib = 1.0', want: { fail: 'conflicts' } },
      { id: 'avoid-conflicting-provider', packages: ['c-mail-client'], note: 'mta-a would win by name but conflicts, so mta-b', want: { install: ['c-mail-client-1.0-1.noarch', 'mta-b-1.0-1.noarch'] } },
    ],
  },
  {
    name: 'multilib',
    description: 'x86_64 and i686 builds of the same spec; best arch for names, ISA provides (depsolve.md §2.4)',
    repos: [
      {
        id: 'ml',
        packages: [
          { name: 'mlib', version: '1.0', arch: 'multilib' },
          { name: 'ml-tool', version: '1.0', arch: 'multilib', requires: ['mlib'] },
          x86('ml-app', '1.0', { requires: ['mlib(x86-64)'] }),
          x86('ml-compat', '1.0', { requires: ['mlib(x86-32)'] }),
          { name: 'ml-only32', version: '1.0', arch: 'i686' },
          noarch('ml-noarch-user', '1.0', { requires: ['mlib'] }),
          { name: 'ml-mixed', version: '2.0', arch: 'i686' },
          x86('ml-mixed', '1.0'),
        ],
      },
    ],
    requests: [
      { id: 'name', packages: ['mlib'], note: 'a name request on x86_64 gives x86_64 only (multilib_policy=best)', want: { install: ['mlib-1.0-1.x86_64'] } },
      { id: 'isa-32', packages: ['ml-compat'], note: 'Requires: mlib(x86-32) pulls the i686 build, and the infarch rule then wants the x86_64 build of the same name too (depsolve.md §2.4)', want: { install: ['ml-compat-1.0-1.x86_64', 'mlib-1.0-1.i686', 'mlib-1.0-1.x86_64'] } },
      { id: 'both-arches', packages: ['ml-compat', 'ml-app'], note: 'both builds co-install (different colors)', want: { install: ['ml-app-1.0-1.x86_64', 'ml-compat-1.0-1.x86_64', 'mlib-1.0-1.i686', 'mlib-1.0-1.x86_64'] } },
      { id: 'unqualified-dep', packages: ['ml-tool'], note: 'Requires: mlib from the x86_64 tool takes the x86_64 lib', want: { install: ['ml-tool-1.0-1.x86_64', 'mlib-1.0-1.x86_64'] } },
      { id: 'only-32', packages: ['ml-only32'], note: 'a name that exists only as i686', want: { install: ['ml-only32-1.0-1.i686'] } },
      { id: 'noarch-user', packages: ['ml-noarch-user'], note: 'a noarch package requiring mlib', want: { install: ['ml-noarch-user-1.0-1.noarch', 'mlib-1.0-1.x86_64'] } },
      { id: 'arch-beats-version', packages: ['ml-mixed'], note: 'x86_64 1.0 beats i686 2.0', want: { install: ['ml-mixed-1.0-1.x86_64'] } },
    ],
  },
  {
    name: 'installonly',
    description: 'installonly (multiversion) names and provides: kernel and installonlypkg(kernel) (depsolve.md §2.6)',
    repos: [
      {
        id: 'ko',
        compress: 'bz2',
        packages: [
          x86('kernel', '5.0'),
          x86('kernel', '5.1'),
          x86('vmlinuz-extra', '1.0', { provides: ['installonlypkg(kernel)'] }),
          x86('vmlinuz-extra', '2.0', { provides: ['installonlypkg(kernel)'] }),
          noarch('kernel-both', '1.0', { requires: ['kernel = 5.0-1', 'kernel = 5.1-1'] }),
          noarch('kernel-pin-old', '1.0', { requires: ['kernel = 5.0'] }),
          noarch('extra-both', '1.0', { requires: ['vmlinuz-extra = 1.0', 'vmlinuz-extra = 2.0'] }),
          noarch('ctl', '1.0'),
          noarch('ctl', '2.0'),
          noarch('ctl-both', '1.0', { requires: ['ctl = 1.0', 'ctl = 2.0'] }),
        ],
      },
    ],
    requests: [
      { id: 'name', packages: ['kernel'], note: 'the newest kernel only', want: { install: ['kernel-5.1-1.x86_64'] } },
      { id: 'both-versions', packages: ['kernel-5.0', 'kernel-5.1'], note: 'both kernels requested by name-version: both installed', want: { install: ['kernel-5.0-1.x86_64', 'kernel-5.1-1.x86_64'] } },
      { id: 'both-through-requires', packages: ['kernel-both'], note: 'Requires of both versions: installonly lets both in', want: { install: ['kernel-both-1.0-1.noarch', 'kernel-5.0-1.x86_64', 'kernel-5.1-1.x86_64'] } },
      { id: 'pin-old', packages: ['kernel-pin-old'], note: 'Requires: kernel = 5.0 gives the older one only', want: { install: ['kernel-pin-old-1.0-1.noarch', 'kernel-5.0-1.x86_64'] } },
      { id: 'provides-installonly', packages: ['extra-both'], note: 'Provides: installonlypkg(kernel) makes another name multiversion', want: { install: ['extra-both-1.0-1.noarch', 'vmlinuz-extra-1.0-1.x86_64', 'vmlinuz-extra-2.0-1.x86_64'] } },
      { id: 'not-installonly', packages: ['ctl-both'], note: 'two versions of an ordinary name cannot co-install', want: { fail: 'same-name' } },
    ],
  },
  {
    name: 'weak-deps',
    description: 'Recommends, Supplements, Suggests and Enhances with weak deps on and off (depsolve.md §2.1)',
    repos: [
      {
        id: 'weak',
        packages: [
          noarch('w-app', '1.0', { recommends: ['w-rec', 'w-bad', 'w-nowhere'], suggests: ['w-sug'] }),
          noarch('w-rec', '1.0'),
          noarch('w-sug', '1.0'),
          noarch('w-bad', '1.0', { conflicts: ['w-app'] }),
          noarch('w-plugin', '1.0', { supplements: ['w-app'] }),
          noarch('w-enh', '1.0', { enhances: ['w-app'] }),
          noarch('w-locale', '1.0'),
          noarch('w-lang', '1.0', { supplements: ['(w-app and w-locale)'] }),
          noarch('w-chooser', '1.0', { requires: ['w-impl'], recommends: ['w-impl-b'] }),
          noarch('w-impl-a', '1.0', { provides: ['w-impl'] }),
          noarch('w-impl-b', '1.0', { provides: ['w-impl'] }),
        ],
      },
    ],
    requests: [
      { id: 'on', packages: ['w-app'], note: 'Recommends and Supplements pulled; a conflicting and a missing Recommends skipped; Suggests/Enhances not', want: { install: ['w-app-1.0-1.noarch', 'w-plugin-1.0-1.noarch', 'w-rec-1.0-1.noarch'] } },
      { id: 'off', packages: ['w-app'], recommends: false, note: 'weak deps off', want: { install: ['w-app-1.0-1.noarch'] } },
      { id: 'supplements-and-on', packages: ['w-app', 'w-locale'], note: 'Supplements: (app and locale)', want: { install: ['w-app-1.0-1.noarch', 'w-lang-1.0-1.noarch', 'w-locale-1.0-1.noarch', 'w-plugin-1.0-1.noarch', 'w-rec-1.0-1.noarch'] } },
      { id: 'supplements-and-off', packages: ['w-app', 'w-locale'], recommends: false, note: 'the same, weak deps off', want: { install: ['w-app-1.0-1.noarch', 'w-locale-1.0-1.noarch'] } },
      { id: 'recommends-steer-choice', packages: ['w-chooser'], note: 'a Recommends picks the provider of a hard Requires', want: { install: ['w-chooser-1.0-1.noarch', 'w-impl-b-1.0-1.noarch'] } },
      { id: 'recommends-steer-choice-off', packages: ['w-chooser'], recommends: false, note: 'the same with weak deps off: libsolv still lets the Recommends steer the choice (prune_to_recommended), only nothing is pulled by it', want: { install: ['w-chooser-1.0-1.noarch', 'w-impl-b-1.0-1.noarch'] } },
    ],
  },
  {
    name: 'impossible',
    description: 'requests with no solution: missing capability, version too old, unknown name, a nested chain',
    repos: [
      {
        id: 'imp',
        packages: [
          noarch('i-needs-missing', '1.0', { requires: ['i-nothing'] }),
          noarch('i-lib', '1.0'),
          noarch('i-lib', '2.0'),
          noarch('i-needs-newer', '1.0', { requires: ['i-lib >= 3'] }),
          noarch('i-top', '1.0', { requires: ['i-needs-missing'] }),
          x86('i-arch', '1.0', { requires: ['i-lib(x86-64)'] }),
        ],
      },
    ],
    requests: [
      { id: 'nothing-provides', packages: ['i-needs-missing'], note: 'an unversioned capability nobody provides', want: { fail: 'nothing-provides', dep: 'i-nothing' } },
      { id: 'only-older', packages: ['i-needs-newer'], note: 'i-lib >= 3 with 1.0 and 2.0 available', want: { fail: 'nothing-provides', dep: 'i-lib >= 3' } },
      { id: 'unknown-name', packages: ['i-does-not-exist'], note: 'no such package', want: { fail: 'not-found', dep: 'i-does-not-exist' } },
      { id: 'unknown-among-known', packages: ['i-lib', 'i-does-not-exist'], note: 'one unknown name fails the whole request (strict=1)', want: { fail: 'not-found', dep: 'i-does-not-exist' } },
      { id: 'chain', packages: ['i-top'], note: 'the missing capability two levels down', want: { fail: 'nothing-provides', dep: 'i-nothing' } },
      { id: 'isa-of-noarch', packages: ['i-arch'], note: 'an ISA-qualified requirement a noarch package cannot meet', want: { fail: 'nothing-provides', dep: 'i-lib(x86-64)' } },
    ],
  },
  {
    name: 'versions',
    description: 'best version, versioned requires picking a non-newest version, epochs, releases, noarch vs arch',
    repos: [
      {
        id: 'ver',
        packages: [
          noarch('v-lib', '1.0'),
          noarch('v-lib', '1.5'),
          noarch('v-lib', '2.0'),
          noarch('v-lib', '3.0'),
          noarch('v-old-user', '1.0', { requires: ['v-lib < 2'] }),
          noarch('v-range-user', '1.0', { requires: ['(v-lib >= 1.5 with v-lib < 3)'] }),
          noarch('v-exact-user', '1.0', { requires: ['v-lib = 1.0-1'] }),
          noarch('e-pkg', '1.0', { epoch: 1 }),
          noarch('e-pkg', '2.0'),
          noarch('e-user', '1.0', { requires: ['e-pkg >= 2.0'] }),
          noarch('e-old-user', '1.0', { requires: ['e-pkg < 1:0'] }),
          noarch('rel-pkg', '1.0', { release: '2' }),
          noarch('rel-pkg', '1.0', { release: '10' }),
          noarch('rel-pkg', '1.0', { release: '9.fc40' }),
          noarch('na-pkg', '2.0'),
          x86('na-pkg', '1.0'),
          noarch('na-same', '1.0'),
          x86('na-same', '1.0'),
        ],
      },
    ],
    requests: [
      { id: 'best', packages: ['v-lib'], note: 'the newest of four', want: { install: ['v-lib-3.0-1.noarch'] } },
      { id: 'below-newest', packages: ['v-old-user'], note: 'Requires: v-lib < 2 picks 1.5, the best allowed', want: { install: ['v-old-user-1.0-1.noarch', 'v-lib-1.5-1.noarch'] } },
      { id: 'range-with', packages: ['v-range-user'], note: '(v-lib >= 1.5 with v-lib < 3) picks 2.0', want: { install: ['v-range-user-1.0-1.noarch', 'v-lib-2.0-1.noarch'] } },
      { id: 'exact', packages: ['v-exact-user'], note: 'Requires: v-lib = 1.0-1', want: { install: ['v-exact-user-1.0-1.noarch', 'v-lib-1.0-1.noarch'] } },
      { id: 'exact-and-newest', packages: ['v-exact-user', 'v-lib'], note: 'the name request yields to the exact Requires', want: { install: ['v-exact-user-1.0-1.noarch', 'v-lib-1.0-1.noarch'] } },
      { id: 'epoch', packages: ['e-pkg'], note: 'epoch 1 beats a higher version of epoch 0', want: { install: ['e-pkg-1:1.0-1.noarch'] } },
      { id: 'epoch-dep', packages: ['e-user'], note: 'e-pkg >= 2.0 is met by 1:1.0 too; the best wins', want: { install: ['e-user-1.0-1.noarch', 'e-pkg-1:1.0-1.noarch'] } },
      { id: 'epoch-below', packages: ['e-old-user'], note: 'e-pkg < 1:0 only the epoch-0 package meets', want: { install: ['e-old-user-1.0-1.noarch', 'e-pkg-2.0-1.noarch'] } },
      { id: 'release', packages: ['rel-pkg'], note: 'release 10 > 9.fc40 > 2', want: { install: ['rel-pkg-1.0-10.noarch'] } },
      { id: 'noarch-newer', packages: ['na-pkg'], note: 'a newer noarch against an older x86_64', want: { install: ['na-pkg-2.0-1.noarch'] } },
      { id: 'noarch-same-evr', packages: ['na-same'], note: 'noarch and x86_64 of the same EVR: noarch wins', want: { install: ['na-same-1.0-1.noarch'] } },
    ],
  },
  {
    name: 'tie-break',
    description: 'two providers of a virtual capability: name order decides (pkgA vs pkgB)',
    repos: [
      {
        id: 'tie',
        packages: [
          noarch('pkgB', '1.0', { provides: ['virt'] }),
          noarch('pkgA', '1.0', { provides: ['virt'] }),
          noarch('virt-user', '1.0', { requires: ['virt'] }),
          noarch('cap-new', '1.0', { provides: ['vcap = 2'] }),
          noarch('cap-old', '1.0', { provides: ['vcap = 1'] }),
          noarch('vcap-user', '1.0', { requires: ['vcap'] }),
          x86('zeta-impl', '1.0', { provides: ['vimpl'] }),
          noarch('alpha-impl', '1.0', { provides: ['vimpl'] }),
          noarch('vimpl-user', '1.0', { requires: ['vimpl'] }),
          noarch('long-impl', '2.0', { provides: ['vlong'] }),
          noarch('lon', '1.0', { provides: ['vlong'] }),
          noarch('vlong-user', '1.0', { requires: ['vlong'] }),
        ],
      },
    ],
    requests: [
      { id: 'virtual', packages: ['virt-user'], note: 'pkgA before pkgB', want: { install: ['virt-user-1.0-1.noarch', 'pkgA-1.0-1.noarch'] } },
      { id: 'virtual-requested', packages: ['virt'], note: 'a request naming a provide, not a package', want: { install: ['pkgA-1.0-1.noarch'] } },
      { id: 'provide-versions', packages: ['vcap-user'], note: 'providers whose provides differ in version', want: { install: ['vcap-user-1.0-1.noarch', 'cap-new-1.0-1.noarch'] } },
      { id: 'arch-vs-noarch-provider', packages: ['vimpl-user'], note: 'an x86_64 and a noarch provider of different names', want: { install: ['vimpl-user-1.0-1.noarch', 'alpha-impl-1.0-1.noarch'] } },
      { id: 'prefix-names', packages: ['vlong-user'], note: 'name order with one name a prefix of the other', want: { install: ['vlong-user-1.0-1.noarch', 'lon-1.0-1.noarch'] } },
    ],
  },
  {
    name: 'priority',
    description: 'repo priority (lower wins, beats version) and cost (tie-break between equal packages)',
    repos: [
      {
        id: 'high',
        priority: 10,
        packages: [noarch('pr-pkg', '1.0'), noarch('pr-dup', '1.0')],
      },
      {
        id: 'low',
        packages: [
          noarch('pr-pkg', '2.0'),
          noarch('pr-user', '1.0', { requires: ['pr-pkg'] }),
          noarch('pr-new-user', '1.0', { requires: ['pr-pkg >= 2'] }),
          noarch('pr-dup', '1.0'),
          noarch('pr-costly', '1.0'),
        ],
      },
      {
        id: 'cheap',
        cost: 500,
        packages: [noarch('pr-costly', '1.0'), noarch('pr-dup', '1.0'), noarch('pr-only-cheap', '1.0')],
      },
    ],
    requests: [
      { id: 'priority-beats-version', packages: ['pr-pkg'], note: 'pr-pkg 1.0 from priority 10 over 2.0 from priority 99', want: { install: ['pr-pkg-1.0-1.noarch@high'], withRepo: true } },
      { id: 'priority-for-dependency', packages: ['pr-user'], note: 'the same through a Requires', want: { install: ['pr-user-1.0-1.noarch@low', 'pr-pkg-1.0-1.noarch@high'], withRepo: true } },
      { id: 'lower-priority-when-needed', packages: ['pr-new-user'], note: 'Requires: pr-pkg >= 2 only the lower-priority repo meets', want: { install: ['pr-new-user-1.0-1.noarch@low', 'pr-pkg-2.0-1.noarch@low'], withRepo: true } },
      { id: 'cost', packages: ['pr-costly'], note: 'the same package in two repos of equal priority: lower cost wins', want: { install: ['pr-costly-1.0-1.noarch@cheap'], withRepo: true } },
      { id: 'priority-beats-cost', packages: ['pr-dup'], note: 'priority before cost', want: { install: ['pr-dup-1.0-1.noarch@high'], withRepo: true } },
    ],
  },
];

/** The spec text for one package (arch-specific packages get no BuildArch: rpmbuild --target sets it). */
export function specText(p: ScenarioPackage): string {
  const files = p.files ?? [`/usr/share/${p.name}/${p.name}-${p.version}.txt`];
  const deps: [string, string[] | undefined][] = [
    ['Requires', p.requires],
    ['Provides', p.provides],
    ['Conflicts', p.conflicts],
    ['Obsoletes', p.obsoletes],
    ['Recommends', p.recommends],
    ['Suggests', p.suggests],
    ['Supplements', p.supplements],
    ['Enhances', p.enhances],
  ];
  return [
    '# generated by test/helpers/rpm-scenarios.ts',
    '%global debug_package %{nil}',
    '%global _build_id_links none',
    '%global __brp_mangle_shebangs %{nil}',
    // no brp-* post-install scripts (strip, compress...): nothing here needs them, and they
    // take most of the build time
    '%global __os_install_post %{nil}',
    '%global __arch_install_post %{nil}',
    `Name: ${p.name}`,
    ...(p.epoch !== undefined ? [`Epoch: ${p.epoch}`] : []),
    `Version: ${p.version}`,
    `Release: ${p.release ?? '1'}`,
    `Summary: jigtree resolve scenario package ${p.name}`,
    'License: MIT',
    ...(p.arch === 'noarch' ? ['BuildArch: noarch'] : []),
    ...deps.flatMap(([tag, list]) => (list ?? []).map((d) => `${tag}: ${d}`)),
    '%description',
    `Scenario package ${p.name}.`,
    '%install',
    ...files.map((f) => `mkdir -p %{buildroot}${path.posix.dirname(f)} && echo ${p.name} > %{buildroot}${f}`),
    '%files',
    ...files,
    '',
  ].join('\n');
}

/** rpmbuild targets of a package (none for noarch: BuildArch decides). */
function targets(p: ScenarioPackage): (string | null)[] {
  if (p.arch === 'noarch') return [null];
  if (p.arch === 'multilib') return ['x86_64', 'i686'];
  return [p.arch];
}

/** Directory of one built scenario. */
export function scenarioDir(name: string): string {
  return path.join(RPM_SCENARIO_DIR, name);
}

/** Directory of one repository of a built scenario (the baseurl's path). */
export function scenarioRepoDir(scenario: string, repo: string): string {
  return path.join(scenarioDir(scenario), repo);
}

async function toolVersions(): Promise<string> {
  const out: string[] = [];
  for (const [tool, arg] of [['rpmbuild', '--version'], ['createrepo_c', '--version']] as const) {
    try {
      out.push((await run(tool, [arg])).stdout.trim());
    } catch (err) {
      throw new Error(`${tool} is required to build the RPM scenario repos (Debian: apt-get install rpm createrepo-c)`, { cause: err });
    }
  }
  return out.join('\n');
}

/** Runs `jobs` with at most `n` at a time (the machine has 2 cores). */
async function pool<T>(items: readonly T[], n: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await job(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

function specFileName(p: ScenarioPackage): string {
  return `${p.name}-${p.epoch !== undefined ? `${p.epoch}:` : ''}${p.version}-${p.release ?? '1'}-${p.arch}.spec`;
}

/** Builds one scenario into `out` (a fresh directory). */
async function buildScenario(s: Scenario, out: string): Promise<void> {
  const top = path.join(out, '.rpmbuild');
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH), TZ: 'UTC', LC_ALL: 'C' };
  for (const repo of s.repos) {
    const repoDir = path.join(out, repo.id);
    const specDir = path.join(out, 'specs', repo.id);
    await mkdir(specDir, { recursive: true });
    await mkdir(repoDir, { recursive: true });
    const jobs: { spec: string; target: string | null }[] = [];
    for (const p of repo.packages) {
      const spec = path.join(specDir, specFileName(p));
      await writeFile(spec, specText(p));
      for (const target of targets(p)) jobs.push({ spec, target });
    }
    await mkdir(path.join(top, 'rpmdb'), { recursive: true });
    await pool(jobs, 2, async ({ spec, target }) => {
      // Each build gets its own, already existing _topdir: two rpmbuilds creating the same
      // parent directories at once fail with "failed to create directory: File exists".
      const topdir = path.join(top, repo.id, `${path.basename(spec)}-${target ?? 'noarch'}`);
      await mkdir(topdir, { recursive: true });
      const args = [
        '-bb', '--nodeps', '--quiet',
        ...(target !== null ? ['--target', target] : []),
        '--define', `_topdir ${topdir}`,
        '--define', `_rpmdir ${repoDir}`,
        '--define', '_buildhost jigtree-scenarios',
        '--define', 'use_source_date_epoch_as_buildtime 1',
        '--define', 'clamp_mtime_to_source_date_epoch 1',
        '--define', `_dbpath ${top}/rpmdb`,
        spec,
      ];
      try {
        await run('rpmbuild', args, { env, maxBuffer: 16 << 20 });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`rpmbuild failed for ${s.name}/${repo.id}/${path.basename(spec)}: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
      }
    });
    // primary.xml records file mtimes: pin them so the repodata is reproducible.
    for (const sub of await readdir(repoDir)) {
      for (const f of await readdir(path.join(repoDir, sub))) utimesSync(path.join(repoDir, sub, f), SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
    }
    await run('createrepo_c', ['-q', `--general-compress-type=${repo.compress ?? 'gz'}`, '--checksum=sha256', '--set-timestamp-to-revision', `--revision=${SOURCE_DATE_EPOCH}`, repoDir], { env });
  }
  await rm(top, { recursive: true, force: true });
}

/** The inputs of one scenario's build: a rebuild happens only when this changes. */
function scenarioStamp(s: Scenario, tools: string): string {
  const h = createHash('sha256');
  h.update(`${BUILDER_VERSION}\n${tools}\n`);
  for (const repo of s.repos) {
    h.update(`repo ${repo.id} ${repo.compress ?? 'gz'}\n`);
    for (const p of repo.packages) h.update(`${specFileName(p)}\n${targets(p).join(',')}\n${specText(p)}\n`);
  }
  return `${h.digest('hex')}\n`;
}

const STAMP = '.stamp';

/**
 * Builds every scenario under RPM_SCENARIO_DIR, skipping those whose stamp records the same
 * inputs; each is built in a temporary directory and renamed into place, so a half-built
 * scenario is never used. Directories of scenarios that no longer exist are removed.
 */
export async function buildRpmScenarios(scenarios: readonly Scenario[] = SCENARIOS): Promise<{ built: string[] }> {
  const tools = await toolVersions();
  const built: string[] = [];
  await mkdir(RPM_SCENARIO_DIR, { recursive: true });
  for (const s of scenarios) {
    const dir = scenarioDir(s.name);
    const stamp = scenarioStamp(s, tools);
    const stampFile = path.join(dir, STAMP);
    if (existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) continue;
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      await buildScenario(s, tmp);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await writeFile(path.join(tmp, STAMP), stamp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    built.push(s.name);
  }
  const known = new Set([...scenarios.map((s) => s.name), MAKE_RPM_REPO_NAME]);
  for (const entry of await readdir(RPM_SCENARIO_DIR)) {
    if (!known.has(entry)) await rm(path.join(RPM_SCENARIO_DIR, entry), { recursive: true, force: true });
  }
  return { built };
}

// ---------------------------------------------------------------------------------------------
// The repository ../shared/tools/make-rpm-repo builds (33 packages, see its MANIFEST.tsv), as one
// more scenario. It is built into its own directory here rather than reusing fixtures/build/
// rpm-repo: test/oracle/rpm-md.test.ts reruns the tool there, which rewrites repodata/ while
// another test file could be reading it.

const MAKE_RPM_REPO_NAME = 'make-rpm-repo';
const MAKE_RPM_REPO = path.join(SHARED_TOOLS, 'make-rpm-repo');

/** The make-rpm-repo scenario: its repo is `<dir>/repo`, so the repo id is `repo`. */
export const MAKE_RPM_REPO_SCENARIO: Scenario = {
  name: MAKE_RPM_REPO_NAME,
  description: 'the repository of ../shared/tools/make-rpm-repo (MANIFEST.tsv): sonames, scriptlet deps, rich deps, epochs, ~ and ^ versions',
  repos: [{ id: 'repo', packages: [] }],
  requests: [
    { id: 'app', packages: ['demo-app'], note: 'latest demo-app with its soname, file and weak deps', want: { install: ['demo-app-2.0-1.x86_64', 'demo-data-1.0-1.noarch', 'demo-docs-1.0-1.noarch', 'demo-filesystem-1.0-1.noarch', 'demo-glibc-2.36-1.x86_64', 'demo-libs-2.0-1.x86_64', 'demo-sh-5.2-1.x86_64'] } },
    { id: 'app-off', packages: ['demo-app'], recommends: false, note: 'the same with weak deps off', want: { install: ['demo-app-2.0-1.x86_64', 'demo-data-1.0-1.noarch', 'demo-filesystem-1.0-1.noarch', 'demo-glibc-2.36-1.x86_64', 'demo-libs-2.0-1.x86_64', 'demo-sh-5.2-1.x86_64'] } },
    { id: 'meta', packages: ['demo-meta'], note: 'versioned, rich, epoch, tilde and caret requirements', want: { install: ['demo-app-2.0-1.x86_64', 'demo-caret-1.0^20250520git1a2b3c-1.noarch', 'demo-data-1.0-1.noarch', 'demo-docs-1.0-1.noarch', 'demo-epoch-2:0.5-1.noarch', 'demo-files-1.0-1.x86_64', 'demo-filesystem-1.0-1.noarch', 'demo-glibc-2.36-1.x86_64', 'demo-libs-2.0-1.x86_64', 'demo-meta-1.0-1.noarch', 'demo-sh-5.2-1.x86_64', 'demo-shadow-4.13-1.x86_64', 'demo-tilde-1.0-1.noarch', 'demo-user-1.0-1.x86_64'] } },
    { id: 'mix', packages: ['demo-api-consumer', 'demo-selinux', 'demo-app', 'demo-locale-de'], note: 'or-choice, conditional, supplements', want: { install: ['demo-api-consumer-1.0-1.noarch', 'demo-api-provider-2.3-1.x86_64', 'demo-app-2.0-1.x86_64', 'demo-data-1.0-1.noarch', 'demo-docs-1.0-1.noarch', 'demo-filesystem-1.0-1.noarch', 'demo-glibc-2.36-1.x86_64', 'demo-lang-de-1.0-1.noarch', 'demo-libs-2.0-1.x86_64', 'demo-locale-de-1.0-1.noarch', 'demo-mta-exim-4.96-1.x86_64', 'demo-selinux-1.0-1.noarch', 'demo-selinux-policy-1.0-1.noarch', 'demo-sh-5.2-1.x86_64'] } },
    { id: 'legacy', packages: ['demo-legacy'], note: 'a name obsoleted by demo-app 2.0: dnf installs the obsoleter', want: { install: ['demo-app-2.0-1.x86_64', 'demo-data-1.0-1.noarch', 'demo-docs-1.0-1.noarch', 'demo-filesystem-1.0-1.noarch', 'demo-glibc-2.36-1.x86_64', 'demo-libs-2.0-1.x86_64', 'demo-sh-5.2-1.x86_64'] } },
    { id: 'mta-pair', packages: ['demo-mta-postfix', 'demo-mta-exim'], note: 'two MTAs that conflict', want: { fail: 'conflicts' } },
  ],
};

/** The MANIFEST.tsv make-rpm-repo wrote (rpm file name, payload, features), for the record. */
export function makeRpmRepoManifest(): string {
  return path.join(scenarioDir(MAKE_RPM_REPO_NAME), 'MANIFEST.tsv');
}

/**
 * Builds the make-rpm-repo scenario with the shared tool, unless the stamp records the same
 * tool script (the tool itself is idempotent, but reruns createrepo_c each time).
 */
export async function buildMakeRpmRepoScenario(): Promise<void> {
  const dir = scenarioDir(MAKE_RPM_REPO_NAME);
  const stamp = `${createHash('sha256').update(await readFile(MAKE_RPM_REPO)).digest('hex')}\n`;
  const stampFile = path.join(dir, STAMP);
  if (existsSync(stampFile) && existsSync(path.join(dir, 'repo', 'repodata', 'repomd.xml')) && (await readFile(stampFile, 'utf8')) === stamp) return;
  await rm(stampFile, { force: true });
  try {
    await run(MAKE_RPM_REPO, ['--no-verify', '--compress', 'xz', dir], { maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`make-rpm-repo failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
  }
  await writeFile(stampFile, stamp);
}
