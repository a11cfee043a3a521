/**
 * Recorded L3 wire samples and hand-made routers in sync_routers shape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Json = Record<string, unknown>;

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
export const SAMPLES = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples');

export function sample(file: string): Json {
  return JSON.parse(readFileSync(join(SAMPLES, file), 'utf8')) as Json;
}
export function request(file: string): { method: string; args: Json; version: string } {
  const r = sample(file)['request'] as Json;
  return { method: r['method'] as string, args: r['args'] as Json, version: r['version'] as string };
}
/** The routers sync_routers answered in the lab. */
export function recordedRouters(): Json[] {
  return ((sample('neutron__q-l3-plugin__sync_routers.json')['reply'] as Json)['message'] as Json)['result'] as Json[];
}

export function uuid(n: number, prefix = 'aaaaaaaa'): string {
  return `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Port ids differ in their first 11 characters (device names are qr-/qg-/tap + id[:11]). */
export function portId(n: number): string {
  return `${(0xd0000000 + n).toString(16)}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function portJson(id: string, net: string, ip: string, prefixlen: number, gateway: string, extra: Json = {}): Json {
  return {
    id,
    network_id: net,
    mac_address: `fa:16:3e:00:${id.slice(-4, -2)}:${id.slice(-2)}`,
    fixed_ips: [{ subnet_id: uuid(9, 'eeeeeeee'), ip_address: ip, prefixlen }],
    subnets: [{ id: uuid(9, 'eeeeeeee'), cidr: `${ip}/${prefixlen}`, gateway_ip: gateway }],
    mtu: 1450,
    ...extra,
  };
}

export const EXT_NET = uuid(1, 'bbbbbbbb');
export const INT_NET = uuid(2, 'bbbbbbbb');

/** A legacy router: gateway on EXT_NET, one interface on INT_NET, FIPs as given. */
export function routerJson(n: number, opts: { fips?: Array<{ id: string; fip: string; fixed: string }>; extra?: Json } = {}): Json {
  const id = uuid(n, 'cccccccc');
  return {
    id,
    admin_state_up: true,
    ha: false,
    distributed: false,
    external_gateway_info: { network_id: EXT_NET, enable_snat: true },
    gw_port: portJson(portId(100 + n), EXT_NET, `198.51.100.${10 + n}`, 24, '198.51.100.1', { mtu: 1500 }),
    _interfaces: [portJson(portId(200 + n), INT_NET, `10.${n}.0.1`, 24, `10.${n}.0.1`)],
    routes: [],
    _floatingips: (opts.fips ?? []).map((f) => ({ id: f.id, floating_ip_address: f.fip, fixed_ip_address: f.fixed, port_id: portId(300 + n) })),
    ...opts.extra,
  };
}
