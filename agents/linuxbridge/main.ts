#!/usr/bin/env node
/**
 * nucleon-linuxbridge-agent: drop-in for neutron-linuxbridge-agent.
 * Wiring only: config → host checks → RPC consumers (notifications mark keys dirty)
 * → link watcher (taps mark keys dirty at once, no polling) → reconcile runner
 * (LinuxBridgeAgent.apply) → report_state with the device count.
 */
import { LinuxBridgeAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain } from '../../shared/agent/boot.js';
import { AGENT_KINDS, LOCAL_RESOURCE_VERSIONS, SERVER_TOPICS } from '../../shared/agent/constants.js';
import { linuxBridgeConfigurations } from '../../shared/agent/configurations.js';
import { ExecaCommandRunner } from '../../shared/exec/command-runner.js';
import { LinkWatcher } from '../../shared/drivers/link-watcher.js';
import { ReconcileRunner } from '../../shared/reconcile/runner.js';
import { OsloRpcClient, OsloRpcServer } from '../../shared/rpc/index.js';
import { checkLinuxBridgeHost } from './host-checks.js';
import { LinuxBridgeAgent } from './agent.js';
import { LinuxBridgePluginApi } from './plugin-api.js';
import { L2POP_TOPIC, LINUXBRIDGE_TOPICS, linuxBridgeEndpoint } from './rpc-endpoints.js';
import { firewallFor } from './firewall.js';
import { linuxBridgeControl } from './control.js';

runMain(AGENT_KINDS.linuxbridge.daemon, async () => {
  const boot = bootAgent('linuxbridge', process.argv.slice(2), LinuxBridgeAgentSchema);
  const { config, logger, host, connection } = boot;
  const meta = AGENT_KINDS.linuxbridge;
  // Periodic full resync: drift (a bridge or fdb entry removed by hand) is repaired within this.
  const RESYNC_INTERVAL_MS = config.nucleon.resync_interval * 1000;
  const runner = new ExecaCommandRunner({ logger });
  const facts = await checkLinuxBridgeHost(runner, {
    interfaceMappings: config.linux_bridge.physical_interface_mappings,
    bridgeMappings: config.linux_bridge.bridge_mappings,
    enableVxlan: config.vxlan.enable_vxlan,
    localIp: config.vxlan.local_ip ?? undefined,
  });
  logger.info({ agent_id: facts.agentId, vxlan: facts.vxlanEnabled }, 'host checked');

  const pluginClient = new OsloRpcClient(connection, {
    topic: SERVER_TOPICS.plugin,
    timeoutMs: config.DEFAULT.rpc_response_timeout * 1000,
    maxTimeoutMs: config.DEFAULT.rpc_response_max_timeout * 1000,
    backoffOnTimeout: true,
    logger,
  });
  const l2pop = config.vxlan.l2_population;
  const plugin = new LinuxBridgePluginApi(pluginClient, facts.agentId, host);
  const firewall = firewallFor(config.securitygroup, plugin, runner, logger);
  const agent = new LinuxBridgeAgent({
    config: {
      interfaceMappings: config.linux_bridge.physical_interface_mappings,
      bridgeMappings: config.linux_bridge.bridge_mappings,
      ...(facts.vxlanEnabled && config.vxlan.local_ip && facts.vxlanDevice ? {
        vxlan: {
          localIp: config.vxlan.local_ip, localDev: facts.vxlanDevice, l2Population: l2pop, arpResponder: config.vxlan.arp_responder,
          group: config.vxlan.vxlan_group, ttl: config.vxlan.ttl, tos: config.vxlan.tos, dstport: config.vxlan.udp_dstport,
        },
      } : {}),
      l2Population: l2pop,
      arpResponder: config.vxlan.arp_responder,
      localIp: config.vxlan.local_ip ?? undefined,
    },
    plugin,
    runner,
    logger,
    ...(firewall ? { firewall } : {}),
  });
  const loop = new ReconcileRunner({ apply: (w) => agent.apply(w), logger, minIntervalMs: 50, retryIntervalMs: 1000, maxIntervalMs: RESYNC_INTERVAL_MS });

  const endpoint = linuxBridgeEndpoint(host, {
    port: (id, reason) => loop.markDirty(`port:${id}`, reason),
    network: (id, reason) => loop.markDirty(`network:${id}`, reason),
    firewall: (reason) => { agent.markFirewallDirty(); loop.markDirty('firewall', reason); },
    fdb: (change) => { for (const net of agent.onFdb(change)) loop.markDirty(`fdb:${net}`, `${change.op}_fdb_entries`); },
  }, logger);
  const topics: string[] = [...LINUXBRIDGE_TOPICS, ...(l2pop ? [L2POP_TOPIC] : [])];
  const servers = topics.map((topic) => new OsloRpcServer(connection, { topic, server: host, endpoints: [endpoint], logger }));

  const watcher = new LinkWatcher({ prefix: 'tap', logger, runner, rescanIntervalMs: RESYNC_INTERVAL_MS });
  watcher.on('change', (ev) => {
    for (const l of [...ev.added, ...ev.changed]) loop.markDirty(`tap:${l.name}`, 'tap seen');
    for (const n of ev.removed) loop.markDirty(`tap:${n}`, 'tap gone');
  });

  connection.onReconnect(() => loop.requestFullSync('broker reconnected'));
  runAgent(boot, {
    report: {
      resourceVersions: LOCAL_RESOURCE_VERSIONS,
      onRevived: () => loop.requestFullSync('revived'),
      state: () => ({
        binary: meta.binary,
        host,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: linuxBridgeConfigurations({
          bridgeMappings: config.linux_bridge.bridge_mappings,
          interfaceMappings: config.linux_bridge.physical_interface_mappings,
          ...(facts.vxlanEnabled && config.vxlan.local_ip ? { vxlan: { localIp: config.vxlan.local_ip, l2Population: l2pop } } : {}),
          extensions: config.agent.extensions,
          devices: agent.devices,
        }),
      }),
    },
    runner: loop,
    control: linuxBridgeControl({ agent, runner, agentType: meta.agentType, host, daemon: meta.daemon, resync: (reason) => loop.requestFullSync(reason) }),
    stopSteps: () => [
      { name: 'link watcher', run: () => watcher.stop() },
      { name: 'reconcile loop', run: () => loop.stop() },
      ...servers.map((s) => ({ name: `rpc server ${s.topic}`, run: () => s.stop() })),
    ],
  });
  for (const s of servers) await s.start();
  await watcher.start();
  loop.start();
});
