/**
 * What `nucleon status|diff|trace|resync` see of the OVS agent.
 * - status: plugged devices, wired/unwirable ports, local VLANs, tunnels (last apply).
 * - diff: the agent's dry run (OvsAgent.dryRun): the ovs-vsctl subcommands of the next
 *   OVSDB transaction, then per bridge one summary line (add/modify/delete counts) and
 *   the first flow mods of the bundle FlowSync would send. Nothing is written to OVS.
 * - trace <port_id | network_id>: control-trace.ts.
 */
import type { ControlProvider, DiffEntry } from '../../shared/control/index.js';
import type { FlowSyncPlan } from '../../shared/drivers/ovs/flow-plan.js';
import type { FlowSync } from '../../shared/drivers/ovs/flow-sync.js';
import type { OvsCommand } from '../../shared/reconcile/ops.js';
import { renderOvsCommand } from '../../shared/reconcile/render.js';
import type { OvsAgent, OvsDryRun } from './agent.js';
import { traceOvs, type FlowReader } from './control-trace.js';

/** Flow mods listed per bridge in a diff; the summary line counts them all. */
export const DEFAULT_DIFF_FLOW_LINES = 20;

export interface OvsControlOptions {
  agent: OvsAgent;
  /** The daemon's synchroniser: its canonical-form cache and per-bridge queue are shared with the applies. */
  flowSync: Pick<FlowSync, 'plan'>;
  /** Reads br-int's flows for trace. */
  ofctl: FlowReader;
  /** This run's cookie: flows with another nucleon cookie show as re-cookied adds. */
  cookie: bigint;
  agentType: string;
  host: string;
  daemon: string;
  resync: (reason: string) => void;
  /** Flow mods listed per bridge (default {@link DEFAULT_DIFF_FLOW_LINES}). */
  diffFlowLines?: number;
  /** Flow lines listed per group in a trace (default 100). */
  traceFlowLines?: number;
  /** iptables_hybrid: the iptables lines of a port, shown by trace. */
  firewallLines?: (portId: string) => Promise<string[]>;
}

export function ovsControl(o: OvsControlOptions): ControlProvider {
  return {
    agentType: o.agentType,
    host: o.host,
    daemon: o.daemon,
    status: () => {
      const d = o.agent.desired();
      return { devices: o.agent.devices, wired: d?.wired.length ?? 0, unwirable: d?.unwirable.size ?? 0, local_vlans: d?.localVlans.size ?? 0, tunnels: d?.tunnels.length ?? 0 };
    },
    health: () => ({ state: 'ok', failing: [] }),
    async diff(): Promise<DiffEntry[]> {
      const r = await o.agent.dryRun((bridge, flows) => o.flowSync.plan(bridge, flows, { cookie: o.cookie }));
      return dryRunEntries(r, o.diffFlowLines ?? DEFAULT_DIFF_FLOW_LINES);
    },
    trace: (id) => traceOvs({ agent: o.agent, ofctl: o.ofctl, maxFlowLines: o.traceFlowLines ?? 100, ...(o.firewallLines ? { firewallLines: o.firewallLines } : {}) }, id),
    resync: o.resync,
  };
}

/** A dry run as diff entries: OVSDB subcommands, then per bridge a summary and the first `flowLines` flow mods; failures as `error` entries. */
export function dryRunEntries(r: OvsDryRun, flowLines: number): DiffEntry[] {
  const out: DiffEntry[] = r.commands.map((c) => ({ key: `ovsdb:${commandSubject(c)}`, op: `ovsdb.${c.cmd}`, description: describeCommand(c) }));
  for (const [bridge, plan] of r.flows) out.push(...flowEntries(bridge, plan, flowLines));
  for (const [key, err] of r.errors) out.push({ key, op: 'error', description: err.message });
  return out;
}

function flowEntries(bridge: string, plan: FlowSyncPlan, flowLines: number): DiffEntry[] {
  if (plan.mods.length === 0) return [];
  const key = `flows:${bridge}`;
  const shown = Math.min(flowLines, plan.mods.length);
  const extra = [plan.recookied ? `${plan.recookied} of the adds re-cookie an earlier run's flows` : '', plan.replacedForeign ? `${plan.replacedForeign} replace foreign flows` : ''].filter(Boolean);
  const summary: DiffEntry = {
    key,
    op: 'flows.bundle',
    description: `${plan.added} add, ${plan.modified} modify, ${plan.deleted} delete (${plan.unchanged} unchanged${extra.length ? `; ${extra.join(', ')}` : ''}); ` +
      (shown < plan.mods.length ? `first ${shown} of ${plan.mods.length} flow mods listed` : `all ${plan.mods.length} listed`),
  };
  return [summary, ...plan.mods.slice(0, shown).map((m) => ({ key, op: `flow.${m.kind}`, description: `${m.reason}: ${m.line}` }))];
}

function commandSubject(c: OvsCommand): string {
  switch (c.cmd) {
    case 'add-br': case 'del-br': return c.bridge;
    case 'add-port': case 'del-port': return c.port;
    case 'set': case 'clear': return c.record;
  }
}

/** The subcommand as ovs-vsctl would get it; a name the renderer refuses is shown as data (the apply would fail on it too). */
function describeCommand(c: OvsCommand): string {
  try {
    return `ovs-vsctl ${renderOvsCommand(c).join(' ')}`;
  } catch (err) {
    return `${JSON.stringify(c)} (invalid: ${err instanceof Error ? err.message : String(err)})`;
  }
}
