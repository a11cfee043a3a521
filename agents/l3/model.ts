/**
 * Routers as sync_routers returns them (L3PluginApi, PROTOCOL.md B8), validated at the
 * boundary into the plain data the legacy L3 agent needs. A malformed router is
 * reported, never half-applied.
 */
import { isIP } from 'node:net';

export interface RouterPort {
  id: string;
  mac: string;
  networkId: string;
  mtu: number | null;
  /** ip/prefixlen of each fixed IP. */
  cidrs: string[];
  /** Gateways of the port's subnets (for the default route of a gateway port). */
  gateways: string[];
}

export interface FloatingIp { id: string; floatingIp: string; fixedIp: string; portId: string | null }

export interface Router {
  id: string;
  adminStateUp: boolean;
  ha: boolean;
  distributed: boolean;
  enableSnat: boolean;
  gateway: RouterPort | undefined;
  interfaces: RouterPort[];
  routes: Array<{ destination: string; nexthop: string }>;
  floatingIps: FloatingIp[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Dotted quad as the op renderers accept it (node's isIP: no leading zeros). */
function isIpv4(s: unknown): s is string {
  return typeof s === 'string' && isIP(s) === 4;
}

function isIpv4Cidr(s: unknown): s is string {
  const m = typeof s === 'string' ? /^([^/]+)\/(\d{1,2})$/.exec(s) : null;
  return !!m && isIpv4(m[1]) && Number(m[2]) <= 32;
}

export class RouterPayloadError extends Error {
  constructor(readonly routerId: string | undefined, readonly reason: string) {
    super(`router ${routerId ?? '?'}: ${reason}`);
  }
}

function parsePort(v: unknown, what: string, routerId: string): RouterPort {
  const p = rec(v);
  if (!p) throw new RouterPayloadError(routerId, `${what} is not an object`);
  const id = p['id'], mac = p['mac_address'], net = p['network_id'];
  if (typeof id !== 'string' || !UUID.test(id)) throw new RouterPayloadError(routerId, `${what}.id is not a UUID`);
  if (typeof mac !== 'string' || !MAC.test(mac)) throw new RouterPayloadError(routerId, `${what}.mac_address is not a MAC`);
  if (typeof net !== 'string' || !UUID.test(net)) throw new RouterPayloadError(routerId, `${what}.network_id is not a UUID`);
  const cidrs: string[] = [];
  for (const f of Array.isArray(p['fixed_ips']) ? p['fixed_ips'] : []) {
    const fr = rec(f);
    const ip = fr?.['ip_address'], len = fr?.['prefixlen'];
    // IPv6 router interfaces need radvd, which nucleon does not run yet: IPv4 only.
    if (isIpv4(ip) && typeof len === 'number' && Number.isInteger(len) && len >= 0 && len <= 32) cidrs.push(`${ip}/${len}`);
  }
  const gateways: string[] = [];
  for (const s of Array.isArray(p['subnets']) ? p['subnets'] : []) {
    const gw = rec(s)?.['gateway_ip'];
    if (isIpv4(gw)) gateways.push(gw);
  }
  const mtu = p['mtu'];
  return { id: id.toLowerCase(), mac: mac.toLowerCase(), networkId: net.toLowerCase(), mtu: typeof mtu === 'number' && Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535 ? mtu : null, cidrs, gateways };
}

export function parseRouter(v: unknown): Router {
  const r = rec(v);
  const id = r?.['id'];
  if (!r || typeof id !== 'string' || !UUID.test(id)) throw new RouterPayloadError(typeof id === 'string' ? id : undefined, 'not a router with a UUID id');
  const gwRaw = r['gw_port'];
  const interfaces = (Array.isArray(r['_interfaces']) ? r['_interfaces'] : []).map((p, i) => parsePort(p, `_interfaces[${i}]`, id));
  const routes: Router['routes'] = [];
  for (const x of Array.isArray(r['routes']) ? r['routes'] : []) {
    const o = rec(x);
    const dest = o?.['destination'], hop = o?.['nexthop'];
    if (isIpv4Cidr(dest) && isIpv4(hop)) routes.push({ destination: dest, nexthop: hop });
  }
  const floatingIps: FloatingIp[] = [];
  for (const x of Array.isArray(r['_floatingips']) ? r['_floatingips'] : []) {
    const o = rec(x);
    const fid = o?.['id'], fip = o?.['floating_ip_address'], fixed = o?.['fixed_ip_address'];
    if (typeof fid === 'string' && UUID.test(fid) && isIpv4(fip) && isIpv4(fixed)) floatingIps.push({ id: fid.toLowerCase(), floatingIp: fip, fixedIp: fixed, portId: typeof o?.['port_id'] === 'string' ? String(o['port_id']) : null });
  }
  const egi = rec(r['external_gateway_info']);
  return {
    id: id.toLowerCase(),
    adminStateUp: r['admin_state_up'] !== false,
    ha: r['ha'] === true,
    distributed: r['distributed'] === true,
    enableSnat: (egi?.['enable_snat'] ?? r['enable_snat']) !== false,
    gateway: rec(gwRaw) ? parsePort(gwRaw, 'gw_port', id) : undefined,
    interfaces,
    routes,
    floatingIps,
  };
}

export function routerNamespace(id: string): string {
  return `qrouter-${id}`;
}

/** qr-/qg- + port_id[:11] inside the namespace; tap + port_id[:11] in the root (the L2 agent's). */
export function routerDevices(kind: 'qr' | 'qg', portId: string): { ns: string; tap: string } {
  return { ns: `${kind}-${portId.slice(0, 11)}`, tap: `tap${portId.slice(0, 11)}` };
}
