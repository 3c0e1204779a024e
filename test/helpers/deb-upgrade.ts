import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const run = promisify(execFile);

/** Writes by rename, so a file hard-linked from the source mirror is replaced, never changed in place. */
function replaceFile(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

const hash = (algo: string, b: Uint8Array): string => createHash(algo).update(b).digest('hex');

/**
 * A copy of an apt mirror (hard links, so it costs nothing) in which package `name` is rebuilt as
 * version `<v>+jt1` with one more file (`/usr/share/doc/<name>/jigtree-rebuild`, so it holds a new
 * object), its Packages stanza and the Release hashes updated: "a newer version of one Debian
 * package in the mirror" for the upgrade tests and bench:assemble. Returns the new version and the
 * new .deb's size.
 */
export async function upgradedDebMirror(src: string, dest: string, name: string, suite = 'bookworm'): Promise<{ version: string; size: number; file: string }> {
  rmSync(dest, { recursive: true, force: true });
  await run('cp', ['-al', src, dest]);
  const pkgsFile = path.join(dest, 'dists', suite, 'main', 'binary-amd64', 'Packages');
  const stanzas = readFileSync(pkgsFile, 'utf8').trimEnd().split('\n\n');
  const i = stanzas.findIndex((s) => s.startsWith(`Package: ${name}\n`));
  if (i < 0) throw new Error(`${name} is not in ${pkgsFile}`);
  const stanza = stanzas[i] as string;
  const field = (f: string): string => {
    const m = new RegExp(`^${f}: (.*)$`, 'm').exec(stanza);
    if (m === null) throw new Error(`${name}: no ${f}`);
    return m[1] as string;
  };
  const oldFile = path.join(dest, field('Filename'));
  const version = `${field('Version')}+jt1`;
  const work = mkdtempSync(path.join(os.tmpdir(), 'jt-rebuild-'));
  try {
    const root = path.join(work, 'root');
    await run('dpkg-deb', ['-R', oldFile, root]);
    const control = readFileSync(path.join(root, 'DEBIAN', 'control'), 'utf8').replace(/^Version: .*$/m, `Version: ${version}`);
    writeFileSync(path.join(root, 'DEBIAN', 'control'), control);
    const doc = path.join(root, 'usr', 'share', 'doc', name);
    mkdirSync(doc, { recursive: true });
    writeFileSync(path.join(doc, 'jigtree-rebuild'), `${name} ${version}: rebuilt for the jigtree upgrade tests\n`);
    const md5 = path.join(root, 'DEBIAN', 'md5sums');
    try {
      const line = `${hash('md5', readFileSync(path.join(doc, 'jigtree-rebuild')))}  usr/share/doc/${name}/jigtree-rebuild\n`;
      writeFileSync(md5, readFileSync(md5, 'utf8') + line);
    } catch {
      // no md5sums in this package: nothing to add to
    }
    const newRel = field('Filename').replace(/_[^_]+_([^_]+\.deb)$/, `_${version.replace(/^\d+:/, '')}_$1`);
    const newFile = path.join(dest, newRel);
    // Fixed times, so the same rebuild gives the same bytes (and the same commit) every run.
    await run('find', [root, '-newermt', '@1767225600', '-exec', 'touch', '-h', '-d', '@1767225600', '{}', '+']);
    await run('dpkg-deb', ['--root-owner-group', '-Zxz', '-b', root, `${newFile}.tmp`], { env: { ...process.env, SOURCE_DATE_EPOCH: '1767225600' } });
    renameSync(`${newFile}.tmp`, newFile);
    if (newFile !== oldFile) unlinkSync(oldFile);
    const deb = readFileSync(newFile);
    const updated = stanza
      .replace(/^Version: .*$/m, `Version: ${version}`)
      .replace(/^Filename: .*$/m, `Filename: ${newRel}`)
      .replace(/^Size: .*$/m, `Size: ${deb.length}`)
      .replace(/^MD5sum: .*$/m, `MD5sum: ${hash('md5', deb)}`)
      .replace(/^SHA1: .*$/m, `SHA1: ${hash('sha1', deb)}`)
      .replace(/^SHA256: .*$/m, `SHA256: ${hash('sha256', deb)}`)
      .replace(/^SHA512: .*$/m, `SHA512: ${hash('sha512', deb)}`);
    stanzas[i] = updated;
    const text = `${stanzas.join('\n\n')}\n`;
    replaceFile(pkgsFile, text);
    replaceFile(`${pkgsFile}.gz`, gzipSync(text, { level: 9 }));
    const { stdout: xz } = await run('xz', ['-c', '-9', pkgsFile], { encoding: 'buffer', maxBuffer: 1 << 28 });
    replaceFile(`${pkgsFile}.xz`, xz);
    // Release: refresh every listed file's size and hashes.
    const relFile = path.join(dest, 'dists', suite, 'Release');
    const rel = readFileSync(relFile, 'utf8').replace(/^ ([0-9a-f]+) +(\d+) (\S+)$/gm, (line, sum: string, _size: string, rp: string) => {
      const f = path.join(dest, 'dists', suite, rp);
      const b = readFileSync(f);
      const algo = sum.length === 32 ? 'md5' : sum.length === 40 ? 'sha1' : sum.length === 64 ? 'sha256' : 'sha512';
      return ` ${hash(algo, b)} ${String(b.length).padStart(16)} ${rp}`;
    });
    replaceFile(relFile, rel);
    for (const sig of ['InRelease', 'Release.gpg']) rmSync(path.join(dest, 'dists', suite, sig), { force: true });
    return { version, size: statSync(newFile).size, file: newRel };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
