import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcDispatcher, UniqueIdCache, type RpcEndpoint } from '../../../shared/rpc/dispatcher.js';
import { RpcHandlerError, RpcConfigError } from '../../../shared/rpc/errors.js';

const calls: string[] = [];
const endpoints: RpcEndpoint[] = [
  { version: '1.1', methods: { a: () => { calls.push('ep1.a'); return 'ep1'; }, _private: () => 'no' } },
  { version: '1.5', methods: { a: () => 'ep2', b: (_c, args) => args['x'] } },
  { version: '2.0', methods: { c: () => 'v2' } },
  { version: '1.9', namespace: 'ns', methods: { a: () => 'ns' } },
  { version: '1.0', methods: { boom: () => { throw new RpcHandlerError('nope', 'KeyError'); }, fail: async () => { throw new Error('x'); }, undef: () => undefined } },
];
const d = new RpcDispatcher(endpoints);

test('first compatible endpoint having the method wins', async () => {
  assert.deepEqual(await d.dispatch({}, { method: 'a', args: {}, version: '1.0' }), { ok: true, result: 'ep1', method: 'a' });
  assert.deepEqual(await d.dispatch({}, { method: 'a', args: {}, version: '1.3' }), { ok: true, result: 'ep2', method: 'a' });
  assert.deepEqual(await d.dispatch({}, { method: 'b', args: { x: 5 }, version: '1.1' }), { ok: true, result: 5, method: 'b' });
});

test('default requested version is 1.0; namespace must match', async () => {
  assert.deepEqual(await d.dispatch({}, { method: 'a', args: {} }), { ok: true, result: 'ep1', method: 'a' });
  assert.deepEqual(await d.dispatch({}, { method: 'a', args: {}, version: '1.9', namespace: 'ns' }), { ok: true, result: 'ns', method: 'a' });
});

test('NoSuchMethod when some endpoint was compatible, UnsupportedVersion when none', async () => {
  const r1 = await d.dispatch({}, { method: 'zzz', args: {}, version: '1.0' });
  assert.ok(!r1.ok && r1.failure.class === 'NoSuchMethod' && r1.failure.module === 'oslo_messaging.rpc.dispatcher');
  const r2 = await d.dispatch({}, { method: 'a', args: {}, version: '1.6' });
  assert.ok(!r2.ok && r2.failure.class === 'UnsupportedVersion');
  assert.ok(!r2.ok && r2.failure.message === 'Endpoint does not support RPC version 1.6. Attempted method: a');
  const r3 = await d.dispatch({}, { method: 'a', args: {}, version: '3.0' });
  assert.ok(!r3.ok && r3.reason === 'unsupported-version');
  const r4 = await d.dispatch({}, { method: '_private', args: {} });
  assert.ok(!r4.ok && r4.reason === 'no-such-method');
  const r5 = await d.dispatch({}, { method: 'toString', args: {} });
  assert.ok(!r5.ok && r5.reason === 'no-such-method', 'prototype members are not methods');
  const r6 = await d.dispatch({}, { method: 'a', args: {}, version: null });
  assert.ok(!r6.ok && r6.failure.message.startsWith('Endpoint does not support RPC version None'));
});

test('bad requests: args not a dict, malformed version, missing method', async () => {
  const r1 = await d.dispatch({}, { method: 'a', args: [1, 2] });
  assert.ok(!r1.ok && r1.failure.class === 'AttributeError' && r1.failure.message === "'list' object has no attribute 'items'");
  const r2 = await d.dispatch({}, { method: 'a', args: {}, version: 'x.y' });
  assert.ok(!r2.ok && r2.failure.class === 'ValueError');
  const r3 = await d.dispatch({}, { args: {} });
  assert.ok(!r3.ok && r3.reason === 'no-such-method');
  assert.deepEqual(await d.dispatch({}, { method: 'a' }), { ok: true, result: 'ep1', method: 'a' }, 'missing args = {}');
});

test('handler exceptions become failures; undefined result becomes null', async () => {
  const r1 = await d.dispatch({}, { method: 'boom', args: {} });
  assert.ok(!r1.ok && r1.reason === 'handler' && r1.failure.class === 'KeyError' && r1.failure.module === 'builtins');
  const r2 = await d.dispatch({}, { method: 'fail', args: {} });
  assert.ok(!r2.ok && r2.failure.class === 'Exception' && r2.failure.message === 'x');
  assert.deepEqual(await d.dispatch({}, { method: 'undef', args: {} }), { ok: true, result: null, method: 'undef' });
});

test('endpoint versions are validated at construction', () => {
  assert.throws(() => new RpcDispatcher([{ version: 'one', methods: {} }]), RpcConfigError);
});

test('duplicate cache remembers the last 16 ids', () => {
  const c = new UniqueIdCache();
  assert.equal(c.checkAndAdd('a'), false);
  assert.equal(c.checkAndAdd('a'), true);
  for (let i = 0; i < 16; i++) c.checkAndAdd(`x${i}`);
  assert.equal(c.checkAndAdd('a'), false, 'evicted after 16 newer ids');
  assert.equal(c.checkAndAdd(null), false);
});
