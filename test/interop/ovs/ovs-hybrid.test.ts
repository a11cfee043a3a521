/**
 * nucleon-ovs-agent with `firewall_driver = iptables_hybrid` against the real
 * neutron-server, on a private Open vSwitch (netdev datapath) in a node namespace:
 * - two VMs plugged as os-vif's hybrid plug does (tap in qbr, veth qvb/qvo, qvo in
 *   br-int with the iface-id) on one network, with a security group without ingress ICMP;
 * - ports go ACTIVE, the agent reports ovs_hybrid_plug, the node's filter chains are
 *   `neutron-openvswi-*` (no `neutron-linuxbri-*`), br_netfilter is on in the node netns;
 * - ping blocked; an ICMP ingress rule added through the API lets it pass; a spoofed
 *   source address is dropped; the rule removed blocks it again;
 * - one conntrack zone per port in the raw table (keyed by qvb);
 * - a restart of the agent keeps the chains (no iptables restore, counters kept) and a
 *   ping allowed by a rule keeps passing;
 * - an unplugged port's chains go; after the teardown nothing of the run is left.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { ensureNeutronServer, deleteAgents, listAgents, neutronApi, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, runPrefix, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm } from '../../harness/vm.js';
import { pidAlive, startOvs, type OvsInstance } from '../../harness/ovs.js';

const PROJECT = 'nucleon-test';
const MTU = 1450;
let server: NeutronServer;
const conf = new ConfigDir();
let node: TestNode | undefined;
let ovs: OvsInstance | undefined;
let agent: SpawnedProcess | undefined;
let files: string[] = [];
const host = testName('hyb');
const vms: TestVm[] = [];
const created: Array<{ kind: 'networks' | 'ports' | 'security-groups'; id: string }> = [];
let torndown = false;

interface Port { id: string; mac_address: string }

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => execFile(cmd, args, (err, stdout, stderr) => (err ? rej(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : res(String(stdout)))));
}

const agentRuns: SpawnedProcess[] = [];

function startAgent(): SpawnedProcess {
  agent = startDaemon(node!, 'ovs', files, { ...process.env, ...ovs!.env });
  agentRuns.push(agent);
  return agent;
}

/** The firewall's failure and input-problem lines of every agent run of this file. */
function firewallComplaints(): Array<Record<string, unknown>> {
  const msgs = new Set(['firewall reconcile failed; will retry', 'firewall reconcile failed again', 'security group input not applied as given']);
  return agentRuns.flatMap((r) => r.log.json.filter((l) => msgs.has(String(l['msg']))));
}

/** The node's IPv4 filter table as iptables-save prints it (with counters when asked). */
function filterTable(counters = false): Promise<string> {
  return node!.exec(['iptables-save', '-t', 'filter', ...(counters ? ['-c'] : [])]);
}

/** Lines of our chains only, without the save's header/comments/counters: what a restore would rewrite. */
function ownedLines(save: string): string[] {
  return save.split('\n').filter((l) => l.includes('neutron-openvswi-')).map((l) => l.replace(/\[\d+:\d+\]/g, '').trim());
}

async function teardown(): Promise<void> {
  if (torndown) return;
  torndown = true;
  if (agent && node) await node.stopProcess(agent, 10_000);
  for (const vm of vms) await vm.unplug();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  if (ovs) await ovs.stop();
  if (node) await node.cleanup();
  await deleteAgents({ host }).catch(() => undefined);
  conf.remove();
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('hy'));
  ovs = await startOvs({ name: 'hybrid', netns: node.netns });
  // VXLAN tenant networks need tunnelling on; one node has no tunnel peers, so the VTEP
  // only has to exist (a veth in the node namespace: this kernel has no dummy links).
  await node.exec(['ip', 'link', 'add', 'vtep0', 'type', 'veth', 'peer', 'name', 'vtep0p']);
  await node.exec(['ip', 'addr', 'add', '172.31.249.1/24', 'dev', 'vtep0']);
  await node.exec(['ip', 'link', 'set', 'vtep0', 'up']);
  files = [
    conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 } }),
    conf.write('ovs.ini', {
      ovs: { integration_bridge: 'br-int', tunnel_bridge: 'br-tun', local_ip: '172.31.249.1', datapath_type: 'netdev', ovsdb_connection: ovs.dbUrl },
      agent: { tunnel_types: 'vxlan', l2_population: true },
      securitygroup: { enable_security_group: true, firewall_driver: 'iptables_hybrid' },
    }),
  ];
  startAgent();
  await waitForLog(agent!, 'registered with neutron-server', 60_000);
});

after(teardown);

let sgId = '';
let netId = '';
let v1: TestVm, v2: TestVm;

async function hybridVm(ip: string, name: string): Promise<TestVm> {
  const p = await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: netId, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), fixed_ips: [{ ip_address: ip }], security_groups: [sgId] } });
  created.push({ kind: 'ports', id: p.port.id });
  const vm = await TestVm.plugOvsHybrid(node!, { netns: deviceName(name), portId: p.port.id, networkId: netId, mac: p.port.mac_address, cidr: `${ip}/24`, vsctl: (args) => ovs!.vsctl(args), mtu: MTU });
  vms.push(vm);
  return vm;
}

async function waitActive(list: TestVm[]): Promise<void> {
  await waitFor(async () => {
    for (const vm of list) {
      const r = await neutronApi<{ port: { status: string } }>(`/ports/${vm.spec.portId}`);
      if (r.port.status !== 'ACTIVE') return false;
    }
    return true;
  }, { timeoutMs: 60_000, intervalMs: 250, description: 'ports ACTIVE' });
}

/** Pings from `from` to `to` with the source address `src`. */
function pingFrom(from: TestVm, src: string, to: string): Promise<boolean> {
  return run('ip', ['netns', 'exec', from.spec.netns, 'ping', '-c', '2', '-i', '0.2', '-W', '1', '-w', '3', '-I', src, to]).then(() => true, () => false);
}

async function addIcmpRule(): Promise<string> {
  const r = await neutronApi<{ security_group_rule: { id: string } }>('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', project_id: PROJECT } });
  return r.security_group_rule.id;
}

test('hybrid-plugged ports go ACTIVE, filtered in neutron-openvswi-* chains on their taps', async () => {
  const sg = await neutronApi<{ security_group: { id: string } }>('/security-groups', 'POST', { security_group: { name: testName('hsg'), project_id: PROJECT } });
  sgId = sg.security_group.id;
  created.push({ kind: 'security-groups', id: sgId });
  const net = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('hnet'), project_id: PROJECT } });
  netId = net.network.id;
  created.push({ kind: 'networks', id: netId });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: netId, ip_version: 4, cidr: '10.86.0.0/24', enable_dhcp: false, gateway_ip: null, project_id: PROJECT } });
  v1 = await hybridVm('10.86.0.11', 'h1');
  v2 = await hybridVm('10.86.0.12', 'h2');
  await waitActive([v1, v2]);

  const [row] = await listAgents({ host });
  assert.ok(row, 'the agent is registered');
  assert.equal(row.configurations['ovs_hybrid_plug'], true, 'ovs_hybrid_plug reported');
  for (const vm of [v1, v2]) {
    const tag = (await ovs!.vsctl(['get', 'Port', vm.qvo, 'tag'])).trim();
    assert.match(tag, /^\d+$/);
    assert.notEqual(tag, '4095', `${vm.qvo} carries the network's local VLAN`);
  }

  const save = await waitFor(async () => {
    const s = await filterTable();
    return [v1, v2].every((vm) => s.includes(`:neutron-openvswi-i${vm.spec.portId.slice(0, 10)} `)) ? s : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, description: 'per-port chains in the node namespace' });
  assert.doesNotMatch(save, /neutron-linuxbri-/, 'no linuxbridge-agent chains');
  for (const vm of [v1, v2]) {
    const id10 = vm.spec.portId.slice(0, 10);
    for (const kind of ['i', 'o', 's']) assert.match(save, new RegExp(`^:neutron-openvswi-${kind}${id10} `, 'm'), `chain ${kind}${id10}`);
    assert.match(save, new RegExp(`-A neutron-openvswi-sg-chain -m physdev --physdev-out ${vm.tap} --physdev-is-bridged .*-j neutron-openvswi-i${id10}`), 'egress-to-VM jump on the tap');
    assert.match(save, new RegExp(`-A neutron-openvswi-FORWARD -m physdev --physdev-in ${vm.tap} --physdev-is-bridged .*-j neutron-openvswi-sg-chain`), 'from-VM jump on the tap');
  }
  assert.match(save, /-A FORWARD -j neutron-openvswi-FORWARD/);
  assert.match(await node!.exec(['ip6tables-save', '-t', 'filter']), /neutron-openvswi-sg-chain/, 'IPv6 chains too');
  // A conntrack zone per port (Python's CONNTRACK_ZONE_PER_PORT), keyed by its qvb.
  const raw = await node!.exec(['iptables-save', '-t', 'raw']);
  const zones = [v1, v2].map((vm) => new RegExp(`-A neutron-openvswi-PREROUTING -m physdev --physdev-in ${vm.qvb} .*-j CT --zone (\\d+)`).exec(raw)?.[1]);
  assert.ok(zones.every((z) => z !== undefined), `zone rules for both qvb devices:\n${raw}`);
  assert.notEqual(zones[0], zones[1], 'one zone per port');
  // br_netfilter is per network namespace: the agent turned it on in the node's.
  const sysctls = await node!.exec(['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']);
  assert.deepEqual(sysctls.trim().split('\n'), ['1', '1']);
  // The anti-spoofing flows stay on br-int (Python installs them with iptables_hybrid).
  assert.match(await ovs!.ofctl(['dump-flows', 'br-int', 'table=24']), /arp_spa=10\.86\.0\.11/);
  // The start line says which firewall runs.
  assert.ok(agent!.log.json.some((l) => l['msg'] === 'firewall: iptables_hybrid (iptables on each port\'s qbr bridge through br_netfilter, plus anti-spoofing flows on br-int)'));
  assert.ok(!agent!.log.lines.some((l) => l.includes('not implemented')));
});

test('ICMP follows the security group; a spoofed source is dropped; removing the rule blocks again', async () => {
  // Egress is allowed by the group's default rules, ingress ICMP is not.
  assert.equal(await v1.ping('10.86.0.12', 2, 3), false, 'ingress ICMP blocked without a rule');
  const ruleId = await addIcmpRule();
  const ok = await waitFor(() => v1.ping('10.86.0.12'), { timeoutMs: 30_000, description: 'ICMP allowed by the new rule' }).catch(() => false);
  if (!ok) {
    // Say what the node looked like: the chains, their counters, the sysctls.
    const save = await filterTable(true);
    const sys = await node!.exec(['sysctl', 'net.bridge.bridge-nf-call-iptables']).catch((e: Error) => e.message);
    assert.fail(`ping not let through by the rule\n${sys}\n${save}`);
  }
  // The frames went through iptables on the qbr bridge: the ICMP rule in v2's ingress chain counted them.
  const counted = await filterTable(true);
  const icmp = counted.split('\n').find((l) => l.includes(`-A neutron-openvswi-i${v2.spec.portId.slice(0, 10)} `) && l.includes('-p icmp'));
  assert.ok(icmp, `an ICMP rule in v2's ingress chain:\n${counted}`);
  const pkts = Number(/^\[(\d+):/.exec(icmp)?.[1] ?? '0');
  assert.ok(pkts > 0, `the ICMP rule counted packets: ${icmp}`);

  // Spoofing: v2 sends from an address that is not its own: dropped; its own passes.
  // (Its own first: v2 then knows v1's MAC, so the spoofed packets themselves go out,
  // not only ARP requests from the spoofed address, which the bridge table drops.)
  await run('ip', ['-n', v2.spec.netns, 'addr', 'add', '10.86.0.99/24', 'dev', 'eth0']);
  assert.equal(await pingFrom(v2, '10.86.0.12', '10.86.0.11'), true, 'its own address passes');
  assert.equal(await pingFrom(v2, '10.86.0.99', '10.86.0.11'), false, 'spoofed source address dropped');
  // The drop happened in the port's source chain (IP/MAC pairs), not only in br-int's flows.
  const sChain = (await filterTable(true)).split('\n').find((l) => l.startsWith('[') && l.includes(`-A neutron-openvswi-s${v2.spec.portId.slice(0, 10)} `) && l.includes('-j DROP'));
  assert.ok(sChain, 'a DROP rule in the source chain');
  assert.ok(Number(/^\[(\d+):/.exec(sChain)?.[1] ?? '0') > 0, `the source chain dropped the spoofed packets: ${sChain}`);
  await run('ip', ['-n', v2.spec.netns, 'addr', 'del', '10.86.0.99/24', 'dev', 'eth0']);

  await neutronApi(`/security-group-rules/${ruleId}`, 'DELETE');
  await waitFor(async () => !(await v1.ping('10.86.0.12', 1, 2)), { timeoutMs: 30_000, intervalMs: 500, description: 'ICMP blocked again after the rule is removed' });
});

test('an agent restart keeps the chains (no restore, counters kept); allowed pings keep passing', async () => {
  await addIcmpRule();
  assert.equal(await waitFor(() => v1.ping('10.86.0.12'), { timeoutMs: 30_000, description: 'ICMP allowed again' }), true);
  const before = await filterTable(true);
  const chainBefore = ownedLines(before);
  const counterOf = (save: string): number => {
    const l = save.split('\n').find((x) => x.includes(`-A neutron-openvswi-i${v2.spec.portId.slice(0, 10)} `) && x.includes('-p icmp'));
    return Number(/^\[(\d+):/.exec(l ?? '')?.[1] ?? '-1');
  };
  const pktsBefore = counterOf(before);
  assert.ok(pktsBefore > 0);

  const pinger = new Promise<string>((res) => execFile('ip', ['netns', 'exec', v1.spec.netns, 'ping', '-i', '0.2', '-w', '15', '10.86.0.12'], (_e, stdout) => res(String(stdout))));
  await new Promise((r) => setTimeout(r, 1000));
  await node!.stopProcess(agent!, 10_000);
  const next = startAgent();
  await waitForLog(next, 'registered with neutron-server', 60_000);
  // The start's full sync has run once the ports are reported again.
  await waitForLog(next, 'reported device status', 60_000);
  const out = await pinger;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, out);
  assert.equal(m[1], m[2], `no ping lost across the restart: ${m[0]}`);

  const afterSave = await filterTable(true);
  assert.deepEqual(ownedLines(afterSave), chainBefore, 'the same chains and rules');
  assert.ok(counterOf(afterSave) >= pktsBefore, `counters kept (no flush): ${pktsBefore} -> ${counterOf(afterSave)}`);
  const restored = next.log.json.filter((l) => l['msg'] === 'firewall reconciled' && ['iptables4', 'iptables6', 'raw4', 'raw6'].some((k) => l[k] === true));
  assert.deepEqual(restored, [], 'the restarted agent rewrote no iptables chain');
  assert.equal(await v1.ping('10.86.0.12'), true, 'allowed pings pass after the restart');
});

test('an unplugged port\'s chains go; the teardown leaves nothing behind', async () => {
  const id10 = v2.spec.portId.slice(0, 10);
  await v2.unplug();
  await waitFor(async () => !(await filterTable()).includes(`neutron-openvswi-i${id10}`), { timeoutMs: 30_000, intervalMs: 500, description: 'the unplugged port\'s chains removed' });
  const links = await node!.exec(['ip', '-o', 'link', 'show']);
  for (const dev of [v2.tap, v2.qbr, v2.qvb, v2.qvo]) assert.ok(!links.includes(`${dev}:`) && !links.includes(`${dev}@`), `${dev} removed by unplug`);
  assert.ok((await filterTable()).includes(`neutron-openvswi-i${v1.spec.portId.slice(0, 10)}`), 'the other port stays filtered');

  assert.deepEqual(firewallComplaints(), [], 'the firewall never failed nor skipped input');
  const nodeNs = node!.netns;
  const vmNs = vms.map((v) => v.spec.netns);
  const daemons = [ovs!.ovsdbServer.pid, ovs!.vswitchd.pid, agent!.pid];
  await teardown();
  const namespaces = await run('ip', ['netns', 'list']);
  for (const ns of [nodeNs, ...vmNs]) assert.ok(!namespaces.split('\n').some((l) => l.split(' ')[0] === ns), `netns ${ns} removed`);
  for (const pid of daemons) assert.equal(pidAlive(pid), false, `process ${pid} ended`);
  const left = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(conf.dir); } catch { return false; }
  });
  assert.deepEqual(left, [], 'no process of this run left');
  // Links of the run in the root namespace: none were made there, and none leaked there.
  const rootLinks = await run('ip', ['-o', 'link', 'show']);
  assert.ok(!rootLinks.includes(runPrefix()), 'no link of this run in the root namespace');
});
