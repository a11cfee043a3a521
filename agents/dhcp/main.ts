#!/usr/bin/env node
/**
 * nucleon-dhcp-agent: drop-in for neutron-dhcp-agent.
 * This release registers with neutron-server as the Python agent does (topic
 * dhcp_agent, availability_zone, dnsmasq driver and counts in configurations).
 * Networks, namespaces and dnsmasq come with the dhcp issue.
 */
import { DhcpAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain, StartupError } from '../../shared/agent/boot.js';
import { AGENT_KINDS } from '../../shared/agent/constants.js';
import { dhcpConfigurations } from '../../shared/agent/configurations.js';

runMain(AGENT_KINDS.dhcp.daemon, async () => {
  const boot = bootAgent('dhcp', process.argv.slice(2), DhcpAgentSchema);
  const { config, host } = boot;
  const meta = AGENT_KINDS.dhcp;
  // neutron.agent.common.utils.load_interface_driver exits without one.
  if (!config.DEFAULT.interface_driver) throw new StartupError('An interface driver must be specified ([DEFAULT] interface_driver)');
  runAgent(boot, {
    report: {
      state: () => ({
        binary: meta.binary,
        host,
        availability_zone: config.agent.availability_zone,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: dhcpConfigurations({
          dhcpDriver: config.DEFAULT.dhcp_driver,
          dhcpLeaseDuration: config.DEFAULT.dhcp_lease_duration,
          logAgentHeartbeats: config.agent.log_agent_heartbeats,
          networks: 0,
          subnets: 0,
          ports: 0,
        }),
      }),
    },
  });
});
