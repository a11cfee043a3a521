/** Agent names as operators type them: `dhcp`, `nucleon-dhcp-agent` or `neutron-dhcp-agent`. */
import { AGENT_KINDS, type AgentKind } from '../shared/agent/constants.js';

export const AGENT_NAMES = Object.keys(AGENT_KINDS) as AgentKind[];

export function toAgentKind(name: string): AgentKind | undefined {
  const short = name.replace(/^(nucleon|neutron)-/, '').replace(/-agent$/, '');
  if (short === 'openvswitch') return 'ovs';
  return (AGENT_NAMES as string[]).includes(short) ? (short as AgentKind) : undefined;
}

export function daemonOf(kind: AgentKind): string {
  return AGENT_KINDS[kind].daemon;
}
