/**
 * A filtered port's fixed flows, as Neutron's initialize_port_flows,
 * _initialize_egress, _initialize_egress_ipv6_icmp and _initialize_ingress:
 * steering in table 60, anti-spoofing (MAC, IPv4/IPv6 source, ARP), DHCP, ND/RA in
 * table 71, the local-destination lookup and egress commit in 73, and the ingress
 * base in 81.
 */
import type { FlowSpec } from '../model.js';
import { CT, CT_ZONE, DHCP, ETH, ICMPV6, ICMPV6_ALLOWED_EGRESS_TYPES, ICMPV6_ALLOWED_INGRESS_TYPES, ICMPV6_RESTRICTED_EGRESS_TYPES, PROTO, REG_NET, REG_PORT, TABLE } from './constants.js';
import type { FwPort } from './firewall-port.js';
import { match, output, resubmit, setReg, type MatchFields } from './match.js';

const udpPorts = (src: number, dst: number): Pick<MatchFields, 'nw_proto' | 'tp_src' | 'tp_dst'> => ({
  nw_proto: PROTO.UDP,
  tp_src: { field: 'tp_src', value: String(src) },
  tp_dst: { field: 'tp_dst', value: String(dst) },
});

/** Egress by in_port to 71; ingress (tagged, from patch ports) by VLAN + MAC to 81. */
function steeringFlows(p: FwPort): FlowSpec[] {
  const regs = [setReg(REG_PORT, p.ofport), setReg(REG_NET, p.vlan)];
  const flows: FlowSpec[] = [
    { table: TABLE.TRANSIENT, priority: 100, match: match({ in_port: p.ofport }), actions: [...regs, resubmit(TABLE.BASE_EGRESS)].join(',') },
  ];
  for (const mac of p.allowedMacs) {
    flows.push({
      table: TABLE.TRANSIENT,
      priority: 90,
      match: match({ dl_dst: mac, dl_vlan: p.vlan }),
      actions: [...regs, 'strip_vlan', resubmit(TABLE.BASE_INGRESS)].join(','),
    });
  }
  return flows;
}

function egressFlows(p: FwPort, permittedEthertypes: number[]): FlowSpec[] {
  const flows: FlowSpec[] = [];
  const me = { in_port: p.ofport, reg5: p.ofport };
  const toNormal = resubmit(TABLE.ACCEPTED_EGRESS_TRAFFIC_NORMAL);
  const drop = resubmit(TABLE.DROPPED_TRAFFIC);
  // Stateless ports skip conntrack: their rules match every packet on its own.
  const toRules = p.stateless ? resubmit(TABLE.RULES_EGRESS) : `ct(table=${TABLE.RULES_EGRESS},zone=${CT_ZONE})`;

  for (const { mac, ip } of p.v4Pairs) {
    // ARP only with the port's own (or a pair's) MAC as sender hardware and Ethernet
    // source, and its own addresses as sender IP. Neutron matches dl_src and arp_spa;
    // arp_sha is our addition (a forged sender MAC poisons neighbours' caches).
    flows.push({ table: TABLE.BASE_EGRESS, priority: 95, match: match({ ...me, dl_src: mac, dl_type: ETH.ARP, arp_spa: ip, arp_sha: mac }), actions: toNormal });
    flows.push({ table: TABLE.BASE_EGRESS, priority: 65, match: match({ ...me, dl_src: mac, dl_type: ETH.IP, nw_src: ip }), actions: toRules });
  }
  for (const { mac, ip } of p.v6Pairs) {
    for (const type of ICMPV6_ALLOWED_EGRESS_TYPES) {
      flows.push({
        table: TABLE.BASE_EGRESS,
        priority: 95,
        match: match({ ...me, dl_src: mac, dl_type: ETH.IPV6, ipv6_src: ip, nw_proto: PROTO.IPV6_ICMP, icmp_type: type }),
        actions: toNormal,
      });
    }
    for (const type of ICMPV6_RESTRICTED_EGRESS_TYPES) {
      // Neighbour advertisements only for the port's own addresses (any source MAC/IP, as Neutron).
      flows.push({ table: TABLE.BASE_EGRESS, priority: 95, match: match({ ...me, dl_type: ETH.IPV6, nw_proto: PROTO.IPV6_ICMP, icmp_type: type, nd_target: ip }), actions: toNormal });
    }
    flows.push({ table: TABLE.BASE_EGRESS, priority: 65, match: match({ ...me, dl_src: mac, dl_type: ETH.IPV6, ipv6_src: ip }), actions: toRules });
  }
  // DHCP client requests: from the port's addresses, or from 0.0.0.0 with its MAC.
  for (const { mac, ip } of [...p.v4Pairs, { mac: p.mac, ip: '0.0.0.0' }]) {
    flows.push({ table: TABLE.BASE_EGRESS, priority: 80, match: match({ ...me, dl_src: mac, dl_type: ETH.IP, nw_src: ip, ...udpPorts(DHCP.V4_CLIENT, DHCP.V4_SERVER) }), actions: resubmit(TABLE.ACCEPT_OR_INGRESS) });
  }
  for (const { mac, ip } of p.v6Pairs) {
    flows.push({ table: TABLE.BASE_EGRESS, priority: 80, match: match({ ...me, dl_src: mac, dl_type: ETH.IPV6, ipv6_src: ip, ...udpPorts(DHCP.V6_CLIENT, DHCP.V6_SERVER) }), actions: resubmit(TABLE.ACCEPT_OR_INGRESS) });
  }
  // No DHCP server and no router advertisements from an instance.
  flows.push({ table: TABLE.BASE_EGRESS, priority: 70, match: match({ ...me, dl_type: ETH.IP, ...udpPorts(DHCP.V4_SERVER, DHCP.V4_CLIENT) }), actions: drop });
  flows.push({ table: TABLE.BASE_EGRESS, priority: 70, match: match({ ...me, dl_type: ETH.IPV6, ...udpPorts(DHCP.V6_SERVER, DHCP.V6_CLIENT) }), actions: drop });
  flows.push({ table: TABLE.BASE_EGRESS, priority: 70, match: match({ ...me, dl_type: ETH.IPV6, nw_proto: PROTO.IPV6_ICMP, icmp_type: ICMPV6.RA }), actions: drop });
  for (const ethertype of permittedEthertypes) {
    flows.push({ table: TABLE.BASE_EGRESS, priority: 95, match: match({ reg5: p.ofport, dl_type: ethertype }), actions: toNormal });
  }
  // Everything else the port sends (other MACs or addresses, other ethertypes).
  flows.push({ table: TABLE.BASE_EGRESS, priority: 10, match: match(me), actions: `ct_clear,${drop}` });

  // Table 73: accepted egress to a port on this node gets that port's ingress filtering.
  for (const mac of p.allowedMacs) {
    flows.push({ table: TABLE.ACCEPT_OR_INGRESS, priority: 100, match: match({ reg6: p.vlan, dl_dst: mac }), actions: `${setReg(REG_PORT, p.ofport)},${resubmit(TABLE.BASE_INGRESS)}` });
  }
  if (!p.stateless) {
    for (const dl_type of [ETH.IP, ETH.IPV6]) {
      flows.push({
        table: TABLE.ACCEPT_OR_INGRESS,
        priority: 90,
        match: match({ ct_state: CT.NEW_NOT_ESTABLISHED, reg5: p.ofport, dl_type }),
        actions: `ct(commit,zone=${CT_ZONE}),${resubmit(TABLE.ACCEPTED_EGRESS_TRAFFIC)}`,
      });
    }
  }
  flows.push({ table: TABLE.ACCEPT_OR_INGRESS, priority: 80, match: match({ reg5: p.ofport }), actions: toNormal });
  return flows;
}

function ingressFlows(p: FwPort): FlowSpec[] {
  const me = { reg5: p.ofport };
  const out = output(p.ofport);
  const flows: FlowSpec[] = [{ table: TABLE.BASE_INGRESS, priority: 100, match: match({ ...me, dl_type: ETH.ARP }), actions: out }];
  for (const type of ICMPV6_ALLOWED_INGRESS_TYPES) {
    flows.push({ table: TABLE.BASE_INGRESS, priority: 100, match: match({ ...me, dl_type: ETH.IPV6, nw_proto: PROTO.IPV6_ICMP, icmp_type: type }), actions: out });
  }
  // DHCP offers and replies to the port.
  flows.push({ table: TABLE.BASE_INGRESS, priority: 95, match: match({ ...me, dl_type: ETH.IP, ...udpPorts(DHCP.V4_SERVER, DHCP.V4_CLIENT) }), actions: out });
  flows.push({ table: TABLE.BASE_INGRESS, priority: 95, match: match({ ...me, dl_type: ETH.IPV6, ...udpPorts(DHCP.V6_SERVER, DHCP.V6_CLIENT) }), actions: out });
  if (p.stateless) {
    for (const dl_type of [ETH.IP, ETH.IPV6]) {
      // From a stateful port on this node, the packet was tracked on its way out
      // (table 71) and its accepted egress is committed nowhere else: a local
      // destination's ingress commits it (table 73 sends it here before its own
      // commit). Commit it, or the sender drops the replies as invalid; this port's
      // stateless rules still decide whether it gets the packet.
      flows.push({ table: TABLE.BASE_INGRESS, priority: 90, match: match({ ct_state: CT.TRACKED, ...me, dl_type }), actions: `ct(commit,zone=${CT_ZONE}),${resubmit(TABLE.RULES_INGRESS)}` });
      flows.push({ table: TABLE.BASE_INGRESS, priority: 85, match: match({ ...me, dl_type }), actions: resubmit(TABLE.RULES_INGRESS) });
    }
    return flows;
  }
  for (const dl_type of [ETH.IP, ETH.IPV6]) {
    flows.push({ table: TABLE.BASE_INGRESS, priority: 90, match: match({ ct_state: CT.NOT_TRACKED, ...me, dl_type }), actions: `ct(table=${TABLE.RULES_INGRESS},zone=${CT_ZONE})` });
  }
  // Already tracked in this zone on the way out of a local port (table 71).
  flows.push({ table: TABLE.BASE_INGRESS, priority: 80, match: match({ ct_state: CT.TRACKED, ...me }), actions: resubmit(TABLE.RULES_INGRESS) });
  return flows;
}

export function portBaseFlows(p: FwPort, permittedEthertypes: number[]): FlowSpec[] {
  return [...steeringFlows(p), ...egressFlows(p, permittedEthertypes), ...ingressFlows(p)];
}
