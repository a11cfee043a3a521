/**
 * Whether metadata is served on a network, and which subnets are isolated:
 * Dnsmasq.get_isolated_subnets / has_metadata_subnet / should_enable_metadata.
 */
import { cidrContains, parseCidr } from './ip.js';
import type { DnsmasqConf, Network, Subnet } from './types.js';

/** Ports that make a subnet routed (neutron_lib ROUTER_INTERFACE_OWNERS). */
export const ROUTER_INTERFACE_OWNERS: readonly string[] = [
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
];

const METADATA_V4_SUBNET = parseCidr('169.254.0.0/16')!;

/** Local subnets first, then the non-local (routed-segment) ones, as Neutron iterates them. */
export function allSubnets(network: Network): readonly Subnet[] {
  return [...network.subnets, ...network.non_local_subnets];
}

/**
 * Subnet ids that are NOT isolated. A subnet is routed when a router interface
 * port holds its gateway_ip (compared as text, like Neutron). Every other id,
 * even an unknown one, counts as isolated (Neutron's defaultdict(True)).
 */
export function routedSubnetIds(network: Network): Set<string> {
  const gateways = new Map(allSubnets(network).map((s) => [s.id, s.gateway_ip]));
  const routed = new Set<string>();
  for (const port of network.ports) {
    if (port.device_owner === null || !ROUTER_INTERFACE_OWNERS.includes(port.device_owner)) continue;
    for (const alloc of port.fixed_ips) {
      if (gateways.has(alloc.subnet_id) && gateways.get(alloc.subnet_id) === alloc.ip_address) routed.add(alloc.subnet_id);
    }
  }
  return routed;
}

/** A subnet inside 169.254.0.0/16 makes a "metadata network". */
export function hasMetadataSubnet(subnets: readonly Subnet[]): boolean {
  return subnets.some((s) => cidrContains(METADATA_V4_SUBNET, s.parsedCidr));
}

type MetadataConf = Pick<DnsmasqConf, 'force_metadata' | 'enable_isolated_metadata' | 'enable_metadata_network'>;

/**
 * Dnsmasq.should_enable_metadata: no DHCP-enabled subnet → never; force_metadata
 * → always; otherwise only with enable_isolated_metadata, for a metadata network
 * (with enable_metadata_network) or when some DHCP-enabled subnet is isolated.
 */
export function shouldServeMetadata(network: Network, conf: MetadataConf): boolean {
  const subnets = allSubnets(network);
  const dhcpSubnets = subnets.filter((s) => s.enable_dhcp);
  if (dhcpSubnets.length === 0) return false;
  if (conf.force_metadata) return true;
  if (!conf.enable_isolated_metadata) return false;
  if (conf.enable_metadata_network && hasMetadataSubnet(subnets)) return true;
  const routed = routedSubnetIds(network);
  return dhcpSubnets.some((s) => !routed.has(s.id));
}
