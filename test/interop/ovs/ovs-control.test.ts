/**
 * `nucleon diff` and `nucleon trace` against a real nucleon-ovs-agent: one node with a
 * private Open vSwitch (netdev datapath), the real neutron-server, one VM port on a
 * flat provider network (br-ex created by the test, so no tunnelling is needed) with
 * the openvswitch firewall. With the resync interval long (300 s) nothing repairs a
 * flow deleted by hand until asked:
 * - diff is empty once the port is ACTIVE (converged);
 * - after `ovs-ofctl del-flows br-int table=60`, diff lists the missing table-60 adds
 *   (and nothing was applied: the flows are still missing); `nucleon resync` repairs it;
 * - trace <port> shows the cache's view, the OVSDB row (tag, ofport), the local VLAN,
 *   "reported up", and br-int flows of its ofport/MAC and local VLAN.
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
import { startOvs, type OvsInstance } from '../../harness/ovs.js';

const execp = promisify(execFile);
const PROJECT = 'nucleon-test';
const conf = new ConfigDir();
const host = testName('ovsctl');
const physnet = testName('cpn');
const sock = join(conf.dir, 'ovs.sock');
let server: NeutronServer;
let node: TestNode | undefined;
let ovs: OvsInstance | undefined;
let agent: SpawnedProcess | undefined;
let vm: TestVm | undefined;
const created: Array<{ kind: 'networks' | 'ports'; id: string }> = [];
let portId = '';
let networkId = '';
let mac = '';

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
  node = await TestNode.create(deviceName('oc'));
  ovs = await startOvs({ name: 'ctl', netns: node.netns });
  // The operator's provider bridge (no uplink: the test needs wiring, not traffic out).
  await ovs.vsctl(['--', 'add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev']);
  const files = [
    conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 }, nucleon: { control_socket: sock, resync_interval: 300 } }),
    conf.write('ovs.ini', {
      ovs: { integration_bridge: 'br-int', datapath_type: 'netdev', ovsdb_connection: ovs.dbUrl, bridge_mappings: `${physnet}:br-ex` },
      securitygroup: { firewall_driver: 'openvswitch' },
    }),
  ];
  agent = startDaemon(node, 'ovs', files, { ...process.env, ...ovs.env });
  await waitForLog(agent, 'registered with neutron-server', 60_000);
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('cflat'), project_id: PROJECT, 'provider:network_type': 'flat', 'provider:physical_network': physnet } });
  networkId = net.network.id;
  created.push({ kind: 'networks', id: networkId });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.85.0.0/24', enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  const p = await neutronApi<{ port: { id: string; mac_address: string } }>('/ports', 'POST', { port: { network_id: networkId, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), fixed_ips: [{ ip_address: '10.85.0.11' }] } });
  portId = p.port.id;
  mac = p.port.mac_address;
  created.push({ kind: 'ports', id: portId });
  const o = ovs;
  vm = await TestVm.plugOvs(node, { netns: deviceName('ov1'), portId, networkId, mac, cidr: '10.85.0.11/24', vsctl: (args) => o.vsctl(args) });
  await waitFor(async () => (await neutronApi<{ port: { status: string } }>(`/ports/${portId}`)).port.status === 'ACTIVE', { timeoutMs: 45_000, intervalMs: 250, description: 'port ACTIVE' });
});

after(async () => {
  if (agent && node) await node.stopProcess(agent, 10_000);
  await vm?.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  await ovs?.stop();
  await node?.cleanup();
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('diff is empty when converged; a table deleted by hand shows as pending adds until resync repairs it', async (t) => {
  // ACTIVE comes with the report; the cache push of that status may still cause one more pass.
  await waitFor(async () => (await cli('diff', 'ovs')).code === 0, { timeoutMs: 20_000, intervalMs: 500, description: 'diff empty (converged)' });
  const inSync = await cli('diff', 'ovs');
  assert.match(inSync.out, /in sync, nothing to change/);

  await ovs!.ofctl(['del-flows', 'br-int', 'table=60']);
  const d = await cli('diff', 'ovs', '--json');
  assert.equal(d.code, 1, d.out);
  const ops = (JSON.parse(d.out) as { ops: Array<{ key: string; op: string; description: string }> }).ops;
  assert.ok(ops.every((o) => o.key === 'flows:br-int'), `only br-int flows pending: ${d.out}`);
  const summary = ops.find((o) => o.op === 'flows.bundle');
  assert.ok(summary, d.out);
  const adds = ops.filter((o) => o.op === 'flow.add');
  assert.ok(adds.length > 0 && adds.every((o) => o.description.startsWith('missing: add ') && o.description.includes('table=60,')), d.out);
  const added = Number(/^(\d+) add, 0 modify, 0 delete/.exec(summary.description)?.[1]);
  assert.ok(added >= adds.length, summary.description);
  assert.match(summary.description, /^\d+ add, 0 modify, 0 delete \(\d+ unchanged\)/);
  // A dry run: the flows are still missing.
  assert.doesNotMatch(await ovs!.ofctl(['dump-flows', 'br-int', 'table=60']), /priority=/);
  const table = await cli('diff', 'ovs');
  assert.match(table.out, /pending change/);
  assert.match(table.out, /flow\.add/);
  t.diagnostic(table.out);

  assert.equal((await cli('resync', 'ovs')).code, 0);
  await waitFor(async () => (await cli('diff', 'ovs')).code === 0, { timeoutMs: 20_000, intervalMs: 500, description: 'in sync after resync' });
  assert.match(await ovs!.ofctl(['dump-flows', 'br-int', 'table=60']), /priority=/);
});

test('trace <port> shows its cache facts, tag, ofport, local VLAN, report and br-int flows', async (tc) => {
  const tag = Number((await ovs!.vsctl(['get', 'Port', vm!.tap, 'tag'])).trim());
  const ofport = Number((await ovs!.vsctl(['get', 'Interface', vm!.tap, 'ofport'])).trim());
  assert.ok(tag >= 1 && tag < 4095, `tag ${tag}`);
  const t = await cli('trace', portId, '--json');
  assert.equal(t.code, 0, t.out);
  const results = JSON.parse(t.out) as Array<{ answer?: Record<string, unknown> }>;
  const a = results[0]?.answer ?? {};
  assert.equal(a['daemon'], 'nucleon-ovs-agent');
  const cache = a['cache'] as Record<string, unknown>;
  assert.equal(cache['network_id'], networkId);
  assert.equal(cache['network_type'], 'flat');
  assert.equal(cache['physical_network'], physnet);
  assert.equal(cache['admin_state_up'], true);
  assert.equal((cache['security_groups'] as string[]).length, 1, 'the default security group');
  const row = a['ovsdb'] as Record<string, unknown>;
  assert.equal(row['interface'], vm!.tap);
  assert.equal(row['bridge'], 'br-int');
  assert.equal(row['tag'], tag);
  assert.equal(row['ofport'], ofport);
  assert.equal((row['other_config'] as Record<string, string>)['net_uuid'], networkId);
  assert.equal((a['local_vlan'] as Record<string, unknown>)['local_vlan'], tag);
  assert.equal((a['wiring'] as Record<string, unknown>)['state'], 'wired');
  assert.equal(a['reported'], 'up');
  const flows = a['flows'] as { port: { count: number; lines: string[] }; network: { count: number; lines: string[] } };
  assert.ok(flows.port.count > 0, t.out);
  assert.ok(flows.port.lines.some((l) => l.includes(`in_port=${ofport}`)), 'the port’s table-0/60 flows');
  assert.ok(flows.port.lines.some((l) => l.includes(`reg5=0x${ofport.toString(16)}`)), 'its firewall flows');
  assert.ok(flows.port.lines.some((l) => l.includes(mac)), 'flows on its MAC');
  assert.ok(flows.network.count > 0, 'its network’s VLAN flows (br-ex side: int-br-ex in table 0)');
  assert.ok(Array.isArray(a['log_lines']) && (a['log_lines'] as unknown[]).length > 0, 'log lines carrying the port id');

  const text = await cli('trace', portId);
  assert.equal(text.code, 0, text.out);
  assert.match(text.out, /nucleon-ovs-agent on /);
  assert.match(text.out, /port wired/);
  tc.diagnostic(text.out);
});
