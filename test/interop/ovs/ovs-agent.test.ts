/**
 * nucleon-ovs-agent against the real neutron-server, on private Open vSwitch instances
 * (netdev datapath) started by the test inside node namespaces:
 * - nodes A and B: OVS + nucleon-ovs-agent; node C: nucleon-linuxbridge-agent; all three
 *   with l2_population, VTEPs on one underlay (a Linux bridge in an underlay namespace).
 *   On the OVS nodes the VTEP address sits on an OVS bridge that holds the underlay veth:
 *   userspace tunnelling routes and ARPs through OVS's own tables (KERNEL.md §1).
 * - ports turn ACTIVE; VMs on one network ping on one node, across the two OVS nodes and
 *   between an OVS node and the Linux-bridge node (which must use the IANA port 4789:
 *   the kernel's default VXLAN port is 8472, OVS's 4789); VMs on different networks do not;
 * - security groups with the openvswitch firewall: ICMP allowed by a rule then blocked
 *   again when it goes, a spoofed source address dropped, port security off passes;
 * - drift: a flow and a tunnel port deleted by hand come back;
 * - restart of node A's agent loses no ping.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm, dhcpLease } from '../../harness/vm.js';
import { readdirSync, readFileSync } from 'node:fs';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';

const PROJECT = 'nucleon-test';
let server: NeutronServer;
const conf = new ConfigDir();
const underlayNs = deviceName('ul');
let underlayMade = false;
/** A "physical" host on node A's provider bridge br-ex (flat network). */
const physHostNs = deviceName('px');
let physHostMade = false;
const physnet = testName('pn');

interface OvsNode { node: TestNode; host: string; ip: string; ovs: OvsInstance; agent?: SpawnedProcess; files: string[] }
interface LbNode { node: TestNode; host: string; ip: string; agent?: SpawnedProcess; files: string[] }
const ovsNodes: OvsNode[] = [];
let lbNode: LbNode | undefined;
const vms: TestVm[] = [];
const created: Array<{ kind: 'networks' | 'ports' | 'security-groups'; id: string }> = [];

interface Port { id: string; mac_address: string; fixed_ips: Array<{ ip_address: string }> }

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => execFile(cmd, args, (err, stdout, stderr) => (err ? rej(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : res(String(stdout)))));
}

function startOvsAgent(n: OvsNode): void {
  n.agent = startDaemon(n.node, 'ovs', n.files, { ...process.env, ...n.ovs.env });
}

before(async () => {
  server = await ensureNeutronServer();
  await run('ip', ['netns', 'add', underlayNs]);
  underlayMade = true;
  await run('ip', ['-n', underlayNs, 'link', 'add', 'ul', 'type', 'bridge']);
  await run('ip', ['-n', underlayNs, 'link', 'set', 'ul', 'up']);
  for (const [i, suffix] of ['oa', 'ob'].entries()) {
    const node = await TestNode.create(deviceName(suffix));
    const ovs = await startOvs({ name: `agent-${suffix}`, netns: node.netns });
    const host = testName(`ovs${suffix}`);
    const ip = `172.31.250.${i + 1}`;
    const n: OvsNode = { node, host, ip, ovs, files: [] };
    ovsNodes.push(n);
    // Underlay: veth into the underlay bridge, held by an OVS bridge whose internal port carries the VTEP.
    const dev = deviceName(`u${suffix}`);
    await node.exec(['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `p${dev}`.slice(0, 15), 'netns', underlayNs]);
    await run('ip', ['-n', underlayNs, 'link', 'set', `p${dev}`.slice(0, 15), 'master', 'ul', 'up']);
    await node.exec(['ip', 'link', 'set', dev, 'up']);
    await ovs.vsctl(['--', 'add-br', 'br-ul', '--', 'set', 'Bridge', 'br-ul', 'datapath_type=netdev', '--', 'add-port', 'br-ul', dev]);
    await waitFor(async () => (await node.exec(['ip', 'link', 'show', 'br-ul']).catch(() => '')).length > 0, { timeoutMs: 10_000, description: 'br-ul internal port' });
    await node.exec(['ip', 'addr', 'add', `${ip}/24`, 'dev', 'br-ul']);
    await node.exec(['ip', 'link', 'set', 'br-ul', 'up']);
    if (i === 0) {
      // Provider bridge for a flat network, created by the operator (here: the test);
      // its uplink leads to a "physical" host namespace.
      await run('ip', ['netns', 'add', physHostNs]);
      physHostMade = true;
      const up = deviceName('pxu');
      await node.exec(['ip', 'link', 'add', up, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', physHostNs]);
      await node.exec(['ip', 'link', 'set', up, 'up']);
      await run('ip', ['netns', 'exec', physHostNs, 'ethtool', '-K', 'eth0', 'tx', 'off']);
      await run('ip', ['-n', physHostNs, 'addr', 'add', '10.83.0.100/24', 'dev', 'eth0']);
      await run('ip', ['-n', physHostNs, 'link', 'set', 'eth0', 'up']);
      await ovs.vsctl(['--', 'add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev', '--', 'add-port', 'br-ex', up]);
    }
    n.files = [
      conf.write(`neutron-${suffix}.conf`, { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state-${suffix}` }, agent: { report_interval: 5 } }),
      conf.write(`ovs-${suffix}.ini`, {
        ovs: { integration_bridge: 'br-int', tunnel_bridge: 'br-tun', local_ip: ip, datapath_type: 'netdev', ovsdb_connection: ovs.dbUrl, ...(i === 0 ? { bridge_mappings: `${physnet}:br-ex` } : {}) },
        agent: { tunnel_types: 'vxlan', l2_population: true },
        securitygroup: { firewall_driver: 'openvswitch' },
      }),
    ];
  }
  // Linux-bridge node C: VTEP directly on its underlay veth.
  const cNode = await TestNode.create(deviceName('lc'));
  const cDev = deviceName('ulc');
  await cNode.exec(['ip', 'link', 'add', cDev, 'type', 'veth', 'peer', 'name', `p${cDev}`.slice(0, 15), 'netns', underlayNs]);
  await run('ip', ['-n', underlayNs, 'link', 'set', `p${cDev}`.slice(0, 15), 'master', 'ul', 'up']);
  await cNode.exec(['ip', 'addr', 'add', '172.31.250.3/24', 'dev', cDev]);
  await cNode.exec(['ip', 'link', 'set', cDev, 'up']);
  // The kernel's VXLAN sends with UDP checksums (udpcsum) left to the NIC; a veth never
  // fills them in, and OVS's userspace tunnel receiver drops packets whose checksum is
  // wrong. A real NIC computes it; on veth, turn tx offload off (KERNEL.md §1).
  await cNode.exec(['ethtool', '-K', cDev, 'tx', 'off']);
  const cHost = testName('lbc');
  lbNode = {
    node: cNode, host: cHost, ip: '172.31.250.3',
    files: [
      conf.write('neutron-c.conf', { DEFAULT: { host: cHost, transport_url: server.transportUrl, state_path: `${conf.dir}/state-c` }, agent: { report_interval: 5 } }),
      conf.write('lb-c.ini', { linux_bridge: { physical_interface_mappings: '' }, vxlan: { enable_vxlan: true, local_ip: '172.31.250.3', l2_population: true, udp_dstport: 4789 }, securitygroup: { enable_security_group: false } }),
    ],
  };
  for (const n of ovsNodes) startOvsAgent(n);
  lbNode.agent = startDaemon(lbNode.node, 'linuxbridge', lbNode.files);
  for (const n of ovsNodes) await waitForLog(n.agent!, 'registered with neutron-server', 60_000);
  await waitForLog(lbNode.agent, 'registered with neutron-server', 60_000);
});

let dhcpAgent: SpawnedProcess | undefined;
let dhcpNet = '';

after(async () => {
  if (dhcpAgent) await ovsNodes[1]!.node.stopProcess(dhcpAgent, 10_000);
  // dnsmasq/haproxy outlive their agent by design: stop the ones started from our config dir.
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try { if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(conf.dir)) process.kill(Number(pid), 'SIGTERM'); } catch { /* gone */ }
  }
  if (dhcpNet) await run('ip', ['netns', 'del', `qdhcp-${dhcpNet}`]).catch(() => undefined);
  for (const n of ovsNodes) if (n.agent) await n.node.stopProcess(n.agent, 10_000);
  if (lbNode?.agent) await lbNode.node.stopProcess(lbNode.agent, 10_000);
  for (const vm of vms) await vm.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  for (const n of ovsNodes) { await n.ovs.stop(); await n.node.cleanup(); await deleteAgents({ host: n.host }).catch(() => undefined); }
  if (lbNode) { await lbNode.node.cleanup(); await deleteAgents({ host: lbNode.host }).catch(() => undefined); }
  if (underlayMade) await run('ip', ['netns', 'del', underlayNs]).catch(() => undefined);
  if (physHostMade) await run('ip', ['netns', 'del', physHostNs]).catch(() => undefined);
  conf.remove();
});

async function network(name: string, cidr: string): Promise<string> {
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName(name), project_id: PROJECT } });
  created.push({ kind: 'networks', id: net.network.id });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: net.network.id, ip_version: 4, cidr: `${cidr}.0/24`, enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  return net.network.id;
}

async function vmOn(where: OvsNode | LbNode, networkId: string, ip: string, name: string, extra: Record<string, unknown> = { port_security_enabled: false }): Promise<TestVm> {
  const p = await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: networkId, project_id: PROJECT, 'binding:host_id': where.host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), fixed_ips: [{ ip_address: ip }], ...extra } });
  created.push({ kind: 'ports', id: p.port.id });
  const spec = { netns: deviceName(name), portId: p.port.id, networkId, mac: p.port.mac_address, cidr: `${ip}/24` };
  const vm = 'ovs' in where
    ? await TestVm.plugOvs(where.node, { ...spec, vsctl: (args) => where.ovs.vsctl(args), mtu: 1450 })
    : await TestVm.plug(where.node, spec);
  vms.push(vm);
  return vm;
}

async function waitActive(vmsToCheck: TestVm[]): Promise<void> {
  await waitFor(async () => {
    for (const vm of vmsToCheck) {
      const r = await neutronApi<{ port: { status: string } }>(`/ports/${vm.spec.portId}`);
      if (r.port.status !== 'ACTIVE') return false;
    }
    return true;
  }, { timeoutMs: 45_000, intervalMs: 250, description: 'ports ACTIVE' });
}

let netA = '';
let a1: TestVm, a2: TestVm, b1: TestVm, c1: TestVm, other: TestVm;

test('ports go ACTIVE; VMs on one network ping on one node, VMs on another network do not', async () => {
  const [A] = ovsNodes as [OvsNode, OvsNode];
  netA = await network('na', '10.81.0');
  const netB = await network('nb', '10.81.0'); // same addresses, another network
  a1 = await vmOn(A, netA, '10.81.0.11', 'a1');
  a2 = await vmOn(A, netA, '10.81.0.12', 'a2');
  other = await vmOn(A, netB, '10.81.0.13', 'a3'); // same subnet numbers, other network: must stay isolated
  await waitActive([a1, a2, other]);
  assert.equal(await waitFor(() => a1.ping('10.81.0.12'), { timeoutMs: 15_000, description: 'ping on one OVS node' }), true);
  assert.equal(await a1.ping('10.81.0.13', 2, 3), false, 'a VM on another network is unreachable');
});

test('VXLAN with l2pop: a VM on the other OVS node and one on the Linux-bridge node answer', async () => {
  const [, B] = ovsNodes as [OvsNode, OvsNode];
  b1 = await vmOn(B, netA, '10.81.0.21', 'b1');
  c1 = await vmOn(lbNode!, netA, '10.81.0.31', 'c1');
  await waitActive([b1, c1]);
  assert.equal(await waitFor(() => a1.ping('10.81.0.21'), { timeoutMs: 30_000, description: 'ping OVS node A -> OVS node B' }), true);
  const okC = await waitFor(() => a1.ping('10.81.0.31'), { timeoutMs: 30_000, description: 'ping OVS node A -> Linux-bridge node C' }).catch(() => false);
  if (!okC && process.env['NUCLEON_TEST_DEBUG']) {
    const [A] = ovsNodes as [OvsNode, OvsNode];
    console.log(await A.ovs.ofctl(['dump-flows', 'br-tun']));
    console.log(await A.ovs.vsctl(['show']));
    console.log(await lbNode!.node.exec(['ip', '-d', 'link', 'show', 'type', 'vxlan']));
    console.log(await lbNode!.node.exec(['bridge', 'fdb', 'show']));
    console.log(await A.ovs.appctl(['tnl/arp/show']));
    console.log(await A.ovs.appctl(['ovs/route/show']));
    await new Promise((r) => setTimeout(r, Number(process.env['NUCLEON_TEST_DEBUG']) * 1000));
  }
  assert.equal(okC, true);
  assert.equal(await waitFor(() => c1.ping('10.81.0.21'), { timeoutMs: 30_000, description: 'ping Linux-bridge node C -> OVS node B' }), true);
});

test('flat provider network through br-ex: a VM reaches a host on the physical side', async () => {
  const [A] = ovsNodes as [OvsNode, OvsNode];
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('flat'), project_id: PROJECT, 'provider:network_type': 'flat', 'provider:physical_network': physnet } });
  created.push({ kind: 'networks', id: net.network.id });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: net.network.id, ip_version: 4, cidr: '10.83.0.0/24', enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  const vm = await vmOn(A, net.network.id, '10.83.0.11', 'f1');
  await waitActive([vm]);
  assert.equal(await waitFor(() => vm.ping('10.83.0.100'), { timeoutMs: 20_000, description: 'ping the physical host over the flat network' }), true);
  // The VLAN-tagged br-int side never leaks onto the wire: the physical host sees untagged frames (it answered).
  const flows = await A.ovs.ofctl(['dump-flows', 'br-ex']);
  assert.match(flows, /strip_vlan/);
});

test('DHCP on an OVS node: nucleon-dhcp-agent with interface_driver = openvswitch serves a VM its lease', async () => {
  const [, B] = ovsNodes as [OvsNode, OvsNode];
  const base = conf.write('neutron-dhcp-ob.conf', { DEFAULT: { host: B.host, transport_url: server.transportUrl, state_path: `${conf.dir}/state-dhcp-ob`, interface_driver: 'openvswitch' }, agent: { report_interval: 5 } });
  const ini = conf.write('dhcp-ob.ini', { DEFAULT: { enable_isolated_metadata: false }, ovs: { integration_bridge: 'br-int', ovsdb_connection: B.ovs.dbUrl, datapath_type: 'netdev' } });
  dhcpAgent = startDaemon(B.node, 'dhcp', [base, ini], { ...process.env, ...B.ovs.env });
  await waitForLog(dhcpAgent, 'registered with neutron-server', 60_000);
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('dh'), project_id: PROJECT } });
  dhcpNet = net.network.id;
  created.push({ kind: 'networks', id: dhcpNet });
  const agentRows = await neutronApi<{ agents: Array<{ id: string }> }>(`/agents?host=${B.host}&agent_type=DHCP%20agent`);
  await neutronApi(`/agents/${agentRows.agents[0]!.id}/dhcp-networks`, 'POST', { network_id: dhcpNet });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: dhcpNet, ip_version: 4, cidr: '10.84.0.0/24', enable_dhcp: true, project_id: PROJECT } });
  const p = await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: dhcpNet, project_id: PROJECT, 'binding:host_id': B.host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), port_security_enabled: false } });
  created.push({ kind: 'ports', id: p.port.id });
  const vm = await TestVm.plugOvs(B.node, { netns: deviceName('dh1'), portId: p.port.id, networkId: dhcpNet, mac: p.port.mac_address, vsctl: (args) => B.ovs.vsctl(args), mtu: 1450 });
  vms.push(vm);
  const lease = await waitFor(() => dhcpLease(vm, 3), { timeoutMs: 60_000, intervalMs: 500, description: 'a DHCP lease over OVS' });
  assert.equal(lease.ip, p.port.fixed_ips[0]!.ip_address);
  assert.equal(lease.mtu, '1450');
  await waitActive([vm]);
  // The DHCP port's tap sits on br-int, tagged with the network's local VLAN (not the dead one).
  const tap = `tap${(await neutronApi<{ ports: Array<{ id: string }> }>(`/ports?network_id=${dhcpNet}&device_owner=network:dhcp`)).ports[0]!.id.slice(0, 11)}`;
  const tag = (await B.ovs.vsctl(['get', 'Port', tap, 'tag'])).trim();
  assert.notEqual(tag, '4095');
  assert.equal(tag, (await B.ovs.vsctl(['get', 'Port', vm.tap, 'tag'])).trim(), 'same local VLAN as the VM');
});

test('security groups: ICMP follows the rules; a spoofed source is dropped; port security off passes', async () => {
  const [A] = ovsNodes as [OvsNode, OvsNode];
  const sg = await neutronApi<{ security_group: { id: string } }>('/security-groups', 'POST', { security_group: { name: testName('sg'), project_id: PROJECT } });
  created.push({ kind: 'security-groups', id: sg.security_group.id });
  const guarded = await vmOn(A, netA, '10.81.0.41', 'g1', { port_security_enabled: true, security_groups: [sg.security_group.id] });
  await waitActive([guarded]);
  // Egress is allowed by the group's default rules, ingress is not: a1 cannot ping it.
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(await a1.ping('10.81.0.41', 2, 3), false, 'ingress ICMP blocked by default');
  const rule = await neutronApi<{ security_group_rule: { id: string } }>('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sg.security_group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', project_id: PROJECT } });
  assert.equal(await waitFor(() => a1.ping('10.81.0.41'), { timeoutMs: 20_000, description: 'ICMP allowed by the new rule' }), true);
  await neutronApi(`/security-group-rules/${rule.security_group_rule.id}`, 'DELETE');
  await waitFor(async () => !(await a1.ping('10.81.0.41', 1, 2)), { timeoutMs: 20_000, intervalMs: 500, description: 'ICMP blocked again after the rule is removed' });
  // Spoofing: the guarded VM sends from an address that is not its own: dropped.
  await run('ip', ['-n', guarded.spec.netns, 'addr', 'add', '10.81.0.99/24', 'dev', 'eth0']);
  const spoofed = await run('ip', ['netns', 'exec', guarded.spec.netns, 'ping', '-c', '2', '-W', '1', '-I', '10.81.0.99', '10.81.0.11']).then(() => true, () => false);
  assert.equal(spoofed, false, 'spoofed source address dropped');
  const own = await run('ip', ['netns', 'exec', guarded.spec.netns, 'ping', '-c', '2', '-W', '1', '-I', '10.81.0.41', '10.81.0.11']).then(() => true, () => false);
  assert.equal(own, true, 'its own address passes (egress allowed)');
  // An allowed address pair lets that one extra source through, and only that one.
  await neutronApi(`/ports/${guarded.spec.portId}`, 'PUT', { port: { allowed_address_pairs: [{ ip_address: '10.81.0.98' }] } });
  await run('ip', ['-n', guarded.spec.netns, 'addr', 'add', '10.81.0.98/24', 'dev', 'eth0']);
  const pairOk = await waitFor(() => run('ip', ['netns', 'exec', guarded.spec.netns, 'ping', '-c', '1', '-W', '1', '-I', '10.81.0.98', '10.81.0.11']).then(() => true, () => false), { timeoutMs: 20_000, intervalMs: 500, description: 'the allowed address pair passes' });
  assert.equal(pairOk, true);
  const stillSpoofed = await run('ip', ['netns', 'exec', guarded.spec.netns, 'ping', '-c', '2', '-W', '1', '-I', '10.81.0.99', '10.81.0.11']).then(() => true, () => false);
  assert.equal(stillSpoofed, false, 'an address outside the pairs is still dropped');
});

test('remote groups (conjunction flows): members reach each other across nodes, a non-member does not', async () => {
  const [A, B] = ovsNodes as [OvsNode, OvsNode];
  const sg = await neutronApi<{ security_group: { id: string } }>('/security-groups', 'POST', { security_group: { name: testName('sgm'), project_id: PROJECT } });
  created.push({ kind: 'security-groups', id: sg.security_group.id });
  await neutronApi('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sg.security_group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: sg.security_group.id, project_id: PROJECT } });
  const m1 = await vmOn(A, netA, '10.81.0.51', 'm1', { port_security_enabled: true, security_groups: [sg.security_group.id] });
  const m2 = await vmOn(B, netA, '10.81.0.52', 'm2', { port_security_enabled: true, security_groups: [sg.security_group.id] });
  await waitActive([m1, m2]);
  assert.equal(await waitFor(() => m2.ping('10.81.0.51'), { timeoutMs: 20_000, description: 'member on B -> member on A' }), true);
  assert.equal(await waitFor(() => m1.ping('10.81.0.52'), { timeoutMs: 20_000, description: 'member on A -> member on B' }), true);
  assert.equal(await a1.ping('10.81.0.51', 2, 3), false, 'a non-member is not let in');
  const flows = await A.ovs.ofctl(['dump-flows', 'br-int']);
  assert.match(flows, /conjunction\(/, 'remote-group rules are conjunction flows');
});

test('drift: a flow and a tunnel port deleted by hand are restored', async () => {
  const [A] = ovsNodes as [OvsNode, OvsNode];
  const tunPorts = (await A.ovs.vsctl(['list-ports', 'br-tun'])).split('\n').filter((p) => p.startsWith('vxlan-'));
  assert.ok(tunPorts.length >= 1, `tunnel ports on br-tun: ${tunPorts.join(',')}`);
  await A.ovs.vsctl(['del-port', 'br-tun', tunPorts[0]!]);
  await A.ovs.ofctl(['del-flows', 'br-int', 'table=60']);
  await waitFor(async () => (await A.ovs.vsctl(['list-ports', 'br-tun'])).includes(tunPorts[0]!), { timeoutMs: 40_000, intervalMs: 500, description: 'tunnel port restored' });
  await waitFor(async () => (await A.ovs.ofctl(['dump-flows', 'br-int', 'table=60'])).includes('priority='), { timeoutMs: 40_000, intervalMs: 500, description: 'table 60 flows restored' });
  assert.equal(await waitFor(() => a1.ping('10.81.0.21'), { timeoutMs: 20_000, description: 'traffic across nodes again' }), true);
});

test('restarting node A\'s agent loses no ping (new flow cookie, no gap)', async () => {
  const [A] = ovsNodes as [OvsNode, OvsNode];
  const before = await A.ovs.ofctl(['dump-flows', 'br-int']);
  const cookieBefore = /cookie=(0x[0-9a-f]+)/.exec(before)?.[1];
  const pinger = new Promise<string>((res) => execFile('ip', ['netns', 'exec', a1.spec.netns, 'ping', '-i', '0.1', '-w', '12', '10.81.0.21'], (_e, stdout) => res(String(stdout))));
  const local = new Promise<string>((res) => execFile('ip', ['netns', 'exec', a1.spec.netns, 'ping', '-i', '0.1', '-w', '12', '10.81.0.12'], (_e, stdout) => res(String(stdout))));
  await new Promise((r) => setTimeout(r, 1000));
  await A.node.stopProcess(A.agent!, 10_000);
  startOvsAgent(A);
  await waitForLog(A.agent!, 'registered with neutron-server', 30_000);
  for (const out of [await pinger, await local]) {
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(m, out);
    assert.equal(m[1], m[2], `no ping lost: ${m[0]}`);
  }
  await waitFor(async () => {
    const after = await A.ovs.ofctl(['dump-flows', 'br-int']);
    const cookies = new Set([...after.matchAll(/cookie=(0x[0-9a-f]+)/g)].map((m) => m[1]));
    return cookieBefore !== undefined && !cookies.has(cookieBefore) && cookies.size === 1;
  }, { timeoutMs: 30_000, intervalMs: 500, description: 'br-int flows carry only the new run cookie' });
});
