/**
 * Chain names and constants exactly as Python's IptablesManager and RouterInfo
 * make them for the binary `neutron-l3-agent`, so that `iptables-save` in a
 * qrouter namespace looks the same under nucleon and nucleon adopts (rewrites)
 * a namespace the Python agent left behind.
 */

/** `os.path.basename(sys.argv[0])[:16]` of neutron-l3-agent: exactly 16 characters. */
export const WRAP = 'neutron-l3-agent';
/** neutron_lib MAX_IPTABLES_CHAIN_LEN_WRAP: wrapped chain names are cut to 11 characters. */
const MAX_WRAPPED_LEN = 11;

export const wrapped = (name: string): string => `${WRAP}-${name.slice(0, MAX_WRAPPED_LEN)}`;

/** Chains of ours: every wrapped one (the unwrapped shared ones are never "owned"). */
export const isOwnedNatChain = (chain: string): boolean => chain.startsWith(`${WRAP}-`);

/** Shared, unwrapped: top of FORWARD and OUTPUT in filter (IptablesManager, every family). */
export const FILTER_TOP = 'neutron-filter-top';
/** Shared, unwrapped: last in nat POSTROUTING, jumps to our `snat` (IPv4 only). */
export const POSTROUTING_BOTTOM = 'neutron-postrouting-bottom';

/** iptables_comments.SNAT_OUT, verbatim: part of the rule text iptables-save shows. */
export const SNAT_OUT_COMMENT = 'Perform source NAT on outgoing traffic.';

/** neutron_lib ROUTER_MARK_MASK: the metadata and external-ingress marks use the lower 16 bits. */
export const ROUTER_MARK_MASK = '0xffff';
/** router_info ADDRESS_SCOPE_MARK_MASK: address scopes use the upper 16 bits. */
export const ADDRESS_SCOPE_MARK_MASK = '0xffff0000';
/**
 * The default address scope's mark: `set(range(1024, 2048)).pop()` is 1024 in CPython,
 * `hex(1024 << 16)`. nucleon has no address scopes: every port is in this one.
 */
export const DEFAULT_SCOPE_MARK = `0x${(1024 << 16).toString(16)}/${ADDRESS_SCOPE_MARK_MASK}`;

export const METADATA_V4_CIDR = '169.254.169.254/32';
export const METADATA_V6_CIDR = 'fe80::a9fe:a9fe/128';
/** `INTERNAL_DEV_PREFIX + '+'`: every qr- device. */
export const INTERNAL_DEV_WILDCARD = 'qr-+';

/** Built-in chains per table, as `iptables-save -t <table>` lists them on iptables-nft 1.8.9. */
export const BUILTIN_CHAINS = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
} as const;
