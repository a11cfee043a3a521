/**
 * The `nucleon` CLI as an operator runs it (a child process), against control
 * sockets served in this process by fake providers, plus a stale socket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Metrics } from '../../../shared/control/metrics.js';
import { startControl, type ControlHandle } from '../../../shared/control/start.js';
import { createRootLogger, silentLogger } from '../../../shared/logging/logger.js';
import { createRecentLog } from '../../../shared/logging/recent.js';
import { FakeProvider } from '../../unit/control/fake-provider.js';
import { tempSocketDir } from './fixture.js';

const CLI = fileURLToPath(new URL('../../../cli/main.js', import.meta.url));
const tmp = tempSocketDir();
const PORT = '0f3c2a1e-7d1b-4c55-9a7e-2b1f00c0ffee';
const dhcp = new FakeProvider();
const l3 = new FakeProvider();
l3.daemon = 'nucleon-l3-agent';
l3.agentType = 'L3 agent';
delete l3.diff;
const handles: ControlHandle[] = [];

interface Run { code: number; stdout: string; stderr: string }

function nucleon(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  const recent = createRecentLog(20);
  const log = createRootLogger({ agent: dhcp.daemon, host: dhcp.host, destination: { write: () => true } as unknown as NodeJS.WritableStream, extraStreams: [{ stream: recent.stream }] });
  log.info({ port_id: PORT, network_id: 'net-1' }, 'port added to dnsmasq hosts');
  log.warn({ port_id: PORT }, 'dnsmasq reload slow');
  dhcp.traces.set(PORT, { desired: { mac: 'fa:16:3e:12:34:56', ip: '10.0.0.5' }, kernel: { host_entry: 'fa:16:3e:12:34:56,host-10-0-0-5,10.0.0.5' } });
  dhcp.healthReport = { state: 'ok', failing: [] };
  handles.push(await startControl({ socketPath: tmp.path('dhcp.sock'), provider: dhcp, connection: { connected: true }, recentLog: recent, logger: silentLogger(), metrics: new Metrics(),
    reporter: { status: () => ({ lastResult: 'alive', lastReportAt: new Date(Date.now() - 5000).toISOString(), consecutiveFailures: 0 }) },
    runner: { status: () => ({ lastApply: { at: Date.now() - 2000, durationMs: 35, fullSync: false, keys: 1, failed: 0, ops: 4 }, degraded: [] }) } }));
  handles.push(await startControl({ socketPath: tmp.path('l3.sock'), provider: l3, connection: { connected: false }, logger: silentLogger(), metrics: new Metrics() }));
  // A daemon killed with -9 leaves its socket file: it must show as down.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(tmp.path('ovs.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await new Promise((r) => child.once('exit', r));
});
after(async () => {
  await Promise.all(handles.map((h) => h.close()));
  tmp.remove();
});

test('nucleon status: one table for every socket, a dead daemon as down, exit 1 when not all ok', async () => {
  const r = await nucleon('status', '--socket-dir', tmp.dir);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0] ?? '', /^DAEMON +HOST +BROKER +LAST REPORT +LAST APPLY +HEALTH$/);
  assert.match(r.stdout, /nucleon-dhcp-agent +node-1 +connected +alive [4-6]s ago +[1-3]s ago, 35 ms, 4 ops +ok/);
  assert.match(r.stdout, /nucleon-l3-agent +node-1 +disconnected +- +- +degraded \(1 failing\)/);
  assert.match(r.stdout, /^ovs +- .*down: nobody listening on .*ovs\.sock/m);
  assert.match(r.stdout, /! nucleon-l3-agent broker: not connected to the message broker/);
  assert.ok(!r.stdout.includes('\x1b['), 'no colours when piped');
});

test('nucleon status --socket: only the sockets given; exit 0 when all ok; --json is machine readable', async () => {
  const r = await nucleon('status', '--socket', tmp.path('dhcp.sock'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 2);
  const j = await nucleon('status', '--socket', tmp.path('dhcp.sock'), '--socket', tmp.path('missing.sock'), '--json');
  const parsed = JSON.parse(j.stdout) as Array<{ answered: boolean; reason?: string }>;
  assert.deepEqual(parsed.map((p) => p.answered), [true, false]);
  assert.match(parsed[1]?.reason ?? '', /no socket at/);
  const none = await nucleon('status', '--socket-dir', tmp.path('empty'));
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no control sockets under/);
});

test('nucleon diff: pending changes (exit 1), in sync (exit 0), no dry run / no daemon / bad agent (exit 2)', async () => {
  dhcp.ops = [{ key: `port:${PORT}`, op: 'file.write', description: 'dhcp hosts of net-1: add fa:16:3e:12:34:56' }, { key: 'net:old', op: 'process.stop', description: 'dnsmasq of a deleted network' }];
  let r = await nucleon('diff', 'dhcp', '--socket-dir', tmp.dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /nucleon-dhcp-agent on node-1: 2 pending changes \(dry run, nothing applied\)/);
  assert.match(r.stdout, /port:0f3c2a1e.* +file\.write +dhcp hosts of net-1/);
  dhcp.ops = [];
  r = await nucleon('diff', 'nucleon-dhcp-agent', '--socket-dir', tmp.dir);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /in sync, nothing to change/);
  r = await nucleon('diff', 'l3', '--socket-dir', tmp.dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nucleon-l3-agent has no dry run/);
  r = await nucleon('diff', 'metadata', '--socket-dir', tmp.dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no socket at .*metadata\.sock/);
  r = await nucleon('diff', 'bgp', '--socket-dir', tmp.dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown agent "bgp"/);
});

test('nucleon trace: desired state, kernel objects and recent log lines from the daemon that knows the id', async () => {
  const r = await nucleon('trace', PORT, '--socket-dir', tmp.dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nucleon-dhcp-agent on node-1\n {2}desired:\n {4}\{\n {6}"mac": "fa:16:3e:12:34:56"/);
  assert.match(r.stdout, /kernel:/);
  assert.match(r.stdout, /recent log lines \(2\):\n {4}\S+ INFO  dhcp port added to dnsmasq hosts port_id=0f3c2a1e-7d1b-4c55-9a7e-2b1f00c0ffee network_id=net-1/);
  assert.match(r.stdout, /nucleon-l3-agent: nothing known about/);
  assert.match(r.stdout, /ovs: no answer/);
  const unknown = await nucleon('trace', 'ffff-0000', '--socket', tmp.path('dhcp.sock'));
  assert.equal(unknown.code, 1);
  const bad = await nucleon('trace', 'a b', '--socket', tmp.path('dhcp.sock'));
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /trace needs a resource id/);
});

test('nucleon resync: the daemon gets a full resync request with the reason', async () => {
  const r = await nucleon('resync', 'dhcp', '--socket-dir', tmp.dir, '--reason', 'after switch maintenance');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /dhcp: full resync requested/);
  assert.deepEqual(dhcp.resyncs, ['operator: after switch maintenance']);
});

test('nucleon logs --file: filters by resource, level, agent and time; pretty or JSON', async () => {
  const file = tmp.path('agent.log');
  const now = Date.now();
  const line = (o: Record<string, unknown>): string => JSON.stringify({ agent: 'nucleon-dhcp-agent', host: 'node-1', pid: 1, ...o });
  writeFileSync(file, [
    line({ level: 'info', time: new Date(now - 3_600_000).toISOString(), msg: 'an hour ago', port_id: PORT }),
    line({ level: 'debug', time: new Date(now - 60_000).toISOString(), msg: 'command', port_id: PORT, durationMs: 3 }),
    line({ level: 'error', time: new Date(now - 30_000).toISOString(), msg: 'apply failed', port_id: PORT, err: { type: 'CommandError', message: 'dnsmasq exited 2', stack: 'CommandError: dnsmasq exited 2\n    at x (y.js:1:1)' } }),
    line({ level: 'error', time: new Date(now - 20_000).toISOString(), msg: 'other port', port_id: 'aaaa' }),
    JSON.stringify({ agent: 'nucleon-l3-agent', level: 'error', time: new Date(now - 10_000).toISOString(), msg: 'l3 line', port_id: PORT }),
  ].join('\n') + '\n');
  let r = await nucleon('logs', '--file', file, '--resource', PORT, '--since', '10m', '--format', 'pretty');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.replace(/^\S+ /, '')), [
    'DEBUG dhcp command port_id=0f3c2a1e-7d1b-4c55-9a7e-2b1f00c0ffee durationMs=3',
    'ERROR dhcp apply failed port_id=0f3c2a1e-7d1b-4c55-9a7e-2b1f00c0ffee err="CommandError: dnsmasq exited 2"',
    '    at x (y.js:1:1)',
    'ERROR l3 l3 line port_id=0f3c2a1e-7d1b-4c55-9a7e-2b1f00c0ffee',
  ]);
  r = await nucleon('logs', '--file', file, '--agent', 'dhcp', '--level', 'error');
  assert.equal(r.code, 0);
  const json = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.deepEqual(json.map((j) => j.msg), ['apply failed', 'other port'], 'JSON lines when piped');
  r = await nucleon('logs', '--file', tmp.path('nope.log'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read .*nope\.log: ENOENT/);
  r = await nucleon('logs', '--file', file, '--since', 'soonish');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--since "soonish"/);
  r = await nucleon('logs', '--file', file, '--level', 'loud');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Allowed choices are trace, debug, info, warn, error, fatal/);
});

test('nucleon logs --file - reads stdin', async () => {
  const r = await new Promise<Run>((resolve) => {
    const c = execFile(process.execPath, [CLI, 'logs', '--file', '-', '--resource', 'r1', '--format', 'pretty'], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    c.stdin?.end(JSON.stringify({ level: 'warn', time: '2024-05-01T10:00:00.000Z', agent: 'nucleon-l3-agent', msg: 'gateway missing', router_id: 'r1' }) + '\n{"level":"info","msg":"x"}\n');
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '2024-05-01T10:00:00.000Z WARN  l3 gateway missing router_id=r1\n');
});
