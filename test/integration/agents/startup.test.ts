/**
 * What an operator sees when something is wrong at start:
 * - a config error: a non-zero exit (78, EX_CONFIG) and one line naming file,
 *   section, option and value;
 * - an unreachable broker: the daemon stays up and logs a retry loop;
 * - a broker without neutron-server: the daemon stays up and logs failed reports.
 * These run on the host against 127.0.0.1 only; nothing is created in the kernel.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ConfigDir, daemonArgv, type DaemonKind } from '../../harness/daemons.js';
import { waitFor } from '../../harness/wait.js';
import amqp from 'amqplib';

const conf = new ConfigDir();
after(() => conf.remove());

interface Run { code: Promise<number | null>; lines: string[]; json: Array<Record<string, unknown>>; stop(): Promise<number | null> }

function runDaemon(kind: DaemonKind, files: string[]): Run {
  const [cmd, ...args] = daemonArgv(kind, files);
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const json: Array<Record<string, unknown>> = [];
  const take = (b: Buffer) => {
    for (const l of b.toString().split('\n').filter(Boolean)) {
      lines.push(l);
      if (l.startsWith('{')) { try { json.push(JSON.parse(l) as Record<string, unknown>); } catch { /* partial */ } }
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const code = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  return {
    code, lines, json,
    stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); return code; },
  };
}

test('a bad value stops the daemon with exit 78 and names file, section, option and value', async () => {
  const base = conf.write('bad.conf', { DEFAULT: { state_path: `${conf.dir}/state`, host: 'nt-config', transport_url: 'rabbit://guest:guest@127.0.0.1:5672/' }, agent: { report_interval: 'soon' } });
  const r = runDaemon('metadata', [base]);
  assert.equal(await r.code, 78);
  const line = r.lines.find((l) => l.includes('configuration error'));
  assert.ok(line, `a configuration error line (got: ${r.lines.join(' | ')})`);
  assert.match(line, new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\[agent\\] report_interval = "soon"`));
});

test('a missing config file stops the daemon with exit 78 naming the file', async () => {
  const r = runDaemon('dhcp', [`${conf.dir}/does-not-exist.conf`]);
  assert.equal(await r.code, 78);
  assert.ok(r.lines.some((l) => l.includes('does-not-exist.conf')), r.lines.join(' | '));
});

test('a start-up check failure (mapped interface missing) exits 1 with the Python agent\'s words', async () => {
  const base = conf.write('lb.conf', { DEFAULT: { state_path: `${conf.dir}/state`, host: 'nt-lbcheck', transport_url: 'rabbit://guest:guest@127.0.0.1:5672/' } });
  const ini = conf.write('lb.ini', { linux_bridge: { physical_interface_mappings: 'physnet1:ntnosuchif0' }, vxlan: { enable_vxlan: false } });
  const r = runDaemon('linuxbridge', [base, ini]);
  assert.equal(await r.code, 1);
  assert.ok(r.lines.some((l) => l.includes('Interface ntnosuchif0 for physical network physnet1 does not exist. Agent terminated!')), r.lines.join(' | '));
});

test('an unreachable broker is a logged retry loop with backoff, and SIGTERM still stops cleanly', async () => {
  // A port that accepts nothing: bind, note the port, close.
  const port = await new Promise<number>((res) => { const s: Server = createServer(); s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); }); });
  const base = conf.write('nobroker.conf', { DEFAULT: { state_path: `${conf.dir}/state`, host: 'nt-nobroker', transport_url: `rabbit://guest:secretpw@127.0.0.1:${port}/` }, agent: { report_interval: 2 } });
  const r = runDaemon('l3', [base, conf.write('l3.ini', { DEFAULT: { interface_driver: 'linuxbridge' } })]);
  try {
    await waitFor(() => r.json.filter((l) => /AMQP connect/.test(String(l['msg'])) && l['level'] !== 'info').length >= 2, { timeoutMs: 15_000, description: 'two logged connection failures' });
    const failures = r.json.filter((l) => l['level'] !== 'info' && /AMQP/.test(String(l['msg'])));
    assert.ok(failures.length >= 2, JSON.stringify(failures));
    assert.ok(!r.lines.some((l) => l.includes('secretpw')), 'the broker password is never logged');
  } finally {
    assert.equal(await r.stop(), 0);
  }
});

test('a broker without neutron-server: failed reports are logged and retried, the daemon stays up', async () => {
  // A control exchange no neutron-server consumes from: report_state calls go nowhere.
  const exchange = `nucleon-test-${randomBytes(3).toString('hex')}`;
  const base = conf.write('noserver.conf', { DEFAULT: { state_path: `${conf.dir}/state`, host: 'nt-noserver', transport_url: 'rabbit://guest:guest@127.0.0.1:5672/', control_exchange: exchange }, agent: { report_interval: 1 } });
  const r = runDaemon('metadata', [base]);
  try {
    await waitFor(() => r.json.filter((l) => l['msg'] === 'failed reporting state to neutron-server, will retry').length >= 2, { timeoutMs: 20_000, description: 'two failed reports' });
    const f = r.json.find((l) => l['msg'] === 'failed reporting state to neutron-server, will retry');
    assert.equal(f?.['level'], 'error');
    assert.ok(f?.['err'], 'the error is attached');
  } finally {
    assert.equal(await r.stop(), 0);
    const c = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
    const ch = await c.createChannel();
    await ch.deleteExchange(exchange).catch(() => undefined);
    await c.close().catch(() => undefined);
  }
});
