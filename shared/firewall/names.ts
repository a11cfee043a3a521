/**
 * Names exactly as Python's IptablesManager / IpsetManager make them for the
 * binary `neutron-linuxbridge-agent`, so that nucleon adopts (owns and rewrites)
 * the chains and sets a Python agent left on a node it replaces.
 */
import type { Ethertype } from './types.js';

/** `os.path.basename(sys.argv[0])[:16]` of neutron-linuxbridge-agent. */
export const WRAP = 'neutron-linuxbri';
/** Shared, unwrapped chain at the top of FORWARD and OUTPUT (Python shares it between neutron components). */
export const FILTER_TOP = 'neutron-filter-top';
/** neutron_lib MAX_IPTABLES_CHAIN_LEN_WRAP: wrapped chain names are cut to 11 characters. */
const MAX_WRAPPED_LEN = 11;

export const wrapped = (name: string): string => `${WRAP}-${name.slice(0, MAX_WRAPPED_LEN)}`;

export const CH = {
  INPUT: wrapped('INPUT'),
  OUTPUT: wrapped('OUTPUT'),
  FORWARD: wrapped('FORWARD'),
  local: wrapped('local'),
  sgChain: wrapped('sg-chain'),
  sgFallback: wrapped('sg-fallback'),
} as const;

/**
 * Per-port chain: `i`/`o`/`s` + device[3:] cut to 11 characters in all
 * (`neutron-linuxbri-i` + port_id[:10] for a `tap` + port_id[:11] device).
 */
export function portChain(kind: 'i' | 'o' | 's', device: string): string {
  return wrapped(`${kind}${device.slice(3)}`);
}

/** Is this filter-table chain ours (Python's or nucleon's, they are the same)? */
export const isOwnedChain = (chain: string): boolean => chain.startsWith(`${WRAP}-`);

/** ipset names: 'N' + ethertype + id, cut to 29 characters so that the '-n' swap set fits in 31. */
const IPSET_MAX = 31 - '-n'.length;
export function ipsetName(id: string, ethertype: Ethertype): string {
  return `N${ethertype}${id}`.slice(0, IPSET_MAX);
}
export const ipsetSwapName = (name: string): string => `${name}-n`;
/** Sets nucleon owns: those named by {@link ipsetName}. */
export const isOwnedIpset = (name: string): boolean => /^NIPv[46]/.test(name);

/** nucleon's own bridge-family table for MAC/ARP anti-spoofing (replaces ebtables). */
export const NFT_BRIDGE_TABLE = 'nucleon_l2';

/** iptables_comments.py, verbatim: comments are part of the rule text iptables-save shows. */
export const COMMENT = {
  UNMATCH_DROP: 'Default drop rule for unmatched traffic.',
  VM_INT_SG: 'Direct traffic from the VM interface to the security group chain.',
  SG_TO_VM_SG: 'Jump to the VM specific chain.',
  INPUT_TO_SG: 'Direct incoming traffic from VM to the security group chain.',
  PAIR_ALLOW: 'Allow traffic from defined IP/MAC pairs.',
  PAIR_DROP: 'Drop traffic without an IP/MAC allow rule.',
  DHCP_CLIENT: 'Allow DHCP client traffic.',
  DHCP_SPOOF: 'Prevent DHCP Spoofing by VM.',
  UNMATCHED: 'Send unmatched traffic to the fallback chain.',
  INVALID_DROP: 'Drop packets that appear related to an existing connection (e.g. TCP ACK/FIN) but do not have an entry in conntrack.',
  ALLOW_ASSOC: 'Direct packets associated with a known session to the RETURN chain.',
  PORT_SEC_ACCEPT: 'Accept all packets when port security is disabled.',
  TRUSTED_ACCEPT: 'Accept all packets when port is trusted.',
  IPV6_RA_DROP: 'Drop IPv6 Router Advts from VM Instance.',
  IPV6_ICMP_ALLOW: 'Allow IPv6 ICMP traffic.',
} as const;

/**
 * Python's comment_rule: the comment goes before ` -j ` (where iptables-save prints it),
 * or first for a jump-only rule.
 */
export function withComment(rule: string, comment: string): string {
  const c = `-m comment --comment "${comment}"`;
  if (rule.startsWith('-j')) return `${c} ${rule}`;
  const j = rule.indexOf(' -j ');
  return j < 0 ? `${rule} ${c}` : `${rule.slice(0, j)} ${c} ${rule.slice(j + 1)}`;
}
