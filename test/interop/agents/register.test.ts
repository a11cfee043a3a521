/**
 * The daemons register with a real neutron-server exactly as the Python agents do:
 * GET /v2.0/agents lists them alive with the Python agent_type, binary, topic, host
 * and configurations; SIGTERM stops them cleanly (exit 0, dataplane untouched).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureNeutronServer, listAgents, deleteAgents, waitFor, type NeutronServer, type NeutronAgent } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog, type DaemonKind } from '../../harness/daemons.js';
import { LOCAL_RESOURCE_VERSIONS } from '../../../shared/agent/constants.js';

let server: NeutronServer;
let node: TestNode;
const conf = new ConfigDir();
const host = testName('node');
const phys = deviceName('ph0');
const vtep = deviceName('vt0');
const VTEP_IP = '172.31.254.1';

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('n'));
  // physnet1 and the VXLAN endpoint live on veths inside the node namespace only.
  await node.exec(['ip', 'link', 'add', phys, 'type', 'veth', 'peer', 'name', deviceName('ph1')]);
  await node.exec(['ip', 'link', 'add', vtep, 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', `${VTEP_IP}/24`, 'dev', vtep]);
  await node.exec(['ip', 'link', 'set', vtep, 'up']);
});

after(async () => {
  await node?.cleanup();
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

function neutronConf(): string {
  return conf.write('neutron.conf', {
    DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state`, interface_driver: 'linuxbridge' },
    agent: { report_interval: 5 },
  });
}

const EXPECTED: Record<Exclude<DaemonKind, 'ovs'>, { agentType: string; binary: string; topic: string; file: string; ini: Record<string, Record<string, string | number | boolean>> }> = {
  linuxbridge: {
    agentType: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A', file: 'linuxbridge_agent.ini',
    ini: { linux_bridge: { physical_interface_mappings: `physnet1:${phys}` }, vxlan: { enable_vxlan: true, local_ip: VTEP_IP, l2_population: false }, securitygroup: { firewall_driver: 'iptables' } },
  },
  dhcp: { agentType: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', file: 'dhcp_agent.ini', ini: { DEFAULT: { enable_isolated_metadata: true } } },
  l3: { agentType: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', file: 'l3_agent.ini', ini: { DEFAULT: { agent_mode: 'legacy' } } },
  metadata: { agentType: 'Metadata agent', binary: 'neutron-metadata-agent', topic: 'N/A', file: 'metadata_agent.ini', ini: { DEFAULT: { nova_metadata_host: '127.0.0.1', nova_metadata_port: 8775, metadata_proxy_shared_secret: 's3cret-not-logged' } } },
};

test('linuxbridge, dhcp, l3 and metadata daemons are alive in GET /v2.0/agents with the Python identities', async () => {
  const base = neutronConf();
  const procs = (Object.keys(EXPECTED) as Array<keyof typeof EXPECTED>).map((kind) => ({ kind, p: startDaemon(node, kind, [base, conf.write(EXPECTED[kind].file, EXPECTED[kind].ini)]) }));
  try {
    for (const { kind, p } of procs) await waitForLog(p, 'registered with neutron-server', 30_000).catch((e: unknown) => { throw new Error(`${kind}: ${String(e)}`); });
    const agents = await waitFor(async () => {
      const rows = await listAgents({ host });
      return rows.filter((a) => a.alive).length === 4 ? rows : undefined;
    }, { timeoutMs: 20_000, description: 'four nucleon agents alive' });
    const byType = new Map<string, NeutronAgent>(agents.map((a) => [a.agent_type, a]));
    for (const e of Object.values(EXPECTED)) {
      const a = byType.get(e.agentType);
      assert.ok(a, `${e.agentType} listed`);
      assert.equal(a.binary, e.binary);
      assert.equal(a.topic, e.topic);
      assert.equal(a.host, host);
      assert.equal(a.alive, true);
    }
    const lb = byType.get('Linux bridge agent')!.configurations;
    assert.deepEqual(lb['interface_mappings'], { physnet1: phys });
    assert.deepEqual(lb['bridge_mappings'], {});
    assert.equal(lb['tunneling_ip'], VTEP_IP);
    assert.deepEqual(lb['tunnel_types'], ['vxlan']);
    assert.equal(lb['l2_population'], false);
    assert.equal(typeof lb['devices'], 'number');
    assert.equal(byType.get('DHCP agent')!.availability_zone, 'nova');
    assert.equal(byType.get('DHCP agent')!.configurations['dhcp_driver'], 'neutron.agent.linux.dhcp.Dnsmasq');
    assert.equal(byType.get('L3 agent')!.configurations['agent_mode'], 'legacy');
    assert.equal(byType.get('L3 agent')!.configurations['interface_driver'], 'linuxbridge');
    assert.equal(byType.get('Metadata agent')!.configurations['nova_metadata_port'], 8775);
    // The server stored the L2 agent's resource versions from its first report.
    assert.equal(LOCAL_RESOURCE_VERSIONS['Port'], '1.7');

    // The metadata secret never reaches a log line.
    for (const { p } of procs) assert.ok(!p.log.lines.some((l) => l.includes('s3cret-not-logged')), 'secret not logged');

    // Heartbeats keep coming: heartbeat_timestamp moves.
    const hb = byType.get('L3 agent')!.heartbeat_timestamp;
    await waitFor(async () => (await listAgents({ host, agentType: 'L3 agent' }))[0]?.heartbeat_timestamp !== hb, { timeoutMs: 15_000, description: 'a later heartbeat' });
  } finally {
    for (const { kind, p } of procs) {
      const code = await node.stopProcess(p, 10_000);
      assert.equal(code, 0, `${kind} exits 0 on SIGTERM (log: ${p.log.lines.slice(-3).join(' | ')})`);
      assert.ok(p.log.json.some((l) => l['msg'] === 'stopped'), `${kind} logged its clean stop`);
    }
  }
});
