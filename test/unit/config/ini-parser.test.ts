import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIni, ConfigError } from '../../../shared/config/index.js';

const vals = (text: string, section: string, key: string): string[] | undefined =>
  parseIni(text, 'x.ini').sections.get(section)?.get(key)?.map((v) => v.value);

test('key = value and key: value, whichever separator comes first', () => {
  const text = '[DEFAULT]\na = 1\nb: 2\nc = x:y\nd: x=y\ne=\n';
  assert.deepEqual(vals(text, 'DEFAULT', 'a'), ['1']);
  assert.deepEqual(vals(text, 'DEFAULT', 'b'), ['2']);
  assert.deepEqual(vals(text, 'DEFAULT', 'c'), ['x:y']);
  assert.deepEqual(vals(text, 'DEFAULT', 'd'), ['x=y']);
  assert.deepEqual(vals(text, 'DEFAULT', 'e'), ['']);
});

test('comments only at line start; no inline comments; quotes stripped when matching', () => {
  const text = '# c\n; c\n[s]\na = b # not a comment\nq = "quoted"\nr = \'x\'\nu = "unbalanced\n';
  assert.deepEqual(vals(text, 's', 'a'), ['b # not a comment']);
  assert.deepEqual(vals(text, 's', 'q'), ['quoted']);
  assert.deepEqual(vals(text, 's', 'r'), ['x']);
  assert.deepEqual(vals(text, 's', 'u'), ['"unbalanced']);
});

test('continuation lines join with newline; blank line or comment ends them; indented # continues', () => {
  const text = '[s]\na = one\n  two\n\ttwo-b\n\nb = x\n# end\nc =\n   first\n   # kept\n';
  assert.deepEqual(vals(text, 's', 'a'), ['one\ntwo\ntwo-b']);
  assert.deepEqual(vals(text, 's', 'b'), ['x']);
  assert.deepEqual(vals(text, 's', 'c'), ['\nfirst\n# kept']);
});

test('repeated keys accumulate; repeated sections merge; CRLF accepted', () => {
  const text = '[s]\r\na = 1\r\n[t]\r\nz = 0\r\n[s]\r\na = 2\r\n';
  assert.deepEqual(vals(text, 's', 'a'), ['1', '2']);
});

test('section names normalise to lower case except DEFAULT', () => {
  const f = parseIni('[AGENT]\na = 1\n[default]\nb = 2\n[DEFAULT]\nc = 3\n', 'x.ini');
  assert.deepEqual([...f.sections.keys()].sort(), ['DEFAULT', 'agent', 'default']);
  assert.equal(f.sections.get('agent')?.get('a')?.[0]?.section, 'AGENT');
});

test('syntax errors name file and line like oslo', () => {
  const cases: Array<[string, RegExp]> = [
    ['a = 1\n', /x\.ini: at line 1, Section must be started before assignment/],
    ['[s]\n  cont\n', /at line 2, Unexpected continuation line/],
    ['[s]\nnovalue\n', /at line 2, No ':' or '=' found in assignment/],
    ['[s]\n= v\n', /at line 2, Key cannot be empty/],
    ['[s\n', /at line 1, Invalid section \(must end with \]\)/],
    ['[]\n', /at line 1, Empty section name/],
    ['[s] # c\n', /Invalid section/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseIni(text, 'x.ini'),
      (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_PARSE' && e.file === 'x.ini' && re.test(e.message),
      text,
    );
  }
});
