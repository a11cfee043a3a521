/**
 * The kernel side of one legacy router, as Neutron's L3 agent builds it with the
 * linuxbridge interface driver: namespace qrouter-<id> with forwarding on; per router
 * port a veth whose root end tap<port[:11]> the L2 agent enslaves and whose end
 * qr-<port[:11]> (internal) or qg-<port[:11]> (gateway) inside carries the port's
 * MAC, MTU and addresses; floating IPs as /32 on qg-; the default route through the
 * external subnet's gateway and the router's extra routes, both tagged with route
 * protocol 75 so the agent can tell (and remove) its own routes and nothing else.
 * Pure: desired + what was read → ops. Equal objects yield no op.
 */
import type { ActualAddress, ActualLink } from '../../shared/drivers/ip-links.js';
import type { Op } from '../../shared/reconcile/ops.js';
import { routerDevices, routerNamespace, type Router, type RouterPort } from './model.js';

/** Route protocol number marking routes nucleon-l3-agent owns in a qrouter namespace. */
export const L3_ROUTE_PROTO = 75;

export interface ActualRouterNetns {
  exists: boolean;
  links: Map<string, ActualLink>;
  addresses: ActualAddress[];
  /** Routes with proto L3_ROUTE_PROTO: "dst via gw". */
  ownRoutes: Array<{ dst: string; via: string | undefined }>;
  forwarding: boolean;
}

export interface RouterKernelPlan { ops: Op[]; devices: string[] }

export function planRouterNetns(r: Router, a: ActualRouterNetns, rootLinks: Map<string, ActualLink>): RouterKernelPlan {
  const key = `router:${r.id}`;
  const netns = routerNamespace(r.id);
  const ops: Op[] = [];
  if (!a.exists) ops.push({ kind: 'netns.add', key, name: netns });
  if (!a.forwarding || !a.exists) ops.push({ kind: 'sysctl.set', key, netns, name: 'net.ipv4.ip_forward', value: '1' });
  const lo = a.links.get('lo');
  if (!lo || !lo.up) ops.push({ kind: 'link.set', key, netns, name: 'lo', up: true });

  const ports: Array<{ port: RouterPort; kind: 'qr' | 'qg'; extra: string[] }> = [
    ...r.interfaces.map((port) => ({ port, kind: 'qr' as const, extra: [] })),
    ...(r.gateway ? [{ port: r.gateway, kind: 'qg' as const, extra: r.floatingIps.map((f) => `${f.floatingIp}/32`) }] : []),
  ];
  const wanted = new Set(ports.map((p) => routerDevices(p.kind, p.port.id).ns));
  for (const l of a.links.values()) {
    if (l.name !== 'lo' && !wanted.has(l.name) && (l.name.startsWith('qr-') || l.name.startsWith('qg-'))) ops.push({ kind: 'link.del', key, netns, name: l.name });
  }
  // A recreated veth comes back bare: the kernel dropped its addresses and the routes through it.
  let recreated = false;
  for (const { port, kind, extra } of ports) {
    const { ns, tap } = routerDevices(kind, port.id);
    const inner = a.links.get(ns);
    const outer = rootLinks.get(tap);
    const fresh = !inner || !outer;
    if (fresh) {
      recreated = true;
      if (outer) ops.push({ kind: 'link.del', key, name: tap });
      if (inner) ops.push({ kind: 'link.del', key, netns, name: ns });
      ops.push({ kind: 'link.add', key, name: tap, link: { type: 'veth', peer: ns, peerNetns: netns }, ...(port.mtu ? { mtu: port.mtu } : {}) });
      ops.push({ kind: 'link.set', key, netns, name: ns, address: port.mac, ...(port.mtu ? { mtu: port.mtu } : {}), up: true });
      ops.push({ kind: 'link.set', key, name: tap, up: true });
    } else {
      if (inner.mac?.toLowerCase() !== port.mac) ops.push({ kind: 'link.set', key, netns, name: ns, address: port.mac });
      if (port.mtu && inner.mtu !== port.mtu) ops.push({ kind: 'link.set', key, netns, name: ns, mtu: port.mtu });
      if (port.mtu && outer.mtu !== port.mtu) ops.push({ kind: 'link.set', key, name: tap, mtu: port.mtu });
      if (!inner.up) ops.push({ kind: 'link.set', key, netns, name: ns, up: true });
      if (!outer.up) ops.push({ kind: 'link.set', key, name: tap, up: true });
    }
    const want = new Set([...port.cidrs, ...extra]);
    const have = new Set(!fresh ? a.addresses.filter((x) => x.dev === ns && x.family === 4).map((x) => x.cidr) : []);
    for (const c of want) if (!have.has(c)) ops.push({ kind: 'addr.add', key, netns, dev: ns, cidr: c });
    for (const c of have) if (!want.has(c)) ops.push({ kind: 'addr.del', key, netns, dev: ns, cidr: c });
  }

  // Routes we own: default via the external gateway, then the router's extra routes.
  const desiredRoutes: Array<{ dst: string; via: string; dev?: string }> = [];
  const gwNext = r.gateway?.gateways[0];
  if (r.gateway && gwNext) desiredRoutes.push({ dst: 'default', via: gwNext, dev: routerDevices('qg', r.gateway.id).ns });
  for (const x of r.routes) desiredRoutes.push({ dst: x.destination, via: x.nexthop });
  const haveRoutes = new Set(recreated ? [] : a.ownRoutes.map((x) => `${x.dst}|${x.via ?? ''}`));
  const wantRoutes = new Set(desiredRoutes.map((x) => `${x.dst}|${x.via}`));
  for (const x of a.ownRoutes) if (!wantRoutes.has(`${x.dst}|${x.via ?? ''}`)) ops.push({ kind: 'route.del', key, netns, dst: x.dst, proto: L3_ROUTE_PROTO });
  for (const x of desiredRoutes) {
    if (!haveRoutes.has(`${x.dst}|${x.via}`)) ops.push({ kind: 'route.replace', key, netns, dst: x.dst, via: x.via, ...(x.dev ? { dev: x.dev } : {}), proto: L3_ROUTE_PROTO });
  }
  return { ops, devices: [...wanted] };
}
