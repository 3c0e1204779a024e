import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../core/index.js';
import { parseDeb822 } from '../pkg/index.js';
import { thrownBy } from '../../test/helpers/errors.js';
import { dpkgDatabase, dpkgStatusParagraph, type DpkgDatabaseEntry, type DpkgPackageInput } from './dpkg-database.js';

const opts = { arch: 'amd64', foreignArchs: [] };
const pkg = (control: string, more: Partial<DpkgPackageInput> = {}): DpkgPackageInput => ({ control, controlFiles: [], paths: ['/.', '/usr'], conffiles: [], ...more });
const text = (entries: DpkgDatabaseEntry[], p: string): string | undefined => {
  const e = entries.find((x) => x.path === p);
  return e === undefined || 'dir' in e ? undefined : new TextDecoder().decode(e.bytes);
};

describe('dpkgDatabase', () => {
  it('records each package as unpacked, sorted by name then architecture', () => {
    const out = dpkgDatabase([pkg('Package: zz\nVersion: 1\nArchitecture: all\n'), pkg('Package: aa\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\n'), pkg('Package: aa\nVersion: 1\nArchitecture: i386\nMulti-Arch: same\n')], { arch: 'amd64', foreignArchs: ['i386', 'amd64', 'i386'] });
    const status = text(out, '/var/lib/dpkg/status') ?? '';
    expect(parseDeb822(status).map((p) => `${p.get('Package') ?? ''}:${p.get('Architecture') ?? ''}:${p.get('Status') ?? ''}`)).toEqual(['aa:amd64:install ok unpacked', 'aa:i386:install ok unpacked', 'zz:all:install ok unpacked']);
    expect(text(out, '/var/lib/dpkg/arch')).toBe('amd64\ni386\n');
    expect(text(out, '/var/lib/dpkg/info/aa:i386.list')).toBe('/.\n/usr\n');
    expect(out.map((e) => e.path)).toEqual([...out.map((e) => e.path)].sort());
    expect(out.filter((e) => 'dir' in e).map((e) => e.path)).toEqual(['/var/lib/dpkg', '/var/lib/dpkg/info', '/var/lib/dpkg/triggers', '/var/lib/dpkg/updates']);
  });

  it('installs control members as dpkg does: scripts 0755, no control/list/dotted names, no md5sums invented', () => {
    const bytes = new Uint8Array([1]);
    const out = dpkgDatabase([pkg('Package: p1\nVersion: 1\nArchitecture: all\n', { controlFiles: ['postinst', 'config', 'templates', 'control', 'list', 'a.b'].map((name) => ({ name, bytes })), paths: ['/'] })], opts);
    const info = out.filter((e) => e.path.startsWith('/var/lib/dpkg/info/p1.')).map((e) => [e.path.slice(19), e.mode]);
    expect(info).toEqual([['p1.config', 0o755], ['p1.list', 0o644], ['p1.postinst', 0o755], ['p1.templates', 0o644]]);
    expect(text(out, '/var/lib/dpkg/info/p1.list')).toBe('/.\n');
  });

  it('normalizes fields as dpkg writes them and keeps unknown fields in control order', () => {
    const para = dpkgStatusParagraph(pkg('Package: pp\nZ-Field: z\nDepends: a(>=0:1),b|c:any (<2)\nVersion: 0:2-1\nClass: Optional\nEssential: Yes\nArchitecture: all\nA-Field: a\n', { conffiles: [{ path: '/etc/p', md5: 'd41d8cd98f00b204e9800998ecf8427e' }] }));
    expect(para).toBe('Package: pp\nEssential: yes\nStatus: install ok unpacked\nPriority: optional\nArchitecture: all\nVersion: 2-1\nDepends: a (>= 1), b | c:any (<= 2)\nConffiles:\n /etc/p d41d8cd98f00b204e9800998ecf8427e\nZ-Field: z\nA-Field: a\n');
  });

  it('writes trigger interests in unpack order, file interests in triggers/File', () => {
    const trig = (t: string): { name: string; bytes: Uint8Array }[] => [{ name: 'triggers', bytes: new TextEncoder().encode(t) }];
    const out = dpkgDatabase([
      pkg('Package: bb\nVersion: 1\nArchitecture: all\n', { controlFiles: trig('interest t1\ninterest-noawait /usr/share/x\n') }),
      pkg('Package: aa\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\n', { controlFiles: trig('# c\ninterest-noawait t1\nactivate t2\n') }),
    ], opts);
    expect(text(out, '/var/lib/dpkg/triggers/t1')).toBe('bb\naa:amd64/noawait\n');
    expect(text(out, '/var/lib/dpkg/triggers/File')).toBe('/usr/share/x bb/noawait\n');
    expect(text(out, '/var/lib/dpkg/triggers/t2')).toBeUndefined();
  });

  it.each([
    ['Package: Bad\nVersion: 1\nArchitecture: all\n', 'not a valid package name'],
    ['Package: pp\nVersion: 1\n', 'Architecture: missing'],
    ['Package: pp\nVersion: 1\nArchitecture: all\nMulti-Arch: same\n', 'not allowed for Architecture: all'],
    ['Package: pp\nVersion: 1\nArchitecture: all\nStatus: install ok installed\n', 'not allowed in a control file'],
    ['Package: pp\nVersion: a b\nArchitecture: all\n', 'invalid version'],
    ['Package: pp\nVersion: 1\nArchitecture: all\nEssential: maybe\n', 'expected yes or no'],
    ['Package: pp\nVersion: 1\nArchitecture: all\n\nPackage: q\n', 'exactly one paragraph'],
  ])('rejects a bad control file with one clear line (%#)', (control, why) => {
    expect(thrownBy(() => dpkgDatabase([pkg(control)], opts), FormatError).message).toContain(why);
  });

  it('rejects duplicate packages, bad conffile md5s and bad trigger files', () => {
    const p = pkg('Package: pp\nVersion: 1\nArchitecture: all\n');
    expect(thrownBy(() => dpkgDatabase([p, p], opts), FormatError).message).toContain('given twice');
    expect(thrownBy(() => dpkgDatabase([{ ...p, conffiles: [{ path: '/etc/x', md5: 'XYZ' }] }], opts), FormatError).message).toContain('32 lowercase hex');
    expect(thrownBy(() => dpkgDatabase([{ ...p, controlFiles: [{ name: 'triggers', bytes: new TextEncoder().encode('frob x\n') }] }], opts), FormatError).message).toContain('pp triggers line 1: unknown directive');
  });

  it('is deterministic and its status parses back to the same packages (property)', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{1,8}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 6 }), (names) => {
        const inputs = names.map((n) => pkg(`Package: ${n}\nVersion: 1.0\nArchitecture: all\nDescription: d\n more\n`));
        const a = dpkgDatabase(inputs, opts);
        expect(dpkgDatabase([...inputs].reverse(), opts).find((e) => e.path.endsWith('/status'))).toEqual(a.find((e) => e.path.endsWith('/status')));
        const back = parseDeb822(text(a, '/var/lib/dpkg/status') ?? '');
        expect(back.map((p) => p.get('Package'))).toEqual([...names].sort());
        expect(back.every((p) => p.get('Description') === 'd\n more')).toBe(true);
      }),
    );
  });
});
