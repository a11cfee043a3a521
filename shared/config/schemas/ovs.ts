/**
 * openvswitch_agent.ini (+ neutron.conf): neutron/conf/plugins/ml2/drivers/ovs_conf.py
 * ([ovs], [agent]), conf/agent/ovs_conf.py and ovsdb_api.py ([ovs]),
 * plus the L2 [agent] and [securitygroup] groups shared with linuxbridge.
 * bridge_mappings resolves to the parse_mappings result (see linuxbridge.ts).
 */
import { defineSchema, mergeSchemas } from '../schema.js';
import { boolOpt, choiceOpt, intOpt, ipOpt, listOpt, mappingsOpt, portOpt, strOpt } from '../types.js';
import { CommonSchema } from './common.js';
import { L2AgentGroup, SecurityGroupGroup } from './linuxbridge.js';

export const OvsSchema = defineSchema({
  ovs: {
    integration_bridge: strOpt({ default: 'br-int', deprecated: [{ name: 'ovs_integration_bridge' }] }),
    tunnel_bridge: strOpt({ default: 'br-tun' }),
    int_peer_patch_port: strOpt({ default: 'patch-tun' }),
    tun_peer_patch_port: strOpt({ default: 'patch-int' }),
    local_ip: ipOpt(),
    bridge_mappings: mappingsOpt({ default: {} }),
    datapath_type: choiceOpt(['system', 'netdev'], { default: 'system' }),
    vhostuser_socket_dir: strOpt({ default: '/var/run/openvswitch' }),
    of_listen_address: ipOpt({ default: '127.0.0.1' }),
    of_listen_port: portOpt({ default: 6633 }),
    of_connect_timeout: intOpt({ default: 300 }),
    of_request_timeout: intOpt({ default: 300 }),
    of_inactivity_probe: intOpt({ default: 10 }),
    openflow_processed_per_port: boolOpt({ default: false }),
    ovsdb_connection: strOpt({ default: 'tcp:127.0.0.1:6640' }),
    ovsdb_timeout: intOpt({ default: 10 }),
    ovsdb_debug: boolOpt({ default: false }),
    ssl_key_file: strOpt(),
    ssl_cert_file: strOpt(),
    ssl_ca_cert_file: strOpt(),
    bridge_mac_table_size: intOpt({ default: 50000 }),
    igmp_snooping_enable: boolOpt({ default: false }),
  },
  agent: {
    ...L2AgentGroup,
    minimize_polling: boolOpt({ default: true }),
    ovsdb_monitor_respawn_interval: intOpt({ default: 30 }),
    tunnel_types: listOpt({ default: [] }),
    vxlan_udp_port: portOpt({ default: 4789 }),
    l2_population: boolOpt({ default: false }),
    arp_responder: boolOpt({ default: false }),
    dont_fragment: boolOpt({ default: true }),
    enable_distributed_routing: boolOpt({ default: false }),
    drop_flows_on_start: boolOpt({ default: false }),
    tunnel_csum: boolOpt({ default: false }),
    explicitly_egress_direct: boolOpt({ default: false }),
  },
  securitygroup: SecurityGroupGroup,
});

export const OvsAgentSchema = mergeSchemas(CommonSchema, OvsSchema);
