/**
 * nucleon-dhcp-agent with nucleon-linuxbridge-agent on one node, against the real
 * neutron-server: a VM gets its lease (IP, router, MTU, DNS, host routes) and its port
 * turns ACTIVE only once both agents reported it; fixed-IP change, subnet add/delete,
 * port delete and network delete reach dnsmasq; a killed dnsmasq is respawned; an
 * agent restart neither restarts dnsmasq nor stops serving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm, dhcpLease } from '../../harness/vm.js';

const PROJECT = 'nucleon-test';
let server: NeutronServer;
let node: TestNode;
let lb: SpawnedProcess | undefined;
let dhcp: SpawnedProcess | undefined;
let dhcpFiles: string[] = [];
const conf = new ConfigDir();
const host = testName('dh');
const vms: TestVm[] = [];
const created: Array<{ kind: 'networks' | 'ports' | 'subnets'; id: string }> = [];
let netId = '';
let vm: TestVm;
let portId = '';
const state = () => join(conf.dir, 'state');
const confDir = () => join(state(), 'dhcp', netId);

interface Port { id: string; mac_address: string; status: string; fixed_ips: Array<{ ip_address: string; subnet_id: string }> }

async function port(id: string): Promise<Port> {
  return (await neutronApi<{ port: Port }>(`/ports/${id}`)).port;
}

function dnsmasqPid(): number | undefined {
  const f = join(confDir(), 'pid');
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('d'));
  await node.exec(['ip', 'link', 'add', deviceName('vt0'), 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.246.1/24', 'dev', deviceName('vt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('vt0'), 'up']);
  const base = conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: state(), interface_driver: 'linuxbridge' }, agent: { report_interval: 5 }, nucleon: { resync_interval: 5 } });
  lb = startDaemon(node, 'linuxbridge', [base, conf.write('linuxbridge_agent.ini', { vxlan: { enable_vxlan: true, local_ip: '172.31.246.1' }, securitygroup: { enable_security_group: false } })]);
  dhcpFiles = [base, conf.write('dhcp_agent.ini', { DEFAULT: { enable_isolated_metadata: true } })];
  dhcp = startDaemon(node, 'dhcp', dhcpFiles);
  await waitForLog(lb, 'registered with neutron-server');
  await waitForLog(dhcp, 'registered with neutron-server');

  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('dhnet'), project_id: PROJECT } });
  netId = net.network.id;
  created.push({ kind: 'networks', id: netId });
  // Schedule the network to our DHCP agent explicitly (other DHCP agents may be alive).
  const agents = await neutronApi<{ agents: Array<{ id: string }> }>(`/agents?host=${host}&agent_type=DHCP%20agent`);
  await neutronApi(`/agents/${agents.agents[0]!.id}/dhcp-networks`, 'POST', { network_id: netId });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: netId, ip_version: 4, cidr: '10.83.0.0/24', enable_dhcp: true, dns_nameservers: ['10.83.0.53'], host_routes: [{ destination: '10.200.0.0/16', nexthop: '10.83.0.254' }], project_id: PROJECT } });
  const p = await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: netId, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), port_security_enabled: false } });
  portId = p.port.id;
  created.push({ kind: 'ports', id: portId });
  vm = await TestVm.plug(node, { netns: deviceName('dv'), portId, networkId: netId, mac: p.port.mac_address });
  vms.push(vm);
});

after(async () => {
  for (const p of [dhcp, lb]) if (p) await node.stopProcess(p, 10_000);
  for (const v of vms) await v.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  // dnsmasq and haproxy outlive the agent by design: stop ours (the network delete
  // test normally has the agent do it).
  for (const f of [join(confDir(), 'pid'), join(state(), 'external', 'pids', `${netId}.pid.haproxy`)]) {
    const pid = existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
    if (pid && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(conf.dir)) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
  }
  await node?.cleanup();
  for (const ns of (JSON.parse((await import('node:child_process')).execFileSync('ip', ['-json', 'netns', 'list']).toString() || '[]') as Array<{ name: string }>)) {
    if (ns.name === `qdhcp-${netId}`) (await import('node:child_process')).execFileSync('ip', ['netns', 'del', ns.name]);
  }
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('a VM gets its lease with router, MTU, DNS server and host routes; the port turns ACTIVE', async () => {
  const p = await port(portId);
  const lease = await waitFor(() => dhcpLease(vm, 3), { timeoutMs: 40_000, intervalMs: 500, description: 'a DHCP lease' });
  assert.equal(lease.ip, p.fixed_ips[0]!.ip_address);
  assert.equal(lease.router, '10.83.0.1');
  assert.equal(lease.mtu, '1450');
  assert.match(lease.dns ?? '', /10\.83\.0\.53/);
  assert.match(lease.staticroutes ?? '', /10\.200\.0\.0\/16 10\.83\.0\.254/);
  await waitFor(async () => (await port(portId)).status === 'ACTIVE', { timeoutMs: 20_000, description: 'port ACTIVE (L2 and DHCP blocks cleared)' });
  const opts = readFileSync(join(confDir(), 'opts'), 'utf8');
  assert.match(opts, /169\.254\.169\.254\/32/, 'metadata route served (isolated subnet)');
});

test('a fixed-IP change reaches dnsmasq: the next lease has the new address', async () => {
  const p = await port(portId);
  await neutronApi(`/ports/${portId}`, 'PUT', { port: { fixed_ips: [{ subnet_id: p.fixed_ips[0]!.subnet_id, ip_address: '10.83.0.77' }] } });
  await waitFor(() => readFileSync(join(confDir(), 'host'), 'utf8').includes('10.83.0.77'), { timeoutMs: 15_000, intervalMs: 200, description: 'host file updated' });
  const lease = await waitFor(async () => { const l = await dhcpLease(vm, 3); return l?.ip === '10.83.0.77' ? l : undefined; }, { timeoutMs: 20_000, intervalMs: 500, description: 'lease with the new address' });
  assert.equal(lease.ip, '10.83.0.77');
});

test('subnet add and delete change the DHCP namespace and dnsmasq files', async () => {
  const s = await neutronApi<{ subnet: { id: string } }>('/subnets', 'POST', { subnet: { network_id: netId, ip_version: 4, cidr: '10.84.0.0/24', enable_dhcp: true, project_id: PROJECT } });
  await waitFor(() => readFileSync(join(confDir(), 'opts'), 'utf8').includes(`subnet-${s.subnet.id}`), { timeoutMs: 20_000, intervalMs: 300, description: 'opts for the new subnet' });
  await waitFor(async () => (await node.exec(['ip', 'netns', 'exec', `qdhcp-${netId}`, 'ip', '-4', 'addr'])).includes('10.84.0.'), { timeoutMs: 20_000, intervalMs: 300, description: 'DHCP port address on the new subnet' });
  await neutronApi(`/subnets/${s.subnet.id}`, 'DELETE');
  await waitFor(() => !readFileSync(join(confDir(), 'opts'), 'utf8').includes(`subnet-${s.subnet.id}`), { timeoutMs: 20_000, intervalMs: 300, description: 'opts without the deleted subnet' });
});

test('dnsmasq killed by hand is respawned; an agent restart keeps the same dnsmasq', async () => {
  const pid = dnsmasqPid();
  assert.ok(alive(pid), 'dnsmasq runs');
  process.kill(pid!, 'SIGKILL');
  const respawned = await waitFor(() => { const p = dnsmasqPid(); return p && p !== pid && alive(p) ? p : undefined; }, { timeoutMs: 30_000, intervalMs: 300, description: 'dnsmasq respawned' });
  await node.stopProcess(dhcp!, 10_000);
  assert.ok(alive(respawned), 'dnsmasq keeps serving while the agent is down');
  dhcp = startDaemon(node, 'dhcp', dhcpFiles);
  await waitForLog(dhcp, 'registered with neutron-server');
  await waitForLog(dhcp, 'ports reported ready for DHCP', 20_000);
  assert.equal(dnsmasqPid(), respawned, 'the restarted agent adopted dnsmasq');
  assert.ok(alive(respawned));
  const lease = await dhcpLease(vm, 4);
  assert.equal(lease?.ip, '10.83.0.77');
});

test('port delete removes its host entry; network delete removes namespace, dnsmasq and files', async () => {
  const mac = (await port(portId)).mac_address;
  await neutronApi(`/ports/${portId}`, 'DELETE');
  await waitFor(() => !readFileSync(join(confDir(), 'host'), 'utf8').includes(mac), { timeoutMs: 20_000, intervalMs: 300, description: 'host entry removed' });
  const pid = dnsmasqPid();
  await neutronApi(`/networks/${netId}`, 'DELETE');
  await waitFor(async () => !(await node.exec(['ip', 'netns', 'list'])).includes(`qdhcp-${netId}`) && !existsSync(confDir()) && !alive(pid), { timeoutMs: 30_000, intervalMs: 500, description: 'namespace, files and dnsmasq gone' });
});
