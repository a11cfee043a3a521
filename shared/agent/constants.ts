/**
 * What each Python agent reports about itself (neutron 21 / Zed, PROTOCOL.md B3 and
 * the recorded report_state samples). ML2 binds ports by agent_type, so these strings
 * must match neutron_lib.constants exactly.
 */
export const AGENT_KINDS = {
  linuxbridge: { binary: 'neutron-linuxbridge-agent', agentType: 'Linux bridge agent', topic: 'N/A', daemon: 'nucleon-linuxbridge-agent' },
  ovs: { binary: 'neutron-openvswitch-agent', agentType: 'Open vSwitch agent', topic: 'N/A', daemon: 'nucleon-ovs-agent' },
  dhcp: { binary: 'neutron-dhcp-agent', agentType: 'DHCP agent', topic: 'dhcp_agent', daemon: 'nucleon-dhcp-agent' },
  l3: { binary: 'neutron-l3-agent', agentType: 'L3 agent', topic: 'l3_agent', daemon: 'nucleon-l3-agent' },
  metadata: { binary: 'neutron-metadata-agent', agentType: 'Metadata agent', topic: 'N/A', daemon: 'nucleon-metadata-agent' },
} as const;

export type AgentKind = keyof typeof AGENT_KINDS;

/** Server-side topics (neutron_lib.agent.topics). */
export const SERVER_TOPICS = {
  plugin: 'q-plugin',
  reports: 'q-reports-plugin',
  l3plugin: 'q-l3-plugin',
} as const;

/**
 * neutron.api.rpc.callbacks.resources.LOCAL_RESOURCE_VERSIONS in 21.0.0, in the order
 * the Python L2 agents send them. Only the L2 agents put these in their first report.
 */
export const LOCAL_RESOURCE_VERSIONS: Readonly<Record<string, string>> = Object.freeze({
  QosPolicy: '1.10',
  Trunk: '1.1',
  SubPort: '1.0',
  Port: '1.7',
  Subnet: '1.1',
  Network: '1.1',
  SecurityGroup: '1.5',
  SecurityGroupRule: '1.2',
  Log: '1.0',
  PortForwarding: '1.3',
  ConntrackHelper: '1.0',
  AddressGroup: '1.2',
  LocalIPAssociation: '1.0',
  NDPProxy: '1.0',
  Agent: '1.1',
});

/** neutron_lib.agent.constants: what report_state returns. */
export type ReportStateResult = 'new' | 'alive' | 'revived' | null;

/** neutron_lib.constants.ISO8601_TIME_FORMAT, always UTC: "%Y-%m-%dT%H:%M:%S.%f". */
export function isoTimeUtc(d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`
  );
}
