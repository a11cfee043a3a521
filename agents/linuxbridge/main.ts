#!/usr/bin/env node
/**
 * nucleon-linuxbridge-agent: drop-in for neutron-linuxbridge-agent.
 * This release registers with neutron-server exactly as the Python agent does
 * (same agent_type, binary, configurations, start_flag/resource_versions), so ML2
 * can bind ports to this host. Wiring taps into bridges comes with the l2 issue.
 */
import { LinuxBridgeAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain } from '../../shared/agent/boot.js';
import { AGENT_KINDS, LOCAL_RESOURCE_VERSIONS } from '../../shared/agent/constants.js';
import { linuxBridgeConfigurations } from '../../shared/agent/configurations.js';
import { checkLinuxBridgeHost } from './host-checks.js';
import { linksWithPrefix } from '../../shared/drivers/host-links.js';
import { ExecaCommandRunner } from '../../shared/exec/command-runner.js';

runMain(AGENT_KINDS.linuxbridge.daemon, async () => {
  const boot = bootAgent('linuxbridge', process.argv.slice(2), LinuxBridgeAgentSchema);
  const { config, logger, host } = boot;
  const meta = AGENT_KINDS.linuxbridge;
  const facts = await checkLinuxBridgeHost(new ExecaCommandRunner({ logger }), {
    interfaceMappings: config.linux_bridge.physical_interface_mappings,
    bridgeMappings: config.linux_bridge.bridge_mappings,
    enableVxlan: config.vxlan.enable_vxlan,
    localIp: config.vxlan.local_ip ?? undefined,
  });
  logger.info({ agent_id: facts.agentId, vxlan: facts.vxlanEnabled }, 'host checked');

  runAgent(boot, {
    report: {
      resourceVersions: LOCAL_RESOURCE_VERSIONS,
      state: () => ({
        binary: meta.binary,
        host,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: linuxBridgeConfigurations({
          bridgeMappings: config.linux_bridge.bridge_mappings,
          interfaceMappings: config.linux_bridge.physical_interface_mappings,
          ...(facts.vxlanEnabled && config.vxlan.local_ip ? { vxlan: { localIp: config.vxlan.local_ip, l2Population: config.vxlan.l2_population } } : {}),
          extensions: config.agent.extensions,
          // Python counts the tap devices it sees (get_all_devices).
          devices: linksWithPrefix('tap').length,
        }),
      }),
    },
  });
});
