/**
 * What the server (or the resource cache, which computes the same dict) says about one
 * device of an L2 agent: get_device_details / get_devices_details_list, PluginApi 1.9
 * (PROTOCOL.md B4). Validated at the boundary: a malformed entry is reported with a
 * reason and never trusted. Shared by the linuxbridge and OVS agents.
 */

export interface FixedIp { subnet_id: string; ip_address: string }
export interface AddressPair { ip_address: string; mac_address?: string }

export type NetworkType = 'flat' | 'vlan' | 'vxlan' | 'local';

export interface DeviceDetails {
  device: string;
  port_id: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  network_type: NetworkType;
  segmentation_id: number | null;
  physical_network: string | null;
  mtu: number | null;
  fixed_ips: FixedIp[];
  device_owner: string;
  allowed_address_pairs: AddressPair[];
  port_security_enabled: boolean;
}

/** The server answers `{device}` for unknown ports and `{device, no_active_binding}` for inactive bindings. */
export type WireDeviceAnswer =
  | { kind: 'port'; details: DeviceDetails }
  | { kind: 'unknown'; device: string }
  | { kind: 'no_active_binding'; device: string }
  | { kind: 'invalid'; device: string | undefined; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseDeviceAnswer(v: unknown): WireDeviceAnswer {
  if (!isRecord(v)) return { kind: 'invalid', device: undefined, reason: 'not an object' };
  const device = typeof v['device'] === 'string' ? v['device'] : undefined;
  if (!device) return { kind: 'invalid', device: undefined, reason: 'no device name' };
  if (!('port_id' in v)) return v['no_active_binding'] === true ? { kind: 'no_active_binding', device } : { kind: 'unknown', device };
  const bad = (reason: string): WireDeviceAnswer => ({ kind: 'invalid', device, reason });
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
  const phys = v['physical_network'];
  if (phys !== null && phys !== undefined && typeof phys !== 'string') return bad('physical_network is not a string');
  const mtu = v['mtu'];
  if (mtu !== null && mtu !== undefined && (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) return bad('mtu out of range');
  const fixed = Array.isArray(v['fixed_ips']) ? v['fixed_ips'] : [];
  const pairs = Array.isArray(v['allowed_address_pairs']) ? v['allowed_address_pairs'] : [];
  return {
    kind: 'port',
    details: {
      device,
      port_id: portId.toLowerCase(),
      network_id: networkId.toLowerCase(),
      mac_address: mac.toLowerCase(),
      admin_state_up: v['admin_state_up'] !== false,
      network_type: type,
      segmentation_id: typeof seg === 'number' ? seg : null,
      physical_network: typeof phys === 'string' ? phys : null,
      mtu: typeof mtu === 'number' ? mtu : null,
      fixed_ips: fixed.filter(isRecord).filter((f) => typeof f['ip_address'] === 'string').map((f) => ({ subnet_id: String(f['subnet_id'] ?? ''), ip_address: String(f['ip_address']) })),
      device_owner: typeof v['device_owner'] === 'string' ? v['device_owner'] : '',
      allowed_address_pairs: pairs.filter(isRecord).filter((p) => typeof p['ip_address'] === 'string').map((p) => ({ ip_address: String(p['ip_address']), ...(typeof p['mac_address'] === 'string' ? { mac_address: p['mac_address'] } : {}) })),
      port_security_enabled: v['port_security_enabled'] !== false,
    },
  };
}
