/**
 * `nucleon check-config <agent> --config-file F ...`: reads the files exactly as the
 * daemon would and prints the resolved options (secrets masked), or the one error
 * that would stop the daemon. Lets an operator check a change before a restart.
 */
import {
  ConfigError, DhcpAgentSchema, L3AgentSchema, LinuxBridgeAgentSchema, MetadataAgentSchema, OvsAgentSchema,
  loadAgentConfig, redactConfig, type Schema,
} from '../shared/config/index.js';
import { AGENT_KINDS, type AgentKind } from '../shared/agent/constants.js';

const SCHEMAS: Record<AgentKind, Schema> = {
  linuxbridge: LinuxBridgeAgentSchema,
  ovs: OvsAgentSchema,
  l3: L3AgentSchema,
  dhcp: DhcpAgentSchema,
  metadata: MetadataAgentSchema,
};

export function isAgentKind(s: string): s is AgentKind {
  return Object.hasOwn(AGENT_KINDS, s);
}

/** Returns the process exit code: 0 valid, 78 invalid (as the daemon would exit). */
export function checkConfig(kind: AgentKind, argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const schema = SCHEMAS[kind];
  try {
    const loaded = loadAgentConfig(argv, schema, undefined, { defaults: { project: 'neutron', prog: AGENT_KINDS[kind].binary } });
    out(JSON.stringify({ agent: AGENT_KINDS[kind].daemon, files: loaded.files, config: redactConfig(schema, loaded.config) }, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`configuration error: ${e.message}`);
      return 78;
    }
    throw e;
  }
}
