/** Hand-made inputs for the openvswitch firewall renderer tests. */
import type { WiredPort } from '../../../agents/ovs/model.js';
import type { FlowSpec } from '../../../agents/ovs/model.js';
import type { SgInfo, SgPort, SgRule } from '../../../shared/firewall/types.js';

export const SG = 'sg-1';
export const SG2 = 'sg-2';
export const P1 = 'port-1';
export const P2 = 'port-2';
export const MAC1 = 'fa:16:3e:00:00:01';
export const MAC2 = 'fa:16:3e:00:00:02';
/** fe80::/64 EUI-64 of MAC1. */
export const LLA1 = 'fe80::f816:3eff:fe00:1';
export const VLAN = 7;

export function sgPort(id: string, mac: string, ip: string, over: Partial<SgPort> = {}): SgPort {
  return {
    id,
    device: `tap${id}`,
    mac_address: mac,
    fixed_ips: [ip],
    allowed_address_pairs: [],
    port_security_enabled: true,
    device_owner: 'compute:nova',
    security_groups: [SG],
    security_group_rules: [],
    ...over,
  };
}

export function wired(id: string, ofport: number, mac: string, over: Partial<WiredPort> = {}): WiredPort {
  return {
    portId: id,
    networkId: 'net-1',
    device: `tap${id}`,
    ofport,
    mac,
    localVlan: VLAN,
    fixedIps: [],
    allowedAddressPairs: [],
    portSecurityEnabled: true,
    securityGroupIds: [SG],
    deviceOwner: 'compute:nova',
    adminStateUp: true,
    ...over,
  };
}

/** One filtered port (ofport 3, 10.0.0.1) in SG with `rules`. */
export function onePort(rules: SgRule[], over: Partial<SgPort> = {}, info: Partial<SgInfo> = {}): { sg: SgInfo; ports: WiredPort[] } {
  return {
    sg: {
      devices: { [P1]: sgPort(P1, MAC1, '10.0.0.1', over) },
      security_groups: { [SG]: rules },
      sg_member_ips: {},
      trusted_devices: [],
      ...info,
    },
    ports: [wired(P1, 3, MAC1)],
  };
}

/** `table=…,priority=…,match actions=…` for readable assertions. */
export const line = (f: FlowSpec): string => `table=${f.table},priority=${f.priority}${f.match ? `,${f.match}` : ''} actions=${f.actions}`;

export const inTable = (flows: FlowSpec[], table: number): string[] => flows.filter((f) => f.table === table).map(line);
