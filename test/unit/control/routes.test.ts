import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../../shared/control/metrics.js';
import { handleRequest, type RouteContext } from '../../../shared/control/routes.js';
import { FakeProvider } from './fake-provider.js';
import { parsePromText } from './prom-text.js';

function ctx(p = new FakeProvider(), extra: Partial<RouteContext> = {}): RouteContext {
  return { sources: { provider: p }, metrics: new Metrics(), providerTimeoutMs: 200, ...extra };
}

const body = (r: { body: string }): Record<string, unknown> => JSON.parse(r.body) as Record<string, unknown>;

test('GET /healthz: 200 for ok and degraded (with the failing keys), 503 for down', async () => {
  const p = new FakeProvider();
  let r = await handleRequest('GET', '/healthz', ctx(p));
  assert.equal(r.status, 200);
  assert.deepEqual(body(r), { state: 'ok', failing: [] });
  p.healthReport = { state: 'ok', failing: [{ key: 'port:1', error: 'RTNETLINK answers: No such device', attempts: 4 }] };
  r = await handleRequest('GET', '/healthz', ctx(p));
  assert.equal(r.status, 200);
  assert.equal(body(r)['state'], 'degraded', 'a failing key makes ok degraded');
  p.healthReport = { state: 'down', failing: [] };
  r = await handleRequest('GET', '/healthz', ctx(p));
  assert.equal(r.status, 503);
});

test('GET /status is JSON with the agent identity and the provider extras', async () => {
  const r = await handleRequest('GET', '/status', ctx());
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
  const s = body(r);
  assert.equal(s['daemon'], 'nucleon-dhcp-agent');
  assert.equal(s['agent_type'], 'DHCP agent');
  assert.equal(s['host'], 'node-1');
  assert.deepEqual(s['agent'], { networks: 2, ports: 5 });
});

test('GET /metrics is Prometheus text', async () => {
  const r = await handleRequest('GET', '/metrics', ctx());
  assert.equal(r.status, 200);
  assert.ok(parsePromText(r.body).has('nucleon_applies_total'));
});

test('GET /diff lists the dry run; without a diff it is 501; a slow or failing one is 504 / 500', async () => {
  const p = new FakeProvider();
  p.ops = [{ key: 'port:1', op: 'link.add', description: 'tap1 master brq1' }];
  let r = await handleRequest('GET', '/diff', ctx(p));
  assert.equal(r.status, 200);
  assert.equal(body(r)['in_sync'], false);
  assert.deepEqual(body(r)['ops'], p.ops);
  p.diffDelayMs = 1000;
  r = await handleRequest('GET', '/diff', ctx(p));
  assert.equal(r.status, 504);
  assert.equal(body(r)['error'], 'TIMEOUT');
  p.diffDelayMs = 0;
  p.throwIn = 'diff';
  r = await handleRequest('GET', '/diff', ctx(p));
  assert.equal(r.status, 500);
  assert.match(String(body(r)['message']), /kernel read failed/);
  const q = new FakeProvider();
  delete q.diff;
  r = await handleRequest('GET', '/diff', ctx(q));
  assert.equal(r.status, 501);
  assert.equal(body(r)['error'], 'NOT_SUPPORTED');
});

test('GET /trace/<id> merges the provider trace with the recent log lines; bad ids are 400', async () => {
  const p = new FakeProvider();
  p.traces.set('0b1c-22', { desired: { mac: 'fa:16:3e:00:00:01' }, kernel: [{ link: 'tap0b1c' }] });
  const recentLog = { linesFor: (id: string) => (id === '0b1c-22' ? [{ msg: 'port bound', port_id: id }] : []) };
  const r = await handleRequest('GET', '/trace/0b1c-22', ctx(p, { recentLog }));
  assert.equal(r.status, 200);
  const b = body(r);
  assert.deepEqual(b['desired'], { mac: 'fa:16:3e:00:00:01' });
  assert.deepEqual(b['log_lines'], [{ msg: 'port bound', port_id: '0b1c-22' }]);
  for (const bad of ['/trace/', '/trace', '/trace/..%2Fetc', '/trace/%ZZ', `/trace/${'a'.repeat(200)}`, '/trace/a%20b']) {
    const e = await handleRequest('GET', bad, ctx(p));
    assert.equal(e.status, 400, bad);
    assert.equal(body(e)['error'], 'BAD_REQUEST');
  }
  assert.equal((await handleRequest('GET', '/trace/x/y', ctx(p))).status, 404);
});

test('POST /resync asks the provider for a full sync with a sanitised reason; GET /resync is 405', async () => {
  const p = new FakeProvider();
  let r = await handleRequest('POST', '/resync?reason=after%20maintenance%0A%1B[31m', ctx(p));
  assert.equal(r.status, 202);
  assert.deepEqual(p.resyncs, ['operator: after maintenance[31m']);
  r = await handleRequest('POST', '/resync', ctx(p));
  assert.equal(p.resyncs[1], 'operator');
  r = await handleRequest('GET', '/resync', ctx(p));
  assert.equal(r.status, 405);
  assert.equal(r.headers['allow'], 'POST');
  assert.equal(p.resyncs.length, 2);
});

test('unknown paths are 404, wrong methods 405 with Allow, and nothing else changes state', async () => {
  const p = new FakeProvider();
  const nf = await handleRequest('GET', '/config', ctx(p));
  assert.equal(nf.status, 404);
  assert.deepEqual(Object.keys(body(nf)).sort(), ['error', 'message']);
  assert.match(String(body(nf)['message']), /no such path: \/config/);
  for (const [m, path] of [['POST', '/status'], ['DELETE', '/healthz'], ['PUT', '/metrics'], ['POST', '/diff'], ['POST', '/trace/x'], ['PATCH', '/resync']] as const) {
    const r = await handleRequest(m, path, ctx(p));
    assert.equal(r.status, 405, `${m} ${path}`);
    assert.equal(body(r)['error'], 'METHOD_NOT_ALLOWED');
    assert.ok(r.headers['allow']);
  }
  assert.deepEqual(p.resyncs, [], 'no request but POST /resync reached resync');
  assert.equal((await handleRequest('GET', '/status/', ctx(p))).status, 200, 'a trailing slash is tolerated');
});

test('a provider that throws gives a 500 (status: the extras say why; health: down), never an exception', async () => {
  const p = new FakeProvider();
  p.throwIn = 'status';
  const s = await handleRequest('GET', '/status', ctx(p));
  assert.equal(s.status, 200);
  assert.match(JSON.stringify(body(s)['agent']), /status failed/);
  p.throwIn = 'health';
  const h = await handleRequest('GET', '/healthz', ctx(p));
  assert.equal(h.status, 503);
  assert.equal(body(h)['state'], 'down');
  p.throwIn = 'trace';
  assert.equal((await handleRequest('GET', '/trace/abc', ctx(p))).status, 500);
  const broken = new FakeProvider();
  broken.resync = () => { throw new Error('runner stopped'); };
  const r = await handleRequest('POST', '/resync', ctx(broken));
  assert.equal(r.status, 500);
  assert.equal(body(r)['error'], 'INTERNAL');
});

test('the TCP metrics listener serves GET /metrics and nothing else', async () => {
  const p = new FakeProvider();
  assert.equal((await handleRequest('GET', '/metrics', ctx(p), 'metrics')).status, 200);
  for (const path of ['/status', '/healthz', '/diff', '/trace/abc']) assert.equal((await handleRequest('GET', path, ctx(p), 'metrics')).status, 404, path);
  assert.equal((await handleRequest('POST', '/resync', ctx(p), 'metrics')).status, 404);
  assert.deepEqual(p.resyncs, []);
});

test('basicProvider: identity, no dry run (501), resync forwarded', async () => {
  const { basicProvider } = await import('../../../shared/control/basic-provider.js');
  const reasons: string[] = [];
  const p = basicProvider({ agentType: 'Metadata agent', host: 'h', daemon: 'nucleon-metadata-agent', resync: (r) => reasons.push(r) });
  const c = { sources: { provider: p }, metrics: new Metrics(), providerTimeoutMs: 100 };
  assert.equal((await handleRequest('GET', '/diff', c)).status, 501);
  const t = await handleRequest('GET', '/trace/abc', c);
  assert.equal(t.status, 200);
  assert.equal(body(t)['traced'], false);
  assert.equal((await handleRequest('POST', '/resync', c)).status, 202);
  assert.deepEqual(reasons, ['operator']);
});
