#!/usr/bin/env node
/**
 * nucleon-l3-agent: drop-in for neutron-l3-agent (agent_mode=legacy).
 * This release registers with neutron-server as the Python agent does (topic
 * l3_agent, availability_zone, agent_mode and counts in configurations).
 * Routers come with the l3 issue.
 */
import { L3AgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain, StartupError } from '../../shared/agent/boot.js';
import { AGENT_KINDS } from '../../shared/agent/constants.js';
import { l3Configurations } from '../../shared/agent/configurations.js';

runMain(AGENT_KINDS.l3.daemon, async () => {
  const boot = bootAgent('l3', process.argv.slice(2), L3AgentSchema);
  const { config, host } = boot;
  const meta = AGENT_KINDS.l3;
  if (!config.DEFAULT.interface_driver) throw new StartupError('An interface driver must be specified ([DEFAULT] interface_driver)');
  if (config.DEFAULT.agent_mode !== 'legacy') {
    // DVR is out of scope: refusing beats registering a mode we would not honour.
    throw new StartupError(`[DEFAULT] agent_mode = ${config.DEFAULT.agent_mode} is not supported by nucleon-l3-agent (legacy only)`);
  }
  runAgent(boot, {
    report: {
      state: () => ({
        binary: meta.binary,
        host,
        availability_zone: config.agent.availability_zone,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: l3Configurations({
          agentMode: config.DEFAULT.agent_mode,
          handleInternalOnlyRouters: config.DEFAULT.handle_internal_only_routers,
          interfaceDriver: config.DEFAULT.interface_driver ?? '',
          logAgentHeartbeats: config.agent.log_agent_heartbeats,
          extensions: config.agent.extensions,
          routers: 0,
          exGwPorts: 0,
          interfaces: 0,
          floatingIps: 0,
        }),
      }),
    },
  });
});
