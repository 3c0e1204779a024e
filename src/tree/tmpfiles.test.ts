import { describe, expect, it } from 'vitest';
import { formatTmpfiles, formatTmpfilesLine, tmpfilesCanExpress } from './tmpfiles.js';

describe('tmpfiles', () => {
  it('formats d lines with a 4-digit octal mode and numeric owners, L lines with the target', () => {
    expect(formatTmpfilesLine({ type: 'd', path: '/var/mail', mode: 0o2775, uid: 0, gid: 8 })).toBe('d /var/mail 2775 0 8 - -');
    expect(formatTmpfilesLine({ type: 'd', path: '/var/x', mode: 0o40755, uid: 1, gid: 2 })).toBe('d /var/x 0755 1 2 - -');
    expect(formatTmpfilesLine({ type: 'L', path: '/var/run', target: '/run' })).toBe('L /var/run - - - - /run');
  });

  it('quotes paths with whitespace, quotes or backslashes and doubles % (as systemd-tmpfiles 252 reads them)', () => {
    expect(formatTmpfilesLine({ type: 'L', path: "/var/a b\\c\"q's%", target: '50%' })).toBe(`L "/var/a b\\\\c\\"q's%%" - - - - 50%%`);
    expect(formatTmpfilesLine({ type: 'd', path: '/var/plain%', mode: 0o755, uid: 0, gid: 0 })).toBe('d /var/plain%% 0755 0 0 - -');
    expect([tmpfilesCanExpress('/var/a\nb'), tmpfilesCanExpress('/var/a b')]).toEqual([false, true]);
  });

  it('sorts by path, collapses duplicates and adds the header', () => {
    const out = formatTmpfiles(
      [
        { type: 'd', path: '/var/lib/b', mode: 0o755, uid: 0, gid: 0 },
        { type: 'L', path: '/var/lib/a', target: 'x' },
        { type: 'd', path: '/var/lib', mode: 0o755, uid: 0, gid: 0 },
        { type: 'd', path: '/var/lib/b', mode: 0o755, uid: 0, gid: 0 },
      ],
      'hdr',
    );
    expect(out).toBe('# hdr\nd /var/lib 0755 0 0 - -\nL /var/lib/a - - - - x\nd /var/lib/b 0755 0 0 - -\n');
  });
});
