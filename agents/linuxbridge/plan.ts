/**
 * Desired L2 state vs the kernel's links → the ops that close the gap, and nothing
 * else: equal objects produce no op, so a steady node applies nothing.
 *
 * Ownership: bridges named brq* that are not bridge_mappings bridges, vxlan-* devices
 * and VLAN subinterfaces of mapped interfaces are ours; taps are Nova's, the DHCP
 * agent's or the L3 agent's, so we only set their master (non-compute), MTU and
 * up/down, never create or delete them. Orphans (owned objects nobody wants) are
 * swept only when `sweep` is set, i.e. after the first complete desired snapshot,
 * and an owned bridge that still has a tap enslaved is never deleted.
 */
import type { ActualAddress, ActualLink } from '../../shared/drivers/ip-links.js';
import type { Op } from '../../shared/reconcile/ops.js';
import type { DesiredBridge, DesiredL2, Uplink } from './desired.js';

export interface PlanInput {
  desired: DesiredL2;
  links: Map<string, ActualLink>;
  addresses: ActualAddress[];
  /** bridge_mappings bridges: the operator's, never swept. */
  mappedBridges: Set<string>;
  sweep: boolean;
}

export function planL2Ops(p: PlanInput): Op[] {
  const ops: Op[] = [];
  const wantedUplinks = new Set<string>();
  for (const b of p.desired.bridges.values()) {
    planBridge(p, b, ops);
    if (b.uplink) wantedUplinks.add(b.uplink.name);
  }
  for (const t of p.desired.taps.values()) {
    const link = p.links.get(t.name);
    if (!link) continue; // gone meanwhile: reported down by the agent
    const key = `port:${t.portId}`;
    if (t.enslave && link.master !== t.bridge) ops.push({ kind: 'link.set', key, name: t.name, master: t.bridge });
    if (t.mtu !== null && link.mtu !== t.mtu) ops.push({ kind: 'link.set', key, name: t.name, mtu: t.mtu });
    if (link.up !== t.up) ops.push({ kind: 'link.set', key, name: t.name, up: t.up });
  }
  if (p.sweep) planSweep(p, wantedUplinks, ops);
  return ops;
}

function planBridge(p: PlanInput, b: DesiredBridge, ops: Op[]): void {
  const key = `network:${b.networkId}`;
  const br = p.links.get(b.name);
  if (!br) {
    if (!b.owned) return; // a bridge_mappings bridge must exist; the agent reports it
    ops.push({ kind: 'link.add', key, name: b.name, link: { type: 'bridge', stp: false, forwardDelay: 0 } });
    ops.push({ kind: 'link.set', key, name: b.name, up: true });
    // No IPv6 on the bridge itself (Python disables it: no SLAAC address, no RA processing).
    ops.push({ kind: 'sysctl.set', key, name: `net.ipv6.conf.${b.name}.disable_ipv6`, value: '1' });
  } else if (!br.up) {
    ops.push({ kind: 'link.set', key, name: b.name, up: true });
  }
  if (b.uplink) planUplink(p, b, b.uplink, key, ops);
}

function planUplink(p: PlanInput, b: DesiredBridge, u: Uplink, key: string, ops: Op[]): void {
  const cur = p.links.get(u.name);
  switch (u.kind) {
    case 'vxlan': {
      const same = cur?.vxlan && cur.vxlan.vni === u.vni && (cur.vxlan.group ?? undefined) === u.group && (cur.vxlan.local ?? undefined) === u.local
        && cur.vxlan.dstport === u.dstport && (u.ttl === undefined || cur.vxlan.ttl === u.ttl) && (cur.vxlan.dev ?? undefined) === u.dev
        // iproute2 prints "proxy" only when set; a changed arp_responder needs a new device.
        && (cur.vxlan.proxy ?? false) === u.proxy;
      if (cur && !same) ops.push({ kind: 'link.del', key, name: u.name });
      if (!cur || !same) {
        ops.push({
          kind: 'link.add', key, name: u.name,
          link: { type: 'vxlan', vni: u.vni, dev: u.dev, dstport: u.dstport, ...(u.group ? { group: u.group } : {}), ...(u.local ? { local: u.local } : {}), ...(u.ttl !== undefined ? { ttl: u.ttl } : {}), ...(u.tos !== undefined ? { tos: u.tos } : {}), ...(u.proxy ? { proxy: true } : {}) },
          ...(u.mtu !== null ? { mtu: u.mtu } : {}),
        });
        ops.push({ kind: 'link.set', key, name: u.name, master: b.name, up: true });
        ops.push({ kind: 'sysctl.set', key, name: `net.ipv6.conf.${u.name}.disable_ipv6`, value: '1' });
        return;
      }
      if (cur.master !== b.name) ops.push({ kind: 'link.set', key, name: u.name, master: b.name });
      if (u.mtu !== null && cur.mtu !== u.mtu) ops.push({ kind: 'link.set', key, name: u.name, mtu: u.mtu });
      if (!cur.up) ops.push({ kind: 'link.set', key, name: u.name, up: true });
      return;
    }
    case 'vlan': {
      if (!cur) {
        ops.push({ kind: 'link.add', key, name: u.name, link: { type: 'vlan', parent: u.parent, vlanId: u.vlanId } });
        ops.push({ kind: 'link.set', key, name: u.name, master: b.name, up: true });
        return;
      }
      if (cur.master !== b.name) ops.push({ kind: 'link.set', key, name: u.name, master: b.name });
      if (!cur.up) ops.push({ kind: 'link.set', key, name: u.name, up: true });
      return;
    }
    case 'physical': {
      if (!cur) return; // checked at start-up; vanished since: nothing to enslave
      if (cur.master !== b.name) {
        // Python moves the interface's addresses onto the bridge so the node keeps them.
        for (const a of p.addresses.filter((x) => x.dev === u.name && x.scope === 'global')) {
          ops.push({ kind: 'addr.del', key, dev: u.name, cidr: a.cidr });
          ops.push({ kind: 'addr.add', key, dev: b.name, cidr: a.cidr });
        }
        ops.push({ kind: 'link.set', key, name: u.name, master: b.name });
      }
      if (!cur.up) ops.push({ kind: 'link.set', key, name: u.name, up: true });
      return;
    }
  }
}

function planSweep(p: PlanInput, wantedUplinks: Set<string>, ops: Op[]): void {
  const enslavedTaps = new Map<string, number>();
  for (const l of p.links.values()) if (l.master && l.name.startsWith('tap')) enslavedTaps.set(l.master, (enslavedTaps.get(l.master) ?? 0) + 1);
  for (const l of p.links.values()) {
    const key = `sweep:${l.name}`;
    if (l.kind === 'bridge' && l.name.startsWith('brq') && !p.mappedBridges.has(l.name) && !p.desired.bridges.has(l.name) && !enslavedTaps.has(l.name)) {
      // Give the bridge's physical uplink its addresses back before the bridge goes.
      for (const a of p.addresses.filter((x) => x.dev === l.name && x.scope === 'global')) {
        const phys = [...p.links.values()].find((x) => x.master === l.name && x.kind === undefined);
        if (phys) ops.push({ kind: 'addr.add', key, dev: phys.name, cidr: a.cidr });
      }
      // Its VLAN subinterface is ours and goes with it (as in Python's delete_bridge);
      // vxlan-* uplinks are swept below by name.
      for (const x of p.links.values()) if (x.master === l.name && x.kind === 'vlan') ops.push({ kind: 'link.del', key: `sweep:${x.name}`, name: x.name });
      ops.push({ kind: 'link.del', key, name: l.name });
    } else if (l.kind === 'vxlan' && l.name.startsWith('vxlan-') && !wantedUplinks.has(l.name) && !(l.master && enslavedTaps.has(l.master))) {
      // An uplink of a bridge kept for its taps stays: deleting it would cut them off.
      ops.push({ kind: 'link.del', key, name: l.name });
    }
  }
}

export interface ActualFdb { mac: string; dst?: string; permanent: boolean }

/**
 * l2population entries of one vxlan device: add what is missing, delete permanent
 * entries with a destination that the server no longer lists (learned entries are the
 * kernel's and left alone).
 */
export function planFdbOps(key: string, dev: string, want: { fdb: Array<{ mac: string; dst: string }>; neigh: Array<{ ip: string; mac: string }> }, actualFdb: ActualFdb[], actualNeigh: Array<{ ip: string; mac?: string; permanent: boolean }>): Op[] {
  const ops: Op[] = [];
  // Only permanent entries count as present: a learned entry for a wanted (mac, dst)
  // ages out, so it is made permanent (`append … permanent` updates it in place).
  const have = new Set(actualFdb.filter((e) => e.dst && e.permanent).map((e) => `${e.mac}|${e.dst}`));
  const wantSet = new Set(want.fdb.map((e) => `${e.mac}|${e.dst}`));
  for (const e of actualFdb) {
    if (e.dst && e.permanent && !wantSet.has(`${e.mac}|${e.dst}`)) ops.push({ kind: 'fdb.del', key, mac: e.mac, dev, dst: e.dst, self: true });
  }
  for (const e of want.fdb) if (!have.has(`${e.mac}|${e.dst}`)) ops.push({ kind: 'fdb.append', key, mac: e.mac, dev, dst: e.dst, self: true, permanent: true });
  const haveNeigh = new Map(actualNeigh.filter((n) => n.permanent).map((n) => [n.ip, n.mac]));
  const wantNeigh = new Map(want.neigh.map((n) => [n.ip, n.mac]));
  for (const [ip] of haveNeigh) if (!wantNeigh.has(ip)) ops.push({ kind: 'neigh.del', key, ip, dev });
  for (const [ip, mac] of wantNeigh) if (haveNeigh.get(ip) !== mac) ops.push({ kind: 'neigh.replace', key, ip, dev, lladdr: mac, nud: 'permanent' });
  return ops;
}
