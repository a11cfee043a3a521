/**
 * Typed shapes the dnsmasq renderer works on: the validated subset of the
 * network dict of get_network_info / get_active_networks_info (PROTOCOL.md B7),
 * the agent options Neutron's Dnsmasq driver reads, and the rendered result.
 */
import type { IpVersion, ParsedCidr } from './ip.js';

export interface HostRoute {
  readonly destination: string;
  readonly nexthop: string;
}

export interface Subnet {
  readonly id: string;
  readonly cidr: string;
  readonly parsedCidr: ParsedCidr;
  readonly ip_version: IpVersion;
  readonly enable_dhcp: boolean;
  readonly gateway_ip: string | null;
  readonly dns_nameservers: readonly string[];
  readonly host_routes: readonly HostRoute[];
  readonly ipv6_address_mode: string | null;
  readonly ipv6_ra_mode: string | null;
  readonly segment_id: string | null;
}

export interface FixedIp {
  readonly subnet_id: string;
  readonly ip_address: string;
  readonly version: IpVersion;
}

export interface ExtraDhcpOpt {
  /** A name (`router`, `tag:foo,bar`) or a number; Neutron str()s it. */
  readonly opt_name: string | number;
  readonly opt_value: string;
  readonly ip_version: IpVersion;
}

export interface DnsAssignment {
  readonly hostname: string | null;
  readonly ip_address: string;
  readonly fqdn: string | null;
}

export interface Port {
  readonly id: string;
  readonly mac_address: string;
  readonly device_owner: string | null;
  readonly device_id: string | null;
  readonly fixed_ips: readonly FixedIp[];
  readonly extra_dhcp_opts: readonly ExtraDhcpOpt[];
  /** null when the server does not send dns_assignment (no dns extension). */
  readonly dns_assignment: readonly DnsAssignment[] | null;
}

export interface Network {
  readonly id: string;
  /** 0 when absent: Neutron then advertises no MTU. */
  readonly mtu: number;
  readonly subnets: readonly Subnet[];
  readonly non_local_subnets: readonly Subnet[];
  readonly ports: readonly Port[];
}

/**
 * The agent options Neutron's Dnsmasq reads, under their oslo names (so a
 * loaded dhcp_agent.ini maps onto it key for key). Defaults: DNSMASQ_DEFAULTS.
 */
export interface DnsmasqConf {
  /** Absolute directory; the network's files live in `<dhcp_confs>/<network_id>/`. */
  readonly dhcp_confs: string;
  /** Seconds; -1 means `infinite`. */
  readonly dhcp_lease_duration: number;
  readonly dns_domain: string;
  readonly dnsmasq_dns_servers: readonly string[];
  readonly dnsmasq_local_resolv: boolean;
  readonly dnsmasq_lease_max: number;
  readonly dhcp_broadcast_reply: boolean;
  readonly dnsmasq_config_file: string;
  readonly dnsmasq_base_log_dir: string | null;
  readonly dnsmasq_enable_addr6_list: boolean;
  readonly dhcp_renewal_time: number;
  readonly dhcp_rebinding_time: number;
  readonly enable_isolated_metadata: boolean;
  readonly force_metadata: boolean;
  readonly enable_metadata_network: boolean;
}

/** Facts about this host and the DHCP port that Neutron reads from the kernel or probes. */
export interface DnsmasqEnv {
  /**
   * The id of this agent's DHCP port on the network (device_id = dhcpDeviceId()).
   * Its interface is `ns-<id[:11]>`, and its addresses (fixed IPs on local
   * DHCP-enabled subnets) are what Neutron reads back for the isolated metadata
   * route. null before the port exists.
   */
  readonly dhcpPortId: string | null;
  /** `dnsmasq --test --dhcp-host=tag:foo` succeeds (dnsmasq ≥ 2.81): IPv6 host lines get `tag:dhcpv6,`. */
  readonly hostTagSupported: boolean;
  /** The interface driver bridges the DHCP port to VM taps (true for OVS and Linux bridge). */
  readonly bridged: boolean;
}

export interface Problem {
  /** Where in the network dict, e.g. `ports[3].fixed_ips[0].ip_address`. */
  readonly path: string;
  readonly reason: string;
}

export interface DnsmasqFiles {
  readonly host: string;
  readonly addn_hosts: string;
  readonly opts: string;
  /** The leases file is dnsmasq's own state; only bootstrapped at spawn, never rendered here. */
  readonly leases?: never;
}

export interface DnsmasqRender {
  /** The dnsmasq command line, without `ip netns exec <ns>`. */
  readonly argv: string[];
  readonly files: DnsmasqFiles;
  readonly problems: Problem[];
}
