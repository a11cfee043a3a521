/**
 * The openvswitch firewall (agents/ovs/firewall) on a real switch: a private OVS in a
 * "hypervisor" namespace, one netdev br-int with a minimal base (table 0 → 60, table 60
 * priority 3 NORMAL), three "VM" namespaces on veths tagged with one local VLAN. The
 * rendered flows are installed with plain `ovs-ofctl replace-flows` (base + firewall),
 * the zones `zonesToFlush` names are flushed with ConntrackZoneFlusher, and traffic
 * between the VMs shows what the security groups allow.
 *
 * Userspace conntrack (ovs-vswitchd's) serves ct() on the netdev datapath. TCP needs tx
 * offload off on the VM-side veths (KERNEL.md §1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConntrackZoneFlusher, flowsText, renderOvsFirewall, zonesToFlush, type OvsFirewallRender } from '../../../agents/ovs/firewall/index.js';
import type { WiredPort } from '../../../agents/ovs/model.js';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import type { SgInfo, SgMembers, SgPort, SgRule } from '../../../shared/firewall/types.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { OvsNetns } from './netns.js';

const nets = new OvsNetns();
/** The test network's local VLAN on br-int, hence its conntrack zone. */
const VLAN = 5;
const SUBNET = '10.78.0';
const BASE_FLOWS = 'table=0,priority=0,actions=resubmit(,60)\ntable=60,priority=3,actions=NORMAL\n';

interface Vm {
  name: string;
  ns: string;
  tap: string;
  mac: string;
  ip: string;
  portId: string;
  ofport: number;
}
const vms: Vm[] = [];
const vm = (i: number): Vm => vms[i - 1] as Vm;

/** Security-group state the tests edit; rendered in full on every apply. */
const SG_A = 'sg-a';
const SG_B = 'sg-b';
const SG_C = 'sg-c';
const EGRESS_ALL: SgRule[] = [
  { direction: 'egress', ethertype: 'IPv4' },
  { direction: 'egress', ethertype: 'IPv6' },
];
const groups: Record<string, SgRule[]> = { [SG_A]: [...EGRESS_ALL], [SG_B]: [...EGRESS_ALL], [SG_C]: [...EGRESS_ALL] };
const members: Record<string, SgMembers> = {};
/** Per VM (1-based): its groups, or null for port security off. */
const portGroups = new Map<number, string[] | null>([[1, [SG_A]], [2, [SG_B]], [3, null]]);

let host = '';
let ovs: OvsInstance | undefined;
let flowFile = '';
let last: OvsFirewallRender | undefined;
let flusher: ConntrackZoneFlusher | undefined;
const children = new Set<ChildProcess>();

function sgInfo(): SgInfo {
  const devices: Record<string, SgPort> = {};
  for (const [i, sgs] of portGroups) {
    const v = vm(i);
    devices[v.portId] = {
      id: v.portId,
      device: v.tap,
      mac_address: v.mac,
      fixed_ips: [v.ip],
      allowed_address_pairs: [],
      port_security_enabled: sgs !== null,
      device_owner: 'compute:nova',
      security_groups: sgs ?? [],
      security_group_rules: [],
    };
  }
  return { devices, security_groups: structuredClone(groups), sg_member_ips: structuredClone(members), trusted_devices: [] };
}

function wiredPorts(): WiredPort[] {
  return vms.map((v) => ({
    portId: v.portId,
    networkId: 'net-1',
    device: v.tap,
    ofport: v.ofport,
    mac: v.mac,
    localVlan: VLAN,
    fixedIps: [v.ip],
    allowedAddressPairs: [],
    portSecurityEnabled: portGroups.get(Number(v.name.slice(2))) !== null,
    securityGroupIds: portGroups.get(Number(v.name.slice(2))) ?? [],
    deviceOwner: 'compute:nova',
    adminStateUp: true,
  }));
}

/** Renders, installs (base + firewall in one replace-flows), flushes the zones that lost flows. */
async function apply(): Promise<number[]> {
  const o = ovs as OvsInstance;
  const r = renderOvsFirewall({ sg: sgInfo(), ports: wiredPorts() });
  assert.deepEqual(r.problems, []);
  writeFileSync(flowFile, BASE_FLOWS + flowsText(r.flows));
  // Quirk (ovs-ofctl 3.1): plain `replace-flows` fails on these flows with "switch does
  // not support any of the usable flow formats (OXM,NXM+table_id)"; with --bundle
  // (OpenFlow 1.4, one atomic transaction) it works.
  await o.ofctl(['--bundle', 'replace-flows', 'br-int', flowFile]);
  const zones = zonesToFlush(last, r);
  last = r;
  const res = await (flusher as ConntrackZoneFlusher).flushZones(zones);
  assert.deepEqual(res.failed.map((f) => f.error.message), []);
  return zones;
}

async function ping(from: Vm, to: string, count = 2): Promise<boolean> {
  const r = await nets.exec(from.ns, ['ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', to], { reject: false });
  return r.exitCode === 0;
}

/** Our own child in a namespace; killed by PID in `after` if still running. */
function spawnIn(ns: string, argv: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    child.once('exit', () => res());
    if (child.pid !== undefined) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
}

async function until(pred: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pred();
}

const UDP_RECEIVER = [
  'import socket, sys',
  's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
  "s.bind(('0.0.0.0', int(sys.argv[1])))",
  'while True:',
  '    data, addr = s.recvfrom(2048)',
  "    print(addr[0], data.decode(errors='replace'), flush=True)",
].join('\n');
const UDP_SENDER = [
  'import socket, sys',
  's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
  "s.bind((sys.argv[1], 0))",
  'for _ in range(3): s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))',
].join('\n');

/** Sends 3 datagrams `msg` from `src` (an address of the VM) to `to:port`. */
async function udpSend(from: Vm, src: string, to: Vm, port: number, msg: string): Promise<void> {
  await nets.exec(from.ns, ['/usr/bin/python3', '-c', UDP_SENDER, src, to.ip, String(port), msg]);
}

/** nc -z: TCP connect only; true when the handshake completed. */
async function tcpConnects(from: Vm, to: Vm, port: number): Promise<boolean> {
  const r = await nets.exec(from.ns, ['nc', '-z', '-w', '2', to.ip, String(port)], { reject: false });
  return r.exitCode === 0;
}

async function conntrackZone(): Promise<string> {
  return (ovs as OvsInstance).appctl(['dpctl/dump-conntrack', `zone=${VLAN}`]);
}

before(async () => {
  host = await nets.add('hv');
  for (let i = 1; i <= 3; i++) {
    const ns = await nets.add(`vm${i}`);
    vms.push({ name: `vm${i}`, ns, tap: `tap${i}`, mac: `fa:16:3e:00:0${i}:0${i}`, ip: `${SUBNET}.${i}`, portId: `port-${i}`, ofport: 0 });
  }
  ovs = await startOvs({ name: 'fw', netns: host });
  flowFile = join(ovs.dir, 'flows.txt');
  flusher = new ConntrackZoneFlusher({ runner: new ExecaCommandRunner(), datapathType: 'netdev', appctlTarget: ovs.vswitchdCtl, env: ovs.env });
  await ovs.vsctl(['add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev', 'fail_mode=secure']);
  for (const v of vms) {
    await nets.ip(host, ['link', 'add', v.tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', v.ns]);
    await nets.ip(host, ['link', 'set', v.tap, 'up']);
    await nets.ip(v.ns, ['link', 'set', 'eth0', 'address', v.mac]);
    await nets.ip(v.ns, ['addr', 'add', `${v.ip}/24`, 'dev', 'eth0']);
    await nets.ip(v.ns, ['link', 'set', 'eth0', 'up']);
    await nets.exec(v.ns, ['ethtool', '-K', 'eth0', 'tx', 'off']);
    await ovs.vsctl(['add-port', 'br-int', v.tap, `tag=${VLAN}`, '--', 'set', 'Interface', v.tap, `external_ids:iface-id=${v.portId}`]);
    v.ofport = Number((await ovs.vsctl(['get', 'Interface', v.tap, 'ofport'])).trim());
    assert.ok(v.ofport > 0, `${v.tap} has no ofport`);
  }
  await apply();
});

after(async () => {
  try {
    for (const c of [...children]) await stop(c);
    await ovs?.stop();
  } finally {
    await nets.cleanup();
  }
});

test('the firewall owns table 60 ≥ 90 and tables 71–94; ARP passes, so does traffic to a port-security-off VM', async () => {
  const dump = await (ovs as OvsInstance).ofctl(['dump-flows', 'br-int']);
  assert.match(dump, /table=60, .*priority=100,in_port=/);
  assert.match(dump, /table=73, .*priority=100,reg6=0x5,dl_dst=fa:16:3e:00:01:01/);
  assert.ok(await ping(vm(1), vm(3).ip), 'vm1 → vm3 (port security off): no ping');
});

test('ICMP to a port is dropped without an ingress rule, allowed with one, and stops, established, when the rule goes', async () => {
  assert.equal(await ping(vm(1), vm(2).ip), false, 'vm1 → vm2 answered without an ingress rule');

  const icmpIn: SgRule = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' };
  groups[SG_B] = [...EGRESS_ALL, icmpIn];
  assert.deepEqual(await apply(), [], 'adding a rule must not flush');
  assert.ok(await ping(vm(1), vm(2).ip), 'vm1 → vm2 not answered with an ingress ICMP rule');

  // One long-running ping (one ICMP id: one conntrack entry, established).
  const p = spawnIn(vm(1).ns, ['ping', '-n', '-i', '0.2', vm(2).ip]);
  const replies = (): number => (p.out().match(/bytes from/g) ?? []).length;
  assert.ok(await until(() => replies() >= 3, 5000), `continuous ping got no replies:\n${p.out()}`);
  assert.match(await conntrackZone(), new RegExp(`icmp,orig=\\(src=${vm(1).ip},dst=${vm(2).ip}`));

  groups[SG_B] = [...EGRESS_ALL];
  assert.deepEqual(await apply(), [VLAN], 'removing a rule must flush the network zone');
  await new Promise((r) => setTimeout(r, 600));
  const afterRemoval = replies();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(replies(), afterRemoval, `established ping still answered after the rule was removed:\n${p.out().slice(-400)}`);
  assert.doesNotMatch(await conntrackZone(), new RegExp(`icmp,orig=\\(src=${vm(1).ip},dst=${vm(2).ip}`));
  await stop(p.child);
  assert.equal(await ping(vm(1), vm(2).ip), false, 'vm1 → vm2 answered after the rule was removed');
});

test('TCP to an allowed port range connects; a port outside it does not', async () => {
  groups[SG_B] = [...EGRESS_ALL, { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 5076, port_range_max: 5077 }];
  await apply();
  const s1 = spawnIn(vm(2).ns, ['nc', '-lk', '5077']);
  const s2 = spawnIn(vm(2).ns, ['nc', '-lk', '5079']);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await tcpConnects(vm(1), vm(2), 5077), 'TCP 5077 (allowed) did not connect');
    assert.equal(await tcpConnects(vm(1), vm(2), 5079), false, 'TCP 5079 (not allowed) connected');
  } finally {
    await stop(s1.child);
    await stop(s2.child);
  }
});

test('a spoofed source IP or source MAC from a filtered VM is dropped; from a port-security-off VM it passes', async () => {
  const port = 5099;
  groups[SG_B] = [...EGRESS_ALL, { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: port, port_range_max: port }];
  await apply();
  const rx = spawnIn(vm(2).ns, ['/usr/bin/python3', '-c', UDP_RECEIVER, String(port)]);
  const got = (msg: string): boolean => rx.out().includes(msg);
  try {
    await new Promise((r) => setTimeout(r, 300));
    // vm1 reaches vm2 once ARP is done; afterwards the spoofed sends need no ARP.
    await udpSend(vm(1), vm(1).ip, vm(2), port, 'legit-1');
    assert.ok(await until(() => got('legit-1'), 3000), `legit datagram not received:\n${rx.out()}`);

    await nets.ip(vm(1).ns, ['addr', 'add', `${SUBNET}.99/32`, 'dev', 'eth0']);
    await nets.ip(vm(1).ns, ['neigh', 'replace', vm(2).ip, 'lladdr', vm(2).mac, 'dev', 'eth0', 'nud', 'permanent']);
    await udpSend(vm(1), `${SUBNET}.99`, vm(2), port, 'spoofed-ip-1');

    await nets.ip(vm(1).ns, ['link', 'set', 'eth0', 'address', 'fa:16:3e:00:01:99']);
    await udpSend(vm(1), vm(1).ip, vm(2), port, 'spoofed-mac-1');
    await nets.ip(vm(1).ns, ['link', 'set', 'eth0', 'address', vm(1).mac]);
    await udpSend(vm(1), vm(1).ip, vm(2), port, 'legit-2');
    assert.ok(await until(() => got('legit-2'), 3000), `second legit datagram not received:\n${rx.out()}`);
    assert.equal(got('spoofed-ip-1'), false, 'datagram from a spoofed IP was delivered');
    assert.equal(got('spoofed-mac-1'), false, 'datagram from a spoofed MAC was delivered');

    // vm3 has port security off: its spoofed IP and MAC pass (vm2's rule allows any source).
    await nets.ip(vm(3).ns, ['addr', 'add', `${SUBNET}.98/32`, 'dev', 'eth0']);
    await nets.ip(vm(3).ns, ['neigh', 'replace', vm(2).ip, 'lladdr', vm(2).mac, 'dev', 'eth0', 'nud', 'permanent']);
    await nets.ip(vm(3).ns, ['link', 'set', 'eth0', 'address', 'fa:16:3e:00:03:98']);
    await udpSend(vm(3), `${SUBNET}.98`, vm(2), port, 'unfiltered-spoof');
    assert.ok(await until(() => got('unfiltered-spoof'), 3000), `spoofed datagram from the port-security-off VM not received:\n${rx.out()}`);
  } finally {
    await stop(rx.child);
    await nets.ip(vm(1).ns, ['addr', 'del', `${SUBNET}.99/32`, 'dev', 'eth0']).catch(() => undefined);
    await nets.ip(vm(3).ns, ['link', 'set', 'eth0', 'address', vm(3).mac]).catch(() => undefined);
    await nets.ip(vm(3).ns, ['addr', 'del', `${SUBNET}.98/32`, 'dev', 'eth0']).catch(() => undefined);
    for (const v of [vm(1), vm(3)]) await nets.ip(v.ns, ['neigh', 'flush', 'dev', 'eth0']).catch(() => undefined);
  }
});

test('remote_group_id: a member of the remote group gets in, a non-member does not; a removed member is cut off', async () => {
  // vm3 now filtered, in its own group (not a member of SG_A).
  portGroups.set(3, [SG_C]);
  groups[SG_B] = [...EGRESS_ALL, { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: SG_A }];
  members[SG_A] = { IPv4: [[vm(1).ip, vm(1).mac]], IPv6: [] };
  await apply();
  assert.ok(await ping(vm(1), vm(2).ip), 'member vm1 → vm2 not answered');
  assert.equal(await ping(vm(3), vm(2).ip), false, 'non-member vm3 → vm2 answered');
  // Control: the same vm3 gets in once it is a member.
  members[SG_A] = { IPv4: [[vm(1).ip, vm(1).mac], [vm(3).ip, vm(3).mac]], IPv6: [] };
  assert.deepEqual(await apply(), [], 'adding a member must not flush');
  assert.ok(await ping(vm(3), vm(2).ip), 'vm3 → vm2 not answered once vm3 is a member');

  members[SG_A] = { IPv4: [], IPv6: [] };
  assert.deepEqual(await apply(), [VLAN], 'removing a member must flush the zone');
  assert.equal(await ping(vm(1), vm(2).ip), false, 'vm1 → vm2 answered after vm1 left the remote group');
});

test('stateless group: each direction needs its own rule, and its rules table has no conntrack actions', async () => {
  portGroups.set(3, null);
  const stateless = (r: SgRule): SgRule => ({ ...r, stateful: false });
  const icmpIn = stateless({ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' });
  // Ingress ICMP only: the echo request gets in, the reply cannot leave.
  groups[SG_B] = [icmpIn];
  await apply();
  assert.equal(await ping(vm(1), vm(2).ip), false, 'reply left a stateless port without an egress rule');
  groups[SG_B] = [icmpIn, stateless({ direction: 'egress', ethertype: 'IPv4', protocol: 'icmp' })];
  await apply();
  assert.ok(await ping(vm(1), vm(2).ip), 'stateless ICMP both ways not answered');
  const dump = await (ovs as OvsInstance).ofctl(['dump-flows', 'br-int', `table=82,reg5=${vm(2).ofport}`]);
  assert.doesNotMatch(dump, /ct\(commit/, 'stateless port has conntrack commits');
});

test('every kind of flow the renderer makes is accepted by ovs-ofctl (IPv6, pairs, ranges, ICMP type/code, remote groups, ethertypes)', async () => {
  const o = ovs as OvsInstance;
  const sg = sgInfo();
  const dev1 = sg.devices[vm(1).portId] as SgPort;
  dev1.fixed_ips = [vm(1).ip, '2001:db8::1'];
  dev1.allowed_address_pairs = [
    { ip_address: '10.78.1.0/24', mac_address: 'fa:16:3e:00:01:aa' },
    { ip_address: '2001:db8:1::/64', mac_address: vm(1).mac },
    { ip_address: '0.0.0.0/0', mac_address: 'fa:16:3e:00:01:bb' },
  ];
  sg.security_groups[SG_A] = [
    ...EGRESS_ALL,
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 1, port_range_max: 65535, source_ip_prefix: '10.0.0.0/8' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 40, port_range_max: 105, source_port_range_min: 53, source_port_range_max: 53 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'sctp', port_range_min: 9 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8, port_range_max: 0 },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128 },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: SG_B },
    { direction: 'egress', ethertype: 'IPv4', protocol: '47', dest_ip_prefix: '192.0.2.7/32' },
    { direction: 'egress', ethertype: 'IPv6', protocol: 'udp', remote_address_group_id: 'ag-1' },
  ];
  sg.sg_member_ips[SG_B] = { IPv4: [], IPv6: [['2001:db8::2', vm(2).mac], ['::/0', 'fa:16:3e:00:02:bb']] };
  sg.sg_member_ips['ag-1'] = { IPv4: [], IPv6: [['2001:db8:9::/48', null]] };
  const r = renderOvsFirewall({ sg, ports: wiredPorts(), permittedEthertypes: ['0x88cc'] });
  assert.deepEqual(r.problems, []);
  const file = join(o.dir, 'all-kinds.txt');
  writeFileSync(file, BASE_FLOWS + flowsText(r.flows));
  await o.ofctl(['--bundle', 'replace-flows', 'br-int', file]);
  const dumped = (await o.ofctl(['dump-flows', '--no-stats', 'br-int'])).split('\n').filter((l) => l.includes('actions='));
  assert.equal(dumped.length, r.flows.length + 2, 'OVS holds a different number of flows than rendered (two rendered flows collapsed into one?)');
  // Put the scenario state back for any later test.
  last = undefined;
  await apply();
});
