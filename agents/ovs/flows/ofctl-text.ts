/**
 * Builds flow text in the exact form `ovs-ofctl dump-flows` (OpenFlow 1.0, the
 * default) prints it, so a flow synchroniser can compare a dump with the desired flows
 * as strings:
 * - match fields in OVS's own order (lib/match.c match_format: protocol shorthand,
 *   tunnel id, in_port, VLAN, dl_src, dl_dst, ARP addresses, ICMP type, ND target);
 * - Neutron's native driver sends OpenFlow 1.3 instructions (goto_table, push_vlan +
 *   set_field vlan_vid, pop_vlan, set_field tun_id/arp_*); an OpenFlow 1.0 dump shows
 *   those as resubmit(,N), mod_vlan_vid:N, strip_vlan and load:…->NXM_…[], which is
 *   what we write: the same dump on a Python node and on ours, and plain
 *   `ovs-ofctl add-flows` (OpenFlow 1.0) accepts it. (Checked with OVS 3.1:
 *   add the OF1.3 form with -O OpenFlow13, dump without -O.)
 */
import type { FlowSpec } from '../model.js';
import { FlowConflictError } from './errors.js';

export interface MatchFields {
  /** Protocol shorthand (sets dl_type, and nw_proto for icmp6). */
  proto?: 'arp' | 'icmp6';
  tunId?: number;
  inPort?: number;
  /** `dl_vlan=N`, or 'untagged' for `vlan_tci=0x0000/0x1fff` (OFPVID_NONE). */
  vlan?: number | 'untagged';
  dlSrc?: string;
  /** A MAC, or `mac/mask`. */
  dlDst?: string;
  arpSpa?: string;
  arpTpa?: string;
  icmpType?: number;
  ndTarget?: string;
}

export function match(m: MatchFields): string {
  const parts: string[] = [];
  if (m.proto !== undefined) parts.push(m.proto);
  if (m.tunId !== undefined) parts.push(`tun_id=0x${m.tunId.toString(16)}`);
  if (m.inPort !== undefined) parts.push(`in_port=${m.inPort}`);
  if (m.vlan === 'untagged') parts.push('vlan_tci=0x0000/0x1fff');
  else if (m.vlan !== undefined) parts.push(`dl_vlan=${m.vlan}`);
  if (m.dlSrc !== undefined) parts.push(`dl_src=${m.dlSrc}`);
  if (m.dlDst !== undefined) parts.push(`dl_dst=${m.dlDst}`);
  if (m.arpSpa !== undefined) parts.push(`arp_spa=${m.arpSpa}`);
  if (m.arpTpa !== undefined) parts.push(`arp_tpa=${m.arpTpa}`);
  if (m.icmpType !== undefined) parts.push(`icmp_type=${m.icmpType}`);
  if (m.ndTarget !== undefined) parts.push(`nd_target=${m.ndTarget}`);
  return parts.join(',');
}

/** Neutron's goto_table, as an OpenFlow 1.0 dump shows it. */
export const resubmit = (table: number): string => `resubmit(,${table})`;
export const output = (ofport: number): string => `output:${ofport}`;
/** Neutron's [push_vlan,] set_field vlan_vid: OF1.0's set-VLAN pushes a tag when there is none. */
export const modVlanVid = (vid: number): string => `mod_vlan_vid:${vid}`;
/** Neutron's pop_vlan. */
export const STRIP_VLAN = 'strip_vlan';
/** Neutron's set_field tunnel_id. */
export const loadTunId = (vni: number): string => `load:0x${vni.toString(16)}->NXM_NX_TUN_ID[]`;
export const NORMAL = 'NORMAL';
export const DROP = 'drop';
export const IN_PORT = 'IN_PORT';

export const actions = (...list: string[]): string => list.join(',');

export function flow(table: number, priority: number, m: string | MatchFields, acts: string): FlowSpec {
  return { table, priority, match: typeof m === 'string' ? m : match(m), actions: acts };
}

/**
 * The renderers' common tail: flows sorted by table, then priority (highest first),
 * then match text, identical duplicates dropped (Neutron installs some flows twice,
 * e.g. one per IP that masks to the same network). Two flows that differ only in their
 * actions cannot both be installed (the second add replaces the first): a renderer bug,
 * raised as {@link FlowConflictError}.
 */
export function finish(flows: readonly FlowSpec[]): FlowSpec[] {
  const sorted = [...flows].sort(compareFlows);
  const out: FlowSpec[] = [];
  for (const f of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.table === f.table && prev.priority === f.priority && prev.match === f.match) {
      if (prev.actions !== f.actions) throw new FlowConflictError(f.table, f.priority, f.match, [prev.actions, f.actions]);
      continue;
    }
    out.push(f);
  }
  return out;
}

function compareFlows(a: FlowSpec, b: FlowSpec): number {
  return a.table - b.table || b.priority - a.priority || cmp(a.match, b.match) || cmp(a.actions, b.actions);
}

/** Code-unit order, independent of the locale. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One line of an `ovs-ofctl add-flows` file (no cookie: the synchroniser adds its own). */
export function addFlowsLine(f: FlowSpec): string {
  return `table=${f.table},priority=${f.priority}${f.match ? `,${f.match}` : ''},actions=${f.actions}`;
}
