import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CT_ZONE_MAX, renderZoneTable, zoneDevice, zonesInTable } from '../../../shared/firewall/ct-zones.js';
import { parseIptablesSave } from '../../../shared/firewall/iptables-save.js';
import { LINUXBRIDGE_CHAINS, OVS_HYBRID_CHAINS } from '../../../shared/firewall/names.js';
import type { SgPort } from '../../../shared/firewall/types.js';

const NET1 = '11111111-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const NET2 = '22222222-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const sgPort = (id: string, network_id: string | undefined): SgPort => ({
  id, device: `tap${id.slice(0, 11)}`, ...(network_id ? { network_id } : {}), mac_address: 'fa:16:3e:00:00:01', fixed_ips: [], allowed_address_pairs: [],
  port_security_enabled: true, device_owner: 'compute:nova', security_groups: [], security_group_rules: [],
});
const PA = 'aaaaaaaa-0001-4000-8000-000000000001';
const PB = 'bbbbbbbb-0002-4000-8000-000000000002';
const PC = 'cccccccc-0003-4000-8000-000000000003';
const NONE = new Map<string, number>();

test('linuxbridge: one zone per network from 4097, three rules per port in device order, Python\'s comment', () => {
  const t = renderZoneTable([sgPort(PC, NET2), sgPort(PA, NET1), sgPort(PB, NET1)], 'network', LINUXBRIDGE_CHAINS, NONE);
  assert.deepEqual(t.chains, ['neutron-linuxbri-PREROUTING']);
  assert.deepEqual([...t.zones], [[`brq${NET1.slice(0, 11)}`, 4097], [`brq${NET2.slice(0, 11)}`, 4098]]);
  assert.deepEqual(t.rules.slice(0, 3), [
    `-A neutron-linuxbri-PREROUTING -m physdev --physdev-in brq11111111-aa -m comment --comment "Set zone for aaaaaaa-00" -j CT --zone 4097`,
    `-A neutron-linuxbri-PREROUTING -i brq11111111-aa -m comment --comment "Set zone for aaaaaaa-00" -j CT --zone 4097`,
    `-A neutron-linuxbri-PREROUTING -m physdev --physdev-in tapaaaaaaaa-00 -m comment --comment "Set zone for aaaaaaa-00" -j CT --zone 4097`,
  ]);
  assert.equal(t.rules.length, 9);
  assert.match(t.rules[8] ?? '', /tapcccccccc-00 .*--zone 4098$/);
});

test('OVS hybrid: one zone per port keyed by its qvb device, the port id in the comment', () => {
  const t = renderZoneTable([sgPort(PA, NET1), sgPort(PB, NET1)], 'port', OVS_HYBRID_CHAINS, NONE);
  assert.equal(zoneDevice(sgPort(PA, NET1), 'port'), 'qvbaaaaaaaa-00');
  assert.deepEqual([...t.zones], [['qvbaaaaaaaa-00', 4097], ['qvbbbbbbbbb-00', 4098]]);
  assert.equal(t.rules[0], `-A neutron-openvswi-PREROUTING -m physdev --physdev-in qvbaaaaaaaa-00 -m comment --comment "Set zone for ${PA}" -j CT --zone 4097`);
});

test('zones the kernel already gives (ours or a Python agent\'s) are kept; a new key gets the highest plus one', () => {
  const saved = parseIptablesSave([
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':neutron-linuxbri-PREROUTING - [0:0]',
    '-A PREROUTING -j neutron-linuxbri-PREROUTING',
    `-A neutron-linuxbri-PREROUTING -m physdev --physdev-in brq22222222-bb -m comment --comment "Set zone for x" -j CT --zone 5000`,
    `-A neutron-linuxbri-PREROUTING -m physdev --physdev-in brq99999999-zz -m comment --comment "Set zone for gone" -j CT --zone 6000`,
    '-A PREROUTING -m physdev --physdev-in brq11111111-aa -j CT --zone 7000',
    'COMMIT',
  ].join('\n'), 'raw');
  const existing = zonesInTable(saved, LINUXBRIDGE_CHAINS.isOwned);
  assert.deepEqual([...existing], [['brq22222222-bb', 5000], ['brq99999999-zz', 6000]], 'only rules in our chains count');
  const t = renderZoneTable([sgPort(PA, NET1), sgPort(PC, NET2)], 'network', LINUXBRIDGE_CHAINS, existing);
  assert.deepEqual([...t.zones], [['brq11111111-aa', 6001], ['brq22222222-bb', 5000]], 'a freed zone (6000) is not reused at once');
});

test('at 65535 the lowest free zone is taken; when none is left the port is a problem, not a crash', () => {
  const full = new Map<string, number>([['brqold', CT_ZONE_MAX]]);
  const t = renderZoneTable([sgPort(PA, NET1)], 'network', LINUXBRIDGE_CHAINS, full);
  assert.deepEqual([...t.zones.values()], [4097]);
  const noNet = renderZoneTable([sgPort(PA, undefined)], 'network', LINUXBRIDGE_CHAINS, NONE);
  assert.deepEqual(noNet.rules, []);
  assert.deepEqual(noNet.chains, [], 'no rules: no chain, the raw table is left as it was');
  assert.match(noNet.problems[0]?.reason ?? '', /no network_id/);
});
