/**
 * Names exactly as Python's IptablesManager / IpsetManager make them for the
 * binaries `neutron-linuxbridge-agent` and `neutron-openvswitch-agent`
 * (iptables_hybrid), so that nucleon adopts (owns and rewrites) the chains and sets a
 * Python agent left on a node it replaces.
 */
import type { Ethertype } from './types.js';

/** neutron_lib MAX_IPTABLES_CHAIN_LEN_WRAP: wrapped chain names are cut to 11 characters. */
const MAX_WRAPPED_LEN = 11;
/** Shared, unwrapped chain at the top of FORWARD and OUTPUT (Python shares it between neutron components). */
export const FILTER_TOP = 'neutron-filter-top';

/**
 * The filter-table chain names of one agent binary. Python's IptablesManager wraps every
 * chain in `os.path.basename(sys.argv[0])[:16]`, so the linuxbridge agent's chains are
 * `neutron-linuxbri-*` and the OVS agent's (iptables_hybrid) `neutron-openvswi-*`; the
 * per-port chain names and the layout are the same for both drivers.
 */
export interface ChainNames {
  /** The 16-character wrap prefix. */
  readonly wrap: string;
  readonly INPUT: string;
  readonly OUTPUT: string;
  readonly FORWARD: string;
  readonly local: string;
  readonly sgChain: string;
  readonly sgFallback: string;
  /**
   * Per-port chain: `i`/`o`/`s` + device[3:] cut to 11 characters in all
   * (`<wrap>-i` + port_id[:10] for a `tap` + port_id[:11] device).
   */
  port(kind: 'i' | 'o' | 's', device: string): string;
  /** Is this filter-table chain ours (Python's or nucleon's, they are the same)? */
  isOwned(chain: string): boolean;
}

export function chainNamesFor(binary: 'neutron-linuxbridge-agent' | 'neutron-openvswitch-agent'): ChainNames {
  const wrap = binary.slice(0, 16);
  const w = (name: string): string => `${wrap}-${name.slice(0, MAX_WRAPPED_LEN)}`;
  return {
    wrap,
    INPUT: w('INPUT'),
    OUTPUT: w('OUTPUT'),
    FORWARD: w('FORWARD'),
    local: w('local'),
    sgChain: w('sg-chain'),
    sgFallback: w('sg-fallback'),
    port: (kind, device) => w(`${kind}${device.slice(3)}`),
    isOwned: (chain) => chain.startsWith(`${wrap}-`),
  };
}

/** neutron-linuxbridge-agent's names: `neutron-linuxbri-*`. */
export const LINUXBRIDGE_CHAINS = chainNamesFor('neutron-linuxbridge-agent');
/** neutron-openvswitch-agent's with firewall_driver = iptables_hybrid: `neutron-openvswi-*`. */
export const OVS_HYBRID_CHAINS = chainNamesFor('neutron-openvswitch-agent');

/** The linuxbridge names under their historical short forms. */
export const WRAP = LINUXBRIDGE_CHAINS.wrap;
export const CH = LINUXBRIDGE_CHAINS;
export const portChain = (kind: 'i' | 'o' | 's', device: string): string => LINUXBRIDGE_CHAINS.port(kind, device);
export const isOwnedChain = (chain: string): boolean => LINUXBRIDGE_CHAINS.isOwned(chain);

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
