/**
 * Security group rule → iptables match arguments, as Python's
 * IptablesFirewallDriver does (`_generate_*_args`, `_protocol_arg`, `_port_arg`,
 * `_ip_prefix_arg`). Arguments are in the order iptables-save prints them
 * (source/dest, protocol, sport, dport, target) so a restore reads back the same.
 */
import type { SgRule } from './types.js';

/**
 * neutron_lib IPTABLES_PROTOCOL_NAME_MAP: what iptables-save prints for a protocol.
 * `0` means "any" (no `-p`). Python also merges /etc/protocols through getprotoent;
 * that table is the same on Debian, and a pure renderer does not read files.
 */
const PROTOCOL_NAME: Readonly<Record<string, string | null>> = {
  'ipv6-encap': 'ipv6', icmpv6: 'ipv6-icmp', pgm: '113', any: null, '0': null,
  '1': 'icmp', '2': 'igmp', '3': 'ggp', '4': 'ipencap', '5': 'st', '6': 'tcp', '8': 'egp', '9': 'igp',
  '12': 'pup', '17': 'udp', '20': 'hmp', '22': 'xns-idp', '27': 'rdp', '29': 'iso-tp4', '33': 'dccp',
  '36': 'xtp', '37': 'ddp', '38': 'idpr-cmtp', '41': 'ipv6', '43': 'ipv6-route', '44': 'ipv6-frag',
  '45': 'idrp', '46': 'rsvp', '47': 'gre', '50': 'esp', '51': 'ah', '57': 'skip', '58': 'ipv6-icmp',
  '59': 'ipv6-nonxt', '60': 'ipv6-opts', '73': 'rspf', '81': 'vmtp', '88': 'eigrp', '89': 'ospf',
  '93': 'ax.25', '94': 'ipip', '97': 'etherip', '98': 'encap', '103': 'pim', '108': 'ipcomp',
  '112': 'vrrp', '115': 'l2tp', '124': 'isis', '132': 'sctp', '133': 'fc', '135': 'mobility-header',
  '136': 'udplite', '137': 'mpls-in-ip', '138': 'manet', '139': 'hip', '140': 'shim6', '141': 'wesp',
  '142': 'rohc',
};

/** neutron_lib IPTABLES_PROTOCOL_MAP: protocols for which iptables adds `-m <module>` with ports. */
const MATCH_MODULE: Readonly<Record<string, string>> = { dccp: 'dccp', icmp: 'icmp', 'ipv6-icmp': 'icmp6', sctp: 'sctp', tcp: 'tcp', udp: 'udp' };
/** SG_PORT_PROTO_NAMES: protocols with --sport/--dport. */
const PORT_PROTOCOLS = new Set(['dccp', 'sctp', 'tcp', 'udp', 'udplite']);
/** IPTABLES_MULTIPORT_ONLY_PROTOCOLS. */
const MULTIPORT_ONLY = new Set(['udplite']);

/** iptables protocol name, or undefined for "all protocols". */
export function iptablesProtocol(protocol: string | undefined, ethertype: 'IPv4' | 'IPv6'): string | undefined {
  if (protocol === undefined) return undefined;
  // _split_sgr_by_ethertype: IPv6 rules saying icmp/icmpv6 mean ipv6-icmp.
  const p = ethertype === 'IPv6' && (protocol === 'icmp' || protocol === 'icmpv6') ? 'ipv6-icmp' : protocol;
  const mapped = p in PROTOCOL_NAME ? PROTOCOL_NAME[p] : p;
  return mapped ?? undefined;
}

function portArgs(dir: 'sport' | 'dport', proto: string | undefined, min: number | undefined, max: number | undefined): string[] {
  if (min === undefined || proto === undefined) return [];
  if (proto === 'icmp' || proto === 'ipv6-icmp') {
    // port_range_min/max are ICMP type/code; code can be 0. Python emits them for
    // the "dport" pair only in practice (sport of ICMP rules is never set).
    const t = proto === 'ipv6-icmp' ? 'icmpv6' : 'icmp';
    return [`--${t}-type`, max === undefined ? `${min}` : `${min}/${max}`];
  }
  if (!PORT_PROTOCOLS.has(proto)) return [];
  const hi = max ?? min;
  if (min === hi) return MULTIPORT_ONLY.has(proto) ? ['-m', 'multiport', `--${dir}s`, `${min}`] : [`--${dir}`, `${min}`];
  return ['-m', 'multiport', `--${dir}s`, `${min}:${hi}`];
}

/** `-p proto [-m module] [ports]` of a rule. */
export function protocolAndPortArgs(rule: SgRule): string[] {
  const proto = iptablesProtocol(rule.protocol, rule.ethertype);
  if (proto === undefined) return [];
  const isPort = rule.source_port_range_min !== undefined || rule.port_range_min !== undefined;
  const args = ['-p', proto];
  const mod = MATCH_MODULE[proto];
  if (isPort && mod !== undefined) args.push('-m', mod);
  args.push(...portArgs('sport', proto, rule.source_port_range_min, rule.source_port_range_max));
  args.push(...portArgs('dport', proto, rule.port_range_min, rule.port_range_max));
  return args;
}

/** `-s`/`-d` of a prefix; a bare address becomes /32 or /128; a /0 is no constraint. */
export function prefixArgs(flag: 's' | 'd', prefix: string | undefined): string[] {
  if (prefix === undefined) return [];
  if (!prefix.includes('/')) return [`-${flag}`, `${prefix}/${prefix.includes(':') ? 128 : 32}`];
  if (prefix.endsWith('/0')) return [];
  return [`-${flag}`, prefix];
}

/** A plain rule (no remote group): `-s/-d … -p … -j RETURN`. */
export function plainRule(rule: SgRule): string {
  return [...prefixArgs('s', rule.source_ip_prefix), ...prefixArgs('d', rule.dest_ip_prefix), ...protocolAndPortArgs(rule), '-j', 'RETURN'].join(' ');
}

/** A remote-group rule matched through an ipset: src for ingress, dst for egress. */
export function ipsetRule(rule: SgRule, setName: string): string {
  const dir = rule.direction === 'ingress' ? 'src' : 'dst';
  return [...protocolAndPortArgs(rule), '-m', 'set', '--match-set', setName, dir, '-j', 'RETURN'].join(' ');
}
