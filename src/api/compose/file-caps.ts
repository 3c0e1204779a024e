/**
 * File capabilities: RPM headers record them as text (FILECAPS, `cap_net_raw=ep`, the
 * cap_to_text form); the file system and ostree carry them as the `security.capability` xattr
 * (struct vfs_cap_data, linux/capability.h). rpm converts with libcap's cap_from_text and
 * cap_set_file; this is the same conversion.
 */
import { FormatError } from '../../core/index.js';

/** Capability numbers (linux/capability.h), by libcap's lowercase name without `cap_`. */
const CAP_NAMES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'linux_immutable',
  'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot',
  'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease',
  'audit_write', 'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read',
  'perfmon', 'bpf', 'checkpoint_restore',
];

/** VFS_CAP_REVISION_2: two 32-bit words per set; VFS_CAP_FLAGS_EFFECTIVE in the low bit. */
const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

type Sets = { e: bigint; i: bigint; p: bigint };

/** Converts cap_from_text syntax (`cap_a,cap_b=ep cap_c+i`) into a security.capability value. */
export function capsToXattr(text: string, what: string): Uint8Array {
  const bad = (why: string): FormatError => new FormatError('rpm', `file capabilities ${JSON.stringify(text)}: ${why}`, { file: what });
  const all = (1n << BigInt(CAP_NAMES.length)) - 1n;
  const sets: Sets = { e: 0n, i: 0n, p: 0n };
  for (const clause of text.trim().split(/\s+/)) {
    if (clause === '') continue;
    const m = /^([^=+-]*)((?:[=+-][eip]*)+)$/.exec(clause);
    if (m === null) throw bad(`clause ${JSON.stringify(clause)} is not NAMES(=|+|-)FLAGS`);
    const names = m[1] ?? '';
    let mask = 0n;
    if (names === '' || names === 'all') mask = all;
    else {
      for (const n of names.split(',')) {
        const short = n.toLowerCase().replace(/^cap_/, '');
        const idx = /^\d+$/.test(short) ? Number(short) : CAP_NAMES.indexOf(short);
        if (idx < 0 || idx >= 64) throw bad(`unknown capability ${JSON.stringify(n)}`);
        mask |= 1n << BigInt(idx);
      }
    }
    for (const op of (m[2] ?? '').matchAll(/([=+-])([eip]*)/g)) {
      const flags = op[2] ?? '';
      if (op[1] === '=') {
        // `=` first clears the named caps from every set (cap_from_text), then raises the flags given.
        sets.e &= ~mask;
        sets.i &= ~mask;
        sets.p &= ~mask;
      }
      for (const f of flags) {
        const k = f as keyof Sets;
        sets[k] = op[1] === '-' ? sets[k] & ~mask : sets[k] | mask;
      }
    }
  }
  // A file has one effective bit: the effective set must be empty or cover permitted ∪ inheritable (cap_set_file).
  if (sets.e !== 0n && (sets.e & (sets.p | sets.i)) !== (sets.p | sets.i)) throw bad('the effective set must be empty or equal to permitted and inheritable');
  const out = new Uint8Array(20);
  const v = new DataView(out.buffer);
  v.setUint32(0, VFS_CAP_REVISION_2 | (sets.e !== 0n ? VFS_CAP_FLAGS_EFFECTIVE : 0), true);
  const word = (x: bigint, hi: boolean): number => Number((hi ? x >> 32n : x) & 0xffffffffn);
  v.setUint32(4, word(sets.p, false), true);
  v.setUint32(8, word(sets.i, false), true);
  v.setUint32(12, word(sets.p, true), true);
  v.setUint32(16, word(sets.i, true), true);
  return out;
}
