/**
 * Input and output shapes of the router namespace's iptables renderer.
 */
import type { TableJump } from '../../../shared/firewall/restore-script.js';

export interface RouterFloatingIp {
  id: string;
  /** Public address, no prefix length. */
  floatingIp: string;
  /** The port's fixed address it maps to, no prefix length. */
  fixedIp: string;
}

export interface RouterMetadataNat {
  /** `enable_metadata_proxy`: the REDIRECT to the proxy and its INPUT rules. */
  enabled: boolean;
  /** `metadata_port` (9697): where the proxy listens in the namespace. */
  port: number;
  /** `metadata_access_mark` ('0x1'). */
  accessMark: string;
  /** `external_ingress_mark` ('0x2'). */
  ingressMark: string;
}

/** Plain data the agent computes from one sync_routers router. */
export interface RouterNatInput {
  routerId: string;
  /** `qg-` + gateway port id[:11]; absent for a router without an external gateway. */
  gatewayDevice?: string;
  /** The gateway port's fixed IPs (no prefix length), in the server's order. */
  gatewayIps: string[];
  /** `qr-` + port id[:11] with the port's addresses as `ip/len`. */
  internalDevices: Array<{ dev: string; cidrs: string[] }>;
  /** external_gateway_info.enable_snat (Python's default when absent: true). */
  enableSnat: boolean;
  floatingIps: RouterFloatingIp[];
  metadata: RouterMetadataNat;
  /**
   * `--random-fully` on SNAT rules: Python adds it when iptables ≥ 1.6.2 and
   * [AGENT] use_random_fully (default true). Default true.
   */
  randomFully?: boolean;
  /** Render the ip6tables tables too (Python: when the host has IPv6). Default true. */
  ipv6?: boolean;
}

export type NatTableName = 'raw' | 'mangle' | 'filter' | 'nat';
export type NatFamily = 4 | 6;

/** What nucleon owns in one table of one family, and how it is entered. */
export interface OwnedTable {
  /** Wrapped chains (`neutron-l3-agent-…`), sorted. */
  chains: string[];
  /** `-A <owned chain> …` lines, in Python's order within each chain. */
  rules: string[];
  /** Jumps from built-in and shared chains into ours, in Python's order. */
  jumps: TableJump[];
  /** Shared unwrapped chains this table needs (created when missing). */
  shared: string[];
}

/** The whole desired iptables state of one router namespace. */
export interface RouterNatDesired {
  4: Record<NatTableName, OwnedTable>;
  /** Absent with `ipv6: false`. */
  6?: Partial<Record<NatTableName, OwnedTable>>;
}
