import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFilter, parseLogLine, parseSince, type LogFilter } from '../../../cli/log-filter.js';
import { formatLogLine } from '../../../cli/log-format.js';
import { journalctlArgs } from '../../../cli/log-source.js';
import { toAgentKind } from '../../../cli/agents.js';

const L = (o: Record<string, unknown>): string => JSON.stringify(o);
const lines = [
  L({ level: 'info', time: '2024-05-01T10:00:00.000Z', agent: 'nucleon-dhcp-agent', msg: 'network ready', network_id: 'aaaa-1111' }),
  L({ level: 'debug', time: '2024-05-01T10:01:00.000Z', agent: 'nucleon-dhcp-agent', msg: 'command', argv: ['ip', 'link'] }),
  L({ level: 'error', time: '2024-05-01T10:02:00.000Z', agent: 'nucleon-l3-agent', msg: 'apply failed', router_id: 'bbbb-2222', port_id: 'cccc-3333' }),
  L({ level: 40, time: Date.parse('2024-05-01T10:03:00.000Z'), agent: 'nucleon-l3-agent', msg: 'numeric level', port_id: 'cccc-3333' }),
  'Traceback-like stderr text',
].map(parseLogLine);

function pick(f: LogFilter): number[] {
  return lines.flatMap((l, i) => (matchesFilter(l, f) ? [i] : []));
}

test('filters by agent, resource id (any id field, exact or prefix), level and time', () => {
  assert.deepEqual(pick({}), [0, 1, 2, 3, 4], 'no filter: everything, raw lines too');
  assert.deepEqual(pick({ agent: 'nucleon-l3-agent' }), [2, 3]);
  assert.deepEqual(pick({ resource: 'cccc-3333' }), [2, 3]);
  assert.deepEqual(pick({ resource: 'bbbb' }), [2], 'prefix of an id');
  assert.deepEqual(pick({ resource: 'network ready' }), [], 'only the id fields count');
  assert.deepEqual(pick({ level: 40 }), [2, 3], 'labels and numbers');
  assert.deepEqual(pick({ since: Date.parse('2024-05-01T10:01:30.000Z') }), [2, 3]);
  assert.deepEqual(pick({ resource: 'cccc-3333', level: 50 }), [2]);
});

test('--since takes durations and dates, and says what it wants otherwise', () => {
  const now = Date.parse('2024-05-01T10:00:00.000Z');
  assert.equal(parseSince('30s', now), now - 30_000);
  assert.equal(parseSince('10m', now), now - 600_000);
  assert.equal(parseSince('2h', now), now - 7_200_000);
  assert.equal(parseSince('1d', now), now - 86_400_000);
  assert.equal(parseSince('2024-04-30T00:00:00Z', now), Date.parse('2024-04-30T00:00:00Z'));
  assert.throws(() => parseSince('yesterday-ish', now), /expected a duration/);
});

test('a line is formatted readably: time, level, agent, component, message, ids first, then fields and the error', () => {
  const rec = { level: 'error', time: '2024-05-01T10:02:00.000Z', agent: 'nucleon-l3-agent', host: 'h', pid: 1, component: 'nat', msg: 'apply failed', extra: 'two words', n: 3, router_id: 'bbbb', err: { type: 'CommandError', message: 'iptables-restore: line 3 failed', stack: 'CommandError: iptables-restore: line 3 failed\n    at run (x.js:1:1)' } };
  assert.equal(formatLogLine(rec, { color: false }), '2024-05-01T10:02:00.000Z ERROR l3 [nat] apply failed router_id=bbbb extra="two words" n=3 err="CommandError: iptables-restore: line 3 failed"');
  assert.equal(formatLogLine(rec, { color: false }, { stack: true }).split('\n')[1], '    at run (x.js:1:1)');
  const coloured = formatLogLine(rec, { color: true });
  assert.ok(coloured.includes('\x1b[31mERROR\x1b[0m'));
  assert.ok(coloured.includes('\x1b[36mrouter_id=bbbb\x1b[0m'));
});

test('journalctl reads the unit of one agent, or all nucleon units, as message-only JSON', () => {
  assert.deepEqual(journalctlArgs({ daemon: 'nucleon-dhcp-agent' }), ['-o', 'cat', '--no-pager', '-u', 'nucleon-dhcp-agent.service']);
  assert.deepEqual(journalctlArgs({ since: 1_714_557_600_500, follow: true }), ['-o', 'cat', '--no-pager', '-u', 'nucleon-*-agent.service', '--since', '@1714557600', '--follow']);
});

test('agent names as operators type them', () => {
  assert.equal(toAgentKind('dhcp'), 'dhcp');
  assert.equal(toAgentKind('nucleon-l3-agent'), 'l3');
  assert.equal(toAgentKind('neutron-openvswitch-agent'), 'ovs');
  assert.equal(toAgentKind('bgp'), undefined);
});
