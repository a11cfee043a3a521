/** Neutron 21's defaults for the options in DnsmasqConf (neutron/conf/common.py, conf/agent/dhcp.py, conf/agent/common.py). */
import type { DnsmasqConf, DnsmasqEnv } from './types.js';

export const DNSMASQ_DEFAULTS: DnsmasqConf = {
  dhcp_confs: '/var/lib/neutron/dhcp',
  dhcp_lease_duration: 86400,
  dns_domain: 'openstacklocal',
  dnsmasq_dns_servers: [],
  dnsmasq_local_resolv: false,
  dnsmasq_lease_max: 2 ** 24,
  dhcp_broadcast_reply: false,
  dnsmasq_config_file: '',
  dnsmasq_base_log_dir: null,
  dnsmasq_enable_addr6_list: false,
  dhcp_renewal_time: 0,
  dhcp_rebinding_time: 0,
  enable_isolated_metadata: false,
  force_metadata: false,
  enable_metadata_network: false,
};

export const DNSMASQ_ENV_DEFAULTS: DnsmasqEnv = {
  dhcpPortId: null,
  hostTagSupported: true,
  bridged: true,
};
