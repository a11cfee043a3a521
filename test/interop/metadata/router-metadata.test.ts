/**
 * Metadata through a router: nucleon-linuxbridge-agent, nucleon-l3-agent and
 * nucleon-metadata-agent in one node namespace against the real neutron-server. A VM
 * behind a router (static address, default route via the router) asks
 * http://169.254.169.254/latest/meta-data/instance-id: the router's REDIRECT sends it
 * to haproxy on metadata_port in qrouter, which adds X-Neutron-Router-ID and forwards
 * to the metadata agent's socket; the agent finds the port through the router's
 * networks and a test Nova (checking the signature) answers the VM's device_id.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, repoRoot, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm } from '../../harness/vm.js';

const PROJECT = 'nucleon-test';
const SECRET = `md-${randomUUID()}`;
const NOVA_PORT = 18776;
let server: NeutronServer;
let node: TestNode;
const procs: SpawnedProcess[] = [];
const conf = new ConfigDir();
const host = testName('rmd');
let vm: TestVm | undefined;
let routerId = '';
let subnetId = '';
const deviceId = randomUUID();
const created: Array<{ kind: string; id: string }> = [];

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('q'));
  await node.exec(['ip', 'link', 'add', deviceName('qt0'), 'type', 'veth', 'peer', 'name', deviceName('qt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.244.1/24', 'dev', deviceName('qt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('qt0'), 'up']);
  const nova = node.spawnInside(['node', join(repoRoot(), 'dist', 'test', 'integration', 'metadata', 'fake-nova-main.js'), '127.0.0.1', String(NOVA_PORT), SECRET]);
  procs.push(nova);
  await waitFor(() => nova.log.lines.some((l) => l.startsWith('listening')), { timeoutMs: 10_000, description: 'test Nova listening in the node' });
  const base = conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: join(conf.dir, 'state'), interface_driver: 'linuxbridge' }, agent: { report_interval: 5 }, nucleon: { resync_interval: 5 } });
  const lb = startDaemon(node, 'linuxbridge', [base, conf.write('linuxbridge_agent.ini', { vxlan: { enable_vxlan: true, local_ip: '172.31.244.1' }, securitygroup: { enable_security_group: false } })]);
  const l3 = startDaemon(node, 'l3', [base, conf.write('l3_agent.ini', { DEFAULT: { agent_mode: 'legacy' } })]);
  const md = startDaemon(node, 'metadata', [base, conf.write('metadata_agent.ini', { DEFAULT: { nova_metadata_host: '127.0.0.1', nova_metadata_port: NOVA_PORT, metadata_proxy_shared_secret: SECRET } })]);
  procs.push(lb, l3, md);
  for (const p of [lb, l3, md]) await waitForLog(p, 'registered with neutron-server');

  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('rmdnet'), project_id: PROJECT } });
  created.push({ kind: 'networks', id: net.network.id });
  const sn = await neutronApi<{ subnet: { id: string } }>('/subnets', 'POST', { subnet: { network_id: net.network.id, ip_version: 4, cidr: '10.86.0.0/24', gateway_ip: '10.86.0.1', enable_dhcp: false, project_id: PROJECT } });
  subnetId = sn.subnet.id;
  const r = await neutronApi<{ router: { id: string } }>('/routers', 'POST', { router: { name: testName('rmd'), project_id: PROJECT } });
  routerId = r.router.id;
  created.push({ kind: 'routers', id: routerId });
  await neutronApi(`/routers/${routerId}/add_router_interface`, 'PUT', { subnet_id: subnetId });
  const agents = await neutronApi<{ agents: Array<{ id: string }> }>(`/agents?host=${host}&agent_type=L3%20agent`);
  await neutronApi(`/agents/${agents.agents[0]!.id}/l3-routers`, 'POST', { router_id: routerId });
  const p = await neutronApi<{ port: { id: string; mac_address: string } }>('/ports', 'POST', { port: { network_id: net.network.id, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: deviceId, port_security_enabled: false, fixed_ips: [{ subnet_id: subnetId, ip_address: '10.86.0.11' }] } });
  created.push({ kind: 'ports', id: p.port.id });
  vm = await TestVm.plug(node, { netns: deviceName('qv'), portId: p.port.id, networkId: net.network.id, mac: p.port.mac_address, cidr: '10.86.0.11/24', gateway: '10.86.0.1' });
});

after(async () => {
  for (const p of procs.reverse()) await node.stopProcess(p, 10_000);
  await vm?.unplug();
  await neutronApi(`/routers/${routerId}/remove_router_interface`, 'PUT', { subnet_id: subnetId }).catch(() => undefined);
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  try { execFileSync('ip', ['netns', 'del', `qrouter-${routerId}`]); } catch { /* gone */ }
  await node?.cleanup();
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('a VM behind a router gets its own instance-id through the router metadata proxy', async () => {
  await waitFor(() => vm!.ping('10.86.0.1', 1, 2), { timeoutMs: 30_000, intervalMs: 500, description: 'VM reaches its router' });
  const body = await waitFor(() => {
    try {
      const out = execFileSync('ip', ['netns', 'exec', vm!.spec.netns, 'curl', '-s', '-m', '5', '-w', '\n%{http_code}', 'http://169.254.169.254/latest/meta-data/instance-id']).toString();
      const i = out.lastIndexOf('\n');
      return out.slice(i + 1) === '200' ? out.slice(0, i) : undefined;
    } catch { return undefined; }
  }, { timeoutMs: 30_000, intervalMs: 500, description: 'metadata answered through the router' });
  assert.equal(body.trim(), deviceId);
});
