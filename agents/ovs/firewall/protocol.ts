/**
 * A rule's protocol as the IP protocol number OVS matches (`nw_proto`), as Neutron's
 * SecurityGroup.update_rules normalises it: digits are the number, names go through
 * neutron_lib's IP_PROTOCOL_MAP, and `icmp` in an IPv6 rule means ICMPv6 (58).
 */
import type { Ethertype } from '../../../shared/firewall/types.js';
import { PROTO } from './constants.js';

/** neutron_lib.constants.IP_PROTOCOL_MAP (plus `icmpv6`, the legacy name it also maps). */
const IP_PROTOCOL_MAP: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4,
  'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};

export type ProtocolMatch = { kind: 'any' } | { kind: 'number'; proto: number } | { kind: 'unknown'; name: string };

/**
 * `any` for all protocols: absent, `any`, and 0 (`0`, `ip`, `hopopt`). Python's OVS
 * firewall would render protocol 0 as `nw_proto=0`, which matches only IPv6
 * hop-by-hop headers; the API documents 0/any as "all protocols", and so do we.
 */
export function protocolMatch(protocol: string | undefined, ethertype: Ethertype): ProtocolMatch {
  if (protocol === undefined || protocol === 'any') return { kind: 'any' };
  let n: number | undefined;
  if (/^\d+$/.test(protocol)) n = Number(protocol);
  else if (ethertype === 'IPv6' && protocol === 'icmp') n = PROTO.IPV6_ICMP;
  else n = IP_PROTOCOL_MAP[protocol];
  if (n === undefined || n > 255) return { kind: 'unknown', name: protocol };
  return n === 0 ? { kind: 'any' } : { kind: 'number', proto: n };
}
