#!/usr/bin/env node
/**
 * nucleon-dhcp-agent: drop-in for neutron-dhcp-agent.
 * Wiring only: config → RPC consumer on dhcp_agent (notifications mark networks
 * dirty) → reconcile runner (DhcpAgent.apply) → report_state with the counts. Like
 * Python, the first full sync starts after the first accepted report.
 */
import { join } from 'node:path';
import { DhcpAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain, serverClient, StartupError } from '../../shared/agent/boot.js';
import { AGENT_KINDS, SERVER_TOPICS } from '../../shared/agent/constants.js';
import { dhcpConfigurations } from '../../shared/agent/configurations.js';
import { ExecaCommandRunner } from '../../shared/exec/command-runner.js';
import { createInterfaceDriver, parseInterfaceDriver, UnsupportedInterfaceDriverError, type InterfaceDriverName } from '../../shared/drivers/interface-driver/index.js';
import { ReconcileRunner } from '../../shared/reconcile/runner.js';
import { OsloRpcServer } from '../../shared/rpc/index.js';
import { DetachedProcessSupervisor } from '../../shared/process/supervisor.js';
import { DNSMASQ_DEFAULTS, type DnsmasqConf } from './dnsmasq/index.js';
import { DhcpAgent } from './agent.js';
import { DhcpPluginApi } from './plugin-api.js';
import { DHCP_TOPIC, dhcpEndpoint } from './rpc-endpoints.js';

runMain(AGENT_KINDS.dhcp.daemon, async () => {
  const boot = bootAgent('dhcp', process.argv.slice(2), DhcpAgentSchema);
  const { config, host, logger, connection } = boot;
  const meta = AGENT_KINDS.dhcp;
  const c = config.DEFAULT;
  let driverName: InterfaceDriverName;
  try {
    driverName = parseInterfaceDriver(c.interface_driver);
  } catch (err) {
    if (err instanceof UnsupportedInterfaceDriverError) throw new StartupError(err.message);
    throw err;
  }
  if (c.dhcp_driver !== 'neutron.agent.linux.dhcp.Dnsmasq') throw new StartupError(`[DEFAULT] dhcp_driver = ${c.dhcp_driver} is not supported (neutron.agent.linux.dhcp.Dnsmasq)`);
  const runner = new ExecaCommandRunner({ logger });
  const interfaceDriver = createInterfaceDriver(driverName, {
    runner, logger,
    ovs: { integrationBridge: config.ovs.integration_bridge, ovsdbConnection: config.ovs.ovsdb_connection, ovsdbTimeoutSec: config.ovs.ovsdb_timeout, datapathType: config.ovs.datapath_type, owner: { agent: 'dhcp', host } },
  });
  if (driverName === 'openvswitch' && !c.ovs_use_veth) logger.info('ovs_use_veth = False ignored: DHCP ports are always veth pairs (internal ports moved into a namespace break on the userspace datapath)');
  // Neutron probes whether dnsmasq takes tags in --dhcp-hostsfile lines.
  const hostTagSupported = await runner.run(['dnsmasq', '--test', '--dhcp-host=tag:foo']).then(() => true, () => false);
  const conf: DnsmasqConf = {
    ...DNSMASQ_DEFAULTS,
    dhcp_confs: c.dhcp_confs,
    dhcp_lease_duration: c.dhcp_lease_duration,
    dns_domain: c.dns_domain,
    dnsmasq_dns_servers: c.dnsmasq_dns_servers,
    dnsmasq_local_resolv: c.dnsmasq_local_resolv,
    dnsmasq_lease_max: c.dnsmasq_lease_max,
    dhcp_broadcast_reply: c.dhcp_broadcast_reply,
    dnsmasq_config_file: c.dnsmasq_config_file,
    dnsmasq_base_log_dir: c.dnsmasq_base_log_dir,
    dnsmasq_enable_addr6_list: c.dnsmasq_enable_addr6_list,
    dhcp_renewal_time: c.dhcp_renewal_time,
    dhcp_rebinding_time: c.dhcp_rebinding_time,
    enable_isolated_metadata: c.enable_isolated_metadata,
    force_metadata: c.force_metadata,
    enable_metadata_network: c.enable_metadata_network,
  };
  const pluginClient = serverClient(boot, SERVER_TOPICS.plugin);
  const supervisor = new DetachedProcessSupervisor({ pidDir: join(c.state_path, 'external', 'pids'), logger });
  const agent = new DhcpAgent({
    host, conf, statePath: c.state_path, metadataProxySocket: c.metadata_proxy_socket, bridged: true, hostTagSupported,
    plugin: new DhcpPluginApi(pluginClient, host), runner, supervisor, logger, interfaceDriver,
  });
  const loop = new ReconcileRunner({ apply: (w) => agent.apply(w), logger, minIntervalMs: 50, retryIntervalMs: c.resync_interval * 1000, maxIntervalMs: config.nucleon.resync_interval * 1000 });
  const server = new OsloRpcServer(connection, {
    topic: DHCP_TOPIC, server: host, logger,
    endpoints: [dhcpEndpoint({ network: (id, reason) => loop.markDirty(`network:${id}`, reason), all: (reason) => loop.requestFullSync(reason) }, logger)],
  });
  connection.onReconnect(() => loop.requestFullSync('broker reconnected'));
  runAgent(boot, {
    report: {
      onRevived: () => loop.requestFullSync('revived'),
      onFirstReport: () => loop.start(),
      state: () => ({
        binary: meta.binary,
        host,
        availability_zone: config.agent.availability_zone,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: dhcpConfigurations({ dhcpDriver: c.dhcp_driver, dhcpLeaseDuration: c.dhcp_lease_duration, logAgentHeartbeats: config.agent.log_agent_heartbeats, ...agent.counts() }),
      }),
    },
    runner: loop,
    onResync: (reason) => loop.requestFullSync(reason),
    stopSteps: () => [
      { name: 'reconcile loop', run: () => loop.stop() },
      { name: 'rpc server', run: () => server.stop() },
    ],
  });
  await server.start();
});
