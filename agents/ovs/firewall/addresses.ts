/**
 * Address text for flow matches in one canonical form (network address with host bits
 * cleared, no `/32` or `/128`, IPv6 compressed as inet_ntop does, the way OVS prints
 * addresses), so equal states render equal text. (`dump-flows` rewrites much else —
 * `icmp6` for `ipv6,nw_proto=58`, `reg5=0x3`, `load:` for `set_field:` — so compare
 * with OVS semantically, e.g. `ovs-ofctl diff-flows`, never as text.)
 */
import { formatIp, parseCidr, parseIp } from '../../dhcp/dnsmasq/ip.js';

export interface MatchPrefix {
  version: 4 | 6;
  /** `10.0.0.0/24`, `10.0.0.5`, `2001:db8::/64`. */
  text: string;
  prefixlen: number;
}

/** Parses an address or prefix; null when malformed. A /0 has `prefixlen` 0. */
export function matchPrefix(s: string): MatchPrefix | null {
  const c = parseCidr(s);
  if (c === null) return null;
  const full = c.version === 4 ? 32 : 128;
  const addr = formatIp(c.version, c.first);
  return { version: c.version, prefixlen: c.prefixlen, text: c.prefixlen === full ? addr : `${addr}/${c.prefixlen}` };
}

/**
 * Neutron's rules.is_valid_prefix: a remote prefix that constrains nothing (absent,
 * 0.0.0.0/0, ::/0) adds no match field.
 */
export function constrainingPrefix(s: string | undefined): MatchPrefix | null | 'any' {
  if (s === undefined) return 'any';
  const p = matchPrefix(s);
  if (p === null) return null;
  return p.prefixlen === 0 ? 'any' : p;
}

/** The EUI-64 IPv6 link-local address of a MAC (fe80::/64), as netutils.get_ipv6_addr_by_EUI64. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  if (b.length !== 6 || b.some((x) => Number.isNaN(x))) throw new Error(`bad MAC ${mac}`);
  const bytes = [(b[0] as number) ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]] as number[];
  let v = 0xfe80n << 112n;
  for (const [i, x] of bytes.entries()) v |= BigInt(x) << BigInt(8 * (7 - i));
  return formatIp(6, v);
}

/** True for a plain address (no prefix length) of the given family. */
export function isAddress(s: string, version: 4 | 6): boolean {
  const ip = parseIp(s);
  return ip !== null && ip.version === version;
}
