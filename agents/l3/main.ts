#!/usr/bin/env node
/**
 * nucleon-l3-agent: drop-in for neutron-l3-agent (agent_mode=legacy).
 * Wiring only: config → RPC consumers (l3_agent; network-update fanout) whose
 * notifications mark routers dirty → reconcile runner (L3Agent.apply) → report_state
 * with the router counts.
 */
import { join } from 'node:path';
import { L3AgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain, serverClient, StartupError } from '../../shared/agent/boot.js';
import { AGENT_KINDS } from '../../shared/agent/constants.js';
import { l3Configurations } from '../../shared/agent/configurations.js';
import { ExecaCommandRunner } from '../../shared/exec/command-runner.js';
import { createInterfaceDriver, parseInterfaceDriver, UnsupportedInterfaceDriverError, type InterfaceDriverName } from '../../shared/drivers/interface-driver/index.js';
import { ReconcileRunner } from '../../shared/reconcile/runner.js';
import { OsloRpcServer } from '../../shared/rpc/index.js';
import { DetachedProcessSupervisor } from '../../shared/process/supervisor.js';
import { L3Agent } from './agent.js';
import { L3PluginApi } from './plugin-api.js';
import { L3_TOPIC, NETWORK_UPDATE_TOPIC, l3Endpoint } from './rpc-endpoints.js';
import { routerNatPort } from './nat-port.js';

runMain(AGENT_KINDS.l3.daemon, async () => {
  const boot = bootAgent('l3', process.argv.slice(2), L3AgentSchema);
  const { config, host, logger, connection } = boot;
  const meta = AGENT_KINDS.l3;
  const c = config.DEFAULT;
  let driverName: InterfaceDriverName;
  try {
    driverName = parseInterfaceDriver(c.interface_driver);
  } catch (err) {
    if (err instanceof UnsupportedInterfaceDriverError) throw new StartupError(err.message);
    throw err;
  }
  if (c.agent_mode !== 'legacy') {
    // DVR is out of scope: refusing beats registering a mode we would not honour.
    throw new StartupError(`[DEFAULT] agent_mode = ${c.agent_mode} is not supported by nucleon-l3-agent (legacy only)`);
  }
  const runner = new ExecaCommandRunner({ logger });
  const interfaceDriver = createInterfaceDriver(driverName, {
    runner, logger,
    ovs: { integrationBridge: config.ovs.integration_bridge, ovsdbConnection: config.ovs.ovsdb_connection, ovsdbTimeoutSec: config.ovs.ovsdb_timeout, datapathType: config.ovs.datapath_type, owner: { agent: 'l3', host } },
  });
  if (driverName === 'openvswitch' && !c.ovs_use_veth) logger.info('ovs_use_veth = False ignored: router ports are always veth pairs (internal ports moved into a namespace break on the userspace datapath)');
  const client = serverClient(boot, 'q-l3-plugin');
  const agent = new L3Agent({
    plugin: new L3PluginApi(client, host),
    runner,
    supervisor: new DetachedProcessSupervisor({ pidDir: join(c.state_path, 'external', 'pids'), logger }),
    nat: routerNatPort(runner, { enabled: c.enable_metadata_proxy, port: c.metadata_port, accessMark: c.metadata_access_mark, ingressMark: c.external_ingress_mark }),
    logger,
    statePath: c.state_path,
    metadata: { enabled: c.enable_metadata_proxy, port: c.metadata_port, socket: c.metadata_proxy_socket },
    handleInternalOnlyRouters: c.handle_internal_only_routers,
    interfaceDriver,
  });
  const loop = new ReconcileRunner({ apply: (w) => agent.apply(w), logger, minIntervalMs: 50, retryIntervalMs: 1000, maxIntervalMs: config.nucleon.resync_interval * 1000 });
  const endpoint = l3Endpoint({
    router: (id, reason) => loop.markDirty(`router:${id}`, reason),
    network: (id, reason) => loop.markDirty(`network:${id}`, reason),
    all: (reason) => loop.requestFullSync(reason),
  }, logger);
  const servers = [L3_TOPIC, NETWORK_UPDATE_TOPIC].map((topic) => new OsloRpcServer(connection, { topic, server: host, endpoints: [endpoint], logger }));
  connection.onReconnect(() => loop.requestFullSync('broker reconnected'));
  runAgent(boot, {
    report: {
      onRevived: () => loop.requestFullSync('revived'),
      state: () => {
        const n = agent.counts();
        return {
          binary: meta.binary,
          host,
          availability_zone: config.agent.availability_zone,
          topic: meta.topic,
          agent_type: meta.agentType,
          configurations: l3Configurations({
            agentMode: c.agent_mode, handleInternalOnlyRouters: c.handle_internal_only_routers, interfaceDriver: c.interface_driver ?? '',
            logAgentHeartbeats: config.agent.log_agent_heartbeats, extensions: config.agent.extensions,
            routers: n.routers, exGwPorts: n.exGwPorts, interfaces: n.interfaces, floatingIps: n.floatingIps,
          }),
        };
      },
    },
    runner: loop,
    onResync: (reason) => loop.requestFullSync(reason),
    stopSteps: () => [
      { name: 'reconcile loop', run: () => loop.stop() },
      // All consumers in one step, in parallel: each may wait on the broker, and one 2 s
      // step timeout per topic would add up past the 10 s shutdown grace.
      { name: 'rpc servers', run: async () => { await Promise.all(servers.map((s) => s.stop())); } },
    ],
  });
  for (const s of servers) await s.start();
  loop.start();
});
