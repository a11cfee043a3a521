/**
 * Ports that are not filtered: "permitted" (port security off, trusted network ports)
 * and "blocked" (no usable security-group information).
 */
import type { FlowSpec } from '../model.js';
import { REG_NET, REG_PORT, TABLE } from './constants.js';
import type { FwPort } from './firewall-port.js';
import { match, resubmit, setReg } from './match.js';

/**
 * Neutron's _initialize_egress_no_port_security: egress skips filtering, but still
 * passes table 73 so traffic to a filtered port on this node gets that port's ingress
 * filtering. Ingress to a permitted port is not filtered (no flows match its MAC, so
 * frames go NORMAL).
 */
export function permittedPortFlows(p: FwPort): FlowSpec[] {
  return [
    {
      table: TABLE.TRANSIENT,
      priority: 100,
      match: match({ in_port: p.ofport }),
      actions: [setReg(REG_PORT, p.ofport), setReg(REG_NET, p.vlan), resubmit(TABLE.ACCEPT_OR_INGRESS)].join(','),
    },
    { table: TABLE.ACCEPT_OR_INGRESS, priority: 80, match: match({ reg5: p.ofport }), actions: resubmit(TABLE.ACCEPTED_EGRESS_TRAFFIC_NORMAL) },
  ];
}

/**
 * Not in Neutron (which keeps such a port on the dead VLAN): drop everything the port
 * sends, and everything addressed to its MAC, whether it arrives tagged from a patch
 * port (table 60) or from a local port (table 73).
 */
export function blockedPortFlows(p: FwPort): FlowSpec[] {
  const drop = resubmit(TABLE.DROPPED_TRAFFIC);
  return [
    { table: TABLE.TRANSIENT, priority: 100, match: match({ in_port: p.ofport }), actions: drop },
    { table: TABLE.TRANSIENT, priority: 90, match: match({ dl_dst: p.mac, dl_vlan: p.vlan }), actions: drop },
    { table: TABLE.ACCEPT_OR_INGRESS, priority: 100, match: match({ reg6: p.vlan, dl_dst: p.mac }), actions: drop },
  ];
}
