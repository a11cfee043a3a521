/**
 * A physical (provider) bridge's flows, as Neutron Zed's OVS agent installs them with
 * the native driver (openflow/native/br_phys.py, ovs_neutron_agent.py
 * setup_physical_bridges / _local_vlan_for_physical), DVR left out:
 *
 * - prio 0 NORMAL (the bridge otherwise switches as usual: the uplink NIC, other ports);
 * - prio 2 in_port=phy-<br> drop: nothing from br-int leaves without a local VLAN match;
 * - prio 4 in_port=phy-<br>,dl_vlan=<local VLAN> → strip_vlan (flat) or
 *   mod_vlan_vid:<segment> (vlan), NORMAL.
 * Only networks of this bridge's physical network are rendered.
 */
import type { BrPhysFlowsInput, FlowSpec } from '../model.js';
import { actions, DROP, finish, flow, modVlanVid, NORMAL, STRIP_VLAN } from './ofctl-text.js';
import { PHYS } from './tables.js';
import * as v from './validate.js';

/** Renders one physical bridge; throws FlowInputError on a bad input. */
export function renderBrPhysFlows(input: BrPhysFlowsInput): FlowSpec[] {
  v.ifName('bridge', input.bridge);
  const physnet = v.physnet('physicalNetwork', input.physicalNetwork);
  const phy = v.ofport('phyPatchOfport', input.phyPatchOfport);
  const localVlans = v.localVlans('localVlans', input.localVlans);

  const flows: FlowSpec[] = [
    flow(PHYS.LOCAL_SWITCHING, 0, '', NORMAL),
    flow(PHYS.LOCAL_SWITCHING, 2, { inPort: phy }, DROP),
  ];
  for (const lv of localVlans) {
    if (lv.physicalNetwork !== physnet) continue;
    if (lv.networkType === 'flat') {
      flows.push(flow(PHYS.LOCAL_SWITCHING, 4, { inPort: phy, vlan: lv.localVlan }, actions(STRIP_VLAN, NORMAL)));
    } else if (lv.networkType === 'vlan') {
      flows.push(flow(PHYS.LOCAL_SWITCHING, 4, { inPort: phy, vlan: lv.localVlan }, actions(modVlanVid(lv.segmentationId as number), NORMAL)));
    }
  }
  return finish(flows);
}
