/**
 * The linuxbridge agent's reconcile loop. Inputs mark keys dirty (tap devices seen by
 * the link watcher, RPC notifications, l2pop messages); one apply at a time then:
 * 1. reads the node's links (the kernel, not memory);
 * 2. gets the details of new and dirty taps (all of them on a full sync somebody asked
 *    for) from the resource cache, or from the server with `[nucleon] resource_cache = false`;
 * 3. computes the desired L2 state from every known tap and diffs it with the kernel;
 * 4. applies the ops in batches (one `ip -batch`, one sysctl, …);
 * 5. reconciles the firewall when security groups or ports changed;
 * 6. reports devices up/down with update_device_list, 20 at a time.
 * Keys: `tap:<dev>`, `port:<port_id>`, `network:<network_id>`, `firewall`, `fdb:<network_id>`.
 */
import type { Logger } from '../../shared/logging/logger.js';
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import { Executor } from '../../shared/reconcile/executor.js';
import type { ApplyOutcome, ApplyWork } from '../../shared/reconcile/runner.js';
import type { Op } from '../../shared/reconcile/ops.js';
import { metrics, opCountsByKind } from '../../shared/control/index.js';
import { readAddresses, readLinks, type ActualLink } from '../../shared/drivers/ip-links.js';
import { computeDesiredL2, type DesiredL2, type L2Config } from './desired.js';
import { planFdbOps, planL2Ops, type ActualFdb } from './plan.js';
import { tapName, type DeviceAnswer, type DeviceDetails } from './model.js';
import type { LinuxBridgePluginApi } from './plugin-api.js';
import { applyFdbChange, desiredFdbFor, type FdbChange, type FdbTable } from './fdb.js';

export interface FirewallPort {
  /** Reconciles the firewall for these wired ports (all of them: level-triggered). */
  apply(ports: DeviceDetails[]): Promise<void>;
}

/** get_devices_details_list: the server (LinuxBridgePluginApi) or the resource cache (CacheDeviceDetails). */
export interface DeviceDetailsSource {
  getDevicesDetailsList(devices: string[]): Promise<DeviceAnswer[]>;
}

export interface LinuxBridgeAgentDeps {
  config: L2Config & { l2Population: boolean; arpResponder: boolean; localIp: string | undefined };
  /** update_device_list; also the details source when `details` is not given. */
  plugin: LinuxBridgePluginApi;
  details?: DeviceDetailsSource;
  runner: CommandRunner;
  logger: Logger;
  firewall?: FirewallPort;
}

export class LinuxBridgeAgent {
  private readonly details = new Map<string, DeviceDetails>();
  private readonly reportedUp = new Set<string>();
  private readonly fdb: FdbTable = new Map();
  /**
   * Networks the server has sent l2pop entries for since this process started. Until
   * then the kernel's permanent entries are kept: after a restart they are still right,
   * and deleting them before the server repeats its table would cut traffic.
   */
  private readonly fdbKnown = new Set<string>();
  private readonly executor: Executor;
  private firstSnapshotDone = false;
  private firewallDirty = true;
  private lastDesired: DesiredL2 | undefined;
  private tapCount = 0;

  constructor(private readonly deps: LinuxBridgeAgentDeps) {
    this.executor = new Executor({ runner: deps.runner, logger: deps.logger });
  }

  get devices(): number {
    return this.tapCount;
  }

  /** Known wired ports, for status and trace. */
  knownPorts(): DeviceDetails[] {
    return [...this.details.values()];
  }

  desired(): DesiredL2 | undefined {
    return this.lastDesired;
  }

  markFirewallDirty(): void {
    this.firewallDirty = true;
  }

  /** An l2pop message: updates the server-owned FDB table, returns the networks to reconcile. */
  onFdb(change: FdbChange): string[] {
    const touched = applyFdbChange(this.fdb, change, this.deps.config.localIp);
    for (const n of touched) this.fdbKnown.add(n);
    return touched;
  }

  /** Plans without applying: what `nucleon diff` shows. */
  async dryRun(): Promise<Op[]> {
    const links = await readLinks(this.deps.runner);
    const desired = computeDesiredL2(this.deps.config, this.details.values());
    const addresses = await readAddresses(this.deps.runner);
    return [...planL2Ops({ desired, links, addresses, mappedBridges: new Set(Object.values(this.deps.config.bridgeMappings)), sweep: this.firstSnapshotDone }), ...(await this.planFdb(desired, links))];
  }

  async apply(work: ApplyWork): Promise<ApplyOutcome> {
    const log = this.deps.logger;
    const failedKeys = new Map<string, Error>();
    const links = await readLinks(this.deps.runner);
    const taps = [...links.keys()].filter((n) => n.startsWith('tap'));
    const present = new Set(taps);
    this.tapCount = taps.length;

    // Which taps need (fresh) details from the server. A periodic pass repairs drift from
    // the kernel and the details already known; only a full sync somebody asked for
    // (start, revived, reconnect, retry) asks for every tap again and re-reports it, as
    // re-reporting 50 devices costs the server seconds every interval.
    const requestedFull = work.fullSync && (work.fullSyncReasons ?? work.reason).some((r) => r !== 'periodic');
    const need = new Set<string>();
    for (const t of taps) if (requestedFull || !this.details.has(t)) need.add(t);
    for (const k of work.keys) {
      if (k.startsWith('tap:')) { const t = k.slice(4); if (present.has(t)) need.add(t); }
      else if (k.startsWith('port:')) { const t = tapName(k.slice(5)); if (present.has(t)) need.add(t); }
      else if (k.startsWith('network:')) { const net = k.slice(8); for (const d of this.details.values()) if (d.network_id === net && present.has(d.device)) need.add(d.device); }
    }
    if (work.keys.has('firewall')) this.firewallDirty = true;
    // Every full pass (periodic too) re-applies the firewall: the apply reads the kernel
    // back and repairs chains or sets changed by hand, and is a no-op otherwise. Its input
    // costs no RPC with the resource cache (with resource_cache = false: one
    // security_group_info_for_devices per 20 taps, as before periodic passes stopped
    // re-fetching details, which had silently stopped this repair).
    if (work.fullSync) this.firewallDirty = true;

    const fetched = new Set<string>();
    if (need.size > 0) {
      const answers = await (this.deps.details ?? this.deps.plugin).getDevicesDetailsList([...need].sort());
      for (const a of answers) {
        if (a.kind === 'port') {
          this.details.set(a.details.device, a.details);
          fetched.add(a.details.device);
        } else if (a.kind === 'failed') {
          // Not answerable for now (resource cache pull failed): keep what we knew, retry the tap.
          log.warn({ device: a.device, reason: a.reason }, 'device details not available yet; retrying');
          failedKeys.set(`tap:${a.device}`, new Error(a.reason));
        } else if (a.device) {
          if (a.kind === 'invalid') log.warn({ device: a.device, reason: a.reason }, 'server sent unusable details for a device; not wiring it');
          else log.debug({ device: a.device, answer: a.kind }, 'device not bound to this host');
          this.details.delete(a.device);
          this.reportedUp.delete(a.device);
        }
      }
      this.firewallDirty = true;
    }
    // Taps that are gone: forget them, report them down once.
    const removed: string[] = [];
    for (const t of [...this.details.keys()]) {
      if (!present.has(t)) {
        this.details.delete(t);
        if (this.reportedUp.delete(t)) removed.push(t);
        this.firewallDirty = true;
      }
    }
    for (const t of [...this.reportedUp]) if (!present.has(t)) { this.reportedUp.delete(t); removed.push(t); }

    const desired = computeDesiredL2(this.deps.config, this.details.values());
    this.lastDesired = desired;
    for (const [dev, why] of desired.unwirable) {
      const d = this.details.get(dev);
      log.error({ device: dev, port_id: d?.port_id, network_id: d?.network_id, why }, 'cannot wire device');
      if (d) failedKeys.set(`port:${d.port_id}`, new Error(why));
    }
    const addresses = await readAddresses(this.deps.runner);
    const ops = [
      ...planL2Ops({ desired, links, addresses, mappedBridges: new Set(Object.values(this.deps.config.bridgeMappings)), sweep: this.firstSnapshotDone && work.fullSync }),
      ...(await this.planFdb(desired, links)),
    ];
    let opCount = 0;
    if (ops.length > 0) {
      const res = await this.executor.apply(ops);
      opCount = res.applied + res.failed.length;
      const counts = opCountsByKind(ops, res.failed);
      metrics.applyObserved(res.durationMs, counts.applied, counts.failed);
      for (const f of res.failed) {
        log.error({ err: f.error, key: f.key, op: f.op.kind, ...resourceFields(f.key) }, 'operation failed');
        failedKeys.set(f.key, f.error);
      }
    }
    if (work.fullSync) this.firstSnapshotDone = true;

    if (this.deps.firewall && this.firewallDirty) {
      try {
        await this.deps.firewall.apply([...desired.taps.keys()].map((t) => this.details.get(t)).filter((d): d is DeviceDetails => d !== undefined && links.has(d.device)));
        this.firewallDirty = false;
      } catch (err) {
        log.error({ err }, 'firewall apply failed');
        failedKeys.set('firewall', err instanceof Error ? err : new Error(String(err)));
      }
    }

    // Report: a tap is up once wired without failure and its port is admin-up.
    const up: string[] = [];
    for (const t of desired.taps.values()) {
      const d = this.details.get(t.name);
      if (!d || !d.admin_state_up || failedKeys.has(`port:${d.port_id}`) || failedKeys.has(`network:${d.network_id}`)) continue;
      if (!this.reportedUp.has(t.name) || fetched.has(t.name)) up.push(t.name);
    }
    const down = [...removed];
    for (const t of fetched) {
      const d = this.details.get(t);
      // Python reports update_device_down when a port cannot be plugged.
      if (d && d.admin_state_up && desired.unwirable.has(t)) down.push(t);
    }
    // One line per port whose wiring this apply (re)did: what `nucleon logs --resource` follows.
    for (const t of fetched) {
      const d = this.details.get(t);
      const dt = desired.taps.get(t);
      if (!d || !dt) continue;
      const failed = failedKeys.get(`port:${d.port_id}`) ?? failedKeys.get(`network:${d.network_id}`);
      if (failed) continue;
      log.info({ port_id: d.port_id, network_id: d.network_id, device: t, bridge: dt.bridge, network_type: d.network_type, segmentation_id: d.segmentation_id, admin_state_up: d.admin_state_up, enslaved_by: dt.enslave ? 'agent' : 'nova' }, 'port wired');
    }
    for (const t of removed) log.info({ device: t }, 'device gone, reported down');
    if (up.length > 0 || down.length > 0) {
      const res = await this.deps.plugin.updateDeviceList(up, down);
      for (const t of up) if (!res.failedDevicesUp.includes(t)) this.reportedUp.add(t);
      for (const t of res.failedDevicesUp) failedKeys.set(`tap:${t}`, new Error('server failed to set the device up'));
      log.info({ up: up.length, down: down.length, failed_up: res.failedDevicesUp.length, failed_down: res.failedDevicesDown.length }, 'reported device status');
    }
    metrics.resources('taps', this.tapCount);
    metrics.resources('bridges', desired.bridges.size);
    return { failedKeys, ops: opCount };
  }

  private async planFdb(desired: DesiredL2, links: Map<string, ActualLink>): Promise<Op[]> {
    if (!this.deps.config.l2Population) return [];
    const ops: Op[] = [];
    for (const b of desired.bridges.values()) {
      if (b.uplink?.kind !== 'vxlan' || !links.has(b.uplink.name)) continue;
      const dev = b.uplink.name;
      const want = desiredFdbFor(this.fdb, b.networkId, this.deps.config.arpResponder);
      const [fdb, neigh] = await Promise.all([readFdb(this.deps.runner, dev), readNeigh(this.deps.runner, dev)]);
      const planned = planFdbOps(`fdb:${b.networkId}`, dev, want, fdb, neigh);
      ops.push(...(this.fdbKnown.has(b.networkId) ? planned : planned.filter((o) => o.kind !== 'fdb.del' && o.kind !== 'neigh.del')));
    }
    return ops;
  }
}

function resourceFields(key: string): Record<string, string> {
  if (key.startsWith('port:') ) return { port_id: key.slice(5) };
  if (key.startsWith('network:') || key.startsWith('fdb:')) return { network_id: key.slice(key.indexOf(':') + 1) };
  return {};
}

async function readFdb(runner: CommandRunner, dev: string): Promise<ActualFdb[]> {
  const r = await runner.run(['bridge', '-json', 'fdb', 'show', 'dev', dev]);
  const rows = JSON.parse(r.stdout || '[]') as Array<{ mac?: string; dst?: string; state?: string }>;
  return rows.filter((e) => e.mac).map((e) => ({ mac: e.mac!.toLowerCase(), ...(e.dst ? { dst: e.dst } : {}), permanent: e.state === 'permanent' }));
}

async function readNeigh(runner: CommandRunner, dev: string): Promise<Array<{ ip: string; mac?: string; permanent: boolean }>> {
  const r = await runner.run(['ip', '-json', 'neigh', 'show', 'dev', dev]);
  const rows = JSON.parse(r.stdout || '[]') as Array<{ dst?: string; lladdr?: string; state?: string[] }>;
  return rows.filter((n) => n.dst).map((n) => ({ ip: n.dst!, ...(n.lladdr ? { mac: n.lladdr.toLowerCase() } : {}), permanent: (n.state ?? []).includes('PERMANENT') }));
}
