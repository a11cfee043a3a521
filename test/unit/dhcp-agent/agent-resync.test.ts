/**
 * DhcpAgent.apply's scheduling against a stateful fake kernel, a fake q-plugin and a
 * fake supervisor: a server sync served in slices, the periodic pass that costs one
 * namespace read per network and no RPC when nothing changed, drift of every kind
 * found and repaired, notifications served before self-queued work, and
 * dhcp_ready_on_ports batched per apply.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { DetachedProcessSupervisor } from '../../../shared/process/supervisor.js';
import type { OsloRpcClient } from '../../../shared/rpc/index.js';
import type { ApplyOutcome } from '../../../shared/reconcile/runner.js';
import { DhcpAgent } from '../../../agents/dhcp/agent.js';
import { DhcpPluginApi } from '../../../agents/dhcp/plugin-api.js';
import { DNSMASQ_DEFAULTS, confFile } from '../../../agents/dhcp/dnsmasq/index.js';
import { DhcpFakeKernel } from './fake-kernel.js';

type Json = Record<string, unknown>;
const HOST = 'node-1';
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
const netId = (i: number) => `${hex(i, 8)}-1111-4111-8111-111111111111`;
const subnetId = (i: number) => `${hex(i, 8)}-2222-4222-8222-222222222222`;
const vmPortId = (i: number) => `${hex(i, 8)}-3333-4333-8333-333333333333`;

function network(i: number): Json {
  return {
    id: netId(i), project_id: 'p', tenant_id: 'p', admin_state_up: true, mtu: 1450, non_local_subnets: [],
    subnets: [{ id: subnetId(i), network_id: netId(i), cidr: `10.${i}.0.0/24`, ip_version: 4, enable_dhcp: true, gateway_ip: `10.${i}.0.1`, dns_nameservers: [], host_routes: [], ipv6_address_mode: null, ipv6_ra_mode: null, allocation_pools: [], segment_id: null }],
    ports: [{ id: vmPortId(i), network_id: netId(i), device_owner: 'compute:nova', device_id: `vm-${i}`, mac_address: `fa:16:3e:00:01:${hex(i, 2)}`, admin_state_up: true, extra_dhcp_opts: [], fixed_ips: [{ subnet_id: subnetId(i), ip_address: `10.${i}.0.10` }] }],
  };
}

/** q-plugin: the networks hosted here, and every call received. */
class FakeServer {
  readonly networks = new Map<string, Json>();
  readonly calls: Array<{ method: string; args: Json }> = [];
  failReady = false;
  readonly failInfo = new Set<string>();
  private portN = 0;

  add(i: number): string {
    this.networks.set(netId(i), network(i));
    return netId(i);
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  api(): DhcpPluginApi {
    const client = {
      call: async (method: string, args: Json): Promise<unknown> => {
        this.calls.push({ method, args });
        const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
        switch (method) {
          case 'get_active_networks_info': return copy([...this.networks.values()]);
          case 'get_network_info':
            if (this.failInfo.has(args['network_id'] as string)) throw new Error('MessagingTimeout');
            return copy(this.networks.get(args['network_id'] as string) ?? null);
          case 'create_dhcp_port': {
            const body = (args['port'] as Json)['port'] as Json;
            const net = this.networks.get(body['network_id'] as string)!;
            const i = Number.parseInt(String(body['network_id']).slice(0, 8), 16);
            const port = { id: `${hex(++this.portN, 8)}-4444-4444-8444-444444444444`, network_id: body['network_id'], device_id: body['device_id'], device_owner: 'network:dhcp', mac_address: `fa:16:3e:00:02:${hex(i, 2)}`, admin_state_up: true, extra_dhcp_opts: [], fixed_ips: [{ subnet_id: subnetId(i), ip_address: `10.${i}.0.2` }] };
            (net['ports'] as Json[]).push(port);
            return copy(port);
          }
          case 'dhcp_ready_on_ports':
            if (this.failReady) throw new Error('MessagingTimeout');
            return null;
          case 'release_dhcp_port': return null;
          default: throw new Error(`unexpected ${method}`);
        }
      },
    };
    return new DhcpPluginApi(client as unknown as OsloRpcClient, HOST);
  }
}

/** Processes by id: what ensure started and nobody killed. check() respawns nothing, so drift shows. */
class FakeSupervisor {
  readonly alive = new Set<string>();
  readonly ops: string[] = [];
  async ensure(spec: { id: string }): Promise<{ pid: number; action: string }> {
    if (this.alive.has(spec.id)) return { pid: 1, action: 'running' };
    this.alive.add(spec.id);
    this.ops.push(`start ${spec.id}`);
    return { pid: 1, action: 'started' };
  }
  async stop(id: string): Promise<void> {
    if (this.alive.delete(id)) this.ops.push(`stop ${id}`);
  }
  async signal(id: string, sig: string): Promise<boolean> {
    this.ops.push(`${sig} ${id}`);
    return this.alive.has(id);
  }
  async isAlive(id: string): Promise<boolean> {
    return this.alive.has(id);
  }
  async check(): Promise<{ respawned: string[]; failed: never[] }> {
    return { respawned: [], failed: [] };
  }
}

interface Env { dir: string; kernel: DhcpFakeKernel; server: FakeServer; sup: FakeSupervisor; logs: Json[]; agent: DhcpAgent }
let env: Env;

function makeAgent(sliceBudgetMs: number): void {
  const logger: Logger = pino({ level: 'debug' }, { write: (s: string) => { env.logs.push(JSON.parse(s) as Json); } });
  env.agent = new DhcpAgent({
    host: HOST, conf: { ...DNSMASQ_DEFAULTS, dhcp_confs: join(env.dir, 'dhcp'), enable_isolated_metadata: true }, statePath: env.dir, metadataProxySocket: join(env.dir, 'metadata_proxy'),
    bridged: true, hostTagSupported: true, plugin: env.server.api(), runner: env.kernel, supervisor: env.sup as unknown as DetachedProcessSupervisor, logger,
    sliceBudgetMs, now: () => env.kernel.clock,
  });
}

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dhcp-agent-resync-'));
  env = { dir, kernel: new DhcpFakeKernel(10), server: new FakeServer(), sup: new FakeSupervisor(), logs: [], agent: undefined as unknown as DhcpAgent };
  makeAgent(100);
});
afterEach(async () => { await rm(env.dir, { recursive: true, force: true }); });

const work = (o: { fullSync?: boolean; keys?: Iterable<string>; reason?: string[]; fullSyncReasons?: string[] }) => ({
  fullSync: o.fullSync ?? false, keys: new Set(o.keys ?? []), reason: o.reason ?? [], fullSyncReasons: o.fullSyncReasons ?? [],
});
const startup = () => env.agent.apply(work({ fullSync: true, reason: ['startup'], fullSyncReasons: ['startup'] }));
const periodic = (keys: string[] = [], reason = ['periodic']) => env.agent.apply(work({ fullSync: true, keys, reason, fullSyncReasons: ['periodic'] }));

/** Runs the deferred keys as the runner would, until none are left; returns the outcomes. */
async function drain(first: ApplyOutcome): Promise<ApplyOutcome[]> {
  const outs = [first];
  for (let i = 0; i < 100; i++) {
    const keys = [...(outs[outs.length - 1]!.deferredKeys ?? [])];
    if (keys.length === 0) return outs;
    outs.push(await env.agent.apply(work({ keys })));
  }
  throw new Error('deferred keys never drained');
}

const ns = (i: number) => `qdhcp-${netId(i)}`;
const msgs = (m: string) => env.logs.filter((l) => l['msg'] === m);

async function serveAll(n: number): Promise<void> {
  for (let i = 1; i <= n; i++) env.server.add(i);
  await drain(await startup());
  env.server.calls.length = 0;
  env.kernel.calls.length = 0;
  env.sup.ops.length = 0;
  env.logs.length = 0;
}

describe('DhcpAgent.apply scheduling', () => {
  it('start-up: one get_active_networks_info, networks served in slices of about the budget, one dhcp_ready_on_ports per slice, "sync complete" at the end', async () => {
    for (let i = 1; i <= 6; i++) env.server.add(i);
    const first = await startup();
    const deferred = [...(first.deferredKeys ?? [])];
    assert.ok(deferred.length > 0 && deferred.length < 6, `some networks deferred (${deferred.length})`);
    assert.ok(deferred.every((k) => k.startsWith('sync:')), deferred.join(','));
    assert.equal(msgs('sync complete').length, 0, 'not complete after the first slice');
    const outs = await drain(first);
    assert.ok(outs.length >= 2, `several slices (${outs.length})`);
    for (let i = 1; i <= 6; i++) assert.ok(env.kernel.ns.has(ns(i)), `namespace of network ${i}`);
    const m = env.server.methods();
    assert.equal(m.filter((x) => x === 'get_active_networks_info').length, 1);
    assert.equal(m.filter((x) => x === 'get_network_info').length, 0, 'slices are served from the copy, no RPC');
    assert.equal(m.filter((x) => x === 'create_dhcp_port').length, 6);
    assert.equal(m.filter((x) => x === 'dhcp_ready_on_ports').length, outs.length, 'one call per slice');
    const ready = env.server.calls.filter((c) => c.method === 'dhcp_ready_on_ports').flatMap((c) => c.args['port_ids'] as string[]);
    assert.equal(ready.length, 12, 'every VM and DHCP port reported once');
    assert.equal(msgs('sync complete').length, 1);
    assert.equal(msgs('sync complete')[0]!['networks'], 6);
    assert.deepEqual(env.agent.counts(), { networks: 6, subnets: 6, ports: 12 });
  });

  it('periodic pass with nothing changed: no RPC, no write, no process started, one namespace read per network', async () => {
    await serveAll(5);
    const out = await periodic();
    assert.deepEqual(env.server.calls, []);
    assert.deepEqual(env.kernel.writes(), []);
    assert.deepEqual(env.kernel.reads().sort(), [1, 2, 3, 4, 5].map(ns).sort());
    assert.equal(env.kernel.calls.length, 6, 'the root link read and five namespace reads');
    assert.deepEqual(env.sup.ops, []);
    assert.deepEqual([...(out.deferredKeys ?? [])], []);
    assert.equal(out.ops, 0);
    assert.equal(out.failedKeys.size, 0);
    assert.equal(msgs('local state drifted; serving the network again').length, 0);
  });

  it('periodic pass over many networks: checked in slices (deferred check: keys), still no RPC and no write', async () => {
    makeAgent(50);
    await serveAll(20);
    const outs = await drain(await periodic());
    assert.ok(outs.length >= 3, `several slices (${outs.length})`);
    const firstDeferred = [...(outs[0]!.deferredKeys ?? [])];
    assert.ok(firstDeferred.length > 0 && firstDeferred.every((k) => k.startsWith('check:')), firstDeferred.join(','));
    assert.deepEqual(env.kernel.reads().sort(), Array.from({ length: 20 }, (_, i) => ns(i + 1)).sort(), 'each namespace read once');
    assert.deepEqual(env.server.calls, []);
    assert.deepEqual(env.kernel.writes(), []);
  });

  it('a notification arriving during a sliced periodic pass is served in the next slice, before the rest of the checks', async () => {
    makeAgent(50);
    await serveAll(20);
    const first = await periodic();
    const rest = [...(first.deferredKeys ?? [])];
    env.kernel.calls.length = 0;
    const out = await env.agent.apply(work({ keys: [...rest, `network:${netId(20)}`], reason: ['port_update_end'] }));
    assert.deepEqual(env.server.methods(), ['get_network_info']);
    assert.equal(env.kernel.reads()[0], ns(20), 'the notified network first');
    assert.ok(![...(out.deferredKeys ?? [])].includes(`check:${netId(20)}`), 'and not checked again');
  });

  it('a periodic pass carrying notification reasons is still no server sync: the notified network alone is fetched, no port reported again', async () => {
    await serveAll(3);
    const net = env.server.networks.get(netId(2))!;
    (net['ports'] as Json[]).push({ id: vmPortId(99), network_id: netId(2), device_owner: 'compute:nova', device_id: 'vm-new', mac_address: 'fa:16:3e:00:09:99', admin_state_up: true, extra_dhcp_opts: [], fixed_ips: [{ subnet_id: subnetId(2), ip_address: '10.2.0.99' }] });
    await periodic([`network:${netId(2)}`], ['port_create_end', 'periodic']);
    assert.deepEqual(env.server.methods(), ['get_network_info', 'dhcp_ready_on_ports']);
    assert.deepEqual(env.server.calls[1]!.args['port_ids'], [vmPortId(99)], 'only the new port');
    assert.match(await readFile(confFile(join(env.dir, 'dhcp'), netId(2), 'host'), 'utf8'), /fa:16:3e:00:09:99/);
    assert.ok(env.sup.ops.includes(`SIGHUP dnsmasq:${netId(2)}`));
  });

  it('drift of every kind is found by the periodic pass and repaired: namespace, veth, address, route, file, dnsmasq, haproxy', async () => {
    await serveAll(7);
    const before = (i: number) => ({ addrs: env.kernel.ns.get(ns(i))!.addrs.map((a) => a.cidr).sort(), routes: env.kernel.ns.get(ns(i))!.routes.map((r) => `${r.dst} via ${r.via}`) });
    const want = [1, 2, 3, 4, 5, 6, 7].map(before);
    const hostFile = confFile(join(env.dir, 'dhcp'), netId(5), 'host');
    const hosts = await readFile(hostFile, 'utf8');
    // 1: namespace deleted; 2: address removed; 3: tap (root end) deleted; 4: default route
    // removed; 5: hosts file edited; 6: dnsmasq dead; 7: haproxy dead.
    await env.kernel.run(['ip', 'netns', 'del', ns(1)]);
    const n2 = env.kernel.ns.get(ns(2))!;
    n2.addrs = n2.addrs.filter((a) => !a.cidr.startsWith('10.'));
    const tap3 = [...env.kernel.ns.get('')!.links.keys()].find((l) => l.startsWith('tap') && env.kernel.ns.get(ns(3))!.links.has(`ns-${l.slice(3)}`))!;
    await env.kernel.run(['ip', '-force', '-batch', '-'], { input: `link del dev ${tap3}\n` });
    env.kernel.ns.get(ns(4))!.routes = [];
    await writeFile(hostFile, 'garbage\n');
    env.sup.alive.delete(`dnsmasq:${netId(6)}`);
    env.sup.alive.delete(`haproxy:${netId(7)}`);
    env.kernel.calls.length = 0;

    const outs = await drain(await periodic());
    const drifted = msgs('local state drifted; serving the network again').map((l): [string, string] => [String(l['network_id']), (l['drift'] as string[]).join('; ')]);
    assert.deepEqual(new Map(drifted), new Map([
      [netId(1), 'namespace missing'],
      [netId(2), 'kernel: addr.add'],
      [netId(3), 'kernel: link.add, link.set, addr.add, route.replace'],
      [netId(4), 'kernel: route.replace'],
      [netId(5), 'dnsmasq host file differs'],
      [netId(6), 'dnsmasq not running'],
      [netId(7), 'haproxy not running'],
    ]));
    assert.ok(outs.length > 1, 'repairs done in slices');
    for (let i = 1; i <= 7; i++) assert.deepEqual(before(i), want[i - 1], `kernel state of network ${i} restored`);
    assert.equal(await readFile(hostFile, 'utf8'), hosts);
    assert.ok(env.sup.alive.has(`dnsmasq:${netId(6)}`) && env.sup.alive.has(`haproxy:${netId(7)}`) && env.sup.alive.has(`dnsmasq:${netId(1)}`));
    assert.deepEqual(env.server.calls, [], 'repairs need no RPC');
    env.logs.length = 0;
    env.kernel.calls.length = 0;
    await periodic();
    assert.deepEqual(env.kernel.writes(), [], 'the next pass finds nothing');
  });

  it('a notification is served before self-queued work; what does not fit the budget is deferred', async () => {
    makeAgent(0);
    await serveAll(4);
    for (const i of [1, 2, 3]) await env.kernel.run(['ip', 'netns', 'del', ns(i)]);
    env.kernel.calls.length = 0;
    const out = await env.agent.apply(work({ keys: [`network:${netId(4)}`, `sync:${netId(1)}`, `sync:${netId(2)}`, `sync:${netId(3)}`] }));
    assert.deepEqual(env.server.methods(), ['get_network_info']);
    // Budget 0: the notified network, then exactly one queued network, the rest deferred.
    assert.deepEqual([...(out.deferredKeys ?? [])].sort(), [`sync:${netId(2)}`, `sync:${netId(3)}`]);
    assert.ok(env.kernel.ns.has(ns(1)) && !env.kernel.ns.has(ns(2)));
    const order = env.kernel.calls.filter((c) => c.argv[1] === '-n' && c.argv.includes('-json')).map((c) => c.argv[2]);
    assert.deepEqual(order, [ns(4), ns(1)], 'notified network read (served) first');
  });

  it('a burst of notifications is sliced too: in the runner\'s order, those beyond the budget handed back as network: keys', async () => {
    makeAgent(0);
    await serveAll(4);
    const out = await env.agent.apply(work({ keys: [4, 2, 3, 1].map((i) => `network:${netId(i)}`) }));
    assert.deepEqual(env.server.methods(), ['get_network_info']);
    assert.equal(env.server.calls[0]!.args['network_id'], netId(4), 'the first key of the work first (the freshest, as the runner orders them)');
    assert.deepEqual([...(out.deferredKeys ?? [])], [2, 3, 1].map((i) => `network:${netId(i)}`));
  });

  it('get_network_info failing fails that network only; the others are served', async () => {
    await serveAll(2);
    env.server.failInfo.add(netId(1));
    const out = await env.agent.apply(work({ keys: [`network:${netId(1)}`, `network:${netId(2)}`] }));
    assert.deepEqual([...out.failedKeys.keys()], [`network:${netId(1)}`]);
    assert.equal(msgs('get_network_info failed; will retry').length, 1);
    assert.deepEqual(env.server.methods(), ['get_network_info', 'get_network_info'], 'network 2 fetched (and served) all the same');
  });

  it('revived: a server sync again, every port reported again', async () => {
    await serveAll(2);
    await drain(await env.agent.apply(work({ fullSync: true, reason: ['revived'], fullSyncReasons: ['revived'] })));
    assert.deepEqual(env.server.methods().filter((m) => m !== 'dhcp_ready_on_ports'), ['get_active_networks_info']);
    const ready = env.server.calls.filter((c) => c.method === 'dhcp_ready_on_ports').flatMap((c) => c.args['port_ids'] as string[]);
    assert.equal(ready.length, 4);
    assert.deepEqual(env.kernel.writes(), [], 'nothing to change in the kernel');
  });

  it('dhcp_ready_on_ports failing: its networks fail (retried with backoff) and the ports are sent with the next apply', async () => {
    env.server.add(1);
    env.server.failReady = true;
    const out = await startup();
    assert.deepEqual([...out.failedKeys.keys()], [`network:${netId(1)}`]);
    env.server.failReady = false;
    env.server.calls.length = 0;
    const again = await env.agent.apply(work({ keys: [`network:${netId(1)}`] }));
    assert.equal(again.failedKeys.size, 0);
    assert.deepEqual(env.server.methods(), ['get_network_info', 'dhcp_ready_on_ports']);
    assert.equal((env.server.calls[1]!.args['port_ids'] as string[]).length, 2);
  });
});

