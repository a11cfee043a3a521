/**
 * nucleon-metadata-agent end to end, with nucleon-linuxbridge-agent and
 * nucleon-dhcp-agent (enable_isolated_metadata) in one node namespace against the
 * real neutron-server: a VM on an isolated network (no router) gets its lease,
 * follows the lease's classless route to 169.254.169.254 via the DHCP port, and
 * `curl http://169.254.169.254/latest/meta-data/instance-id` answers its port's
 * device_id (haproxy in qdhcp → the agent's unix socket → get_ports → a test Nova
 * inside the node that checks the signature). A wrong secret gives Nova's 403.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, repoRoot, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm, dhcpLease, type Lease } from '../../harness/vm.js';

const PROJECT = 'nucleon-test';
const SECRET = `md-${randomUUID()}`;
const NOVA_PORT = 18775;
let server: NeutronServer;
let node: TestNode;
let lb: SpawnedProcess | undefined;
let dhcp: SpawnedProcess | undefined;
let md: SpawnedProcess | undefined;
const conf = new ConfigDir();
const host = testName('md');
const created: Array<{ kind: 'networks' | 'ports'; id: string }> = [];
let netId = '';
let vm: TestVm | undefined;
let deviceId = '';
let base = '';
let lease: Lease | undefined;
const state = () => join(conf.dir, 'state');

let iniCount = 0;
function metadataIni(secret: string): string {
  return conf.write(`metadata_agent-${iniCount++}.ini`, {
    DEFAULT: { nova_metadata_host: '127.0.0.1', nova_metadata_port: NOVA_PORT, metadata_proxy_shared_secret: secret },
    // The machine's Redis is not reachable from inside the node namespace: cache in process.
    cache: { enabled: true, backend: 'dogpile.cache.memory', expiration_time: 60 },
  });
}

async function curl(path: string): Promise<{ code: string; body: string }> {
  const out = execFileSync('ip', ['netns', 'exec', vm!.spec.netns, 'curl', '-s', '-m', '5', '-w', '\n%{http_code}', `http://169.254.169.254${path}`]).toString();
  const i = out.lastIndexOf('\n');
  return { body: out.slice(0, i), code: out.slice(i + 1) };
}

function stopOwnDaemon(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    if (pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(conf.dir)) process.kill(pid, 'SIGTERM');
  } catch { /* gone */ }
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('m'));
  await node.exec(['ip', 'link', 'add', deviceName('mt0'), 'type', 'veth', 'peer', 'name', deviceName('mt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.247.1/24', 'dev', deviceName('mt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('mt0'), 'up']);
  const nova = node.spawnInside(['node', join(repoRoot(), 'dist', 'test', 'integration', 'metadata', 'fake-nova-main.js'), '127.0.0.1', String(NOVA_PORT), SECRET]);
  await waitFor(() => nova.log.lines.some((l) => l.startsWith('listening')), { timeoutMs: 10_000, description: 'test Nova listening in the node' });
  base = conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: state(), interface_driver: 'linuxbridge' }, agent: { report_interval: 5 }, nucleon: { resync_interval: 5 } });
  lb = startDaemon(node, 'linuxbridge', [base, conf.write('linuxbridge_agent.ini', { vxlan: { enable_vxlan: true, local_ip: '172.31.247.1' }, securitygroup: { enable_security_group: false } })]);
  dhcp = startDaemon(node, 'dhcp', [base, conf.write('dhcp_agent.ini', { DEFAULT: { enable_isolated_metadata: true } })]);
  md = startDaemon(node, 'metadata', [base, metadataIni(SECRET)]);
  await waitForLog(lb, 'registered with neutron-server');
  await waitForLog(dhcp, 'registered with neutron-server');
  await waitForLog(md, 'serving metadata');
  await waitForLog(md, 'registered with neutron-server');

  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('mdnet'), project_id: PROJECT } });
  netId = net.network.id;
  created.push({ kind: 'networks', id: netId });
  const agents = await neutronApi<{ agents: Array<{ id: string }> }>(`/agents?host=${host}&agent_type=DHCP%20agent`);
  await neutronApi(`/agents/${agents.agents[0]!.id}/dhcp-networks`, 'POST', { network_id: netId });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: netId, ip_version: 4, cidr: '10.85.0.0/24', enable_dhcp: true, project_id: PROJECT } });
  deviceId = randomUUID();
  const p = await neutronApi<{ port: { id: string; mac_address: string } }>('/ports', 'POST', { port: { network_id: netId, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: deviceId, port_security_enabled: false } });
  created.push({ kind: 'ports', id: p.port.id });
  vm = await TestVm.plug(node, { netns: deviceName('mv'), portId: p.port.id, networkId: netId, mac: p.port.mac_address });
});

after(async () => {
  for (const p of [md, dhcp, lb]) if (p) await node.stopProcess(p, 10_000);
  await vm?.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  // dnsmasq and haproxy outlive the DHCP agent by design: stop ours by pid file.
  stopOwnDaemon(join(state(), 'dhcp', netId, 'pid'));
  stopOwnDaemon(join(state(), 'external', 'pids', `${netId}.pid.haproxy`));
  await node?.cleanup();
  for (const ns of (JSON.parse(execFileSync('ip', ['-json', 'netns', 'list']).toString() || '[]') as Array<{ name: string }>)) {
    if (ns.name === `qdhcp-${netId}`) execFileSync('ip', ['netns', 'del', ns.name]);
  }
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('the VM gets its lease with a route to 169.254.169.254 via the DHCP port', async () => {
  lease = await waitFor(() => dhcpLease(vm!, 3), { timeoutMs: 40_000, intervalMs: 500, description: 'a DHCP lease' });
  const m = /169\.254\.169\.254\/32 (\S+)/.exec(lease.staticroutes ?? '');
  assert.ok(m, `a metadata route in the lease (${lease.staticroutes})`);
  // udhcpc's hook here only records: configure the VM as cloud-init's DHCP client would.
  execFileSync('ip', ['-n', vm!.spec.netns, 'addr', 'add', `${lease.ip}/24`, 'dev', 'eth0']);
  execFileSync('ip', ['-n', vm!.spec.netns, 'route', 'add', '169.254.169.254/32', 'via', m[1]!]);
});

test('curl http://169.254.169.254/latest/meta-data/instance-id in the VM answers its device_id', async () => {
  assert.ok(lease, 'needs the lease');
  const r = await waitFor(async () => { try { const x = await curl('/latest/meta-data/instance-id'); return x.code === '200' ? x : undefined; } catch { return undefined; } },
    { timeoutMs: 30_000, intervalMs: 500, description: 'metadata through haproxy and the agent' });
  assert.equal(r.body, deviceId);
  const j = await curl('/openstack/latest/meta_data.json');
  assert.equal(j.code, '200');
  assert.equal((JSON.parse(j.body) as { uuid: string; project_id: string }).uuid, deviceId);
  assert.equal((JSON.parse(j.body) as { uuid: string; project_id: string }).project_id, PROJECT);
});

test('the metadata agent restarted with a wrong shared secret: Nova\'s 403 reaches the VM', async () => {
  assert.ok(lease, 'needs the lease');
  await node.stopProcess(md!, 10_000);
  const wrong = `wrong-${randomUUID()}`;
  md = startDaemon(node, 'metadata', [base, metadataIni(wrong)]);
  await waitForLog(md, 'serving metadata');
  const r = await waitFor(async () => { try { const x = await curl('/latest/meta-data/instance-id'); return x.code === '403' ? x : undefined; } catch { return undefined; } },
    { timeoutMs: 20_000, intervalMs: 500, description: '403 through haproxy' });
  assert.match(r.body, /403 Forbidden/);
  assert.ok(!md.log.lines.some((l) => l.includes(SECRET) || l.includes(wrong)), 'no secret in the log');
});
