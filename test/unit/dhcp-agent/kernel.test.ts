/**
 * planDhcpNetns: desired qdhcp namespace + what was read → ops. A fresh namespace is
 * built in dependency order; the steady state plans nothing; each kind of drift plans
 * only its own repair; devices that are not the DHCP port's go.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planDhcpNetns, dhcpDevices, dhcpNamespace, METADATA_V4_CIDR, type ActualDhcpNetns, type DesiredDhcpNetns } from '../../../agents/dhcp/kernel.js';
import type { ActualAddress, ActualLink } from '../../../shared/drivers/ip-links.js';
import type { Op } from '../../../shared/reconcile/ops.js';

const NET = '5a1b2c3d-0000-4000-8000-00000000000a';
const PORT = 'c0ffee00-1234-4abc-8def-0123456789ab';
const NS = dhcpNamespace(NET);
const { tap: TAP, ns: DEV } = dhcpDevices(PORT);
const KEY = `network:${NET}`;
const MAC = 'fa:16:3e:aa:bb:cc';

const desired = (o: Partial<DesiredDhcpNetns> = {}): DesiredDhcpNetns =>
  ({ networkId: NET, portId: PORT, mac: MAC, mtu: 1450, cidrs: ['10.1.0.2/24', 'fd00:1::2/64'], gateway: '10.1.0.1', metadata: false, ...o });

const link = (name: string, o: Partial<ActualLink> = {}): ActualLink =>
  ({ name, index: 1, kind: 'veth', up: true, mtu: 1450, mac: MAC, master: undefined, ...o });
const addr = (cidr: string, o: Partial<ActualAddress> = {}): ActualAddress =>
  ({ dev: DEV, cidr, family: cidr.includes(':') ? 6 : 4, scope: 'global', ...o });

/** The kernel as planDhcpNetns(desired()) leaves it. */
function steady(o: Partial<ActualDhcpNetns> = {}, d = desired()): { a: ActualDhcpNetns; root: Map<string, ActualLink> } {
  const links = new Map<string, ActualLink>([['lo', link('lo', { kind: undefined, mac: '00:00:00:00:00:00', mtu: 65536 })], [DEV, link(DEV)]]);
  const addresses = [...d.cidrs, ...(d.metadata ? [METADATA_V4_CIDR] : [])].map((c) => addr(c));
  // the kernel's own link-local address is not ours to manage
  addresses.push(addr('fe80::f816:3eff:feaa:bbcc/64', { scope: 'link' }));
  return {
    a: { exists: true, links, addresses, defaultVia: d.gateway, ...o },
    root: new Map([[TAP, link(TAP, { mac: 'ee:ee:ee:00:00:01', master: `brq${NET.slice(0, 11)}` })]]),
  };
}

const EMPTY: ActualDhcpNetns = { exists: false, links: new Map(), addresses: [], defaultVia: undefined };
const kinds = (ops: Op[]) => ops.map((o) => o.kind);

describe('planDhcpNetns', () => {
  test('names: qdhcp-<net>, tap/ns-<port[:11]> within 15 characters', () => {
    assert.equal(NS, `qdhcp-${NET}`);
    assert.equal(TAP, 'tapc0ffee00-12');
    assert.equal(DEV, 'ns-c0ffee00-12');
    assert.ok(TAP.length <= 15 && DEV.length <= 15);
  });

  test('fresh namespace: netns, sysctls, lo, veth with the peer inside, MAC/MTU, addresses, default route', () => {
    const ops = planDhcpNetns(desired({ metadata: true }), EMPTY, new Map());
    assert.ok(ops.every((o) => o.key === KEY), 'every op attributed to the network');
    assert.deepEqual(ops, [
      { kind: 'netns.add', key: KEY, name: NS },
      { kind: 'sysctl.set', key: KEY, netns: NS, name: 'net.ipv6.conf.default.accept_ra', value: '0' },
      { kind: 'sysctl.set', key: KEY, netns: NS, name: 'net.ipv4.ip_nonlocal_bind', value: '1' },
      { kind: 'link.set', key: KEY, netns: NS, name: 'lo', up: true },
      { kind: 'link.add', key: KEY, name: TAP, link: { type: 'veth', peer: DEV, peerNetns: NS }, mtu: 1450 },
      { kind: 'link.set', key: KEY, netns: NS, name: DEV, address: MAC, mtu: 1450, up: true },
      { kind: 'link.set', key: KEY, name: TAP, up: true },
      { kind: 'addr.add', key: KEY, netns: NS, dev: DEV, cidr: '10.1.0.2/24' },
      { kind: 'addr.add', key: KEY, netns: NS, dev: DEV, cidr: 'fd00:1::2/64' },
      { kind: 'addr.add', key: KEY, netns: NS, dev: DEV, cidr: METADATA_V4_CIDR },
      { kind: 'route.replace', key: KEY, netns: NS, dst: 'default', via: '10.1.0.1', dev: DEV },
    ]);
  });

  test('fresh namespace without MTU or gateway: no mtu fields, no route', () => {
    const ops = planDhcpNetns(desired({ mtu: null, gateway: undefined }), EMPTY, new Map());
    assert.ok(!ops.some((o) => 'mtu' in o));
    assert.ok(!ops.some((o) => o.kind === 'route.replace'));
  });

  test('steady state -> no ops (also with metadata, and MAC case differences)', () => {
    for (const d of [desired(), desired({ metadata: true }), desired({ mac: MAC.toUpperCase() })]) {
      const { a, root } = steady({}, d);
      assert.deepEqual(planDhcpNetns(d, a, root), []);
    }
  });

  test('namespace exists but empty (veth lost) -> veth rebuilt, addresses and route set, no netns.add', () => {
    const ops = planDhcpNetns(desired(), { exists: true, links: new Map([['lo', link('lo')]]), addresses: [], defaultVia: undefined }, new Map());
    assert.deepEqual(kinds(ops), ['link.add', 'link.set', 'link.set', 'addr.add', 'addr.add', 'route.replace']);
  });

  test('MTU drift on both ends -> only the MTU is set', () => {
    const { a, root } = steady();
    a.links.set(DEV, link(DEV, { mtu: 1500 }));
    root.set(TAP, link(TAP, { mtu: 1500 }));
    assert.deepEqual(planDhcpNetns(desired(), a, root), [
      { kind: 'link.set', key: KEY, netns: NS, name: DEV, mtu: 1450 },
      { kind: 'link.set', key: KEY, name: TAP, mtu: 1450 },
    ]);
  });

  test('MTU unknown (null) -> whatever the links have is left alone', () => {
    const { a, root } = steady();
    a.links.set(DEV, link(DEV, { mtu: 1500 }));
    assert.deepEqual(planDhcpNetns(desired({ mtu: null }), a, root), []);
  });

  test('MAC drift -> the ns- end gets the port MAC', () => {
    const { a, root } = steady();
    a.links.set(DEV, link(DEV, { mac: 'fa:16:3e:00:00:99' }));
    assert.deepEqual(planDhcpNetns(desired(), a, root), [{ kind: 'link.set', key: KEY, netns: NS, name: DEV, address: MAC }]);
  });

  test('links down (lo, ns-, tap) -> set up', () => {
    const { a, root } = steady();
    a.links.set('lo', link('lo', { up: false }));
    a.links.set(DEV, link(DEV, { up: false }));
    root.set(TAP, link(TAP, { up: false }));
    assert.deepEqual(planDhcpNetns(desired(), a, root), [
      { kind: 'link.set', key: KEY, netns: NS, name: 'lo', up: true },
      { kind: 'link.set', key: KEY, netns: NS, name: DEV, up: true },
      { kind: 'link.set', key: KEY, name: TAP, up: true },
    ]);
  });

  test('address drift: a new fixed IP added, the old one removed; link-local and other devices untouched', () => {
    const { a, root } = steady();
    a.addresses = [addr('10.1.0.9/24'), addr('fd00:1::2/64'), addr('fe80::1/64', { scope: 'link' }), addr('10.7.0.1/24', { dev: 'lo' })];
    assert.deepEqual(planDhcpNetns(desired(), a, root), [
      { kind: 'addr.add', key: KEY, netns: NS, dev: DEV, cidr: '10.1.0.2/24' },
      { kind: 'addr.del', key: KEY, netns: NS, dev: DEV, cidr: '10.1.0.9/24' },
    ]);
  });

  test('prefix change is an address change', () => {
    const { a, root } = steady();
    a.addresses = [addr('10.1.0.2/16'), addr('fd00:1::2/64')];
    assert.deepEqual(kinds(planDhcpNetns(desired(), a, root)), ['addr.add', 'addr.del']);
  });

  test('metadata address: added when served, removed when not', () => {
    const { a, root } = steady();
    assert.deepEqual(planDhcpNetns(desired({ metadata: true }), a, root), [{ kind: 'addr.add', key: KEY, netns: NS, dev: DEV, cidr: METADATA_V4_CIDR }]);
    const on = steady({}, desired({ metadata: true }));
    assert.deepEqual(planDhcpNetns(desired(), on.a, on.root), [{ kind: 'addr.del', key: KEY, netns: NS, dev: DEV, cidr: METADATA_V4_CIDR }]);
  });

  test('gateway drift -> route replaced; missing default route -> added', () => {
    for (const via of ['10.1.0.254', undefined]) {
      const { a, root } = steady({ defaultVia: via });
      assert.deepEqual(planDhcpNetns(desired(), a, root), [{ kind: 'route.replace', key: KEY, netns: NS, dst: 'default', via: '10.1.0.1', dev: DEV }]);
    }
  });

  test('gateway gone from every DHCP subnet -> the stale default route is removed (as _set_default_route does)', () => {
    const { a, root } = steady();
    assert.deepEqual(planDhcpNetns(desired({ gateway: undefined }), a, root), [{ kind: 'route.del', key: KEY, netns: NS, dst: 'default', via: '10.1.0.1' }]);
  });

  test('stale devices in the namespace (an old DHCP port) are removed, the current one kept', () => {
    const { a, root } = steady();
    a.links.set('ns-0ld0ld00-aa', link('ns-0ld0ld00-aa'));
    a.links.set('dummy0', link('dummy0', { kind: 'dummy' }));
    assert.deepEqual(planDhcpNetns(desired(), a, root), [
      { kind: 'link.del', key: KEY, netns: NS, name: 'ns-0ld0ld00-aa' },
      { kind: 'link.del', key: KEY, netns: NS, name: 'dummy0' },
    ]);
  });

  test('DHCP port replaced: old ns- device deleted, new veth built, addresses re-added', () => {
    const { a, root } = steady();
    const newPort = 'beef0000-1234-4abc-8def-0123456789ab';
    const nd = dhcpDevices(newPort);
    const ops = planDhcpNetns(desired({ portId: newPort }), a, root);
    assert.deepEqual(ops.slice(0, 4), [
      { kind: 'link.del', key: KEY, netns: NS, name: DEV },
      { kind: 'link.add', key: KEY, name: nd.tap, link: { type: 'veth', peer: nd.ns, peerNetns: NS }, mtu: 1450 },
      { kind: 'link.set', key: KEY, netns: NS, name: nd.ns, address: MAC, mtu: 1450, up: true },
      { kind: 'link.set', key: KEY, name: nd.tap, up: true },
    ]);
    assert.deepEqual(ops.filter((o) => o.kind === 'addr.add').map((o) => o.kind === 'addr.add' && o.dev), [nd.ns, nd.ns]);
    assert.ok(ops.some((o) => o.kind === 'route.replace'));
  });

  test('half a veth: inner end missing with the tap left in the root -> tap deleted and the pair rebuilt', () => {
    const { a, root } = steady();
    a.links.delete(DEV);
    a.addresses = [];
    const ops = planDhcpNetns(desired(), a, root);
    assert.deepEqual(ops.slice(0, 2), [
      { kind: 'link.del', key: KEY, name: TAP },
      { kind: 'link.add', key: KEY, name: TAP, link: { type: 'veth', peer: DEV, peerNetns: NS }, mtu: 1450 },
    ]);
  });

  test('half a veth: tap missing in the root (inner end orphaned) -> inner deleted and the pair rebuilt', () => {
    const { a } = steady();
    const ops = planDhcpNetns(desired(), a, new Map());
    assert.deepEqual(ops[0], { kind: 'link.del', key: KEY, netns: NS, name: DEV });
    assert.equal(ops[1]?.kind, 'link.add');
    assert.deepEqual(ops.filter((o) => o.kind === 'addr.add').length, 2, 'addresses re-added on the new device');
    assert.ok(!ops.some((o) => o.kind === 'addr.del'));
  });

  test('pure: same inputs, same plan; inputs not modified', () => {
    const { a, root } = steady({ defaultVia: '10.1.0.254' });
    const before = JSON.stringify({ a: [...a.links.entries()], addr: a.addresses, root: [...root.entries()] });
    const p1 = planDhcpNetns(desired(), a, root);
    const p2 = planDhcpNetns(desired(), a, root);
    assert.deepEqual(p1, p2);
    assert.equal(JSON.stringify({ a: [...a.links.entries()], addr: a.addresses, root: [...root.entries()] }), before);
  });
});
