/**
 * security_group_info_for_devices for the agents' firewalls, answered by the resource
 * cache: computed locally (no RPC) when the cache holds everything; when it lacks a
 * port, a group's rules (pushed late) or members, those are pulled first. The same
 * steps every cache-backed firewall input takes (the OVS agent's openvswitch and
 * iptables_hybrid drivers, the linuxbridge agent's cacheSgInfo).
 */
import { CacheIncompleteError } from './errors.js';
import { fetchSecurityGroupInfo, securityGroupInfoFromCache, type PortsPullingCacheReader, type SgInfoReply } from './sg-info.js';

export async function securityGroupInfoPulling(cache: PortsPullingCacheReader, portIds: readonly string[]): Promise<SgInfoReply> {
  try {
    return securityGroupInfoFromCache(cache, portIds);
  } catch (err) {
    if (!(err instanceof CacheIncompleteError)) throw err;
    return fetchSecurityGroupInfo(cache, portIds);
  }
}
