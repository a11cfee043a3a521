/**
 * Input and output of the openvswitch firewall renderer (render.ts).
 */
import type { Problem, SgInfo } from '../../../shared/firewall/types.js';
import type { FlowSpec, WiredPort } from '../model.js';

export interface OvsFirewallInput {
  /** Validated `security_group_info_for_devices` reply (shared/firewall/validate.ts parseSgInfo). */
  sg: SgInfo;
  /** The ports on br-int (ofport, local VLAN, MAC). Joined with `sg.devices` by port id. */
  ports: WiredPort[];
  /**
   * Port ids or device names whose security-group entry was malformed (parseSgInfo's
   * `blockedDevices`): all their traffic is dropped.
   */
  blocked?: string[];
  /**
   * Port ids or device names to leave unfiltered (Python's "trusted" ports: requested
   * but absent from the reply). `sg.trusted_devices` counts too, and so does a port
   * absent from the reply whose device_owner starts with `network:`.
   */
  trusted?: string[];
  /** `[securitygroup] permitted_ethertypes`, e.g. `['0x88cc']`: accepted from every filtered port. */
  permittedEthertypes?: string[];
}

/**
 * - `filtered`: security groups apply (port security on).
 * - `permitted`: port security off or a trusted port: no filtering, no conntrack.
 * - `blocked`: no usable security-group information: every frame from or to it is dropped.
 */
export type PortMode = 'filtered' | 'permitted' | 'blocked';

/** The flows of one port; their conntrack zone is `zone`. */
export interface PortFlows {
  portId: string;
  ofport: number;
  /** Conntrack zone = the port's local VLAN (reg6). */
  zone: number;
  mode: PortMode;
  /** Filtered without conntrack: every group rule of the port says `stateful: false`. */
  stateless: boolean;
  /** Sorted like {@link OvsFirewallRender.flows}. */
  flows: FlowSpec[];
  /**
   * The conjunction ids of the port's remote-group rules (ascending): the port accepts
   * the members that its network's 1/2 flows ({@link OvsFirewallRender.networks}) feed
   * into these ids.
   */
  conjIds: number[];
}

/** Flows shared by the ports of one network: the remote-group members (conjunction dimension 1/2). */
export interface NetworkFlows {
  /** The network's local VLAN = conntrack zone (reg6). */
  zone: number;
  /** Sorted like {@link OvsFirewallRender.flows}. */
  flows: FlowSpec[];
}

export interface OvsFirewallRender {
  /**
   * Every flow to install in br-int table 60 (priority ≥ 90) and tables 71–94: the
   * common flows, the networks' and all ports' flows, without duplicates, sorted by
   * table, priority (highest first), match, actions.
   */
  flows: FlowSpec[];
  /** Flows that belong to no port (table defaults, conntrack bookkeeping). */
  common: FlowSpec[];
  /** Per network with remote-group members to match, sorted by zone. */
  networks: NetworkFlows[];
  /** Per port, sorted by ofport. */
  ports: PortFlows[];
  /** What was skipped, and why (`path` names the port, group or rule). */
  problems: Problem[];
}
