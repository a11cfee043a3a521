/**
 * OpenFlow table numbers and the priorities Neutron's native OpenFlow driver uses
 * (neutron_lib/plugins/ml2/ovs_constants.py and the openflow/native/br_*.py bridge
 * classes of Neutron Zed), so a dump of our bridges reads like a Python node's.
 * Only the tables this renderer fills are named; DVR, QoS, local-IP and the OVS
 * firewall's tables (71–94, and table 60 at priority >= 90) belong to others.
 */

/** br-int */
export const INT = {
  LOCAL_SWITCHING: 0,
  CANARY: 23,
  ARP_SPOOF: 24,
  MAC_SPOOF: 25,
  LOCAL_EGRESS: 30,
  LOCAL_IP: 31,
  PACKET_RATE_LIMIT: 59,
  TRANSIENT: 60,
  TRANSIENT_EGRESS: 62,
} as const;

/** br-tun */
export const TUN = {
  LOCAL_SWITCHING: 0,
  PATCH_LV_TO_TUN: 2,
  GRE_TUN_TO_LV: 3,
  VXLAN_TUN_TO_LV: 4,
  GENEVE_TUN_TO_LV: 6,
  LEARN_FROM_TUN: 10,
  UCAST_TO_TUN: 20,
  ARP_RESPONDER: 21,
  FLOOD_TO_TUN: 22,
} as const;

/** Physical (provider) bridges: without DVR everything happens in table 0. */
export const PHYS = {
  LOCAL_SWITCHING: 0,
} as const;

/** OFPVID 4095: the tag the Python agent gives ports it cannot (or must not) wire. */
export const DEAD_VLAN_TAG = 4095;
/** The highest OpenFlow priority; the dead-VLAN drop uses it. */
export const OPENFLOW_MAX_PRIORITY = 65535;
/** Seconds a MAC learnt from a tunnel stays in br-tun table 20 (br_tun.py setup_default_table). */
export const LEARNED_MAC_HARD_TIMEOUT = 300;
/** ICMPv6 neighbour advertisement. */
export const ICMPV6_NA = 136;
/** Neutron's "network:" device_owner prefix (DHCP, router ports): no ARP spoofing rules. */
export const DEVICE_OWNER_NETWORK_PREFIX = 'network:';
/** The l2pop flooding entry's MAC (the server pairs it with 0.0.0.0). */
export const FLOODING_MAC = '00:00:00:00:00:00';
