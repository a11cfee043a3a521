/**
 * Which of the agent's own devices a link-watcher event shows changed by somebody
 * else: a network bridge or its uplink (vxlan-<vni>, <phys>.<vlan>, the mapped
 * interface of a flat network) gone, down, or no longer enslaved to its bridge.
 * Pure: compares the event with the last desired state, nothing is remembered.
 *
 * Why compare with the desired state rather than react to every event: the agent's own
 * applies change these devices all the time (a bridge's MAC follows its ports, a new
 * vxlan device exists for a moment without its master), and reacting to those would
 * add a no-op pass per burst. Only a state the desired one rules out is drift.
 */
import type { LinkChangeEvent, LinkInfo } from '../../shared/drivers/link-watcher.js';
import type { DesiredL2 } from './desired.js';

export interface LinkDrift {
  device: string;
  network_id: string;
  why: 'gone' | 'down' | 'detached';
}

export function driftedOwnLinks(desired: DesiredL2 | undefined, ev: LinkChangeEvent): LinkDrift[] {
  if (!desired) return [];
  const removed = new Set(ev.removed);
  const changed = new Map<string, LinkInfo>(ev.changed.map((l) => [l.name, l]));
  const out: LinkDrift[] = [];
  for (const b of desired.bridges.values()) {
    // Mapped bridges (bridge_mappings) are the operator's: never repaired by us.
    if (!b.owned) continue;
    if (removed.has(b.name)) out.push({ device: b.name, network_id: b.networkId, why: 'gone' });
    else if (changed.get(b.name)?.up === false) out.push({ device: b.name, network_id: b.networkId, why: 'down' });
    const u = b.uplink;
    if (!u) continue;
    // A mapped physical interface that vanished is not ours to recreate: the next
    // pass reports the failure; only its detachment is drift we can repair.
    if (removed.has(u.name) && u.kind !== 'physical') { out.push({ device: u.name, network_id: b.networkId, why: 'gone' }); continue; }
    const c = changed.get(u.name);
    if (!c) continue;
    // The watcher gives the master's ifindex when it could not resolve the name:
    // undecidable here, left to the periodic pass.
    if (c.master === undefined || (typeof c.master === 'string' && c.master !== b.name)) out.push({ device: u.name, network_id: b.networkId, why: 'detached' });
    else if (!c.up) out.push({ device: u.name, network_id: b.networkId, why: 'down' });
  }
  return out;
}

/**
 * The watcher's name prefixes that cover every device `driftedOwnLinks` can name: a
 * VLAN subinterface is <phys>.<vid>, or for a long <phys> its first 4 characters plus
 * a hash (vlanSubinterfaceName), hence the 4-character prefix too.
 */
export function ownLinkPrefixes(interfaceMappings: Record<string, string>): string[] {
  const ifaces = Object.values(interfaceMappings);
  return [...new Set(['brq', 'vxlan-', ...ifaces, ...ifaces.map((i) => i.slice(0, 4))])];
}
