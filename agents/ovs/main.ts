#!/usr/bin/env node
/**
 * nucleon-ovs-agent: drop-in for neutron-openvswitch-agent.
 * This release registers with neutron-server as the Python agent does, with the
 * switch's capabilities read from OVSDB. Like Python, it does not report while OVS
 * does not answer (the server must not bind ports to a host whose switch is down).
 * Bridges, flows and ports come with the l2-ovs issue.
 */
import { hostname } from 'node:os';
import { OvsAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain } from '../../shared/agent/boot.js';
import { AGENT_KINDS, LOCAL_RESOURCE_VERSIONS } from '../../shared/agent/constants.js';
import { ovsConfigurations, type OvsCapabilities } from '../../shared/agent/configurations.js';
import { ExecaCommandRunner } from '../../shared/exec/command-runner.js';
import { OvsVsctl } from '../../shared/drivers/ovs/ovs-vsctl.js';

const OVSDB_RETRY_MS = 5000;

runMain(AGENT_KINDS.ovs.daemon, async () => {
  const boot = bootAgent('ovs', process.argv.slice(2), OvsAgentSchema);
  const { config, logger, host } = boot;
  const meta = AGENT_KINDS.ovs;
  const vsctl = new OvsVsctl(new ExecaCommandRunner({ logger }), config.ovs.ovsdb_connection, config.ovs.ovsdb_timeout);

  let capabilities: OvsCapabilities | undefined;
  for (let attempt = 1; capabilities === undefined; attempt++) {
    try {
      capabilities = await vsctl.capabilities();
    } catch (err) {
      logger.error({ err, ovsdb: config.ovs.ovsdb_connection, attempt }, 'OVSDB does not answer; not reporting state until it does');
      await new Promise((r) => setTimeout(r, OVSDB_RETRY_MS));
    }
  }
  const caps = capabilities;
  logger.info({ datapath_type: config.ovs.datapath_type, datapath_types: caps.datapath_types }, 'OVSDB answered');
  if (!caps.datapath_types.includes(config.ovs.datapath_type)) {
    logger.warn({ datapath_type: config.ovs.datapath_type, datapath_types: caps.datapath_types }, 'configured datapath_type is not among the switch datapath_types');
  }

  runAgent(boot, {
    report: {
      resourceVersions: LOCAL_RESOURCE_VERSIONS,
      state: () => ({
        binary: meta.binary,
        host,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: ovsConfigurations({
          bridgeMappings: config.ovs.bridge_mappings,
          integrationBridge: config.ovs.integration_bridge,
          tunnelTypes: config.agent.tunnel_types,
          localIp: config.ovs.local_ip ?? undefined,
          l2Population: config.agent.l2_population,
          arpResponder: config.agent.arp_responder,
          enableDistributedRouting: config.agent.enable_distributed_routing,
          logAgentHeartbeats: config.agent.log_agent_heartbeats,
          extensions: config.agent.extensions,
          datapathType: config.ovs.datapath_type,
          capabilities: caps,
          vhostuserSocketDir: config.ovs.vhostuser_socket_dir,
          ovsHybridPlug: config.securitygroup.firewall_driver === 'iptables_hybrid',
          baremetalSmartnic: false,
          // Python: resource_provider_default_hypervisor, else the hypervisor's host name.
          defaultHypervisor: hostname(),
          resourceProviderHypervisors: {},
          devices: 0,
        }),
      }),
    },
  });
});
