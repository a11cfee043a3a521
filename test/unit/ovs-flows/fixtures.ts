/** Small inputs for the flow renderer tests, shared with the real-OVS comparison test. */
import type { BrIntFlowsInput, BrPhysFlowsInput, BrTunFlowsInput, FlowSpec, LocalVlan, WiredPort } from '../../../agents/ovs/model.js';
import { addFlowsLine } from '../../../agents/ovs/flows/index.js';

export const NET_VX = '11111111-1111-4111-8111-111111111111';
export const NET_VX2 = '55555555-5555-4555-8555-555555555555';
export const NET_FLAT = '22222222-2222-4222-8222-222222222222';
export const NET_VLAN = '33333333-3333-4333-8333-333333333333';
export const NET_LOCAL = '66666666-6666-4666-8666-666666666666';

export const LV_VX: LocalVlan = { networkId: NET_VX, localVlan: 1, networkType: 'vxlan', segmentationId: 77, physicalNetwork: undefined, mtu: 1450 };
export const LV_VX2: LocalVlan = { networkId: NET_VX2, localVlan: 5, networkType: 'vxlan', segmentationId: 0x1234, physicalNetwork: undefined, mtu: 1450 };
export const LV_FLAT: LocalVlan = { networkId: NET_FLAT, localVlan: 2, networkType: 'flat', segmentationId: undefined, physicalNetwork: 'physnet1', mtu: 1500 };
export const LV_VLAN: LocalVlan = { networkId: NET_VLAN, localVlan: 3, networkType: 'vlan', segmentationId: 100, physicalNetwork: 'physnet1', mtu: 1500 };
export const LV_LOCAL: LocalVlan = { networkId: NET_LOCAL, localVlan: 4, networkType: 'local', segmentationId: undefined, physicalNetwork: undefined, mtu: 1500 };
export const ALL_LVS = [LV_VX, LV_VX2, LV_FLAT, LV_VLAN, LV_LOCAL];

let n = 0;
export function port(over: Partial<WiredPort> = {}): WiredPort {
  n += 1;
  const hex = n.toString(16).padStart(2, '0');
  return {
    portId: `44444444-4444-4444-8444-4444444444${hex}`,
    networkId: NET_VX,
    device: `tap${hex}`,
    ofport: 10 + n,
    mac: `fa:16:3e:00:00:${hex}`,
    localVlan: 1,
    fixedIps: [`10.0.0.${n}`],
    allowedAddressPairs: [],
    portSecurityEnabled: true,
    securityGroupIds: [],
    deviceOwner: 'compute:nova',
    adminStateUp: true,
    ...over,
  };
}

export function brInt(over: Partial<BrIntFlowsInput> = {}): BrIntFlowsInput {
  return { patchTunOfport: 1, physPatchOfports: new Map([['physnet1', 2]]), localVlans: ALL_LVS, ports: [], firewallEnabled: true, ...over };
}

export const VTEP_LOCAL = '10.250.0.1';
export const VTEP_B = '10.250.0.2';
export const VTEP_C = '10.250.0.3';
export const TUNNELS = [
  { name: 'vxlan-0afa0002', remoteIp: VTEP_B, ofport: 2 },
  { name: 'vxlan-0afa0003', remoteIp: VTEP_C, ofport: 3 },
];

export function brTun(over: Partial<BrTunFlowsInput> = {}): BrTunFlowsInput {
  return { patchIntOfport: 1, tunnels: TUNNELS, localVlans: ALL_LVS, l2Population: false, arpResponder: false, fdb: new Map(), localIp: VTEP_LOCAL, ...over };
}

export function brPhys(over: Partial<BrPhysFlowsInput> = {}): BrPhysFlowsInput {
  return { bridge: 'br-ex', physicalNetwork: 'physnet1', phyPatchOfport: 1, localVlans: ALL_LVS, ...over };
}

/** Flows as add-flows lines: the readable form the expectations are written in. */
export const lines = (flows: FlowSpec[]): string[] => flows.map(addFlowsLine);
