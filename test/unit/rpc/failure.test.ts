import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeFailure,
  decodeFailure,
  failureFromError,
  noSuchMethodFailure,
  unsupportedVersionFailure,
  unsupportedEnvelopeFailure,
} from '../../../shared/rpc/failure.js';
import { RemoteError, RpcHandlerError, UnsupportedEnvelopeVersionError } from '../../../shared/rpc/errors.js';

test('failure JSON has exactly oslo\'s keys', () => {
  const f = JSON.parse(encodeFailure(failureFromError(new Error('bad thing')))) as Record<string, unknown>;
  assert.deepEqual(Object.keys(f), ['class', 'module', 'message', 'tb', 'args', 'kwargs']);
  assert.equal(f['class'], 'Exception');
  assert.equal(f['module'], 'builtins');
  assert.equal(f['message'], 'bad thing');
  assert.deepEqual(f['args'], ['bad thing']);
  assert.deepEqual(f['kwargs'], {});
  const tb = f['tb'] as string[];
  assert.equal(tb[0], 'Traceback (most recent call last):\n');
  assert.equal(tb.at(-1), 'Exception: bad thing\n');
});

test('JS TypeError/RangeError map to Python builtins; RpcHandlerError chooses class and module', () => {
  assert.equal(failureFromError(new TypeError('t')).class, 'TypeError');
  assert.equal(failureFromError(new RangeError('r')).class, 'ValueError');
  const f = failureFromError(new RpcHandlerError('port p1 not found', 'PortNotFound', 'neutron_lib.exceptions', { kwargs: { port_id: 'p1' } }));
  assert.equal(f.class, 'PortNotFound');
  assert.equal(f.module, 'neutron_lib.exceptions');
  assert.deepEqual(f.kwargs, { port_id: 'p1' });
  assert.equal(f.tb.at(-1), 'neutron_lib.exceptions.PortNotFound: port p1 not found\n');
  assert.equal(failureFromError('just a string').message, 'just a string');
});

test('dispatcher failures in oslo\'s words', () => {
  assert.deepEqual(
    { c: noSuchMethodFailure('foo').class, m: noSuchMethodFailure('foo').module, msg: noSuchMethodFailure('foo').message },
    { c: 'NoSuchMethod', m: 'oslo_messaging.rpc.dispatcher', msg: 'Endpoint does not support RPC method foo' },
  );
  const uv = unsupportedVersionFailure('2.0', 'foo');
  assert.equal(uv.class, 'UnsupportedVersion');
  assert.equal(uv.message, 'Endpoint does not support RPC version 2.0. Attempted method: foo');
  const ue = unsupportedEnvelopeFailure(new UnsupportedEnvelopeVersionError('3.0'));
  assert.equal(ue.class, 'UnsupportedRpcEnvelopeVersion');
  assert.equal(ue.module, 'oslo_messaging._drivers.common');
  assert.equal(ue.message, 'Specified RPC envelope version, 3.0, not supported by this endpoint.');
});

test('decode: a Python failure string becomes a RemoteError with its fields', () => {
  const py = JSON.stringify({ class: 'ValueError', module: 'builtins', message: 'bad thing', tb: ['Traceback ...\n', 'ValueError: bad thing\n'], args: ['bad thing'], kwargs: {} });
  const e = decodeFailure(py);
  assert.ok(e instanceof RemoteError);
  assert.equal(e.remoteClass, 'ValueError');
  assert.equal(e.remoteModule, 'builtins');
  assert.equal(e.remoteMessage, 'bad thing');
  assert.equal(e.remoteTraceback.length, 2);
  assert.equal(e.message, 'Remote error: ValueError bad thing');
  assert.equal(decodeFailure('{garbage').remoteClass, 'Unknown');
  assert.equal(decodeFailure(42).remoteClass, 'Unknown');
});
