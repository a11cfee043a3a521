/**
 * br-tun's per-network tunnel flows: flooding (table 22) and, with l2population, the
 * server's forwarding entries (table 20) and ARP answers (table 21). The Python agent
 * builds these incrementally (provision_local_vlan, fdb_add → add_fdb_flow,
 * setup_entry_for_arp_reply); here they are the steady state of the same rules:
 *
 * - table 22 prio 1 dl_vlan=<local> → strip_vlan, tun_id=<VNI>, output to each VTEP:
 *   without l2pop every tunnel port; with l2pop the VTEPs holding the network's
 *   flooding entry (00:00:00:00:00:00). No such VTEP, no flow (table 22's default
 *   drop). [Python, when a network is first provisioned with l2pop on, floods to every
 *   existing tunnel until the first flooding entry arrives and replaces that flow; we
 *   go straight to the l2pop answer.]
 * - table 20 prio 2 dl_vlan=<local>,dl_dst=<MAC> → strip_vlan, tun_id, output:<VTEP port>
 * - table 21 prio 1 arp,dl_vlan=<local>,arp_tpa=<IPv4> → an ARP reply built in place
 *   and sent back IN_PORT (arp_responder; IPv6 entries get none, as in Python).
 *
 * Entries for our own VTEP, for networks not (vxlan-)present here, and for VTEPs that
 * have no tunnel port yet are skipped (Python creates the port first; our caller does,
 * and renders again once it has an ofport). The flooding MAC is never a unicast entry.
 * When the server names one MAC (or, for ARP, one IP) behind two VTEPs (a port moving
 * between hosts), the entry of the lowest VTEP address wins, so the result does not
 * depend on message order; Python keeps whichever came last.
 */
import type { FlowSpec, L2popFdb, LocalVlan, TunnelPort } from '../model.js';
import { FlowInputError } from './errors.js';
import { ipv4ToHex, macToHex, parseIpv4 } from './ip.js';
import { actions, flow, IN_PORT, loadTunId, output, STRIP_VLAN } from './ofctl-text.js';
import { FLOODING_MAC, TUN } from './tables.js';
import * as v from './validate.js';

/** One validated l2pop entry. */
export interface FdbEntry { mac: string; ip: string }
/** network id → VTEP address → entries, validated and normalised. */
export type CheckedFdb = Map<string, Map<string, FdbEntry[]>>;

export function checkFdb(field: string, fdb: unknown): CheckedFdb {
  if (!(fdb instanceof Map)) throw new FlowInputError(field, fdb, 'must be a Map');
  const out: CheckedFdb = new Map();
  for (const [net, vteps] of fdb as L2popFdb) {
    const fn = `${field}[${JSON.stringify(net)}]`;
    v.uuid(`${fn} (key)`, net);
    if (!(vteps instanceof Map)) throw new FlowInputError(fn, vteps, 'must be a Map');
    const byVtep = new Map<string, FdbEntry[]>();
    for (const [vtep, pairs] of vteps) {
      const fv = `${fn}[${JSON.stringify(vtep)}]`;
      v.address(`${fv} (key)`, vtep);
      byVtep.set(vtep, v.array<[string, string]>(fv, pairs).map((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) throw new FlowInputError(`${fv}[${i}]`, pair, 'must be a [mac, ip] pair');
        const mac = v.mac(`${fv}[${i}][0]`, pair[0]);
        v.address(`${fv}[${i}][1]`, pair[1]);
        return { mac, ip: pair[1] };
      }));
    }
    out.set(net, byVtep);
  }
  return out;
}

export interface TunnelNetworkInput {
  lv: LocalVlan & { segmentationId: number };
  tunnels: readonly TunnelPort[];
  /** This network's l2pop entries (undefined without l2pop or without entries). */
  entries: Map<string, FdbEntry[]> | undefined;
  l2Population: boolean;
  arpResponder: boolean;
  localIp: string;
}

/** Orders VTEP addresses numerically (IPv4 first), for the "lowest VTEP wins" rule. */
function byAddress(a: string, b: string): number {
  const na = parseIpv4(a);
  const nb = parseIpv4(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function tunnelNetworkFlows(n: TunnelNetworkInput): FlowSpec[] {
  const { lv } = n;
  const vni = lv.segmentationId;
  const vlan = lv.localVlan;
  const portOf = new Map(n.tunnels.map((t) => [t.remoteIp, t.ofport]));
  const flows: FlowSpec[] = [];

  const floodPorts = new Set<number>();
  if (!n.l2Population) {
    for (const t of n.tunnels) floodPorts.add(t.ofport);
  }
  if (n.l2Population && n.entries) {
    const seenMac = new Set<string>();
    const seenIp = new Set<string>();
    for (const vtep of [...n.entries.keys()].sort(byAddress)) {
      const ofport = portOf.get(vtep);
      if (vtep === n.localIp || ofport === undefined) continue;
      for (const e of n.entries.get(vtep) ?? []) {
        if (e.mac === FLOODING_MAC) {
          floodPorts.add(ofport);
          continue;
        }
        if (!seenMac.has(e.mac)) {
          seenMac.add(e.mac);
          flows.push(flow(TUN.UCAST_TO_TUN, 2, { vlan, dlDst: e.mac }, actions(STRIP_VLAN, loadTunId(vni), output(ofport))));
        }
        const ip4 = parseIpv4(e.ip);
        if (n.arpResponder && ip4 !== undefined && !seenIp.has(e.ip)) {
          seenIp.add(e.ip);
          flows.push(flow(TUN.ARP_RESPONDER, 1, { proto: 'arp', vlan, arpTpa: e.ip }, arpReply(e.mac, ip4)));
        }
      }
    }
  }
  if (floodPorts.size > 0) {
    const outs = [...floodPorts].sort((a, b) => a - b).map(output);
    flows.push(flow(TUN.FLOOD_TO_TUN, 1, { vlan }, actions(STRIP_VLAN, loadTunId(vni), ...outs)));
  }
  return flows;
}

/**
 * ovs_bridge.install_arp_responder: turn the request into the reply in place (op 2,
 * sender → target, the answer's MAC/IP as sender, Ethernet source → destination) and
 * send it back where it came from.
 */
export function arpReply(mac: string, ip: number): string {
  return actions(
    'load:0x2->NXM_OF_ARP_OP[]',
    'move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]',
    'move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]',
    `load:${macToHex(mac)}->NXM_NX_ARP_SHA[]`,
    `load:${ipv4ToHex(ip)}->NXM_OF_ARP_SPA[]`,
    'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
    `mod_dl_src:${mac}`,
    IN_PORT,
  );
}
