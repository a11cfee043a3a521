import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDesiredL2, type DesiredL2 } from '../../../agents/linuxbridge/desired.js';
import { bridgeName } from '../../../agents/linuxbridge/model.js';
import { planL2Ops, type PlanInput } from '../../../agents/linuxbridge/plan.js';
import type { ActualAddress, ActualLink } from '../../../shared/drivers/ip-links.js';
import type { Op } from '../../../shared/reconcile/ops.js';
import { planSteps } from '../../../shared/reconcile/plan.js';
import { renderLinkAdd } from '../../../shared/reconcile/render.js';
import { cfg, dev, link, linkMap, NET_FLAT, NET_LOCAL, NET_VLAN, NET_VX, NET_VX2, orders, portId, VXLAN_CFG } from './fixtures.js';

const BR_VX = bridgeName(NET_VX);
const MAPPED = new Set(['br-provider']);

function input(desired: DesiredL2, links: Map<string, ActualLink>, over: Partial<PlanInput> = {}): PlanInput {
  return { desired, links, addresses: [], mappedBridges: MAPPED, sweep: false, ...over };
}

/**
 * A stateful fake of the root namespace's links and addresses: accepts the ops the
 * planner emits (in the executor's phase order) and shows the result as the
 * kernel read-back would.
 */
class FakeLinks {
  links: Map<string, ActualLink>;
  addresses: ActualAddress[];
  private next = 100;
  constructor(links: Map<string, ActualLink>, addresses: ActualAddress[] = []) {
    this.links = new Map([...links].map(([k, v]) => [k, structuredClone(v)]));
    this.addresses = addresses.map((a) => ({ ...a }));
  }
  apply(ops: readonly Op[]): void {
    const phase = (o: Op): number => ({ 'link.del': 0, 'addr.del': 1, 'link.add': 2, 'link.set': 3, 'addr.add': 4 } as Record<string, number>)[o.kind] ?? 5;
    for (const op of [...ops].sort((a, b) => phase(a) - phase(b))) {
      switch (op.kind) {
        case 'link.del':
          this.links.delete(op.name);
          for (const l of this.links.values()) if (l.master === op.name) l.master = undefined;
          this.addresses = this.addresses.filter((a) => a.dev !== op.name);
          break;
        case 'link.add': {
          assert.ok(!this.links.has(op.name), `link.add of existing ${op.name}`);
          const l = link(op.name, { index: this.next++, kind: op.link.type, up: false, mtu: op.mtu ?? 1500 });
          if (op.link.type === 'vxlan') {
            const s = op.link;
            l.vxlan = { vni: s.vni, dstport: s.dstport, ...(s.group ? { group: s.group } : {}), ...(s.local ? { local: s.local } : {}), ...(s.dev ? { dev: s.dev } : {}), ...(s.ttl !== undefined ? { ttl: s.ttl } : {}), ...(s.proxy ? { proxy: true } : {}), learning: true };
          }
          if (op.link.type === 'vlan') l.vlan = { parent: op.link.parent, id: op.link.vlanId };
          this.links.set(op.name, l);
          break;
        }
        case 'link.set': {
          const l = this.links.get(op.name);
          assert.ok(l, `link.set of missing ${op.name}`);
          if (op.master !== undefined) { assert.ok(this.links.has(op.master), `master ${op.master} missing`); l.master = op.master; }
          if (op.mtu !== undefined) l.mtu = op.mtu;
          if (op.up !== undefined) l.up = op.up;
          break;
        }
        case 'addr.add':
          this.addresses.push({ dev: op.dev, cidr: op.cidr, family: op.cidr.includes(':') ? 6 : 4, scope: 'global' });
          break;
        case 'addr.del':
          this.addresses = this.addresses.filter((a) => !(a.dev === op.dev && a.cidr === op.cidr));
          break;
        case 'sysctl.set':
          break;
        default:
          assert.fail(`unexpected op ${op.kind}`);
      }
    }
  }
}

/** plan → apply → plan must give nothing: the planner converges in one round. */
function converge(desired: DesiredL2, fake: FakeLinks, over: Partial<PlanInput> = {}): Op[] {
  const ops = planL2Ops({ ...input(desired, fake.links, over), addresses: fake.addresses });
  fake.apply(ops);
  assert.deepEqual(planL2Ops({ ...input(desired, fake.links, over), addresses: fake.addresses }), [], 'second round is empty');
  return ops;
}

const vxTap = (over: Parameters<typeof dev>[0]) => dev(over);

test('missing bridge and vxlan: link.add + up + sysctl for the bridge, link.add + master/up + sysctl for vxlan; then steady', () => {
  const p = portId();
  const desired = computeDesiredL2(cfg(), [vxTap({ port_id: p, device_owner: 'network:dhcp' })]);
  const tap = `tap${p.slice(0, 11)}`;
  const ops = planL2Ops(input(desired, linkMap(link('eth1'), link(tap, { mtu: 1500, up: false }))));
  const key = `network:${NET_VX}`;
  const pk = `port:${p}`;
  assert.deepEqual(ops, [
    { kind: 'link.add', key, name: BR_VX, link: { type: 'bridge', stp: false, forwardDelay: 0 } },
    { kind: 'link.set', key, name: BR_VX, up: true },
    { kind: 'sysctl.set', key, name: `net.ipv6.conf.${BR_VX}.disable_ipv6`, value: '1' },
    { kind: 'link.add', key, name: 'vxlan-1588', link: { type: 'vxlan', vni: 1588, dev: 'eth1', dstport: 4789, local: '172.31.255.1', proxy: true }, mtu: 1450 },
    { kind: 'link.set', key, name: 'vxlan-1588', master: BR_VX, up: true },
    { kind: 'sysctl.set', key, name: 'net.ipv6.conf.vxlan-1588.disable_ipv6', value: '1' },
    { kind: 'link.set', key: pk, name: tap, master: BR_VX },
    { kind: 'link.set', key: pk, name: tap, mtu: 1450 },
    { kind: 'link.set', key: pk, name: tap, up: true },
  ]);
  const fake = new FakeLinks(linkMap(link('eth1'), link(tap, { mtu: 1500, up: false })));
  fake.apply(ops);
  assert.deepEqual(planL2Ops(input(desired, fake.links)), []);
});

test('steady state: no ops, also with sweep on', () => {
  const p = portId(); const q = portId();
  const desired = computeDesiredL2(cfg(), [vxTap({ port_id: p }), vxTap({ port_id: q, network_id: NET_LOCAL, network_type: 'local', segmentation_id: null, device_owner: 'network:dhcp', mtu: null })]);
  const fake = new FakeLinks(linkMap(link('eth1'), link(`tap${p.slice(0, 11)}`, { master: BR_VX, mtu: 1450 }), link(`tap${q.slice(0, 11)}`)));
  converge(desired, fake, { sweep: true });
  // And a hand-built kernel that matches (as ip -json -d link show would read it).
  const links = linkMap(
    link('eth1'),
    link(BR_VX, { kind: 'bridge' }),
    link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1450, vxlan: { vni: 1588, local: '172.31.255.1', dev: 'eth1', dstport: 4789, ttl: 0, proxy: true, learning: true } }),
    link(`tap${p.slice(0, 11)}`, { kind: 'tun', master: BR_VX, mtu: 1450 }),
    link(bridgeName(NET_LOCAL), { kind: 'bridge' }),
    link(`tap${q.slice(0, 11)}`, { kind: 'veth', master: bridgeName(NET_LOCAL) }),
  );
  assert.deepEqual(planL2Ops(input(desired, links, { sweep: true })), []);
});

test('compute tap: never enslaved by us (Nova does it) but MTU and admin state are set', () => {
  const p = portId();
  const tap = `tap${p.slice(0, 11)}`;
  const desired = computeDesiredL2(cfg(), [vxTap({ port_id: p, admin_state_up: false })]);
  const base = [link('eth1'), link(BR_VX, { kind: 'bridge' }), link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1450, vxlan: { vni: 1588, local: '172.31.255.1', dev: 'eth1', dstport: 4789, proxy: true } })];
  const ops = planL2Ops(input(desired, linkMap(...base, link(tap, { mtu: 1500, up: true }))));
  assert.deepEqual(ops, [
    { kind: 'link.set', key: `port:${p}`, name: tap, mtu: 1450 },
    { kind: 'link.set', key: `port:${p}`, name: tap, up: false },
  ]);
  // A compute tap on another bridge is Nova's business too.
  assert.deepEqual(planL2Ops(input(desired, linkMap(...base, link(tap, { mtu: 1450, up: false, master: 'brqother' })))), []);
  // A tap that vanished meanwhile: nothing planned for it.
  assert.deepEqual(planL2Ops(input(desired, linkMap(...base))), []);
});

test('tap diffs one by one: master, mtu, up (network-owned tap)', () => {
  const p = portId();
  const tap = `tap${p.slice(0, 11)}`;
  const desired = computeDesiredL2(cfg(), [vxTap({ port_id: p, device_owner: 'network:router_interface', mtu: 1400 })]);
  const base = [link('eth1'), link(BR_VX, { kind: 'bridge' }), link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1400, vxlan: { vni: 1588, local: '172.31.255.1', dev: 'eth1', dstport: 4789, proxy: true } })];
  const k = `port:${p}`;
  assert.deepEqual(planL2Ops(input(desired, linkMap(...base, link(tap, { master: 'brqelsewhere', mtu: 1400 })))), [{ kind: 'link.set', key: k, name: tap, master: BR_VX }]);
  assert.deepEqual(planL2Ops(input(desired, linkMap(...base, link(tap, { master: BR_VX, mtu: 9000 })))), [{ kind: 'link.set', key: k, name: tap, mtu: 1400 }]);
  assert.deepEqual(planL2Ops(input(desired, linkMap(...base, link(tap, { master: BR_VX, mtu: 1400, up: false })))), [{ kind: 'link.set', key: k, name: tap, up: true }]);
  // mtu null (older servers): MTU left alone.
  const noMtu = computeDesiredL2(cfg(), [vxTap({ port_id: p, device_owner: 'network:dhcp', mtu: null })]);
  const vxNoMtu = link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1234, vxlan: { vni: 1588, local: '172.31.255.1', dev: 'eth1', dstport: 4789, proxy: true } });
  assert.deepEqual(planL2Ops(input(noMtu, linkMap(link('eth1'), link(BR_VX, { kind: 'bridge' }), vxNoMtu, link(tap, { master: BR_VX, mtu: 9000 })))), []);
});

test('a bridge that is down is set up; vxlan attribute drift (master, mtu, down) is fixed in place', () => {
  const p = portId();
  const desired = computeDesiredL2(cfg(), [vxTap({ port_id: p })]);
  const key = `network:${NET_VX}`;
  const ops = planL2Ops(input(desired, linkMap(link('eth1'), link(BR_VX, { kind: 'bridge', up: false }),
    link('vxlan-1588', { kind: 'vxlan', up: false, mtu: 1500, vxlan: { vni: 1588, local: '172.31.255.1', dev: 'eth1', dstport: 4789, proxy: true } }))));
  assert.deepEqual(ops, [
    { kind: 'link.set', key, name: BR_VX, up: true },
    { kind: 'link.set', key, name: 'vxlan-1588', master: BR_VX },
    { kind: 'link.set', key, name: 'vxlan-1588', mtu: 1450 },
    { kind: 'link.set', key, name: 'vxlan-1588', up: true },
  ]);
});

test('wrong vxlan parameters: del + add (+ master/up, sysctl), for each parameter', () => {
  const p = portId();
  const desired = computeDesiredL2(cfg({ vxlan: { ...VXLAN_CFG, ttl: 8 } }), [vxTap({ port_id: p })]);
  const good = { vni: 1588, local: '172.31.255.1', dev: 'eth1', dstport: 4789, ttl: 8, proxy: true, learning: true };
  const wrong: Array<[string, Record<string, unknown>]> = [
    ['vni', { vni: 1589 }], ['local', { local: '172.31.255.9' }], ['group instead of local', { local: undefined, group: '224.0.0.1' }],
    ['dev', { dev: 'eth9' }], ['dstport', { dstport: 8472 }], ['ttl', { ttl: 64 }], ['proxy off', { proxy: undefined }],
  ];
  const key = `network:${NET_VX}`;
  for (const [what, change] of wrong) {
    const vx = { ...good, ...change } as NonNullable<ActualLink['vxlan']>;
    for (const k of Object.keys(vx) as Array<keyof typeof vx>) if (vx[k] === undefined) delete vx[k];
    const links = linkMap(link('eth1'), link(BR_VX, { kind: 'bridge' }), link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1450, vxlan: vx }));
    const ops = planL2Ops(input(desired, links));
    assert.deepEqual(ops.map((o) => o.kind), ['link.del', 'link.add', 'link.set', 'sysctl.set'], what);
    assert.deepEqual(ops[0], { kind: 'link.del', key, name: 'vxlan-1588' }, what);
    assert.deepEqual(ops[1], { kind: 'link.add', key, name: 'vxlan-1588', link: { type: 'vxlan', vni: 1588, dev: 'eth1', dstport: 4789, local: '172.31.255.1', ttl: 8, proxy: true }, mtu: 1450 }, what);
  }
  // The kernel's read-back without the optional fields we did not ask for: no change.
  const links = linkMap(link('eth1'), link(BR_VX, { kind: 'bridge' }), link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1450, vxlan: good }));
  assert.deepEqual(planL2Ops(input(desired, links)), []);
});

test('multicast vxlan: a device with the wrong group is recreated; ttl unset in config is not compared', () => {
  const c = cfg({ vxlan: { ...VXLAN_CFG, l2Population: false, group: '239.1.0.0/16' } });
  const desired = computeDesiredL2(c, [vxTap({ port_id: portId() })]);
  const vx = (group: string) => link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1450, vxlan: { vni: 1588, group, dev: 'eth1', dstport: 4789, ttl: 0 } });
  assert.deepEqual(planL2Ops(input(desired, linkMap(link('eth1'), link(BR_VX, { kind: 'bridge' }), vx('239.1.6.52')))), []);
  assert.deepEqual(planL2Ops(input(desired, linkMap(link('eth1'), link(BR_VX, { kind: 'bridge' }), vx('224.0.0.1')))).map((o) => o.kind), ['link.del', 'link.add', 'link.set', 'sysctl.set']);
});

test('flat uplink: its global addresses move to the bridge (link-local stays), then it is enslaved; converges', () => {
  const p = portId();
  const br = bridgeName(NET_FLAT);
  const desired = computeDesiredL2(cfg(), [dev({ port_id: p, network_id: NET_FLAT, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, mtu: 1500, device_owner: 'network:router_gateway' })]);
  const addresses: ActualAddress[] = [
    { dev: 'eth2', cidr: '198.51.100.5/24', family: 4, scope: 'global' },
    { dev: 'eth2', cidr: '2001:db8::5/64', family: 6, scope: 'global' },
    { dev: 'eth2', cidr: 'fe80::5/64', family: 6, scope: 'link' },
    { dev: 'eth0', cidr: '10.0.0.5/24', family: 4, scope: 'global' },
  ];
  const links = linkMap(link('eth0'), link('eth2'), link(`tap${p.slice(0, 11)}`, { master: br }));
  const key = `network:${NET_FLAT}`;
  const ops = planL2Ops(input(desired, links, { addresses }));
  assert.deepEqual(ops.slice(3), [
    { kind: 'addr.del', key, dev: 'eth2', cidr: '198.51.100.5/24' },
    { kind: 'addr.add', key, dev: br, cidr: '198.51.100.5/24' },
    { kind: 'addr.del', key, dev: 'eth2', cidr: '2001:db8::5/64' },
    { kind: 'addr.add', key, dev: br, cidr: '2001:db8::5/64' },
    { kind: 'link.set', key, name: 'eth2', master: br },
  ]);
  assert.ok(!ops.some((o) => ('dev' in o && o.dev === 'eth0') || ('name' in o && o.name === 'eth0')), 'eth0 untouched');
  const fake = new FakeLinks(links, addresses);
  converge(desired, fake);
  assert.deepEqual(fake.addresses.filter((a) => a.dev === br).map((a) => a.cidr), ['198.51.100.5/24', '2001:db8::5/64']);
  // Uplink missing (vanished since start-up): nothing to enslave.
  assert.deepEqual(planL2Ops(input(desired, linkMap(link(br, { kind: 'bridge' }), link(`tap${p.slice(0, 11)}`, { master: br })))), []);
  // Enslaved already but down: set up.
  assert.deepEqual(planL2Ops(input(desired, linkMap(link(br, { kind: 'bridge' }), link('eth2', { master: br, up: false }), link(`tap${p.slice(0, 11)}`, { master: br })))), [{ kind: 'link.set', key, name: 'eth2', up: true }]);
});

test('mapped bridge (bridge_mappings): never created, its taps enslaved to it', () => {
  const p = portId();
  const tap = `tap${p.slice(0, 11)}`;
  const desired = computeDesiredL2(cfg(), [dev({ port_id: p, network_id: NET_FLAT, network_type: 'flat', physical_network: 'provider', segmentation_id: null, device_owner: 'network:dhcp' })]);
  assert.deepEqual(planL2Ops(input(desired, linkMap(link(tap, { mtu: 1450 })))), [{ kind: 'link.set', key: `port:${p}`, name: tap, master: 'br-provider' }]);
  assert.deepEqual(planL2Ops(input(desired, linkMap(link('br-provider', { kind: 'bridge', up: false }), link(tap, { master: 'br-provider', mtu: 1450 })))), [{ kind: 'link.set', key: `network:${NET_FLAT}`, name: 'br-provider', up: true }]);
});

test('sweep: only with sweep=true; orphan brq bridges and vxlan-* go, never a bridge with a tap, a mapped bridge, or foreign names', () => {
  const p = portId();
  const desired = computeDesiredL2(cfg(), [vxTap({ port_id: p })]);
  const links = linkMap(
    link('eth0'), link('eth1'),
    link(BR_VX, { kind: 'bridge' }),
    link('vxlan-1588', { kind: 'vxlan', master: BR_VX, mtu: 1450, vxlan: { vni: 1588, local: '172.31.255.1', dev: 'eth1', dstport: 4789, proxy: true } }),
    link(`tap${p.slice(0, 11)}`, { master: BR_VX, mtu: 1450 }),
    // orphans
    link('brqorphan0001', { kind: 'bridge' }),
    link('vxlan-77', { kind: 'vxlan', master: 'brqorphan0001', vxlan: { vni: 77, dstport: 4789 } }),
    link('vxlan-78', { kind: 'vxlan', vxlan: { vni: 78, dstport: 4789 } }),
    // kept: a brq bridge with a tap still enslaved (and its tap), a mapped bridge, foreign objects
    link('brqbusy000001', { kind: 'bridge' }),
    link('tapdeadbeef-00', { master: 'brqbusy000001' }),
    link('br-provider', { kind: 'bridge' }),
    link('docker0', { kind: 'bridge' }),
    link('virbr0', { kind: 'bridge' }),
    link('brqlookalike', { kind: 'dummy' }),
    link('vxlan-foreign', { kind: 'veth' }),
    link('myvxlan', { kind: 'vxlan', vxlan: { vni: 5, dstport: 4789 } }),
  );
  assert.deepEqual(planL2Ops(input(desired, links)), [], 'no sweep without sweep=true');
  const ops = planL2Ops(input(desired, links, { sweep: true }));
  assert.deepEqual(ops, [
    { kind: 'link.del', key: 'sweep:brqorphan0001', name: 'brqorphan0001' },
    { kind: 'link.del', key: 'sweep:vxlan-77', name: 'vxlan-77' },
    { kind: 'link.del', key: 'sweep:vxlan-78', name: 'vxlan-78' },
  ]);
  // Mapped bridges are never swept even when named brq* (an operator may map one).
  const mappedBrq = planL2Ops(input(computeDesiredL2(cfg(), []), linkMap(link('brqmapped0001', { kind: 'bridge' })), { sweep: true, mappedBridges: new Set(['brqmapped0001']) }));
  assert.deepEqual(mappedBrq, []);
});

test('sweep keeps the uplink of a bridge it keeps (a tap is still enslaved), so that tap keeps its network', () => {
  const links = linkMap(
    link('eth1'),
    link('brqbusy000001', { kind: 'bridge' }),
    link('vxlan-99', { kind: 'vxlan', master: 'brqbusy000001', vxlan: { vni: 99, dstport: 4789 } }),
    link('tapdeadbeef-00', { master: 'brqbusy000001' }),
  );
  assert.deepEqual(planL2Ops(input(computeDesiredL2(cfg(), []), links, { sweep: true })), []);
});

test('sweep of an orphan flat bridge gives its addresses back to the physical uplink', () => {
  const links = linkMap(link('eth2', { master: 'brqold0000001' }), link('brqold0000001', { kind: 'bridge' }));
  const addresses: ActualAddress[] = [{ dev: 'brqold0000001', cidr: '198.51.100.5/24', family: 4, scope: 'global' }, { dev: 'brqold0000001', cidr: 'fe80::1/64', family: 6, scope: 'link' }];
  assert.deepEqual(planL2Ops(input(computeDesiredL2(cfg(), []), links, { sweep: true, addresses })), [
    { kind: 'addr.add', key: 'sweep:brqold0000001', dev: 'eth2', cidr: '198.51.100.5/24' },
    { kind: 'link.del', key: 'sweep:brqold0000001', name: 'brqold0000001' },
  ]);
});

test('sweep of an orphan vlan bridge removes its vlan subinterface too (Python deletes it with the bridge)', () => {
  const links = linkMap(link('eth2'), link('brqold0000002', { kind: 'bridge' }), link('eth2.300', { kind: 'vlan', master: 'brqold0000002', vlan: { parent: 'eth2', id: 300 } }));
  const ops = planL2Ops(input(computeDesiredL2(cfg(), []), links, { sweep: true }));
  assert.deepEqual(ops.map((o) => [o.kind, 'name' in o ? o.name : '']).sort(), [['link.del', 'brqold0000002'], ['link.del', 'eth2.300']]);
  assert.ok(!ops.some((o) => 'name' in o && o.name === 'eth2'), 'the physical interface stays');
});

test('VLAN network: link.add of <phys>.<vid> + master/up, and the exact ip -batch lines', () => {
  const p = portId();
  const br = bridgeName(NET_VLAN);
  const tap = `tap${p.slice(0, 11)}`;
  const desired = computeDesiredL2(cfg(), [dev({ port_id: p, network_id: NET_VLAN, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100, mtu: 1500, device_owner: 'network:dhcp' })]);
  const links = linkMap(link('eth2'), link(tap, { up: false }));
  const ops = planL2Ops(input(desired, links));
  const key = `network:${NET_VLAN}`;
  assert.deepEqual(ops, [
    { kind: 'link.add', key, name: br, link: { type: 'bridge', stp: false, forwardDelay: 0 } },
    { kind: 'link.set', key, name: br, up: true },
    { kind: 'sysctl.set', key, name: `net.ipv6.conf.${br}.disable_ipv6`, value: '1' },
    { kind: 'link.add', key, name: 'eth2.100', link: { type: 'vlan', parent: 'eth2', vlanId: 100 } },
    { kind: 'link.set', key, name: 'eth2.100', master: br, up: true },
    { kind: 'link.set', key: `port:${p}`, name: tap, master: br },
    { kind: 'link.set', key: `port:${p}`, name: tap, up: true },
  ]);
  assert.equal(renderLinkAdd(ops[3] as Extract<Op, { kind: 'link.add' }>).join(' '), 'link add link eth2 name eth2.100 type vlan id 100');
  const plan = planSteps(ops);
  assert.deepEqual(plan.invalid, []);
  const lines = plan.steps.flatMap((s) => (s.type === 'batch' ? s.batches.flatMap((b) => b.lines.map((l) => `${b.tool}${b.netns ? ` -n ${b.netns}` : ''}: ${l.tokens.join(' ')}`)) : [`<${s.type}>`]));
  assert.deepEqual(lines, [
    `ip: link add name ${br} type bridge stp_state 0 forward_delay 0`,
    'ip: link add link eth2 name eth2.100 type vlan id 100',
    `ip: link set dev ${br} up`,
    `ip: link set dev eth2.100 master ${br} up`,
    `ip: link set dev ${tap} master ${br}`,
    `ip: link set dev ${tap} up`,
    '<sysctl>',
  ]);
  // Long interface: hashed subinterface name, same rule as neutron.
  const q = portId();
  const long = computeDesiredL2(cfg(), [dev({ port_id: q, network_id: NET_VLAN, network_type: 'vlan', physical_network: 'longnet', segmentation_id: 4094 })]);
  const lops = planL2Ops(input(long, linkMap(link('enp0s31f6abcde'))));
  const add = lops.find((o): o is Extract<Op, { kind: 'link.add' }> => o.kind === 'link.add' && o.link.type === 'vlan');
  assert.match(renderLinkAdd(add!).join(' '), /^link add link enp0s31f6abcde name enp0[0-9a-f]{6}\.4094 type vlan id 4094$/);
  // Existing subinterface: only drift is fixed; converges.
  converge(desired, new FakeLinks(links));
  assert.deepEqual(planL2Ops(input(desired, linkMap(link('eth2'), link(br, { kind: 'bridge' }), link('eth2.100', { kind: 'vlan', up: false }), link(tap, { master: br, mtu: 1500 })))), [
    { kind: 'link.set', key, name: 'eth2.100', master: br },
    { kind: 'link.set', key, name: 'eth2.100', up: true },
  ]);
});

test('from any starting kernel, one plan/apply round converges, whatever the device order', () => {
  const devices = [
    vxTap({ port_id: portId(), device_owner: 'network:dhcp' }),
    vxTap({ port_id: portId(), network_id: NET_VX2, segmentation_id: 42, mtu: 1400 }),
    dev({ port_id: portId(), network_id: NET_FLAT, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, mtu: 1500, device_owner: 'network:router_gateway' }),
    dev({ port_id: portId(), network_id: NET_LOCAL, network_type: 'local', segmentation_id: null, device_owner: 'network:dhcp' }),
  ];
  const start = linkMap(link('eth1'), link('eth2'), ...devices.map((d) => link(d.device, { up: false })), link('brqstale000001', { kind: 'bridge' }), link('vxlan-5', { kind: 'vxlan', vxlan: { vni: 5, dstport: 4789 } }));
  let first: Op[] | undefined;
  for (const o of orders(devices)) {
    const desired = computeDesiredL2(cfg(), o);
    const ops = converge(desired, new FakeLinks(start, [{ dev: 'eth2', cidr: '192.0.2.1/24', family: 4, scope: 'global' }]), { sweep: true });
    if (first) assert.deepEqual(ops, first); else first = ops;
  }
});
