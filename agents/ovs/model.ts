/**
 * The OVS agent's data model: plain data passed from the desired-state computation to
 * the pure flow renderers (flows/*.ts, firewall/*.ts) and the flow synchroniser
 * (shared/drivers/ovs/ovs-ofctl.ts). Nothing here touches OVS.
 *
 * Table numbers follow Neutron's native OpenFlow driver (neutron/plugins/ml2/drivers/
 * openvswitch/agent/common/constants.py) so an operator's `ovs-ofctl dump-flows`
 * reads the same as with the Python agent.
 */

/** One OpenFlow flow in ovs-ofctl syntax, without cookie (the synchroniser adds it). */
export interface FlowSpec {
  table: number;
  priority: number;
  /** ovs-ofctl match, e.g. `in_port=3,dl_vlan=5`; '' matches everything. */
  match: string;
  /** ovs-ofctl actions, e.g. `mod_vlan_vid:5,resubmit(,10)`; `drop` for none. */
  actions: string;
}

export type OvsNetworkType = 'flat' | 'vlan' | 'vxlan' | 'local';

/** A network present on this node, with the br-int VLAN that carries it here. */
export interface LocalVlan {
  networkId: string;
  /** 1..4094; 4095 is Neutron's dead VLAN for ports not (yet) wired. */
  localVlan: number;
  networkType: OvsNetworkType;
  /** VNI for vxlan, VLAN id for vlan, undefined for flat/local. */
  segmentationId: number | undefined;
  physicalNetwork: string | undefined;
  mtu: number | undefined;
}

export interface AllowedAddressPair { ipAddress: string; macAddress: string }

/** A Neutron port plugged into br-int on this node and known to the server. */
export interface WiredPort {
  portId: string;
  networkId: string;
  /** OVS interface name (tap…, qvo…, or the DHCP/router veth). */
  device: string;
  ofport: number;
  mac: string;
  localVlan: number;
  fixedIps: string[];
  allowedAddressPairs: AllowedAddressPair[];
  portSecurityEnabled: boolean;
  securityGroupIds: string[];
  deviceOwner: string;
  adminStateUp: boolean;
}

export interface TunnelPort {
  /** `vxlan-` + hex of the remote IPv4 address, as Neutron names it. */
  name: string;
  remoteIp: string;
  ofport: number;
}

/** l2pop: per network, per remote VTEP, the [mac, ip] pairs behind it (flooding entry 00:00:00:00:00:00/0.0.0.0 included). */
export type L2popFdb = Map<string, Map<string, Array<[string, string]>>>;

export interface BrIntFlowsInput {
  /** ofport on br-int of `patch-tun`, when tunnelling is enabled. */
  patchTunOfport: number | undefined;
  /** physnet → ofport on br-int of `int-<bridge>`. */
  physPatchOfports: Map<string, number>;
  localVlans: LocalVlan[];
  ports: WiredPort[];
  /** True when the openvswitch firewall renders tables 60 (priority ≥ 90) and 71–94. */
  firewallEnabled: boolean;
  /**
   * Neutron's prevent_arp_spoofing: ARP/NA/MAC anti-spoofing flows in tables 0, 24 and
   * 25 for ports with port security (Python does it whenever the firewall driver is not
   * the openvswitch one, i.e. iptables_hybrid or noop). Ignored when firewallEnabled.
   * Default false.
   */
  preventArpSpoofing?: boolean;
  /**
   * ofports on br-int of ports that are plugged but must pass no traffic (not bound
   * here, unknown to the server): Python's port_dead drop flow (table 0, priority 2).
   * Admin-down WiredPorts get the same flow without being listed here.
   */
  deadOfports?: number[];
}

export interface BrTunFlowsInput {
  /** ofport on br-tun of `patch-int`. */
  patchIntOfport: number;
  tunnels: TunnelPort[];
  /** Only the vxlan networks matter here. */
  localVlans: LocalVlan[];
  l2Population: boolean;
  arpResponder: boolean;
  /** l2pop entries from the server (empty without l2pop). */
  fdb: L2popFdb;
  /** This node's VTEP (never a tunnel target). */
  localIp: string;
  /**
   * Cookie given to the flows that table 10's learn action creates in table 20 (Python
   * gives them the agent's cookie, so its stale-flow sweep keeps them). Default: none.
   */
  learnCookie?: bigint;
}

export interface BrPhysFlowsInput {
  bridge: string;
  physicalNetwork: string;
  /** ofport on the physical bridge of `phy-<bridge>`. */
  phyPatchOfport: number;
  localVlans: LocalVlan[];
}
