/**
 * The server-side DHCP port of a network, as Neutron's DeviceManager.setup_dhcp_port
 * decides it: reuse ours (device_id = dhcp<uuid5(host)>-<network>) and fix its subnets
 * if the set of DHCP-enabled subnets changed, else adopt a port reserved for DHCP,
 * else create one with an address on every DHCP-enabled subnet.
 */
import type { RawNetwork, RawPort } from './plugin-api.js';

/** neutron_lib.constants.DEVICE_ID_RESERVED_DHCP_PORT */
export const RESERVED_DHCP_DEVICE_ID = 'reserved_dhcp_port';

export type DhcpPortPlan =
  | { action: 'use'; port: RawPort }
  | { action: 'update'; portId: string; body: Record<string, unknown> }
  | { action: 'create'; body: Record<string, unknown> };

interface FixedIp { subnet_id: string; ip_address?: string }

function fixedIps(port: RawPort): FixedIp[] {
  const f = port['fixed_ips'];
  return Array.isArray(f) ? f.filter((x): x is FixedIp => typeof x === 'object' && x !== null && typeof (x as FixedIp).subnet_id === 'string') : [];
}

export function dhcpSubnetIds(network: RawNetwork): string[] {
  const subnets = Array.isArray(network['subnets']) ? network['subnets'] : [];
  return subnets
    .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && (s as Record<string, unknown>)['enable_dhcp'] === true && typeof (s as Record<string, unknown>)['id'] === 'string')
    .map((s) => String(s['id']))
    .sort();
}

export function planDhcpPort(network: RawNetwork, deviceId: string): DhcpPortPlan {
  const ports = (Array.isArray(network['ports']) ? network['ports'] : []).filter((p): p is RawPort => typeof p === 'object' && p !== null);
  const wanted = new Set(dhcpSubnetIds(network));
  const ours = ports.find((p) => p['device_id'] === deviceId);
  if (ours) {
    const have = new Set(fixedIps(ours).map((f) => f.subnet_id));
    const same = have.size === wanted.size && [...wanted].every((s) => have.has(s));
    if (same) return { action: 'use', port: ours };
    const keep = fixedIps(ours).filter((f) => wanted.has(f.subnet_id)).map((f) => ({ subnet_id: f.subnet_id, ...(f.ip_address ? { ip_address: f.ip_address } : {}) }));
    const add = [...wanted].filter((s) => !have.has(s)).map((s) => ({ subnet_id: s }));
    return { action: 'update', portId: String(ours['id']), body: { network_id: network['id'], fixed_ips: [...keep, ...add] } };
  }
  const reserved = ports.find((p) => p['device_id'] === RESERVED_DHCP_DEVICE_ID);
  if (reserved) return { action: 'update', portId: String(reserved['id']), body: { network_id: network['id'], device_id: deviceId } };
  return {
    action: 'create',
    body: { name: '', admin_state_up: true, device_id: deviceId, network_id: network['id'], project_id: network['project_id'] ?? network['tenant_id'], fixed_ips: [...wanted].map((s) => ({ subnet_id: s })) },
  };
}
