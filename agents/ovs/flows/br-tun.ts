/**
 * br-tun's flows, as Neutron Zed's OVS agent installs them with the native OpenFlow
 * driver (openflow/native/br_tun.py setup_default_table / provision_local_vlan /
 * setup_tunnel_port, ovs_neutron_agent.py), DVR left out:
 *
 * - table 0: prio 1 in_port=patch-int → 2; prio 1 in_port=<each tunnel> → 4; prio 0 drop
 * - table 2 (from br-int): prio 0 unicast dl_dst → 20, multicast/broadcast → 22;
 *   with arp_responder (and l2pop) prio 1 ARP broadcast → 21
 * - tables 3 (GRE), 4 (VXLAN), 6 (Geneve) prio 0 drop; table 4 prio 1 tun_id=<VNI>
 *   → mod_vlan_vid:<local VLAN>, 10
 * - table 10 prio 1: learn (table 20: this VLAN + source MAC → strip the VLAN, set
 *   the tunnel id, output to the tunnel it came from; hard_timeout 300), output:patch-int
 * - table 20 prio 0 → 22 (unknown unicast is flooded); table 21 prio 0 → 22
 * - table 22 prio 0 drop
 * plus the per-network flooding / l2pop flows of br-tun-l2pop.ts.
 * Only vxlan networks are rendered; Python's arp_responder is effective only with
 * l2_population, and so is ours.
 */
import type { BrTunFlowsInput, FlowSpec, LocalVlan, TunnelPort } from '../model.js';
import { FlowInputError } from './errors.js';
import { checkFdb, tunnelNetworkFlows } from './br-tun-l2pop.js';
import { actions, DROP, finish, flow, modVlanVid, output, resubmit } from './ofctl-text.js';
import { LEARNED_MAC_HARD_TIMEOUT, TUN } from './tables.js';
import * as v from './validate.js';

const MAX_COOKIE = (1n << 64n) - 1n;

/** Table 10's learn action + output to br-int (br_tun.py setup_default_table). */
export function learnAction(patchIntOfport: number, cookie: bigint | undefined): string {
  const head = [`table=${TUN.UCAST_TO_TUN}`, `hard_timeout=${LEARNED_MAC_HARD_TIMEOUT}`, 'priority=1'];
  if (cookie !== undefined) head.push(`cookie=0x${cookie.toString(16)}`);
  const specs = [
    'NXM_OF_VLAN_TCI[0..11]',
    'NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]',
    'load:0->NXM_OF_VLAN_TCI[]',
    'load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[]',
    // Neutron names the in_port field by its OXM header (os-ken's ('in_port', 0)); the
    // learn action keeps the header it was given, so a dump shows OXM_OF_IN_PORT.
    'output:OXM_OF_IN_PORT[]',
  ];
  return actions(`learn(${[...head, ...specs].join(',')})`, output(patchIntOfport));
}

/** Flows every br-tun has, whatever the networks and tunnels. */
export function brTunDefaultFlows(patchIntOfport: number, arpResponderEnabled: boolean, learnCookie?: bigint): FlowSpec[] {
  const flows = [
    flow(TUN.LOCAL_SWITCHING, 1, { inPort: patchIntOfport }, resubmit(TUN.PATCH_LV_TO_TUN)),
    flow(TUN.LOCAL_SWITCHING, 0, '', DROP),
    flow(TUN.PATCH_LV_TO_TUN, 0, { dlDst: '00:00:00:00:00:00/01:00:00:00:00:00' }, resubmit(TUN.UCAST_TO_TUN)),
    flow(TUN.PATCH_LV_TO_TUN, 0, { dlDst: '01:00:00:00:00:00/01:00:00:00:00:00' }, resubmit(TUN.FLOOD_TO_TUN)),
    flow(TUN.GRE_TUN_TO_LV, 0, '', DROP),
    flow(TUN.VXLAN_TUN_TO_LV, 0, '', DROP),
    flow(TUN.GENEVE_TUN_TO_LV, 0, '', DROP),
    flow(TUN.LEARN_FROM_TUN, 1, '', learnAction(patchIntOfport, learnCookie)),
    flow(TUN.UCAST_TO_TUN, 0, '', resubmit(TUN.FLOOD_TO_TUN)),
    flow(TUN.FLOOD_TO_TUN, 0, '', DROP),
  ];
  if (arpResponderEnabled) {
    flows.push(
      flow(TUN.PATCH_LV_TO_TUN, 1, { proto: 'arp', dlDst: 'ff:ff:ff:ff:ff:ff' }, resubmit(TUN.ARP_RESPONDER)),
      flow(TUN.ARP_RESPONDER, 0, '', resubmit(TUN.FLOOD_TO_TUN)),
    );
  }
  return flows;
}

function checkTunnels(field: string, list: unknown, localIp: string, taken: v.Unique<number>): readonly TunnelPort[] {
  const localFamily = v.address('localIp', localIp).family;
  const names = new v.Unique<string>('tunnel name');
  const ips = new v.Unique<string>('remote IP');
  const tunnels = v.array<TunnelPort>(field, list);
  tunnels.forEach((t, i) => {
    const f = `${field}[${i}]`;
    if (typeof t !== 'object' || t === null) throw new FlowInputError(f, t, 'must be an object');
    names.add(`${f}.name`, v.ifName(`${f}.name`, t.name));
    if (!/^vxlan-[0-9a-f]+$/.test(t.name)) throw new FlowInputError(`${f}.name`, t.name, "must be 'vxlan-' and hex digits");
    const remote = v.address(`${f}.remoteIp`, t.remoteIp);
    if (remote.family !== localFamily) throw new FlowInputError(`${f}.remoteIp`, t.remoteIp, 'IP version differs from localIp');
    if (t.remoteIp === localIp) throw new FlowInputError(`${f}.remoteIp`, t.remoteIp, 'is this node\'s own VTEP (localIp)');
    ips.add(`${f}.remoteIp`, t.remoteIp);
    taken.add(`${f}.ofport`, v.ofport(`${f}.ofport`, t.ofport));
  });
  return tunnels;
}

/** Renders br-tun; throws FlowInputError on a bad input, never returns partial flows. */
export function renderBrTunFlows(input: BrTunFlowsInput): FlowSpec[] {
  const ofports = new v.Unique<number>('ofport');
  const patchInt = v.ofport('patchIntOfport', input.patchIntOfport);
  ofports.add('patchIntOfport', patchInt);
  const l2pop = v.bool('l2Population', input.l2Population);
  const arpResponder = v.bool('arpResponder', input.arpResponder) && l2pop;
  if (typeof input.localIp !== 'string') throw new FlowInputError('localIp', input.localIp, 'must be a string');
  const tunnels = checkTunnels('tunnels', input.tunnels, input.localIp, ofports);
  const localVlans = v.localVlans('localVlans', input.localVlans);
  const fdb = checkFdb('fdb', input.fdb);
  const cookie = input.learnCookie;
  if (cookie !== undefined && (typeof cookie !== 'bigint' || cookie < 1n || cookie > MAX_COOKIE)) {
    throw new FlowInputError('learnCookie', cookie, 'must be a bigint in [1, 2^64-1]');
  }

  const flows = brTunDefaultFlows(patchInt, arpResponder, cookie);
  for (const t of tunnels) flows.push(flow(TUN.LOCAL_SWITCHING, 1, { inPort: t.ofport }, resubmit(TUN.VXLAN_TUN_TO_LV)));
  for (const lv of localVlans) {
    if (lv.networkType !== 'vxlan') continue;
    const vx = lv as LocalVlan & { segmentationId: number };
    flows.push(flow(TUN.VXLAN_TUN_TO_LV, 1, { tunId: vx.segmentationId }, actions(modVlanVid(vx.localVlan), resubmit(TUN.LEARN_FROM_TUN))));
    flows.push(...tunnelNetworkFlows({
      lv: vx,
      tunnels,
      entries: l2pop ? fdb.get(vx.networkId) : undefined,
      l2Population: l2pop,
      arpResponder,
      localIp: input.localIp,
    }));
  }
  return finish(flows);
}
