import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { DetachedProcessSupervisor } from '../../../shared/process/supervisor.js';
import { OsloRpcClient } from '../../../shared/rpc/index.js';
import { L3Agent, type NatPort } from '../../../agents/l3/agent.js';
import type { Router } from '../../../agents/l3/model.js';
import { L3PluginApi } from '../../../agents/l3/plugin-api.js';
import { FakeKernel } from './fake-kernel.js';
import { routerJson, uuid, type Json } from './fixtures.js';

/** The server side of q-l3-plugin: routers hosted here, and the status reports received. */
class FakeServer {
  routers = new Map<string, Json>();
  statuses: Array<{ routerId: string; statuses: Record<string, string> }> = [];
  api(): L3PluginApi {
    const client = {
      call: async (method: string, args: Record<string, unknown>): Promise<unknown> => {
        if (method === 'get_router_ids') return [...this.routers.keys()];
        if (method === 'sync_routers') return (args['router_ids'] as string[]).flatMap((id) => (this.routers.has(id) ? [this.routers.get(id)] : []));
        if (method === 'update_floatingip_statuses') { this.statuses.push({ routerId: args['router_id'] as string, statuses: args['fip_statuses'] as Record<string, string> }); return null; }
        throw new Error(`unexpected ${method}`);
      },
    };
    return new L3PluginApi(client as unknown as OsloRpcClient, 'vm');
  }
  add(raw: Json): string { this.routers.set(raw['id'] as string, raw); return raw['id'] as string; }
}

interface Env { kernel: FakeKernel; server: FakeServer; nat: Array<{ id: string; netns: string }>; sup: string[]; logs: Json[]; agent: L3Agent; dir: string }

let env: Env;

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'l3-agent-test-'));
  const kernel = new FakeKernel();
  const server = new FakeServer();
  const nat: Env['nat'] = [];
  const sup: string[] = [];
  const logs: Json[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (s: string) => { logs.push(JSON.parse(s) as Json); } });
  const natPort: NatPort = { apply: async (r: Router, netns: string) => { nat.push({ id: r.id, netns }); } };
  const supervisor = {
    stop: async (id: string) => { sup.push(`stop ${id}`); },
    ensure: async (spec: { id: string }) => { sup.push(`ensure ${spec.id}`); return { started: true }; },
  };
  const agent = new L3Agent({
    plugin: server.api(), runner: kernel, supervisor: supervisor as unknown as DetachedProcessSupervisor, nat: natPort, logger,
    statePath: dir, metadata: { enabled: false, port: 9697, socket: join(dir, 'metadata_proxy') }, handleInternalOnlyRouters: true,
  });
  env = { kernel, server, nat, sup, logs, agent, dir };
});
afterEach(async () => { await rm(env.dir, { recursive: true, force: true }); });

const full = () => env.agent.apply({ fullSync: true, keys: new Set(), reason: ['test'] });
const dirty = (...ids: string[]) => env.agent.apply({ fullSync: false, keys: new Set(ids.map((i) => `router:${i}`)), reason: ['test'] });
const nsOf = (id: string) => `qrouter-${id}`;
const FIP1 = uuid(1, 'ffffffff'), FIP2 = uuid(2, 'ffffffff');
const errors = () => env.logs.filter((l) => l['level'] === 50);

describe('L3Agent.apply', () => {
  it('serves a legacy router: namespace wired, NAT applied, FIPs ACTIVE; a second apply changes nothing', async () => {
    const id = env.server.add(routerJson(1, { fips: [{ id: FIP1, fip: '198.51.100.50', fixed: '10.1.0.10' }] }));
    const out = await full();
    assert.equal(out.failedKeys.size, 0);
    const ns = env.kernel.ns.get(nsOf(id));
    assert.ok(ns);
    assert.equal(ns.forward, '1');
    assert.deepEqual(ns.addrs.map((a) => a.cidr).sort(), ['10.1.0.1/24', '198.51.100.11/24', '198.51.100.50/32']);
    assert.deepEqual(ns.routes, [{ dst: 'default', via: '198.51.100.1', dev: `qg-${String((routerJson(1)['gw_port'] as Json)['id']).slice(0, 11)}`, proto: '75' }]);
    assert.deepEqual(env.nat, [{ id, netns: nsOf(id) }]);
    assert.deepEqual(env.server.statuses, [{ routerId: id, statuses: { [FIP1]: 'ACTIVE' } }]);
    assert.deepEqual(env.agent.counts(), { routers: 1, exGwPorts: 1, interfaces: 1, floatingIps: 1 });

    const before = env.kernel.dump();
    env.kernel.calls.length = 0;
    const again = await full();
    assert.equal(again.ops, 0);
    assert.deepEqual(env.kernel.writes(), []);
    assert.deepEqual(env.kernel.dump(), before);
    assert.equal(env.server.statuses.length, 1, 'FIP statuses reported only when they change');
  });

  it('drift is repaired: an address and the default route removed by hand come back', async () => {
    const id = env.server.add(routerJson(1));
    await full();
    const ns = env.kernel.ns.get(nsOf(id))!;
    ns.addrs = ns.addrs.filter((a) => a.cidr !== '10.1.0.1/24');
    ns.routes = [];
    ns.routes.push({ dst: '192.0.2.0/24', via: '10.1.0.9', proto: 'static' });
    await full();
    const after = env.kernel.ns.get(nsOf(id))!;
    assert.ok(after.addrs.some((a) => a.cidr === '10.1.0.1/24'));
    assert.ok(after.routes.some((r) => r.dst === 'default' && r.proto === '75'));
    assert.ok(after.routes.some((r) => r.dst === '192.0.2.0/24' && r.proto === 'static'), 'a route not ours is left alone');
  });

  it('refuses ha=true and distributed=true routers: one error line each, FIPs ERROR, no namespace op', async () => {
    const ha = env.server.add(routerJson(1, { fips: [{ id: FIP1, fip: '198.51.100.50', fixed: '10.1.0.10' }], extra: { ha: true } }));
    const dvr = env.server.add(routerJson(2, { fips: [{ id: FIP2, fip: '198.51.100.51', fixed: '10.2.0.10' }], extra: { distributed: true } }));
    const out = await full();
    assert.equal(out.failedKeys.size, 0);
    assert.equal(env.kernel.ns.has(nsOf(ha)), false);
    assert.equal(env.kernel.ns.has(nsOf(dvr)), false);
    assert.deepEqual(env.kernel.writes().filter((c) => c.argv.includes('-batch')), []);
    assert.deepEqual(env.nat, []);
    const refused = errors().filter((l) => l['msg'] === 'router refused');
    assert.deepEqual(refused.map((l) => l['router_id']).sort(), [ha, dvr].sort());
    assert.match(String(refused.find((l) => l['router_id'] === ha)!['why']), /ha=true/);
    assert.match(String(refused.find((l) => l['router_id'] === dvr)!['why']), /distributed=true/);
    assert.deepEqual(env.server.statuses.sort((a, b) => a.routerId.localeCompare(b.routerId)), [
      { routerId: ha, statuses: { [FIP1]: 'ERROR' } },
      { routerId: dvr, statuses: { [FIP2]: 'ERROR' } },
    ]);
    // Next resync: no new error line, no new report.
    await full();
    assert.equal(errors().filter((l) => l['msg'] === 'router refused').length, 2);
    assert.equal(env.server.statuses.length, 2);
    assert.equal(env.agent.counts().routers, 0);
  });

  it('a served router turned ha=true is removed and refused', async () => {
    const raw = routerJson(1, { fips: [{ id: FIP1, fip: '198.51.100.50', fixed: '10.1.0.10' }] });
    const id = env.server.add(raw);
    await full();
    env.server.add({ ...raw, ha: true });
    await dirty(id);
    assert.equal(env.kernel.ns.has(nsOf(id)), false);
    assert.equal(errors().filter((l) => l['msg'] === 'router refused').length, 1);
    assert.deepEqual(env.server.statuses.at(-1), { routerId: id, statuses: { [FIP1]: 'ERROR' } });
  });

  it('an admin-down router is removed: namespace and root taps gone', async () => {
    const raw = routerJson(1, { fips: [{ id: FIP1, fip: '198.51.100.50', fixed: '10.1.0.10' }] });
    const id = env.server.add(raw);
    await full();
    assert.ok([...env.kernel.ns.get('')!.links.keys()].some((n) => n.startsWith('tap')));
    env.server.add({ ...raw, admin_state_up: false });
    const out = await dirty(id);
    assert.equal(out.failedKeys.size, 0);
    assert.equal(env.kernel.ns.has(nsOf(id)), false);
    assert.deepEqual([...env.kernel.ns.get('')!.links.keys()].filter((n) => n.startsWith('tap')), []);
    assert.ok(env.sup.includes(`stop haproxy:${id}`));
    assert.equal(env.agent.counts().routers, 0);
    assert.deepEqual(env.server.statuses.at(-1), { routerId: id, statuses: { [FIP1]: 'DOWN' } });
  });

  it('a router the server no longer returns is removed and its FIPs reported DOWN (incremental and full sync)', async () => {
    const a = env.server.add(routerJson(1, { fips: [{ id: FIP1, fip: '198.51.100.50', fixed: '10.1.0.10' }] }));
    const b = env.server.add(routerJson(2, { fips: [{ id: FIP2, fip: '198.51.100.51', fixed: '10.2.0.10' }] }));
    await full();
    env.server.routers.delete(a);
    await dirty(a);
    assert.equal(env.kernel.ns.has(nsOf(a)), false);
    assert.ok(env.kernel.ns.has(nsOf(b)));
    assert.deepEqual(env.server.statuses.at(-1), { routerId: a, statuses: { [FIP1]: 'DOWN' } });
    env.server.routers.delete(b);
    await full();
    assert.equal(env.kernel.ns.has(nsOf(b)), false);
    assert.deepEqual(env.server.statuses.at(-1), { routerId: b, statuses: { [FIP2]: 'DOWN' } });
    const n = env.server.statuses.length;
    await full();
    assert.equal(env.server.statuses.length, n);
  });

  it('FIP statuses are reported only when they change: a new FIP ACTIVE, a removed one DOWN', async () => {
    const raw = routerJson(1, { fips: [{ id: FIP1, fip: '198.51.100.50', fixed: '10.1.0.10' }] });
    const id = env.server.add(raw);
    await full();
    await dirty(id);
    assert.equal(env.server.statuses.length, 1);
    env.server.add(routerJson(1, { fips: [{ id: FIP2, fip: '198.51.100.51', fixed: '10.1.0.11' }] }));
    await dirty(id);
    assert.deepEqual(env.server.statuses.at(-1), { routerId: id, statuses: { [FIP2]: 'ACTIVE', [FIP1]: 'DOWN' } });
    const ns = env.kernel.ns.get(nsOf(id))!;
    assert.ok(ns.addrs.some((a) => a.cidr === '198.51.100.51/32'));
    assert.ok(!ns.addrs.some((a) => a.cidr === '198.51.100.50/32'));
    await dirty(id);
    assert.equal(env.server.statuses.length, 2);
  });

  it('a malformed router payload leaves the kernel untouched and marks only its key failed', async () => {
    const good = env.server.add(routerJson(1));
    const raw = routerJson(2);
    const bad = env.server.add(raw);
    await full();
    const before = env.kernel.dump();
    env.kernel.calls.length = 0;
    env.server.add({ ...raw, gw_port: { ...(raw['gw_port'] as Json), mac_address: 'not-a-mac' } });
    const out = await full();
    assert.deepEqual([...out.failedKeys.keys()], [`router:${bad}`]);
    assert.deepEqual(env.kernel.writes(), []);
    assert.deepEqual(env.kernel.dump(), before);
    assert.ok(env.kernel.ns.has(nsOf(good)) && env.kernel.ns.has(nsOf(bad)));
    assert.equal(errors().filter((l) => l['msg'] === 'unusable router payload; router left as it is').length, 1);
    // Incremental too.
    const inc = await dirty(bad, good);
    assert.deepEqual([...inc.failedKeys.keys()], [`router:${bad}`]);
    assert.deepEqual(env.kernel.writes(), []);
  });

  it('a router with an upper-case id in the payload is the same router (keys and namespaces lower-case)', async () => {
    const raw = routerJson(1);
    const id = raw['id'] as string;
    env.server.routers.set(id, { ...raw, id: id.toUpperCase() });
    const out = await dirty(id);
    assert.equal(out.failedKeys.size, 0);
    assert.ok(env.kernel.ns.has(nsOf(id)));
  });
});
