/**
 * Numbers of Neutron's Zed openvswitch firewall, so `ovs-ofctl dump-flows br-int` reads
 * the same as with the Python agent and a node migrated from it is adopted as is.
 *
 * Tables: neutron_lib/plugins/ml2/ovs_constants.py. Registers, conntrack states and
 * marks: neutron/agent/linux/openvswitch_firewall/constants.py. ICMPv6 types:
 * neutron/agent/firewall.py and neutron_lib/constants.py.
 */

export const TABLE = {
  /** TRANSIENT_TABLE: we own priority ≥ 90 (port steering); the br-int renderer owns the rest. */
  TRANSIENT: 60,
  BASE_EGRESS: 71,
  RULES_EGRESS: 72,
  ACCEPT_OR_INGRESS: 73,
  BASE_INGRESS: 81,
  RULES_INGRESS: 82,
  /** Hooks for other components (QoS, logging, …): Neutron fills them with pass-through defaults. */
  ACCEPTED_EGRESS_TRAFFIC: 91,
  ACCEPTED_INGRESS_TRAFFIC: 92,
  DROPPED_TRAFFIC: 93,
  ACCEPTED_EGRESS_TRAFFIC_NORMAL: 94,
} as const;

/** Tables 71–94 that this renderer owns entirely (every flow in them is ours). */
export const OWNED_TABLES: readonly number[] = [
  TABLE.BASE_EGRESS, TABLE.RULES_EGRESS, TABLE.ACCEPT_OR_INGRESS, TABLE.BASE_INGRESS, TABLE.RULES_INGRESS,
  TABLE.ACCEPTED_EGRESS_TRAFFIC, TABLE.ACCEPTED_INGRESS_TRAFFIC, TABLE.DROPPED_TRAFFIC, TABLE.ACCEPTED_EGRESS_TRAFFIC_NORMAL,
];

/** In table 60 we own the flows at this priority and above. */
export const TRANSIENT_MIN_PRIORITY = 90;

/** reg5 carries the filtered port's ofport, reg6 its network's conntrack zone (the local VLAN). */
export const REG_PORT = 5;
export const REG_NET = 6;
/**
 * reg7: the conjunction id that accepted the packet (Neutron's REG_REMOTE_GROUP, read by
 * its logging extension). Set by the `conj_id=` accept flows of remote-group rules.
 */
export const REG_REMOTE_GROUP = 7;

/** The conntrack zone is the low 16 bits of reg6. */
export const CT_ZONE = `NXM_NX_REG${REG_NET}[0..15]`;

export const CT = {
  NOT_TRACKED: '-trk',
  TRACKED: '+trk',
  NEW_NOT_ESTABLISHED: '+new-est',
  NOT_ESTABLISHED: '-est',
  ESTABLISHED: '+est',
  ESTABLISHED_NOT_REPLY: '+est-rel-rpl',
  ESTABLISHED_REPLY: '+est-rel+rpl',
  RELATED: '-new-est+rel-inv',
  INVALID: '+trk+inv',
} as const;

/**
 * ct_mark 0x1 flags a connection that a removed rule used to allow: the first packet of
 * it that no rule accepts any more is committed with this mark, and every later packet
 * is dropped (tables 72/82 priority 50).
 */
export const CT_MARK_NORMAL = '0x0';
export const CT_MARK_INVALID = '0x1';

export const ETH = { IP: 0x0800, ARP: 0x0806, IPV6: 0x86dd } as const;

export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, IPV6_ICMP: 58, SCTP: 132 } as const;

/** Protocols whose rules can match ports in OVS (REVERSE_IP_PROTOCOL_MAP_WITH_PORTS). */
export const PORT_MATCH_FIELD: Readonly<Record<number, string>> = { [PROTO.TCP]: 'tcp', [PROTO.UDP]: 'udp', [PROTO.SCTP]: 'sctp' };

export const ICMPV6 = { MLD_QUERY: 130, RS: 133, RA: 134, NS: 135, NA: 136 } as const;
/** firewall.ICMPV6_ALLOWED_EGRESS_TYPES: from the port's own MAC/IP pairs. */
export const ICMPV6_ALLOWED_EGRESS_TYPES: readonly number[] = [ICMPV6.MLD_QUERY, ICMPV6.RS, ICMPV6.NS];
/** firewall.ICMPV6_RESTRICTED_EGRESS_TYPES: neighbour advertisements only for the port's own addresses (nd_target). */
export const ICMPV6_RESTRICTED_EGRESS_TYPES: readonly number[] = [ICMPV6.NA];
/** ICMPV6_ALLOWED_INGRESS_TYPES plus RA, as the Zed OVS firewall installs them. */
export const ICMPV6_ALLOWED_INGRESS_TYPES: readonly number[] = [ICMPV6.MLD_QUERY, ICMPV6.NS, ICMPV6.NA, ICMPV6.RA];

export const DHCP = {
  V4_CLIENT: 68,
  V4_SERVER: 67,
  V6_CLIENT: 546,
  V6_SERVER: 547,
} as const;

/** Rule flows: 70 + offset; rules without a remote group add 4 (rules.flow_priority_offset). */
export const RULE_BASE_PRIORITY = 70;

/**
 * Conjunction ids come in blocks of 8 per (group, remote group, direction, ethertype,
 * statefulness), as Neutron's ConjIdMap: 2 ids (established, new) for each of the 4
 * remote-rule priority offsets. A block starts at a multiple of 8; the highest block
 * ends at 2^32 - 1 (conj_id is 32 bits).
 */
export const CONJ_ID_BLOCK = 8;
export const CONJ_ID_BLOCKS = 2 ** 29 - 1;

/** OpenFlow 1.0 OFPP_MAX: the highest number of a physical port. */
export const MAX_OFPORT = 0xff00;
