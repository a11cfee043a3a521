/**
 * The facts the OVS agent needs about one port, parsed from a get_device_details-shaped
 * dict (computed locally from the resource cache, as the Python agent's
 * CacheBackedPluginApi does; PROTOCOL.md B4). Validated here: a malformed entry is
 * reported with a reason and the port is treated as not wirable, never trusted.
 */
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parsePortDetails(v: unknown): PortAnswer {
  if (!isRecord(v)) return { kind: 'invalid', reason: 'not an object' };
  if (!('port_id' in v)) return v['no_active_binding'] === true ? { kind: 'no_active_binding' } : { kind: 'unknown' };
  const bad = (reason: string): PortAnswer => ({ kind: 'invalid', reason });
  const portId = v['port_id'];
  const networkId = v['network_id'];
  if (typeof portId !== 'string' || !UUID.test(portId)) return bad('port_id is not a UUID');
  if (typeof networkId !== 'string' || !UUID.test(networkId)) return bad('network_id is not a UUID');
  const mac = v['mac_address'];
  if (typeof mac !== 'string' || !MAC.test(mac)) return bad('mac_address is not a MAC');
  const type = v['network_type'];
  if (type !== 'flat' && type !== 'vlan' && type !== 'vxlan' && type !== 'local') return bad(`unsupported network_type ${String(type)}`);
  const seg = v['segmentation_id'];
  if (seg !== null && seg !== undefined && (typeof seg !== 'number' || !Number.isInteger(seg) || seg < 0 || seg > 16777215)) return bad('segmentation_id out of range');
  if ((type === 'vlan' || type === 'vxlan') && typeof seg !== 'number') return bad(`${type} network without segmentation_id`);
  if (type === 'vlan' && typeof seg === 'number' && (seg < 1 || seg > 4094)) return bad('vlan segmentation_id out of 1..4094');
  const phys = v['physical_network'];
  if (phys !== null && phys !== undefined && typeof phys !== 'string') return bad('physical_network is not a string');
  if ((type === 'flat' || type === 'vlan') && typeof phys !== 'string') return bad(`${type} network without physical_network`);
  const mtu = v['mtu'];
  const fixed = Array.isArray(v['fixed_ips']) ? v['fixed_ips'] : [];
  const fixedIps = fixed.map((f) => (isRecord(f) ? f['ip_address'] : f)).filter((ip): ip is string => typeof ip === 'string');
  const pairs: AllowedAddressPair[] = [];
  for (const p of Array.isArray(v['allowed_address_pairs']) ? v['allowed_address_pairs'] : []) {
    if (!isRecord(p) || typeof p['ip_address'] !== 'string') continue;
    const pm = typeof p['mac_address'] === 'string' && MAC.test(p['mac_address']) ? p['mac_address'].toLowerCase() : mac.toLowerCase();
    pairs.push({ ipAddress: p['ip_address'], macAddress: pm });
  }
  const sgs = Array.isArray(v['security_groups']) ? v['security_groups'].filter((s): s is string => typeof s === 'string') : [];
  return {
    kind: 'port',
    facts: {
      portId: portId.toLowerCase(),
      networkId: networkId.toLowerCase(),
      mac: mac.toLowerCase(),
      adminStateUp: v['admin_state_up'] !== false,
      networkType: type,
      segmentationId: typeof seg === 'number' ? seg : undefined,
      physicalNetwork: typeof phys === 'string' ? phys : undefined,
      mtu: typeof mtu === 'number' && Number.isInteger(mtu) && mtu > 0 ? mtu : undefined,
      fixedIps,
      allowedAddressPairs: pairs,
      // Python: details.get('port_security_enabled', True)
      portSecurityEnabled: v['port_security_enabled'] !== false,
      securityGroupIds: sgs,
      deviceOwner: typeof v['device_owner'] === 'string' ? v['device_owner'] : '',
    },
  };
}
