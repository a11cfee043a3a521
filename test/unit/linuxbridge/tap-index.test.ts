/**
 * Tap → port as the server resolves it (Port.id.startswith(name minus "tap"), exactly
 * one match): the usual 11-character prefix, other lengths, case, no match, several.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TapIndex } from '../../../agents/linuxbridge/tap-index.js';
import { tapName } from '../../../agents/linuxbridge/model.js';

const A = '906a0fdd-eb11-4c3e-9f4e-7c2b1d0a5e61';
const B = 'ce628ac6-3d22-4a1b-8c5d-1e2f3a4b5c6d';
/** Same first 11 characters as C2: their taps have the same name. */
const C1 = '12345678-aaaa-4bbb-8ccc-000000000001';
const C2 = '12345678-aaaa-4bbb-8ccc-000000000002';

test('tap + port_id[:11] names exactly its port', () => {
  const ix = new TapIndex([A, B]);
  assert.deepEqual(ix.lookup(tapName(A)), { kind: 'port', portId: A });
  assert.deepEqual(ix.lookup('tapce628ac6-3d'), { kind: 'port', portId: B });
});

test('ids are matched lower-case, whatever case the index or the name uses', () => {
  assert.deepEqual(new TapIndex([A.toUpperCase()]).lookup(tapName(A)), { kind: 'port', portId: A });
  assert.deepEqual(new TapIndex([A]).lookup(`tap${A.slice(0, 11).toUpperCase()}`), { kind: 'port', portId: A });
});

test('no port with that prefix, or a name that is no tap: absent', () => {
  const ix = new TapIndex([A]);
  assert.deepEqual(ix.lookup(tapName(B)), { kind: 'absent' });
  assert.deepEqual(ix.lookup('vxlan-1001'), { kind: 'absent' });
  assert.deepEqual(ix.lookup(`qvo${A.slice(0, 11)}`), { kind: 'absent' });
  assert.deepEqual(new TapIndex([]).lookup('tap'), { kind: 'absent' });
});

test('two ports with the same prefix: ambiguous (the server answers {device})', () => {
  const ix = new TapIndex([C2, A, C1]);
  assert.deepEqual(ix.lookup(tapName(C1)), { kind: 'ambiguous', portIds: [C1, C2] });
  // A longer name (tap + 12 characters still fits IFNAMSIZ) can tell them apart... not here: both share 12 too.
  assert.deepEqual(ix.lookup(`tap${C1.slice(0, 12)}`), { kind: 'ambiguous', portIds: [C1, C2] });
  assert.equal(ix.lookup('tap').kind, 'ambiguous', 'an empty prefix matches every port');
});

test('prefixes of other lengths are matched by startswith, as the server does', () => {
  const ix = new TapIndex([A, B, C1]);
  assert.deepEqual(ix.lookup('tap906a0f'), { kind: 'port', portId: A });
  assert.deepEqual(ix.lookup(`tap${B.slice(0, 12)}`), { kind: 'port', portId: B });
  assert.deepEqual(ix.lookup('tap906a0fdd-eb12'), { kind: 'absent' });
});

test('candidates: the ids of a listing a tap could name (what a targeted pull asks for)', () => {
  assert.deepEqual(TapIndex.candidates(tapName(C1), [A, C1, C2, B]), [C1, C2]);
  assert.deepEqual(TapIndex.candidates(tapName(A), [A.toUpperCase(), B]), [A]);
  assert.deepEqual(TapIndex.candidates('tap', [A, B]), [], 'never the whole host for a bare "tap"');
  assert.deepEqual(TapIndex.candidates('eth0', [A]), []);
});
