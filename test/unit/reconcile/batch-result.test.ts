import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBatchStderr } from '../../../shared/reconcile/batch-result.js';

test('error text before each marker belongs to the marked line', () => {
  // Recorded from `ip -n NS -force -batch -` on iproute2 6.1.
  const p = parseBatchStderr('RTNETLINK answers: File exists\nCommand failed -:2\nCannot find device "nosuch"\nCommand failed -:3\n');
  assert.deepEqual([...p.failed], [[2, 'RTNETLINK answers: File exists'], [3, 'Cannot find device "nosuch"']]);
  assert.equal(p.trailing, '');
  assert.equal(p.lastMarkedLine, 3);
});

test('text after the last marker is trailing (batch died)', () => {
  const p = parseBatchStderr('Error: ipv4: Address not found.\nCommand failed -:2\nRTNETLINK answers: No such file or directory\n');
  assert.equal(p.failed.size, 1);
  assert.equal(p.trailing, 'RTNETLINK answers: No such file or directory');
  assert.equal(parseBatchStderr('Cannot open network namespace "x": No such file or directory\n').lastMarkedLine, 0);
});
