/**
 * The periodic pass's verdict on one served network (pure): what differs between what
 * the agent last served and what is there now. Empty = nothing to do, the network costs
 * one namespace read, a few file reads and two /proc reads.
 */
import type { Op } from '../../shared/reconcile/ops.js';

export const DNSMASQ_FILES = ['host', 'addn_hosts', 'opts'] as const;
export type DnsmasqFileKind = typeof DNSMASQ_FILES[number];

/** What serve() left behind for one network. */
export interface ServedLocalState {
  files: Record<DnsmasqFileKind, string>;
  /** The haproxy config, when the isolated-metadata proxy is served here. */
  haproxyConf: string | undefined;
}

/** What the periodic pass found. */
export interface ObservedLocalState {
  /** Namespace missing, or the read failed (its message). */
  netnsProblem?: string;
  /** Ops planNetns would run against what was read (empty: kernel in sync). */
  kernelOps: readonly Op[];
  /** File contents now; undefined when unreadable or gone. */
  files: Record<DnsmasqFileKind, string | undefined>;
  haproxyConf: string | undefined;
  dnsmasqAlive: boolean;
  haproxyAlive: boolean;
}

export function driftOf(served: ServedLocalState, now: ObservedLocalState): string[] {
  const out: string[] = [];
  if (now.netnsProblem !== undefined) out.push(now.netnsProblem);
  else if (now.kernelOps.length > 0) out.push(`kernel: ${[...new Set(now.kernelOps.map((o) => o.kind))].join(', ')}`);
  for (const kind of DNSMASQ_FILES) if (now.files[kind] !== served.files[kind]) out.push(`dnsmasq ${kind} file differs`);
  if (!now.dnsmasqAlive) out.push('dnsmasq not running');
  if (served.haproxyConf !== undefined) {
    if (now.haproxyConf !== served.haproxyConf) out.push('haproxy config differs');
    if (!now.haproxyAlive) out.push('haproxy not running');
  }
  return out;
}
