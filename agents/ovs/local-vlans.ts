/**
 * Local VLAN allocation on br-int: one VLAN id (1..4094) per network present on this
 * node. Allocation must survive agent restarts without moving a network to another
 * VLAN (that would cut its traffic), so existing ids are read back from OVSDB: Neutron
 * stores `net_uuid` and `tag` in each Port's other_config (ovs_neutron_agent
 * _restore_local_vlan_map) and we do the same. New networks take the lowest free id.
 */
export const MIN_VLAN = 1;
export const MAX_VLAN = 4094;

export interface VlanAllocation {
  /** network id → VLAN id, for every network asked for that could get one. */
  vlans: Map<string, number>;
  /** Networks that got no VLAN because all 4094 are taken. */
  exhausted: string[];
}

/**
 * @param wanted   networks that need a VLAN now (sorted for a deterministic result)
 * @param existing network id → VLAN already in use in OVSDB (other_config net_uuid/tag)
 */
export function allocateLocalVlans(wanted: Iterable<string>, existing: ReadonlyMap<string, number>): VlanAllocation {
  const vlans = new Map<string, number>();
  const used = new Set<number>();
  const need = [...new Set(wanted)].sort();
  // Keep every existing, valid, unique assignment of a wanted network.
  for (const net of need) {
    const v = existing.get(net);
    if (v !== undefined && v >= MIN_VLAN && v <= MAX_VLAN && !used.has(v)) {
      vlans.set(net, v);
      used.add(v);
    }
  }
  // Ids held by networks not wanted right now stay reserved for this apply: their ports
  // may still be on the bridge until the plan removes them.
  for (const [net, v] of existing) if (!vlans.has(net)) used.add(v);
  const exhausted: string[] = [];
  let next = MIN_VLAN;
  for (const net of need) {
    if (vlans.has(net)) continue;
    while (next <= MAX_VLAN && used.has(next)) next++;
    if (next > MAX_VLAN) { exhausted.push(net); continue; }
    vlans.set(net, next);
    used.add(next);
  }
  return { vlans, exhausted };
}
