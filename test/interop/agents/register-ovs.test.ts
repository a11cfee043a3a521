/**
 * nucleon-ovs-agent registers like neutron-openvswitch-agent against an OVS the test
 * starts (ovsdb-server + ovs-vswitchd, userspace datapath, inside a node namespace):
 * agent_type, binary, host, datapath_type, the switch's capabilities read from OVSDB,
 * bridge mappings, tunnel settings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureNeutronServer, listAgents, deleteAgents, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';

let server: NeutronServer;
let node: TestNode;
let ovs: OvsInstance | undefined;
const conf = new ConfigDir();
const host = testName('ovs');

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('o'));
  ovs = await startOvs({ name: testName('ovs'), netns: node.netns });
});

after(async () => {
  await node?.cleanup();
  await ovs?.stop();
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('the OVS daemon is alive in GET /v2.0/agents with the Python identity and OVSDB capabilities', async () => {
  const files = [
    conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 } }),
    conf.write('openvswitch_agent.ini', {
      ovs: { datapath_type: 'netdev', ovsdb_connection: ovs!.dbUrl, integration_bridge: 'br-int', local_ip: '172.31.248.1', bridge_mappings: 'physnet1:br-ex' },
      agent: { tunnel_types: 'vxlan', l2_population: false },
      securitygroup: { firewall_driver: 'openvswitch' },
    }),
  ];
  const p = startDaemon(node, 'ovs', files, { ...process.env, ...ovs!.env });
  try {
    await waitForLog(p, 'registered with neutron-server');
    const [a] = await waitFor(async () => { const r = await listAgents({ host }); return r.length === 1 && r[0]!.alive ? r : undefined; }, { timeoutMs: 20_000, description: 'OVS agent alive' });
    assert.ok(a);
    assert.equal(a.agent_type, 'Open vSwitch agent');
    assert.equal(a.binary, 'neutron-openvswitch-agent');
    assert.equal(a.topic, 'N/A');
    const c = a.configurations;
    assert.equal(c['datapath_type'], 'netdev');
    assert.equal(c['integration_bridge'], 'br-int');
    assert.deepEqual(c['bridge_mappings'], { physnet1: 'br-ex' });
    assert.deepEqual(c['tunnel_types'], ['vxlan']);
    assert.equal(c['tunneling_ip'], '172.31.248.1');
    assert.equal(c['ovs_hybrid_plug'], false);
    const caps = c['ovs_capabilities'] as { datapath_types: string[]; iface_types: string[] };
    assert.ok(caps.datapath_types.includes('netdev'), JSON.stringify(caps));
    assert.ok(caps.iface_types.includes('vxlan'), JSON.stringify(caps));
  } finally {
    const code = await node.stopProcess(p, 10_000);
    assert.equal(code, 0, `agent exit ${String(code)} (signal ${String(p.child.signalCode)}); last lines: ${p.log.lines.slice(-8).join(' | ')}`);
  }
});
