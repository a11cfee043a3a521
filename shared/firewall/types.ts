/**
 * Input and output shapes of the security-group firewall renderers.
 *
 * Input mirrors the reply of `security_group_info_for_devices` (PROTOCOL.md B4,
 * recorded in neutron-lab/wire-samples): ports keyed by port id, each carrying
 * its tap `device`; rules per group; member IPs per group and ethertype.
 * The raw reply is `unknown` until {@link parseSgInfo} (validate.ts) has checked it.
 */

export type Ethertype = 'IPv4' | 'IPv6';
export type Direction = 'ingress' | 'egress';

/** One security group rule as the server sends it (only the fields we use). */
export interface SgRule {
  direction: Direction;
  ethertype: Ethertype;
  /** Python's default when absent is stateful. */
  stateful?: boolean;
  /** Name (`tcp`, `icmp`, `ipv6-icmp`, …) or number as a string; absent/`0`/`any`: all protocols. */
  protocol?: string;
  port_range_min?: number;
  port_range_max?: number;
  source_port_range_min?: number;
  source_port_range_max?: number;
  source_ip_prefix?: string;
  dest_ip_prefix?: string;
  remote_group_id?: string;
  remote_address_group_id?: string;
}

export interface AllowedAddressPair {
  ip_address: string;
  mac_address: string;
}

/** A port (device) as found in `devices` of the reply. */
export interface SgPort {
  id: string;
  /** Tap device on this node, `tap` + port_id[:11]. */
  device: string;
  network_id?: string;
  mac_address: string;
  /** Plain addresses (the SG reply gives strings, not `{ip_address}` dicts). */
  fixed_ips: string[];
  allowed_address_pairs: AllowedAddressPair[];
  /** Absent means enabled (Python's `port.get('port_security_enabled', True)`). */
  port_security_enabled: boolean;
  device_owner: string;
  security_groups: string[];
  /** Per-port rules the server adds (DHCP replies to this port), same shape as group rules. */
  security_group_rules: SgRule[];
}

export interface SgMembers {
  IPv4: Array<[string, string | null]>;
  IPv6: Array<[string, string | null]>;
}

/** Validated desired state for one node namespace. */
export interface SgInfo {
  devices: Record<string, SgPort>;
  security_groups: Record<string, SgRule[]>;
  sg_member_ips: Record<string, SgMembers>;
  /**
   * Devices with no security (Python's "trusted" ports: requested devices the server
   * left out of the reply, i.e. network-owned ports). They get ACCEPT jumps.
   */
  trusted_devices: string[];
}

/** Something in the input that was skipped, with where and why. */
export interface Problem {
  path: string;
  reason: string;
}

/** One ipset to hold exactly `members` (CIDRs as ipset prints them). */
export interface IpsetSpec {
  name: string;
  family: 'inet' | 'inet6';
  members: string[];
}

/**
 * What nucleon owns in one iptables family's filter table: chain names and their
 * rules (`-A chain …`). The jumps into them from built-in chains and
 * neutron-filter-top are added by restore-script.ts, only when missing.
 */
export interface OwnedFilterTable {
  /** Full names (`neutron-linuxbri-…`), sorted. */
  chains: string[];
  /** `-A <owned chain> …` lines, in order. */
  rules: string[];
}

export interface FirewallRender {
  /** iptables-restore fragment for IPv4: `:chain - [0:0]` and `-A` lines of owned chains. */
  iptables4: string;
  iptables6: string;
  tables: { 4: OwnedFilterTable; 6: OwnedFilterTable };
  ipsets: IpsetSpec[];
  /** An `nft -f` script replacing `table bridge nucleon_l2` (empty table when no port needs it). */
  nftBridge: string;
  /** The filtered ports (port security on, one per device): each gets a conntrack zone. */
  filtered: SgPort[];
  problems: Problem[];
}
