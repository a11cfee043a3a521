/**
 * Indexes the live OVSDB monitor snapshot (rows by UUID) by name: the agent's
 * ObservedOvs for one apply.
 */
import type { OvsdbSnapshot } from '../../shared/drivers/ovs/ovsdb-monitor.js';
import { emptyObserved, type ObservedInterface, type ObservedOvs } from './observed.js';

export function observedFromSnapshot(s: OvsdbSnapshot): ObservedOvs {
  const o = emptyObserved();
  const ifaceByUuid = new Map<string, ObservedInterface>();
  for (const i of s.interfaces.values()) {
    const oi: ObservedInterface = { name: i.name, ofport: i.ofport !== undefined && i.ofport > 0 ? i.ofport : undefined, type: i.type, externalIds: { ...i.external_ids }, options: { ...i.options }, error: i.error };
    ifaceByUuid.set(i.uuid, oi);
    o.interfaces.set(i.name, oi);
  }
  const bridgeOfPort = new Map<string, string>();
  for (const b of s.bridges.values()) {
    const names: string[] = [];
    for (const pu of b.ports) {
      const p = s.ports.get(pu);
      if (!p) continue;
      names.push(p.name);
      bridgeOfPort.set(pu, b.name);
    }
    o.bridges.set(b.name, { name: b.name, datapathType: b.datapath_type === '' ? 'system' : b.datapath_type, failMode: b.fail_mode, ports: names.sort() });
  }
  for (const p of s.ports.values()) {
    o.ports.set(p.name, {
      name: p.name, bridge: bridgeOfPort.get(p.uuid), tag: p.tag, vlanMode: p.vlan_mode, trunks: [...p.trunks], otherConfig: { ...p.other_config },
      interfaces: p.interfaces.map((u) => ifaceByUuid.get(u)).filter((i): i is ObservedInterface => i !== undefined),
    });
  }
  return o;
}
