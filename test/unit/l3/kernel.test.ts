import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ActualLink } from '../../../shared/drivers/ip-links.js';
import type { Op } from '../../../shared/reconcile/ops.js';
import { planRouterNetns, L3_ROUTE_PROTO, type ActualRouterNetns } from '../../../agents/l3/kernel.js';
import { parseRouter, type Router } from '../../../agents/l3/model.js';
import { routerJson, uuid } from './fixtures.js';

const R = parseRouter(routerJson(1, {
  fips: [{ id: uuid(1, 'ffffffff'), fip: '198.51.100.50', fixed: '10.1.0.10' }],
  extra: { routes: [{ destination: '10.10.0.0/16', nexthop: '10.1.0.5' }] },
}));
const NS = `qrouter-${R.id}`;
const KEY = `router:${R.id}`;
const GW = R.gateway!;
const IF = R.interfaces[0]!;
const QG = `qg-${GW.id.slice(0, 11)}`, TAPG = `tap${GW.id.slice(0, 11)}`;
const QR = `qr-${IF.id.slice(0, 11)}`, TAPR = `tap${IF.id.slice(0, 11)}`;

function link(name: string, mac: string | undefined, mtu: number, up = true): ActualLink {
  return { name, index: 1, kind: name === 'lo' ? undefined : 'veth', up, mtu, mac, master: undefined };
}

/** What the kernel holds once R is fully wired (plus a route that is not ours, which the reader never returns). */
function steady(r: Router = R): { a: ActualRouterNetns; root: Map<string, ActualLink> } {
  const gw = r.gateway!, ifc = r.interfaces[0]!;
  const links = new Map<string, ActualLink>([
    ['lo', link('lo', '00:00:00:00:00:00', 65536)],
    [QG, link(QG, gw.mac, gw.mtu!)],
    [QR, link(QR, ifc.mac, ifc.mtu!)],
  ]);
  const addresses = [
    { dev: 'lo', cidr: '127.0.0.1/8', family: 4 as const, scope: 'host' },
    ...gw.cidrs.map((c) => ({ dev: QG, cidr: c, family: 4 as const, scope: 'global' })),
    ...r.floatingIps.map((f) => ({ dev: QG, cidr: `${f.floatingIp}/32`, family: 4 as const, scope: 'global' })),
    { dev: QG, cidr: 'fe80::1/64', family: 6 as const, scope: 'link' },
    ...ifc.cidrs.map((c) => ({ dev: QR, cidr: c, family: 4 as const, scope: 'global' })),
  ];
  const ownRoutes = [
    { dst: 'default', via: gw.gateways[0] },
    ...r.routes.map((x) => ({ dst: x.destination, via: x.nexthop as string | undefined })),
  ];
  const root = new Map<string, ActualLink>([
    [TAPG, link(TAPG, 'fe:00:00:00:00:01', gw.mtu!)],
    [TAPR, link(TAPR, 'fe:00:00:00:00:02', ifc.mtu!)],
    ['eth0', link('eth0', 'fe:00:00:00:00:03', 1500)],
  ]);
  return { a: { exists: true, links, addresses, ownRoutes, forwarding: true }, root };
}

const sortOps = (ops: Op[]) => [...ops].map((o) => JSON.stringify(o)).sort();
function assertOps(actual: Op[], expected: Op[]): void {
  assert.deepEqual(sortOps(actual), sortOps(expected));
}

describe('planRouterNetns', () => {
  it('builds a fresh namespace: netns, forwarding, lo, veths with MAC/MTU, addresses, FIP /32 on qg-, routes with proto 75', () => {
    const plan = planRouterNetns(R, { exists: false, links: new Map(), addresses: [], ownRoutes: [], forwarding: false }, new Map());
    assert.deepEqual(plan.ops, [
      { kind: 'netns.add', key: KEY, name: NS },
      { kind: 'sysctl.set', key: KEY, netns: NS, name: 'net.ipv4.ip_forward', value: '1' },
      { kind: 'link.set', key: KEY, netns: NS, name: 'lo', up: true },
      { kind: 'link.add', key: KEY, name: TAPR, link: { type: 'veth', peer: QR, peerNetns: NS }, mtu: 1450 },
      { kind: 'link.set', key: KEY, netns: NS, name: QR, address: IF.mac, mtu: 1450, up: true },
      { kind: 'link.set', key: KEY, name: TAPR, up: true },
      { kind: 'addr.add', key: KEY, netns: NS, dev: QR, cidr: '10.1.0.1/24' },
      { kind: 'link.add', key: KEY, name: TAPG, link: { type: 'veth', peer: QG, peerNetns: NS }, mtu: 1500 },
      { kind: 'link.set', key: KEY, netns: NS, name: QG, address: GW.mac, mtu: 1500, up: true },
      { kind: 'link.set', key: KEY, name: TAPG, up: true },
      { kind: 'addr.add', key: KEY, netns: NS, dev: QG, cidr: '198.51.100.11/24' },
      { kind: 'addr.add', key: KEY, netns: NS, dev: QG, cidr: '198.51.100.50/32' },
      { kind: 'route.replace', key: KEY, netns: NS, dst: 'default', via: '198.51.100.1', dev: QG, proto: L3_ROUTE_PROTO },
      { kind: 'route.replace', key: KEY, netns: NS, dst: '10.10.0.0/16', via: '10.1.0.5', proto: L3_ROUTE_PROTO },
    ]);
    assert.deepEqual(plan.devices.sort(), [QG, QR].sort());
  });

  it('a port without MTU gets no mtu attribute', () => {
    const r: Router = { ...R, interfaces: [{ ...IF, mtu: null }] };
    const ops = planRouterNetns(r, { exists: false, links: new Map(), addresses: [], ownRoutes: [], forwarding: false }, new Map()).ops;
    for (const o of ops) if ((o.kind === 'link.add' && o.name === TAPR) || (o.kind === 'link.set' && o.name === QR)) assert.equal('mtu' in o, false);
  });

  it('steady state: no ops (IPv6 link-local and lo addresses ignored)', () => {
    const { a, root } = steady();
    assert.deepEqual(planRouterNetns(R, a, root).ops, []);
  });

  it('an existing namespace with forwarding off gets only the sysctl', () => {
    const { a, root } = steady();
    assertOps(planRouterNetns(R, { ...a, forwarding: false }, root).ops, [{ kind: 'sysctl.set', key: KEY, netns: NS, name: 'net.ipv4.ip_forward', value: '1' }]);
  });

  it('lo down: set up', () => {
    const { a, root } = steady();
    a.links.set('lo', link('lo', undefined, 65536, false));
    assertOps(planRouterNetns(R, a, root).ops, [{ kind: 'link.set', key: KEY, netns: NS, name: 'lo', up: true }]);
  });

  it('address removed by hand (interface, gateway, floating IP): re-added, nothing else', () => {
    for (const cidr of ['10.1.0.1/24', '198.51.100.11/24', '198.51.100.50/32']) {
      const { a, root } = steady();
      const gone = a.addresses.find((x) => x.cidr === cidr)!;
      a.addresses = a.addresses.filter((x) => x !== gone);
      assertOps(planRouterNetns(R, a, root).ops, [{ kind: 'addr.add', key: KEY, netns: NS, dev: gone.dev, cidr }]);
    }
  });

  it('a stray IPv4 address on a router device is removed; a floating IP that left is removed', () => {
    const { a, root } = steady();
    a.addresses.push({ dev: QR, cidr: '10.1.0.99/24', family: 4, scope: 'global' });
    const r: Router = { ...R, floatingIps: [] };
    assertOps(planRouterNetns(r, a, root).ops, [
      { kind: 'addr.del', key: KEY, netns: NS, dev: QR, cidr: '10.1.0.99/24' },
      { kind: 'addr.del', key: KEY, netns: NS, dev: QG, cidr: '198.51.100.50/32' },
    ]);
  });

  it('route removed by hand: replaced with proto 75', () => {
    const { a, root } = steady();
    a.ownRoutes = a.ownRoutes.filter((x) => x.dst !== 'default');
    assertOps(planRouterNetns(R, a, root).ops, [{ kind: 'route.replace', key: KEY, netns: NS, dst: 'default', via: '198.51.100.1', dev: QG, proto: L3_ROUTE_PROTO }]);
    const s = steady();
    s.a.ownRoutes = s.a.ownRoutes.filter((x) => x.dst !== '10.10.0.0/16');
    assertOps(planRouterNetns(R, s.a, s.root).ops, [{ kind: 'route.replace', key: KEY, netns: NS, dst: '10.10.0.0/16', via: '10.1.0.5', proto: L3_ROUTE_PROTO }]);
  });

  it('an own route with another nexthop is replaced; an own route no longer wanted is deleted by proto 75 only', () => {
    const { a, root } = steady();
    a.ownRoutes = a.ownRoutes.map((x) => (x.dst === '10.10.0.0/16' ? { ...x, via: '10.1.0.6' } : x));
    a.ownRoutes.push({ dst: '172.16.0.0/12', via: '10.1.0.7' });
    const ops = planRouterNetns(R, a, root).ops;
    assertOps(ops, [
      { kind: 'route.del', key: KEY, netns: NS, dst: '10.10.0.0/16', proto: L3_ROUTE_PROTO },
      { kind: 'route.del', key: KEY, netns: NS, dst: '172.16.0.0/12', proto: L3_ROUTE_PROTO },
      { kind: 'route.replace', key: KEY, netns: NS, dst: '10.10.0.0/16', via: '10.1.0.5', proto: L3_ROUTE_PROTO },
    ]);
    for (const o of ops) if (o.kind === 'route.del' || o.kind === 'route.replace') assert.equal(o.proto, L3_ROUTE_PROTO);
  });

  it('routes not ours are never touched: only the proto 75 routes given are considered', () => {
    // The kernel's connected routes and an admin's own routes are not in ownRoutes (the reader asks for proto 75 only).
    const { a, root } = steady();
    const r: Router = { ...R, routes: [] };
    a.ownRoutes = [{ dst: 'default', via: '198.51.100.1' }];
    assert.deepEqual(planRouterNetns(r, a, root).ops, []);
  });

  it('a router without gateway has no default route; its old default (ours) is deleted', () => {
    const { a, root } = steady();
    const r: Router = { ...R, gateway: undefined, floatingIps: [], routes: [] };
    a.ownRoutes = [{ dst: 'default', via: '198.51.100.1' }];
    a.addresses = a.addresses.filter((x) => x.dev !== QG);
    assertOps(planRouterNetns(r, a, root).ops, [
      { kind: 'link.del', key: KEY, netns: NS, name: QG },
      { kind: 'route.del', key: KEY, netns: NS, dst: 'default', proto: L3_ROUTE_PROTO },
    ]);
  });

  it('MAC changed: set address only', () => {
    const { a, root } = steady();
    a.links.set(QR, link(QR, 'fa:16:3e:99:99:99', IF.mtu!));
    assertOps(planRouterNetns(R, a, root).ops, [{ kind: 'link.set', key: KEY, netns: NS, name: QR, address: IF.mac }]);
  });

  it('MAC compared case-insensitively', () => {
    const { a, root } = steady();
    a.links.set(QR, link(QR, IF.mac.toUpperCase(), IF.mtu!));
    assert.deepEqual(planRouterNetns(R, a, root).ops, []);
  });

  it('MTU changed inside and outside: set mtu on each end', () => {
    const { a, root } = steady();
    a.links.set(QG, link(QG, GW.mac, 1400));
    root.set(TAPG, link(TAPG, 'fe:00:00:00:00:01', 1400));
    assertOps(planRouterNetns(R, a, root).ops, [
      { kind: 'link.set', key: KEY, netns: NS, name: QG, mtu: 1500 },
      { kind: 'link.set', key: KEY, name: TAPG, mtu: 1500 },
    ]);
  });

  it('a device down inside or a tap down outside: set up', () => {
    const { a, root } = steady();
    a.links.set(QR, link(QR, IF.mac, IF.mtu!, false));
    root.set(TAPG, link(TAPG, 'fe:00:00:00:00:01', GW.mtu!, false));
    assertOps(planRouterNetns(R, a, root).ops, [
      { kind: 'link.set', key: KEY, netns: NS, name: QR, up: true },
      { kind: 'link.set', key: KEY, name: TAPG, up: true },
    ]);
  });

  it('a stale qr-/qg- device is deleted; other devices in the namespace are left alone', () => {
    const { a, root } = steady();
    a.links.set('qr-deadbeef-00', link('qr-deadbeef-00', 'fa:16:3e:00:00:01', 1450));
    a.links.set('qg-deadbeef-01', link('qg-deadbeef-01', 'fa:16:3e:00:00:02', 1450));
    a.links.set('dummy0', link('dummy0', 'fa:16:3e:00:00:03', 1500));
    assertOps(planRouterNetns(R, a, root).ops, [
      { kind: 'link.del', key: KEY, netns: NS, name: 'qr-deadbeef-00' },
      { kind: 'link.del', key: KEY, netns: NS, name: 'qg-deadbeef-01' },
    ]);
  });

  it('a tap missing: the orphan inner end is deleted, the veth recreated, its addresses and our routes put back', () => {
    // Deleting qr- drops its addresses and the routes through it: what was read before is stale.
    const { a, root } = steady();
    root.delete(TAPR);
    assert.deepEqual(planRouterNetns(R, a, root).ops, [
      { kind: 'link.del', key: KEY, netns: NS, name: QR },
      { kind: 'link.add', key: KEY, name: TAPR, link: { type: 'veth', peer: QR, peerNetns: NS }, mtu: 1450 },
      { kind: 'link.set', key: KEY, netns: NS, name: QR, address: IF.mac, mtu: 1450, up: true },
      { kind: 'link.set', key: KEY, name: TAPR, up: true },
      { kind: 'addr.add', key: KEY, netns: NS, dev: QR, cidr: '10.1.0.1/24' },
      { kind: 'route.replace', key: KEY, netns: NS, dst: 'default', via: '198.51.100.1', dev: QG, proto: L3_ROUTE_PROTO },
      { kind: 'route.replace', key: KEY, netns: NS, dst: '10.10.0.0/16', via: '10.1.0.5', proto: L3_ROUTE_PROTO },
    ]);
  });

  it('an inner device missing: the orphan tap is deleted, the veth recreated, addresses re-added', () => {
    const { a, root } = steady();
    a.links.delete(QG);
    a.addresses = a.addresses.filter((x) => x.dev !== QG);
    assert.deepEqual(planRouterNetns(R, a, root).ops, [
      { kind: 'link.del', key: KEY, name: TAPG },
      { kind: 'link.add', key: KEY, name: TAPG, link: { type: 'veth', peer: QG, peerNetns: NS }, mtu: 1500 },
      { kind: 'link.set', key: KEY, netns: NS, name: QG, address: GW.mac, mtu: 1500, up: true },
      { kind: 'link.set', key: KEY, name: TAPG, up: true },
      { kind: 'addr.add', key: KEY, netns: NS, dev: QG, cidr: '198.51.100.11/24' },
      { kind: 'addr.add', key: KEY, netns: NS, dev: QG, cidr: '198.51.100.50/32' },
      { kind: 'route.replace', key: KEY, netns: NS, dst: 'default', via: '198.51.100.1', dev: QG, proto: L3_ROUTE_PROTO },
      { kind: 'route.replace', key: KEY, netns: NS, dst: '10.10.0.0/16', via: '10.1.0.5', proto: L3_ROUTE_PROTO },
    ]);
  });

  it('every op is keyed to the router and names only its namespace or its own taps', () => {
    const plan = planRouterNetns(R, { exists: false, links: new Map(), addresses: [], ownRoutes: [], forwarding: false }, new Map());
    for (const o of plan.ops) {
      assert.equal(o.key, KEY);
      if ('netns' in o && o.netns !== undefined) assert.equal(o.netns, NS);
      else if (o.kind !== 'netns.add') assert.ok([TAPG, TAPR].includes((o as { name: string }).name), JSON.stringify(o));
    }
  });
});
