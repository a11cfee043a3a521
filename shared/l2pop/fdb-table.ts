/**
 * Shared by the linuxbridge and OVS agents.
 * l2population state: the server tells each agent, per network, which remote VTEPs
 * host which (MAC, IP) pairs (add/remove/update_fdb_entries). That is desired state
 * only the server knows, so it is kept here as data; what the kernel has is read back
 * (`bridge -json fdb show`, `ip -json neigh show`) and diffed, so an entry deleted by
 * hand comes back. Python's semantics: the flooding entry 00:00:00:00:00:00 makes
 * BUM traffic go to that VTEP (`bridge fdb append`), unicast entries pin a MAC to a
 * VTEP (`bridge fdb replace`), and with arp_responder a permanent neighbour entry
 * answers ARP locally; entries for our own local_ip are ignored.
 */
export const FLOODING_MAC = '00:00:00:00:00:00';

export interface FdbChange { op: 'add' | 'remove' | 'update'; entries: Record<string, unknown> }

/** network_id → agent_ip → set of "mac|ip". */
export type FdbTable = Map<string, Map<string, Set<string>>>;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function pairs(v: unknown): Array<[string, string]> {
  if (!Array.isArray(v)) return [];
  const out: Array<[string, string]> = [];
  for (const p of v) {
    if (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string' && MAC.test(p[0])) out.push([p[0].toLowerCase(), p[1]]);
  }
  return out;
}

/** Applies one l2pop message to the table; returns the networks it touched. */
export function applyFdbChange(table: FdbTable, change: FdbChange, localIp: string | undefined): string[] {
  const touched: string[] = [];
  if (change.op === 'update') {
    const chg = change.entries['chg_ip'];
    if (!chg || typeof chg !== 'object') return touched;
    for (const [net, agents] of Object.entries(chg as Record<string, unknown>)) {
      if (!agents || typeof agents !== 'object') continue;
      for (const [agentIp, beforeAfter] of Object.entries(agents as Record<string, unknown>)) {
        if (agentIp === localIp || !IPV4.test(agentIp) || !beforeAfter || typeof beforeAfter !== 'object') continue;
        const entry = table.get(net)?.get(agentIp);
        const ba = beforeAfter as Record<string, unknown>;
        for (const [mac, ip] of pairs(ba['before'])) entry?.delete(`${mac}|${ip}`);
        if (entry) for (const [mac, ip] of pairs(ba['after'])) entry.add(`${mac}|${ip}`);
        touched.push(net);
      }
    }
    return touched;
  }
  for (const [net, value] of Object.entries(change.entries)) {
    if (!value || typeof value !== 'object') continue;
    const ports = (value as Record<string, unknown>)['ports'];
    if (!ports || typeof ports !== 'object') continue;
    let agents = table.get(net);
    if (!agents) { agents = new Map(); table.set(net, agents); }
    for (const [agentIp, list] of Object.entries(ports as Record<string, unknown>)) {
      if (agentIp === localIp || !IPV4.test(agentIp)) continue;
      let set = agents.get(agentIp);
      if (!set) { set = new Set(); agents.set(agentIp, set); }
      for (const [mac, ip] of pairs(list)) {
        if (change.op === 'add') set.add(`${mac}|${ip}`);
        else set.delete(`${mac}|${ip}`);
      }
      if (set.size === 0) agents.delete(agentIp);
    }
    if (agents.size === 0) table.delete(net);
    touched.push(net);
  }
  return touched;
}

export interface DesiredFdbEntry { mac: string; dst: string }
export interface DesiredNeigh { ip: string; mac: string }

/** What one vxlan device must carry for a network. */
export function desiredFdbFor(table: FdbTable, networkId: string, arpResponder: boolean): { fdb: DesiredFdbEntry[]; neigh: DesiredNeigh[] } {
  const fdb: DesiredFdbEntry[] = [];
  const neigh: DesiredNeigh[] = [];
  for (const [agentIp, set] of table.get(networkId) ?? []) {
    // A port with several fixed IPs is one MAC: one fdb entry per (mac, VTEP).
    const macs = new Set<string>();
    for (const item of set) {
      const [mac, ip] = item.split('|') as [string, string];
      if (!macs.has(mac)) fdb.push({ mac, dst: agentIp });
      macs.add(mac);
      if (arpResponder && mac !== FLOODING_MAC && IPV4.test(ip)) neigh.push({ ip, mac });
    }
  }
  return { fdb, neigh };
}
