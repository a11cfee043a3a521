/**
 * nucleon-linuxbridge-agent against the real neutron-server and kernel: ports on a
 * VXLAN and a flat network go ACTIVE, VMs on one network ping each other, VMs on
 * another network (same CIDR) cannot; drift is repaired; a restart touches nothing.
 * Everything lives in per-run namespaces (node + VMs) and is removed at the end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm } from '../../harness/vm.js';

const run = promisify(execFile);
const PROJECT = 'nucleon-test';
/** A physnet of this run's own: a physnet carries one flat network, so tests must not share one. */
const PHYSNET = testName('lbphys');
let server: NeutronServer;
let node: TestNode;
let agent: SpawnedProcess | undefined;
const conf = new ConfigDir();
const host = testName('lb');
const phys = deviceName('ph0');
const vms: TestVm[] = [];
const created: Array<{ kind: 'networks' | 'ports'; id: string }> = [];
let files: string[] = [];

interface Port { id: string; mac_address: string; status: string; fixed_ips: Array<{ ip_address: string }> }

async function createNetwork(name: string, body: Record<string, unknown>, cidr: string): Promise<string> {
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName(name), project_id: PROJECT, ...body } });
  created.push({ kind: 'networks', id: net.network.id });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: net.network.id, ip_version: 4, cidr, enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  return net.network.id;
}

async function createPort(networkId: string, ip?: string, owner = 'compute:nova'): Promise<Port> {
  const p = await neutronApi<{ port: Port }>('/ports', 'POST', {
    port: { network_id: networkId, project_id: PROJECT, 'binding:host_id': host, device_owner: owner, device_id: crypto.randomUUID(), port_security_enabled: false, ...(ip ? { fixed_ips: [{ ip_address: ip }] } : {}) },
  });
  created.push({ kind: 'ports', id: p.port.id });
  return p.port;
}

async function plug(port: Port, networkId: string, n: number): Promise<TestVm> {
  const vm = await TestVm.plug(node, { netns: deviceName(`v${n}`), portId: port.id, networkId, mac: port.mac_address, cidr: `${port.fixed_ips[0]!.ip_address}/24` });
  vms.push(vm);
  return vm;
}

async function portStatus(id: string): Promise<string> {
  return (await neutronApi<{ port: Port }>(`/ports/${id}`)).port.status;
}

function startAgent(): SpawnedProcess {
  agent = startDaemon(node, 'linuxbridge', files);
  return agent;
}

async function links(): Promise<Array<{ ifname: string; master?: string; flags?: string[]; linkinfo?: { info_kind?: string } }>> {
  return JSON.parse((await node.exec(['ip', '-json', '-d', 'link', 'show'])) || '[]') as Array<{ ifname: string; master?: string; flags?: string[] }>;
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('l'));
  await node.exec(['ip', 'link', 'add', phys, 'type', 'veth', 'peer', 'name', deviceName('ph1')]);
  await node.exec(['ip', 'link', 'set', phys, 'up']);
  await node.exec(['ip', 'link', 'set', deviceName('ph1'), 'up']);
  await node.exec(['ip', 'link', 'add', deviceName('vt0'), 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.250.1/24', 'dev', deviceName('vt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('vt0'), 'up']);
  await node.exec(['ip', 'link', 'set', deviceName('vt1'), 'up']);
  files = [
    conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 } }),
    conf.write('linuxbridge_agent.ini', { linux_bridge: { physical_interface_mappings: `${PHYSNET}:${phys}` }, vxlan: { enable_vxlan: true, local_ip: '172.31.250.1', l2_population: false }, securitygroup: { enable_security_group: false } }),
  ];
  startAgent();
  await waitForLog(agent!, 'registered with neutron-server');
});

after(async () => {
  if (agent) await node.stopProcess(agent, 10_000);
  for (const vm of vms) await vm.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  await node?.cleanup();
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('VXLAN network: compute ports go ACTIVE, VMs ping, another network with the same CIDR is isolated', async () => {
  const netA = await createNetwork('a', {}, '10.77.0.0/24');
  const netB = await createNetwork('b', {}, '10.77.0.0/24');
  const [p1, p2] = [await createPort(netA, '10.77.0.11'), await createPort(netA, '10.77.0.12')];
  const p3 = await createPort(netB, '10.77.0.13');
  const [vm1, vm2] = [await plug(p1, netA, 1), await plug(p2, netA, 2)];
  const vm3 = await plug(p3, netB, 3);
  await waitFor(async () => (await portStatus(p1.id)) === 'ACTIVE' && (await portStatus(p2.id)) === 'ACTIVE' && (await portStatus(p3.id)) === 'ACTIVE', { timeoutMs: 20_000, description: 'ports ACTIVE' });
  const l = await links();
  const vxA = l.find((x) => x.ifname.startsWith('vxlan-') && x.master === `brq${netA.slice(0, 11)}`);
  assert.ok(vxA, 'the network bridge carries its vxlan device');
  assert.equal(await vm1.ping('10.77.0.12'), true, 'vm1 reaches vm2 on the same network');
  assert.equal(await vm3.ping('10.77.0.11', 2, 2), false, 'vm3 on another network does not reach vm1');
  void vm2;
});

test('flat network: the mapped interface is enslaved and a network-owned tap is plugged by the agent', async () => {
  const flat = await createNetwork('flat', { 'provider:network_type': 'flat', 'provider:physical_network': PHYSNET }, '10.78.0.0/24');
  const pc = await createPort(flat, '10.78.0.11');
  // A DHCP-style port: the agent, not Nova, enslaves its tap.
  const pn = await createPort(flat, '10.78.0.12', 'network:dhcp');
  const vmc = await plug(pc, flat, 4);
  const vmn = await TestVm.plug(node, { netns: deviceName('v5'), portId: pn.id, networkId: flat, mac: pn.mac_address, cidr: '10.78.0.12/24', plugToBridge: false });
  vms.push(vmn);
  await waitFor(async () => (await portStatus(pc.id)) === 'ACTIVE' && (await portStatus(pn.id)) === 'ACTIVE', { timeoutMs: 20_000, description: 'flat ports ACTIVE' });
  const l = await links();
  const br = `brq${flat.slice(0, 11)}`;
  assert.equal(l.find((x) => x.ifname === phys)?.master, br, 'physnet interface enslaved to the flat bridge');
  assert.equal(l.find((x) => x.ifname === vmn.tap)?.master, br, 'network-owned tap enslaved by the agent');
  assert.equal(await vmc.ping('10.78.0.12'), true);
});

test('drift: a vxlan device deleted by hand comes back at once (link watcher), and a bridge set down is set up again', async () => {
  const l = await links();
  const vx = l.find((x) => x.ifname.startsWith('vxlan-'));
  assert.ok(vx, 'a vxlan device exists');
  const seen = agent!.log.json.length;
  const falseAlarms = agent!.log.json.filter((x) => x['msg'] === 'own device changed outside the agent; repairing');
  assert.deepEqual(falseAlarms, [], 'the agent\'s own wiring of two vxlan networks and a flat one is never taken for drift');
  const repairs = () => agent!.log.json.slice(seen).filter((x) => x['msg'] === 'own device changed outside the agent; repairing');
  await node.exec(['ip', 'link', 'del', vx.ifname]);
  // Well inside the 30 s periodic pass: the repair is driven by the kernel's notification.
  await waitFor(async () => (await links()).some((x) => x.ifname === vx.ifname && x.master === vx.master), { timeoutMs: 10_000, intervalMs: 200, description: `${vx.ifname} restored` });
  assert.ok(repairs().some((x) => x['device'] === vx.ifname && x['why'] === 'gone' && typeof x['network_id'] === 'string'), `repair logged: ${JSON.stringify(repairs())}`);
  const br = String(vx.master);
  await node.exec(['ip', 'link', 'set', br, 'down']);
  await waitFor(async () => (await links()).find((x) => x.ifname === br)?.flags?.includes('UP') === true, { timeoutMs: 10_000, intervalMs: 200, description: `${br} up again` });
  assert.ok(repairs().some((x) => x['device'] === br && x['why'] === 'down'), `bridge repair logged: ${JSON.stringify(repairs())}`);
});

test('restart: the agent comes back without deleting or re-creating any link, and pings keep flowing', async () => {
  const before = new Map((JSON.parse(await node.exec(['ip', '-json', 'link', 'show'])) as Array<{ ifname: string; ifindex: number }>).map((x) => [x.ifname, x.ifindex]));
  const vm1 = vms[0]!;
  // A continuous ping across the restart: 0.1 s interval, counted at the end.
  const pinger = run('ip', ['netns', 'exec', vm1.spec.netns, 'ping', '-i', '0.1', '-w', '8', '10.77.0.12']).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  await new Promise((r) => setTimeout(r, 1000));
  await node.stopProcess(agent!, 10_000);
  startAgent();
  await waitForLog(agent!, 'registered with neutron-server');
  await waitForLog(agent!, 'reported device status', 20_000);
  const out = await pinger;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, `ping summary: ${out}`);
  assert.equal(m[1], m[2], `no ping lost across the restart: ${m[0]}`);
  const afterLinks = new Map((JSON.parse(await node.exec(['ip', '-json', 'link', 'show'])) as Array<{ ifname: string; ifindex: number }>).map((x) => [x.ifname, x.ifindex]));
  for (const [name, idx] of before) assert.equal(afterLinks.get(name), idx, `${name} kept its ifindex (not re-created)`);
});
