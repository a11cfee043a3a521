import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { adminContext, packContext, unpackMessage, formatContextTimestamp, CONTEXT_KEYS } from '../../../shared/rpc/context.js';

const SAMPLES = '/work/shared/neutron-lab/wire-samples';

async function reportStateSamples(): Promise<Array<{ name: string; request: Record<string, unknown> }>> {
  const files = (await readdir(SAMPLES)).filter((f) => f.startsWith('neutron__q-reports-plugin__report_state.') && f.endsWith('.json'));
  assert.ok(files.length >= 5, 'report_state samples present');
  return Promise.all(
    files.map(async (f) => ({ name: f, request: (JSON.parse(await readFile(`${SAMPLES}/${f}`, 'utf8')) as { request: Record<string, unknown> }).request })),
  );
}

test('packed context has exactly the recorded _context_* key set, in the recorded order', async () => {
  const msg: Record<string, unknown> = {};
  packContext(msg, undefined);
  const ours = Object.keys(msg);
  for (const s of await reportStateSamples()) {
    const theirs = Object.keys(s.request).filter((k) => k.startsWith('_context_'));
    assert.deepEqual(ours, theirs, s.name);
  }
  assert.deepEqual(ours, CONTEXT_KEYS.map((k) => `_context_${k}`));
});

test('values as a Python agent sends them: admin, no roles, req-<uuid>, null where unknown', async () => {
  const ctx = adminContext(new Date(Date.UTC(2026, 10, 26, 1, 36, 45, 624)));
  assert.equal(ctx['is_admin'], true);
  assert.deepEqual(ctx['roles'], []);
  assert.match(String(ctx['request_id']), /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(ctx['timestamp'], '2026-11-26 01:36:45.624000');
  for (const s of await reportStateSamples()) {
    for (const k of CONTEXT_KEYS) {
      const theirs = s.request[`_context_${k}`];
      if (k === 'request_id' || k === 'timestamp') {
        assert.equal(typeof ctx[k], typeof theirs, `${s.name} ${k}`);
        continue;
      }
      assert.deepEqual(ctx[k], theirs, `${s.name} ${k}`);
    }
    assert.match(String(s.request['_context_timestamp']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.match(formatContextTimestamp(new Date()), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  }
});

test('caller context overrides defaults; unpack strips prefixes and the reserved fields', () => {
  const msg: Record<string, unknown> = { method: 'm', args: {}, _msg_id: 'id', _reply_q: 'reply_q', _timeout: null, _unique_id: 'u' };
  packContext(msg, { request_id: 'req-x', tenant_id: 'p1', extra: 1 });
  const u = unpackMessage(msg);
  assert.equal(u.context['request_id'], 'req-x');
  assert.equal(u.context['tenant_id'], 'p1');
  assert.equal(u.context['extra'], 1);
  assert.equal(u.msgId, 'id');
  assert.equal(u.replyQ, 'reply_q');
  assert.equal(u.uniqueId, 'u');
  assert.deepEqual(u.body, { method: 'm', args: {} });
});
