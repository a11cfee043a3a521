/**
 * Desired filter-table chains for one IP family, in the layout of Python's
 * IptablesFirewallDriver (linuxbridge flavour, and OVSHybridIptablesFirewallDriver, which
 * differs only in the wrap prefix of its chains). Pure.
 *
 * Layout (W = neutron-linuxbri- or neutron-openvswi-, D = tap device, X = D[3:] cut so
 * the chain is 11 chars):
 *   FORWARD → neutron-filter-top → W-local ; FORWARD → W-FORWARD ; INPUT → W-INPUT ; OUTPUT → W-OUTPUT
 *   W-FORWARD: per filtered port `--physdev-out D` and `--physdev-in D` → W-sg-chain (first),
 *              then ACCEPT for port-security-off and trusted ports
 *   W-sg-chain: `--physdev-out D` → W-iX (ingress), `--physdev-in D` → W-oX (egress), last `-j ACCEPT`
 *   W-INPUT:   `--physdev-in D` → W-oX (the VM talking to the node itself)
 *   W-oX:      DHCP client, → W-sX (IP/MAC anti-spoofing), DHCP server drop, group rules
 *   W-iX:      (v6) ICMPv6 MLD/NS/NA, group rules
 *   group rules: RELATED,ESTABLISHED RETURN; rules; INVALID DROP; → W-sg-fallback (DROP)
 * A RETURN from W-iX/W-oX falls back into W-sg-chain, whose final ACCEPT takes the packet.
 * The jumps from built-in chains and neutron-filter-top are not here: restore-script.ts
 * adds them only when missing, since those chains are not ours.
 */
import { COMMENT, ipsetName, withComment, type ChainNames } from './names.js';
import { ipsetRule, plainRule } from './rule-args.js';
import type { Direction, Ethertype, OwnedFilterTable, SgInfo, SgPort, SgRule } from './types.js';

export type Family = 4 | 6;
const ETH: Record<Family, Ethertype> = { 4: 'IPv4', 6: 'IPv6' };

/** Python's IPTABLES_DIRECTION: traffic *to* the VM leaves the bridge on the tap. */
const PHYSDEV: Record<Direction, string> = { ingress: 'physdev-out', egress: 'physdev-in' };

const physdev = (dir: Direction, dev: string): string => `-m physdev --${PHYSDEV[dir]} ${dev} --physdev-is-bridged`;

/** neutron.agent.firewall ICMPV6_ALLOWED_INGRESS_TYPES: MLD query, NS, NA. */
const ICMPV6_INGRESS = [130, 135, 136];
/** ICMPV6_ALLOWED_UNSPEC_ADDR_TYPES (DAD from ::): MLD report, NS, MLDv2 report. */
const ICMPV6_UNSPEC = [131, 135, 143];

/** Inputs the renderer needs besides the ports: which remote groups have an ipset. */
export interface RenderContext {
  info: SgInfo;
  /** The agent binary's chain names (linuxbridge or OVS hybrid). */
  names: ChainNames;
  /** Valid devices whose port entry was malformed: deny-all. */
  blockedDevices: string[];
}

/** The ports to filter: port security on, sorted by device as Python does. */
export function filteredPorts(info: SgInfo): SgPort[] {
  return Object.values(info.devices)
    .filter((p) => p.port_security_enabled)
    .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
}

export function unfilteredPorts(info: SgInfo): SgPort[] {
  return Object.values(info.devices)
    .filter((p) => !p.port_security_enabled)
    .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
}

/** The remote id (group or address group) a rule matches through an ipset, if any. */
export function remoteSetId(rule: SgRule): string | undefined {
  return rule.remote_group_id ?? rule.remote_address_group_id;
}

function ipToCidr(ip: string): string {
  return ip.includes('/') ? ip : `${ip}/${ip.includes(':') ? 128 : 32}`;
}

/** EUI-64 link-local address of a MAC (netutils.get_ipv6_addr_by_EUI64('fe80::/64', mac)). */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const w = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
  return `fe80::${w((b[0] ?? 0) ^ 0x02, b[1] ?? 0)}:${w(b[2] ?? 0, 0xff)}:${w(0xfe, b[3] ?? 0)}:${w(b[4] ?? 0, b[5] ?? 0)}`;
}

const familyOf = (ip: string): Family => (ip.includes(':') ? 6 : 4);

/** `s` chain rules of a port for a family (Python `_spoofing_rule` / `_setup_spoof_filter_chain`). */
function spoofRules(port: SgPort, fam: Family): string[] {
  const pairs: Array<[string, string | null]> = [];
  const add = (mac: string, ip: string): void => {
    if (familyOf(ip) !== fam) return;
    pairs.push([mac, ip]);
    if (fam === 6) {
      const lla = linkLocalOf(mac);
      if (!pairs.some(([m, i]) => m === mac && i === lla)) pairs.push([mac, lla]);
    }
  };
  for (const p of port.allowed_address_pairs) add(p.mac_address, p.ip_address);
  for (const ip of port.fixed_ips) add(port.mac_address, ip);
  if (port.fixed_ips.length === 0) pairs.push([port.mac_address, null]);
  if (pairs.length === 0) return [];
  // Python writes mac.upper(); iptables-save prints lower case, and we compare with it.
  const rules = pairs.map(([mac, ip]) => withComment(`${ip === null ? '' : `-s ${ipToCidr(ip)} `}-m mac --mac-source ${mac.toLowerCase()} -j RETURN`, COMMENT.PAIR_ALLOW));
  rules.push(withComment('-j DROP', COMMENT.PAIR_DROP));
  return rules;
}

/** Python `_convert_sgr_to_iptables_rules`: established, rules (deduplicated), invalid, fallback. */
function groupRules(rules: SgRule[], info: SgInfo, CH: ChainNames): string[] {
  const out = [withComment('-m state --state RELATED,ESTABLISHED -j RETURN', COMMENT.ALLOW_ASSOC)];
  const seen = new Set<string>();
  for (const r of rules) {
    const remote = remoteSetId(r);
    let line: string;
    if (remote !== undefined) {
      // Python references a set only once it exists, i.e. the server sent members for
      // that group (possibly none); a rule for a group it did not send matches nothing.
      if (info.sg_member_ips[remote] === undefined) continue;
      line = ipsetRule(r, ipsetName(remote, r.ethertype));
    } else line = plainRule(r);
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(line);
  }
  out.push(withComment('-m state --state INVALID -j DROP', COMMENT.INVALID_DROP));
  out.push(withComment(`-j ${CH.sgFallback}`, COMMENT.UNMATCHED));
  return out;
}

/** The port's own rules then its groups' rules, for one direction and family. */
function rulesFor(port: SgPort, info: SgInfo, dir: Direction, fam: Family): SgRule[] {
  const eth = ETH[fam];
  const fromGroups = port.security_groups.flatMap((sg) => info.security_groups[sg] ?? []);
  return [...port.security_group_rules, ...fromGroups].filter((r) => r.direction === dir && r.ethertype === eth);
}

function egressChain(port: SgPort, info: SgInfo, fam: Family, sChain: string | undefined, CH: ChainNames): string[] {
  const out: string[] = [];
  if (fam === 4) out.push(withComment('-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN', COMMENT.DHCP_CLIENT));
  else for (const t of ICMPV6_UNSPEC) out.push(withComment(`-s ::/128 -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`, COMMENT.IPV6_ICMP_ALLOW));
  if (sChain !== undefined) out.push(`-j ${sChain}`);
  if (fam === 4) {
    out.push(withComment('-p udp -m udp --sport 68 --dport 67 -j RETURN', COMMENT.DHCP_CLIENT));
    out.push(withComment('-p udp -m udp --sport 67 --dport 68 -j DROP', COMMENT.DHCP_SPOOF));
  } else {
    out.push(withComment('-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP', COMMENT.IPV6_RA_DROP));
    out.push(withComment('-p ipv6-icmp -j RETURN', COMMENT.IPV6_ICMP_ALLOW));
    out.push(withComment('-p udp -m udp --sport 546 --dport 547 -j RETURN', COMMENT.DHCP_CLIENT));
    out.push(withComment('-p udp -m udp --sport 547 --dport 546 -j DROP', COMMENT.DHCP_SPOOF));
  }
  out.push(...groupRules(rulesFor(port, info, 'egress', fam), info, CH));
  return out;
}

function ingressChain(port: SgPort, info: SgInfo, fam: Family, CH: ChainNames): string[] {
  const out: string[] = fam === 6 ? ICMPV6_INGRESS.map((t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`) : [];
  out.push(...groupRules(rulesFor(port, info, 'ingress', fam), info, CH));
  return out;
}

/** Renders the owned chains of one family. Devices must be unique (render.ts ensures it). */
export function renderFilterTable(ctx: RenderContext, fam: Family): OwnedFilterTable {
  const chains = new Map<string, string[]>();
  const chain = (name: string): string[] => {
    let c = chains.get(name);
    if (c === undefined) chains.set(name, (c = []));
    return c;
  };
  const CH = ctx.names;
  for (const c of [CH.INPUT, CH.OUTPUT, CH.FORWARD, CH.local, CH.sgChain, CH.sgFallback]) chain(c);
  chain(CH.sgFallback).push(withComment('-j DROP', COMMENT.UNMATCH_DROP));

  const { info } = ctx;
  const filtered: Array<{ device: string; i: string[]; o: string[]; s: string[] }> = [
    ...filteredPorts(info).map((p) => {
      const s = spoofRules(p, fam);
      const sName = s.length > 0 ? CH.port('s', p.device) : undefined;
      return { device: p.device, i: ingressChain(p, info, fam, CH), o: egressChain(p, info, fam, sName, CH), s };
    }),
    // Blocked (malformed) ports: everything to the fallback DROP, nothing else.
    ...ctx.blockedDevices.map((d) => ({ device: d, i: [withComment(`-j ${CH.sgFallback}`, COMMENT.UNMATCHED)], o: [withComment(`-j ${CH.sgFallback}`, COMMENT.UNMATCHED)], s: [] })),
  ].sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));

  for (const p of filtered) {
    const iName = CH.port('i', p.device);
    const oName = CH.port('o', p.device);
    chain(CH.FORWARD).push(withComment(`${physdev('ingress', p.device)} -j ${CH.sgChain}`, COMMENT.VM_INT_SG));
    chain(CH.FORWARD).push(withComment(`${physdev('egress', p.device)} -j ${CH.sgChain}`, COMMENT.VM_INT_SG));
    chain(CH.sgChain).push(withComment(`${physdev('ingress', p.device)} -j ${iName}`, COMMENT.SG_TO_VM_SG));
    chain(CH.sgChain).push(withComment(`${physdev('egress', p.device)} -j ${oName}`, COMMENT.SG_TO_VM_SG));
    chain(CH.INPUT).push(withComment(`${physdev('egress', p.device)} -j ${oName}`, COMMENT.INPUT_TO_SG));
    chain(iName).push(...p.i);
    chain(oName).push(...p.o);
    if (p.s.length > 0) chain(CH.port('s', p.device)).push(...p.s);
  }
  chain(CH.sgChain).push('-j ACCEPT');

  for (const p of unfilteredPorts(info)) {
    chain(CH.FORWARD).push(withComment(`${physdev('ingress', p.device)} -j ACCEPT`, COMMENT.PORT_SEC_ACCEPT));
    chain(CH.FORWARD).push(withComment(`${physdev('egress', p.device)} -j ACCEPT`, COMMENT.PORT_SEC_ACCEPT));
    chain(CH.INPUT).push(withComment(`${physdev('egress', p.device)} -j ACCEPT`, COMMENT.PORT_SEC_ACCEPT));
  }
  for (const d of [...info.trusted_devices].sort()) {
    chain(CH.FORWARD).push(withComment(`${physdev('ingress', d)} -j ACCEPT`, COMMENT.TRUSTED_ACCEPT));
    chain(CH.FORWARD).push(withComment(`${physdev('egress', d)} -j ACCEPT`, COMMENT.TRUSTED_ACCEPT));
  }

  const names = [...chains.keys()].sort();
  // Rules grouped by chain in name order: the order iptables-save prints them in.
  const rules = names.flatMap((n) => (chains.get(n) ?? []).map((r) => `-A ${n} ${r}`));
  return { chains: names, rules };
}

/** The restore fragment of an owned table: declarations then rules. */
export function fragmentOf(t: OwnedFilterTable): string {
  const lines = [...t.chains.map((c) => `:${c} - [0:0]`), ...t.rules];
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
