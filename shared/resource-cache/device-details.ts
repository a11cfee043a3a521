/**
 * get_device_details answered from the cache (CacheBackedPluginApi.get_device_details
 * in neutron/agent/rpc.py), in the server's wire shape (PROTOCOL.md B4, snake_case):
 * - `{device}` when the port is unknown, has no ACTIVE binding, or is not bound
 *   (no binding levels, or no segment);
 * - `{device, no_active_binding: true}` for a compute port whose ACTIVE binding is
 *   on another host, unless a binding profile says `migrating_to` (live migration:
 *   the target host wires the port before the binding moves);
 * - otherwise the details: every key the server's RpcCallbacks._get_device_details
 *   sends (so parseDeviceAnswer in agents/linuxbridge/model.ts reads it), plus the
 *   keys only the cache-backed version adds (device_id, status, vif_type, vnic_type,
 *   security_groups, migrating_to).
 *
 * Where we differ from the Python cache, and why:
 * - the segment is the bottom binding level *of the ACTIVE binding's host* (the
 *   server's PortContext.bottom_bound_segment); Python takes binding_levels[-1] over
 *   all hosts, which during a migration can be the other host's level. A level whose
 *   segment object is absent is resolved by segment_id in the network's segments,
 *   else the network's only segment;
 * - `mtu` (the network's) and `propagate_uplink_status` are added as the server
 *   sends them; the Port object carries no uplink-status field, so it is false;
 * - a port without an ACTIVE binding gives `{device}`, as the server does (Python's
 *   cache raises PortBindingNotFound).
 * When the port's network is not cached, CacheIncompleteError is thrown (Python pulls
 * it synchronously; fetchDeviceDetails does that).
 */
import { CacheIncompleteError } from './errors.js';
import { isUuid } from './ovo-fields.js';
import type { PortBindingRecord, PortRecord, SegmentRecord } from './ovo.js';
import type { CacheReader } from './store.js';

export interface DeviceDetails {
  device: string;
  network_id: string;
  port_id: string;
  /** mac_unix_expanded */
  mac_address: string;
  admin_state_up: boolean;
  network_type: string;
  segmentation_id: number | null;
  physical_network: string | null;
  mtu: number;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
  device_owner: string;
  allowed_address_pairs: Array<{ ip_address: string; mac_address: string }>;
  port_security_enabled: boolean;
  qos_policy_id: string | null;
  qos_network_policy_id: string | null;
  profile: Record<string, unknown>;
  propagate_uplink_status: boolean;
  // Only in CacheBackedPluginApi's answer:
  device_id: string;
  status: string;
  vif_type: string;
  vnic_type: string;
  security_groups: string[];
  migrating_to: string | null;
}

export type DeviceDetailsReply = { device: string } | { device: string; no_active_binding: true } | DeviceDetails;

/** The keys RpcCallbacks._get_device_details (the server) sends, for comparisons. */
export const SERVER_DETAIL_KEYS = [
  'device',
  'network_id',
  'port_id',
  'mac_address',
  'admin_state_up',
  'network_type',
  'segmentation_id',
  'physical_network',
  'mtu',
  'fixed_ips',
  'device_owner',
  'allowed_address_pairs',
  'port_security_enabled',
  'qos_policy_id',
  'qos_network_policy_id',
  'profile',
  'propagate_uplink_status',
] as const;

export const DEVICE_OWNER_COMPUTE_PREFIX = 'compute:';

export function isDeviceDetails(r: DeviceDetailsReply): r is DeviceDetails {
  return 'port_id' in r;
}

/** migrating_to_host(bindings): the `migrating_to` of an ACTIVE binding's profile, if any. */
export function migratingTo(bindings: readonly PortBindingRecord[]): string | null {
  for (const b of bindings) {
    if (b.status !== 'ACTIVE') continue;
    const m = b.profile['migrating_to'];
    if (typeof m === 'string' && m !== '') return m;
  }
  return null;
}

export function deviceDetailsFromCache(cache: CacheReader, device: string, portId: string, host: string): DeviceDetailsReply {
  const port = cache.getPort(portId.toLowerCase());
  if (!port) return { device };
  const active = port.bindings.find((b) => b.status === 'ACTIVE');
  if (!active) return { device };
  const levels = port.bindingLevels.filter((l) => l.host === active.host).sort((a, b) => a.level - b.level);
  const bottom = levels[levels.length - 1];
  if (!bottom) return { device };
  const segment = bottom.segment ?? segmentFromNetwork(cache, port, bottom.segmentId);
  if (!segment) return { device };
  const migrating = migratingTo(port.bindings);
  if (!migrating && port.deviceOwner.startsWith(DEVICE_OWNER_COMPUTE_PREFIX) && active.host !== host) {
    return { device, no_active_binding: true };
  }
  const network = cache.getNetwork(port.networkId);
  if (!network) throw new CacheIncompleteError([{ resourceType: 'Network', id: port.networkId, what: 'record' }]);
  return {
    device,
    network_id: port.networkId,
    port_id: port.id,
    mac_address: port.macAddress,
    admin_state_up: port.adminStateUp,
    network_type: segment.networkType,
    segmentation_id: segment.segmentationId,
    physical_network: segment.physicalNetwork,
    mtu: network.mtu,
    fixed_ips: port.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    device_owner: port.deviceOwner,
    allowed_address_pairs: port.allowedAddressPairs.map((p) => ({ ip_address: p.ipAddress, mac_address: p.macAddress })),
    port_security_enabled: port.portSecurityEnabled,
    qos_policy_id: port.qosPolicyId,
    qos_network_policy_id: network.qosPolicyId,
    profile: active.profile,
    propagate_uplink_status: false,
    device_id: port.deviceId,
    status: port.status,
    vif_type: active.vifType,
    vnic_type: active.vnicType,
    security_groups: [...port.securityGroupIds],
    migrating_to: migrating,
  };
}

function segmentFromNetwork(cache: CacheReader, port: PortRecord, segmentId: string | null): SegmentRecord | undefined {
  const network = cache.getNetwork(port.networkId);
  if (!network) throw new CacheIncompleteError([{ resourceType: 'Network', id: port.networkId, what: 'record' }]);
  const byId = segmentId === null ? undefined : network.segments.find((s) => s.id === segmentId);
  return byId ?? (network.segments.length === 1 ? network.segments[0] : undefined);
}

/** What fetchDeviceDetails needs: the reads plus the pull on a miss. */
export interface PullingCacheReader extends CacheReader {
  pullPort(id: string): Promise<PortRecord | undefined>;
}

/**
 * Python's get_device_details: pulls the port (and its network…) when the cache
 * lacks it, then answers. Rejects with the pull's error (PullFailedError…) so the
 * caller can count the device as failed and retry, as Python does.
 */
export async function fetchDeviceDetails(cache: PullingCacheReader, device: string, portId: string, host: string): Promise<DeviceDetailsReply> {
  // An iface-id that is no port id (set by hand, or by another system) is unknown, as for the server.
  if (!isUuid(portId)) return { device };
  await cache.pullPort(portId);
  return deviceDetailsFromCache(cache, device, portId, host);
}
