import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentStateReporter, type ReportStateTransport } from '../../../shared/agent/state-reporter.js';
import { LOCAL_RESOURCE_VERSIONS, isoTimeUtc } from '../../../shared/agent/constants.js';
import { silentLogger } from '../../../shared/logging/logger.js';

interface Sent { kind: 'call' | 'cast'; method: string; args: Record<string, unknown>; timeoutMs?: number; version?: string }

/** A neutron-server stand-in that answers report_state from a script of answers. */
class ScriptedServer implements ReportStateTransport {
  sent: Sent[] = [];
  constructor(private answers: Array<unknown | Error>) {}
  async call<T>(method: string, args: Record<string, unknown>, opts?: { timeoutMs?: number; version?: string }): Promise<T> {
    this.sent.push({ kind: 'call', method, args, timeoutMs: opts?.timeoutMs, version: opts?.version });
    const a = this.answers.length > 1 ? this.answers.shift() : this.answers[0];
    if (a instanceof Error) throw a;
    return a as T;
  }
  async cast(method: string, args: Record<string, unknown>, opts?: { version?: string }): Promise<void> {
    this.sent.push({ kind: 'cast', method, args, version: opts?.version });
  }
  state(i: number): Record<string, unknown> {
    const s = this.sent[i];
    assert.ok(s, `report ${i} was sent`);
    return (s.args['agent_state'] as { agent_state: Record<string, unknown> }).agent_state;
  }
}

const template = () => ({ binary: 'neutron-linuxbridge-agent', host: 'h1', topic: 'N/A', agent_type: 'Linux bridge agent', configurations: { devices: 3 } });

test('first report carries start_flag and resource_versions, later ones do not', async () => {
  const server = new ScriptedServer(['new', 'alive']);
  const r = new AgentStateReporter({ transport: server, intervalMs: 30000, state: template, resourceVersions: LOCAL_RESOURCE_VERSIONS, logger: silentLogger() });
  await r.reportOnce();
  await r.reportOnce();
  const first = server.state(0);
  assert.equal(first['start_flag'], true);
  assert.deepEqual(first['resource_versions'], LOCAL_RESOURCE_VERSIONS);
  assert.match(String(first['uuid']), /^[0-9a-f-]{36}$/);
  assert.equal(server.sent[0]?.timeoutMs, 30000, 'call timeout is report_interval');
  assert.equal(server.sent[0]?.version, '1.2');
  assert.match(String(server.sent[0]?.args['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  const second = server.state(1);
  assert.equal(second['start_flag'], undefined);
  assert.equal(second['resource_versions'], undefined);
  assert.notEqual(second['uuid'], first['uuid']);
});

test('a failed report keeps start_flag and resource_versions for the next one', async () => {
  const server = new ScriptedServer([new Error('timed out'), 'new']);
  const r = new AgentStateReporter({ transport: server, intervalMs: 1000, state: template, resourceVersions: LOCAL_RESOURCE_VERSIONS, logger: silentLogger() });
  await assert.rejects(r.reportOnce(), /timed out/);
  assert.equal(r.status().consecutiveFailures, 1);
  await r.reportOnce();
  assert.equal(server.state(1)['start_flag'], true);
  assert.ok(server.state(1)['resource_versions']);
  assert.equal(r.status().consecutiveFailures, 0);
  assert.equal(r.status().lastResult, 'new');
});

test('revived triggers the resync hook; first success triggers onFirstReport once', async () => {
  const server = new ScriptedServer(['new', 'revived', 'alive']);
  let revived = 0, first = 0;
  const r = new AgentStateReporter({ transport: server, intervalMs: 1000, state: template, logger: silentLogger(), onRevived: () => revived++, onFirstReport: () => first++ });
  await r.reportOnce(); await r.reportOnce(); await r.reportOnce();
  assert.equal(revived, 1);
  assert.equal(first, 1);
});

test('metadata style: call while start_flag, then cast', async () => {
  const server = new ScriptedServer(['new']);
  const r = new AgentStateReporter({ transport: server, intervalMs: 1000, state: template, castAfterStart: true, logger: silentLogger() });
  await r.reportOnce(); await r.reportOnce();
  assert.deepEqual(server.sent.map((s) => s.kind), ['call', 'cast']);
});

test('OVS style: start_flag held until released after the first sync', async () => {
  const server = new ScriptedServer(['new']);
  const r = new AgentStateReporter({ transport: server, intervalMs: 1000, state: template, holdStartFlag: true, resourceVersions: LOCAL_RESOURCE_VERSIONS, logger: silentLogger() });
  await r.reportOnce(); await r.reportOnce();
  assert.equal(server.state(1)['start_flag'], true);
  assert.equal(server.state(1)['resource_versions'], undefined, 'resource_versions only until the first success');
  r.releaseStartFlag();
  await r.reportOnce();
  assert.equal(server.state(2)['start_flag'], undefined);
});

test('an unexpected answer counts as a failure', async () => {
  const server = new ScriptedServer([{ weird: true }]);
  const r = new AgentStateReporter({ transport: server, intervalMs: 1000, state: template, logger: silentLogger() });
  await assert.rejects(r.reportOnce(), /unexpected report_state answer/);
});

test('the loop reports at once, then every interval; after a failure it retries within the interval', async () => {
  const server = new ScriptedServer([new Error('down'), 'new', 'alive']);
  const scheduled: number[] = [];
  let pending: (() => void) | undefined;
  const timers = { setTimeout: (fn: () => void, ms: number) => { scheduled.push(ms); pending = fn; return 1; }, clearTimeout: () => { pending = undefined; }, now: () => new Date(0) };
  const r = new AgentStateReporter({ transport: server, intervalMs: 30000, state: template, logger: silentLogger(), timers, random: () => 0.5 });
  r.start();
  const tick = async () => { const fn = pending; pending = undefined; fn?.(); await new Promise((res) => setImmediate(res)); };
  await tick(); // fails
  await tick(); // new
  await tick(); // alive
  r.stop();
  assert.deepEqual(scheduled, [0, 22500, 30000, 30000]);
  assert.equal(server.sent.length, 3);
});

test('isoTimeUtc matches neutron ISO8601_TIME_FORMAT', () => {
  assert.equal(isoTimeUtc(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67))), '2026-01-02T03:04:05.067000');
});
