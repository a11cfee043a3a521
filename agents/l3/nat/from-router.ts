/**
 * From the L3 agent's validated router (agents/l3/model.ts) to {@link RouterNatInput}.
 * Typed structurally so this folder does not depend on the model's other fields.
 */
import type { RouterMetadataNat, RouterNatInput } from './types.js';

export interface NatRouterPort {
  id: string;
  /** `ip/len` of each fixed IP. */
  cidrs: string[];
}

export interface NatRouter {
  id: string;
  enableSnat: boolean;
  gateway: NatRouterPort | undefined;
  interfaces: NatRouterPort[];
  floatingIps: Array<{ id: string; floatingIp: string; fixedIp: string }>;
}

/** Python's get_internal_device_name / get_external_device_name: prefix + port id, 14 characters. */
export const internalDevice = (portId: string): string => `qr-${portId.slice(0, 11)}`;
export const gatewayDevice = (portId: string): string => `qg-${portId.slice(0, 11)}`;

export function natInputFromRouter(r: NatRouter, metadata: RouterMetadataNat, opts: { ipv6?: boolean; randomFully?: boolean } = {}): RouterNatInput {
  return {
    routerId: r.id,
    ...(r.gateway !== undefined ? { gatewayDevice: gatewayDevice(r.gateway.id) } : {}),
    gatewayIps: r.gateway?.cidrs.map((c) => c.split('/')[0] ?? c) ?? [],
    internalDevices: r.interfaces.map((p) => ({ dev: internalDevice(p.id), cidrs: p.cidrs })),
    enableSnat: r.enableSnat,
    floatingIps: r.floatingIps.map((f) => ({ id: f.id, floatingIp: f.floatingIp, fixedIp: f.fixedIp })),
    metadata,
    ...(opts.ipv6 !== undefined ? { ipv6: opts.ipv6 } : {}),
    ...(opts.randomFully !== undefined ? { randomFully: opts.randomFully } : {}),
  };
}
