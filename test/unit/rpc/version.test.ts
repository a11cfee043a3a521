import { test } from 'node:test';
import assert from 'node:assert/strict';
import { versionIsCompatible, parseVersion, InvalidVersionError } from '../../../shared/rpc/version.js';

test('oslo version rule: same major, requested minor <= implemented, revision on equal minor', () => {
  const cases: Array<[string, string, boolean]> = [
    ['1.9', '1.0', true],
    ['1.9', '1.9', true],
    ['1.9', '1.10', false],
    ['1.10', '1.9', true],
    ['1.9', '2.0', false],
    ['2.0', '1.0', false],
    ['1.2', '1.2.0', true],
    ['1.2', '1.2.1', false],
    ['1.2.3', '1.2.1', true],
    ['1.3.0', '1.2.9', true],
  ];
  for (const [imp, req, want] of cases) assert.equal(versionIsCompatible(imp, req), want, `${imp} vs ${req}`);
});

test('malformed versions raise InvalidVersionError (Python int() ValueError)', () => {
  for (const v of ['1', 'a.b', '', '1.x']) assert.throws(() => parseVersion(v), InvalidVersionError, v);
  assert.throws(() => parseVersion(null), InvalidVersionError);
});
