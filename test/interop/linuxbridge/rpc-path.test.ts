/**
 * nucleon-linuxbridge-agent with `[nucleon] resource_cache = false`: device details come
 * from get_devices_details_list and the firewall's input from
 * security_group_info_for_devices, as before the resource cache (the other interop
 * tests run with the cache, the default). Against the real neutron-server and kernel:
 * two ports in a group whose ICMP rule names the group itself as remote go ACTIVE and
 * ping each other (member IPs from the server), a spoofed source is dropped, removing
 * the rule closes pings again. Everything lives in per-run namespaces, removed at the end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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
const host = testName('lbrpc');
const vms: TestVm[] = [];
const created: Array<{ kind: 'networks' | 'ports' | 'security-groups'; id: string }> = [];
let sg = '';
let vm1: TestVm;

interface Port { id: string; mac_address: string; status: string }

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('r'));
  await node.exec(['ip', 'link', 'add', deviceName('vt0'), 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.248.1/24', 'dev', deviceName('vt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('vt0'), 'up']);
  const files = [
    conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 } }),
    conf.write('linuxbridge_agent.ini', {
      vxlan: { enable_vxlan: true, local_ip: '172.31.248.1' },
      securitygroup: { enable_security_group: true, firewall_driver: 'iptables' },
      nucleon: { resource_cache: false },
    }),
  ];
  agent = startDaemon(node, 'linuxbridge', files);
  await waitForLog(agent, 'registered with neutron-server');

  const g = await neutronApi<{ security_group: { id: string } }>('/security-groups', 'POST', { security_group: { name: testName('rpcsg'), project_id: PROJECT } });
  sg = g.security_group.id;
  created.push({ kind: 'security-groups', id: sg });
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('rpcnet'), project_id: PROJECT } });
  created.push({ kind: 'networks', id: net.network.id });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: net.network.id, ip_version: 4, cidr: '10.82.0.0/24', enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  const ports: Port[] = [];
  for (const ip of ['10.82.0.11', '10.82.0.12']) {
    const p = await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: net.network.id, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), security_groups: [sg], fixed_ips: [{ ip_address: ip }] } });
    created.push({ kind: 'ports', id: p.port.id });
    ports.push(p.port);
  }
  vm1 = await TestVm.plug(node, { netns: deviceName('x1'), portId: ports[0]!.id, networkId: net.network.id, mac: ports[0]!.mac_address, cidr: '10.82.0.11/24' });
  const vm2 = await TestVm.plug(node, { netns: deviceName('x2'), portId: ports[1]!.id, networkId: net.network.id, mac: ports[1]!.mac_address, cidr: '10.82.0.12/24' });
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

test('resource_cache = false: no resource cache is started; details and security groups are asked of the server', async () => {
  // The server marks a port ACTIVE in its database before it replies to
  // update_device_list, so the agent's log line can trail the ACTIVE status seen by
  // `before` by a moment (CI once read the log in that gap).
  await waitForLog(agent!, 'reported device status', 15_000);
  const msgs = agent!.log.json.map((l) => l['msg']);
  assert.ok(msgs.includes('device details and security groups are asked of the server'), 'the agent says where details come from');
  assert.ok(!msgs.includes('resource cache filled'), 'no resource cache');
});

test('a remote-group ICMP rule opens pings between the members; removing it closes them; a spoofed source is dropped', async () => {
  assert.equal(await vm1.ping('10.82.0.12', 1, 2), false, 'no ingress rule: blocked');
  const rule = await neutronApi<{ security_group_rule: { id: string } }>('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: sg, project_id: PROJECT } });
  await waitFor(() => vm1.ping('10.82.0.12', 1, 2), { timeoutMs: 20_000, intervalMs: 500, description: 'ping allowed by the new rule' });
  const sh = (args: string[]) => new Promise<boolean>((res) => execFile('ip', ['netns', 'exec', vm1.spec.netns, ...args], (e) => res(!e)));
  await sh(['ip', 'addr', 'add', '10.82.0.99/24', 'dev', 'eth0']);
  assert.equal(await sh(['ping', '-c', '1', '-W', '1', '-I', '10.82.0.99', '10.82.0.12']), false, 'spoofed source dropped');
  await neutronApi(`/security-group-rules/${rule.security_group_rule.id}`, 'DELETE');
  await waitFor(async () => !(await vm1.ping('10.82.0.12', 1, 2)), { timeoutMs: 20_000, intervalMs: 500, description: 'ping blocked again' });
});
