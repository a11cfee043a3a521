#!/usr/bin/env node
/**
 * nucleon-metadata-agent: drop-in for neutron-metadata-agent.
 * This release registers with neutron-server as the Python agent does (call while
 * start_flag, then cast). Serving metadata comes with the metadata issue.
 */
import { MetadataAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain } from '../../shared/agent/boot.js';
import { AGENT_KINDS } from '../../shared/agent/constants.js';
import { metadataConfigurations } from '../../shared/agent/configurations.js';

runMain(AGENT_KINDS.metadata.daemon, async () => {
  const boot = bootAgent('metadata', process.argv.slice(2), MetadataAgentSchema);
  const { config, host } = boot;
  const meta = AGENT_KINDS.metadata;
  runAgent(boot, {
    report: {
      castAfterStart: true,
      state: () => ({
        binary: meta.binary,
        host,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: metadataConfigurations({
          metadataProxySocket: config.DEFAULT.metadata_proxy_socket,
          novaMetadataHost: config.DEFAULT.nova_metadata_host,
          novaMetadataPort: config.DEFAULT.nova_metadata_port,
          logAgentHeartbeats: config.agent.log_agent_heartbeats,
        }),
      }),
    },
  });
});
