/**
 * The kernel side of one legacy router, as Neutron's L3 agent builds it: namespace
 * qrouter-<id> with forwarding on; per router port a veth whose root end
 * tap<port[:11]> is attached by the interface driver (linuxbridge: the L2 agent
 * enslaves it; openvswitch: plugged into br-int here, see
 * shared/drivers/interface-driver) and whose end qr-<port[:11]> (internal) or
 * qg-<port[:11]> (gateway) inside carries the port's MAC, MTU and addresses;
 * floating IPs as /32 on qg-; the default route through the external subnet's
 * gateway and the router's extra routes, both tagged with route protocol 75 so the
 * agent can tell (and remove) its own routes and nothing else.
 * Pure: desired + what was read → ops. Equal objects yield no op.
 */
import type { ActualAddress, ActualLink } from '../../shared/drivers/ip-links.js';
import type { Op } from '../../shared/reconcile/ops.js';
import { LINUXBRIDGE_DRIVER, type ChecksumOffload, type DeviceCommand, type InterfaceDriver, type PlugState } from '../../shared/drivers/interface-driver/index.js';
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
  /** Checksum offload of the qr-/qg- devices, where the interface driver reads it (OVS netdev). */
  offload?: Map<string, ChecksumOffload>;
}

/** Stages as in applyPlugPlan: `detach`, then `ops`, then `commands`. */
export interface RouterKernelPlan { detach: Op[]; ops: Op[]; commands: DeviceCommand[]; devices: string[] }

export function planRouterNetns(r: Router, a: ActualRouterNetns, rootLinks: Map<string, ActualLink>, driver: InterfaceDriver = LINUXBRIDGE_DRIVER, state: PlugState = undefined): RouterKernelPlan {
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
  const detach: Op[] = [];
  const commands: DeviceCommand[] = [];
  const taps = new Set<string>();
  for (const { port, kind, extra } of ports) {
    const { ns, tap } = routerDevices(kind, port.id);
    taps.add(tap);
    const plug = driver.plug({ key, portId: port.id, mac: port.mac, mtu: port.mtu, netns, device: ns, tap }, { inner: a.links.get(ns), outer: rootLinks.get(tap), offload: a.offload?.get(ns) }, state);
    const fresh = plug.rebuilt;
    if (fresh) recreated = true;
    ops.push(...plug.ops);
    detach.push(...plug.detach);
    commands.push(...plug.commands);
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
  // Ports of removed interfaces (their qr- end deleted above), still plugged into the integration bridge.
  ops.push(...driver.unplugStale(key, taps, state, rootLinks));
  return { detach, ops, commands, devices: [...wanted] };
}
