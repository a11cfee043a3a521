#!/usr/bin/env node
/**
 * nucleon-linuxbridge-agent: drop-in for neutron-linuxbridge-agent.
 * Wiring only: config → host checks → RPC consumers (notifications mark keys dirty)
 * → resource cache (bulk_pull + neutron-vo pushes; its changes mark keys dirty too;
 * it answers device details and security-group info, `[nucleon] resource_cache`)
 * → link watcher (taps, and own bridges/uplinks changed by hand, mark keys dirty at once,
 *   no polling) → reconcile runner
 * (LinuxBridgeAgent.apply) → report_state with the device count.
 */
import { LinuxBridgeAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain, serverClient } from '../../shared/agent/boot.js';
import { AGENT_KINDS, LOCAL_RESOURCE_VERSIONS, SERVER_TOPICS } from '../../shared/agent/constants.js';
import { linuxBridgeConfigurations } from '../../shared/agent/configurations.js';
import { ExecaCommandRunner } from '../../shared/exec/command-runner.js';
import { LinkWatcher } from '../../shared/drivers/link-watcher.js';
import { ReconcileRunner } from '../../shared/reconcile/runner.js';
import { OsloRpcServer } from '../../shared/rpc/index.js';
import { RemoteResourceCache, ResourcesPullApi } from '../../shared/resource-cache/index.js';
import { checkLinuxBridgeHost } from './host-checks.js';
import { LinuxBridgeAgent } from './agent.js';
import { LinuxBridgePluginApi } from './plugin-api.js';
import { L2POP_TOPIC, LINUXBRIDGE_TOPICS, linuxBridgeEndpoint } from './rpc-endpoints.js';
import { firewallFor } from './firewall.js';
import { linuxBridgeControl } from './control.js';
import { CacheDeviceDetails } from './cache-details.js';
import { dirtyMarksFor } from '../../shared/resource-cache/l2-dirty-marks.js';
import { cacheSgInfo, rpcSgInfo } from './sg-info-source.js';
import { driftedOwnLinks, ownLinkPrefixes } from './link-drift.js';

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

  const pluginClient = serverClient(boot, SERVER_TOPICS.plugin);
  const l2pop = config.vxlan.l2_population;
  const plugin = new LinuxBridgePluginApi(pluginClient, facts.agentId, host);
  // The server spends ~2.7 s on get_devices_details_list for 50 taps (0.1–0.3 s for one),
  // on the critical path of every port going ACTIVE; the cache answers locally.
  const cache = config.nucleon.resource_cache ? new RemoteResourceCache({ connection, client: pluginClient, host, logger }) : undefined;
  const hostPorts = new ResourcesPullApi(pluginClient);
  const details = cache ? new CacheDeviceDetails({ cache, host, listHostPortIds: () => hostPorts.portIdsBoundToHost(host, 'normal'), logger, rpcFallback: (devices) => plugin.getDevicesDetailsList(devices) }) : undefined;
  logger.info({ resource_cache: cache !== undefined }, cache ? 'device details and security groups come from the resource cache' : 'device details and security groups are asked of the server');
  const firewall = firewallFor(config.securitygroup, cache ? cacheSgInfo(cache) : rpcSgInfo(plugin), runner, logger);
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
    ...(details ? { details } : {}),
    runner,
    logger,
    ...(firewall ? { firewall } : {}),
  });
  const loop = new ReconcileRunner({ apply: (w) => agent.apply(w), logger, minIntervalMs: 50, retryIntervalMs: 1000, maxIntervalMs: RESYNC_INTERVAL_MS });

  const dirty = {
    port: (id: string, reason: string) => loop.markDirty(`port:${id}`, reason),
    network: (id: string, reason: string) => loop.markDirty(`network:${id}`, reason),
    firewall: (reason: string) => { agent.markFirewallDirty(); loop.markDirty('firewall', reason); },
  };
  // The legacy notifications stay consumed with the cache on: their marks duplicate the
  // cache's (harmless), and they still arrive first when a push is slow.
  const endpoint = linuxBridgeEndpoint(host, {
    ...dirty,
    fdb: (change) => { for (const net of agent.onFdb(change)) loop.markDirty(`fdb:${net}`, `${change.op}_fdb_entries`); },
  }, logger);
  cache?.on('changed', (ch) => {
    const reason = `${ch.resourceType} ${ch.event}`;
    for (const m of dirtyMarksFor(ch)) {
      if (m.kind === 'firewall') dirty.firewall(reason);
      else dirty[m.kind](m.id, reason);
    }
  });
  const topics: string[] = [...LINUXBRIDGE_TOPICS, ...(l2pop ? [L2POP_TOPIC] : [])];
  const servers = topics.map((topic) => new OsloRpcServer(connection, { topic, server: host, endpoints: [endpoint], logger }));

  // Taps mark their key at once; the agent's own bridges and uplinks are watched too
  // (`[nucleon] repair_own_links`), so one deleted, downed or detached by hand is repaired
  // now rather than at the next periodic pass.
  const watchOwn = config.nucleon.repair_own_links;
  const isTap = (name: string) => name.startsWith('tap');
  const watcher = new LinkWatcher({ prefix: ['tap', ...(watchOwn ? ownLinkPrefixes(config.linux_bridge.physical_interface_mappings) : [])], logger, runner, rescanIntervalMs: RESYNC_INTERVAL_MS });
  watcher.on('change', (ev) => {
    for (const l of [...ev.added, ...ev.changed]) if (isTap(l.name)) loop.markDirty(`tap:${l.name}`, 'tap seen');
    for (const n of ev.removed) if (isTap(n)) loop.markDirty(`tap:${n}`, 'tap gone');
    if (!watchOwn) return;
    for (const d of driftedOwnLinks(agent.desired(), ev)) {
      logger.warn(d, 'own device changed outside the agent; repairing');
      loop.markDirty(`link:${d.device}`, `${d.device} ${d.why}`);
    }
  });

  connection.onReconnect(() => loop.requestFullSync('broker reconnected'));
  runAgent(boot, {
    report: {
      resourceVersions: LOCAL_RESOURCE_VERSIONS,
      onRevived: () => {
        // The server may have lost our state (and we its pushes): re-ask the cache too.
        if (cache) void cache.refresh().catch((err: unknown) => logger.error({ err }, 'resource cache refresh failed'));
        loop.requestFullSync('revived');
      },
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
      // All consumers in one step, in parallel: each may wait on the broker, and one 2 s
      // step timeout per topic would add up past the 10 s shutdown grace.
      { name: 'rpc servers', run: async () => { await Promise.all(servers.map((s) => s.stop())); } },
      ...(cache ? [{ name: 'resource cache', run: () => cache.stop() }] : []),
    ],
  });
  for (const s of servers) await s.start();
  // Filled before the first apply: every tap's details are then a local lookup.
  if (cache) await cache.start();
  await watcher.start();
  loop.start();
});
