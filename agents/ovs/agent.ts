/**
 * The OVS agent's reconcile loop. Inputs mark keys dirty (OVSDB monitor events,
 * resource-cache changes, tunnel and l2pop casts); one apply at a time then:
 * 1. reads OVSDB (the live monitor snapshot) and, when needed, the tunnel endpoints
 *    (tunnel_sync);
 * 2. gets each plugged port's details from the resource cache (local, no RPC) and
 *    computes the desired OVSDB state (bridges, patch/tunnel ports, tags);
 *    With firewall_driver = iptables_hybrid, the ports' iptables filter (on their
 *    qbr bridges) is reconciled here, before their tags are set;
 * 3. applies the OVSDB difference in ONE ovs-vsctl transaction;
 * 4. renders every bridge's flows (+ the OVS firewall's) and synchronises them, one
 *    OpenFlow bundle per bridge, only the difference;
 * 5. reports devices up/down with update_device_list, 20 at a time.
 * Everything is recomputed from OVSDB and the cache on each apply (level-triggered);
 * the keys only decide which ports are reported again.
 *
 * dryRun() computes steps 2–4 without applying them (`nucleon diff`); it runs
 * between applies, never during one: the daemon's flow renderer remembers the
 * firewall it rendered last for the conntrack-zone flush after the br-int sync,
 * and a dry run's render slipped in between would stand in for the apply's.
 */
import type { Logger } from '../../shared/logging/logger.js';
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import { Executor } from '../../shared/reconcile/executor.js';
import type { ApplyOutcome, ApplyWork } from '../../shared/reconcile/runner.js';
import { metrics } from '../../shared/control/index.js';
import { applyFdbChange, type FdbChange, type FdbTable } from '../../shared/l2pop/fdb-table.js';
import type { OvsCommand } from '../../shared/reconcile/ops.js';
import type { FlowSyncPlan } from '../../shared/drivers/ovs/flow-plan.js';
import type { FlowSpec } from './model.js';
import type { ObservedOvs } from './observed.js';
import { ofportOf } from './observed.js';
import { computeDesiredOvs, tunnellingEnabled, type DesiredOvs, type OvsAgentConfig, type PluggedPort } from './desired.js';
import { planOvsdbCommands } from './plan-ovsdb.js';
import type { PortAnswer } from './port-facts.js';
import type { OvsPluginApi } from './plugin-api.js';

/** How long br-tun waits for the server's l2pop entries after a (re)start. */
const L2POP_GRACE_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FlowRenderInput {
  desired: DesiredOvs;
  observed: ObservedOvs;
  fdb: FdbTable;
}

export interface FlowSyncResult { added: number; modified: number; deleted: number }

/** Plans one bridge's flow sync without applying it (FlowSync.plan with this run's cookie). */
export type FlowPlanner = (bridge: string, flows: FlowSpec[]) => Promise<FlowSyncPlan>;

/** What the next apply would change, computed without changing anything. */
export interface OvsDryRun {
  desired: DesiredOvs;
  /** The ovs-vsctl subcommands of the OVSDB transaction (empty: nothing differs). */
  commands: OvsCommand[];
  /**
   * Per bridge, the flow bundle planned against the bridge as it is now. With OVSDB
   * commands pending, ports or tunnels still without an ofport are not in it yet (the
   * apply renders again once the transaction has given them one).
   */
  flows: Map<string, FlowSyncPlan>;
  /** Bridges the apply would leave alone now, and why. */
  skipped: Map<string, string>;
  /** `flows` (rendering) or `flows:<bridge>` (planning) → what failed. */
  errors: Map<string, Error>;
}

export type ReportedState = 'up' | 'down';

/** A firewall outside OVS (iptables_hybrid): the filter of the plugged ports, reconciled each apply. */
export interface PortFilter {
  /**
   * Makes the filter match exactly these ports (all plugged ports known to the server);
   * `full`: reconcile even when its input did not change. Throws (already logged) when
   * it fails.
   */
  sync(portIds: readonly string[], full: boolean): Promise<unknown>;
  /** Ports the last successful sync covered. */
  readonly filtered: ReadonlySet<string>;
}

export interface OvsAgentDeps {
  config: OvsAgentConfig;
  host: string;
  /** Live OVSDB state, indexed by name. */
  observe(): ObservedOvs;
  /** Resolves once OVSDB shows every named interface with an ofport (or the timeout passes). */
  waitForOfports(names: string[], timeoutMs: number): Promise<void>;
  /** get_device_details-equivalent for one plugged port (resource cache). */
  portDetails(portId: string, device: string): Promise<PortAnswer>;
  /** Every bridge's desired flows (bridge name → flows), firewall included. */
  renderFlows(input: FlowRenderInput): Promise<Map<string, FlowSpec[]>>;
  syncFlows(bridge: string, flows: FlowSpec[]): Promise<FlowSyncResult>;
  /** firewall_driver = iptables_hybrid; undefined for the openvswitch firewall (flows) and noop. */
  portFilter?: PortFilter;
  plugin: OvsPluginApi;
  runner: CommandRunner;
  logger: Logger;
  vsctlArgs: string[];
}

export class OvsAgent {
  private readonly executor: Executor;
  private readonly fdb: FdbTable = new Map();
  private readonly tunnelEndpoints = new Set<string>();
  private tunnelsSynced = false;
  private readonly reportedUp = new Set<string>();
  private readonly reportedDown = new Set<string>();
  /** Port ids ever seen plugged here since start (to report them down once when they go). */
  private readonly known = new Map<string, string>();
  /** When the first update_device_list after this start went out (it carried refresh_tunnels). */
  private firstReportAt: number | undefined;
  private readonly fdbKnown = new Set<string>();
  private brTunOpen = false;
  private lastDesired: DesiredOvs | undefined;
  private pluggedCount = 0;
  /** Applies and dry runs, one at a time (see the module comment). */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: OvsAgentDeps) {
    this.executor = new Executor({ runner: d.runner, logger: d.logger, ovsVsctlArgs: d.vsctlArgs });
  }

  get devices(): number {
    return this.pluggedCount;
  }

  desired(): DesiredOvs | undefined {
    return this.lastDesired;
  }

  get config(): OvsAgentConfig {
    return this.d.config;
  }

  /** OVSDB as the monitor shows it now. */
  observed(): ObservedOvs {
    return this.d.observe();
  }

  /** What the server was last told about a port here: up, down, or nothing (undefined). */
  reported(portId: string): ReportedState | undefined {
    const id = portId.toLowerCase();
    if (this.reportedUp.has(id)) return 'up';
    if (this.reportedDown.has(id)) return 'down';
    return undefined;
  }

  /** The resource cache's view of one plugged port (as the apply gets it). */
  portAnswer(portId: string, device: string): Promise<PortAnswer> {
    return this.d.portDetails(portId.toLowerCase(), device);
  }

  /**
   * Steps 2–4 of an apply without applying anything: desired state, the OVSDB
   * transaction and each bridge's flow bundle, planned on the current OVSDB and flow
   * tables. Waits for an apply in progress. Writes nothing to OVS and changes none of
   * the agent's state; the cache may pull what it lacks from the server, as an apply's
   * read would.
   */
  dryRun(planFlows: FlowPlanner): Promise<OvsDryRun> {
    return this.inTurn(async () => {
      const c = this.d.config;
      const observed = this.d.observe();
      const desired = computeDesiredOvs(c, observed, await this.plugged(observed), this.tunnelEndpoints, this.fdb);
      const brTunReady = this.brTunGate(desired);
      const commands = planOvsdbCommands({ desired, observed, tunnelBridge: c.tunnelBridge, sweepTunnels: this.tunnelsSynced && brTunReady });
      const flows = new Map<string, FlowSyncPlan>();
      const skipped = new Map<string, string>();
      const errors = new Map<string, Error>();
      let rendered = new Map<string, FlowSpec[]>();
      try {
        rendered = await this.d.renderFlows({ desired, observed, fdb: this.fdb });
      } catch (err) {
        errors.set('flows', err instanceof Error ? err : new Error(String(err)));
      }
      for (const [bridge, list] of rendered) {
        if (!observed.bridges.has(bridge)) { skipped.set(bridge, 'not in OVSDB yet'); continue; }
        if (bridge === c.tunnelBridge && !brTunReady) { skipped.set(bridge, 'left as found until the server repeats its l2pop entries'); continue; }
        try {
          flows.set(bridge, await planFlows(bridge, list));
        } catch (err) {
          errors.set(`flows:${bridge}`, err instanceof Error ? err : new Error(String(err)));
        }
      }
      return { desired, commands, flows, skipped, errors };
    });
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** An l2pop message: updates the FDB table, returns the networks it touched. */
  onFdb(change: FdbChange): string[] {
    const touched = applyFdbChange(this.fdb, change, this.d.config.localIp);
    for (const n of touched) this.fdbKnown.add(n);
    return touched;
  }

  /**
   * With l2pop the tunnel ports and br-tun flows derive from FDB entries only the server
   * knows. After a restart the table is empty until the server answers our first
   * update_device_list (refresh_tunnels) with the full entries; re-rendering br-tun
   * before that would delete working flood/unicast flows and tunnel ports and cut
   * traffic. So br-tun is left as found until every local VXLAN network has entries,
   * or L2POP_GRACE_MS after that first report. Once open, the gate stays open.
   */
  private brTunReady(desired: DesiredOvs): boolean {
    if (this.brTunGate(desired)) this.brTunOpen = true;
    return this.brTunOpen;
  }

  /** brTunReady without opening the gate (the dry run's view). */
  private brTunGate(desired: DesiredOvs): boolean {
    if (this.brTunOpen || !this.d.config.l2Population) return true;
    const vxlanNets = [...desired.localVlans.values()].filter((l) => l.networkType === 'vxlan');
    const allKnown = vxlanNets.every((l) => this.fdbKnown.has(l.networkId));
    const graceOver = this.firstReportAt !== undefined && Date.now() - this.firstReportAt > L2POP_GRACE_MS;
    return allKnown || graceOver;
  }

  onTunnel(ip: string, type: string, added: boolean): boolean {
    if (type !== 'vxlan' || ip === this.d.config.localIp) return false;
    if (added) this.tunnelEndpoints.add(ip); else this.tunnelEndpoints.delete(ip);
    return true;
  }

  apply(work: ApplyWork): Promise<ApplyOutcome> {
    return this.inTurn(() => this.applyNow(work));
  }

  private async applyNow(work: ApplyWork): Promise<ApplyOutcome> {
    const c = this.d.config;
    const log = this.d.logger;
    const failedKeys = new Map<string, Error>();
    // A periodic pass repairs drift from OVSDB and the cache alone; only a full sync
    // somebody asked for (start, revived, reconnect, retry) asks the server again and
    // re-reports every port: 50 ports re-reported cost the server seconds each time.
    const requestedFull = work.fullSync && (work.fullSyncReasons ?? work.reason).some((r) => r !== 'periodic');
    if (requestedFull) this.tunnelsSynced = false;
    if (tunnellingEnabled(c) && !this.tunnelsSynced && c.localIp) {
      try {
        const eps = await this.d.plugin.tunnelSync(c.localIp, 'vxlan');
        this.tunnelEndpoints.clear();
        for (const e of eps) if (e.ipAddress !== c.localIp) this.tunnelEndpoints.add(e.ipAddress);
        this.tunnelsSynced = true;
        log.info({ endpoints: this.tunnelEndpoints.size }, 'tunnel endpoints synced');
      } catch (err) {
        log.error({ err }, 'tunnel_sync failed; will retry');
        failedKeys.set('tunnels', err instanceof Error ? err : new Error(String(err)));
      }
    }

    let observed = this.d.observe();
    const plugged = await this.plugged(observed);
    this.pluggedCount = plugged.length;
    const desired = computeDesiredOvs(c, observed, plugged, this.tunnelEndpoints, this.fdb);
    this.lastDesired = desired;
    for (const p of desired.problems) log.error({ problem: p }, 'node configuration problem');

    // iptables_hybrid: filter the ports before their tags let traffic through. A port
    // not covered by a successful filter is not reported up (Python binds it only after
    // setup_port_filters); the filter logs its own failures.
    const unfiltered = new Set<string>();
    if (this.d.portFilter) {
      const known = plugged.filter((p) => p.facts !== undefined).map((p) => p.portId);
      try {
        await this.d.portFilter.sync(known, work.fullSync);
      } catch (err) {
        failedKeys.set('firewall', err instanceof Error ? err : new Error(String(err)));
        for (const id of known) if (!this.d.portFilter.filtered.has(id)) unfiltered.add(id);
      }
    }

    // 3. OVSDB: one transaction.
    const brTunReady = this.brTunReady(desired);
    const commands = planOvsdbCommands({ desired, observed, tunnelBridge: c.tunnelBridge, sweepTunnels: this.tunnelsSynced && brTunReady });
    let ops = 0;
    if (commands.length > 0) {
      const res = await this.executor.apply([{ kind: 'ovs.vsctl', key: 'ovsdb', commands }]);
      ops += res.applied + res.failed.length;
      for (const f of res.failed) {
        log.error({ err: f.error, key: f.key }, 'ovs-vsctl transaction failed');
        failedKeys.set(f.key, f.error);
      }
      const needOfports = [...desired.patches.map((p) => p.port), ...desired.tunnels.map((t) => t.name)];
      await this.d.waitForOfports(needOfports, 3000);
      observed = this.d.observe();
    }
    // Ports whose ofport appeared with this transaction are wired on the next apply.
    for (const p of desired.wired) p.ofport = ofportOf(observed, p.device) ?? p.ofport;

    // 4. Flows, one bundle per bridge.
    let flowsOk = true;
    try {
      const flows = await this.d.renderFlows({ desired, observed, fdb: this.fdb });
      for (const [bridge, list] of flows) {
        if (!observed.bridges.has(bridge)) continue;
        if (bridge === c.tunnelBridge && !brTunReady) { log.debug({ bridge }, 'br-tun left as found until the server repeats its l2pop entries'); continue; }
        try {
          const r = await this.d.syncFlows(bridge, list);
          if (r.added + r.modified + r.deleted > 0) log.info({ bridge, ...r }, 'flows synchronised');
          ops += r.added + r.modified + r.deleted;
        } catch (err) {
          flowsOk = false;
          log.error({ err, bridge }, 'flow synchronisation failed');
          failedKeys.set(`flows:${bridge}`, err instanceof Error ? err : new Error(String(err)));
        }
      }
    } catch (err) {
      flowsOk = false;
      log.error({ err }, 'flow rendering failed');
      failedKeys.set('flows', err instanceof Error ? err : new Error(String(err)));
    }

    // 5. Report.
    const pluggedIds = new Set(plugged.map((p) => p.portId));
    const up: string[] = [];
    const down: string[] = [];
    if (flowsOk && !failedKeys.has('ovsdb')) {
      for (const w of desired.wired) {
        if (unfiltered.has(w.portId)) { failedKeys.set(`port:${w.portId}`, new Error('port filter not in place')); continue; }
        const dirty = requestedFull || work.keys.has(`port:${w.portId}`);
        if (!this.reportedUp.has(w.portId) || dirty) up.push(w.portId);
      }
    }
    for (const p of plugged) {
      const f = p.facts;
      // Admin-down ports and ports we cannot wire are reported down (Python's port_dead path).
      const isDown = (f && !f.adminStateUp) || (f && desired.unwirable.has(p.portId));
      if (isDown && (!this.reportedDown.has(p.portId) || work.keys.has(`port:${p.portId}`))) down.push(p.portId);
    }
    for (const [id, device] of this.known) {
      if (!pluggedIds.has(id)) {
        this.known.delete(id);
        if (this.reportedUp.delete(id)) { down.push(id); log.info({ port_id: id, device }, 'port unplugged, reported down'); }
        this.reportedDown.delete(id);
      }
    }
    for (const p of plugged) this.known.set(p.portId, p.name);
    for (const [id, why] of desired.unwirable) {
      const p = plugged.find((x) => x.portId === id);
      if (p?.facts) log.error({ port_id: id, network_id: p.facts.networkId, device: p.name, why }, 'cannot wire port');
    }
    if (up.length > 0 || down.length > 0) {
      try {
        const res = await this.d.plugin.updateDeviceList(up, down, this.firstReportAt === undefined);
        this.firstReportAt ??= Date.now();
        for (const id of up) {
          if (res.failedDevicesUp.includes(id)) { failedKeys.set(`port:${id}`, new Error('server failed to set the port up')); continue; }
          if (!this.reportedUp.has(id)) {
            const w = desired.wired.find((x) => x.portId === id);
            log.info({ port_id: id, network_id: w?.networkId, device: w?.device, local_vlan: w?.localVlan, ofport: w?.ofport }, 'port wired');
          }
          this.reportedUp.add(id);
          this.reportedDown.delete(id);
        }
        for (const id of down) { if (pluggedIds.has(id)) this.reportedDown.add(id); this.reportedUp.delete(id); }
        log.info({ up: up.length, down: down.length, failed_up: res.failedDevicesUp.length, failed_down: res.failedDevicesDown.length }, 'reported device status');
      } catch (err) {
        log.error({ err }, 'update_device_list failed; will retry');
        for (const id of up) failedKeys.set(`port:${id}`, err instanceof Error ? err : new Error(String(err)));
      }
    }
    metrics.resources('ports', plugged.length);
    metrics.resources('local_vlans', desired.localVlans.size);
    metrics.resources('tunnels', desired.tunnels.length);
    return { failedKeys, ops };
  }

  /** Ports on br-int with an iface-id, each with the server's view of it (from the cache). */
  private async plugged(observed: ObservedOvs): Promise<PluggedPort[]> {
    const c = this.d.config;
    const out: PluggedPort[] = [];
    const br = observed.bridges.get(c.integrationBridge);
    for (const name of br?.ports ?? []) {
      const iface = observed.interfaces.get(name);
      const id = iface?.externalIds['iface-id'];
      if (!iface || !id || !UUID.test(id) || iface.type === 'patch') continue;
      const portId = id.toLowerCase();
      const ofport = ofportOf(observed, name);
      let answer: PortAnswer;
      try {
        answer = await this.d.portDetails(portId, name);
      } catch (err) {
        this.d.logger.error({ err, port_id: portId }, 'port details unavailable');
        answer = { kind: 'invalid', reason: 'details unavailable' };
      }
      if (answer.kind === 'port') out.push({ name, portId, ofport, facts: answer.facts });
      else out.push({ name, portId, ofport, facts: undefined, missing: answer.kind === 'invalid' ? answer.reason : answer.kind === 'no_active_binding' ? 'binding not active on this host' : 'unknown to the server' });
    }
    return out;
  }
}
