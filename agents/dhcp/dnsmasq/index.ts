/** agents/dhcp/dnsmasq: a pure renderer of dnsmasq's command line and files, as Neutron 21 renders them. */
export { renderDnsmasq, renderNetwork } from './render.js';
export { parseNetwork } from './validate.js';
export { shouldServeMetadata, hasMetadataSubnet, routedSubnetIds, allSubnets } from './metadata.js';
export { dhcpDeviceId, dhcpInterfaceName, uuid5 } from './device-id.js';
export { confFile, networkConfDir } from './paths.js';
export { DNSMASQ_DEFAULTS, DNSMASQ_ENV_DEFAULTS } from './defaults.js';
export type { DnsmasqConf, DnsmasqEnv, DnsmasqFiles, DnsmasqRender, Network, Port, Subnet, Problem } from './types.js';
