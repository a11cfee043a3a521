/**
 * Two OVS nodes joined by VXLAN, wired by hand the way the Python agent wires them and
 * programmed only with our rendered br-int / br-tun flows (plain `ovs-ofctl
 * add-flows`): VMs on one network reach each other across the nodes, with and without
 * l2population (then through the unicast and ARP-responder flows, whose counters
 * must move), and VMs on different networks (different VNIs, local VLANs) do not,
 * although they share a subnet.
 *
 * Per node (its own private OVS inside a "hypervisor" namespace):
 *   br-int (fail_mode secure) ── patch-tun / patch-int ── br-tun (secure) ── vxlan-<hex>
 *   VM veths on br-int with tag=<local VLAN>
 *   br-phy (standalone) holding the underlay veth and the VTEP address on its own
 *   port: userspace tunnelling sends through the OVS routing table, so the local_ip
 *   must sit on an OVS bridge port (KERNEL.md §1).
 * The local VLANs differ between the nodes on purpose: only the VNI is shared.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBrIntFlows, renderBrTunFlows } from '../../../agents/ovs/flows/index.js';
import type { L2popFdb, LocalVlan, WiredPort } from '../../../agents/ovs/model.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { OvsNetns } from './netns.js';
import { flushNeigh, installFlows, ofportOf, packetsOf, pings, plugVm, received, type Vm } from '../../unit/ovs-flows/real-ovs.js';

const NET_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const NET_B = 'bbbbbbbb-0000-4000-8000-00000000000b';
const VNI = { [NET_A]: 1001, [NET_B]: 1002 } as const;
const ZERO: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];

interface VmSpec { key: string; net: string; ip: string; mac: string }
interface NodeSpec { idx: 1 | 2; vtep: string; localVlan: Record<string, number>; vms: VmSpec[] }

const NODES: NodeSpec[] = [
  { idx: 1, vtep: '10.250.0.1', localVlan: { [NET_A]: 1, [NET_B]: 2 }, vms: [
    { key: '1a', net: NET_A, ip: '10.60.0.1', mac: 'fa:16:3e:01:0a:01' },
    { key: '1b', net: NET_B, ip: '10.60.0.3', mac: 'fa:16:3e:01:0b:03' },
  ] },
  { idx: 2, vtep: '10.250.0.2', localVlan: { [NET_A]: 7, [NET_B]: 8 }, vms: [
    { key: '2a', net: NET_A, ip: '10.60.0.2', mac: 'fa:16:3e:02:0a:02' },
    { key: '2b', net: NET_B, ip: '10.60.0.4', mac: 'fa:16:3e:02:0b:04' },
  ] },
];

interface Node {
  spec: NodeSpec;
  ovs: OvsInstance;
  patchTun: number;
  patchInt: number;
  tunnel: { name: string; remoteIp: string; ofport: number };
  ports: WiredPort[];
  localVlans: LocalVlan[];
}

const nets = new OvsNetns();
const nodes: Node[] = [];
const vms = new Map<string, Vm>();
const vm = (k: string): Vm => vms.get(k)!;

const tunnelName = (ip: string): string => `vxlan-${ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;

async function buildNode(spec: NodeSpec, hostNs: string, other: NodeSpec): Promise<Node> {
  const ovs = await startOvs({ name: `vx${spec.idx}`, netns: hostNs });
  const br = (name: string, failMode: string): string[] => ['--', 'add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev', `fail_mode=${failMode}`];
  const tunName = tunnelName(other.vtep);
  await ovs.vsctl([
    ...br('br-int', 'secure').slice(1), ...br('br-tun', 'secure'), ...br('br-phy', 'standalone'),
    '--', 'add-port', 'br-int', 'patch-tun', '--', 'set', 'interface', 'patch-tun', 'type=patch', 'options:peer=patch-int',
    '--', 'add-port', 'br-tun', 'patch-int', '--', 'set', 'interface', 'patch-int', 'type=patch', 'options:peer=patch-tun',
    '--', 'add-port', 'br-tun', tunName, '--', 'set', 'interface', tunName, 'type=vxlan',
    `options:remote_ip=${other.vtep}`, `options:local_ip=${spec.vtep}`, 'options:key=flow', 'options:in_key=flow', 'options:out_key=flow',
    '--', 'add-port', 'br-phy', `ul${spec.idx}`,
  ]);
  await nets.ip(hostNs, ['link', 'set', `ul${spec.idx}`, 'up']);
  await nets.ip(hostNs, ['addr', 'add', `${spec.vtep}/24`, 'dev', 'br-phy']);
  await nets.ip(hostNs, ['link', 'set', 'br-phy', 'up']);

  const localVlans: LocalVlan[] = [NET_A, NET_B].map((net) => ({ networkId: net, localVlan: spec.localVlan[net]!, networkType: 'vxlan', segmentationId: VNI[net as keyof typeof VNI], physicalNetwork: undefined, mtu: 1450 }));
  const ports: WiredPort[] = [];
  for (const [i, v] of spec.vms.entries()) {
    const vmNs = await nets.add(`v${v.key}`);
    const hostDev = `tap${v.key}`;
    vms.set(v.key, await plugVm(nets, ovs, { hostNs, vmNs, hostDev, bridge: 'br-int', tag: spec.localVlan[v.net]!, ip: v.ip, mac: v.mac }));
    ports.push({
      portId: `cccccccc-0000-4000-8000-0000000000${spec.idx}${i}`, networkId: v.net, device: hostDev, ofport: await ofportOf(ovs, hostDev),
      mac: v.mac, localVlan: spec.localVlan[v.net]!, fixedIps: [v.ip], allowedAddressPairs: [], portSecurityEnabled: true,
      securityGroupIds: [], deviceOwner: 'compute:nova', adminStateUp: true,
    });
  }
  return {
    spec, ovs, ports, localVlans,
    patchTun: await ofportOf(ovs, 'patch-tun'),
    patchInt: await ofportOf(ovs, 'patch-int'),
    tunnel: { name: tunName, remoteIp: other.vtep, ofport: await ofportOf(ovs, tunName) },
  };
}

/** What the l2pop server would send node `n`: the other node's VMs, per network, plus the flooding entry. */
function fdbFor(n: Node): L2popFdb {
  const other = NODES.find((s) => s !== n.spec)!;
  const fdb: L2popFdb = new Map();
  for (const net of [NET_A, NET_B]) {
    const pairs = other.vms.filter((v) => v.net === net).map((v): [string, string] => [v.mac, v.ip]);
    fdb.set(net, new Map([[other.vtep, [ZERO, ...pairs]]]));
  }
  return fdb;
}

async function program(l2pop: boolean): Promise<void> {
  for (const n of nodes) {
    await installFlows(n.ovs, 'br-int', renderBrIntFlows({ patchTunOfport: n.patchTun, physPatchOfports: new Map(), localVlans: n.localVlans, ports: n.ports, firewallEnabled: false }));
    await installFlows(n.ovs, 'br-tun', renderBrTunFlows({
      patchIntOfport: n.patchInt, tunnels: [n.tunnel], localVlans: n.localVlans,
      l2Population: l2pop, arpResponder: l2pop, fdb: l2pop ? fdbFor(n) : new Map(), localIp: n.spec.vtep,
    }));
  }
  for (const v of vms.values()) await flushNeigh(nets, v);
}

async function diag(): Promise<string> {
  const parts: string[] = [];
  for (const n of nodes) {
    for (const br of ['br-int', 'br-tun']) parts.push(`--- node ${n.spec.idx} ${br}\n${await n.ovs.ofctl(['dump-flows', '--no-names', br])}`);
    parts.push(await n.ovs.appctl(['dpctl/dump-flows']).catch((e: unknown) => String(e)));
  }
  return parts.join('\n');
}

describe('two nodes over VXLAN with the rendered br-int/br-tun flows', () => {
  before(async () => {
    const h1 = await nets.add('h1');
    const h2 = await nets.add('h2');
    // The underlay: one veth between the two hypervisor namespaces.
    await nets.ip(h1, ['link', 'add', 'ul1', 'type', 'veth', 'peer', 'name', 'ul2', 'netns', h2]);
    nodes.push(await buildNode(NODES[0]!, h1, NODES[1]!));
    nodes.push(await buildNode(NODES[1]!, h2, NODES[0]!));
  });

  after(async () => {
    try {
      for (const n of nodes) await n.ovs.stop();
    } finally {
      await nets.cleanup();
    }
  });

  test('without l2pop: same network pings across nodes (flooding + learning), other network unreachable', async () => {
    await program(false);
    if (!(await pings(nets, vm('1a'), '10.60.0.2'))) assert.fail(`1a → 2a failed\n${await diag()}`);
    assert.equal(await received(nets, vm('2a'), '10.60.0.1'), 3);
    assert.ok(await pings(nets, vm('1b'), '10.60.0.4'), '1b → 2b (network B) failed');
    // The MAC of 2a was learnt from the tunnel (table 10 → table 20, priority 1).
    assert.match(await nodes[0]!.ovs.ofctl(['dump-flows', '--no-names', 'br-tun', 'table=20']), /priority=1,vlan_tci=0x0001\/0x0fff,dl_dst=fa:16:3e:02:0a:02/);
    // Isolation: network A's VM reaches neither B's VM on the other node nor on its own.
    assert.equal(await received(nets, vm('1a'), '10.60.0.4'), 0, '1a reached 2b across networks');
    assert.equal(await received(nets, vm('1a'), '10.60.0.3'), 0, '1a reached 1b across networks');
    assert.equal(await received(nets, vm('2b'), '10.60.0.2'), 0, '2b reached 2a across networks');
  });

  test('with l2pop + arp_responder: pings go through the l2pop unicast flows, ARP answered locally; isolation holds', async () => {
    await program(true);
    const node1 = nodes[0]!;
    if (!(await pings(nets, vm('1a'), '10.60.0.2'))) assert.fail(`1a → 2a failed with l2pop\n${await diag()}`);
    assert.equal(await received(nets, vm('1a'), '10.60.0.2'), 3);
    assert.ok(await pings(nets, vm('2b'), '10.60.0.3'), '2b → 1b (network B) failed with l2pop');
    // 1a's ARP for 10.60.0.2 was answered by br-tun table 21 on node 1, its ICMP sent by table 20's l2pop flow.
    // OpenFlow counters are fed from the datapath by ovs-vswitchd's revalidators about
    // once a second, so they are polled rather than read once.
    assert.ok(await eventuallyPackets(node1.ovs, 21, 'arp_tpa=10.60.0.2') > 0, 'ARP responder flow unused');
    // The l2pop flow (actions strip_vlan…), not the learnt one for the same MAC (load:0->…).
    assert.ok(await eventuallyPackets(node1.ovs, 20, 'dl_dst=fa:16:3e:02:0a:02 actions=strip_vlan') > 0, 'l2pop unicast flow unused');
    // (Table 10 still learns from incoming tunnel traffic, as in Python; the l2pop
    // entries sit one priority above the learnt ones, so they win.)
    assert.equal(await received(nets, vm('1a'), '10.60.0.4'), 0, '1a reached 2b across networks');
    assert.equal(await received(nets, vm('1b'), '10.60.0.2'), 0, '1b reached 2a across networks');
  });
});

/** n_packets of a br-tun flow, polled for up to 5 s until it is non-zero. */
async function eventuallyPackets(ovs: Parameters<typeof packetsOf>[0], table: number, matchPart: string): Promise<number> {
  let n = 0;
  for (const end = Date.now() + 5000; n === 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    n = await packetsOf(ovs, 'br-tun', table, matchPart);
  }
  return n;
}
