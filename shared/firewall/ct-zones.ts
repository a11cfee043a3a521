/**
 * Conntrack zones for filtered bridged ports: the raw-table rules of Python's
 * IptablesFirewallDriver (`_get_jump_rules`), so that two networks (linuxbridge: a zone
 * per network) or two ports (OVS iptables_hybrid: a zone per port) with the same
 * addresses never share conntrack entries. Without zones, a connection seen on one
 * network could make the same 5-tuple ESTABLISHED on another. Pure.
 *
 * Per filtered port, in `<wrap>-PREROUTING` of the raw table (both families), in the
 * order of the ports' devices, as Python writes them:
 *   -m physdev --physdev-in B -m comment --comment "Set zone for X" -j CT --zone Z
 *   -i B -m comment --comment "Set zone for X" -j CT --zone Z
 *   -m physdev --physdev-in D -m comment --comment "Set zone for X" -j CT --zone Z
 * B = brq<network_id[:11]> (per network) or qvb<port_id[:11]> (per port), D = the tap.
 *
 * Zones are level-triggered: a key keeps the zone the kernel's rules already give its
 * device (ours from an earlier run, or the Python agent's on a node we take over), so a
 * restart changes no zone and drops no connection. A new key gets the highest zone in
 * the table plus one (as Python: a zone freed by a removed port is not reused at once,
 * its entries may still be around), and only when 65535 is taken the lowest free one.
 */
import type { SavedTable } from './iptables-save.js';
import type { ChainNames } from './names.js';
import type { Problem, SgPort } from './types.js';

/** neutron ip_conntrack ZONE_START and MAX_CONNTRACK_ZONES. */
export const CT_ZONE_START = 4097;
export const CT_ZONE_MAX = 65535;

/** 'network': the linuxbridge driver (CONNTRACK_ZONE_PER_PORT = False); 'port': OVS hybrid. */
export type ZoneScope = 'network' | 'port';

export interface ZoneTable {
  /** Owned raw-table chains (full names) and their rules, empty when no port is filtered. */
  chains: string[];
  rules: string[];
  /** Zone per keying device (brq… or qvb…). */
  zones: Map<string, number>;
  problems: Problem[];
}

/** The device whose zone a port shares: its network's bridge, or its own qvb end. */
export function zoneDevice(port: SgPort, scope: ZoneScope): string | undefined {
  if (scope === 'port') return `qvb${port.device.slice(3)}`.slice(0, 14);
  return port.network_id ? `brq${port.network_id}`.slice(0, 14) : undefined;
}

/**
 * Python's `_get_port_device_name`: a tap device loses its first four characters
 * ('tap' + one: a quirk kept so the comment, part of the rule, is the same); the OVS
 * agent's device is the port id.
 */
function commentName(port: SgPort, scope: ZoneScope): string {
  return scope === 'port' ? port.id : port.device.slice(4);
}

/** `--physdev-in DEV … -j CT --zone N` in the owned chains: the zone the kernel gives each device. */
export function zonesInTable(saved: SavedTable, isOwned: (chain: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const [chain, rules] of saved.rules) {
    if (!isOwned(chain)) continue;
    for (const r of rules) {
      const m = / --physdev-in (\S+) .*-j CT --zone (\d+)/.exec(r);
      if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]));
    }
  }
  return out;
}

/** The raw chain that carries the zone rules. */
export const zoneChain = (names: ChainNames): string => `${names.wrap}-PREROUTING`;

/** Ports must be the filtered ones, unique by device. */
export function renderZoneTable(ports: readonly SgPort[], scope: ZoneScope, names: ChainNames, existing: ReadonlyMap<string, number>): ZoneTable {
  const problems: Problem[] = [];
  const zones = new Map<string, number>();
  const sorted = [...ports].sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  let highest = Math.max(CT_ZONE_START - 1, ...existing.values());
  /** Zones given to a key in this render (`zones`' values, as a set for the lookups). */
  const taken = new Set<number>();
  const next = (): number | undefined => {
    if (highest < CT_ZONE_MAX) return ++highest;
    for (let z = CT_ZONE_START; z <= CT_ZONE_MAX; z++) if (!taken.has(z)) return z;
    return undefined;
  };
  const rules: string[] = [];
  const chain = zoneChain(names);
  for (const p of sorted) {
    const key = zoneDevice(p, scope);
    if (key === undefined) {
      problems.push({ path: `devices.${p.id}`, reason: 'no network_id: no conntrack zone (the port shares the default zone)' });
      continue;
    }
    let zone = zones.get(key);
    if (zone === undefined) {
      const kept = existing.get(key) ?? existing.get(p.device);
      zone = kept !== undefined && !taken.has(kept) ? kept : next();
      if (zone === undefined) {
        problems.push({ path: `devices.${p.id}`, reason: `conntrack zones ${CT_ZONE_START}-${CT_ZONE_MAX} exhausted` });
        continue;
      }
      zones.set(key, zone);
      taken.add(zone);
    }
    const tail = `-m comment --comment "Set zone for ${commentName(p, scope)}" -j CT --zone ${zone}`;
    rules.push(`-A ${chain} -m physdev --physdev-in ${key} ${tail}`, `-A ${chain} -i ${key} ${tail}`, `-A ${chain} -m physdev --physdev-in ${p.device} ${tail}`);
  }
  return { chains: rules.length > 0 ? [chain] : [], rules, zones, problems };
}
