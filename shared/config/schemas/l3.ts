/**
 * l3_agent.ini (+ neutron.conf): neutron/conf/agent/l3/config.py, l3/ha.py,
 * l3/keepalived.py, agent/common.py (interface, external process, RA, PD,
 * process monitor, iptables), agent/metadata/config.py (shared proxy options),
 * as registered by neutron.agent.l3_agent.register_opts in Neutron 21; [ovs] is the
 * OVS agent's group (see ovs-interface.ts), read with interface_driver = openvswitch.
 */
import { defineSchema, mergeSchemas } from '../schema.js';
import { boolOpt, choiceOpt, intOpt, listOpt, portOpt, strOpt } from '../types.js';
import { CommonSchema } from './common.js';
import { OVS_INTERFACE_GROUP } from './ovs-interface.js';

export const L3_AGENT_MODES = ['dvr', 'dvr_snat', 'legacy', 'dvr_no_external'] as const;

export const L3Schema = defineSchema({
  DEFAULT: {
    agent_mode: choiceOpt(L3_AGENT_MODES, { default: 'legacy' }),
    handle_internal_only_routers: boolOpt({ default: true }),
    ipv6_gateway: strOpt({ default: '' }),
    periodic_interval: intOpt({ default: 40 }),
    periodic_fuzzy_delay: intOpt({ default: 5 }),
    rpc_resources_processing_step: intOpt({ default: 20, min: 1 }),
    enable_metadata_proxy: boolOpt({ default: true }),
    metadata_port: portOpt({ default: 9697 }),
    metadata_access_mark: strOpt({ default: '0x1' }),
    external_ingress_mark: strOpt({ default: '0x2' }),
    cleanup_on_shutdown: boolOpt({ default: false }),
    ovs_integration_bridge: strOpt({ default: 'br-int' }),
    ovs_use_veth: boolOpt({ default: false }),
    external_pids: strOpt({ default: '$state_path/external/pids' }),
    ra_confs: strOpt({ default: '$state_path/ra' }),
    min_rtr_adv_interval: intOpt({ default: 30 }),
    max_rtr_adv_interval: intOpt({ default: 100 }),
    radvd_user: strOpt({ default: '' }),
    prefix_delegation_driver: strOpt({ default: 'dibbler' }),
    pd_confs: strOpt({ default: '$state_path/pd' }),
    vendor_pen: strOpt({ default: '8888' }),
    ha_confs_path: strOpt({ default: '$state_path/ha_confs' }),
    ha_vrrp_auth_type: choiceOpt(['AH', 'PASS'], { default: 'PASS' }),
    ha_vrrp_auth_password: strOpt({ secret: true }),
    ha_vrrp_advert_int: intOpt({ default: 2 }),
    ha_vrrp_health_check_interval: intOpt({ default: 0 }),
    ha_keepalived_state_change_server_threads: intOpt({ default: 1, min: 1 }),
    keepalived_use_no_track: boolOpt({ default: true }),
    metadata_proxy_socket: strOpt({ default: '$state_path/metadata_proxy' }),
    metadata_proxy_user: strOpt({ default: '' }),
    metadata_proxy_group: strOpt({ default: '' }),
  },
  agent: {
    extensions: listOpt({ default: [] }),
    check_child_processes_action: choiceOpt(['respawn', 'exit'], { default: 'respawn' }),
    check_child_processes_interval: intOpt({ default: 60 }),
    kill_scripts_path: strOpt({ default: '/etc/neutron/kill_scripts/' }),
    comment_iptables_rules: boolOpt({ default: true }),
    debug_iptables_rules: boolOpt({ default: false }),
    use_random_fully: boolOpt({ default: true }),
  },
  ovs: OVS_INTERFACE_GROUP,
});

export const L3AgentSchema = mergeSchemas(CommonSchema, L3Schema);
