/**
 * nucleon-l3-agent (legacy routers) with nucleon-linuxbridge-agent on one node, against
 * the real neutron-server and kernel, with an "external" namespace on the flat provider
 * network (physnet1): SNAT, floating IPs, extra routes, interface and gateway changes,
 * the router_added_to_agent call, drift and a restart that loses no ping.
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
import { createRouterScenario, SourceAddressListener } from '../../harness/router-scenario.js';

const run = promisify(execFile);
const PROJECT = 'nucleon-test';
/** A physnet of this run's own: a physnet carries one flat network, so tests must not share one. */
const PHYSNET = testName('l3phys');
let server: NeutronServer;
let node: TestNode;
let lb: SpawnedProcess | undefined;
let l3: SpawnedProcess | undefined;
let l3Files: string[] = [];
const conf = new ConfigDir();
const host = testName('l3');
const ext = deviceName('ex');
const phys = deviceName('ph0');
const created: Array<{ kind: string; id: string }> = [];
let vm: TestVm;
let routerId = '';
let subnetId = '';
let extNetId = '';
let gwIp = '';
let listener: SourceAddressListener | undefined;

async function inExt(...argv: string[]): Promise<boolean> {
  return run('ip', ['netns', 'exec', ext, ...argv]).then(() => true, () => false);
}

async function qrouter(...argv: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', `qrouter-${routerId}`, ...argv])).stdout;
}

/** Connects from the VM to the external listener and returns the source address it saw. */
function sourceSeenFromVm(): Promise<string | undefined> {
  return listener!.sourceSeenFrom(vm.spec.netns);
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('r'));
  // physnet1: a veth from the node to the "external" namespace (the upstream router).
  await run('ip', ['netns', 'add', ext]);
  await node.exec(['ip', 'link', 'add', phys, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ext]);
  await node.exec(['ip', 'link', 'set', phys, 'up']);
  await run('ip', ['-n', ext, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0']);
  await run('ip', ['-n', ext, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', ext, 'link', 'set', 'lo', 'up']);
  listener = new SourceAddressListener(ext);
  await node.exec(['ip', 'link', 'add', deviceName('vt0'), 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.245.1/24', 'dev', deviceName('vt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('vt0'), 'up']);
  const base = conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state`, interface_driver: 'linuxbridge' }, agent: { report_interval: 5 }, nucleon: { resync_interval: 5 } });
  lb = startDaemon(node, 'linuxbridge', [base, conf.write('linuxbridge_agent.ini', { linux_bridge: { physical_interface_mappings: `${PHYSNET}:${phys}` }, vxlan: { enable_vxlan: true, local_ip: '172.31.245.1' }, securitygroup: { enable_security_group: false } })]);
  l3Files = [base, conf.write('l3_agent.ini', { DEFAULT: { agent_mode: 'legacy' } })];
  l3 = startDaemon(node, 'l3', l3Files);
  await waitForLog(lb, 'registered with neutron-server');
  await waitForLog(l3, 'registered with neutron-server');

  const sc = await createRouterScenario({ project: PROJECT, physnet: PHYSNET, host, tenantPrefix: '10.85.0', stem: '', created });
  ({ extNetId, subnetId, routerId, gwIp } = sc);
  vm = await TestVm.plug(node, { netns: deviceName('rv'), portId: sc.vmPort.id, networkId: sc.tenantNetId, mac: sc.vmPort.mac_address, cidr: '10.85.0.11/24', gateway: '10.85.0.1' });
});

after(async () => {
  listener?.stop();
  for (const p of [l3, lb]) if (p) await node.stopProcess(p, 10_000);
  await vm?.unplug();
  await neutronApi(`/routers/${routerId}/remove_router_interface`, 'PUT', { subnet_id: subnetId }).catch(() => undefined);
  await neutronApi(`/routers/${routerId}`, 'PUT', { router: { external_gateway_info: {} } }).catch(() => undefined);
  for (const f of (await neutronApi<{ floatingips: Array<{ id: string }> }>(`/floatingips?router_id=${routerId}`).catch(() => ({ floatingips: [] }))).floatingips) await neutronApi(`/floatingips/${f.id}`, 'DELETE').catch(() => undefined);
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  // haproxy outlives the agent by design: stop the one our agent started.
  const { readFileSync, existsSync } = await import('node:fs');
  const pf = `${conf.dir}/state/external/pids/${routerId}.pid.haproxy`;
  if (existsSync(pf)) { try { process.kill(Number(readFileSync(pf, 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ } }
  await run('ip', ['netns', 'del', `qrouter-${routerId}`]).catch(() => undefined);
  await node?.cleanup();
  await run('ip', ['netns', 'del', ext]).catch(() => undefined);
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('the router is wired and the VM reaches the external network through SNAT (the external side sees the gateway address)', async () => {
  await waitFor(() => vm.ping('198.51.100.1', 1, 2), { timeoutMs: 40_000, intervalMs: 500, description: 'VM reaches the external namespace' });
  assert.equal(await sourceSeenFromVm(), gwIp, 'SNAT to the router gateway address');
});

test('a floating IP makes the VM reachable from outside and is its source address; disassociating it cuts it', async () => {
  const vmPort = created.find((c) => c.kind === 'ports')!.id;
  const f = await neutronApi<{ floatingip: { id: string; floating_ip_address: string } }>('/floatingips', 'POST', { floatingip: { floating_network_id: extNetId, port_id: vmPort, project_id: PROJECT } });
  const fip = f.floatingip.floating_ip_address;
  await waitFor(() => inExt('ping', '-c', '1', '-W', '1', fip), { timeoutMs: 30_000, intervalMs: 500, description: 'external reaches the floating IP' });
  // Eventually: the agent may apply the router again while the server settles the
  // association (routers_updated after the status report); a new connection then
  // leaves with the floating IP.
  await waitFor(async () => (await sourceSeenFromVm()) === fip, { timeoutMs: 15_000, intervalMs: 500, description: 'VM traffic leaving with its floating IP' });
  await waitFor(async () => (await neutronApi<{ floatingip: { status: string } }>(`/floatingips/${f.floatingip.id}`)).floatingip.status === 'ACTIVE', { timeoutMs: 15_000, description: 'floating IP ACTIVE' });
  await neutronApi(`/floatingips/${f.floatingip.id}`, 'PUT', { floatingip: { port_id: null } });
  await waitFor(async () => !(await inExt('ping', '-c', '1', '-W', '1', fip)), { timeoutMs: 30_000, intervalMs: 500, description: 'floating IP cut' });
  await neutronApi(`/floatingips/${f.floatingip.id}`, 'DELETE');
});

test('extra routes are applied and removed', async () => {
  await neutronApi(`/routers/${routerId}`, 'PUT', { router: { routes: [{ destination: '10.99.0.0/24', nexthop: '10.85.0.11' }] } });
  await waitFor(async () => (await qrouter('ip', 'route')).includes('10.99.0.0/24 via 10.85.0.11'), { timeoutMs: 20_000, intervalMs: 300, description: 'extra route applied' });
  await neutronApi(`/routers/${routerId}`, 'PUT', { router: { routes: [] } });
  await waitFor(async () => !(await qrouter('ip', 'route')).includes('10.99.0.0/24'), { timeoutMs: 20_000, intervalMs: 300, description: 'extra route removed' });
});

test('drift: an SNAT rule deleted by hand comes back', async () => {
  const save = await qrouter('iptables-save', '-t', 'nat');
  const snat = save.split('\n').find((l) => l.startsWith('-A neutron-l3-agent-snat') && l.includes('-j SNAT'));
  assert.ok(snat, `an SNAT rule exists:\n${save}`);
  await qrouter('iptables', '-t', 'nat', '-D', ...snat.slice(3).split(' '));
  await waitFor(async () => (await qrouter('iptables-save', '-t', 'nat')).includes(snat), { timeoutMs: 30_000, intervalMs: 500, description: 'SNAT rule restored' });
});

test('restart: a running ping through the router loses nothing and nothing is re-created', async () => {
  const ifindex = await qrouter('ip', '-o', 'link', 'show');
  const pinger = run('ip', ['netns', 'exec', vm.spec.netns, 'ping', '-i', '0.1', '-w', '8', '198.51.100.1']).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  await new Promise((r) => setTimeout(r, 1000));
  await node.stopProcess(l3!, 10_000);
  l3 = startDaemon(node, 'l3', l3Files);
  await waitForLog(l3, 'registered with neutron-server');
  const out = await pinger;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, out);
  assert.equal(m[1], m[2], `no ping lost: ${m[0]}`);
  assert.equal(await qrouter('ip', '-o', 'link', 'show'), ifindex, 'no device re-created');
});

test('interface remove and add, gateway clear and set', async () => {
  await neutronApi(`/routers/${routerId}/remove_router_interface`, 'PUT', { subnet_id: subnetId });
  await waitFor(async () => !(await vm.ping('198.51.100.1', 1, 1)), { timeoutMs: 20_000, intervalMs: 500, description: 'no route without the interface' });
  await neutronApi(`/routers/${routerId}/add_router_interface`, 'PUT', { subnet_id: subnetId });
  await waitFor(() => vm.ping('198.51.100.1', 1, 2), { timeoutMs: 30_000, intervalMs: 500, description: 'interface back' });
  await neutronApi(`/routers/${routerId}`, 'PUT', { router: { external_gateway_info: {} } });
  await waitFor(async () => !(await qrouter('ip', '-o', 'link', 'show')).includes('qg-'), { timeoutMs: 20_000, intervalMs: 500, description: 'gateway port gone' });
  await neutronApi(`/routers/${routerId}`, 'PUT', { router: { external_gateway_info: { network_id: extNetId } } });
  await waitFor(() => vm.ping('198.51.100.1', 1, 2), { timeoutMs: 30_000, intervalMs: 500, description: 'gateway back' });
});
