import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEnvelope, encodeEnvelope, peekReplyAddress } from '../../../shared/rpc/envelope.js';
import { MalformedMessageError, UnsupportedEnvelopeVersionError } from '../../../shared/rpc/errors.js';

test('encode wraps the inner message as a JSON string under oslo.message, version 2.0 first', () => {
  const body = encodeEnvelope({ method: 'm', args: { a: 1 } });
  const outer = JSON.parse(body.toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(outer), ['oslo.version', 'oslo.message']);
  assert.equal(outer['oslo.version'], '2.0');
  assert.equal(typeof outer['oslo.message'], 'string');
  assert.deepEqual(JSON.parse(outer['oslo.message'] as string), { method: 'm', args: { a: 1 } });
});

test('decode round-trips and reports envelope 2.0', () => {
  const d = decodeEnvelope(encodeEnvelope({ method: 'x', args: {} }));
  assert.equal(d.envelope, '2.0');
  assert.deepEqual(d.message, { method: 'x', args: {} });
});

test('decodes the recorded report_state wire body', async () => {
  const { readFile } = await import('node:fs/promises');
  const sample = JSON.parse(
    await readFile('/work/shared/neutron-lab/wire-samples/neutron__q-reports-plugin__report_state.linuxbridge-agent.json', 'utf8'),
  ) as { request_wire_body: unknown; request: unknown };
  const d = decodeEnvelope(JSON.stringify(sample.request_wire_body));
  assert.deepEqual(d.message, sample.request);
});

test('a dict without both envelope keys is an un-enveloped 1.0 message, accepted as is', () => {
  const d = decodeEnvelope(JSON.stringify({ method: 'm', args: {}, 'oslo.version': '2.0' }));
  assert.equal(d.envelope, '1.0');
  assert.equal(d.message['method'], 'm');
});

test('envelope versions: 2.0 and 2.0.0 accepted; 1.0, 3.0, 2.1, non-strings refused', () => {
  const env = (v: unknown): string => JSON.stringify({ 'oslo.version': v, 'oslo.message': '{"method":"m"}' });
  assert.equal(decodeEnvelope(env('2.0.0')).envelope, '2.0');
  for (const v of ['1.0', '3.0', '2.1', '2.0.1', 'x', 2, null, '2']) {
    assert.throws(() => decodeEnvelope(env(v)), UnsupportedEnvelopeVersionError, `version ${String(v)}`);
  }
});

test('malformed bodies raise MalformedMessageError only', () => {
  for (const b of ['{not json', '[1,2]', '"str"', '42', 'null', JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{bad' }), JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '[1]' }), JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': 7 })]) {
    assert.throws(() => decodeEnvelope(b), MalformedMessageError, b);
  }
  assert.throws(() => decodeEnvelope(Buffer.from([0xff, 0xfe, 0x00])), MalformedMessageError);
});

test('peekReplyAddress finds _msg_id/_reply_q even in a refused envelope', () => {
  const b = JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': JSON.stringify({ _msg_id: 'a', _reply_q: 'reply_b' }) });
  assert.deepEqual(peekReplyAddress(b), { msgId: 'a', replyQ: 'reply_b' });
  assert.equal(peekReplyAddress('{bad'), null);
  assert.equal(peekReplyAddress(JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' })), null);
});
