/**
 * IP text handling as Neutron's dnsmasq driver sees it (netaddr 0.8 on glibc).
 *
 * Parsing is strict (inet_pton): dotted quads without leading zeros, RFC 4291
 * IPv6 text with an optional trailing dotted quad, no zone id. netaddr's own
 * IPv4 parser is laxer (inet_aton: `10.1`), but neutron-server only stores
 * canonical text, so the lax forms are treated as malformed here.
 *
 * Formatting mirrors what netaddr prints, which is glibc's inet_ntop for IPv6:
 * lower-case hex, the first longest run of two or more zero words becomes `::`,
 * and `::a.b.c.d` / `::ffff:a.b.c.d` keep a dotted quad tail.
 */

export type IpVersion = 4 | 6;

export interface ParsedIp {
  readonly version: IpVersion;
  readonly value: bigint;
}

export interface ParsedCidr {
  readonly version: IpVersion;
  readonly prefixlen: number;
  /** First address of the network (host bits cleared). */
  readonly first: bigint;
  /** Last address of the network. */
  readonly last: bigint;
}

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const V6_WORD = /^[0-9a-fA-F]{1,4}$/;

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!V4_OCTET.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | null {
  if (s.length === 0 || s.includes('%')) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const words = (part: string, allowV4Tail: boolean): number[] | null => {
    if (part === '') return [];
    const tokens = part.split(':');
    const out: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as string;
      if (allowV4Tail && i === tokens.length - 1 && t.includes('.')) {
        const v4 = parseV4(t);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!V6_WORD.test(t)) return null;
      out.push(parseInt(t, 16));
    }
    return out;
  };
  let all: number[];
  if (halves.length === 2) {
    const head = words(halves[0] as string, false);
    const tail = words(halves[1] as string, true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const w = words(s, true);
    if (w === null || w.length !== 8) return null;
    all = w;
  }
  return all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/** Parses an address; null when it is not strict IPv4 or IPv6 text. */
export function parseIp(s: string): ParsedIp | null {
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === null ? null : { version: 6, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { version: 4, value: v };
}

/** netaddr.valid_ipv6(s): strict IPv6 text (brackets make it invalid). */
export function isIpv6(s: string): boolean {
  return s.includes(':') && parseV6(s) !== null;
}

/** Parses `addr[/len]` like netaddr.IPNetwork (no prefix means a host network). */
export function parseCidr(s: string): ParsedCidr | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const ip = parseIp(addr);
  if (ip === null) return null;
  const bits = ip.version === 4 ? 32 : 128;
  let prefixlen = bits;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    prefixlen = Number(p);
    if (prefixlen > bits) return null;
  }
  const hostBits = BigInt(bits - prefixlen);
  const hostMask = (1n << hostBits) - 1n;
  const first = ip.value & ~hostMask & ((1n << BigInt(bits)) - 1n);
  return { version: ip.version, prefixlen, first, last: first | hostMask };
}

export function formatIp(version: IpVersion, value: bigint): string {
  return version === 4 ? formatV4(value) : formatV6(value);
}

function formatV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

/** glibc inet_ntop6 (what netaddr 0.8 calls for str(IPAddress)). */
function formatV6(v: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
    } else if (curBase >= 0) {
      if (curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
      curBase = -1;
    }
  }
  if (curBase >= 0 && curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatV4(v & 0xffffffffn);
      return out;
    }
    out += (words[i] as number).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** str(IPNetwork(cidr).network). */
export function networkAddress(c: ParsedCidr): string {
  return formatIp(c.version, c.first);
}

/** str(IPNetwork(cidr).netmask). */
export function netmask(c: ParsedCidr): string {
  const bits = c.version === 4 ? 32 : 128;
  const all = (1n << BigInt(bits)) - 1n;
  const mask = all ^ ((1n << BigInt(bits - c.prefixlen)) - 1n);
  return formatIp(c.version, mask);
}

/** IPNetwork(cidr).size. */
export function cidrSize(c: ParsedCidr): bigint {
  return c.last - c.first + 1n;
}

/** `inner in outer` for two IPNetworks (false across versions). */
export function cidrContains(outer: ParsedCidr, inner: ParsedCidr): boolean {
  return outer.version === inner.version && inner.first >= outer.first && inner.last <= outer.last;
}

/** The key netaddr hashes and compares IPNetworks by: (version, first, last). */
export function cidrKey(c: ParsedCidr): string {
  return `${c.version}|${c.first}|${c.last}`;
}
