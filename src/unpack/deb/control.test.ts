import { describe, expect, it } from 'vitest';
import { FormatError } from '../../core/index.js';
import { absolutePath, parseConffiles, parseMd5sums, parseTriggers, scriptInterpreter } from './control.js';

describe('control.tar files', () => {
  it('parses md5sums in md5sum(1) text and binary forms, CRLF and blank lines tolerated', () => {
    const text = 'D41D8CD98F00B204E9800998ECF8427E  usr/share/doc/a b\r\n\n0cc175b9c0f1b6a831c399e269772661 *./usr/bin/x\n';
    expect([...parseMd5sums(text, 'p.deb: control.tar.xz: ./md5sums')]).toEqual([
      ['/usr/share/doc/a b', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['/usr/bin/x', '0cc175b9c0f1b6a831c399e269772661'],
    ]);
    expect(() => parseMd5sums('0cc175b9c0f1b6a831c399e269772661\n', 'f')).toThrow('f: deb: line 1: expected "<md5>  <path>"');
    expect(() => parseMd5sums('0cc175b9c0f1b6a831c399e26977266  x\n', 'f')).toThrow(FormatError);
  });

  it('parses conffiles as dpkg does: blanks trimmed, empty lines skipped, flags before the path', () => {
    expect(parseConffiles('/etc/a  \n\n  \nremove-on-upgrade   /etc/b\n/etc/with space\n', 'f')).toEqual([
      { path: '/etc/a', flags: [] },
      { path: '/etc/b', flags: ['remove-on-upgrade'] },
      { path: '/etc/with space', flags: [] },
    ]);
    expect(() => parseConffiles('/etc/a\nremove-on-upgrade\n', 'f')).toThrow('f: deb: line 2: conffile "remove-on-upgrade" is not an absolute path');
    expect(() => parseConffiles('/etc/../x\n', 'f')).toThrow('invalid conffile path');
  });

  it('parses triggers with comments and every directive', () => {
    const directives = ['interest', 'interest-await', 'interest-noawait', 'activate', 'activate-await', 'activate-noawait'];
    expect(parseTriggers(`# comment\n${directives.map((d, i) => `  ${d}\tt${i}  `).join('\n')}\n`, 'f')).toEqual(directives.map((directive, i) => ({ directive, name: `t${i}` })));
    expect(() => parseTriggers('interest\n', 'f')).toThrow('f: deb: line 1: expected "interest <trigger-name>"');
  });

  it('takes the interpreter from the #! line', () => {
    expect(scriptInterpreter('#!/bin/sh -e\nexit 0\n')).toBe('/bin/sh');
    expect(scriptInterpreter('#! /usr/bin/perl -w\n')).toBe('/usr/bin/perl');
    expect(scriptInterpreter('#!/bin/bash')).toBe('/bin/bash');
    expect(scriptInterpreter('#!\n')).toBeUndefined();
    expect(scriptInterpreter('\x7fELF...')).toBeUndefined();
  });

  it('makes paths absolute and refuses .. and empty ones', () => {
    expect(absolutePath('./usr//bin/./x')).toBe('/usr/bin/x');
    expect(absolutePath('a/../b')).toBeUndefined();
    expect(absolutePath('./')).toBeUndefined();
  });
});
