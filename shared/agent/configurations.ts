/**
 * The `configurations` dict each agent reports, built from plain inputs by pure
 * functions. ML2 reads it to decide where a port may bind (linuxbridge:
 * interface_mappings, bridge_mappings, tunnel_types; l2pop: tunneling_ip), and
 * operators read it in `openstack network agent show`, so the keys and their order
 * follow the Python agents (recorded samples in neutron-lab/wire-samples).
 */

export interface LinuxBridgeConfigurationsInput {
  bridgeMappings: Record<string, string>;
  interfaceMappings: Record<string, string>;
  /** Set when VXLAN is enabled and usable (the Python agent's vxlan_mode != NONE). */
  vxlan?: { localIp: string; l2Population: boolean };
  extensions: string[];
  devices: number;
}

export function linuxBridgeConfigurations(i: LinuxBridgeConfigurationsInput): Record<string, unknown> {
  const c: Record<string, unknown> = { extensions: [...i.extensions], bridge_mappings: { ...i.bridgeMappings }, interface_mappings: { ...i.interfaceMappings } };
  if (i.vxlan) {
    c['tunneling_ip'] = i.vxlan.localIp;
    c['tunnel_types'] = ['vxlan'];
    c['l2_population'] = i.vxlan.l2Population;
  }
  c['devices'] = i.devices;
  return c;
}

export interface OvsCapabilities { datapath_types: string[]; iface_types: string[] }

export interface OvsConfigurationsInput {
  bridgeMappings: Record<string, string>;
  integrationBridge: string;
  tunnelTypes: string[];
  localIp: string | undefined;
  l2Population: boolean;
  arpResponder: boolean;
  enableDistributedRouting: boolean;
  logAgentHeartbeats: boolean;
  extensions: string[];
  datapathType: string;
  capabilities: OvsCapabilities;
  vhostuserSocketDir: string;
  /** True only for the iptables_hybrid firewall driver. */
  ovsHybridPlug: boolean;
  baremetalSmartnic: boolean;
  /** resource_provider_default_hypervisor, or this machine's host name. */
  defaultHypervisor: string;
  resourceProviderHypervisors: Record<string, string>;
  devices: number;
}

/** placement defaults of neutron_lib.placement.utils.parse_rp_inventory_defaults. */
const RP_INVENTORY_DEFAULTS = { allocation_ratio: 1.0, min_unit: 1, step_size: 1, reserved: 0 };

export function ovsConfigurations(i: OvsConfigurationsInput): Record<string, unknown> {
  const hypervisors: Record<string, string> = {};
  for (const bridge of Object.values(i.bridgeMappings)) hypervisors[bridge] = i.resourceProviderHypervisors[bridge] ?? i.defaultHypervisor;
  return {
    bridge_mappings: { ...i.bridgeMappings },
    resource_provider_bandwidths: {},
    resource_provider_inventory_defaults: { ...RP_INVENTORY_DEFAULTS },
    resource_provider_packet_processing_without_direction: {},
    resource_provider_packet_processing_with_direction: {},
    resource_provider_packet_processing_inventory_defaults: { ...RP_INVENTORY_DEFAULTS },
    resource_provider_hypervisors: hypervisors,
    integration_bridge: i.integrationBridge,
    tunnel_types: [...i.tunnelTypes],
    // Python reports local_ip as configured: null when unset.
    tunneling_ip: i.localIp ?? null,
    l2_population: i.l2Population,
    arp_responder_enabled: i.arpResponder && i.l2Population,
    enable_distributed_routing: i.enableDistributedRouting,
    log_agent_heartbeats: i.logAgentHeartbeats,
    extensions: [...i.extensions],
    datapath_type: i.datapathType,
    ovs_capabilities: { datapath_types: [...i.capabilities.datapath_types], iface_types: [...i.capabilities.iface_types] },
    vhostuser_socket_dir: i.vhostuserSocketDir,
    ovs_hybrid_plug: i.ovsHybridPlug,
    baremetal_smartnic: i.baremetalSmartnic,
    devices: i.devices,
    in_distributed_mode: false,
  };
}

export interface DhcpConfigurationsInput {
  dhcpDriver: string;
  dhcpLeaseDuration: number;
  logAgentHeartbeats: boolean;
  networks: number;
  subnets: number;
  ports: number;
}

export function dhcpConfigurations(i: DhcpConfigurationsInput): Record<string, unknown> {
  return {
    dhcp_driver: i.dhcpDriver,
    dhcp_lease_duration: i.dhcpLeaseDuration,
    log_agent_heartbeats: i.logAgentHeartbeats,
    networks: i.networks,
    subnets: i.subnets,
    ports: i.ports,
  };
}

export interface L3ConfigurationsInput {
  agentMode: string;
  handleInternalOnlyRouters: boolean;
  interfaceDriver: string;
  logAgentHeartbeats: boolean;
  extensions: string[];
  routers: number;
  exGwPorts: number;
  interfaces: number;
  floatingIps: number;
}

export function l3Configurations(i: L3ConfigurationsInput): Record<string, unknown> {
  return {
    agent_mode: i.agentMode,
    handle_internal_only_routers: i.handleInternalOnlyRouters,
    interface_driver: i.interfaceDriver,
    log_agent_heartbeats: i.logAgentHeartbeats,
    extensions: [...i.extensions],
    routers: i.routers,
    ex_gw_ports: i.exGwPorts,
    interfaces: i.interfaces,
    floating_ips: i.floatingIps,
  };
}

export interface MetadataConfigurationsInput {
  metadataProxySocket: string;
  novaMetadataHost: string;
  novaMetadataPort: number;
  logAgentHeartbeats: boolean;
}

export function metadataConfigurations(i: MetadataConfigurationsInput): Record<string, unknown> {
  return {
    metadata_proxy_socket: i.metadataProxySocket,
    nova_metadata_host: i.novaMetadataHost,
    nova_metadata_port: i.novaMetadataPort,
    log_agent_heartbeats: i.logAgentHeartbeats,
  };
}
