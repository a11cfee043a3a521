/**
 * Where the firewall's security_group_info_for_devices answer comes from: the server
 * (one call per 20 taps) or the resource cache (computed locally, as the Python OVS
 * agent's SecurityGroupServerAPIShim). Both give the server's reply shape with
 * `device` = the tap name, which shared/firewall reads.
 */
import { securityGroupInfoPulling, type PortsPullingCacheReader } from '../../shared/resource-cache/index.js';
import type { DeviceDetails } from './model.js';
import type { LinuxBridgePluginApi } from './plugin-api.js';

export interface SgInfoSource {
  /** The reply for these wired ports (unknown and `network:` owned ports are left out, as the server does). */
  securityGroupInfo(ports: readonly DeviceDetails[]): Promise<unknown>;
}

const EMPTY = { devices: {}, security_groups: {}, sg_member_ips: {} };

export function rpcSgInfo(plugin: Pick<LinuxBridgePluginApi, 'securityGroupInfoForDevices'>): SgInfoSource {
  return {
    securityGroupInfo: async (ports) => (ports.length > 0 ? plugin.securityGroupInfoForDevices(ports.map((p) => p.device)) : EMPTY),
  };
}

/** From what the cache holds; what it lacks (a group's rules pushed late, new members) is pulled first. */
export function cacheSgInfo(cache: PortsPullingCacheReader): SgInfoSource {
  return { securityGroupInfo: (ports) => securityGroupInfoPulling(cache, ports.map((p) => p.port_id)) };
}
