/**
 * linuxbridge_agent.ini (+ neutron.conf): neutron/conf/plugins/ml2/drivers/
 * linuxbridge.py ([vxlan], [linux_bridge], [qos]), .../drivers/agent.py and
 * agent_extensions_manager.py ([agent]), agent/securitygroups_rpc.py ([securitygroup]).
 *
 * physical_interface_mappings and bridge_mappings are ListOpts in Neutron that
 * the agent passes to parse_mappings; here they resolve straight to the parsed
 * mapping, with parse_mappings' duplicate key/value errors at load time.
 */
import { defineSchema, mergeSchemas } from '../schema.js';
import { boolOpt, intOpt, ipOpt, listOpt, mappingsOpt, portOpt, strOpt } from '../types.js';
import { CommonSchema } from './common.js';

/** [agent] options every ML2 L2 agent registers (register_agent_opts + extensions). */
export const L2AgentGroup = {
  polling_interval: intOpt({ default: 2 }),
  quitting_rpc_timeout: intOpt({ default: 10 }),
  dscp: intOpt({ min: 0, max: 63 }),
  dscp_inherit: boolOpt({ default: false }),
  extensions: listOpt({ default: [] }),
};

export const SecurityGroupGroup = {
  firewall_driver: strOpt(),
  enable_security_group: boolOpt({ default: true }),
  enable_ipset: boolOpt({ default: true }),
  permitted_ethertypes: listOpt({ default: [] }),
};

export const LinuxBridgeSchema = defineSchema({
  linux_bridge: {
    physical_interface_mappings: mappingsOpt({ default: {} }),
    bridge_mappings: mappingsOpt({ default: {} }),
  },
  vxlan: {
    enable_vxlan: boolOpt({ default: true }),
    ttl: intOpt(),
    tos: intOpt(),
    vxlan_group: strOpt({ default: '224.0.0.1' }),
    local_ip: ipOpt(),
    udp_srcport_min: portOpt({ default: 0 }),
    udp_srcport_max: portOpt({ default: 0 }),
    udp_dstport: portOpt(),
    l2_population: boolOpt({ default: false }),
    arp_responder: boolOpt({ default: false }),
    multicast_ranges: listOpt({ default: [] }),
  },
  qos: {
    kernel_hz: intOpt({ default: 250 }),
    tbf_latency: intOpt({ default: 50 }),
  },
  securitygroup: SecurityGroupGroup,
  agent: L2AgentGroup,
});

export const LinuxBridgeAgentSchema = mergeSchemas(CommonSchema, LinuxBridgeSchema);
