/**
 * br-int's flows, as Neutron Zed's OVS agent installs them with the native OpenFlow
 * driver (openflow/native/br_int.py and ovs_neutron_agent.py), DVR, QoS, local-IP and
 * OpenFlow-DHCP left out. The OVS firewall's flows (table 60 priority >= 90, tables
 * 71-94) are rendered by its own module and merged by the caller.
 *
 * setup_default_table:
 * - table 0 prio 65535 dl_vlan=4095 drop (the dead VLAN);
 * - table 0 prio 0 → 59 → 60 prio 3 NORMAL (the "transient" table; the firewall's
 *   higher-priority flows in 60 divert ports it filters);
 * - 23 prio 0 drop (the canary: its disappearance tells the agent OVS restarted);
 * - 24 prio 0 drop (ARP spoofing default); 30 and 31 prio 0 → 59 (local egress / local
 *   IP defaults); 62 prio 3 NORMAL (transient egress).
 * setup_physical_bridges: table 0 prio 2 in_port=int-<br> drop (frames from the
 * physical bridge that no local VLAN claims must not loop into another one).
 * provision_local_vlan (flat/vlan, physnet mapped here): table 0 prio 3
 * in_port=int-<br> with the physical tag (vlan) or untagged (flat) → mod_vlan_vid:<local>, 59.
 * port_dead (admin-down or unbound ports): table 0 prio 2 in_port=<port> drop.
 * prevent_arp_spoofing: see br-int-spoofing.ts.
 *
 * Flat/vlan networks whose physnet has no patch port here get no flows (Python logs
 * "no bridge for physical_network" and provisions nothing); vxlan and local networks
 * need nothing on br-int (NORMAL switches on the port tags).
 */
import type { BrIntFlowsInput, FlowSpec } from '../model.js';
import { FlowInputError } from './errors.js';
import { actions, DROP, finish, flow, modVlanVid, NORMAL, resubmit } from './ofctl-text.js';
import { spoofingFacts, spoofingFlows, type SpoofingFacts } from './br-int-spoofing.js';
import { DEAD_VLAN_TAG, INT, OPENFLOW_MAX_PRIORITY } from './tables.js';
import * as v from './validate.js';

/** Flows every br-int has, whatever the ports and networks. */
export function brIntDefaultFlows(): FlowSpec[] {
  return [
    flow(INT.LOCAL_SWITCHING, OPENFLOW_MAX_PRIORITY, { vlan: DEAD_VLAN_TAG }, DROP),
    flow(INT.LOCAL_SWITCHING, 0, '', resubmit(INT.PACKET_RATE_LIMIT)),
    flow(INT.CANARY, 0, '', DROP),
    flow(INT.ARP_SPOOF, 0, '', DROP),
    flow(INT.LOCAL_EGRESS, 0, '', resubmit(INT.PACKET_RATE_LIMIT)),
    flow(INT.LOCAL_IP, 0, '', resubmit(INT.PACKET_RATE_LIMIT)),
    flow(INT.PACKET_RATE_LIMIT, 0, '', resubmit(INT.TRANSIENT)),
    flow(INT.TRANSIENT, 3, '', NORMAL),
    flow(INT.TRANSIENT_EGRESS, 3, '', NORMAL),
  ];
}

/** Renders br-int; throws FlowInputError on a bad input, never returns partial flows. */
export function renderBrIntFlows(input: BrIntFlowsInput): FlowSpec[] {
  const firewall = v.bool('firewallEnabled', input.firewallEnabled);
  const arpSpoofing = input.preventArpSpoofing === undefined ? false : v.bool('preventArpSpoofing', input.preventArpSpoofing);
  const ofports = new v.Unique<number>('ofport');
  if (input.patchTunOfport !== undefined) ofports.add('patchTunOfport', v.ofport('patchTunOfport', input.patchTunOfport));
  if (!(input.physPatchOfports instanceof Map)) throw new FlowInputError('physPatchOfports', input.physPatchOfports, 'must be a Map');
  const physPorts = new Map<string, number>();
  for (const [physnet, port] of input.physPatchOfports) {
    const f = `physPatchOfports[${JSON.stringify(physnet)}]`;
    v.physnet(`${f} (key)`, physnet);
    ofports.add(f, v.ofport(f, port));
    physPorts.set(physnet, port);
  }
  const localVlans = v.localVlans('localVlans', input.localVlans);

  const dead: number[] = [];
  const spoofing: SpoofingFacts[] = [];
  v.array<BrIntFlowsInput['ports'][number]>('ports', input.ports).forEach((p, i) => {
    const f = `ports[${i}]`;
    if (typeof p !== 'object' || p === null) throw new FlowInputError(f, p, 'must be an object');
    v.uuid(`${f}.portId`, p.portId);
    v.uuid(`${f}.networkId`, p.networkId);
    v.ifName(`${f}.device`, p.device);
    ofports.add(`${f}.ofport`, v.ofport(`${f}.ofport`, p.ofport));
    // 4095 is allowed: an admin-down port sits on the dead VLAN.
    if (typeof p.localVlan !== 'number' || !Number.isInteger(p.localVlan) || p.localVlan < 1 || p.localVlan > DEAD_VLAN_TAG) {
      throw new FlowInputError(`${f}.localVlan`, p.localVlan, `must be an integer in [1, ${DEAD_VLAN_TAG}]`);
    }
    const facts = spoofingFacts(f, p);
    if (!v.bool(`${f}.adminStateUp`, p.adminStateUp)) dead.push(p.ofport);
    else if (facts) spoofing.push(facts);
  });
  if (input.deadOfports !== undefined) {
    v.array<number>('deadOfports', input.deadOfports).forEach((port, i) => {
      ofports.add(`deadOfports[${i}]`, v.ofport(`deadOfports[${i}]`, port));
      dead.push(port);
    });
  }

  const flows = brIntDefaultFlows();
  for (const port of physPorts.values()) flows.push(flow(INT.LOCAL_SWITCHING, 2, { inPort: port }, DROP));
  for (const lv of localVlans) {
    if (lv.networkType !== 'flat' && lv.networkType !== 'vlan') continue;
    const port = physPorts.get(lv.physicalNetwork ?? '');
    if (port === undefined) continue;
    const vlan = lv.networkType === 'flat' ? 'untagged' : (lv.segmentationId as number);
    flows.push(flow(INT.LOCAL_SWITCHING, 3, { inPort: port, vlan }, actions(modVlanVid(lv.localVlan), resubmit(INT.PACKET_RATE_LIMIT))));
  }
  for (const port of dead) flows.push(flow(INT.LOCAL_SWITCHING, 2, { inPort: port }, DROP));
  if (arpSpoofing && !firewall) for (const s of spoofing) flows.push(...spoofingFlows(s));
  return finish(flows);
}
