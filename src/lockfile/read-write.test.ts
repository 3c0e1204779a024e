import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, NotFoundError, ValidationError } from '../core/index.js';
import { rejectionOf } from '../../test/helpers/errors.js';
import { formatLockfile, readLockfile, writeLockfile, type Lockfile } from './index.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jigtree-lockfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LOCK: Lockfile = {
  version: 1, ref: 'debian/bookworm/minbase', arch: 'amd64',
  repos: [{ id: 'bookworm', kind: 'apt', baseurl: 'http://127.0.0.1:8080/debian', revision: 'sha256:0123' }],
  packages: [
    { kind: 'deb', name: 'dpkg', evr: '1.21.22', arch: 'amd64', repo: 'bookworm', location: 'http://127.0.0.1:8080/debian/pool/main/d/dpkg/dpkg_1.21.22_amd64.deb', size: 1558044, digest: `sha256:${'1'.repeat(64)}` },
    { kind: 'deb', name: 'base-files', evr: '12.4+deb12u5', arch: 'amd64', repo: 'bookworm', location: 'http://127.0.0.1:8080/debian/pool/main/b/base-files/base-files_12.4+deb12u5_amd64.deb', size: 70664, digest: `sha256:${'2'.repeat(64)}` },
  ],
};

describe('writeLockfile / readLockfile', () => {
  it('writes the canonical bytes, reads them back, and leaves no temp file', async () => {
    const file = path.join(dir, 'lock.json');
    await writeLockfile(file, LOCK);
    expect(await readFile(file, 'utf8')).toBe(formatLockfile(LOCK));
    const back = await readLockfile(file);
    expect(back.packages.map((p) => p.name)).toEqual(['base-files', 'dpkg']);
    expect(formatLockfile(back)).toBe(formatLockfile(LOCK));
    // replacing an existing lockfile works the same way
    await writeLockfile(file, { ...LOCK, packages: LOCK.packages.slice(0, 1) });
    expect((await readLockfile(file)).packages.map((p) => p.name)).toEqual(['dpkg']);
    expect(await readdir(dir)).toEqual(['lock.json']);
  });

  it('writes nothing when the lockfile is invalid', async () => {
    const file = path.join(dir, 'kept.json');
    await writeFile(file, 'old');
    await rejectionOf(writeLockfile(file, { ...LOCK, ref: '../x' }), ValidationError);
    expect(await readFile(file, 'utf8')).toBe('old');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('names the file in errors', async () => {
    const missing = path.join(dir, 'none.json');
    expect((await rejectionOf(readLockfile(missing), NotFoundError)).message).toBe(`${missing}: not found`);
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"version": 1,}');
    expect((await rejectionOf(readLockfile(bad), FormatError)).message).toMatch(new RegExp(`^${bad}: json: `));
    await writeFile(bad, '{"version": 1}');
    expect((await rejectionOf(readLockfile(bad), ValidationError)).message).toBe(`${bad}: /ref: expected a non-empty string, got nothing (the key is missing) (and 3 more)`);
    await rejectionOf(writeLockfile(path.join(dir, 'no-such-dir', 'l.json'), LOCK), NotFoundError);
  });
});
