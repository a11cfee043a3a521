/**
 * nucleon-metadata-agent as a process, with real RabbitMQ and real Redis: a fake
 * q-plugin (OsloRpcServer on a per-run control exchange) answers get_ports, a test
 * Nova on 127.0.0.1 checks the signature. Requests go straight to the agent's unix
 * socket with the headers haproxy would set. Redis "down" is a relay the test cuts
 * (and a port where nothing listens), never the machine's Redis itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { ConfigDir } from '../../harness/daemons.js';
import { waitFor } from '../../harness/wait.js';
import { controlRequest } from '../../../shared/control/index.js';
import { BROKER_URL, captureLogger, RawBroker, runPrefix } from '../rpc/helpers.js';
import { FakePlugin, type FakePort } from './fake-plugin.js';
import { startFakeNova, sign, type FakeNova } from './fake-nova.js';
import { TcpProxy } from './tcp-proxy.js';
import { unixRequest } from './http-unix.js';
import { runMetadataAgent, type AgentRun } from './agent-process.js';

const SECRET = `s3cret-${randomUUID()}`;
const exchange = runPrefix();
const conf = new ConfigDir();
const cap = captureLogger('warn');
const netA = randomUUID();
const netB = randomUUID();
const netC = randomUUID();
const router = randomUUID();
const tenant = `tenant-${randomUUID().slice(0, 8)}`;
const port = (network: string, ip: string, device = randomUUID(), owner = 'compute:nova', mac = 'fa:16:3e:00:00:01'): FakePort =>
  ({ id: randomUUID(), device_id: device, device_owner: owner, network_id: network, tenant_id: tenant, mac_address: mac, ips: [ip] });
const vm1 = port(netA, '10.0.0.5');
const vm2 = port(netB, '10.1.0.7');
const vm3 = port(netA, '10.0.0.6');
const vm4 = port(netB, '10.1.0.8');
const dup1 = port(netC, '10.2.0.9');
const dup2 = port(netC, '10.2.0.9');
const v6 = port(netA, '2001:db8::5', randomUUID(), 'compute:nova', 'fa:16:3e:12:34:56');
const rA = port(netA, '10.0.0.1', router, 'network:router_interface');
const rB = port(netB, '10.1.0.1', router, 'network:ha_router_replicated_interface');
const plugin = new FakePlugin([vm1, vm2, vm3, vm4, dup1, dup2, v6, rA, rB]);
const proxy = new TcpProxy('127.0.0.1', 6379);
let nova: FakeNova;
let agent: AgentRun;
const others: AgentRun[] = [];
const sock = join(conf.dir, 'main', 'metadata_proxy');
const ctl = join(conf.dir, 'main', 'control.sock');

function agentConfig(name: string, o: { secret?: string; cache?: Record<string, string | number | boolean> }): string[] {
  const base = conf.write(`${name}.conf`, {
    DEFAULT: { host: `nt-md-${name}`, transport_url: BROKER_URL, control_exchange: exchange, state_path: join(conf.dir, name), rpc_response_timeout: 10 },
    agent: { report_interval: 30 },
    nucleon: { control_socket: join(conf.dir, name, 'control.sock') },
  });
  const ini = conf.write(`${name}_metadata_agent.ini`, {
    DEFAULT: { nova_metadata_host: '127.0.0.1', nova_metadata_port: nova.port, metadata_proxy_shared_secret: o.secret ?? SECRET },
    cache: o.cache ?? { enabled: false },
  });
  return [base, ini];
}

async function startAgent(name: string, o: Parameters<typeof agentConfig>[1]): Promise<AgentRun> {
  const a = runMetadataAgent(agentConfig(name, o));
  await waitFor(() => a.json.find((l) => l['msg'] === 'serving metadata') ?? (a.child.exitCode !== null ? Promise.reject(new Error(a.lines.join('\n'))) : undefined), { timeoutMs: 15_000, description: `agent ${name} serving` });
  return a;
}

const get = (path: string, headers: Record<string, string | string[]>, socket = sock) => unixRequest(socket, path, headers);
const onNet = (net: string, ip: string) => ({ 'X-Neutron-Network-ID': net, 'X-Forwarded-For': ip });

before(async () => {
  await plugin.start({ transportUrl: BROKER_URL, exchange, logger: cap.logger });
  nova = await startFakeNova({ secret: SECRET });
  await proxy.start();
  agent = await startAgent('main', { cache: { enabled: true, backend: 'dogpile.cache.redis', backend_argument: `url:redis://127.0.0.1:${proxy.port}/0`, expiration_time: 120 } });
});

after(async () => {
  for (const a of [agent, ...others]) await a?.stop();
  await plugin.stop();
  await nova?.close();
  await proxy.cut();
  const raw = await RawBroker.open();
  await raw.deleteAll([...plugin.queues, 'q-reports-plugin'], [exchange, 'q-plugin_fanout']);
  await raw.close();
  conf.remove();
});

test('network path: the VM gets its own instance id; Nova sees the signed headers', async () => {
  const r = await get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.5'));
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, vm1.device_id);
  assert.equal(r.headers['content-type'], 'text/plain; charset=UTF-8');
  const seen = nova.requests.at(-1)!;
  assert.equal(seen.headers['x-instance-id'], vm1.device_id);
  assert.equal(seen.headers['x-tenant-id'], tenant);
  assert.equal(seen.headers['x-forwarded-for'], '10.0.0.5');
  assert.equal(seen.headers['x-instance-id-signature'], sign(SECRET, vm1.device_id));
  assert.deepEqual(plugin.calls.at(-1)!.filters, { fixed_ips: { ip_address: ['10.0.0.5'] }, network_id: [netA] });
  const json = await get('/openstack/latest/meta_data.json', onNet(netA, '10.0.0.5'));
  assert.equal(json.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(json.body), { uuid: vm1.device_id, name: 'test-instance', project_id: tenant });
});

test('a burst of 50 concurrent requests from two VMs costs one get_ports per VM', async () => {
  const before3 = plugin.callsFor('10.0.0.6');
  const before4 = plugin.callsFor('10.1.0.8');
  const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2
    ? get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.6'))
    : get('/latest/meta-data/instance-id', onNet(netB, '10.1.0.8')))));
  assert.deepEqual(new Set(rs.map((r) => r.status)), new Set([200]));
  assert.equal(rs.filter((r) => r.body === vm3.device_id).length, 25);
  assert.equal(rs.filter((r) => r.body === vm4.device_id).length, 25);
  assert.equal(plugin.callsFor('10.0.0.6') - before3, 1);
  assert.equal(plugin.callsFor('10.1.0.8') - before4, 1);
  // Later requests are cache hits (Redis): still no new RPC.
  await get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.6'));
  assert.equal(plugin.callsFor('10.0.0.6') - before3, 1);
});

test('router path: the router\'s networks (Neutron\'s interface owners), then the address on them', async () => {
  const r = await get('/latest/meta-data/instance-id', { 'X-Neutron-Router-ID': router, 'X-Forwarded-For': '10.1.0.7' });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, vm2.device_id);
  const routerCall = plugin.calls.find((c) => JSON.stringify(c.filters).includes(router));
  assert.deepEqual(routerCall?.filters, { device_id: [router], device_owner: ['network:router_interface', 'network:ha_router_replicated_interface', 'network:router_interface_distributed'] });
  assert.deepEqual(plugin.calls.at(-1)!.filters, { fixed_ips: { ip_address: ['10.1.0.7'] }, network_id: [netA, netB] });
});

test('a spoofed X-Forwarded-For (another VM\'s address on another network) finds nothing: 404, Nova not asked', async () => {
  const novaBefore = nova.requests.length;
  const r = await get('/latest/meta-data/instance-id', onNet(netA, '10.1.0.7'));
  assert.equal(r.status, 404);
  assert.equal(r.body, '404 Not Found\n\nThe resource could not be found.\n\n   ');
  assert.equal(nova.requests.length, novaBefore);
});

test('header checks: both ids 404, no id 500, repeated or bad X-Forwarded-For 500, non-UUID id 404, oversized 400 (as eventlet)', async () => {
  const calls = plugin.calls.length;
  const both = await get('/latest/meta-data/instance-id', { 'X-Neutron-Network-ID': netA, 'X-Neutron-Router-ID': router, 'X-Forwarded-For': '10.0.0.5' });
  assert.equal(both.status, 404);
  const none = await get('/latest/meta-data/instance-id', { 'X-Forwarded-For': '10.0.0.5' });
  assert.equal(none.status, 500);
  assert.equal(none.body, '500 Internal Server Error\n\nAn unknown error has occurred. Please try your request again.\n\n   ');
  const twice = await get('/latest/meta-data/instance-id', { 'X-Neutron-Network-ID': netA, 'X-Forwarded-For': ['10.0.0.5', '10.0.0.6'] });
  assert.equal(twice.status, 500);
  const bad = await get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.5, 10.0.0.6'));
  assert.equal(bad.status, 500);
  const notUuid = await get('/latest/meta-data/instance-id', onNet('../../etc', '10.0.0.5'));
  assert.equal(notUuid.status, 404);
  const html = await get('/latest/meta-data/instance-id', { ...onNet(netA, '10.9.9.9'), Accept: '*/*' });
  assert.equal(html.headers['content-type'], 'text/html; charset=UTF-8');
  assert.match(html.body, /<h1>404 Not Found<\/h1>/);
  assert.equal(plugin.calls.length, calls + 1, 'only the last request reached get_ports');
  const big = await get('/latest/meta-data/instance-id', { ...onNet(netA, '10.0.0.5'), 'X-Padding': 'x'.repeat(10_000) });
  assert.equal(big.status, 400);
});

test('several ports with the address on the network: 404', async () => {
  const r = await get('/latest/meta-data/instance-id', onNet(netC, '10.2.0.9'));
  assert.equal(r.status, 404);
});

test('IPv6: a global address is searched by fixed IP, an IPv4-mapped one as IPv4, a link-local one by MAC', async () => {
  const r = await get('/latest/meta-data/instance-id', onNet(netA, '2001:db8::5'));
  assert.equal(r.body, v6.device_id);
  const mapped = await get('/latest/meta-data/instance-id', onNet(netA, '::ffff:10.0.0.5'));
  assert.equal(mapped.body, vm1.device_id);
  assert.equal(nova.requests.at(-1)!.headers['x-forwarded-for'], '::ffff:10.0.0.5', 'Nova gets the header as sent');
  const ll = await get('/latest/meta-data/instance-id', onNet(netA, 'fe80::f816:3eff:fe12:3456'));
  assert.equal(ll.body, v6.device_id);
  assert.deepEqual(plugin.calls.at(-1)!.filters, { mac_address: ['fa:16:3e:12:34:56'], network_id: [netA] });
});

test('Nova\'s statuses as Neutron passes them: 400/403/404/409/500 mapped, others 500; 404 re-asks without cache', async () => {
  const h = onNet(netA, '10.0.0.5');
  for (const [code, body] of [
    [400, '400 Bad Request\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n   '],
    [403, '403 Forbidden\n\nAccess was denied to this resource.\n\n   '],
    [409, '409 Conflict\n\nThere was a conflict when trying to complete your request.\n\n   '],
    [500, '500 Internal Server Error\n\nRemote metadata server experienced an internal server error.\n\n   '],
    [418, '500 Internal Server Error\n\nAn unknown error has occurred. Please try your request again.\n\n   '],
    [201, '500 Internal Server Error\n\nAn unknown error has occurred. Please try your request again.\n\n   '],
  ] as const) {
    const r = await get(`/status/${code}`, h);
    assert.equal(r.status, code === 418 || code === 201 ? 500 : code, `Nova ${code}`);
    assert.equal(r.body, body, `Nova ${code}`);
  }
  const calls = plugin.callsFor('10.0.0.5');
  const novaBefore = nova.requests.length;
  const nf = await get('/status/404', h);
  assert.equal(nf.status, 404);
  assert.equal(plugin.callsFor('10.0.0.5') - calls, 1, 'one lookup past the cache');
  assert.equal(nova.requests.length - novaBefore, 2, 'Nova asked again with the fresh answer');
});

test('method, query and body reach Nova', async () => {
  const r = await unixRequest(sock, '/echo?a=1&b=2', onNet(netA, '10.0.0.5'), { method: 'POST', body: 'password-blob' });
  assert.deepEqual(JSON.parse(r.body), { method: 'POST', query: 'a=1&b=2', body: 'password-blob' });
});

test('Redis cut mid-test: still served (one RPC per request), logged once; back: cached again, logged once', async () => {
  await proxy.cut();
  const calls = plugin.callsFor('10.0.0.5');
  for (let i = 0; i < 5; i++) {
    const r = await get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.5'));
    assert.equal(r.status, 200);
    assert.equal(r.body, vm1.device_id);
  }
  assert.equal(plugin.callsFor('10.0.0.5') - calls, 5, 'without the cache every request asks');
  await waitFor(() => agent.count('metadata cache unreachable: serving without it (every lookup asks neutron-server)') === 1, { timeoutMs: 5000, description: 'one "cache unreachable" line' });
  const st = await controlRequest(ctl, '/status');
  assert.ok(st.ok);
  const doc = st.json as { agent?: { cache?: { state: string } }; [k: string]: unknown };
  assert.match(JSON.stringify(doc), /"state":"down"/);
  await proxy.restore();
  await waitFor(() => agent.count('metadata cache reachable again') === 1, { timeoutMs: 15_000, description: 'one "cache reachable again" line' });
  await get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.5'));
  const c2 = plugin.callsFor('10.0.0.5');
  await get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.5'));
  assert.equal(plugin.callsFor('10.0.0.5'), c2, 'cached again');
  assert.equal(agent.count('metadata cache unreachable: serving without it (every lookup asks neutron-server)'), 1);
});

test('Redis on a port where nothing listens: served without cache, said once; socket mode 0644', async () => {
  const free = createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
  const deadPort = (free.address() as { port: number }).port;
  await new Promise<void>((r) => free.close(() => r()));
  const a = await startAgent('dead', { cache: { enabled: true, backend: 'dogpile.cache.redis', backend_argument: `url:redis://127.0.0.1:${deadPort}/0`, expiration_time: 60 } });
  others.push(a);
  const s = join(conf.dir, 'dead', 'metadata_proxy');
  for (let i = 0; i < 3; i++) assert.equal((await get('/latest/meta-data/instance-id', onNet(netB, '10.1.0.7'), s)).body, vm2.device_id);
  await waitFor(() => a.count('metadata cache unreachable: serving without it (every lookup asks neutron-server)') === 1, { timeoutMs: 6000, description: 'one "cache unreachable" line' });
  assert.equal(statSync(s).mode & 0o777, 0o644);
});

test('a wrong shared secret: Nova\'s 403 passed through as Neutron\'s; the secret never reaches a log line', async () => {
  const wrong = `wrong-${randomUUID()}`;
  const a = await startAgent('wrong', { secret: wrong });
  others.push(a);
  const r = await get('/latest/meta-data/instance-id', onNet(netA, '10.0.0.5'), join(conf.dir, 'wrong', 'metadata_proxy'));
  assert.equal(r.status, 403);
  assert.equal(r.body, '403 Forbidden\n\nAccess was denied to this resource.\n\n   ');
  await waitFor(() => a.json.some((l) => String(l['msg']).startsWith('The remote metadata server responded with Forbidden')), { timeoutMs: 3000, description: 'the Forbidden warning' });
  for (const run of [agent, ...others]) {
    assert.ok(!run.lines.some((l) => l.includes(SECRET) || l.includes(wrong)), 'no secret in any log line');
  }
});
