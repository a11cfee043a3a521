/**
 * planDhcpPort: the three cases of DeviceManager.setup_dhcp_port (existing port of
 * this agent, reserved port, new port), each compared with the plugin calls Neutron's
 * own DeviceManager makes for the same network (py/setup_dhcp_port.py). Our side's
 * calls are recorded on the wire side of DhcpPluginApi, so argument names and nesting
 * are compared too. fixed_ips are compared as sets: Neutron orders new subnets by
 * set iteration, and the server allocates per entry, whatever the order.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { planDhcpPort, dhcpSubnetIds, RESERVED_DHCP_DEVICE_ID, type DhcpPortPlan } from '../../../agents/dhcp/dhcp-port.js';
import { DhcpPluginApi, type RawNetwork } from '../../../agents/dhcp/plugin-api.js';
import { dhcpDeviceId } from '../../../agents/dhcp/dnsmasq/index.js';
import type { OsloRpcClient } from '../../../shared/rpc/index.js';
import { setupDhcpPortWithNeutron, skipReason, type PyCall, type PySetup } from './neutron.js';

const HOST = 'compute-1.example.org';
const NET = '9a1d7c52-6e0b-4c55-9a0e-1f2b3c4d5e6f';
const S4 = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const S4B = '2c5f39cb-3ab2-42e3-994a-1127e4ddb538';
const S6 = '3d6a4adc-4bc3-43f4-a55b-2238f5eec649';
const S_NODHCP = '4e7b5bed-5cd4-44a5-b66c-3349a6ffd75a';
const OURS = dhcpDeviceId(HOST, NET);

const subnet = (id: string, cidr: string, enable_dhcp: boolean, ip_version = 4) =>
  ({ id, cidr, enable_dhcp, ip_version, gateway_ip: ip_version === 4 ? cidr.replace(/0\/\d+$/, '1') : null, network_id: NET, host_routes: [], dns_nameservers: [], allocation_pools: [] });
const SUBNETS = [subnet(S4, '10.1.0.0/24', true), subnet(S_NODHCP, '10.9.0.0/24', false), subnet(S6, 'fd00:1::/64', true, 6), subnet(S4B, '10.2.0.0/24', true)];

function port(id: string, device_id: string, fixed: Array<[string, string]>, extra: Record<string, unknown> = {}) {
  return {
    id, device_id, network_id: NET, device_owner: device_id.startsWith('dhcp') || device_id === RESERVED_DHCP_DEVICE_ID ? 'network:dhcp' : 'compute:nova',
    mac_address: 'fa:16:3e:11:22:33', admin_state_up: true, extra_dhcp_opts: [],
    fixed_ips: fixed.map(([subnet_id, ip_address]) => ({ subnet_id, ip_address })), ...extra,
  };
}
const VM_PORT = port('aaaaaaaa-0000-4000-8000-000000000001', 'b2d1f3a4-0000-4000-8000-0000000000ff', [[S4, '10.1.0.10']]);

function network(ports: unknown[], subnets: unknown[] = SUBNETS): RawNetwork {
  return { id: NET, project_id: 'proj-1', tenant_id: 'proj-1', admin_state_up: true, mtu: 1450, subnets, ports };
}

interface Case { name: string; network: RawNetwork; action: DhcpPortPlan['action'] }
const CASES: Case[] = [
  {
    name: 'own port, same DHCP subnets -> used as is',
    network: network([VM_PORT, port('dddddddd-0000-4000-8000-000000000001', OURS, [[S4, '10.1.0.2'], [S6, 'fd00:1::2'], [S4B, '10.2.0.2']])]),
    action: 'use',
  },
  {
    name: 'own port, a DHCP subnet added -> update keeping the old IPs',
    network: network([port('dddddddd-0000-4000-8000-000000000002', OURS, [[S4, '10.1.0.2'], [S6, 'fd00:1::2']]), VM_PORT]),
    action: 'update',
  },
  {
    name: 'own port, a subnet gone and one turned DHCP off -> update without them',
    network: network([port('dddddddd-0000-4000-8000-000000000003', OURS, [[S4, '10.1.0.2'], [S_NODHCP, '10.9.0.2'], ['5f8c6cfe-6de5-45b6-877d-445ab7a0e86b', '10.8.0.2']])]),
    action: 'update',
  },
  {
    name: 'own port with no address yet -> update asking for every DHCP subnet',
    network: network([port('dddddddd-0000-4000-8000-000000000004', OURS, [])]),
    action: 'update',
  },
  {
    // (reserved ports carry an address on every subnet; one that does not is adopted and
    // then fixed by the next pass, where Neutron raises SubnetMismatchForPort)
    name: 'reserved port -> adopted (device_id set to ours)',
    network: network([VM_PORT, port('eeeeeeee-0000-4000-8000-000000000001', RESERVED_DHCP_DEVICE_ID, [[S4, '10.1.0.3'], [S4B, '10.2.0.3'], [S6, 'fd00:1::3']])]),
    action: 'update',
  },
  {
    name: 'own port and a reserved one -> own port wins',
    network: network([port('eeeeeeee-0000-4000-8000-000000000002', RESERVED_DHCP_DEVICE_ID, [[S4, '10.1.0.3']]), port('dddddddd-0000-4000-8000-000000000005', OURS, [[S4, '10.1.0.2'], [S6, 'fd00:1::2'], [S4B, '10.2.0.2']])]),
    action: 'use',
  },
  {
    name: "another agent's DHCP port is not ours -> create",
    network: network([port('ffffffff-0000-4000-8000-000000000001', dhcpDeviceId('compute-2', NET), [[S4, '10.1.0.4']]), VM_PORT]),
    action: 'create',
  },
  {
    name: 'no DHCP port -> create with an address on every DHCP subnet',
    network: network([VM_PORT]),
    action: 'create',
  },
  {
    name: 'no ports at all, one DHCP subnet -> create',
    network: network([], [subnet(S4, '10.1.0.0/24', true)]),
    action: 'create',
  },
];

/** Plan → the calls DhcpPluginApi puts on the wire (host dropped: Neutron's plugin adds it). */
async function ourCalls(n: RawNetwork): Promise<PyCall[]> {
  const calls: PyCall[] = [];
  const client = {
    call: async (method: string, args: Record<string, unknown>) => {
      const { host, ...rest } = args;
      assert.equal(host, HOST, `${method} carries the agent's host`);
      calls.push({ method, args: rest });
      return { id: 'new-port' };
    },
  } as unknown as OsloRpcClient;
  const api = new DhcpPluginApi(client, HOST);
  const plan = planDhcpPort(n, dhcpDeviceId(HOST, String(n['id'])));
  if (plan.action === 'update') await api.updateDhcpPort(plan.portId, plan.body);
  if (plan.action === 'create') await api.createDhcpPort(plan.body);
  return calls;
}

/** fixed_ips as a sorted list (order carries no meaning for the server). */
function normalise(calls: PyCall[]): unknown {
  return JSON.parse(JSON.stringify(calls, (k, v: unknown) => {
    if (k === 'fixed_ips' && Array.isArray(v)) {
      return (v as Array<Record<string, unknown>>)
        .map((f): Record<string, unknown> => (f['ip_address'] == null ? { subnet_id: f['subnet_id'] } : f))
        .sort((a, b) => String(a['subnet_id']).localeCompare(String(b['subnet_id'])));
    }
    return v;
  }));
}

describe('planDhcpPort', () => {
  test('dhcpSubnetIds: DHCP-enabled subnets only, malformed entries skipped', () => {
    assert.deepEqual(dhcpSubnetIds(network([])), [S4, S4B, S6].sort());
    assert.deepEqual(dhcpSubnetIds({ id: NET, subnets: [null, 'x', { id: 7, enable_dhcp: true }, { id: S4, enable_dhcp: 'yes' }, { id: S4B, enable_dhcp: true }] }), [S4B]);
    assert.deepEqual(dhcpSubnetIds({ id: NET }), []);
  });

  test('existing port, same subnets in another order -> use, no call', () => {
    const own = port('dddddddd-0000-4000-8000-000000000009', OURS, [[S4B, '10.2.0.2'], [S4, '10.1.0.2'], [S6, 'fd00:1::2']]);
    const plan = planDhcpPort(network([own]), OURS);
    assert.equal(plan.action, 'use');
    assert.equal(plan.action === 'use' && plan.port, own);
  });

  test('subnets changed -> update with kept IPs and the new subnets, nothing else', () => {
    const plan = planDhcpPort(CASES[2]!.network, OURS);
    assert.deepEqual(plan, {
      action: 'update', portId: 'dddddddd-0000-4000-8000-000000000003',
      body: { network_id: NET, fixed_ips: [{ subnet_id: S4, ip_address: '10.1.0.2' }, { subnet_id: S4B }, { subnet_id: S6 }] },
    });
  });

  test('reserved port -> update of device_id only', () => {
    assert.deepEqual(planDhcpPort(CASES[4]!.network, OURS), { action: 'update', portId: 'eeeeeeee-0000-4000-8000-000000000001', body: { network_id: NET, device_id: OURS } });
  });

  test('none -> create with every DHCP subnet, named "", admin up, project of the network', () => {
    assert.deepEqual(planDhcpPort(CASES[7]!.network, OURS), {
      action: 'create',
      body: { name: '', admin_state_up: true, device_id: OURS, network_id: NET, project_id: 'proj-1', fixed_ips: [S4, S4B, S6].sort().map((subnet_id) => ({ subnet_id })) },
    });
    // tenant_id only (older payloads)
    const old = { ...CASES[7]!.network, project_id: undefined };
    const p = planDhcpPort(old, OURS);
    assert.equal(p.action === 'create' && p.body['project_id'], 'proj-1');
  });

  test('malformed ports and fixed_ips are skipped, not fatal', () => {
    const n = network([null, 7, { device_id: OURS, id: 'dddddddd-0000-4000-8000-00000000000a', fixed_ips: [null, { ip_address: '10.1.0.2' }, { subnet_id: S4, ip_address: '10.1.0.2' }] }]);
    const plan = planDhcpPort(n, OURS);
    assert.equal(plan.action, 'update');
    assert.deepEqual(plan.action === 'update' && plan.body['fixed_ips'], [{ subnet_id: S4, ip_address: '10.1.0.2' }, { subnet_id: S4B }, { subnet_id: S6 }]);
    assert.equal(planDhcpPort({ id: NET, subnets: SUBNETS, ports: 'nope' }, OURS).action, 'create');
  });
});

describe("planDhcpPort makes the calls Neutron's DeviceManager.setup_dhcp_port makes", () => {
  let neutron: Record<string, PySetup>;
  before(() => {
    if (skipReason) return;
    neutron = setupDhcpPortWithNeutron(HOST, CASES.map((c) => ({ name: c.name, network: c.network })));
  });

  test('device id equals DeviceManager.get_device_id', { skip: skipReason }, () => {
    for (const c of CASES) assert.equal(neutron[c.name]?.device_id, OURS, c.name);
  });

  for (const c of CASES) {
    test(c.name, { skip: skipReason }, async () => {
      const expected = neutron[c.name];
      assert.ok(expected, 'Neutron ran the case');
      const got = await ourCalls(structuredClone(c.network));
      assert.deepEqual(normalise(got), normalise(expected.calls));
      assert.equal(got.length === 0 ? 'use' : planDhcpPort(c.network, OURS).action, c.action);
    });
  }
});
