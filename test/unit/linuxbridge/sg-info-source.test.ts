/**
 * The firewall's security-group input: from the server (tap names, nothing asked for no
 * ports) or from the resource cache (the server's shape, `device` = the tap, pulling
 * a group's rules the cache lacks first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheSgInfo, rpcSgInfo } from '../../../agents/linuxbridge/sg-info-source.js';
import { tapName, type DeviceDetails } from '../../../agents/linuxbridge/model.js';
import { RemoteResourceCache } from '../../../shared/resource-cache/remote-cache.js';
import { ResourceStore } from '../../../shared/resource-cache/store.js';
import { decodePort, decodeSecurityGroup } from '../../../shared/resource-cache/ovo.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { FakeConnection, FakePushBus, FakeQPlugin, HOST, NET, SG, networkPrim, portPrim, rulePrim, sgPrim, subnetPrim, uuid } from '../resource-cache/fixtures.js';

function wired(portId: string): DeviceDetails {
  return {
    device: tapName(portId), port_id: portId, network_id: NET, mac_address: 'fa:16:3e:00:00:01', admin_state_up: true, network_type: 'vxlan', segmentation_id: 1001,
    physical_network: null, mtu: 1450, fixed_ips: [], device_owner: 'compute:nova', allowed_address_pairs: [], port_security_enabled: true,
  };
}

test('rpc: tap names go to security_group_info_for_devices; no ports, no call', async () => {
  const asked: string[][] = [];
  const src = rpcSgInfo({ securityGroupInfoForDevices: async (devices: string[]) => { asked.push(devices); return { devices: {}, security_groups: {}, sg_member_ips: {} }; } });
  await src.securityGroupInfo([]);
  assert.deepEqual(asked, []);
  const id = uuid();
  await src.securityGroupInfo([wired(id)]);
  assert.deepEqual(asked, [[tapName(id)]]);
});

test('cache: the server\'s shape with device = tap, no RPC; a port the cache does not hold is left out (as the server)', async () => {
  const server = new FakeQPlugin();
  const [mine, stranger, rule] = [uuid(), uuid(), uuid()];
  server.put('Network', networkPrim());
  server.put('Subnet', subnetPrim());
  server.put('SecurityGroup', sgPrim({}, []));
  server.put('SecurityGroupRule', rulePrim(rule, { protocol: 'icmp' }));
  server.put('Port', portPrim({ id: mine, sgs: [SG] }));
  const cache = new RemoteResourceCache({ connection: new FakeConnection(), client: server, host: HOST, logger: silentLogger(), makePushServer: new FakePushBus().factory, retry: { initialMs: 5, maxMs: 20 } });
  await cache.start();
  server.calls.length = 0;
  const info = (await cacheSgInfo(cache).securityGroupInfo([wired(mine), wired(stranger)])) as { devices: Record<string, { device: string }>; security_groups: Record<string, Array<{ protocol?: string }>> };
  assert.deepEqual(Object.keys(info.devices), [mine]);
  assert.equal(info.devices[mine]?.device, tapName(mine));
  assert.equal(info.security_groups[SG]?.[0]?.protocol, 'icmp');
  assert.deepEqual(server.calls, []);
  await cache.stop();
});

/** Holds a port but not its group: pullPorts brings the group and its rules. */
class GroupLaterCache extends ResourceStore {
  pulls = 0;
  constructor(private readonly rule: string) {
    super({ host: HOST, vnicTypes: ['normal'] });
  }
  async pullPorts(ids: readonly string[]): Promise<unknown[]> {
    this.pulls++;
    const g = decodeSecurityGroup(sgPrim({}, [rulePrim(this.rule, { protocol: 'tcp' })]));
    if (!g.ok) throw new Error(g.reason);
    this.put('SecurityGroup', g.value.group, { scoped: false });
    for (const r of g.value.rules ?? []) this.put('SecurityGroupRule', r, { scoped: false });
    this.markSatisfied({ type: 'SecurityGroupRule', by: 'security_group_id', value: SG });
    return ids.map((id) => this.getPort(id));
  }
}

test('cache: a group whose rules are not held yet is pulled, then answered', async () => {
  const [mine, rule] = [uuid(), uuid()];
  const cache = new GroupLaterCache(rule);
  const p = decodePort(portPrim({ id: mine, sgs: [SG] }));
  if (!p.ok) throw new Error(p.reason);
  cache.put('Port', p.value, { scoped: false });
  const info = (await cacheSgInfo(cache).securityGroupInfo([wired(mine)])) as { security_groups: Record<string, Array<{ protocol?: string }>> };
  assert.equal(cache.pulls, 1);
  assert.equal(info.security_groups[SG]?.[0]?.protocol, 'tcp');
});
