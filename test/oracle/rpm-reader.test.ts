// Oracle: the RPM reader against rpm 4.18 itself (rpm -qp, rpm2cpio | cpio) on the fixture
// RPMs fixtures/rpm/make-fixture-rpms.sh builds. Never skipped: a missing tool fails.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DecoderPreference } from '../../src/unpack/codecs.js';
import { readRpm, type RpmPackage } from '../../src/unpack/rpm/read-rpm.js';
import { formatDep } from '../../src/unpack/rpm/package-info.js';
import type { ArchiveEntry, EntryType } from '../../src/unpack/types.js';
import { buildRpmFixtures, rpmFixtureFiles } from '../helpers/rpm-fixtures.js';

const run = promisify(execFile);

async function rpmq(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('rpm', ['-qp', '--nosignature', '--nodigest', ...args, file], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  return stdout;
}

/** What we read from one package: entries in order, body sha256 per path, and the package. */
type Read = { pkg: RpmPackage; entries: ArchiveEntry[]; sha256: Map<string, string>; bytes: Map<string, number> };

async function readAll(file: string, decoders: DecoderPreference = 'auto'): Promise<Read> {
  const pkg = await readRpm(createReadStream(file, { highWaterMark: 64 * 1024 }), { file: path.basename(file), decoders });
  const entries: ArchiveEntry[] = [];
  const sha256 = new Map<string, string>();
  const bytes = new Map<string, number>();
  for await (const e of pkg.entries()) {
    entries.push(e);
    if (e.body !== undefined) {
      const h = createHash('sha256');
      let n = 0;
      for await (const chunk of e.body) {
        h.update(chunk);
        n += chunk.length;
      }
      sha256.set(e.path, h.digest('hex'));
      bytes.set(e.path, n);
    }
  }
  return { pkg, entries, sha256, bytes };
}

const TYPE_BITS: Record<EntryType, number> = {
  file: 0o100000, hardlink: 0o100000, dir: 0o040000, symlink: 0o120000, chardev: 0o020000, blockdev: 0o060000, fifo: 0o010000,
};

/** rpm --scripts labels → our scriptlet names. */
const SCRIPT_LABELS: Record<string, string> = {
  pretrans: 'pretrans', preinstall: 'prein', postinstall: 'postin', preuninstall: 'preun',
  postuninstall: 'postun', posttrans: 'posttrans', preuntrans: 'preuntrans', postuntrans: 'postuntrans', verify: 'verifyscript',
};

/** Parses `rpm --scripts`/`--triggers` output into (label, interpreter, rest-of-line, body) blocks. */
function parseScriptBlocks(out: string): { label: string; interpreter: string; rest: string; body: string }[] {
  const blocks: { label: string; interpreter: string; rest: string; body: string[] }[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\w+) (?:scriptlet \(using (.+?)\)|program: (.+?))(?: -- (.*))?:?$/.exec(line);
    if (m !== null && m[1] !== undefined) {
      blocks.push({ label: m[1], interpreter: m[2] ?? m[3] ?? '', rest: m[4] ?? '', body: [] });
    } else {
      blocks.at(-1)?.body.push(line);
    }
  }
  return blocks.map((b) => ({ ...b, body: b.body.join('\n').replace(/\n+$/, '') }));
}

let files: string[] = [];
const reads = new Map<string, Read>();

beforeAll(async () => {
  await buildRpmFixtures();
  files = rpmFixtureFiles();
  for (const f of files) reads.set(f, await readAll(f));
});

describe('RPM reader vs rpm 4.18', () => {
  test('the fixture set is complete', () => {
    expect(files.map((f) => path.basename(f))).toEqual([
      'jt-demo-1.2-3.noarch.rpm', 'jt-demo-bzip2-1.2-3.noarch.rpm', 'jt-demo-none-1.2-3.noarch.rpm',
      'jt-demo-xz-1.2-3.noarch.rpm', 'jt-demo-zstd-1.2-3.noarch.rpm',
    ]);
  });

  const each = (name: string, fn: (file: string, r: Read) => Promise<void> | void): void => {
    test(name, async () => {
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const r = reads.get(f);
        if (r === undefined) throw new Error(`not read: ${f}`);
        try {
          await fn(f, r);
        } catch (err) {
          if (err instanceof Error) err.message = `${path.basename(f)}: ${err.message}`;
          throw err;
        }
      }
    });
  };

  each('entries agree with rpm -qp --dump', async (file, r) => {
    const dump = (await rpmq(file, '--dump')).split('\n').filter((l) => l !== '');
    const byPath = new Map(r.entries.map((e) => [e.path, e]));
    expect(byPath.size).toBe(r.entries.length);
    const dumped: string[] = [];
    for (const line of dump) {
      // path size mtime digest mode owner group isconfig isdoc rdev symlink; only the path may
      // contain spaces in these fixtures, so split the other ten fields off the right.
      const parts = line.split(' ');
      expect(parts.length).toBeGreaterThanOrEqual(11);
      const [size, mtime, digest, mode, owner, group, isconfig, isdoc, rdev, symlink] = parts.slice(-10);
      const p = parts.slice(0, -10).join(' ');
      dumped.push(p);
      const e = byPath.get(p);
      if (e === undefined) throw new Error(`rpm lists ${p}, we do not`);
      const target = e.type === 'hardlink' ? byPath.get(e.linkTarget ?? '') : undefined;
      const ourSize = e.type === 'file' ? e.size : e.type === 'hardlink' ? target?.size : e.type === 'symlink' ? Buffer.byteLength(e.linkTarget ?? '') : 0;
      expect({ p, size: ourSize, mtime: e.mtime, mode: `0${(TYPE_BITS[e.type] | e.mode).toString(8)}`, owner: e.user, group: e.group }).toEqual({
        p, size: Number(size), mtime: Number(mtime), mode, owner, group,
      });
      expect({ p, digest: e.digest?.hex ?? '', isconfig: e.flags.config ? '1' : '0', isdoc: e.flags.doc ? '1' : '0' }).toEqual({
        p, digest: /^0+$/.test(digest ?? '') ? '' : digest, isconfig, isdoc,
      });
      expect({ p, rdev: e.rdev === undefined ? 0 : e.rdev.major * 256 + e.rdev.minor, symlink: e.type === 'symlink' ? e.linkTarget : 'X' }).toEqual({
        p, rdev: Number(rdev), symlink,
      });
    }
    expect([...byPath.keys()].sort()).toEqual(dumped.sort());
  });

  each('file flags agree with rpm -qp %{FILEFLAGS:fflags}', async (file, r) => {
    const lines = (await rpmq(file, '--qf', '[%{FILENAMES}\t%{FILEFLAGS:fflags}\n]')).split('\n').filter((l) => l !== '');
    const rpmFlags = new Map(lines.map((l) => l.split('\t') as [string, string]));
    // formats.c fflagsFormat letters, in its order (s = %specfile, which ArchiveEntry does not carry).
    const letters = (e: ArchiveEntry): string => [
      e.flags.doc && 'd', e.flags.config && 'c', e.flags.missingok && 'm', e.flags.noreplace && 'n',
      e.flags.ghost && 'g', e.flags.license && 'l', e.flags.readme && 'r', e.flags.artifact && 'a',
    ].filter((x) => x !== false).join('');
    for (const e of r.entries) expect({ p: e.path, flags: letters(e) }).toEqual({ p: e.path, flags: rpmFlags.get(e.path) });
    expect(new Set([...rpmFlags.values()].join(''))).toEqual(new Set('dcmnglra'));
  });

  each('file capabilities agree with rpm -qp --filecaps', async (file, r) => {
    const caps = new Map((await rpmq(file, '--filecaps')).split('\n').filter((l) => l !== '').map((l) => {
      const tab = l.indexOf('\t');
      return [l.slice(0, tab), l.slice(tab + 1)] as const;
    }));
    expect(caps.size).toBe(r.entries.length);
    for (const e of r.entries) expect({ p: e.path, caps: e.caps ?? '' }).toEqual({ p: e.path, caps: caps.get(e.path) });
    expect(r.entries.filter((e) => e.caps !== undefined).map((e) => [e.path, e.caps])).toEqual([['/usr/bin/demo-ping', 'cap_net_raw=ep']]);
  });

  each('streamed bodies equal what rpm2cpio | cpio -idm extracts', async (file, r) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jt-rpm2cpio-'));
    try {
      await new Promise<void>((resolve, reject) => {
        const rpm2cpio = spawn('rpm2cpio', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
        const cpio = spawn('cpio', ['-idm', '--quiet'], { cwd: dir, stdio: ['pipe', 'ignore', 'inherit'] });
        rpm2cpio.stdout.pipe(cpio.stdin);
        let left = 2;
        const done = (what: string) => (code: number | null): void => {
          if (code !== 0) reject(new Error(`${what} exited with ${code}`));
          else if (--left === 0) resolve();
        };
        rpm2cpio.on('error', reject).on('exit', done('rpm2cpio'));
        cpio.on('error', reject).on('exit', done('cpio'));
      });
      const extracted = new Map<string, { kind: string; ino: number }>();
      const walk = async (rel: string): Promise<void> => {
        for (const name of await readdir(path.join(dir, rel))) {
          const p = `${rel}/${name}`;
          const st = await lstat(path.join(dir, p));
          extracted.set(p, { kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other', ino: st.ino });
          if (st.isDirectory()) await walk(p);
        }
      };
      await walk('');
      const byPath = new Map(r.entries.map((e) => [e.path, e]));
      const regular = r.entries.filter((e) => (e.type === 'file' || e.type === 'hardlink') && !e.flags.ghost);
      expect(regular.length).toBeGreaterThan(5);
      for (const e of regular) {
        const carrier = e.type === 'hardlink' ? (e.linkTarget ?? '') : e.path;
        const want = createHash('sha256').update(await readFile(path.join(dir, e.path))).digest('hex');
        expect({ p: e.path, sha256: r.sha256.get(carrier) }).toEqual({ p: e.path, sha256: want });
        if (e.type === 'hardlink') {
          // cpio links the members of a set: same inode as the entry we name as the target.
          expect(extracted.get(e.path)?.ino).toBe(extracted.get(carrier)?.ino);
          expect(byPath.get(carrier)?.type).toBe('file');
        } else {
          expect(r.bytes.get(e.path)).toBe(e.size);
        }
      }
      for (const e of r.entries.filter((x) => x.type === 'symlink')) {
        expect({ p: e.path, target: await readlink(path.join(dir, e.path)) }).toEqual({ p: e.path, target: e.linkTarget });
      }
      // Every non-ghost entry was extracted, and everything else cpio created is a parent
      // directory of one (cpio -d makes those).
      const ours = r.entries.filter((e) => !e.flags.ghost).map((e) => e.path).sort();
      const isParent = (p: string): boolean => ours.some((o) => o.startsWith(`${p}/`));
      expect(ours.filter((p) => !extracted.has(p))).toEqual([]);
      expect([...extracted.keys()].filter((p) => !ours.includes(p) && !isParent(p))).toEqual([]);
      expect(r.entries.filter((e) => e.flags.ghost).every((e) => !extracted.has(e.path))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  each('package info agrees with rpm -qp --qf', async (file, r) => {
    const q = (await rpmq(file, '--qf', '%{NAME}\\n%{EPOCH}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n%{SUMMARY}\\n%{PAYLOADCOMPRESSOR}\\n%{BUILDTIME}\\n%{BUILDHOST}\\n')).split('\n');
    const i = r.pkg.info;
    const compressor = i.payloadCompressor === 'none' ? '(none)' : i.payloadCompressor;
    expect([i.name, i.epoch === undefined ? '(none)' : String(i.epoch), i.version, i.release, i.arch, i.summary, compressor, String(i.fields['buildtime']), i.fields['buildhost']])
      .toEqual(q.slice(0, 9));
    expect(i.description).toBe(await rpmq(file, '--qf', '%{DESCRIPTION}'));
    expect(r.pkg.rpm.payload.compressor ?? '(none)').toBe(q[6]);
  });

  each('dependencies agree with rpm -qp --requires/--provides/...', async (file, r) => {
    for (const kind of ['requires', 'provides', 'conflicts', 'obsoletes', 'recommends', 'suggests', 'supplements', 'enhances']) {
      const rpmLines = (await rpmq(file, `--${kind}`)).split('\n').filter((l) => l !== '');
      expect({ kind, deps: (r.pkg.info.deps[kind] ?? []).map(formatDep) }).toEqual({ kind, deps: rpmLines });
    }
    const order = (await rpmq(file, '--qf', '[%{ORDERNAME} %{ORDERFLAGS:depflags} %{ORDERVERSION}\\n]')).split('\n').filter((l) => l !== '').map((l) => l.replace(/\s+/g, ' ').trim());
    expect((r.pkg.info.deps['orderwithrequires'] ?? []).map(formatDep)).toEqual(order);
    // Qualifiers decoded from REQUIREFLAGS, as the spec wrote them.
    const req = r.pkg.info.deps['requires'] ?? [];
    expect(req).toContainEqual({ name: 'shadow-utils', op: undefined, version: undefined, qualifiers: ['pre'] });
    expect(req).toContainEqual({ name: 'glibc', op: '=', version: '2:2.36-9' });
    expect(req).toContainEqual({ rich: '(demo-a or demo-b)' });
  });

  each('scriptlets and triggers agree with rpm -qp --scripts/--triggers/--filetriggers', async (file, r) => {
    const scripts = parseScriptBlocks(await rpmq(file, '--scripts'));
    expect(scripts.length).toBe(7);
    expect(r.pkg.info.scripts.map((s) => [s.name, s.interpreter, s.body])).toEqual(
      scripts.map((b) => [SCRIPT_LABELS[b.label], b.interpreter, b.body]),
    );
    const triggers = parseScriptBlocks(await rpmq(file, '--triggers'));
    expect(triggers.length).toBe(2);
    expect(r.pkg.rpm.triggers.map((t) => [`trigger${t.kind}`, t.interpreter.join(' '), t.conditions.map((c) => formatDep({ name: c.name, op: c.op, version: c.version })).join(', '), t.body]))
      .toEqual(triggers.map((b) => [b.label, b.interpreter, b.rest, b.body]));
    const fileTriggers = parseScriptBlocks(await rpmq(file, '--filetriggers'));
    expect(fileTriggers.length).toBe(1);
    expect(r.pkg.rpm.fileTriggers.map((t) => [`${t.scope === 'file' ? 'file' : 'transfile'}trigger${t.kind}`, t.interpreter.join(' '), t.conditions.map((c) => c.name).join(', '), t.body]))
      .toEqual(fileTriggers.map((b) => [b.label, b.interpreter, b.rest, b.body]));
  });

  each('header ranges and digests agree with the signature header and the file bytes', async (file, r) => {
    const bytes = await readFile(file);
    const { header, signature, payload } = r.pkg.rpm;
    const sha256 = (a: number, b?: number): string => createHash('sha256').update(bytes.subarray(a, b)).digest('hex');
    const [sha256Header, sha1Header, payloadDigest, payloadDigestAlt] = (await rpmq(file, '--qf', '%{SHA256HEADER}\\n%{SHA1HEADER}\\n%{PAYLOADDIGEST}\\n%{PAYLOADDIGESTALT}\\n')).split('\n');
    expect(sha256(header.range.start, header.range.end)).toBe(sha256Header);
    expect(signature.sha256Header).toBe(sha256Header);
    expect(signature.sha1Header).toBe(sha1Header);
    expect(createHash('sha1').update(bytes.subarray(header.range.start, header.range.end)).digest('hex')).toBe(sha1Header);
    expect(signature.range.start).toBe(96);
    expect(header.range.start).toBe(signature.range.end + ((8 - ((signature.range.end - signature.range.start) % 8)) % 8));
    expect(payload.offset).toBe(header.range.end);
    expect(payload.digest).toEqual({ algo: 'sha256', hex: payloadDigest });
    expect(payload.digestAlt).toEqual({ algo: 'sha256', hex: payloadDigestAlt });
    expect(sha256(payload.offset)).toBe(payloadDigest);
    expect(signature.size).toBe(bytes.length - header.range.start);
    expect(signature.rsa).toBeUndefined();
    const md5 = createHash('md5').update(bytes.subarray(header.range.start)).digest('hex');
    expect(signature.md5).toBe(md5);
  });

  each('pkg info fields decode every header tag by name', async (file, r) => {
    const f = r.pkg.rpm.fields;
    const [digestAlgo, fileFlags] = (await rpmq(file, '--qf', '%{FILEDIGESTALGO}\\n[%{FILEFLAGS} ]\\n')).split('\n');
    const algo = f['filedigestalgo'] as number | undefined;
    expect(algo === undefined ? '(none)' : String(algo)).toBe(digestAlgo);
    expect((f['fileflags'] as number[]).join(' ')).toBe(fileFlags?.trim());
    expect(f['name']).toBe(r.pkg.info.name);
    expect(Array.isArray(f['basenames'])).toBe(true);
    expect(JSON.parse(JSON.stringify(r.pkg.rpm.fields))).toEqual(f);
    expect(JSON.parse(JSON.stringify(r.pkg.rpm.signature.fields))).toEqual(r.pkg.rpm.signature.fields);
  });

  const summary = (x: Read): unknown[] => x.entries.map((e) => [e.path, e.type, e.size, e.linkTarget, x.sha256.get(e.path)]);
  each('the built-in decoders read the same entries and bytes as the system ones', async (file, r) => {
    const builtin = await readAll(file, 'builtin');
    expect(summary(builtin)).toEqual(summary(r));
  });

  test('hardlink sets: the first member in header order carries the content', () => {
    const r = reads.get(files[0] ?? '');
    expect(r).toBeDefined();
    const links = (r?.entries ?? []).filter((e) => e.type === 'hardlink').map((e) => [e.path, e.linkTarget, e.size, e.body]);
    expect(links).toEqual([
      ['/usr/lib/demo/empty-2', '/usr/lib/demo/empty-1', 0, undefined],
      ['/usr/lib/demo/link-b', '/usr/lib/demo/link-a', 0, undefined],
      ['/usr/share/demo/link-z', '/usr/lib/demo/link-a', 0, undefined],
    ]);
    expect(r?.entries.find((e) => e.path === '/usr/lib/demo/link-a')).toMatchObject({ type: 'file', size: 33 });
  });
});

afterAll(() => {
  reads.clear();
});
