/**
 * The address facts Neutron's handler derives from X-Forwarded-For with netaddr:
 * IPv4-mapped IPv6 becomes IPv4 (haproxy listening on v4 and v6 sends them), and an
 * IPv6 link-local client is known to Neutron only by the MAC in its EUI-64
 * interface id (oslo_utils.netutils.get_mac_addr_by_ipv6, mac_unix_expanded text).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of a valid IPv6 text (embedded dotted quad allowed). */
export function ipv6Groups(text: string): number[] {
  let s = text.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    s = s.slice(0, -dotted[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

export interface RemoteAddress {
  /** What Neutron searches fixed_ips for (IPv4-mapped IPv6 already turned into IPv4). */
  ip: string;
  /** Set for IPv6 link-local clients: Neutron then searches by mac_address instead. */
  mac: string | null;
}

/** null when the text is not a single IP address (Neutron: netaddr raises, the request gets a 500). */
export function parseRemoteAddress(text: string): RemoteAddress | null {
  if (isIPv4(text)) return { ip: text, mac: null };
  if (!isIPv6(text) || text.includes('%')) return null;
  const g = ipv6Groups(text);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return { ip: [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.'), mac: null };
  }
  if ((g[0]! & 0xffc0) === 0xfe80) {
    const bytes = g.slice(4).flatMap((x) => [x >> 8, x & 0xff]);
    const mac = [bytes[0]! ^ 0x02, bytes[1]!, bytes[2]!, bytes[5]!, bytes[6]!, bytes[7]!];
    return { ip: text, mac: mac.map((b) => b.toString(16).padStart(2, '0')).join(':') };
  }
  return { ip: text, mac: null };
}
