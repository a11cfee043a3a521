/**
 * Device names the Python OVS agent uses, so a node switched between the two agents
 * keeps its ports: patch ports `int-<bridge>` / `phy-<bridge>` (hashed when longer than
 * IFNAMSIZ-1, neutron/plugins/common/utils.get_interface_name), tunnel ports
 * `<type>-<remote IPv4 as 8 hex digits>` (ovs_neutron_agent._create_tunnel_port_name).
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';

const MAX_LEN = 15;
const HASH_LEN = 6;

export const INT_PEER_PREFIX = 'int-';
export const PHY_PEER_PREFIX = 'phy-';
/** Neutron's dead VLAN: a port tagged with it is cut off (br-int table 0 drops it). */
export const DEAD_VLAN = 4095;

export function interfaceName(name: string, prefix: string): string {
  if (prefix.length + name.length <= MAX_LEN) return `${prefix}${name}`;
  const keep = MAX_LEN - prefix.length;
  const hashed = createHash('sha1').update(name).digest('hex');
  return `${prefix}${name.slice(0, keep - HASH_LEN)}${hashed.slice(0, HASH_LEN)}`;
}

export function tunnelPortName(tunnelType: string, remoteIp: string): string {
  if (isIPv4(remoteIp)) {
    const hex = remoteIp.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
    return `${tunnelType}-${hex}`;
  }
  // IPv6 VTEPs: Neutron hashes the address into the 15 characters.
  const hashed = createHash('sha1').update(remoteIp).digest('hex');
  return `${tunnelType}-${hashed.slice(0, MAX_LEN - tunnelType.length - 1)}`;
}

/** True for names this agent gives tunnel ports (so only those are ever swept from br-tun). */
export function isTunnelPortName(name: string, tunnelType: string): boolean {
  return name.startsWith(`${tunnelType}-`) && /^[0-9a-f]+$/.test(name.slice(tunnelType.length + 1));
}
