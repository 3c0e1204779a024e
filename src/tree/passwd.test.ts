import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { addAltfiles, formatGroup, formatPasswd, parseGroup, parsePasswd, splitGroup, splitPasswd, type GroupEntry, type PasswdEntry } from './passwd.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\n# comment\n\n+nisuser\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\ntoor:x:0:0::/root:/bin/sh\nroot:x:5:5:dup:/:/bin/false\r\n';
const GROUP = 'root:x:0:\nwheel:x:10:alice,bob\nadm:x:4:syslog\n-nis\nnogroup:x:65534:\n';

describe('parsePasswd / parseGroup', () => {
  it('parses entries, skips comments, blanks and NIS lines, and keeps the first of a duplicate name', () => {
    const m = parsePasswd(PASSWD);
    expect([...m.keys()]).toEqual(['root', 'daemon', 'toor']);
    expect(m.get('root')).toEqual({ name: 'root', password: 'x', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash' });
    expect(m.get('daemon')?.uid).toBe(1);
    const g = parseGroup(GROUP);
    expect(g.get('wheel')).toEqual({ name: 'wheel', password: 'x', gid: 10, members: ['alice', 'bob'] });
    expect(g.get('nogroup')?.members).toEqual([]);
  });

  it.each([
    ['root:x:0:0:root:/root\n', 'line 1: expected 7 colon-separated fields'],
    ['a:x:1:1:::\nb:x:-1:1:::\n', 'line 2: uid "-1" is not a decimal id'],
    ['a:x:1:99999999999:::\n', 'gid "99999999999"'],
    [':x:1:1:::\n', 'empty user name'],
  ])('rejects a malformed passwd line naming the file and line (%#)', (text, why) => {
    const err = thrownBy(() => parsePasswd(text, '/usr/etc/passwd'), FormatError);
    expect(err.message).toContain('/usr/etc/passwd');
    expect(err.message).toContain(why);
  });

  it('rejects a malformed group line naming the file and line', () => {
    const err = thrownBy(() => parseGroup('root:x:0:\nwheel:x:10\n'), FormatError);
    expect(err.message).toMatch(/\/etc\/group: .*line 2: expected 4 colon-separated fields/);
    expect(err.data['line']).toBe(2);
  });

  it('round-trips formatted entries', () => {
    const field = fc.stringMatching(/^[a-z0-9_ /.-]{0,8}$/);
    const name = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,8}$/);
    const id = fc.integer({ min: 0, max: 0xffffffff });
    const pw = fc.uniqueArray(fc.record({ name, password: field, uid: id, gid: id, gecos: field, home: field, shell: field }), { selector: (e) => e.name, maxLength: 8 });
    fc.assert(fc.property(pw, (entries: PasswdEntry[]) => {
      expect([...parsePasswd(formatPasswd(entries)).values()]).toEqual(entries);
    }));
    const gr = fc.uniqueArray(fc.record({ name, password: field, gid: id, members: fc.array(name, { maxLength: 3 }) }), { selector: (e) => e.name, maxLength: 8 });
    fc.assert(fc.property(gr, (entries: GroupEntry[]) => {
      expect([...parseGroup(formatGroup(entries)).values()]).toEqual(entries);
    }));
  });
});

describe('splitPasswd / splitGroup', () => {
  it('keeps uid 0 and skipped lines in /etc and moves the rest, byte for byte', () => {
    const { etc, usr } = splitPasswd(PASSWD);
    expect(etc).toBe('root:x:0:0:root:/root:/bin/bash\n# comment\n\n+nisuser\ntoor:x:0:0::/root:/bin/sh\n');
    expect(usr).toBe('daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nroot:x:5:5:dup:/:/bin/false\n');
  });

  it('keeps gid 0 and etc-group-members in /etc/group', () => {
    const { etc, usr } = splitGroup(GROUP, ['wheel']);
    expect(etc).toBe('root:x:0:\nwheel:x:10:alice,bob\n-nis\n');
    expect(usr).toBe('adm:x:4:syslog\nnogroup:x:65534:\n');
  });

  it('loses and invents no line', () => {
    fc.assert(fc.property(fc.array(fc.record({ name: fc.stringMatching(/^[a-z]{1,6}$/), uid: fc.nat(3) })), (users) => {
      const text = users.map((u) => `${u.name}:x:${u.uid}:${u.uid}:::\n`).join('');
      const { etc, usr } = splitPasswd(text);
      expect((etc + usr).split('\n').sort()).toEqual(text.split('\n').sort());
      expect([...parsePasswd(usr).values()].every((e) => e.uid !== 0)).toBe(true);
    }));
  });
});

describe('addAltfiles', () => {
  it('puts altfiles after files on passwd and group only, once', () => {
    const text = '# passwd: files\npasswd:     files systemd\nshadow:     files\ngroup:      sss files\nhosts: files dns\n';
    const once = addAltfiles(text);
    expect(once).toBe('# passwd: files\npasswd: files altfiles systemd\nshadow:     files\ngroup: sss files altfiles\nhosts: files dns\n');
    expect(addAltfiles(once)).toBe(once);
  });

  it('appends altfiles when there is no files source', () => {
    expect(addAltfiles('passwd: sss\n')).toBe('passwd: sss altfiles\n');
  });
});
