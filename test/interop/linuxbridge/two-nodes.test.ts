/**
 * VXLAN between two nucleon-linuxbridge-agent nodes: each node is a namespace with its
 * own agent, host name and VTEP address on a shared underlay (a veth pair between the
 * two node namespaces). VMs on the two nodes ping each other in multicast mode, then
 * with l2_population (the server's l2population driver sends the FDB entries; the
 * agents re-create their vxlan devices in unicast mode without being told to).
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
const conf = new ConfigDir();
const nodes: Array<{ node: TestNode; host: string; ip: string; agent?: SpawnedProcess }> = [];
const vms: TestVm[] = [];
const created: Array<{ kind: 'networks' | 'ports'; id: string }> = [];

interface Port { id: string; mac_address: string; fixed_ips: Array<{ ip_address: string }> }

function startAgents(l2pop: boolean): void {
  for (const [i, n] of nodes.entries()) {
    const files = [
      conf.write(`neutron-${i}.conf`, { DEFAULT: { host: n.host, transport_url: server.transportUrl, state_path: `${conf.dir}/state${i}` }, agent: { report_interval: 5 } }),
      conf.write(`lb-${i}.ini`, { linux_bridge: { physical_interface_mappings: '' }, vxlan: { enable_vxlan: true, local_ip: n.ip, l2_population: l2pop, arp_responder: l2pop }, securitygroup: { enable_security_group: false } }),
    ];
    n.agent = startDaemon(n.node, 'linuxbridge', files);
  }
}

async function stopAgents(): Promise<void> {
  for (const n of nodes) if (n.agent) { await n.node.stopProcess(n.agent, 10_000); n.agent = undefined; }
}

before(async () => {
  server = await ensureNeutronServer();
  for (const [i, suffix] of ['x', 'y'].entries()) {
    nodes.push({ node: await TestNode.create(deviceName(suffix)), host: testName(`lb${suffix}`), ip: `172.31.251.${i + 1}` });
  }
  const [a, b] = [nodes[0]!, nodes[1]!];
  const ua = deviceName('ua'), ub = deviceName('ub');
  await a.node.exec(['ip', 'link', 'add', ua, 'type', 'veth', 'peer', 'name', ub, 'netns', b.node.netns]);
  for (const [n, dev] of [[a, ua], [b, ub]] as const) {
    await n.node.exec(['ip', 'addr', 'add', `${n.ip}/24`, 'dev', dev]);
    await n.node.exec(['ip', 'link', 'set', dev, 'up']);
  }
});

after(async () => {
  await stopAgents();
  for (const vm of vms) await vm.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  for (const n of nodes) { await n.node.cleanup(); await deleteAgents({ host: n.host }).catch(() => undefined); }
  conf.remove();
});

async function networkWithVms(name: string, cidr: string, base: number): Promise<[TestVm, TestVm]> {
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName(name), project_id: PROJECT } });
  created.push({ kind: 'networks', id: net.network.id });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: net.network.id, ip_version: 4, cidr: `${cidr}.0/24`, enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  const out: TestVm[] = [];
  for (const [i, n] of nodes.entries()) {
    const p = await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: net.network.id, project_id: PROJECT, 'binding:host_id': n.host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), port_security_enabled: false, fixed_ips: [{ ip_address: `${cidr}.${base + i}` }] } });
    created.push({ kind: 'ports', id: p.port.id });
    const vm = await TestVm.plug(n.node, { netns: deviceName(`${name}${i}`), portId: p.port.id, networkId: net.network.id, mac: p.port.mac_address, cidr: `${cidr}.${base + i}/24` });
    vms.push(vm);
    out.push(vm);
  }
  await waitFor(async () => {
    const ports = await neutronApi<{ ports: Array<{ status: string }> }>(`/ports?network_id=${net.network.id}`);
    return ports.ports.length === 2 && ports.ports.every((p) => p.status === 'ACTIVE');
  }, { timeoutMs: 30_000, description: 'both ports ACTIVE' });
  return [out[0]!, out[1]!];
}

test('multicast VXLAN: VMs on two nodes ping each other', async () => {
  startAgents(false);
  for (const n of nodes) await waitForLog(n.agent!, 'registered with neutron-server');
  const [vmA] = await networkWithVms('m', '10.79.0', 11);
  assert.equal(await waitFor(() => vmA.ping('10.79.0.12'), { timeoutMs: 15_000, description: 'ping across nodes (multicast)' }), true);
});

test('l2_population: unicast VXLAN with FDB entries from the server, VMs on two nodes ping', async () => {
  await stopAgents();
  startAgents(true);
  for (const n of nodes) await waitForLog(n.agent!, 'registered with neutron-server');
  const [vmA] = await networkWithVms('u', '10.80.0', 21);
  assert.equal(await waitFor(() => vmA.ping('10.80.0.22'), { timeoutMs: 20_000, description: 'ping across nodes (l2pop)' }), true);
  // The vxlan devices are in unicast mode now (no group) and carry the peer's flooding entry.
  const detail = JSON.parse(await nodes[0]!.node.exec(['ip', '-json', '-d', 'link', 'show', 'type', 'vxlan'])) as Array<{ ifname: string; linkinfo: { info_data: { group?: string; local?: string } } }>;
  assert.ok(detail.length >= 1);
  for (const d of detail) {
    assert.equal(d.linkinfo.info_data.group, undefined, `${d.ifname} has no multicast group`);
    assert.equal(d.linkinfo.info_data.local, nodes[0]!.ip);
  }
  const fdb = await nodes[0]!.node.exec(['bridge', 'fdb', 'show', 'dev', detail[0]!.ifname]);
  assert.match(fdb, new RegExp(`00:00:00:00:00:00 dst ${nodes[1]!.ip.replace(/\./g, '\\.')}`));
  // Drift: the flooding entry deleted by hand comes back.
  await nodes[0]!.node.exec(['bridge', 'fdb', 'del', '00:00:00:00:00:00', 'dev', detail[0]!.ifname, 'dst', nodes[1]!.ip]);
  await waitFor(async () => (await nodes[0]!.node.exec(['bridge', 'fdb', 'show', 'dev', detail[0]!.ifname])).includes(`00:00:00:00:00:00 dst ${nodes[1]!.ip}`), { timeoutMs: 40_000, intervalMs: 500, description: 'flooding entry restored' });
});

test('l2_population: restarting one node\'s agent loses no ping across the nodes', async () => {
  const vmA = vms.find((v) => v.spec.cidr?.startsWith('10.80.0.21') === true)!;
  const a = nodes[0]!;
  const { execFile } = await import('node:child_process');
  const pinger = new Promise<string>((res) => execFile('ip', ['netns', 'exec', vmA.spec.netns, 'ping', '-i', '0.1', '-w', '8', '10.80.0.22'], (_e, stdout) => res(String(stdout))));
  await new Promise((r) => setTimeout(r, 1000));
  await a.node.stopProcess(a.agent!, 10_000);
  a.agent = startDaemon(a.node, 'linuxbridge', [`${conf.dir}/neutron-0.conf`, `${conf.dir}/lb-0.ini`]);
  await waitForLog(a.agent, 'registered with neutron-server');
  const out = await pinger;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, out);
  assert.equal(m[1], m[2], `no ping lost: ${m[0]}`);
});
