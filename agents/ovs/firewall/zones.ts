/**
 * Which conntrack zones to flush after a firewall change.
 *
 * Neutron deletes conntrack entries when a rule or a remote-group member goes away, so
 * that established connections they allowed stop. Here the unit is a zone (one per
 * network on this node: the local VLAN): when a port that stays on the same network
 * loses any flow it had (a rule, an allowed address pair, port security turned on …),
 * or a member of a remote group its rules name (a 1/2 conjunction flow of the network
 * no longer feeds one of the port's conjunction ids), its zone is flushed. A member
 * flow that goes because the ports using it went flushes nothing. Over-approximates on purpose: any changed
 * flow counts as a loss, and other ports of the network lose their conntrack state too
 * (their packets are tracked as new again and pass their rules again; TCP midstream
 * packets are picked up as new by both conntracks).
 *
 * Ports that are gone or moved to another network are not flushed for: nothing of
 * theirs is left to protect, and their entries age out.
 */
import { conjunctionIds } from './conj-flows.js';
import { flowKey } from './render.js';
import type { OvsFirewallRender } from './types.js';

const textOf = (f: { table: number; priority: number; match: string; actions: string }): string => `${flowKey(f)}|${f.actions}`;

/**
 * Per zone, the conjunction ids that lost a member: a 1/2 flow (one member address of
 * a remote group) that fed the id before and does not any more.
 */
function lostMembers(before: OvsFirewallRender, after: OvsFirewallRender): Map<number, Set<number>> {
  const now = new Map(after.networks.map((n) => [n.zone, n]));
  const lost = new Map<number, Set<number>>();
  for (const old of before.networks) {
    const kept = new Set<string>();
    for (const f of now.get(old.zone)?.flows ?? []) for (const id of conjunctionIds(f.actions, 1)) kept.add(`${flowKey(f)}|${id}`);
    const ids = new Set<number>();
    for (const f of old.flows) for (const id of conjunctionIds(f.actions, 1)) if (!kept.has(`${flowKey(f)}|${id}`)) ids.add(id);
    if (ids.size > 0) lost.set(old.zone, ids);
  }
  return lost;
}

/** Zones (ascending) whose established connections may no longer be allowed. */
export function zonesToFlush(before: OvsFirewallRender | undefined, after: OvsFirewallRender): number[] {
  if (before === undefined) return [];
  const now = new Map(after.ports.map((p) => [p.portId, p]));
  const lost = lostMembers(before, after);
  const zones = new Set<number>();
  for (const old of before.ports) {
    const cur = now.get(old.portId);
    if (cur === undefined || cur.zone !== old.zone || zones.has(old.zone)) continue;
    // A member left a remote group that one of the port's rules names. (If the rule
    // itself went, the port's own flows show it below.)
    const lostIds = lost.get(old.zone);
    if (lostIds !== undefined && old.conjIds.some((id) => lostIds.has(id))) {
      zones.add(old.zone);
      continue;
    }
    // A blocked or permitted port's state is not conntrack-filtered: nothing to stop
    // unless the port becomes filtered, which shows as lost flows below.
    const kept = new Set(cur.flows.map(textOf));
    if (old.flows.some((f) => !kept.has(textOf(f)))) zones.add(old.zone);
  }
  return [...zones].sort((a, b) => a - b);
}
