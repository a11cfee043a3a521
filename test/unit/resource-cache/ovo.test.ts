/**
 * OVO primitives → records: every recorded push and bulk_pull answer decodes; a
 * malformed object is refused with a reason naming the field; other versions are
 * handled as documented (newer minor accepted, other major refused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeDeletedId,
  decodeNetwork,
  decodePort,
  decodeResource,
  decodeSecurityGroup,
  decodeSecurityGroupRule,
  decodeSubnet,
  decodeAddressGroup,
  RESOURCE_VERSIONS,
  isResourceType,
  type Decoded,
} from '../../../shared/resource-cache/ovo.js';
import { normalizeMac } from '../../../shared/resource-cache/ovo-fields.js';
import { addressGroupPrim, haveSamples, portPrim, prim, rulePrim, sampleArgs, sampleResult, sgPrim, tracedPushes, uuid } from './fixtures.js';

const skip = !haveSamples() && 'wire samples not found';

function ok<T>(d: Decoded<T>): T {
  if (!d.ok) assert.fail(`decode failed: ${d.reason}`);
  return d.value;
}

function firstResource(file: string): unknown {
  return (sampleArgs(file)['resource_list'] as unknown[])[0];
}

test('versions are the ones the agent reports', () => {
  assert.deepEqual({ ...RESOURCE_VERSIONS }, { Port: '1.7', Network: '1.1', Subnet: '1.1', SecurityGroup: '1.5', SecurityGroupRule: '1.2', AddressGroup: '1.2' });
  assert.equal(isResourceType('Port'), true);
  assert.equal(isResourceType('Trunk'), false);
});

test('recorded Port 1.7 push: bindings, levels with segment, fixed ips, security, groups', { skip }, () => {
  const p = ok(decodePort(firstResource('neutron-vo-Port-1.7_fanout__-__push.updated.json')));
  assert.equal(p.id, 'f0e7e2f2-1733-4b94-a3bc-c33fd23b92c4');
  assert.equal(p.networkId, '623f0c80-4053-4a95-be64-ee68e1d94d44');
  assert.equal(p.macAddress, 'fa:16:3e:b9:d1:75');
  assert.equal(p.deviceOwner, 'compute:nova');
  assert.equal(p.status, 'DOWN');
  assert.deepEqual(p.fixedIps, [{ subnetId: 'f5df1b33-3b2d-4ac7-a87a-9ce67d6475ef', ipAddress: '10.90.0.47' }]);
  assert.equal(p.portSecurityEnabled, true);
  assert.deepEqual(p.securityGroupIds, ['355f9bf8-e203-4ec8-b379-cfda3ad7b557']);
  assert.equal(p.bindings.length, 2);
  const [inactive, active] = p.bindings;
  assert.deepEqual(inactive, { host: 'vm', profile: {}, vifType: 'unbound', vifDetails: null, vnicType: 'normal', status: 'INACTIVE' });
  assert.equal(active!.host, 'vm-ovs');
  assert.equal(active!.status, 'ACTIVE');
  // vif_details travels as a JSON string.
  assert.deepEqual(active!.vifDetails, { connectivity: 'l2', port_filter: true, ovs_hybrid_plug: false, datapath_type: 'netdev', bridge_name: 'br-int' });
  assert.equal(p.bindingLevels.length, 1);
  const level = p.bindingLevels[0]!;
  assert.equal(level.host, 'vm-ovs');
  assert.equal(level.driver, 'openvswitch');
  assert.equal(level.segmentId, 'b6b40009-4599-4b48-b083-2b4f38cd8e13');
  assert.deepEqual(level.segment, {
    id: 'b6b40009-4599-4b48-b083-2b4f38cd8e13',
    networkId: '623f0c80-4053-4a95-be64-ee68e1d94d44',
    networkType: 'vxlan',
    segmentationId: 1557,
    physicalNetwork: null,
    segmentIndex: 0,
    isDynamic: false,
  });
  assert.equal(p.revisionNumber, 7);
});

test('recorded Network, Subnet, SecurityGroup (with rules) and SecurityGroupRule pushes', { skip }, () => {
  const n = ok(decodeNetwork(firstResource('neutron-vo-Network-1.1_fanout__-__push.updated.json')));
  assert.equal(n.mtu, 1450);
  assert.equal(n.adminStateUp, true);
  assert.equal(n.portSecurityEnabled, true);
  assert.equal(n.segments.length, 1);
  assert.equal(n.segments[0]!.segmentationId, 1862);
  assert.equal(n.revisionNumber, 1);

  const s = ok(decodeSubnet(firstResource('neutron-vo-Subnet-1.1_fanout__-__push.updated.json')));
  assert.equal(s.cidr, '10.90.0.0/24');
  assert.equal(s.ipVersion, 4);
  assert.deepEqual(s.allocationPools, [{ start: '10.90.0.2', end: '10.90.0.254' }]);
  assert.deepEqual(s.dnsNameservers, ['198.51.100.53']);

  const g = ok(decodeSecurityGroup(firstResource('neutron-vo-SecurityGroup-1.5_fanout__-__push.updated.json')));
  assert.equal(g.group.stateful, true);
  assert.equal(g.group.isDefault, true);
  assert.equal(g.rules?.length, 4);
  assert.deepEqual(g.ruleProblems, []);
  const remote = g.rules!.filter((r) => r.remoteGroupId !== null);
  assert.equal(remote.length, 2);

  const r = ok(decodeSecurityGroupRule(firstResource('neutron-vo-SecurityGroupRule-1.2_fanout__-__push.updated.json')));
  assert.deepEqual(
    { d: r.direction, e: r.ethertype, p: r.protocol, min: r.portRangeMin, prefix: r.remoteIpPrefix, rg: r.remoteGroupId },
    { d: 'ingress', e: 'IPv4', p: 'icmp', min: null, prefix: null, rg: null },
  );
});

test('recorded deleted pushes carry only an id, which is all a delete needs', { skip }, () => {
  for (const [type, file] of [
    ['Port', 'neutron-vo-Port-1.7_fanout__-__push.deleted.json'],
    ['Network', 'neutron-vo-Network-1.1_fanout__-__push.deleted.json'],
    ['Subnet', 'neutron-vo-Subnet-1.1_fanout__-__push.deleted.json'],
  ] as const) {
    const prim0 = firstResource(file);
    assert.match(ok(decodeDeletedId(type, prim0)), /^[0-9a-f-]{36}$/);
    // The bare object is not a usable record.
    assert.equal(decodeResource(type, prim0).ok, false);
  }
});

test('recorded bulk_pull answer (SecurityGroupRule) decodes completely', { skip }, () => {
  const list = sampleResult('neutron__q-plugin__bulk_pull.json') as unknown[];
  const rules = list.map((p) => ok(decodeSecurityGroupRule(p)));
  assert.equal(rules.length, 5);
  assert.ok(rules.every((r) => r.securityGroupId === '6da109e3-decc-48c2-80c0-8d173098f5b4'));
});

test('every object pushed in the recorded traces decodes (deleted ones as ids)', { skip }, () => {
  let n = 0;
  for (const trace of ['trace-linuxbridge-dhcp-l3-metadata.jsonl.gz', 'trace-openvswitch.jsonl.gz']) {
    for (const push of tracedPushes(trace)) {
      assert.ok(isResourceType(push.type), push.type);
      if (!isResourceType(push.type)) continue;
      for (const p of push.resources) {
        const d = push.event === 'deleted' ? decodeDeletedId(push.type, p) : decodeResource(push.type, p);
        assert.ok(d.ok, d.ok ? '' : d.reason);
        n++;
      }
    }
  }
  assert.ok(n > 200, `only ${n} objects`);
});

test('malformed objects are refused with the field in the reason, and the id when readable', () => {
  const id = uuid();
  const cases: Array<[unknown, RegExp]> = [
    [portPrim({ id, mac: 'zz:16:3e:00:00:01' }), /Port\.mac_address: not a MAC/],
    [portPrim({ id, ip: '10.0.0.300' }), /fixed_ips\[0\]\.ip_address: not an IP/],
    [portPrim({ id, sgs: ['not-a-uuid'] }), /security_group_ids\[0\]: not a UUID/],
    [portPrim({ id, extra: { revision_number: -1 } }), /revision_number/],
    [portPrim({ id, extra: { admin_state_up: 'yes' } }), /admin_state_up: not a boolean/],
    [portPrim({ id, extra: { network_id: undefined } }), /network_id: missing/],
    [portPrim({ id, bindings: [prim('PortBinding', { host: 'h', profile: '{not json', vif_type: 'ovs', vnic_type: 'normal' })] }), /bindings\[0\]\.profile: not valid JSON/],
    [{ ...portPrim({ id }), 'versioned_object.name': 'Network' }, /versioned_object\.name is "Network", expected Port/],
    [{ ...portPrim({ id }), 'versioned_object.version': '2.0' }, /another major version/],
    [{ ...portPrim({ id }), 'versioned_object.data': 'x' }, /data is not an object/],
    ['a string', /not an object/],
  ];
  for (const [p, re] of cases) {
    const d = decodePort(p);
    assert.equal(d.ok, false, `accepted ${JSON.stringify(p).slice(0, 80)}`);
    if (!d.ok) {
      assert.match(d.reason, re);
      if (typeof p === 'object' && p !== null && typeof (p as Record<string, unknown>)['versioned_object.data'] === 'object') assert.equal(d.id, id);
    }
  }
  assert.equal(decodeSecurityGroupRule(rulePrim(uuid(), { direction: 'sideways' })).ok, false);
  assert.equal(decodeSecurityGroupRule(rulePrim(uuid(), { protocol: 'tcp; rm -rf' })).ok, false);
  assert.equal(decodeSecurityGroupRule(rulePrim(uuid(), { port_range_min: 70000 })).ok, false);
  assert.equal(decodeSecurityGroupRule(rulePrim(uuid(), { remote_ip_prefix: '10.0.0.0/33' })).ok, false);
  assert.equal(decodeAddressGroup(addressGroupPrim(uuid(), ['10.0.0.0/24', 'nope'])).ok, false);
});

test('a bad rule inside a security group is left out and reported; the group stays', () => {
  const good = uuid();
  const d = decodeSecurityGroup(sgPrim({}, [rulePrim(good), rulePrim(uuid(), { ethertype: 'IPX' })]));
  const g = ok(d);
  assert.deepEqual(g.rules?.map((r) => r.id), [good]);
  assert.equal(g.ruleProblems.length, 1);
  assert.match(g.ruleProblems[0]!, /ethertype/);
});

test('a newer minor version with extra fields is accepted; absent optional fields take the Python defaults', () => {
  const id = uuid();
  const p = portPrim({ id, extra: { some_future_field: { x: 1 }, security: null, security_group_ids: null } });
  (p as Record<string, unknown>)['versioned_object.version'] = '1.9';
  const rec = ok(decodePort(p));
  assert.equal(rec.portSecurityEnabled, true);
  assert.deepEqual(rec.securityGroupIds, []);
  const g = ok(decodeSecurityGroup(sgPrim({ stateful: undefined, rules: undefined })));
  assert.equal(g.group.stateful, true);
  assert.equal(g.rules, undefined);
});

test('numeric protocols, profiles as objects, pairs without MAC', () => {
  const r = ok(decodeSecurityGroupRule(rulePrim(uuid(), { protocol: 6, port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.1.2.3/24', normalized_cidr: '10.1.2.0/24' })));
  assert.equal(r.protocol, '6');
  assert.equal(r.normalizedCidr, '10.1.2.0/24');
  const id = uuid();
  const p = portPrim({ id, bindings: [prim('PortBinding', { host: 'h', profile: { migrating_to: 'h2' }, vif_type: 'ovs', vnic_type: 'normal' })] });
  const data = p['versioned_object.data'] as Record<string, unknown>;
  data['allowed_address_pairs'] = [prim('AllowedAddressPair', { port_id: id, ip_address: '10.0.0.0/28' })];
  const rec = ok(decodePort(p));
  assert.deepEqual(rec.bindings[0]!.profile, { migrating_to: 'h2' });
  assert.equal(rec.bindings[0]!.status, 'ACTIVE');
  assert.deepEqual(rec.allowedAddressPairs, [{ ipAddress: '10.0.0.0/28', macAddress: 'fa:16:3e:00:00:01' }]);
});

test('MACs come out in mac_unix_expanded form', () => {
  assert.equal(normalizeMac('FA:16:3E:0D:95:5C'), 'fa:16:3e:0d:95:5c');
  assert.equal(normalizeMac('fa-16-3e-d-95-5c'), 'fa:16:3e:0d:95:5c');
  assert.equal(normalizeMac('fa16.3e0d.955c'), 'fa:16:3e:0d:95:5c');
  assert.equal(normalizeMac('fa163e0d955c'), 'fa:16:3e:0d:95:5c');
  assert.equal(normalizeMac('fa:16:3e:0d:95'), undefined);
  assert.equal(normalizeMac(42), undefined);
});
