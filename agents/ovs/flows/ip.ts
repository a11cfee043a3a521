/**
 * IP and MAC arithmetic for flow matches and `load:` actions, written in the form
 * `ovs-ofctl dump-flows` prints them back, so a rendered flow and its dump compare
 * equal as text:
 * - a masked IPv4/IPv6 match prints as `<network>/<prefix length>` (OVS applies the
 *   mask to the value: Neutron's `10.0.0.5/24` allowed-address pair dumps as
 *   `arp_spa=10.0.0.0/24`), a host address (/32, /128) without a length;
 * - IPv6 addresses as glibc's inet_ntop writes them (longest run of two or more zero
 *   groups as `::`, the first one on a tie; lower-case hex; `::ffff:a.b.c.d` and
 *   `::a.b.c.d` with a dotted tail);
 * - `load:` immediates in lower-case hex without leading zeros.
 * Pure; returns undefined for text that is not an address (callers raise the error).
 */
import { isIPv6 } from 'node:net';

const V4_OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const V4 = new RegExp(`^${V4_OCTET}(\\.${V4_OCTET}){3}$`);

export function parseIpv4(s: string): number | undefined {
  if (!V4.test(s)) return undefined;
  return s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((sh) => (Math.floor(n / 2 ** sh) % 256).toString()).join('.');
}

export function parseIpv6(s: string): bigint | undefined {
  if (s.includes('%') || !isIPv6(s)) return undefined;
  let text = s.toLowerCase();
  // A dotted IPv4 tail stands for the last two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = parseIpv4(tail[1] ?? '');
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, tail.index)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): string[] => (h === undefined || h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const all = [...head, ...Array<string>(fill).fill('0'), ...rest];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** glibc inet_ntop(AF_INET6) (OVS prints IPv6 matches with it). */
export function formatIpv6(v: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = { ...cur };
    } else {
      cur = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) keep a dotted tail.
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += formatIpv4(Number(v & 0xffffffffn));
      break;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

export interface ParsedAddress {
  family: 4 | 6;
  /** The address with the host bits cleared when a prefix length is given. */
  network: bigint;
  prefixLen: number;
}

/** `addr` or `addr/len`, IPv4 or IPv6. */
export function parseAddressOrCidr(s: string): ParsedAddress | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(s);
  if (!m) return undefined;
  const addr = m[1] ?? '';
  const v4 = parseIpv4(addr);
  const family = v4 !== undefined ? 4 : 6;
  const value = v4 !== undefined ? BigInt(v4) : parseIpv6(addr);
  if (value === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefixLen = m[2] === undefined ? bits : Number(m[2]);
  if (prefixLen > bits) return undefined;
  const hostBits = BigInt(bits - prefixLen);
  const network = (value >> hostBits) << hostBits;
  return { family, network, prefixLen };
}

/** An address or CIDR as an OVS match prints it: `10.0.0.0/24`, `10.0.0.5`, `2001:db8::/64`. */
export function formatMaskedAddress(a: ParsedAddress): string {
  const addr = a.family === 4 ? formatIpv4(Number(a.network)) : formatIpv6(a.network);
  return a.prefixLen === (a.family === 4 ? 32 : 128) ? addr : `${addr}/${a.prefixLen}`;
}

/** `fa:16:3e:00:00:05` → `0xfa163e000005` (as `load:` prints it). */
export function macToHex(mac: string): string {
  return `0x${BigInt(`0x${mac.replaceAll(':', '')}`).toString(16)}`;
}

/** `10.1.0.5` → `0xa010005`. */
export function ipv4ToHex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** The EUI-64 IPv6 link-local address of a MAC (the U/L bit flipped, ff:fe inserted). */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const iid = [(b[0] ?? 0) ^ 0x02, b[1] ?? 0, b[2] ?? 0, 0xff, 0xfe, b[3] ?? 0, b[4] ?? 0, b[5] ?? 0];
  // fe80:0:0:0 in the upper 64 bits once the eight interface-id bytes are shifted in.
  const v = iid.reduce((acc, x) => (acc << 8n) | BigInt(x), 0xfe80n << 48n);
  return formatIpv6(v);
}
