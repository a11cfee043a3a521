/**
 * The legacy L3 agent's reconcile loop. Notifications mark routers dirty; one apply:
 * 1. refreshes the server's view: every router of this host on a full sync
 *    (get_router_ids, then sync_routers in chunks), else sync_routers for the dirty
 *    ones (a router the server no longer returns is gone);
 * 2. per router: the qrouter namespace diffed against the kernel (ports, addresses,
 *    floating IPs, routes) in one batch, all its NAT in one iptables-restore, the
 *    metadata proxy; floating IP statuses reported when they change;
 * 3. refuses HA and DVR routers with one clear line, their floating IPs ERROR;
 * 4. after a full sync, removes the namespaces and proxies of routers it served that are
 *    no longer here (known by marker files, never by scanning every qrouter-*).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logging/logger.js';
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import { Executor } from '../../shared/reconcile/executor.js';
import type { ApplyOutcome, ApplyWork } from '../../shared/reconcile/runner.js';
import { writeFileAtomic } from '../../shared/reconcile/atomic-file.js';
import type { AddrOp, Op } from '../../shared/reconcile/ops.js';
import { readAddresses, readLinks, type ActualLink } from '../../shared/drivers/ip-links.js';
import { applyPlugPlan, LINUXBRIDGE_DRIVER, type InterfaceDriver, type PlugState } from '../../shared/drivers/interface-driver/index.js';
import type { DetachedProcessSupervisor } from '../../shared/process/supervisor.js';
import { haproxyConfigPath, haproxyPidFile, renderHaproxyConfig } from '../../shared/metadata-proxy/haproxy.js';
import { metadataProxySpec } from '../../shared/metadata-proxy/spec.js';
import { metrics, opCountsByKind } from '../../shared/control/index.js';
import { parseRouter, RouterPayloadError, routerDevices, routerNamespace, type Router } from './model.js';
import { planRouterNetns, L3_ROUTE_PROTO, type ActualRouterNetns } from './kernel.js';
import type { FipStatus, L3PluginApi } from './plugin-api.js';

/** The router's NAT and filter rules, loaded atomically; supplied by agents/l3/nat. */
export interface NatPort {
  apply(router: Router, netns: string): Promise<void>;
}

export interface L3AgentDeps {
  plugin: L3PluginApi;
  runner: CommandRunner;
  supervisor: DetachedProcessSupervisor;
  nat: NatPort;
  logger: Logger;
  statePath: string;
  metadata: { enabled: boolean; port: number; socket: string };
  handleInternalOnlyRouters: boolean;
  /** `[DEFAULT] interface_driver`; default linuxbridge (the L2 agent attaches the taps). */
  interfaceDriver?: InterfaceDriver;
}

export class L3Agent {
  private readonly routers = new Map<string, Router>();
  private readonly fipStatuses = new Map<string, Record<string, FipStatus>>();
  private readonly executor: Executor;
  private readonly driver: InterfaceDriver;
  /** The interface driver's view (OVSDB), read once per apply. */
  private plugState: PlugState;

  constructor(private readonly d: L3AgentDeps) {
    this.driver = d.interfaceDriver ?? LINUXBRIDGE_DRIVER;
    this.executor = new Executor({ runner: d.runner, logger: d.logger, ...this.driver.executorOptions });
  }

  counts(): { routers: number; exGwPorts: number; interfaces: number; floatingIps: number } {
    let gw = 0, ifs = 0, fips = 0;
    for (const r of this.routers.values()) { if (r.gateway) gw++; ifs += r.interfaces.length; fips += r.floatingIps.length; }
    return { routers: this.routers.size, exGwPorts: gw, interfaces: ifs, floatingIps: fips };
  }

  known(): Router[] {
    return [...this.routers.values()];
  }

  routersOnNetwork(networkId: string): string[] {
    return [...this.routers.values()].filter((r) => r.gateway?.networkId === networkId || r.interfaces.some((i) => i.networkId === networkId)).map((r) => r.id);
  }

  async apply(work: ApplyWork): Promise<ApplyOutcome> {
    const log = this.d.logger;
    const failedKeys = new Map<string, Error>();
    let ids: string[];
    if (work.fullSync) {
      ids = await this.d.plugin.getRouterIds();
    } else {
      const set = new Set<string>();
      for (const k of work.keys) {
        if (k.startsWith('router:')) set.add(k.slice(7));
        else if (k.startsWith('network:')) for (const id of this.routersOnNetwork(k.slice(8))) set.add(id);
      }
      ids = [...set];
    }
    const fetched = new Map<string, Router>();
    const invalid = new Set<string>();
    if (ids.length > 0) {
      for (const raw of await this.d.plugin.syncRouters(ids)) {
        try {
          const r = parseRouter(raw);
          fetched.set(r.id, r);
        } catch (err) {
          const e = err instanceof RouterPayloadError ? err : new RouterPayloadError(undefined, String(err));
          log.error({ router_id: e.routerId, why: e.reason }, 'unusable router payload; router left as it is');
          if (e.routerId) { failedKeys.set(`router:${e.routerId}`, e); invalid.add(e.routerId.toLowerCase()); }
        }
      }
    }
    const rootLinks = await readLinks(this.d.runner);
    this.plugState = await this.driver.readState();
    let ops = 0;
    for (const id of ids) {
      if (invalid.has(id)) continue;
      const r = fetched.get(id);
      try {
        if (!r || !r.adminStateUp) await this.unserve(id, r ? 'admin state down' : 'router gone from this agent');
        else if (r.ha || r.distributed) await this.refuse(r);
        else if (!r.gateway && !this.d.handleInternalOnlyRouters) await this.unserve(id, 'internal-only router and handle_internal_only_routers = False');
        else ops += await this.serve(r, rootLinks);
      } catch (err) {
        log.error({ err, router_id: id }, 'router not reconciled; will retry');
        failedKeys.set(`router:${id}`, err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (work.fullSync) await this.sweep(new Set(ids), failedKeys, rootLinks);
    const c = this.counts();
    metrics.resources('routers', c.routers);
    return { failedKeys, ops };
  }

  private async serve(r: Router, rootLinks: Map<string, ActualLink>): Promise<number> {
    const log = this.d.logger.child({ router_id: r.id });
    const netns = routerNamespace(r.id);
    const actual = await this.readNetns(netns);
    const devices = [...r.interfaces.map((p) => routerDevices('qr', p.id).ns), ...(r.gateway ? [routerDevices('qg', r.gateway.id).ns] : [])].filter((n) => actual.links.has(n));
    if (devices.length > 0) actual.offload = await this.driver.readOffload(netns, devices, this.plugState);
    const plan = planRouterNetns(r, actual, rootLinks, this.driver, this.plugState);
    const allOps = [...plan.detach, ...plan.ops];
    if (allOps.length > 0 || plan.commands.length > 0) {
      const res = await applyPlugPlan(this.executor, this.d.runner, plan);
      const counts = opCountsByKind(allOps, res.failed);
      if (allOps.length > 0) metrics.applyObserved(res.durationMs, counts.applied, counts.failed);
      if (res.failed.length > 0) {
        await this.reportFips(r, 'ERROR');
        throw res.failed[0]!.error;
      }
      for (const f of res.commandFailures) log.warn({ err: f.error, why: f.command.why }, 'device command failed; will retry');
      if (allOps.length > 0) {
        log.info({ ops: allOps.length, devices: plan.devices }, 'router wired');
        this.announce(netns, plan.ops);
      }
    }
    await this.d.nat.apply(r, netns);
    await this.ensureMetadataProxy(r.id, netns);
    await mkdir(this.markerDir(), { recursive: true });
    await writeFile(join(this.markerDir(), r.id), '');
    const isNew = !this.routers.has(r.id);
    this.routers.set(r.id, r);
    await this.reportFips(r, 'ACTIVE');
    if (isNew) log.info({ interfaces: r.interfaces.length, gateway: r.gateway?.id ?? null, floating_ips: r.floatingIps.length }, 'router served');
    return plan.ops.length;
  }

  /**
   * Gratuitous ARP for every address just added (a new gateway IP, a floating IP that
   * moved here), so upstream neighbours update their caches at once. As Neutron's
   * _arping: three single `arping -A -c 1 -w 2` spaced 2 s apart (a kernel bug drops updates
   * sent closer), exit 1/2 tolerated, in the background: the apply does not wait.
   */
  private announce(netns: string, ops: readonly Op[]): void {
    const added = ops.filter((o): o is AddrOp => o.kind === 'addr.add');
    for (const a of added) {
      const ip = a.cidr.split('/')[0]!;
      // The L2 agent enslaves the root end (tap<port>) asynchronously (OVS: moves it off
      // the dead VLAN); an announcement sent before that reaches nobody, and neighbours
      // would keep a stale MAC until their cache times out (a re-added router interface
      // gets a new MAC). Wait for it.
      const tap = `tap${a.dev.slice(3)}`;
      void (async () => {
        for (let waited = 0; waited < 15_000 && !(await this.driver.isWired(tap)); waited += 250) {
          await new Promise((r) => setTimeout(r, 250).unref());
        }
        for (let i = 0; i < 3; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 2000).unref());
          await this.d.runner.run(['arping', '-A', '-I', a.dev, '-c', '1', '-w', '2', ip], { netns }).catch(() => undefined);
        }
      })();
    }
  }

  private async refuse(r: Router): Promise<void> {
    const why = r.ha ? 'ha=true (keepalived) routers are not supported by nucleon-l3-agent' : 'distributed=true (DVR) routers are not supported by nucleon-l3-agent';
    if (!this.fipStatuses.has(r.id) || this.routers.has(r.id)) this.d.logger.error({ router_id: r.id, why }, 'router refused');
    if (this.routers.has(r.id)) await this.unserve(r.id, why);
    await this.reportFips(r, 'ERROR');
  }

  /** update_floatingip_statuses when what the server was last told changes. */
  private async reportFips(r: Router, status: FipStatus): Promise<void> {
    const want: Record<string, FipStatus> = {};
    for (const f of r.floatingIps) want[f.id] = status;
    const prev = this.fipStatuses.get(r.id) ?? {};
    // FIPs that left the router are DOWN, as in Neutron's process_floating_ip_addresses.
    for (const id of Object.keys(prev)) if (!(id in want) && prev[id] !== 'DOWN') want[id] = 'DOWN';
    const changed = Object.entries(want).filter(([id, s]) => prev[id] !== s);
    if (changed.length === 0) { this.fipStatuses.set(r.id, want); return; }
    await this.d.plugin.updateFloatingipStatuses(r.id, Object.fromEntries(changed));
    this.fipStatuses.set(r.id, Object.fromEntries(Object.entries(want).filter(([, s]) => s !== 'DOWN')));
    this.d.logger.info({ router_id: r.id, statuses: Object.fromEntries(changed) }, 'floating IP statuses reported');
  }

  private async ensureMetadataProxy(id: string, netns: string): Promise<void> {
    const pidFile = haproxyPidFile(join(this.d.statePath, 'external', 'pids'), id);
    if (!this.d.metadata.enabled) { await this.d.supervisor.stop(`haproxy:${id}`, { pidFile, marker: id }); return; }
    const confPath = haproxyConfigPath(this.d.statePath, id);
    await mkdir(join(this.d.statePath, 'ns-metadata-proxy'), { recursive: true });
    await mkdir(join(this.d.statePath, 'external', 'pids'), { recursive: true });
    // Neutron binds :: when the host has IPv6, which also takes IPv4 (v4-mapped).
    const changed = await writeFileAtomic(confPath, renderHaproxyConfig({ resource: { kind: 'router', id }, unixSocketPath: this.d.metadata.socket, bindAddress: '::', port: this.d.metadata.port, user: 'root', group: 'root', pidFile }));
    if (changed) await this.d.supervisor.stop(`haproxy:${id}`, { pidFile, marker: id });
    await this.d.supervisor.ensure(metadataProxySpec({ resource: { kind: 'router', id }, confPath, pidFile, netns }));
  }

  private async unserve(id: string, why: string): Promise<void> {
    const had = this.routers.delete(id);
    // Only what this agent served: router_deleted is a fanout, and another agent on the
    // same kernel may host that router.
    const marked = await readdir(this.markerDir()).then((xs) => xs.includes(id), () => false);
    if (!had && !marked) return;
    await this.d.supervisor.stop(`haproxy:${id}`, { pidFile: haproxyPidFile(join(this.d.statePath, 'external', 'pids'), id), marker: id });
    const existed = await this.d.runner.run(['ip', 'netns', 'del', routerNamespace(id)]).then(() => true, () => false);
    // The namespace took the veths with it; OVS ports plugged for them stay in OVSDB.
    const unplug = this.driver.unplugStale(`router:${id}`, new Set(), this.plugState, new Map());
    if (unplug.length > 0) {
      // A failure here is left to the full-sync sweep: the router itself is gone.
      const res = await this.executor.apply(unplug);
      for (const f of res.failed) this.d.logger.warn({ err: f.error, router_id: id }, 'integration bridge port not removed; the next full sync retries');
    }
    await rm(haproxyConfigPath(this.d.statePath, id), { force: true });
    await rm(join(this.markerDir(), id), { force: true });
    const prev = this.fipStatuses.get(id);
    this.fipStatuses.delete(id);
    if (prev && Object.keys(prev).length > 0) {
      await this.d.plugin.updateFloatingipStatuses(id, Object.fromEntries(Object.keys(prev).map((f) => [f, 'DOWN' as FipStatus]))).catch(() => undefined);
    }
    if (had || existed) this.d.logger.info({ router_id: id, why }, 'router removed: namespace, devices, NAT and proxy gone');
  }

  /**
   * After a full sync: routers this agent served before (a marker file per router under
   * $state_path/nucleon/routers, written when served) that the server no longer gives it.
   * Not every qrouter-* on the host: several agents can share a kernel (tests, a node
   * migrating from the Python agent), and their routers are not ours to remove.
   */
  private async sweep(wanted: Set<string>, failedKeys: Map<string, Error>, rootLinks: Map<string, ActualLink>): Promise<void> {
    for (const id of await readdir(this.markerDir()).catch(() => [] as string[])) {
      if (wanted.has(id) || !/^[0-9a-f-]{36}$/.test(id)) continue;
      try { await this.unserve(id, 'not hosted by this agent any more'); } catch (err) { failedKeys.set(`router:${id}`, err instanceof Error ? err : new Error(String(err))); }
    }
    // Integration bridge ports this agent plugged for routers it no longer serves (a
    // marker lost, a crash mid-unserve). Routers that failed this round keep theirs.
    const keep = new Set([...[...this.routers.keys()].map((r) => `router:${r}`), ...failedKeys.keys()]);
    const stale = this.driver.sweep(keep, this.plugState, rootLinks);
    if (stale.length > 0) {
      const res = await this.executor.apply(stale);
      for (const f of res.failed) failedKeys.set(f.key, f.error);
      this.d.logger.info({ ports: stale.filter((o) => o.kind === 'ovs.vsctl').length, failed: res.failed.length }, 'swept integration bridge ports of routers no longer served');
    }
  }

  private markerDir(): string {
    return join(this.d.statePath, 'nucleon', 'routers');
  }

  private async readNetns(netns: string): Promise<ActualRouterNetns> {
    const list = await this.d.runner.run(['ip', '-json', 'netns', 'list']).then((r) => JSON.parse(r.stdout || '[]') as Array<{ name: string }>, () => []);
    if (!list.some((n) => n.name === netns)) return { exists: false, links: new Map(), addresses: [], ownRoutes: [], forwarding: false };
    const [links, addresses, routes, fwd] = await Promise.all([
      readLinks(this.d.runner, netns),
      readAddresses(this.d.runner, netns),
      this.d.runner.run(['ip', '-json', 'route', 'show', 'proto', String(L3_ROUTE_PROTO)], { netns }).then((r) => JSON.parse(r.stdout || '[]') as Array<{ dst?: string; gateway?: string }>, () => []),
      this.d.runner.run(['sysctl', '-n', 'net.ipv4.ip_forward'], { netns }).then((r) => r.stdout.trim() === '1', () => false),
    ]);
    return { exists: true, links, addresses, ownRoutes: routes.filter((x) => x.dst).map((x) => ({ dst: x.dst!, via: x.gateway })), forwarding: fwd };
  }
}
