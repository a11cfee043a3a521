import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatus, computeHealth, summarizeRunner } from '../../../shared/control/status.js';
import { FakeProvider } from './fake-provider.js';

const reporterOk = { status: () => ({ reports: 3, consecutiveFailures: 0, lastResult: 'alive', lastReportAt: '2024-05-01T10:00:00.000Z', lastAttemptAt: '2024-05-01T10:00:00.000Z', lastError: undefined, startFlag: false }) };
const runnerStatus = {
  started: true, running: false, dirtyKeys: 1, fullSyncPending: false,
  lastFullSyncAt: Date.UTC(2024, 4, 1, 9, 0, 0),
  lastApply: { at: Date.UTC(2024, 4, 1, 10, 0, 0), durationMs: 42, fullSync: false, keys: 3, failed: 1, ops: 17 },
  degraded: [{ key: 'net:7', attempts: 5, lastError: 'dnsmasq exited 2', nextAttemptAt: 0 }],
};

test('/status puts the shared pieces and the provider extras together', () => {
  const s = buildStatus({ provider: new FakeProvider(), reporter: reporterOk, connection: { connected: true }, runner: { status: () => runnerStatus }, startedAt: 1000, now: () => 61_000 });
  assert.equal(s.uptime_s, 60);
  assert.deepEqual(s.broker, { connected: true });
  assert.deepEqual(s.report_state, { last_result: 'alive', last_report_at: '2024-05-01T10:00:00.000Z', last_attempt_at: '2024-05-01T10:00:00.000Z', consecutive_failures: 0, last_error: null });
  assert.deepEqual(s.reconcile, {
    last_full_sync_at: '2024-05-01T09:00:00.000Z',
    last_apply: { at: '2024-05-01T10:00:00.000Z', duration_ms: 42, full_sync: false, keys: 3, ops: 17, failed: 1, error: null },
    dirty_keys: 1,
    running: false,
  });
  assert.deepEqual(s.health, { state: 'degraded', failing: [{ key: 'net:7', error: 'dnsmasq exited 2', attempts: 5 }] });
  assert.deepEqual(s.agent, { networks: 2, ports: 5 });
});

test('absent pieces are null, not invented', () => {
  const s = buildStatus({ provider: new FakeProvider() });
  assert.equal(s.broker, null);
  assert.equal(s.report_state, null);
  assert.equal(s.reconcile, null);
  assert.equal(s.health.state, 'ok');
});

test('health: a lost broker and failing reports degrade; keys are not listed twice; down stays down', () => {
  const p = new FakeProvider();
  p.healthReport = { state: 'ok', failing: [{ key: 'net:7', error: 'from provider', attempts: 1 }] };
  const failingReporter = { status: () => ({ consecutiveFailures: 2, lastError: 'Timed out waiting for a reply', lastResult: undefined }) };
  const h = computeHealth({ provider: p, reporter: failingReporter, connection: { connected: false }, runner: { status: () => runnerStatus } });
  assert.equal(h.state, 'degraded');
  assert.deepEqual(h.failing.map((f) => f.key), ['net:7', 'broker', 'report_state']);
  assert.equal(h.failing[0]?.error, 'from provider', 'the provider wins for a key both report');
  assert.equal(h.failing[2]?.attempts, 2);
  p.healthReport = { state: 'down', failing: [] };
  assert.equal(computeHealth({ provider: p, connection: { connected: true } }).state, 'down');
});

test('status objects of the wrong shape are read as absent fields, and a throwing status() is ignored', () => {
  assert.deepEqual(summarizeRunner({ lastApply: { at: 'yesterday' }, dirtyKeys: '3', degraded: 'many' }), { last_full_sync_at: null, last_apply: null, dirty_keys: null, running: null });
  assert.equal(summarizeRunner(42), null);
  const s = buildStatus({ provider: new FakeProvider(), reporter: { status: () => { throw new Error('x'); } }, runner: { status: () => ({ degraded: [{ key: 1 }, null, { key: 'ok-key' }] }) } });
  assert.equal(s.report_state, null);
  assert.deepEqual(s.health.failing, [{ key: 'ok-key', error: 'unknown error', attempts: 0 }]);
});

test('a report the server dropped (null answer) shows as "null", not as no report', () => {
  const s = buildStatus({ provider: new FakeProvider(), reporter: { status: () => ({ lastResult: null, lastReportAt: '2024-05-01T10:00:00.000Z', consecutiveFailures: 0 }) } });
  assert.equal(s.report_state?.last_result, 'null');
});
