/**
 * shared/config: Neutron's own INI files read with oslo.config semantics.
 *
 *   const { config } = loadAgentConfig(process.argv.slice(2), DhcpAgentSchema, log,
 *                                      { defaults: { project: 'neutron', prog: 'neutron-dhcp-agent' } });
 *   config.DEFAULT.dhcp_confs   // string, '$state_path' substituted
 *   toRabbitOptions(config)     // for shared/rpc
 */
export { parseAgentArgv, type AgentArgv, type ArgvSource } from './argv.js';
export { ConfigError, CONFIG_ERROR_CODES, ValueError, type ConfigErrorCode, type ConfigErrorDetails } from './errors.js';
export { parseIni, normalizeGroupName, type IniFile, type IniValue } from './ini-parser.js';
export {
  loadAgentConfig,
  readConfigLayers,
  cliLayer,
  listConfDir,
  findDefaultConfigFiles,
  findDefaultConfigDirs,
  fixPath,
  type LoadOptions,
  type LoadedConfig,
  type DefaultConfigLocations,
} from './load.js';
export { parseMappings, type ParseMappingsOptions } from './mappings.js';
export { toRabbitOptions, type RabbitConfig } from './rabbit.js';
export { redactConfig } from './redact.js';
export { resolveConfig, type ResolveOptions } from './resolve.js';
export { defineSchema, mergeSchemas, type ConfigOf, type GroupOf, type OptValue, type Schema, type SchemaGroup } from './schema.js';
export {
  boolOpt,
  choiceOpt,
  dictOpt,
  floatOpt,
  hostAddressOpt,
  intOpt,
  ipOpt,
  listOpt,
  mappingsOpt,
  multiStrOpt,
  portOpt,
  strOpt,
  parseBool,
  parseList,
  parseDict,
  parseHostname,
  isIpAddress,
  type Opt,
  type AnyOpt,
  type OptKind,
  type DeprecatedName,
} from './types.js';
export { CommonSchema, RABBIT_LOGIN_METHODS } from './schemas/common.js';
export { LinuxBridgeSchema, LinuxBridgeAgentSchema, L2AgentGroup, SecurityGroupGroup } from './schemas/linuxbridge.js';
export { OvsSchema, OvsAgentSchema } from './schemas/ovs.js';
export { L3Schema, L3AgentSchema, L3_AGENT_MODES } from './schemas/l3.js';
export { DhcpSchema, DhcpAgentSchema } from './schemas/dhcp.js';
export { MetadataSchema, MetadataAgentSchema, CACHE_BACKENDS } from './schemas/metadata.js';
export { NucleonSchema } from './schemas/nucleon.js';
