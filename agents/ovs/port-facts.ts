/**
 * The facts the OVS agent needs about one port, parsed from a get_device_details-shaped
 * dict (computed locally from the resource cache, as the Python agent's
 * CacheBackedPluginApi does; PROTOCOL.md B4). Validated here: a malformed entry is
 * reported with a reason and the port is treated as not wirable, never trusted.
 */
import { parseDeviceAnswer } from '../../shared/agent/device-details.js';
import type { AllowedAddressPair, OvsNetworkType } from './model.js';

export interface PortFacts {
  portId: string;
  networkId: string;
  mac: string;
  adminStateUp: boolean;
  networkType: OvsNetworkType;
  segmentationId: number | undefined;
  physicalNetwork: string | undefined;
  mtu: number | undefined;
  fixedIps: string[];
  allowedAddressPairs: AllowedAddressPair[];
  portSecurityEnabled: boolean;
  securityGroupIds: string[];
  deviceOwner: string;
}

export type PortAnswer =
  | { kind: 'port'; facts: PortFacts }
  | { kind: 'unknown' }
  | { kind: 'no_active_binding' }
  | { kind: 'invalid'; reason: string };

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** The shared device-details parser, plus what the OVS agent needs on top (VLAN range, physnet, groups). */
export function parsePortDetails(v: unknown): PortAnswer {
  const a = parseDeviceAnswer(v);
  if (a.kind === 'unknown' || a.kind === 'no_active_binding') return { kind: a.kind };
  if (a.kind === 'invalid') return { kind: 'invalid', reason: a.reason };
  const d = a.details;
  const bad = (reason: string): PortAnswer => ({ kind: 'invalid', reason });
  if (d.network_type === 'vlan' && d.segmentation_id !== null && (d.segmentation_id < 1 || d.segmentation_id > 4094)) return bad('vlan segmentation_id out of 1..4094');
  if ((d.network_type === 'flat' || d.network_type === 'vlan') && d.physical_network === null) return bad(`${d.network_type} network without physical_network`);
  const raw = v as Record<string, unknown>;
  const sgs = Array.isArray(raw['security_groups']) ? raw['security_groups'].filter((s): s is string => typeof s === 'string') : [];
  return {
    kind: 'port',
    facts: {
      portId: d.port_id,
      networkId: d.network_id,
      mac: d.mac_address,
      adminStateUp: d.admin_state_up,
      networkType: d.network_type,
      segmentationId: d.segmentation_id ?? undefined,
      physicalNetwork: d.physical_network ?? undefined,
      mtu: d.mtu ?? undefined,
      fixedIps: d.fixed_ips.map((f) => f.ip_address),
      // A pair without a MAC uses the port's (Neutron's default).
      allowedAddressPairs: d.allowed_address_pairs.map((p) => ({ ipAddress: p.ip_address, macAddress: p.mac_address !== undefined && MAC.test(p.mac_address) ? p.mac_address.toLowerCase() : d.mac_address })),
      portSecurityEnabled: d.port_security_enabled,
      securityGroupIds: sgs,
      deviceOwner: d.device_owner,
    },
  };
}
