/**
 * The openvswitch firewall (agents/ovs/firewall) on a real switch: a private OVS in a
 * "hypervisor" namespace, one netdev br-int with a minimal base (table 0 → 60, table 60
 * priority 3 NORMAL), three "VM" namespaces on veths tagged with one local VLAN. The
 * rendered flows (base + firewall) are installed by the agent's flow synchroniser
 * (FlowSync: OpenFlow 1.4, canonical text from `ovs-ofctl parse-flows`), and every apply
 * checks that a second sync sends nothing (conjunction flows included). The zones
 * `zonesToFlush` names are flushed with ConntrackZoneFlusher, and traffic between the
 * VMs shows what the security groups allow.
 *
 * Userspace conntrack (ovs-vswitchd's) serves ct() on the netdev datapath. TCP needs tx
 * offload off on the VM-side veths (KERNEL.md §1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ConntrackZoneFlusher, renderOvsFirewall, zonesToFlush, type OvsFirewallInput, type OvsFirewallRender } from '../../../agents/ovs/firewall/index.js';
import type { FlowSpec, WiredPort } from '../../../agents/ovs/model.js';
import { newRunCookie } from '../../../shared/drivers/ovs/flow-cookie.js';
import { FlowSync, type FlowSyncResult } from '../../../shared/drivers/ovs/flow-sync.js';
import { OvsOfctl } from '../../../shared/drivers/ovs/ovs-ofctl.js';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import type { SgInfo, SgMembers, SgPort, SgRule } from '../../../shared/firewall/types.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { OvsNetns } from './netns.js';

const nets = new OvsNetns();
/** The test network's local VLAN on br-int, hence its conntrack zone. */
const VLAN = 5;
const SUBNET = '10.78.0';
const BASE_FLOWS: FlowSpec[] = [
  { table: 0, priority: 0, match: '', actions: 'resubmit(,60)' },
  { table: 60, priority: 3, match: '', actions: 'NORMAL' },
];
const COOKIE = newRunCookie();

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
let flowSync: FlowSync | undefined;
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

/**
 * Installs base + `flows` with the synchroniser (one bundle); OVS must then hold exactly
 * what was predicted (nothing unconverged), and a second sync must send nothing.
 */
async function sync(flows: FlowSpec[]): Promise<FlowSyncResult> {
  const fs = flowSync as FlowSync;
  const r = await fs.syncFlows('br-int', [...BASE_FLOWS, ...flows], { cookie: COOKIE });
  assert.equal(r.unconverged, 0, 'OVS holds other flows than the synchroniser predicted');
  const again = await fs.syncFlows('br-int', [...BASE_FLOWS, ...flows], { cookie: COOKIE });
  assert.equal(again.flowMods, 0, `a second sync of the same flows sent ${again.flowMods} flow mods`);
  return r;
}

/** Renders, installs, flushes the zones that lost flows. */
async function apply(): Promise<number[]> {
  const r = renderOvsFirewall({ sg: sgInfo(), ports: wiredPorts() });
  assert.deepEqual(r.problems, []);
  await sync(r.flows);
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
  flowSync = new FlowSync(new OvsOfctl(new ExecaCommandRunner(), { rundir: ovs.runDir }));
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

test('two remote groups in rules with one match (one 2/2 flow, two conjunctions), a member in both: either group lets in, leaving one keeps the other', async () => {
  portGroups.set(3, [SG_C]);
  const icmpIn = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } as const;
  groups[SG_B] = [...EGRESS_ALL, { ...icmpIn, remote_group_id: SG_A }, { ...icmpIn, remote_address_group_id: 'ag-1' }];
  // vm1 in SG_A and in the address group; vm3 in the address group only.
  members[SG_A] = { IPv4: [[vm(1).ip, vm(1).mac]], IPv6: [] };
  members['ag-1'] = { IPv4: [[vm(1).ip, null], [vm(3).ip, null]], IPv6: [] };
  await apply();
  const dump = await (ovs as OvsInstance).ofctl(['dump-flows', '--no-stats', 'br-int', 'table=82']);
  // dump-flows prints `icmp,reg5=0x2` for the rendered `reg5=2,ip,nw_proto=1`.
  assert.match(dump, new RegExp(`icmp,reg5=0x${vm(2).ofport.toString(16)} actions=conjunction\\(\\d+,2/2\\),conjunction\\(\\d+,2/2\\)`), `no merged 2/2 flow:\n${dump}`);
  assert.match(dump, new RegExp(`nw_src=${vm(1).ip.replace(/\./g, '\\.')} actions=conjunction\\(\\d+,1/2\\),conjunction\\(\\d+,1/2\\)`), `no shared member flow:\n${dump}`);
  assert.ok(await ping(vm(1), vm(2).ip), 'vm1 (in both) → vm2 not answered');
  assert.ok(await ping(vm(3), vm(2).ip), 'vm3 (address group) → vm2 not answered');
  // vm1 leaves SG_A: still in the address group. The zone is flushed (a member was lost).
  members[SG_A] = { IPv4: [], IPv6: [] };
  assert.deepEqual(await apply(), [VLAN]);
  assert.ok(await ping(vm(1), vm(2).ip), 'vm1 (still in the address group) → vm2 not answered');
  members['ag-1'] = { IPv4: [[vm(3).ip, null]], IPv6: [] };
  assert.deepEqual(await apply(), [VLAN]);
  assert.equal(await ping(vm(1), vm(2).ip), false, 'vm1 (in no group any more) → vm2 answered');
  assert.ok(await ping(vm(3), vm(2).ip), 'vm3 → vm2 not answered after vm1 left');
  delete members['ag-1'];
});

test('overlapping port ranges naming different remote groups (2/2 flows with different masks, one priority): each group gets its own range', async () => {
  portGroups.set(3, [SG_C]);
  const tcpIn = { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp' } as const;
  // 5072-5079 (one mask block, 0x13d0/0xfff8) from SG_A (vm1); 5077 alone (exact) from ag-1 (vm3).
  groups[SG_B] = [...EGRESS_ALL, { ...tcpIn, port_range_min: 5072, port_range_max: 5079, remote_group_id: SG_A }, { ...tcpIn, port_range_min: 5077, port_range_max: 5077, remote_address_group_id: 'ag-1' }];
  members[SG_A] = { IPv4: [[vm(1).ip, vm(1).mac]], IPv6: [] };
  members['ag-1'] = { IPv4: [[vm(3).ip, null]], IPv6: [] };
  await apply();
  const s1 = spawnIn(vm(2).ns, ['nc', '-lk', '5077']);
  const s2 = spawnIn(vm(2).ns, ['nc', '-lk', '5076']);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await tcpConnects(vm(1), vm(2), 5077), 'vm1 (SG_A) → 5077 did not connect');
    assert.ok(await tcpConnects(vm(1), vm(2), 5076), 'vm1 (SG_A) → 5076 did not connect');
    assert.ok(await tcpConnects(vm(3), vm(2), 5077), 'vm3 (ag-1) → 5077 did not connect');
    assert.equal(await tcpConnects(vm(3), vm(2), 5076), false, 'vm3 (ag-1) → 5076 connected');
  } finally {
    await stop(s1.child);
    await stop(s2.child);
    delete members['ag-1'];
  }
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
  // A stateless rule with a remote group: conjunction flows without ct_state.
  const egressIcmp = stateless({ direction: 'egress', ethertype: 'IPv4', protocol: 'icmp' });
  groups[SG_B] = [stateless({ ...icmpIn, remote_group_id: SG_A }), egressIcmp];
  members[SG_A] = { IPv4: [[vm(1).ip, vm(1).mac]], IPv6: [] };
  await apply();
  assert.ok(await ping(vm(1), vm(2).ip), 'member vm1 → stateless vm2 not answered');
  assert.equal(await ping(vm(3), vm(2).ip), false, 'non-member vm3 → stateless vm2 answered');
  members[SG_A] = { IPv4: [], IPv6: [] };
  await apply();
  assert.equal(await ping(vm(1), vm(2).ip), false, 'vm1 → stateless vm2 answered after vm1 left the remote group');
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
  // vm2 stateless, with a remote-group rule: conjunction flows without ct_state.
  sg.security_groups[SG_B] = [
    { direction: 'egress', ethertype: 'IPv4', stateful: false },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 53, port_range_max: 53, remote_group_id: SG_A, stateful: false },
  ];
  sg.sg_member_ips[SG_A] = { IPv4: [[vm(1).ip, vm(1).mac]], IPv6: [] };
  const r = renderOvsFirewall({ sg, ports: wiredPorts(), permittedEthertypes: ['0x88cc'] });
  assert.ok(r.ports.some((p) => p.stateless && p.conjIds.length > 0));
  assert.deepEqual(r.problems, []);
  await sync(r.flows);
  const dumped = (await o.ofctl(['dump-flows', '--no-stats', 'br-int'])).split('\n').filter((l) => l.includes('actions='));
  assert.equal(dumped.length, r.flows.length + BASE_FLOWS.length, 'OVS holds a different number of flows than rendered (two rendered flows collapsed into one?)');
  assert.ok(dumped.some((l) => l.includes('conj_id=')) && dumped.some((l) => l.includes(',1/2)')), 'no conjunction flows installed');
  // Put the scenario state back for any later test.
  last = undefined;
  await apply();
});

/** `n` synthetic ports (ofports 100+, VLAN 6) in one group admitting its own members, plus the VMs' state. */
function defaultGroupAtScale(n: number, memberCount = n): OvsFirewallInput {
  const sg = sgInfo();
  const ports = wiredPorts();
  const rules: SgRule[] = [...EGRESS_ALL, { direction: 'ingress', ethertype: 'IPv4', remote_group_id: 'sg-default' }, { direction: 'ingress', ethertype: 'IPv6', remote_group_id: 'sg-default' }];
  sg.security_groups['sg-default'] = rules;
  sg.sg_member_ips['sg-default'] = { IPv4: [], IPv6: [] };
  for (let i = 1; i <= n; i++) {
    const id = `scale-${i}`;
    const mac = `fa:16:3e:10:00:${i.toString(16).padStart(2, '0')}`;
    const ip = `10.79.0.${i}`;
    sg.devices[id] = { id, device: `tapscale${i}`, mac_address: mac, fixed_ips: [ip], allowed_address_pairs: [], port_security_enabled: true, device_owner: 'compute:nova', security_groups: ['sg-default'], security_group_rules: [] };
    if (i <= memberCount) sg.sg_member_ips['sg-default']?.IPv4.push([ip, mac]);
    ports.push({ portId: id, networkId: 'net-scale', device: `tapscale${i}`, ofport: 99 + i, mac, localVlan: 6, fixedIps: [ip], allowedAddressPairs: [], portSecurityEnabled: true, securityGroupIds: ['sg-default'], deviceOwner: 'compute:nova', adminStateUp: true });
  }
  return { sg, ports };
}

test('50 ports in a group admitting its own members: conjunction flows sync in one bundle, resync sends nothing, a member leaving changes its two member flows only', async () => {
  const o = ovs as OvsInstance;
  const r = renderOvsFirewall(defaultGroupAtScale(50));
  assert.deepEqual(r.problems, []);
  const first = await sync(r.flows);
  const dumped = (await o.ofctl(['dump-flows', '--no-stats', 'br-int'])).split('\n').filter((l) => l.includes('actions='));
  assert.equal(dumped.length, r.flows.length + BASE_FLOWS.length);
  const memberFlows = dumped.filter((l) => l.includes('reg6=0x6') && l.includes(',1/2)'));
  // One flow per member and conntrack state (IPv4 members only).
  assert.equal(memberFlows.length, 2 * 50);
  console.log(`ovs firewall at scale: 50 ports + 3 VMs, ${r.flows.length} flows installed in one bundle (${first.added} added)`);
  // The 50th port leaves the group's members (its port stays): exactly its two member flows go, and VLAN 6 is flushed.
  const r2 = renderOvsFirewall(defaultGroupAtScale(50, 49));
  const change = await sync(r2.flows);
  assert.deepEqual({ added: change.added, modified: change.modified, deleted: change.deleted }, { added: 0, modified: 0, deleted: 2 });
  assert.deepEqual(zonesToFlush(r, r2), [6]);
  last = undefined;
  await apply();
});
