import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readXattr } from '../../core/index.js';
import { capsToXattr } from './file-caps.js';

describe('capsToXattr', () => {
  // Oracle: libcap's setcap writes the xattr rpm writes (cap_from_text + cap_set_file).
  it.each(['cap_net_raw=ep', 'cap_net_bind_service,cap_net_admin+ep', 'cap_sys_admin+p', 'cap_chown+ip', 'cap_bpf,cap_perfmon=ep'])('%s equals what setcap writes', (text) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jigtree-caps-'));
    try {
      const f = path.join(dir, 'f');
      writeFileSync(f, '');
      execFileSync('setcap', [text, f]);
      expect(Buffer.from(capsToXattr(text, 'test')).toString('hex')).toBe(Buffer.from(readXattr(f, 'security.capability') ?? new Uint8Array()).toString('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown capabilities and malformed clauses, naming the text', () => {
    expect(() => capsToXattr('cap_nonsense=ep', 'pkg: /f')).toThrow(/unknown capability "cap_nonsense"/);
    expect(() => capsToXattr('cap_chown', 'pkg: /f')).toThrow(/is not NAMES/);
  });
});
