/**
 * dhcp_agent.ini (+ neutron.conf): neutron/conf/agent/dhcp.py (agent, dhcp,
 * dnsmasq, DHCP protocol options), agent/common.py (interface options),
 * agent/metadata/config.py (shared proxy options), as registered by
 * neutron.agent.dhcp_agent.register_options in Neutron 21. dhcp_lease_duration
 * and dns_domain come from neutron.conf ([DEFAULT], in CommonSchema); [ovs] is the
 * OVS agent's group (see ovs-interface.ts), read with interface_driver = openvswitch.
 */
import { defineSchema, mergeSchemas } from '../schema.js';
import { boolOpt, intOpt, listOpt, strOpt } from '../types.js';
import { CommonSchema } from './common.js';
import { OVS_INTERFACE_GROUP } from './ovs-interface.js';

export const DhcpSchema = defineSchema({
  DEFAULT: {
    resync_interval: intOpt({ default: 5 }),
    resync_throttle: intOpt({ default: 1 }),
    dhcp_driver: strOpt({ default: 'neutron.agent.linux.dhcp.Dnsmasq' }),
    enable_isolated_metadata: boolOpt({ default: false }),
    force_metadata: boolOpt({ default: false }),
    enable_metadata_network: boolOpt({ default: false }),
    num_sync_threads: intOpt({ default: 4 }),
    bulk_reload_interval: intOpt({ default: 0, min: 0 }),
    dhcp_confs: strOpt({ default: '$state_path/dhcp' }),
    dnsmasq_config_file: strOpt({ default: '' }),
    dnsmasq_dns_servers: listOpt({ default: [] }),
    dnsmasq_base_log_dir: strOpt(),
    dnsmasq_local_resolv: boolOpt({ default: false }),
    dnsmasq_lease_max: intOpt({ default: 2 ** 24 }),
    dhcp_broadcast_reply: boolOpt({ default: false }),
    dnsmasq_enable_addr6_list: boolOpt({ default: false }),
    dhcp_renewal_time: intOpt({ default: 0 }),
    dhcp_rebinding_time: intOpt({ default: 0 }),
    ovs_integration_bridge: strOpt({ default: 'br-int' }),
    ovs_use_veth: boolOpt({ default: false }),
    metadata_proxy_socket: strOpt({ default: '$state_path/metadata_proxy' }),
    metadata_proxy_user: strOpt({ default: '' }),
    metadata_proxy_group: strOpt({ default: '' }),
  },
  ovs: OVS_INTERFACE_GROUP,
});

export const DhcpAgentSchema = mergeSchemas(CommonSchema, DhcpSchema);
