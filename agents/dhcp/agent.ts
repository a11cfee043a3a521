/**
 * The DHCP agent's reconcile loop. Notifications only name networks; one apply then:
 * 1. refreshes the server's view: every active network on a full sync
 *    (get_active_networks_info), else get_network_info for each dirty network;
 * 2. for each served network (admin up, a DHCP-enabled subnet): makes sure the
 *    server-side DHCP port exists with an address on every DHCP subnet, diffs the
 *    qdhcp namespace against the kernel and applies the difference in one batch,
 *    writes dnsmasq's files atomically (only when they change), keeps one dnsmasq
 *    (adopted across agent restarts, SIGHUP on a file change) and, where Neutron
 *    would, the isolated-metadata haproxy;
 * 3. tells the server which ports dnsmasq now serves (dhcp_ready_on_ports);
 * 4. after a full sync, removes what it owns for networks no longer served
 *    (processes, namespace, files) and releases their DHCP ports.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logging/logger.js';
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import { Executor } from '../../shared/reconcile/executor.js';
import type { ApplyOutcome, ApplyWork } from '../../shared/reconcile/runner.js';
import type { Op } from '../../shared/reconcile/ops.js';
import { writeFileAtomic } from '../../shared/reconcile/atomic-file.js';
import { readAddresses, readLinks, type ActualLink } from '../../shared/drivers/ip-links.js';
import { applyPlugPlan, LINUXBRIDGE_DRIVER, type InterfaceDriver, type PlugState } from '../../shared/drivers/interface-driver/index.js';
import type { DetachedProcessSupervisor } from '../../shared/process/supervisor.js';
import { renderHaproxyConfig, haproxyConfigPath, haproxyPidFile, METADATA_PORT, METADATA_V4_IP } from '../../shared/metadata-proxy/haproxy.js';
import { metadataProxySpec } from '../../shared/metadata-proxy/spec.js';
import { metrics, opCountsByKind } from '../../shared/control/index.js';
import { confFile, dhcpDeviceId, networkConfDir, parseNetwork, renderNetwork, shouldServeMetadata, type DnsmasqConf, type Network } from './dnsmasq/index.js';
import { planDhcpKernel, dhcpDevices, dhcpNamespace, type ActualDhcpNetns } from './kernel.js';
import { parseLeases, staleLeases } from './leases.js';
import { dhcpSubnetIds, planDhcpPort } from './dhcp-port.js';
import type { DhcpPluginApi, RawNetwork, RawPort } from './plugin-api.js';

export interface DhcpAgentDeps {
  host: string;
  conf: DnsmasqConf;
  statePath: string;
  metadataProxySocket: string;
  /** linuxbridge: dnsmasq gets --bridge-interface (Neutron's bridged drivers). */
  bridged: boolean;
  hostTagSupported: boolean;
  plugin: DhcpPluginApi;
  runner: CommandRunner;
  supervisor: DetachedProcessSupervisor;
  logger: Logger;
  /** `[DEFAULT] interface_driver`; default linuxbridge (the L2 agent attaches the taps). */
  interfaceDriver?: InterfaceDriver;
}

interface Served {
  raw: RawNetwork;
  network: Network;
  dhcpPort: RawPort;
}

export class DhcpAgent {
  /** The server's view of every network this agent hosts (desired state input). */
  private readonly networks = new Map<string, RawNetwork>();
  /** What dnsmasq has been told per port: id → signature, for dhcp_ready_on_ports. */
  private readonly readySent = new Map<string, string>();
  private readonly executor: Executor;
  private readonly served = new Map<string, Served>();
  private readonly driver: InterfaceDriver;
  /** The interface driver's view (OVSDB), read once per apply. */
  private plugState: PlugState;

  constructor(private readonly d: DhcpAgentDeps) {
    this.driver = d.interfaceDriver ?? LINUXBRIDGE_DRIVER;
    this.executor = new Executor({ runner: d.runner, logger: d.logger, supervisor: d.supervisor, ...this.driver.executorOptions });
  }

  counts(): { networks: number; subnets: number; ports: number } {
    let subnets = 0, ports = 0;
    for (const s of this.served.values()) { subnets += s.network.subnets.length; ports += s.network.ports.length; }
    return { networks: this.served.size, subnets, ports };
  }

  servedNetworks(): Served[] {
    return [...this.served.values()];
  }

  async apply(work: ApplyWork): Promise<ApplyOutcome> {
    const log = this.d.logger;
    const failedKeys = new Map<string, Error>();
    const dirty = new Set<string>();
    if (work.fullSync) {
      const all = await this.d.plugin.getActiveNetworksInfo();
      this.networks.clear();
      for (const n of all) if (typeof n['id'] === 'string') this.networks.set(n['id'], n);
      for (const id of this.networks.keys()) dirty.add(id);
      // Tell the server again about every port only when it may have lost track (start,
      // revived, reconnect); the periodic resync would otherwise repeat dhcp_ready_on_ports
      // for every port of every network each interval.
      if (work.reason.some((r) => r !== 'periodic')) this.readySent.clear();
    }
    for (const k of work.keys) {
      if (!k.startsWith('network:')) continue;
      const id = k.slice(8);
      if (work.fullSync && this.networks.has(id)) continue;
      const info = await this.d.plugin.getNetworkInfo(id);
      if (info) this.networks.set(id, info); else this.networks.delete(id);
      dirty.add(id);
    }
    const rootLinks = await readLinks(this.d.runner);
    this.plugState = await this.driver.readState();
    let ops = 0;
    for (const id of [...dirty].sort()) {
      const raw = this.networks.get(id);
      try {
        if (raw && isServed(raw)) ops += await this.serve(id, raw, rootLinks);
        else if (this.served.has(id)) await this.unserve(id, raw ? 'no DHCP-enabled subnet or admin down' : 'network gone');
      } catch (err) {
        log.error({ err, network_id: id }, 'network not reconciled; will retry');
        failedKeys.set(`network:${id}`, err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (work.fullSync) await this.sweep(failedKeys, rootLinks);
    // Respawn anything that died between applies (dnsmasq killed by hand, a crash).
    const check = await this.d.supervisor.check();
    for (const id of check.respawned) log.warn({ process_id: id }, 'process was dead and has been respawned');
    const c = this.counts();
    metrics.resources('networks', c.networks);
    metrics.resources('ports', c.ports);
    return { failedKeys, ops };
  }

  private async serve(id: string, raw: RawNetwork, rootLinks: Map<string, ActualLink>): Promise<number> {
    const log = this.d.logger.child({ network_id: id });
    const dhcpPort = await this.ensureDhcpPort(id, raw);
    const problems: Array<{ path: string; reason: string }> = [];
    const network = parseNetwork(raw, problems);
    if (!network) throw new Error(`unusable network payload: ${problems.map((p) => `${p.path}: ${p.reason}`).join('; ')}`);
    for (const p of problems) log.warn({ path: p.path, reason: p.reason }, 'part of the network payload skipped');
    const portId = String(dhcpPort['id']);

    // Kernel: namespace, veth, addresses, default route.
    const netns = dhcpNamespace(id);
    const actual = await this.readNetns(netns);
    const { ns } = dhcpDevices(portId);
    if (actual.links.has(ns)) actual.offload = await this.driver.readOffload(netns, [ns], this.plugState);
    if (!actual.exists) {
      // The namespace is gone (deleted by hand, by someone else, a reboot): a dnsmasq or
      // proxy that still runs lives in the dead one and answers nobody; adopting it would
      // keep it there. Stop them; they start again in the new namespace below.
      await this.d.supervisor.stop(`dnsmasq:${id}`, { pidFile: confFile(this.d.conf.dhcp_confs, id, 'pid'), marker: id });
      await this.d.supervisor.stop(`haproxy:${id}`, { pidFile: haproxyPidFile(join(this.d.statePath, 'external', 'pids'), id), marker: id });
    }
    const dhcpSubnets = new Set(dhcpSubnetIds(raw));
    const cidrs: string[] = [];
    let gateway: string | undefined;
    for (const f of network.ports.find((p) => p.id === portId)?.fixed_ips ?? []) {
      const s = network.subnets.find((x) => x.id === f.subnet_id);
      if (!s || !dhcpSubnets.has(s.id)) continue;
      cidrs.push(`${f.ip_address}/${s.parsedCidr.prefixlen}`);
      if (!gateway && s.ip_version === 4 && s.gateway_ip) gateway = s.gateway_ip;
    }
    const metadataAddress = this.d.conf.force_metadata || this.d.conf.enable_isolated_metadata;
    const plan = planDhcpKernel({ networkId: id, portId, mac: String(dhcpPort['mac_address']), mtu: network.mtu || null, cidrs, gateway, metadata: metadataAddress }, actual, rootLinks, this.driver, this.plugState);
    const kernelOps: Op[] = [...plan.detach, ...plan.ops];
    if (kernelOps.length > 0 || plan.commands.length > 0) {
      const res = await applyPlugPlan(this.executor, this.d.runner, plan);
      const counts = opCountsByKind(kernelOps, res.failed);
      if (kernelOps.length > 0) metrics.applyObserved(res.durationMs, counts.applied, counts.failed);
      if (res.failed.length > 0) throw res.failed[0]!.error;
      for (const f of res.commandFailures) log.warn({ err: f.error, why: f.command.why }, 'device command failed; will retry');
    }

    // dnsmasq: files first (atomic, only when changed), then the process.
    const rendered = renderNetwork(network, this.d.conf, { dhcpPortId: portId, hostTagSupported: this.d.hostTagSupported, bridged: this.d.bridged });
    await mkdir(networkConfDir(this.d.conf.dhcp_confs, id), { recursive: true });
    let filesChanged = false;
    for (const kind of ['host', 'addn_hosts', 'opts'] as const) {
      if (await writeFileAtomic(confFile(this.d.conf.dhcp_confs, id, kind), rendered.files[kind])) filesChanged = true;
    }
    if (filesChanged) await this.releaseStaleLeases(id, netns, portId, rendered.files.host);
    const spec = { id: `dnsmasq:${id}`, argv: rendered.argv, netns, pidFile: confFile(this.d.conf.dhcp_confs, id, 'pid'), marker: id, daemonizes: true };
    const r = await this.d.supervisor.ensure(spec);
    if (filesChanged && (r.action === 'running' || r.action === 'adopted')) {
      // dnsmasq re-reads its hosts, opts and addn-hosts files on SIGHUP.
      await this.d.supervisor.signal(spec.id, 'SIGHUP');
      log.info({ pid: r.pid }, 'dnsmasq reloaded');
    } else if (r.action === 'started' || r.action === 'restarted') {
      log.info({ pid: r.pid, action: r.action }, 'dnsmasq running');
    }

    // Isolated metadata proxy, where Neutron would serve it.
    await this.ensureMetadataProxy(id, netns, shouldServeMetadata(network, this.d.conf));

    this.served.set(id, { raw, network, dhcpPort });
    await this.reportReady(id, network);
    return kernelOps.length;
  }

  private async releaseStaleLeases(id: string, netns: string, portId: string, hosts: string): Promise<void> {
    const text = await readFile(confFile(this.d.conf.dhcp_confs, id, 'leases'), 'utf8').catch(() => '');
    for (const l of staleLeases(parseLeases(text), hosts)) {
      const argv = ['dhcp_release', dhcpDevices(portId).ns, l.ip, l.mac, ...(l.clientId ? [l.clientId] : [])];
      await this.d.runner.run(argv, { netns }).then(
        () => this.d.logger.info({ network_id: id, ip: l.ip, mac: l.mac }, 'released a lease no longer in the hosts file'),
        (err: unknown) => this.d.logger.warn({ err, network_id: id, ip: l.ip }, 'dhcp_release failed'),
      );
    }
  }

  private async ensureDhcpPort(id: string, raw: RawNetwork): Promise<RawPort> {
    const deviceId = dhcpDeviceId(this.d.host, id);
    const plan = planDhcpPort(raw, deviceId);
    let port: RawPort | null;
    if (plan.action === 'use') return plan.port;
    if (plan.action === 'update') port = await this.d.plugin.updateDhcpPort(plan.portId, plan.body);
    else port = await this.d.plugin.createDhcpPort(plan.body);
    if (!port) throw new Error(`${plan.action} of the DHCP port was refused by the server`);
    this.d.logger.info({ network_id: id, port_id: port['id'], action: plan.action }, 'DHCP port ready');
    // Keep the server's answer in our copy so the files list it at once.
    const ports = Array.isArray(raw['ports']) ? (raw['ports'] as RawPort[]).filter((p) => p['id'] !== port!['id']) : [];
    raw['ports'] = [...ports, port];
    return port;
  }

  private async ensureMetadataProxy(id: string, netns: string, wanted: boolean): Promise<void> {
    const procId = `haproxy:${id}`;
    const pidFile = haproxyPidFile(join(this.d.statePath, 'external', 'pids'), id);
    if (!wanted) {
      await this.d.supervisor.stop(procId, { pidFile, marker: id });
      return;
    }
    const confPath = haproxyConfigPath(this.d.statePath, id);
    await mkdir(join(this.d.statePath, 'ns-metadata-proxy'), { recursive: true });
    await mkdir(join(this.d.statePath, 'external', 'pids'), { recursive: true });
    const changed = await writeFileAtomic(confPath, renderHaproxyConfig({
      resource: { kind: 'network', id }, unixSocketPath: this.d.metadataProxySocket, bindAddress: METADATA_V4_IP, port: METADATA_PORT, user: 'root', group: 'root', pidFile,
    }));
    const spec = metadataProxySpec({ resource: { kind: 'network', id }, confPath, pidFile, netns });
    if (changed) await this.d.supervisor.stop(procId, { pidFile, marker: id });
    await this.d.supervisor.ensure(spec);
  }

  private async reportReady(id: string, network: Network): Promise<void> {
    const ready: string[] = [];
    for (const p of network.ports) {
      const sig = `${id}|${p.mac_address}|${p.fixed_ips.map((f) => f.ip_address).sort().join(',')}`;
      if (this.readySent.get(p.id) !== sig) ready.push(p.id);
    }
    if (ready.length === 0) return;
    await this.d.plugin.dhcpReadyOnPorts(ready);
    for (const p of network.ports) if (ready.includes(p.id)) this.readySent.set(p.id, `${id}|${p.mac_address}|${p.fixed_ips.map((f) => f.ip_address).sort().join(',')}`);
    this.d.logger.info({ network_id: id, ports: ready.length }, 'ports reported ready for DHCP');
  }

  private async unserve(id: string, why: string): Promise<void> {
    const log = this.d.logger.child({ network_id: id });
    await this.d.supervisor.stop(`dnsmasq:${id}`, { pidFile: confFile(this.d.conf.dhcp_confs, id, 'pid'), marker: id });
    await this.d.supervisor.stop(`haproxy:${id}`, { pidFile: haproxyPidFile(join(this.d.statePath, 'external', 'pids'), id), marker: id });
    const netns = dhcpNamespace(id);
    // Deleting the namespace takes the ns- end and its tap peer with it; an OVS port
    // plugged for it stays in OVSDB until removed.
    await this.d.runner.run(['ip', 'netns', 'del', netns]).catch(() => undefined);
    const unplug = this.driver.unplugStale(`network:${id}`, new Set(), this.plugState, new Map());
    if (unplug.length > 0) {
      // A failure here is left to the full-sync sweep: the network itself is gone.
      const res = await this.executor.apply(unplug);
      for (const f of res.failed) log.warn({ err: f.error }, 'integration bridge port not removed; the next full sync retries');
    }
    await rm(networkConfDir(this.d.conf.dhcp_confs, id), { recursive: true, force: true });
    await rm(haproxyConfigPath(this.d.statePath, id), { force: true });
    const had = this.served.delete(id);
    for (const [port, sig] of this.readySent) if (sig.startsWith(`${id}|`)) this.readySent.delete(port);
    if (had || this.networks.has(id)) await this.d.plugin.releaseDhcpPort(id, dhcpDeviceId(this.d.host, id)).catch((err: unknown) => log.warn({ err }, 'release_dhcp_port failed'));
    log.info({ why }, 'network no longer served: dnsmasq, proxy, namespace and files removed');
  }

  /**
   * After a full sync: anything of ours for a network the server no longer gives us.
   * Ours = a config dir under our dhcp_confs (Neutron's existing_dhcp_networks), not
   * every qdhcp-* on the host: another DHCP agent on this host (a second state_path,
   * a test node, Python during a migration) owns its own.
   */
  private async sweep(failedKeys: Map<string, Error>, rootLinks: Map<string, ActualLink>): Promise<void> {
    const found = new Set<string>();
    for (const d of await readdir(this.d.conf.dhcp_confs).catch(() => [] as string[])) found.add(d);
    for (const id of found) {
      if (!/^[0-9a-f-]{36}$/.test(id)) continue;
      const raw = this.networks.get(id);
      if (raw && isServed(raw)) continue;
      try {
        await this.unserve(id, 'not hosted by this agent any more');
      } catch (err) {
        failedKeys.set(`network:${id}`, err instanceof Error ? err : new Error(String(err)));
      }
    }
    // Ports this agent plugged into the integration bridge for networks it no longer
    // serves (their namespace went while the agent was down, a crash mid-unserve).
    // Networks that failed this round keep theirs until they are reconciled.
    const keep = new Set([...[...this.served.keys()].map((n) => `network:${n}`), ...failedKeys.keys()]);
    const stale = this.driver.sweep(keep, this.plugState, rootLinks);
    if (stale.length > 0) {
      const res = await this.executor.apply(stale);
      for (const f of res.failed) failedKeys.set(f.key, f.error);
      this.d.logger.info({ ports: stale.filter((o) => o.kind === 'ovs.vsctl').length, failed: res.failed.length }, 'swept integration bridge ports of networks no longer served');
    }
  }

  private async readNetns(netns: string): Promise<ActualDhcpNetns> {
    const list = await this.d.runner.run(['ip', '-json', 'netns', 'list']).then((r) => JSON.parse(r.stdout || '[]') as Array<{ name: string }>, () => []);
    if (!list.some((n) => n.name === netns)) return { exists: false, links: new Map(), addresses: [], defaultVia: undefined };
    const [links, addresses, routes] = await Promise.all([
      readLinks(this.d.runner, netns),
      readAddresses(this.d.runner, netns),
      this.d.runner.run(['ip', '-json', 'route', 'show', 'default'], { netns }).then((r) => JSON.parse(r.stdout || '[]') as Array<{ gateway?: string }>, () => []),
    ]);
    return { exists: true, links, addresses, defaultVia: routes[0]?.gateway };
  }
}

/** Neutron serves a network when it is admin-up and has a DHCP-enabled subnet. */
export function isServed(raw: RawNetwork): boolean {
  return raw['admin_state_up'] !== false && dhcpSubnetIds(raw).length > 0;
}
