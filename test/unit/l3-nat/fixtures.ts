/**
 * Routers for the l3-nat tests: the recorded sync_routers reply, variations of it,
 * and the same routers as RouterNatInput (through natInputFromRouter, the agent's path).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natInputFromRouter, type NatRouter } from '../../../agents/l3/nat/from-router.js';
import type { RouterMetadataNat, RouterNatInput } from '../../../agents/l3/nat/types.js';
import { SAMPLES } from './neutron.js';

type Dict = Record<string, unknown>;

export function recordedRouter(): Dict {
  const sample = JSON.parse(readFileSync(join(SAMPLES, 'neutron__q-l3-plugin__sync_routers.json'), 'utf8')) as { reply: { message: { result: Dict[] } } };
  const r = sample.reply.message.result[0];
  if (r === undefined) throw new Error('no router in the recorded reply');
  return structuredClone(r);
}

export const METADATA: RouterMetadataNat = { enabled: true, port: 9697, accessMark: '0x1', ingressMark: '0x2' };

/** Floating IPs as sync_routers puts them in `_floatingips`. */
export function withFloatingIps(r: Dict, fips: Array<[id: string, floating: string, fixed: string]>): Dict {
  return { ...r, _floatingips: fips.map(([id, f, x]) => ({ id, floating_ip_address: f, fixed_ip_address: x, status: 'DOWN' })) };
}

export function withoutGateway(r: Dict): Dict {
  const c = { ...r };
  delete c['gw_port'];
  delete c['gw_port_id'];
  c['external_gateway_info'] = null;
  return c;
}

export function withSnat(r: Dict, enable: boolean): Dict {
  const egi = r['external_gateway_info'] as Dict | null;
  return { ...r, enable_snat: enable, ...(egi ? { external_gateway_info: { ...egi, enable_snat: enable } } : {}) };
}

/** A second internal port, with an IPv4 and an IPv6 address. */
export function withSecondInterface(r: Dict): Dict {
  const ifs = r['_interfaces'] as Dict[];
  const second: Dict = {
    ...structuredClone(ifs[0] as Dict),
    id: '5b1c0e7d-2f3a-4c5b-8d6e-7f8091a2b3c4',
    fixed_ips: [
      { subnet_id: 'a', ip_address: '10.91.0.1', prefixlen: 24 },
      { subnet_id: 'b', ip_address: '2001:db8:91::1', prefixlen: 64 },
    ],
  };
  return { ...r, _interfaces: [...ifs, second] };
}

interface FixedIp { ip_address: string; prefixlen?: number }
interface PortDict { id: string; fixed_ips: FixedIp[] }

/** The agent's model of a sync_routers router, reduced to what NAT needs (as agents/l3/model.ts parses it). */
export function natRouter(r: Dict): NatRouter {
  const cidrs = (p: PortDict): string[] => p.fixed_ips.map((f) => `${f.ip_address}/${f.prefixlen ?? 32}`);
  const gw = r['gw_port'] as PortDict | undefined;
  const egi = r['external_gateway_info'] as Dict | null | undefined;
  return {
    id: r['id'] as string,
    enableSnat: (egi?.['enable_snat'] ?? r['enable_snat']) !== false,
    gateway: gw ? { id: gw.id, cidrs: cidrs(gw) } : undefined,
    interfaces: ((r['_interfaces'] as PortDict[] | undefined) ?? []).map((p) => ({ id: p.id, cidrs: cidrs(p) })),
    floatingIps: ((r['_floatingips'] as Dict[] | undefined) ?? []).map((f) => ({ id: f['id'] as string, floatingIp: f['floating_ip_address'] as string, fixedIp: f['fixed_ip_address'] as string })),
  };
}

export function inputOf(r: Dict, metadata: RouterMetadataNat = METADATA, opts: { ipv6?: boolean; randomFully?: boolean } = {}): RouterNatInput {
  return natInputFromRouter(natRouter(r), metadata, opts);
}
