/**
 * Security groups enforced by nucleon-linuxbridge-agent (iptables through br_netfilter,
 * MAC/ARP anti-spoofing in its own nftables bridge table), driven by the real
 * neutron-server's notifications: a rule added or removed through the API takes effect,
 * spoofed addresses are dropped, port security off lets them through.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm } from '../../harness/vm.js';

const PROJECT = 'nucleon-test';
let server: NeutronServer;
let node: TestNode;
let agent: SpawnedProcess | undefined;
const conf = new ConfigDir();
const host = testName('sg');
const vms: TestVm[] = [];
const created: Array<{ kind: 'networks' | 'ports' | 'security-groups'; id: string }> = [];
let sg = '';
let vm1: TestVm, vm2: TestVm;
let port1 = '';

interface Port { id: string; mac_address: string; status: string }

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('s'));
  await node.exec(['ip', 'link', 'add', deviceName('vt0'), 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.249.1/24', 'dev', deviceName('vt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('vt0'), 'up']);
  const files = [
    conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 } }),
    conf.write('linuxbridge_agent.ini', { vxlan: { enable_vxlan: true, local_ip: '172.31.249.1' }, securitygroup: { enable_security_group: true, firewall_driver: 'iptables' } }),
  ];
  agent = startDaemon(node, 'linuxbridge', files);
  await waitForLog(agent, 'registered with neutron-server');

  const g = await neutronApi<{ security_group: { id: string } }>('/security-groups', 'POST', { security_group: { name: testName('sg'), project_id: PROJECT } });
  sg = g.security_group.id;
  created.push({ kind: 'security-groups', id: sg });
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('sgnet'), project_id: PROJECT } });
  created.push({ kind: 'networks', id: net.network.id });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: net.network.id, ip_version: 4, cidr: '10.81.0.0/24', enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  const ports: Port[] = [];
  for (const ip of ['10.81.0.11', '10.81.0.12']) {
    const p = await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: net.network.id, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), security_groups: [sg], fixed_ips: [{ ip_address: ip }] } });
    created.push({ kind: 'ports', id: p.port.id });
    ports.push(p.port);
  }
  port1 = ports[0]!.id;
  vm1 = await TestVm.plug(node, { netns: deviceName('w1'), portId: ports[0]!.id, networkId: net.network.id, mac: ports[0]!.mac_address, cidr: '10.81.0.11/24' });
  vm2 = await TestVm.plug(node, { netns: deviceName('w2'), portId: ports[1]!.id, networkId: net.network.id, mac: ports[1]!.mac_address, cidr: '10.81.0.12/24' });
  vms.push(vm1, vm2);
  await waitFor(async () => {
    const st = await Promise.all(ports.map(async (p) => (await neutronApi<{ port: Port }>(`/ports/${p.id}`)).port.status));
    return st.every((s) => s === 'ACTIVE');
  }, { timeoutMs: 30_000, description: 'ports ACTIVE' });
});

after(async () => {
  if (agent) await node.stopProcess(agent, 10_000);
  for (const vm of vms) await vm.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  await node?.cleanup();
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('a group with egress rules only blocks pings; an ICMP ingress rule opens them; removing it closes them again', async () => {
  assert.equal(await vm1.ping('10.81.0.12', 1, 2), false, 'no ingress rule: blocked');
  const rule = await neutronApi<{ security_group_rule: { id: string } }>('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: sg, project_id: PROJECT } });
  await waitFor(() => vm1.ping('10.81.0.12', 1, 2), { timeoutMs: 20_000, intervalMs: 500, description: 'ping allowed by the new rule' });
  await neutronApi(`/security-group-rules/${rule.security_group_rule.id}`, 'DELETE');
  // conntrack keeps the old flow; a ping with a new ICMP id is a new flow.
  await waitFor(async () => !(await vm1.ping('10.81.0.12', 1, 2)), { timeoutMs: 20_000, intervalMs: 500, description: 'ping blocked again' });
  // Re-open for the spoofing tests.
  await neutronApi('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', project_id: PROJECT } });
  await waitFor(() => vm1.ping('10.81.0.12', 1, 2), { timeoutMs: 20_000, intervalMs: 500, description: 'ping allowed again' });
});

test('a spoofed source address is dropped; with port security off it passes', async () => {
  await node.exec(['true']);
  const { execFile } = await import('node:child_process');
  const sh = (args: string[]) => new Promise<boolean>((res) => execFile('ip', ['netns', 'exec', vm1.spec.netns, ...args], (e) => res(!e)));
  await sh(['ip', 'addr', 'add', '10.81.0.99/24', 'dev', 'eth0']);
  assert.equal(await sh(['ping', '-c', '1', '-W', '1', '-I', '10.81.0.99', '10.81.0.12']), false, 'spoofed source dropped');
  await neutronApi(`/ports/${port1}`, 'PUT', { port: { security_groups: [], port_security_enabled: false } });
  await waitFor(() => sh(['ping', '-c', '1', '-W', '1', '-I', '10.81.0.99', '10.81.0.12']), { timeoutMs: 20_000, intervalMs: 500, description: 'spoofed source passes with port security off' });
});

test('a firewall chain flushed by hand is restored by the next resync', async () => {
  const chains = await node.exec(['iptables-save', '-t', 'filter']);
  assert.match(chains, /neutron-linuxbri-sg-chain/);
  await node.exec(['iptables', '-F', 'neutron-linuxbri-sg-chain']);
  await waitFor(async () => /-A neutron-linuxbri-sg-chain /.test(await node.exec(['iptables-save', '-t', 'filter'])), { timeoutMs: 45_000, intervalMs: 1000, description: 'sg-chain refilled' });
});
