/**
 * get_devices_details_list answered from the resource cache (CacheDeviceDetails) with a
 * real RemoteResourceCache on a fake q-plugin: ports held for this host cost no RPC;
 * a tap the cache cannot map triggers one targeted pull (host listing + bulk_pull of
 * the ids it could name), at most once a minute per tap; several ports for one tap
 * name and unknown taps answer {device}; failed pulls answer `failed`; a port whose
 * network is missing is pulled and answered in one go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheDeviceDetails, UNMAPPED_REPULL_MS, type TapCache } from '../../../agents/linuxbridge/cache-details.js';
import { tapName, type DeviceAnswer } from '../../../agents/linuxbridge/model.js';
import { RemoteResourceCache } from '../../../shared/resource-cache/remote-cache.js';
import { ResourcesPullApi } from '../../../shared/resource-cache/pull-api.js';
import { ResourceStore } from '../../../shared/resource-cache/store.js';
import { decodeNetwork, decodePort, type PortRecord } from '../../../shared/resource-cache/ovo.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { FakeConnection, FakePushBus, FakeQPlugin, HOST, NET, SG, bindingPrim, networkPrim, portPrim, sgPrim, subnetPrim, uuid } from '../resource-cache/fixtures.js';

interface World {
  server: FakeQPlugin;
  cache: RemoteResourceCache;
  details: CacheDeviceDetails;
  clock: { now: number };
}

async function world(ports: string[]): Promise<World> {
  const server = new FakeQPlugin();
  server.put('Network', networkPrim());
  server.put('Subnet', subnetPrim());
  server.put('SecurityGroup', sgPrim({}, []));
  for (const id of ports) server.put('Port', portPrim({ id }));
  const cache = new RemoteResourceCache({ connection: new FakeConnection(), client: server, host: HOST, logger: silentLogger(), makePushServer: new FakePushBus().factory, retry: { initialMs: 5, maxMs: 20 } });
  await cache.start();
  const pull = new ResourcesPullApi(server);
  const clock = { now: 1_000_000 };
  const details = new CacheDeviceDetails({ cache, host: HOST, listHostPortIds: () => pull.portIdsBoundToHost(HOST, 'normal'), logger: silentLogger(), now: () => clock.now });
  server.calls.length = 0;
  return { server, cache, details, clock };
}

const kinds = (answers: DeviceAnswer[]) => answers.map((a) => a.kind);

test('ports held for this host: details from the cache, no RPC at all', async () => {
  const [a, b] = [uuid(), uuid()];
  const w = await world([a, b]);
  const answers = await w.details.getDevicesDetailsList([tapName(a), tapName(b)]);
  assert.deepEqual(kinds(answers), ['port', 'port']);
  const first = answers[0]!;
  assert.ok(first.kind === 'port');
  assert.equal(first.details.device, tapName(a));
  assert.equal(first.details.port_id, a);
  assert.equal(first.details.network_id, NET);
  assert.equal(first.details.network_type, 'vxlan');
  assert.equal(first.details.segmentation_id, 1001);
  assert.equal(first.details.mtu, 1450);
  assert.deepEqual(w.server.calls, []);
  await w.cache.stop();
});

test('a tap whose port the cache does not hold yet: one host listing + one bulk_pull, then details', async () => {
  const a = uuid();
  const w = await world([a]);
  const late = uuid();
  // Bound here after the cache filled; its push has not arrived.
  w.server.put('Port', portPrim({ id: late, ip: '10.0.0.9' }));
  const [ans] = await w.details.getDevicesDetailsList([tapName(late)]);
  assert.equal(ans?.kind, 'port');
  assert.deepEqual(w.server.calls.map((c) => c.method), ['get_ports_by_vnic_type_and_host', 'bulk_pull']);
  assert.deepEqual(w.server.calls[1]?.args['filter_kwargs'], { id: [late] }, 'only the ids the tap could name');
  assert.equal(w.cache.getPort(late)?.id, late);
  await w.cache.stop();
});

test('an unknown tap: {device}, asked of the server at most once a minute', async () => {
  const w = await world([uuid()]);
  const stray = 'tapdeadbeef-00';
  assert.deepEqual(await w.details.getDevicesDetailsList([stray]), [{ kind: 'unknown', device: stray }]);
  assert.deepEqual(w.server.calls.map((c) => c.method), ['get_ports_by_vnic_type_and_host'], 'nothing matched: no bulk_pull');
  w.clock.now += UNMAPPED_REPULL_MS - 1;
  assert.deepEqual(await w.details.getDevicesDetailsList([stray]), [{ kind: 'unknown', device: stray }]);
  assert.equal(w.server.calls.length, 1, 'within the minute: no RPC');
  w.clock.now += 1;
  await w.details.getDevicesDetailsList([stray]);
  assert.equal(w.server.calls.length, 2, 'after a minute: asked again');
  await w.cache.stop();
});

test('several unmapped taps in one apply share one listing', async () => {
  const w = await world([]);
  const [x, y] = [uuid(), uuid()];
  w.server.put('Port', portPrim({ id: x }));
  w.server.put('Port', portPrim({ id: y, ip: '10.0.0.8' }));
  const answers = await w.details.getDevicesDetailsList([tapName(x), tapName(y), 'tapffffffff-ff']);
  assert.deepEqual(kinds(answers), ['port', 'port', 'unknown']);
  assert.equal(w.server.callsOf('get_ports_by_vnic_type_and_host').length, 1);
  assert.deepEqual((w.server.callsOf('bulk_pull')[0]?.args['filter_kwargs'] as { id: string[] }).id.sort(), [x, y].sort());
  await w.cache.stop();
});

test('two ports on this host with the tap\'s prefix: {device}, not wired (as the server)', async () => {
  const c1 = '12345678-aaaa-4bbb-8ccc-000000000001';
  const c2 = '12345678-aaaa-4bbb-8ccc-000000000002';
  const w = await world([c1, c2]);
  assert.deepEqual(await w.details.getDevicesDetailsList([tapName(c1)]), [{ kind: 'unknown', device: tapName(c1) }]);
  await w.cache.stop();
});

test('the host listing fails: the taps are answered `failed` and asked again at the next call', async () => {
  const w = await world([]);
  const late = uuid();
  w.server.put('Port', portPrim({ id: late }));
  w.server.failNext = 1;
  const [ans] = await w.details.getDevicesDetailsList([tapName(late)]);
  assert.equal(ans?.kind, 'failed');
  const [again] = await w.details.getDevicesDetailsList([tapName(late)]);
  assert.equal(again?.kind, 'port', 'no minute to wait after a failure');
  await w.cache.stop();
});

/** A cache holding a port bound here whose network it lacks; pullPorts brings the network. */
class NetworkLaterCache extends ResourceStore implements TapCache {
  pulls: string[][] = [];
  failPull = false;
  constructor(private readonly bringNetwork: boolean) {
    super({ host: HOST, vnicTypes: ['normal'] });
  }
  async pullPorts(ids: readonly string[]): Promise<Array<PortRecord | undefined>> {
    this.pulls.push([...ids]);
    if (this.failPull) throw new Error('injected pull failure');
    if (this.bringNetwork) {
      const n = decodeNetwork(networkPrim());
      if (!n.ok) throw new Error(n.reason);
      this.put('Network', n.value, { scoped: false });
    }
    return ids.map((id) => this.getPort(id));
  }
}

function withPorts(cache: NetworkLaterCache, ids: string[]): void {
  for (const id of ids) {
    const p = decodePort(portPrim({ id, sgs: [SG] }));
    if (!p.ok) throw new Error(p.reason);
    cache.put('Port', p.value, { scoped: false });
  }
}

const noListing = async (): Promise<string[]> => assert.fail('no host listing expected');

test('ports whose network is not held: one pull for all of them, then details', async () => {
  const cache = new NetworkLaterCache(true);
  const [a, b] = [uuid(), uuid()];
  withPorts(cache, [a, b]);
  const d = new CacheDeviceDetails({ cache, host: HOST, listHostPortIds: noListing, logger: silentLogger() });
  assert.deepEqual(kinds(await d.getDevicesDetailsList([tapName(a), tapName(b)])), ['port', 'port']);
  assert.deepEqual(cache.pulls, [[a, b]]);
});

test('still incomplete after the pull, or the pull fails: `failed` (kept and retried by the agent)', async () => {
  const stays = new NetworkLaterCache(false);
  const a = uuid();
  withPorts(stays, [a]);
  const d1 = new CacheDeviceDetails({ cache: stays, host: HOST, listHostPortIds: noListing, logger: silentLogger() });
  const [r1] = await d1.getDevicesDetailsList([tapName(a)]);
  assert.equal(r1?.kind, 'failed');
  assert.match(r1?.kind === 'failed' ? r1.reason : '', /still lacks/);

  const broken = new NetworkLaterCache(true);
  broken.failPull = true;
  withPorts(broken, [a]);
  const d2 = new CacheDeviceDetails({ cache: broken, host: HOST, listHostPortIds: noListing, logger: silentLogger() });
  const [r2] = await d2.getDevicesDetailsList([tapName(a)]);
  assert.equal(r2?.kind, 'failed');
  assert.match(r2?.kind === 'failed' ? r2.reason : '', /injected pull failure/);
});

test('a port bound here whose binding failed: the server is asked (it retries the binding), once per apply', async () => {
  const id = uuid();
  const server = new FakeQPlugin();
  server.put('Network', networkPrim());
  server.put('Subnet', subnetPrim());
  server.put('SecurityGroup', sgPrim({}, []));
  server.put('Port', portPrim({ id, levels: false, bindings: [bindingPrim(id, HOST, 'ACTIVE', { vif_type: 'binding_failed', vif_details: null })] }));
  const cache = new RemoteResourceCache({ connection: new FakeConnection(), client: server, host: HOST, logger: silentLogger(), makePushServer: new FakePushBus().factory, retry: { initialMs: 5, maxMs: 20 } });
  await cache.start();
  const pull = new ResourcesPullApi(server);
  const asked: string[][] = [];
  const bound: DeviceAnswer = { kind: 'port', details: { device: tapName(id), port_id: id, network_id: NET, mac_address: 'fa:16:3e:00:00:01', admin_state_up: true, network_type: 'vxlan', segmentation_id: 1001, physical_network: null, mtu: 1450, fixed_ips: [], device_owner: 'compute:nova', allowed_address_pairs: [], port_security_enabled: true } };
  const details = new CacheDeviceDetails({ cache, host: HOST, listHostPortIds: () => pull.portIdsBoundToHost(HOST, 'normal'), logger: silentLogger(), rpcFallback: async (devices) => { asked.push(devices); return [bound]; } });
  const answers = await details.getDevicesDetailsList([tapName(id)]);
  assert.deepEqual(asked, [[tapName(id)]]);
  assert.deepEqual(answers, [bound]);
  // Without a fallback the cache alone answers {device}: the port would stay DOWN.
  const plain = new CacheDeviceDetails({ cache, host: HOST, listHostPortIds: () => pull.portIdsBoundToHost(HOST, 'normal'), logger: silentLogger() });
  assert.deepEqual(kinds(await plain.getDevicesDetailsList([tapName(id)])), ['unknown']);
  await cache.stop();
});
