/**
 * Which conntrack zones to flush after a firewall change.
 *
 * Neutron deletes conntrack entries when a rule or a remote-group member goes away, so
 * that established connections they allowed stop. Here the unit is a zone (one per
 * network on this node: the local VLAN): when a port that stays on the same network
 * loses any flow it had (a rule, a member address, an allowed address pair, port
 * security turned on …), its zone is flushed. Over-approximates on purpose: any changed
 * flow counts as a loss, and other ports of the network lose their conntrack state too
 * (their packets are tracked as new again and pass their rules again; TCP midstream
 * packets are picked up as new by both conntracks).
 *
 * Ports that are gone or moved to another network are not flushed for: nothing of
 * theirs is left to protect, and their entries age out.
 */
import { flowKey } from './render.js';
import type { OvsFirewallRender } from './types.js';

const textOf = (f: { table: number; priority: number; match: string; actions: string }): string => `${flowKey(f)}|${f.actions}`;

/** Zones (ascending) whose established connections may no longer be allowed. */
export function zonesToFlush(before: OvsFirewallRender | undefined, after: OvsFirewallRender): number[] {
  if (before === undefined) return [];
  const now = new Map(after.ports.map((p) => [p.portId, p]));
  const zones = new Set<number>();
  for (const old of before.ports) {
    const cur = now.get(old.portId);
    if (cur === undefined || cur.zone !== old.zone || zones.has(old.zone)) continue;
    // A blocked or permitted port's state is not conntrack-filtered: nothing to stop
    // unless the port becomes filtered, which shows as lost flows below.
    const kept = new Set(cur.flows.map(textOf));
    if (old.flows.some((f) => !kept.has(textOf(f)))) zones.add(old.zone);
  }
  return [...zones].sort((a, b) => a - b);
}
