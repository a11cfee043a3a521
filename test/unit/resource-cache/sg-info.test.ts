/**
 * security_group_info_for_devices from the cache: compared with the real server's
 * recorded answer for 19 ports (groups, per-port DHCP rules, member IPs), accepted by
 * the firewall's parseSgInfo, and the rendering rules on hand-made groups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { securityGroupInfoFromCache, fetchSecurityGroupInfo, providerRules, type SgInfoRule } from '../../../shared/resource-cache/sg-info.js';
import { CacheIncompleteError } from '../../../shared/resource-cache/errors.js';
import { decodeAddressGroup, decodePort, decodeSecurityGroup, decodeSecurityGroupRule, type PortRecord } from '../../../shared/resource-cache/ovo.js';
import { ResourceStore } from '../../../shared/resource-cache/store.js';
import { parseSgInfo } from '../../../shared/firewall/validate.js';
import { HOST, SG, SG2, addressGroupPrim, haveSamples, portPrim, rulePrim, sampleResult, sgPrim, storeFromTrace, uuid, type PortOpts } from './fixtures.js';

const skip = !haveSamples() && 'wire samples not found';
const LAB_SG = '6da109e3-decc-48c2-80c0-8d173098f5b4';

type Obj = Record<string, unknown>;
const canon = (rules: unknown[]): string[] => rules.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r as Obj).sort()))).sort();

test('equal to the server\'s recorded security_group_info_for_devices answer (19 ports, 51 members)', { skip }, () => {
  // The call was made at 01:36:48 (trace time): ports created later were not members yet.
  const store = storeFromTrace({ createdBefore: '2026-11-26T01:36:48Z' });
  store.markSatisfied({ type: 'SecurityGroupRule', by: 'security_group_id', value: LAB_SG });
  store.markSatisfied({ type: 'Port', by: 'security_group_ids', value: LAB_SG });
  const server = sampleResult('neutron__q-plugin__security_group_info_for_devices.json') as { devices: Record<string, Obj>; security_groups: Record<string, unknown[]>; sg_member_ips: Record<string, Record<string, Array<[string, string | null]>>> };
  const ids = Object.keys(server.devices);
  assert.equal(ids.length, 19);
  // The request also named the DHCP port (tap40b0913e-f5): trusted, left out by both.
  const dhcp = store.all('Port').find((p) => p.id.startsWith('40b0913e-f5'));
  assert.equal(dhcp?.deviceOwner, 'network:dhcp');
  const ours = securityGroupInfoFromCache(store, [...ids, dhcp!.id]);

  assert.deepEqual(Object.keys(ours.devices).sort(), [...ids].sort());
  assert.deepEqual(Object.keys(ours.security_groups), [LAB_SG]);
  assert.deepEqual(canon(ours.security_groups[LAB_SG]!), canon(server.security_groups[LAB_SG]!));
  for (const id of ids) {
    const s = server.devices[id]!;
    const o = ours.devices[id]! as unknown as Obj;
    for (const k of ['device', 'mac_address', 'network_id', 'device_owner', 'fixed_ips', 'allowed_address_pairs', 'security_groups', 'port_security_enabled', 'security_group_source_groups', 'security_group_remote_address_groups', 'admin_state_up', 'device_id']) {
      assert.deepEqual(o[k], s[k], `${id} ${k}`);
    }
    assert.deepEqual(canon(o['security_group_rules'] as unknown[]), canon(s['security_group_rules'] as unknown[]), `${id} provider rules`);
  }
  // Same member addresses; the shim pairs fixed IPs with the port's MAC where the
  // server's SQL gives null.
  const sv = server.sg_member_ips[LAB_SG]!;
  const ov = ours.sg_member_ips[LAB_SG]!;
  assert.deepEqual(ov.IPv4!.map(([ip]) => ip).sort(), sv['IPv4']!.map(([ip]) => ip).sort());
  assert.deepEqual(ov.IPv6, sv['IPv6']);
  assert.ok(ov.IPv4!.every(([, mac]) => typeof mac === 'string'));

  const parsed = parseSgInfo(ours);
  assert.deepEqual(parsed.problems, []);
  assert.equal(Object.keys(parsed.info.devices).length, 19);
});

function put(store: ResourceStore, ports: PortOpts[], groups: Array<{ prim: Obj }>, rules: Obj[]): void {
  for (const g of groups) {
    const d = decodeSecurityGroup(g.prim);
    if (!d.ok) throw new Error(d.reason);
    store.put('SecurityGroup', d.value.group, { scoped: false });
    store.markSatisfied({ type: 'SecurityGroupRule', by: 'security_group_id', value: d.value.group.id });
  }
  for (const r of rules) {
    const d = decodeSecurityGroupRule(r);
    if (!d.ok) throw new Error(d.reason);
    store.put('SecurityGroupRule', d.value, { scoped: false });
  }
  for (const o of ports) {
    const d = decodePort(portPrim(o));
    if (!d.ok) throw new Error(d.reason);
    store.put('Port', d.value, { scoped: false });
  }
}

test('rules rendered as the server does: stateful from the group, prefix by direction, only set keys', () => {
  const store = new ResourceStore({ host: HOST, vnicTypes: ['normal'] });
  const p = uuid();
  const [r1, r2, r3] = [uuid(), uuid(), uuid()].sort();
  put(store, [{ id: p, ip: '10.0.0.5' }], [{ prim: sgPrim({ stateful: false }) }], [
    rulePrim(r1!, { protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '192.168.1.7/24', normalized_cidr: '192.168.1.0/24' }),
    rulePrim(r2!, { direction: 'egress', ethertype: 'IPv6', remote_ip_prefix: '2001:db8::/64' }),
    // Identical rendering to r1 once rendered: listed once.
    rulePrim(r3!, { protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '192.168.1.0/24' }),
  ]);
  const info = securityGroupInfoFromCache(store, [p]);
  assert.deepEqual(info.security_groups[SG], [
    { direction: 'ingress', ethertype: 'IPv4', stateful: false, protocol: 'tcp', port_range_min: 22, port_range_max: 22, source_ip_prefix: '192.168.1.0/24' },
    { direction: 'egress', ethertype: 'IPv6', stateful: false, dest_ip_prefix: '2001:db8::/64' },
  ] satisfies SgInfoRule[]);
  assert.deepEqual(info.sg_member_ips, {});
  assert.equal(info.devices[p]!.device, `tap${p.slice(0, 11)}`);
  assert.deepEqual(parseSgInfo(info).problems, []);
});

test('remote groups: members\' fixed IPs with their MAC, address pairs with theirs, only the ethertypes rules use', () => {
  const store = new ResourceStore({ host: HOST, vnicTypes: ['normal'] });
  const p = uuid();
  const m1 = uuid();
  const m2 = uuid();
  put(
    store,
    [
      { id: p, ip: '10.0.0.5', sgs: [SG] },
      { id: m1, ip: '10.0.0.6', mac: 'fa:16:3e:00:00:06', host: 'other', sgs: [SG2], pairs: [{ ip: '10.0.0.0/28', mac: 'fa:16:3e:00:00:aa' }, { ip: '2001:db8::9', mac: 'fa:16:3e:00:00:bb' }] },
      { id: m2, ip: '2001:db8::7', mac: 'fa:16:3e:00:00:07', host: 'other', sgs: [SG2] },
    ],
    [{ prim: sgPrim() }],
    [rulePrim(uuid(), { remote_group_id: SG2 })],
  );
  assert.throws(() => securityGroupInfoFromCache(store, [p]), (e: unknown) => e instanceof CacheIncompleteError && e.missing.some((m) => m.id === SG2 && m.what === 'members'));
  store.markSatisfied({ type: 'Port', by: 'security_group_ids', value: SG2 });
  const info = securityGroupInfoFromCache(store, [p]);
  assert.deepEqual(info.sg_member_ips, { [SG2]: { IPv4: [['10.0.0.0/28', 'fa:16:3e:00:00:aa'], ['10.0.0.6', 'fa:16:3e:00:00:06']] } });
  assert.deepEqual(info.devices[p]!.security_group_source_groups, [SG2]);
  assert.deepEqual(parseSgInfo(info).problems, []);
  // The remote group deleted (its rules elsewhere cascade away without pushes): no members.
  store.remove('SecurityGroup', SG2);
  assert.deepEqual(securityGroupInfoFromCache(store, [p]).sg_member_ips, { [SG2]: { IPv4: [] } });
});

test('remote address groups: addresses with no MAC; a deleted one is empty, an unknown one is missing', () => {
  const store = new ResourceStore({ host: HOST, vnicTypes: ['normal'] });
  const p = uuid();
  const ag = uuid();
  const gone = uuid();
  put(store, [{ id: p }], [{ prim: sgPrim() }], [
    rulePrim(uuid(), { remote_address_group_id: ag }),
    rulePrim(uuid(), { remote_address_group_id: gone, ethertype: 'IPv6' }),
  ]);
  assert.throws(() => securityGroupInfoFromCache(store, [p]), CacheIncompleteError);
  const d = decodeAddressGroup(addressGroupPrim(ag, ['192.0.2.0/24', '2001:db8::1/128']));
  assert.ok(d.ok);
  if (d.ok) store.put('AddressGroup', d.value, { scoped: false });
  store.remove('AddressGroup', gone);
  const info = securityGroupInfoFromCache(store, [p]);
  assert.deepEqual(info.sg_member_ips, { [ag]: { IPv4: [['192.0.2.0/24', null]] }, [gone]: { IPv6: [] } });
  assert.deepEqual(info.devices[p]!.security_group_remote_address_groups.sort(), [ag, gone].sort());
  assert.deepEqual(parseSgInfo(info).problems, []);
});

test('unknown and trusted ports are left out; a group not pulled is reported, a deleted one is empty', () => {
  const store = new ResourceStore({ host: HOST, vnicTypes: ['normal'] });
  const p = uuid();
  const router = uuid();
  put(store, [{ id: p, sgs: [SG, SG2] }, { id: router, owner: 'network:router_interface' }], [{ prim: sgPrim() }], []);
  assert.throws(
    () => securityGroupInfoFromCache(store, [p]),
    (e: unknown) => e instanceof CacheIncompleteError && e.missing.map((m) => `${m.id}/${m.what}`).sort().join() === [`${SG2}/record`, `${SG2}/rules`].sort().join(),
  );
  store.remove('SecurityGroup', SG2);
  const info = securityGroupInfoFromCache(store, [p, router, uuid()]);
  assert.deepEqual(Object.keys(info.devices), [p]);
  assert.deepEqual(info.security_groups, { [SG]: [], [SG2]: [] });
});

test('provider rules: RA for IPv6 ports, DHCP to each fixed IP and to broadcast / link-local', () => {
  assert.deepEqual(providerRules(['10.0.0.5', '2001:db8::5']), [
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', source_port_range_min: 134 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 68, port_range_max: 68, source_port_range_min: 67, source_port_range_max: 67, dest_ip_prefix: '10.0.0.5/32' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 68, port_range_max: 68, source_port_range_min: 67, source_port_range_max: 67, dest_ip_prefix: '255.255.255.255/32' },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'udp', port_range_min: 546, port_range_max: 546, source_port_range_min: 547, source_port_range_max: 547, dest_ip_prefix: '2001:db8::5/128' },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'udp', port_range_min: 546, port_range_max: 546, source_port_range_min: 547, source_port_range_max: 547, dest_ip_prefix: 'fe80::/64' },
  ]);
});

test('fetchSecurityGroupInfo pulls the ports first', async () => {
  const p = uuid();
  class PullingStore extends ResourceStore {
    asked: string[] = [];
    async pullPorts(ids: readonly string[]): Promise<Array<PortRecord | undefined>> {
      this.asked.push(...ids);
      put(this, [{ id: p }], [{ prim: sgPrim() }], []);
      return ids.map((i) => this.getPort(i));
    }
  }
  const store = new PullingStore({ host: HOST, vnicTypes: ['normal'] });
  const info = await fetchSecurityGroupInfo(store, [p]);
  assert.deepEqual(store.asked, [p]);
  assert.deepEqual(Object.keys(info.devices), [p]);
});
