#!/usr/bin/env node
/**
 * nucleon-ovs-agent: drop-in for neutron-openvswitch-agent.
 * Wiring only: config → OVSDB (capabilities, then the live monitor) → resource cache
 * (bulk_pull + neutron-vo pushes, as the Python agent's RemoteResourceCache) → RPC
 * consumers (tunnel, dvr, l2pop: they mark keys dirty) → reconcile runner
 * (OvsAgent.apply) → report_state with the device count. The firewall: openvswitch
 * (flows on br-int), iptables_hybrid (iptables on the ports' qbr bridges, shared with
 * the linuxbridge agent's driver) or none. Like Python, it does not
 * report while OVS does not answer (the server must not bind ports to a host whose
 * switch is down).
 */
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { OvsAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain, serverClient } from '../../shared/agent/boot.js';
import { AGENT_KINDS, LOCAL_RESOURCE_VERSIONS, SERVER_TOPICS } from '../../shared/agent/constants.js';
import { ovsConfigurations, type OvsCapabilities } from '../../shared/agent/configurations.js';
import { ExecaCommandRunner } from '../../shared/exec/command-runner.js';
import { OvsVsctl } from '../../shared/drivers/ovs/ovs-vsctl.js';
import { OvsdbMonitor } from '../../shared/drivers/ovs/ovsdb-monitor.js';
import { OvsOfctl } from '../../shared/drivers/ovs/ovs-ofctl.js';
import { FlowSync } from '../../shared/drivers/ovs/flow-sync.js';
import { newRunCookie, formatCookie } from '../../shared/drivers/ovs/flow-cookie.js';
import { ReconcileRunner } from '../../shared/reconcile/runner.js';
import { OsloRpcServer } from '../../shared/rpc/index.js';
import { CacheIncompleteError, RemoteResourceCache, deviceDetailsFromCache, fetchDeviceDetails } from '../../shared/resource-cache/index.js';
import { securityGroupInfoPulling } from '../../shared/resource-cache/sg-info-pulling.js';
import { LinuxBridgeFirewall } from '../../shared/firewall/linuxbridge-firewall.js';
import { OVS_HYBRID_CHAINS } from '../../shared/firewall/names.js';
import { dirtyMarksFor } from '../../shared/resource-cache/l2-dirty-marks.js';
import { ConntrackZoneFlusher, zonesToFlush, type OvsFirewallRender } from './firewall/index.js';
import { OvsAgent } from './agent.js';
import { resolveFirewallDriver } from './firewall-driver.js';
import { HybridFirewall } from './hybrid-firewall.js';
import { firewallLinesFor } from '../../shared/firewall/trace-lines.js';
import { ovsControl } from './control.js';
import type { OvsAgentConfig } from './desired.js';
import { assembleFlows } from './flows-assembly.js';
import { observedFromSnapshot } from './observe.js';
import { ofportOf } from './observed.js';
import { OvsPluginApi } from './plugin-api.js';
import { parsePortDetails } from './port-facts.js';
import { L2POP_TOPIC, OVS_TOPICS, ovsEndpoint } from './rpc-endpoints.js';

const OVSDB_RETRY_MS = 5000;
/** How often an iface-id the server does not know is asked about again. */
const UNKNOWN_REPULL_MS = 60_000;
const unknownPulledAt = new Map<string, number>();
const bindRetryAt = new Map<string, number>();

/** Where ovs-ofctl finds `<bridge>.mgmt`: $OVS_RUNDIR, else next to a unix OVSDB socket. */
function ovsRundir(ovsdbConnection: string): string | undefined {
  if (process.env['OVS_RUNDIR']) return process.env['OVS_RUNDIR'];
  if (ovsdbConnection.startsWith('unix:')) return dirname(ovsdbConnection.slice(5));
  return undefined;
}

runMain(AGENT_KINDS.ovs.daemon, async () => {
  const boot = bootAgent('ovs', process.argv.slice(2), OvsAgentSchema);
  const { config, logger, host, connection } = boot;
  const meta = AGENT_KINDS.ovs;
  const runner = new ExecaCommandRunner({ logger });
  const vsctl = new OvsVsctl(runner, config.ovs.ovsdb_connection, config.ovs.ovsdb_timeout);
  const RESYNC_INTERVAL_MS = config.nucleon.resync_interval * 1000;

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

  const monitor = new OvsdbMonitor({ connection: config.ovs.ovsdb_connection, logger });
  await monitor.start();

  const firewall = resolveFirewallDriver(config.securitygroup);
  const agentConfig: OvsAgentConfig = {
    integrationBridge: config.ovs.integration_bridge,
    tunnelBridge: config.ovs.tunnel_bridge,
    intPeerPatchPort: config.ovs.int_peer_patch_port,
    tunPeerPatchPort: config.ovs.tun_peer_patch_port,
    datapathType: config.ovs.datapath_type,
    bridgeMappings: config.ovs.bridge_mappings,
    tunnelTypes: config.agent.tunnel_types,
    localIp: config.ovs.local_ip ?? undefined,
    vxlanUdpPort: config.agent.vxlan_udp_port,
    dontFragment: config.agent.dont_fragment,
    tunnelCsum: config.agent.tunnel_csum,
    l2Population: config.agent.l2_population,
    arpResponder: config.agent.arp_responder,
    // firewall_driver unset: Neutron loads no firewall (noop), and so do we.
    firewallDriver: firewall.driver,
  };
  for (const t of agentConfig.tunnelTypes) if (t !== 'vxlan') logger.error({ tunnel_type: t }, 'tunnel type not supported (only vxlan); ignored');
  if (firewall.unknown !== undefined) {
    logger.warn({ firewall_driver: firewall.unknown }, 'unknown firewall_driver; ports get anti-spoofing only');
  } else if (firewall.enforced === 'openvswitch') {
    logger.info({ firewall_driver: 'openvswitch' }, 'firewall: openvswitch (conntrack flows on br-int)');
  } else if (firewall.enforced === 'iptables_hybrid') {
    logger.info({ firewall_driver: 'iptables_hybrid', chains: `${OVS_HYBRID_CHAINS.wrap}-*` }, 'firewall: iptables_hybrid (iptables on each port\'s qbr bridge through br_netfilter, plus anti-spoofing flows on br-int)');
  } else {
    logger.info({ firewall_driver: firewall.driver, enable_security_group: config.securitygroup.enable_security_group }, 'security groups are not enforced by this agent (noop firewall)');
  }

  const pluginClient = serverClient(boot, SERVER_TOPICS.plugin);
  const cache = new RemoteResourceCache({ connection, client: pluginClient, host, logger });
  const plugin = new OvsPluginApi(pluginClient, host);
  const rundir = ovsRundir(config.ovs.ovsdb_connection);
  const ofctl = new OvsOfctl(runner, { ...(rundir ? { rundir } : {}) });
  const flowSync = new FlowSync(ofctl, { logger });
  // A new cookie per run: this run's flows replace the previous run's in one bundle per
  // bridge, and what the previous run had that is no longer wanted goes with it.
  const cookie = newRunCookie();
  logger.info({ cookie: formatCookie(cookie) }, 'flow cookie of this run');
  const flusher = new ConntrackZoneFlusher({ runner, datapathType: config.ovs.datapath_type, ...(rundir ? { env: { OVS_RUNDIR: rundir } } : {}) });
  // Cache-backed security_group_info_for_devices for either firewall (pulls what the cache lacks).
  const sgInfoFor = (ids: readonly string[]) => securityGroupInfoPulling(cache, ids);
  // iptables_hybrid: Python's Linux-bridge iptables rules on each port's tap (in its qbr),
  // chains neutron-openvswi-*, a conntrack zone per port (keyed by its qvb, as Python's
  // CONNTRACK_ZONE_PER_PORT), in the agent's own network namespace.
  let hybrid: HybridFirewall | undefined;
  if (firewall.enforced === 'iptables_hybrid') {
    const iptables = new LinuxBridgeFirewall({ runner, chains: OVS_HYBRID_CHAINS, zoneScope: 'port' });
    hybrid = new HybridFirewall({ sgInfo: sgInfoFor, apply: (reply) => iptables.apply(reply), logger });
  }
  let lastFirewall: OvsFirewallRender | undefined;
  let pendingFirewall: OvsFirewallRender | undefined;

  const agent = new OvsAgent({
    config: agentConfig,
    host,
    runner,
    logger,
    plugin,
    vsctlArgs: [`--db=${config.ovs.ovsdb_connection}`, `--timeout=${config.ovs.ovsdb_timeout}`],
    observe: () => observedFromSnapshot(monitor.snapshot()),
    waitForOfports: async (names, timeoutMs) => {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const o = observedFromSnapshot(monitor.snapshot());
        if (names.every((n) => ofportOf(o, n) !== undefined)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    // Answers from the cache (kept current by pushes): no RPC per port. Only what the cache
    // lacks is pulled (a port plugged before its push arrived); an id the server does not
    // know is asked again at most once a minute, not at every apply.
    portDetails: async (portId, device) => {
      if (!cache.getPort(portId)) {
        const last = unknownPulledAt.get(portId);
        if (last === undefined || Date.now() - last > UNKNOWN_REPULL_MS) {
          unknownPulledAt.set(portId, Date.now());
          if (await cache.pullPort(portId)) unknownPulledAt.delete(portId);
        }
      }
      let answer;
      try {
        answer = parsePortDetails(deviceDetailsFromCache(cache, device, portId, host));
      } catch (err) {
        if (!(err instanceof CacheIncompleteError)) throw err;
        answer = parsePortDetails(await fetchDeviceDetails(cache, device, portId, host));
      }
      // A port bound here while no agent of this host was alive keeps `binding_failed`;
      // the cache alone would leave it DOWN. Asking the server for its details makes ML2
      // retry the binding (the push that follows updates the cache).
      const port = cache.getPort(portId);
      if (answer.kind === 'unknown' && port?.bindings.some((b) => b.host === host && b.vifType === 'binding_failed')) {
        const last = bindRetryAt.get(portId);
        if (last === undefined || Date.now() - last > UNKNOWN_REPULL_MS) {
          bindRetryAt.set(portId, Date.now());
          logger.info({ port_id: portId }, 'binding failed on this host: asking the server, which retries it');
          answer = parsePortDetails(await plugin.getDeviceDetails(portId));
        }
      }
      return answer;
    },
    renderFlows: async ({ desired, observed, fdb }) => {
      const wired = new Set(desired.wired.map((w) => w.device));
      const deadOfports: number[] = [];
      for (const t of desired.portTags.values()) {
        const of = ofportOf(observed, t.port);
        if (of !== undefined && !wired.has(t.port) && t.tag === 4095) deadOfports.push(of);
      }
      const ids = desired.wired.map((w) => w.portId);
      const sg: unknown = agentConfig.firewallDriver === 'openvswitch' ? await sgInfoFor(ids) : {};
      const a = assembleFlows({ config: agentConfig, desired, observed, fdb, deadOfports, logger, sgInfo: () => sg });
      pendingFirewall = a.firewall;
      return a.flows;
    },
    syncFlows: async (bridge, flows) => {
      const r = await flowSync.syncFlows(bridge, flows, { cookie });
      if (bridge === agentConfig.integrationBridge && pendingFirewall) {
        // Removed rules or members must also stop connections conntrack already accepted.
        const zones = zonesToFlush(lastFirewall, pendingFirewall);
        for (const z of zones) {
          try { await flusher.flushZone(z); logger.info({ zone: z }, 'conntrack zone flushed after a security-group change'); }
          catch (err) { logger.error({ err, zone: z }, 'conntrack zone flush failed'); }
        }
        lastFirewall = pendingFirewall;
      }
      return { added: r.added, modified: r.modified, deleted: r.deleted };
    },
    ...(hybrid ? { portFilter: hybrid } : {}),
  });
  const loop = new ReconcileRunner({ apply: (w) => agent.apply(w), logger, minIntervalMs: 20, retryIntervalMs: 1000, maxIntervalMs: RESYNC_INTERVAL_MS });

  monitor.on('change', (ev) => {
    const ifaces = [...ev.interfaces.added, ...ev.interfaces.changed, ...ev.interfaces.removed];
    for (const i of ifaces) {
      const id = i.external_ids['iface-id'];
      if (id) loop.markDirty(`port:${id.toLowerCase()}`, 'ovsdb interface changed');
    }
    loop.markDirty('ovsdb', ev.resync ? 'ovsdb resynced' : 'ovsdb changed');
  });
  // A status-only Port update (the ACTIVE our own update_device_list causes) marks
  // nothing: otherwise every port would be reported up a second time.
  cache.on('changed', (ch) => {
    for (const m of dirtyMarksFor(ch)) {
      if (m.kind === 'port') loop.markDirty(`port:${m.id}`, `port ${ch.event}`);
      else if (m.kind === 'network') loop.markDirty(`network:${m.id}`, `network ${ch.event}`);
      else loop.markDirty('firewall', `${ch.resourceType} ${ch.event}`);
    }
  });

  const endpoint = ovsEndpoint({
    tunnelAdded: (ip, type) => { if (agent.onTunnel(ip, type, true)) loop.markDirty('tunnels', 'tunnel_update'); },
    tunnelRemoved: (ip, type) => { if (agent.onTunnel(ip, type, false)) loop.markDirty('tunnels', 'tunnel_delete'); },
    fdb: (change) => { for (const net of agent.onFdb(change)) loop.markDirty(`fdb:${net}`, `${change.op}_fdb_entries`); },
  }, logger);
  const topics: string[] = [...OVS_TOPICS, ...(agentConfig.l2Population ? [L2POP_TOPIC] : [])];
  const servers = topics.map((topic) => new OsloRpcServer(connection, { topic, server: host, endpoints: [endpoint], logger }));

  connection.onReconnect(() => loop.requestFullSync('broker reconnected'));
  runAgent(boot, {
    report: {
      resourceVersions: LOCAL_RESOURCE_VERSIONS,
      onRevived: () => { void cache.refresh().catch((err: unknown) => logger.error({ err }, 'resource cache refresh failed')); loop.requestFullSync('revived'); },
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
          ovsHybridPlug: firewall.hybridPlug,
          baremetalSmartnic: false,
          // Python: resource_provider_default_hypervisor, else the hypervisor's host name.
          defaultHypervisor: hostname(),
          resourceProviderHypervisors: {},
          devices: agent.devices,
        }),
      }),
    },
    runner: loop,
    control: ovsControl({ agent, flowSync, ofctl, cookie, agentType: meta.agentType, host, daemon: meta.daemon, resync: (reason) => loop.requestFullSync(reason), ...(hybrid ? { firewallLines: (id: string) => firewallLinesFor(runner, [id]) } : {}) }),
    stopSteps: () => [
      { name: 'reconcile loop', run: () => loop.stop() },
      // All consumers in one step, in parallel: each may wait on the broker, and one 2 s
      // step timeout per topic would add up past the 10 s shutdown grace.
      { name: 'rpc servers', run: async () => { await Promise.all(servers.map((s) => s.stop())); } },
      { name: 'resource cache', run: () => cache.stop() },
      { name: 'ovsdb monitor', run: () => monitor.stop() },
    ],
  });
  for (const s of servers) await s.start();
  await cache.start();
  logger.info({ counts: cache.counts() }, 'resource cache filled');
  loop.start();
});
