import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { ControlStartError } from '../../../shared/control/errors.js';
import { Metrics } from '../../../shared/control/metrics.js';
import { startControl, type ControlHandle } from '../../../shared/control/start.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { FakeProvider } from '../../unit/control/fake-provider.js';
import { parsePromText } from '../../unit/control/prom-text.js';
import { httpUnix, rawUnix, tempSocketDir } from './fixture.js';

const tmp = tempSocketDir();
const provider = new FakeProvider();
const metrics = new Metrics();
let handle: ControlHandle;
const sock = tmp.path('dhcp.sock');

before(async () => {
  handle = await startControl({ socketPath: sock, metricsAddress: '127.0.0.1:0', provider, connection: { connected: true }, logger: silentLogger(), metrics });
});
after(async () => {
  await handle.close();
  tmp.remove();
});

const json = (b: string): Record<string, unknown> => JSON.parse(b) as Record<string, unknown>;

test('the control socket is a root-only unix socket (0600)', () => {
  const st = statSync(sock);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
});

test('bad requests get clear JSON errors and the server keeps serving', async () => {
  const nf = await httpUnix(sock, 'GET', '/nope');
  assert.equal(nf.status, 404);
  assert.deepEqual(Object.keys(json(nf.body)), ['error', 'message']);
  const na = await httpUnix(sock, 'POST', '/status');
  assert.equal(na.status, 405);
  assert.equal(na.headers['allow'], 'GET');
  assert.equal(json(na.body)['error'], 'METHOD_NOT_ALLOWED');

  // A declared huge body is refused before it is read.
  const declared = await httpUnix(sock, 'POST', '/resync', { headers: { 'content-length': String(50 * 1024 * 1024) } }).catch((e: Error) => e);
  // (A client still writing may see the close as EPIPE/ECONNRESET instead of the answer.)
  if (declared instanceof Error) assert.match(String((declared as NodeJS.ErrnoException).code), /EPIPE|ECONNRESET/);
  else {
    assert.equal(declared.status, 413);
    assert.equal(json(declared.body)['error'], 'BODY_TOO_LARGE');
  }
  // A chunked body is counted as it comes and cut at the limit.
  const streamed = await httpUnix(sock, 'POST', '/resync', { body: 1024 * 1024 }).catch((e: Error) => e);
  if (streamed instanceof Error) assert.match(String((streamed as NodeJS.ErrnoException).code), /EPIPE|ECONNRESET/);
  else assert.equal(streamed.status, 413);
  assert.deepEqual(provider.resyncs, [], 'a refused body never reached resync');

  const garbage = await rawUnix(sock, 'HELLO THERE\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400 Bad Request/);
  assert.match(garbage, /"error":"BAD_REQUEST"/);

  // A small body is ignored, the request served.
  const small = await httpUnix(sock, 'POST', '/resync?reason=test', { body: 100 });
  assert.equal(small.status, 202);
  assert.deepEqual(provider.resyncs, ['operator: test']);

  const ok = await httpUnix(sock, 'GET', '/status');
  assert.equal(ok.status, 200);
  assert.equal(json(ok.body)['daemon'], 'nucleon-dhcp-agent');
});

test('both refused-body cases answer 413 when the client reads the answer', async () => {
  // Deterministic variant of the above: declare the size and send nothing.
  const r = await new Promise<string>((resolve, reject) => {
    import('node:net').then(({ connect }) => {
      const s = connect({ path: sock });
      let out = '';
      s.on('connect', () => s.write('POST /resync HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n'));
      s.on('data', (d) => (out += d.toString()));
      s.on('close', () => resolve(out));
      s.on('error', reject);
    }, reject);
  });
  assert.match(r, /^HTTP\/1\.1 413 /);
  assert.match(r, /BODY_TOO_LARGE/);
  assert.match(r, /connection: close/i);
});

test('the TCP listener serves /metrics only', async () => {
  const port = handle.metricsPort;
  assert.ok(port);
  const m = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(m.status, 200);
  const fams = parsePromText(await m.text());
  assert.ok(fams.has('nucleon_broker_connected'));
  assert.equal((await fetch(`http://127.0.0.1:${port}/status`)).status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${port}/resync`, { method: 'POST' })).status, 404);
});

test('promtool accepts /metrics (skipped without promtool)', async (t) => {
  if (spawnSync('promtool', ['--version']).error) {
    t.skip('promtool not installed (Debian: apt-get install prometheus)');
    return;
  }
  metrics.applyObserved(12, { 'link.add': 2 }, { 'addr.add': 1 });
  metrics.rpcCall('report_state', 3, true);
  metrics.resources('networks', 4);
  const text = (await httpUnix(sock, 'GET', '/metrics')).body;
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
});

test('a second instance on a live socket is refused; the first keeps its socket', async () => {
  await assert.rejects(
    startControl({ socketPath: sock, provider: new FakeProvider(), logger: silentLogger(), metrics: new Metrics() }),
    (e: unknown) => e instanceof ControlStartError && /in use by another running process/.test(e.message),
  );
  assert.equal((await httpUnix(sock, 'GET', '/healthz')).status, 200);
});

test('a stale socket nobody answers on is replaced; a non-socket file is never touched', async () => {
  const stale = tmp.path('stale.sock');
  // A process that dies without closing leaves its socket file behind.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await new Promise((r) => child.once('exit', r));
  assert.ok(statSync(stale).isSocket(), 'stale socket file left');
  const h = await startControl({ socketPath: stale, provider: new FakeProvider(), logger: silentLogger(), metrics: new Metrics() });
  assert.equal((await httpUnix(stale, 'GET', '/healthz')).status, 200);
  await h.close();
  assert.equal(existsSync(stale), false, 'close removes our socket');

  const file = tmp.path('file.sock');
  writeFileSync(file, 'keep me');
  await assert.rejects(
    startControl({ socketPath: file, provider: new FakeProvider(), logger: silentLogger(), metrics: new Metrics() }),
    (e: unknown) => e instanceof ControlStartError && /not a socket/.test(e.message),
  );
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
});

test('a taken metrics port fails start-up clearly and leaves no socket behind', async () => {
  const blocker = createNetServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = (blocker.address() as { port: number }).port;
  const p = tmp.path('taken.sock');
  await assert.rejects(
    startControl({ socketPath: p, metricsAddress: `127.0.0.1:${port}`, provider: new FakeProvider(), logger: silentLogger(), metrics: new Metrics() }),
    (e: unknown) => e instanceof ControlStartError && /EADDRINUSE/.test(e.message),
  );
  assert.equal(existsSync(p), false);
  blocker.close();
});
