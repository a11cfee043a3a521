import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMappings, ValueError } from '../../../shared/config/index.js';

test('parse_mappings: strips, skips empty items', () => {
  assert.deepEqual(parseMappings([' physnet1 : eth1 ', '', '  ', 'physnet2:br-ex']), { physnet1: 'eth1', physnet2: 'br-ex' });
  assert.deepEqual(parseMappings([]), {});
});

test('parse_mappings: the same errors as neutron_lib', () => {
  const cases: Array<[string[], string]> = [
    [['a'], "Invalid mapping: 'a'"],
    [['a:b:c'], "Invalid mapping: 'a:b:c'"],
    [[':b'], "Missing key in mapping: ':b'"],
    [['a: '], "Missing value in mapping: 'a:'"],
    [['a:x', 'a:y'], "Key a in mapping: 'a:y' not unique"],
    [['a:x', 'b:x'], "Value x in mapping: 'b:x' not unique"],
  ];
  for (const [list, message] of cases) {
    assert.throws(() => parseMappings(list), (e: unknown) => e instanceof ValueError && e.message === message, message);
  }
});

test('parse_mappings: uniqueValues false, uniqueKeys false', () => {
  assert.deepEqual(parseMappings(['a:x', 'b:x'], { uniqueValues: false }), { a: 'x', b: 'x' });
  assert.deepEqual(parseMappings(['a:x', 'a:y', 'a:x', 'b:x'], { uniqueKeys: false }), { a: ['x', 'y'], b: ['x'] });
  assert.deepEqual(Object.keys(parseMappings(['__proto__:x'])), ['__proto__']);
});
