import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, IntegrityError, NotFoundError, UsageError } from '../core/index.js';
import { rejectionOf, thrownBy } from '../../test/helpers/errors.js';
import { parseChecksum } from './checksum.js';
import { writeMutableTree, writeCommitObject } from './commit-tree.js';
import { parseKeyFile, formatKeyFile } from './keyfile.js';
import { MutableTree } from './mutable-tree.js';
import { loadContentObject, resolveRev } from './read.js';
import { deleteRef, initRepo, listRefs, markCommitPartial, openRepo, readRef, removeStaleTmpFiles, validateRefName, writeRef, type RepoMode } from './repo.js';
import { writeContentBytes, writeContentStream, newWriteStats } from './write-object.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'jt-repo-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const file = { uid: 0, gid: 0, mode: 0o100644, xattrs: [], target: '' };
const dirMeta = { uid: 0, gid: 0, mode: 0o40755, xattrs: [] };
const te = new TextEncoder();

async function collect(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('init', () => {
  for (const mode of ['archive', 'bare-user'] as RepoMode[]) {
    it(`writes the same layout and config bytes as ostree init --mode=${mode}`, async () => {
      const ours = path.join(tmp(), 'r');
      const theirs = path.join(tmp(), 'r');
      await initRepo(ours, { mode });
      execFileSync('ostree', ['init', `--repo=${theirs}`, `--mode=${mode}`]);
      expect(readFileSync(path.join(ours, 'config'), 'utf8')).toBe(readFileSync(path.join(theirs, 'config'), 'utf8'));
      const layout = (r: string): string[] => readdirSync(r, { recursive: true, encoding: 'utf8' }).filter((p) => !p.startsWith('.lock')).sort();
      expect(layout(ours)).toEqual(layout(theirs));
      // ostree reads the repo we made.
      execFileSync('ostree', ['refs', `--repo=${ours}`]);
    });
  }

  it('reopens an existing repo of the same mode and refuses a different one', async () => {
    const r = path.join(tmp(), 'r');
    await initRepo(r, { mode: 'archive' });
    expect((await initRepo(r, { mode: 'archive' })).mode).toBe('archive');
    expect((await rejectionOf(initRepo(r, { mode: 'bare-user' }), UsageError)).message).toMatch(/already a repository in mode archive/);
  });

  it('says clearly when a directory is not a repo or its config is bad', async () => {
    const d = tmp();
    expect((await rejectionOf(openRepo(d), NotFoundError)).message).toMatch(/an ostree repository/);
    const r = path.join(tmp(), 'r');
    execFileSync('ostree', ['init', `--repo=${r}`, '--mode=archive']);
    execFileSync('bash', ['-c', `printf '[core]\\nrepo_version=1\\nmode=floppy\\n' > ${r}/config`]);
    expect((await rejectionOf(openRepo(r), FormatError)).message).toMatch(/config.*core\.mode: unknown mode "floppy"/);
  });
});

describe('temp files', () => {
  it('removes what dead jigtree processes left in tmp/, and nothing else', async () => {
    const repo = await initRepo(path.join(tmp(), 'r'), { mode: 'archive' });
    // pid 2^22+1 is above the kernel's pid_max default, so no process has it.
    const dead = 4194305;
    const t = path.join(repo.path, 'tmp');
    mkdirSync(path.join(t, `jt-${dead}-0.abc`));
    writeFileSync(path.join(t, `jt-${dead}-0.abc`, '1'), 'partial');
    writeFileSync(path.join(t, `jt-file-${dead}-0.abc-2`), 'partial');
    writeFileSync(path.join(t, `jt-file-${process.pid}-0.abc-3`), 'ours, live');
    writeFileSync(path.join(t, 'ostree-tmp'), 'not ours');
    expect(await removeStaleTmpFiles(repo)).toBe(2);
    expect(readdirSync(t).sort()).toEqual(['cache', `jt-file-${process.pid}-0.abc-3`, 'ostree-tmp']);
  });
});

describe('keyfile', () => {
  it('round-trips and names the bad line', () => {
    const text = '[core]\nrepo_version=1\nmode=bare\n\n[remote "o"]\nurl=http://x\n';
    expect(formatKeyFile(parseKeyFile(text))).toBe(text);
    expect(thrownBy(() => parseKeyFile('[core]\nnonsense\n', 'c'), FormatError).message).toMatch(/c: .*line 2/);
  });
});

describe('refs', () => {
  it('validates names as ostree does', () => {
    for (const ok of ['main', 'exampleos/x86_64/stable', 'a_b-c.d', '1.0']) expect(validateRefName(ok)).toBe(ok);
    for (const bad of ['', '../etc', 'a/../b', 'a//b', '-x', '.hidden', 'a b', 'a/', 'é', 'ma..in']) thrownBy(() => validateRefName(bad), UsageError);
  });

  it('moves only to a complete commit, atomically, and lists and deletes', async () => {
    const repo = await initRepo(path.join(tmp(), 'r'), { mode: 'archive' });
    const tree = new MutableTree(dirMeta);
    const hello = await writeContentBytes(repo, file, te.encode('hello\n'));
    tree.setFile('/hello', hello.checksum);
    const root = writeMutableTree(repo, tree.root);
    const commit = writeCommitObject(repo, { metadata: [], parent: null, subject: 's', body: '', timestamp: 1, rootTree: root.tree, rootMeta: root.meta });
    const missing = parseChecksum('0'.repeat(64));
    await rejectionOf(writeRef(repo, 'main', missing), NotFoundError);
    expect(await readRef(repo, 'main')).toBeUndefined();
    await writeRef(repo, 'a/b', commit);
    await writeRef(repo, 'main', commit);
    expect(readFileSync(path.join(repo.path, 'refs/heads/main'), 'utf8')).toBe(`${commit}\n`);
    expect(await listRefs(repo)).toEqual([
      { name: 'a/b', commit },
      { name: 'main', commit },
    ]);
    expect(await resolveRev(repo, 'main')).toBe(commit);
    expect((await rejectionOf(resolveRev(repo, 'main^'), NotFoundError)).message).toMatch(/parent of commit/);
    expect(await deleteRef(repo, 'a/b')).toBe(true);
    expect(readdirSync(path.join(repo.path, 'refs/heads'))).toEqual(['main']);
    // ostree agrees the repo is whole.
    expect(execFileSync('ostree', ['fsck', `--repo=${repo.path}`], { encoding: 'utf8' })).toMatch(/no errors found/);

    const partial = writeCommitObject(repo, { metadata: [], parent: commit, subject: 'p', body: '', timestamp: 2, rootTree: root.tree, rootMeta: root.meta });
    await markCommitPartial(repo, partial);
    expect((await rejectionOf(writeRef(repo, 'main', partial), UsageError)).message).toMatch(/partial/);
    expect(await readRef(repo, 'main')).toBe(commit);
  });
});

describe('writing objects', () => {
  for (const mode of ['archive', 'bare-user'] as RepoMode[]) {
    it(`${mode}: a stream of the wrong length leaves nothing behind`, async () => {
      const repo = await initRepo(path.join(tmp(), 'r'), { mode });
      const err = await rejectionOf(writeContentStream(repo, file, 10, Readable.from([Buffer.from('short')]), 'f'), IntegrityError);
      expect(err.message).toMatch(/f: size: expected 10, got 5/);
      expect(readdirSync(path.join(repo.path, 'objects'))).toEqual([]);
      const files = readdirSync(path.join(repo.path, 'tmp'), { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory());
      expect(files).toEqual([]);
    });

    it(`${mode}: stream and bytes give the same object; a second write is reused`, async () => {
      const repo = await initRepo(path.join(tmp(), 'r'), { mode });
      const data = Buffer.alloc(3 << 20, 'abc');
      const stats = newWriteStats();
      const a = await writeContentStream(repo, { ...file, mode: 0o104755 }, data.length, Readable.from([data.subarray(0, 1000), data.subarray(1000)]), 'big', stats);
      const b = await writeContentBytes(repo, { ...file, mode: 0o104755 }, data, stats);
      expect(a).toEqual({ checksum: b.checksum, reused: false });
      expect(b.reused).toBe(true);
      expect(stats.objectsWritten).toBe(1);
      expect(stats.objectsReused).toBe(1);
      const obj = await loadContentObject(repo, a.checksum);
      expect(obj.header.mode).toBe(0o104755);
      expect(obj.size).toBe(data.length);
      expect((await collect(obj.open())).length).toBe(data.length);
      if (mode === 'bare-user') {
        // setuid dropped on disk, kept in user.ostreemeta; mtime 0 (ostree-format.md §2.6).
        const st = statSync(path.join(repo.path, 'objects', a.checksum.slice(0, 2), `${a.checksum.slice(2)}.file`));
        expect(st.mode & 0o7777).toBe(0o755);
        expect(st.mtimeMs).toBe(0);
      }
    });

    it(`${mode}: symlinks round-trip`, async () => {
      const repo = await initRepo(path.join(tmp(), 'r'), { mode });
      const w = await writeContentBytes(repo, { ...file, mode: 0o120777, target: '../usr/lib/x' }, new Uint8Array(0));
      const obj = await loadContentObject(repo, w.checksum);
      expect(obj.header).toEqual({ ...file, mode: 0o120777, target: '../usr/lib/x' });
      expect(await collect(obj.open())).toBe('');
    });
  }
});

describe('MutableTree', () => {
  it('creates, replaces and removes entries and refuses file/dir clashes', () => {
    const t = new MutableTree(dirMeta);
    const c = parseChecksum('1'.repeat(64));
    t.ensureDir('/usr/bin', dirMeta);
    t.setFile('/usr/bin/sh', c);
    expect(t.lookup('/usr/bin/sh')).toEqual({ kind: 'file', checksum: c });
    expect(t.lookup('/usr/bin')?.kind).toBe('dir');
    thrownBy(() => t.ensureDir('/usr/bin/sh', dirMeta), FormatError);
    thrownBy(() => { t.setFile('/usr', c); }, FormatError);
    thrownBy(() => { t.setFile('/nope/x', c); }, FormatError);
    thrownBy(() => { t.setFile('/usr/../etc', c); }, FormatError);
    expect(t.remove('/usr')).toBe(true);
    expect(t.lookup('/usr/bin/sh')).toBeUndefined();
    expect(t.remove('/usr')).toBe(false);
  });
});
