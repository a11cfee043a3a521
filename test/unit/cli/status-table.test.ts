import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusDocument } from '../../../shared/control/status.js';
import { renderStatus, statusExitCode, type StatusResult } from '../../../cli/status-table.js';
import { stripAnsi } from '../../../cli/style.js';

const NOW = Date.parse('2024-05-01T10:00:30.000Z');
const plain = { color: false };

function doc(over: Partial<StatusDocument> = {}): StatusDocument {
  return {
    daemon: 'nucleon-dhcp-agent', agent_type: 'DHCP agent', host: 'node-1', pid: 10, uptime_s: 100,
    broker: { connected: true },
    report_state: { last_result: 'alive', last_report_at: '2024-05-01T10:00:18.000Z', last_attempt_at: '2024-05-01T10:00:18.000Z', consecutive_failures: 0, last_error: null },
    reconcile: { last_full_sync_at: null, last_apply: { at: '2024-05-01T10:00:27.000Z', duration_ms: 120, full_sync: true, keys: 3, ops: 14, failed: 0, error: null }, dirty_keys: 0, running: false },
    health: { state: 'ok', failing: [] },
    agent: {},
    ...over,
  };
}

test('one aligned row per daemon, with relative times, and a down row for a silent socket', () => {
  const results: StatusResult[] = [
    { socket: '/s/dhcp.sock', name: 'dhcp', answered: true, status: doc() },
    { socket: '/s/l3.sock', name: 'l3', answered: false, reason: 'nobody listening on /s/l3.sock (daemon stopped?)' },
  ];
  assert.deepEqual(renderStatus(results, NOW, plain), [
    'DAEMON              HOST    BROKER     LAST REPORT    LAST APPLY                    HEALTH',
    'nucleon-dhcp-agent  node-1  connected  alive 12s ago  3s ago, 120 ms, 14 ops, full  ok',
    'l3                  -       -          -              -                             down: nobody listening on /s/l3.sock (daemon stopped?)',
  ]);
  assert.equal(statusExitCode(results), 1);
  assert.equal(statusExitCode(results.slice(0, 1)), 0);
});

test('degraded daemons list their failing keys under the table', () => {
  const d = doc({
    broker: { connected: false },
    report_state: { last_result: 'alive', last_report_at: '2024-05-01T09:58:30.000Z', last_attempt_at: null, consecutive_failures: 3, last_error: 'timeout' },
    reconcile: { last_full_sync_at: null, last_apply: { at: '2024-05-01T10:00:00.000Z', duration_ms: 2500, full_sync: false, keys: 2, ops: null, failed: 1, error: null }, dirty_keys: 1, running: false },
    health: { state: 'degraded', failing: [{ key: 'net:7', error: 'dnsmasq exited with status 2', attempts: 4 }, { key: 'broker', error: 'not connected to the message broker', attempts: 0 }] },
  });
  const lines = renderStatus([{ socket: '/s/dhcp.sock', name: 'dhcp', answered: true, status: d }], NOW, plain);
  assert.match(lines[1] ?? '', /disconnected +failing ×3, ok 2m ago +30s ago, 2\.50 s 1 failed +degraded \(2 failing\)$/);
  assert.deepEqual(lines.slice(2), ['', '  ! nucleon-dhcp-agent net:7: dnsmasq exited with status 2 (4 attempts)', '  ! nucleon-dhcp-agent broker: not connected to the message broker']);
});

test('pieces a daemon does not have show as "-", an agent that never applied as "never"', () => {
  const lines = renderStatus([{ socket: '/s/m.sock', name: 'metadata', answered: true, status: doc({ daemon: 'nucleon-metadata-agent', broker: null, reconcile: { last_full_sync_at: null, last_apply: null, dirty_keys: 0, running: false }, report_state: null }) }], NOW, plain);
  assert.match(lines[1] ?? '', /^nucleon-metadata-agent +node-1 +- +- +never +ok$/);
});

test('colours only when asked, and the columns stay aligned with them', () => {
  const results: StatusResult[] = [{ socket: '/s/dhcp.sock', name: 'dhcp', answered: true, status: doc() }, { socket: '/s/x.sock', name: 'x', answered: false, reason: 'gone' }];
  const coloured = renderStatus(results, NOW, { color: true });
  assert.ok(coloured.some((l) => l.includes('\x1b[32mok\x1b[0m')));
  assert.ok(coloured.some((l) => l.includes('\x1b[31mdown\x1b[0m')));
  assert.deepEqual(coloured.map(stripAnsi), renderStatus(results, NOW, plain));
});
