/**
 * The DHCP agent's reconcile loop. Notifications only name networks; one apply then
 * (see resync.ts for which networks an apply takes and in what order):
 * 1. refreshes the server's view: every active network on a server sync (start-up,
 *    revived, reconnect, after errors: get_active_networks_info), else
 *    get_network_info for each network named by a notification; the periodic pass
 *    makes no RPC, it compares every served network's local state with what was
 *    served (one namespace read each) and picks the networks that drifted;
 * 2. for each network to serve (admin up, a DHCP-enabled subnet): makes sure the
 *    server-side DHCP port exists with an address on every DHCP subnet, diffs the
 *    qdhcp namespace against the kernel and applies the difference in one batch,
 *    writes dnsmasq's files atomically (only when they change), keeps one dnsmasq
 *    (adopted across agent restarts, SIGHUP on a file change) and, where Neutron
 *    would, the isolated-metadata haproxy;
 * 3. tells the server which ports dnsmasq now serves (dhcp_ready_on_ports, one call
 *    per apply);
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
import { readLinks, type ActualLink } from '../../shared/drivers/ip-links.js';
import { applyPlugPlan, LINUXBRIDGE_DRIVER, type InterfaceDriver, type PlugState } from '../../shared/drivers/interface-driver/index.js';
import type { DetachedProcessSupervisor } from '../../shared/process/supervisor.js';
import { renderHaproxyConfig, haproxyConfigPath, haproxyPidFile, METADATA_PORT, METADATA_V4_IP } from '../../shared/metadata-proxy/haproxy.js';
import { metadataProxySpec } from '../../shared/metadata-proxy/spec.js';
import { metrics, opCountsByKind } from '../../shared/control/index.js';
import { confFile, dhcpDeviceId, networkConfDir, parseNetwork, renderNetwork, shouldServeMetadata, type DnsmasqConf, type Network } from './dnsmasq/index.js';
import { planDhcpKernel, dhcpDevices, dhcpNamespace, type ActualDhcpNetns, type DesiredDhcpNetns } from './kernel.js';
import { parseLeases, staleLeases } from './leases.js';
import { dhcpSubnetIds, planDhcpPort } from './dhcp-port.js';
import type { DhcpPluginApi, RawNetwork, RawPort } from './plugin-api.js';
import { readDhcpNetns, readDhcpNetnsMany } from './netns-read.js';
import { DNSMASQ_FILES, driftOf, type DnsmasqFileKind, type ServedLocalState } from './drift.js';
import { checkKey, networkKey, planWork, SliceBudget, syncKey } from './resync.js';

/** Self-queued work (sync slices, drift repair) per apply: a notification waits at most about this. */
export const DEFAULT_SLICE_BUDGET_MS = 500;
/** Namespace reads of the periodic pass running at once. */
const CHECK_CONCURRENCY = 8;

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
  /** Time per apply for self-queued work; default {@link DEFAULT_SLICE_BUDGET_MS}. */
  sliceBudgetMs?: number;
  /** Monotonic milliseconds, for the slice budget; default performance.now. */
  now?: () => number;
}

interface Served {
  raw: RawNetwork;
  network: Network;
  dhcpPort: RawPort;
  /** What the kernel was made to look like, for the periodic pass. */
  desired: DesiredDhcpNetns;
  /** The files written and whether haproxy is wanted, for the periodic pass. */
  local: ServedLocalState;
}

/** A server sync being served in slices: for its "sync complete" line. */
interface SyncRound {
  startedAt: number;
  left: Set<string>;
  failed: number;
}

export class DhcpAgent {
  /** The server's view of every network this agent hosts (desired state input). */
  private readonly networks = new Map<string, RawNetwork>();
  /** What dnsmasq has been told per port: id → signature, for dhcp_ready_on_ports. */
  private readonly readySent = new Map<string, string>();
  /** Ports to report in this apply's dhcp_ready_on_ports: id → network and signature. */
  private readonly readyPending = new Map<string, { networkId: string; sig: string }>();
  private syncRound: SyncRound | undefined;
  private readonly now: () => number;
  private readonly executor: Executor;
  private readonly served = new Map<string, Served>();
  private readonly driver: InterfaceDriver;
  /** The interface driver's view (OVSDB), read once per apply. */
  private plugState: PlugState;

  constructor(private readonly d: DhcpAgentDeps) {
    this.driver = d.interfaceDriver ?? LINUXBRIDGE_DRIVER;
    this.now = d.now ?? (() => performance.now());
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
    const deferred = new Set<string>();
    const plan = planWork(work);
    const budget = new SliceBudget(this.d.sliceBudgetMs ?? DEFAULT_SLICE_BUDGET_MS, this.now);
    let later = plan.fromCache;
    if (plan.serverSync) {
      const all = await this.d.plugin.getActiveNetworksInfo();
      this.networks.clear();
      for (const n of all) if (typeof n['id'] === 'string') this.networks.set(n['id'], n);
      // The server may have lost track (start, revived, reconnect): tell it again about
      // every port. The periodic pass never gets here, so it repeats nothing.
      this.readySent.clear();
      const notified = new Set(plan.refetch);
      later = [...new Set([...this.networks.keys(), ...this.served.keys()])].filter((id) => !notified.has(id)).sort();
      this.syncRound = { startedAt: this.now(), left: new Set(later), failed: 0 };
    }
    const rootLinks = await readLinks(this.d.runner);
    this.plugState = await this.driver.readState();
    let ops = 0;
    // Notifications first: a new port's lease must not wait behind a sync of every network.
    for (const id of plan.refetch) {
      if (!budget.take('notified')) {
        deferred.add(networkKey(id));
        continue;
      }
      if (!plan.serverSync || !this.networks.has(id)) {
        try {
          const info = await this.d.plugin.getNetworkInfo(id);
          if (info) this.networks.set(id, info); else this.networks.delete(id);
        } catch (err) {
          // This network only (Python's safe_get_network_info): retried with backoff.
          log.warn({ err, network_id: id }, 'get_network_info failed; will retry');
          failedKeys.set(networkKey(id), err instanceof Error ? err : new Error(String(err)));
          continue;
        }
      }
      ops += await this.reconcile(id, rootLinks, failedKeys);
    }
    if (plan.serverSync) await this.sweep(failedKeys, rootLinks);
    // The periodic pass checks every network (but those notified or queued for serving:
    // serving checks them anyway); like the rest, in slices.
    const toCheck = plan.driftCheck ? [...new Set([...plan.toCheck, ...this.checkCandidates(new Set([...plan.refetch, ...later]))])].sort() : plan.toCheck;
    if (toCheck.length > 0) {
      const { drifted, unchecked } = await this.findDrift(toCheck, rootLinks, budget);
      for (const id of unchecked) deferred.add(checkKey(id));
      later = [...new Set([...later, ...drifted])].sort();
    }
    // The rest in slices: what does not fit the budget goes back to the runner, which
    // puts it in the next apply with whatever notification arrived meanwhile.
    for (const id of later) {
      if (budget.take('queued')) ops += await this.reconcile(id, rootLinks, failedKeys);
      else deferred.add(syncKey(id));
    }
    await this.flushReady(failedKeys);
    if (this.syncRound && this.syncRound.left.size === 0) {
      log.info({ networks: this.served.size, failed: this.syncRound.failed, durationMs: Math.round(this.now() - this.syncRound.startedAt) }, 'sync complete');
      this.syncRound = undefined;
    }
    // Respawn anything that died between applies (dnsmasq killed by hand, a crash).
    const check = await this.d.supervisor.check();
    for (const id of check.respawned) log.warn({ process_id: id }, 'process was dead and has been respawned');
    const c = this.counts();
    metrics.resources('networks', c.networks);
    metrics.resources('ports', c.ports);
    return { failedKeys, ops, deferredKeys: deferred };
  }

  /** Serves or unserves one network from this.networks; a failure is recorded, not thrown. */
  private async reconcile(id: string, rootLinks: Map<string, ActualLink>, failedKeys: Map<string, Error>): Promise<number> {
    const raw = this.networks.get(id);
    try {
      if (raw && isServed(raw)) return await this.serve(id, raw, rootLinks);
      if (this.served.has(id)) await this.unserve(id, raw ? 'no DHCP-enabled subnet or admin down' : 'network gone');
      return 0;
    } catch (err) {
      this.d.logger.error({ err, network_id: id }, 'network not reconciled; will retry');
      // Retried as a notification would be: fetched again from the server first.
      failedKeys.set(networkKey(id), err instanceof Error ? err : new Error(String(err)));
      if (this.syncRound?.left.has(id)) this.syncRound.failed += 1;
      return 0;
    } finally {
      this.syncRound?.left.delete(id);
    }
  }

  /** What a periodic pass checks: served networks and networks that should be. */
  private checkCandidates(skip: Set<string>): string[] {
    const ids = new Set(this.served.keys());
    for (const [id, raw] of this.networks) if (isServed(raw)) ids.add(id);
    return [...ids].filter((id) => !skip.has(id));
  }

  /**
   * The periodic pass over `ids`: those whose local state differs from what was served
   * (or that should be served and are not, or are served and should not be). Costs one
   * `ip -n … -batch` per served network, in waves of 8, a few file reads and /proc
   * reads; no RPC, no write. Stops between waves when the slice budget is spent (then
   * networks found drifted are served in the next slices).
   */
  private async findDrift(ids: readonly string[], rootLinks: Map<string, ActualLink>, budget: SliceBudget): Promise<{ drifted: string[]; unchecked: string[] }> {
    const drift = new Map<string, string[]>();
    const toRead: string[] = [];
    for (const id of ids) {
      const raw = this.networks.get(id);
      const wanted = raw !== undefined && isServed(raw);
      const served = this.served.has(id);
      if (wanted && !served) drift.set(id, ['not served']);
      else if (!wanted && served) drift.set(id, ['served but no longer wanted']);
      else if (served) toRead.push(id);
    }
    const unchecked: string[] = [];
    for (let i = 0; i < toRead.length; i += CHECK_CONCURRENCY) {
      // A wave is queued work like a serve: the first one of the apply always goes.
      if (!budget.take('queued')) {
        unchecked.push(...toRead.slice(i));
        break;
      }
      const wave = toRead.slice(i, i + CHECK_CONCURRENCY);
      const actual = await readDhcpNetnsMany(this.d.runner, wave.map(dhcpNamespace), CHECK_CONCURRENCY);
      await Promise.all(wave.map(async (id) => {
        const reasons = await this.driftOfOne(id, actual.get(dhcpNamespace(id)), rootLinks);
        if (reasons.length > 0) drift.set(id, reasons);
      }));
    }
    for (const [id, reasons] of drift) this.d.logger.warn({ network_id: id, drift: reasons }, 'local state drifted; serving the network again');
    return { drifted: [...drift.keys()], unchecked };
  }

  private async driftOfOne(id: string, a: ActualDhcpNetns | Error | undefined, rootLinks: Map<string, ActualLink>): Promise<string[]> {
    const s = this.served.get(id)!;
    const netns = dhcpNamespace(id);
    let netnsProblem: string | undefined;
    let kernelOps: Op[] = [];
    if (a === undefined || a instanceof Error) netnsProblem = `namespace not readable: ${a?.message ?? 'no answer'}`;
    else if (!a.exists) netnsProblem = 'namespace missing';
    else {
      const { ns } = dhcpDevices(s.desired.portId);
      if (a.links.has(ns)) a.offload = await this.driver.readOffload(netns, [ns], this.plugState);
      const p = planDhcpKernel(s.desired, a, rootLinks, this.driver, this.plugState);
      kernelOps = [...p.detach, ...p.ops];
      if (p.commands.length > 0) netnsProblem = `device commands pending: ${p.commands.map((c) => c.why).join(', ')}`;
    }
    const files = {} as Record<DnsmasqFileKind, string | undefined>;
    for (const kind of DNSMASQ_FILES) files[kind] = await readFile(confFile(this.d.conf.dhcp_confs, id, kind), 'utf8').catch(() => undefined);
    const haproxyWanted = s.local.haproxyConf !== undefined;
    const [haproxyConf, dnsmasqAlive, haproxyAlive] = await Promise.all([
      haproxyWanted ? readFile(haproxyConfigPath(this.d.statePath, id), 'utf8').catch(() => undefined) : Promise.resolve(undefined),
      this.d.supervisor.isAlive(`dnsmasq:${id}`, { pidFile: confFile(this.d.conf.dhcp_confs, id, 'pid'), marker: id }),
      haproxyWanted ? this.d.supervisor.isAlive(`haproxy:${id}`, { pidFile: haproxyPidFile(join(this.d.statePath, 'external', 'pids'), id), marker: id }) : Promise.resolve(false),
    ]);
    return driftOf(s.local, { ...(netnsProblem !== undefined ? { netnsProblem } : {}), kernelOps, files, haproxyConf, dnsmasqAlive, haproxyAlive });
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
    const actual = await readDhcpNetns(this.d.runner, netns);
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
    const desired: DesiredDhcpNetns = { networkId: id, portId, mac: String(dhcpPort['mac_address']), mtu: network.mtu || null, cidrs, gateway, metadata: metadataAddress };
    const plan = planDhcpKernel(desired, actual, rootLinks, this.driver, this.plugState);
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
    const haproxyConf = await this.ensureMetadataProxy(id, netns, shouldServeMetadata(network, this.d.conf));

    this.served.set(id, { raw, network, dhcpPort, desired, local: { files: { host: rendered.files.host, addn_hosts: rendered.files.addn_hosts, opts: rendered.files.opts }, haproxyConf } });
    this.queueReady(id, network);
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

  /** Returns the haproxy config when the proxy is served here, else undefined. */
  private async ensureMetadataProxy(id: string, netns: string, wanted: boolean): Promise<string | undefined> {
    const procId = `haproxy:${id}`;
    const pidFile = haproxyPidFile(join(this.d.statePath, 'external', 'pids'), id);
    if (!wanted) {
      await this.d.supervisor.stop(procId, { pidFile, marker: id });
      return undefined;
    }
    const confPath = haproxyConfigPath(this.d.statePath, id);
    await mkdir(join(this.d.statePath, 'ns-metadata-proxy'), { recursive: true });
    await mkdir(join(this.d.statePath, 'external', 'pids'), { recursive: true });
    const conf = renderHaproxyConfig({
      resource: { kind: 'network', id }, unixSocketPath: this.d.metadataProxySocket, bindAddress: METADATA_V4_IP, port: METADATA_PORT, user: 'root', group: 'root', pidFile,
    });
    const changed = await writeFileAtomic(confPath, conf);
    const spec = metadataProxySpec({ resource: { kind: 'network', id }, confPath, pidFile, netns });
    if (changed) await this.d.supervisor.stop(procId, { pidFile, marker: id });
    await this.d.supervisor.ensure(spec);
    return conf;
  }

  /** Ports of the network the server has not heard about in this shape yet. */
  private queueReady(id: string, network: Network): void {
    for (const p of network.ports) {
      const sig = `${id}|${p.mac_address}|${p.fixed_ips.map((f) => f.ip_address).sort().join(',')}`;
      if (this.readySent.get(p.id) !== sig) this.readyPending.set(p.id, { networkId: id, sig });
    }
  }

  /**
   * One dhcp_ready_on_ports for every port queued in this apply (Python batches them
   * in its _dhcp_ready_ports_loop too): a start-up of 51 networks made 51 calls. On a
   * failure the ports stay queued and their networks are retried with backoff.
   */
  private async flushReady(failedKeys: Map<string, Error>): Promise<void> {
    if (this.readyPending.size === 0) return;
    const batch = new Map(this.readyPending);
    try {
      await this.d.plugin.dhcpReadyOnPorts([...batch.keys()]);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.d.logger.warn({ err: error, ports: batch.size }, 'dhcp_ready_on_ports failed; will retry');
      for (const { networkId } of batch.values()) if (!failedKeys.has(networkKey(networkId))) failedKeys.set(networkKey(networkId), error);
      return;
    }
    for (const [port, { sig }] of batch) {
      this.readySent.set(port, sig);
      if (this.readyPending.get(port)?.sig === sig) this.readyPending.delete(port);
    }
    this.d.logger.info({ ports: batch.size, networks: new Set([...batch.values()].map((v) => v.networkId)).size }, 'ports reported ready for DHCP');
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
    for (const [port, r] of this.readyPending) if (r.networkId === id) this.readyPending.delete(port);
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
}

/** Neutron serves a network when it is admin-up and has a DHCP-enabled subnet. */
export function isServed(raw: RawNetwork): boolean {
  return raw['admin_state_up'] !== false && dhcpSubnetIds(raw).length > 0;
}
