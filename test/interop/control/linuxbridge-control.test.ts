/**
 * The operator surface against a real daemon: nucleon-linuxbridge-agent wired to the
 * real neutron-server, its control socket read by the `nucleon` CLI. With the resync
 * interval long and `repair_own_links = false` (else the link watcher repairs it at
 * once), a vxlan device deleted by hand shows in `nucleon diff` until
 * `nucleon resync` repairs it; `nucleon trace <port>` shows the port's tap, bridge,
 * firewall chains and log lines; /metrics parses as Prometheus text.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ensureNeutronServer, deleteAgents, neutronApi, repoRoot, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm } from '../../harness/vm.js';
import { controlRequest } from '../../../shared/control/index.js';
import { parsePromText, sampleValue } from '../../unit/control/prom-text.js';

const execp = promisify(execFile);
const PROJECT = 'nucleon-test';
let server: NeutronServer;
let node: TestNode;
let agent: SpawnedProcess | undefined;
let vm: TestVm | undefined;
const conf = new ConfigDir();
const host = testName('ctl');
const sock = join(conf.dir, 'lb.sock');
const created: Array<{ kind: 'networks' | 'ports' | 'security-groups'; id: string }> = [];
let portId = '';
let networkId = '';

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await execp('node', [join(repoRoot(), 'dist', 'cli', 'main.js'), ...args, '--socket', sock, '--no-color'], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('c'));
  await node.exec(['ip', 'link', 'add', deviceName('vt0'), 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.247.1/24', 'dev', deviceName('vt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('vt0'), 'up']);
  const files = [
    conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 }, nucleon: { control_socket: sock, resync_interval: 3600, repair_own_links: false } }),
    conf.write('linuxbridge_agent.ini', { vxlan: { enable_vxlan: true, local_ip: '172.31.247.1' }, securitygroup: { enable_security_group: true, firewall_driver: 'iptables' } }),
  ];
  agent = startDaemon(node, 'linuxbridge', files);
  await waitForLog(agent, 'registered with neutron-server');
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('ctlnet'), project_id: PROJECT } });
  networkId = net.network.id;
  created.push({ kind: 'networks', id: networkId });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.82.0.0/24', enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  const p = await neutronApi<{ port: { id: string; mac_address: string } }>('/ports', 'POST', { port: { network_id: networkId, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), fixed_ips: [{ ip_address: '10.82.0.11' }] } });
  portId = p.port.id;
  created.push({ kind: 'ports', id: portId });
  vm = await TestVm.plug(node, { netns: deviceName('cv'), portId, networkId, mac: p.port.mac_address, cidr: '10.82.0.11/24' });
  await waitFor(async () => (await neutronApi<{ port: { status: string } }>(`/ports/${portId}`)).port.status === 'ACTIVE', { timeoutMs: 30_000, description: 'port ACTIVE' });
});

after(async () => {
  if (agent) await node.stopProcess(agent, 10_000);
  await vm?.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  await node?.cleanup();
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('nucleon status shows the daemon, its broker and its last report', async () => {
  const r = await cli('status');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /nucleon-linuxbridge-agent/);
  assert.match(r.out, new RegExp(host));
  const st = await controlRequest(sock, '/status');
  assert.ok(st.ok && st.status === 200, JSON.stringify(st));
  const health = await controlRequest(sock, '/healthz');
  assert.ok(health.ok && health.status === 200, JSON.stringify(health));
});

test('a vxlan device deleted by hand shows in nucleon diff until nucleon resync repairs it', async () => {
  assert.equal((await cli('diff', 'linuxbridge')).code, 0, 'in sync at first');
  const vx = `vxlan-${(JSON.parse(await node.exec(['ip', '-json', '-d', 'link', 'show', 'type', 'vxlan'])) as Array<{ ifname: string }>)[0]!.ifname.slice(6)}`;
  await node.exec(['ip', 'link', 'del', vx]);
  const d = await cli('diff', 'linuxbridge');
  assert.equal(d.code, 1, d.out);
  assert.match(d.out, new RegExp(`link.add ${vx}`));
  const r = await cli('resync', 'linuxbridge');
  assert.equal(r.code, 0, r.out);
  await waitFor(async () => (await cli('diff', 'linuxbridge')).code === 0, { timeoutMs: 20_000, intervalMs: 500, description: 'in sync after resync' });
});

test('nucleon trace <port> shows its tap, bridge, firewall chains and the log lines of its wiring', async () => {
  const t = await cli('trace', portId, '--json');
  assert.equal(t.code, 0, t.out);
  const text = t.out;
  assert.ok(text.includes(`tap${portId.slice(0, 11)}`), 'tap shown');
  assert.ok(text.includes(`brq${networkId.slice(0, 11)}`), 'bridge shown');
  assert.ok(text.includes('neutron-linuxbri-'), 'firewall chains shown');
  assert.ok(text.includes(portId), 'log lines carrying the port id');
});

test('/metrics is Prometheus text with the apply, RPC and memory metrics', async () => {
  const m = await controlRequest(sock, '/metrics');
  assert.ok(m.ok && m.status === 200, JSON.stringify(m));
  const fams = parsePromText(m.text);
  assert.ok(fams.has('nucleon_applies_total'));
  assert.ok(fams.has('nucleon_rpc_calls_total'));
  assert.ok((sampleValue(fams, 'nucleon_process_resident_memory_bytes', {}) ?? sampleValue(fams, 'nucleon_process_resident_memory_bytes', { agent: 'nucleon-linuxbridge-agent' }) ?? 0) > 0);
});
