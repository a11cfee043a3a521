/**
 * The flow synchroniser's planner (pure): a bridge's dumped flows + the desired flows
 * → the flow-mod lines of ONE bundle, and counts.
 *
 * Identity: OpenFlow holds one flow per (table, priority, exact match), so that is the
 * key; matches and actions are compared as OVS prints them (each desired flow carries
 * its canonical text, see ovs-ofctl.ts canonicalise()).
 *
 * Rules, per desired flow, by the flow the bridge has under its key:
 * - none                               → `add` (missing; also a flow deleted by hand)
 * - ours, this run's cookie, same actions → nothing (steady state sends no flow mod)
 * - ours, this run's cookie, other actions → `modify_strict cookie=C/-1` (changed by
 *   hand; counters and age are kept)
 * - ours, an earlier run's cookie      → `add` with this run's cookie (restart): an add
 *   with the same key replaces the flow in place, so traffic never sees a gap
 * - not ours (foreign cookie, or a flow with timeouts: learned)
 *                                      → `add`: OpenFlow cannot hold both, and the
 *   desired flow wins. This is the only way a foreign flow is ever touched (e.g. the
 *   bridge's own `priority=0 actions=NORMAL` under Neutron's table-0 default flow).
 * Per current flow that no desired flow has the key of:
 * - ours (any run), no timeouts        → `delete_strict cookie=ITS/-1` (stale)
 * - anything else                      → left alone, even where it overlaps ours.
 * Flows with timeouts are never deleted: we never install timeouts, so they were made
 * by learn() (br-tun's table 20 gets the agent cookie like Python's, see BrTunFlowsInput
 * learnCookie) or by hand, and expire on their own.
 *
 * Order in the bundle: adds, modifies, deletes (Neutron's add/mod/del order; inside a
 * bundle the switch applies them atomically anyway, and no two lines share a key).
 */
import type { FlowSpec } from '../../../agents/ovs/model.js';
import type { DumpedFlow } from './flow-dump.js';
import { isNucleonCookie } from './flow-cookie.js';
import { FlowSpecError } from './flow-errors.js';
import { addLine, assertFlowSpec, deleteLine, flowKey, modifyLine } from './flow-spec.js';
import type { CanonicalFlow } from './ovs-ofctl.js';

/** A desired flow; without `canonical` its own text is taken as what OVS prints. */
export interface DesiredFlow extends FlowSpec {
  canonical?: CanonicalFlow;
}

export type FlowModReason = 'missing' | 'recookie' | 'replace-foreign' | 'actions-differ' | 'stale';

export interface PlannedFlowMod {
  kind: 'add' | 'modify' | 'delete';
  reason: FlowModReason;
  /** The add-flows line. */
  line: string;
  /** Identity as OVS prints it. */
  table: number;
  priority: number;
  match: string;
  /** Index in `desired` (adds and modifies). */
  desiredIndex?: number;
  /** The bridge's flow this replaces, modifies or deletes. */
  current?: DumpedFlow;
}

export interface FlowSyncCounts {
  /** `add` lines: missing + recookied + replacedForeign. */
  added: number;
  /** `modify_strict` lines: our flows whose actions had changed. */
  modified: number;
  /** `delete_strict` lines: our flows (any run) that are no longer desired. */
  deleted: number;
  /** Desired flows already present with this run's cookie and the same actions. */
  unchanged: number;
  /** Of `added`: desired flows that had an earlier run's cookie. */
  recookied: number;
  /** Of `added`: desired flows that replace a foreign (or learned) flow with the same key. */
  replacedForeign: number;
  /** Flows not ours, left alone. */
  foreignKept: number;
}

export interface FlowSyncPlan extends FlowSyncCounts {
  mods: PlannedFlowMod[];
  /** `mods` as add-flows lines, in bundle order. */
  lines: string[];
}

/** True when the flow is installed by learn() or by hand with a timeout: never ours to manage. */
export function hasTimeout(f: DumpedFlow): boolean {
  return (f.idleTimeout ?? 0) > 0 || (f.hardTimeout ?? 0) > 0;
}

/**
 * Plans one bundle. Throws {@link FlowSpecError} for an invalid desired flow or two
 * desired flows with one key and different actions (identical duplicates are merged).
 */
export function planFlowSync(
  current: readonly DumpedFlow[],
  desired: readonly DesiredFlow[],
  cookie: bigint,
  isOwned: (cookie: bigint) => boolean = isNucleonCookie,
): FlowSyncPlan {
  if (!isOwned(cookie)) throw new RangeError(`run cookie 0x${cookie.toString(16)} is not one isOwned() accepts`);
  const wanted = new Map<string, { index: number; spec: DesiredFlow; canon: CanonicalFlow }>();
  desired.forEach((d, index) => {
    assertFlowSpec(d, index);
    const canon = d.canonical ?? { match: d.match, actions: d.actions };
    const key = flowKey(d.table, d.priority, canon.match);
    const prev = wanted.get(key);
    if (prev === undefined) wanted.set(key, { index, spec: d, canon });
    else if (prev.canon.actions !== canon.actions) {
      throw new FlowSpecError(index, d, `same table, priority and match as desired flow #${prev.index} with other actions (${prev.spec.actions})`);
    }
  });

  const have = new Map<string, DumpedFlow[]>();
  for (const f of current) {
    const key = flowKey(f.table, f.priority, f.match);
    const list = have.get(key);
    if (list) list.push(f);
    else have.set(key, [f]);
  }

  const adds: PlannedFlowMod[] = [];
  const modifies: PlannedFlowMod[] = [];
  const deletes: PlannedFlowMod[] = [];
  const c: FlowSyncCounts = { added: 0, modified: 0, deleted: 0, unchanged: 0, recookied: 0, replacedForeign: 0, foreignKept: 0 };
  const ident = (d: DesiredFlow, canon: CanonicalFlow): Pick<PlannedFlowMod, 'table' | 'priority' | 'match'> => ({ table: d.table, priority: d.priority, match: canon.match });

  for (const [key, { index, spec, canon }] of wanted) {
    // The switch holds at most one flow per key; a second one here would be a dump artefact.
    const cur = have.get(key)?.[0];
    if (cur === undefined) {
      adds.push({ kind: 'add', reason: 'missing', line: addLine(spec, cookie), ...ident(spec, canon), desiredIndex: index });
    } else if (cur.cookie === cookie && !hasTimeout(cur)) {
      if (cur.actions === canon.actions) c.unchanged++;
      else modifies.push({ kind: 'modify', reason: 'actions-differ', line: modifyLine(spec, cookie), ...ident(spec, canon), desiredIndex: index, current: cur });
    } else {
      const reason: FlowModReason = isOwned(cur.cookie) && !hasTimeout(cur) ? 'recookie' : 'replace-foreign';
      if (reason === 'recookie') c.recookied++;
      else c.replacedForeign++;
      adds.push({ kind: 'add', reason, line: addLine(spec, cookie), ...ident(spec, canon), desiredIndex: index, current: cur });
    }
  }

  for (const [key, flows] of have) {
    if (wanted.has(key)) continue;
    for (const f of flows) {
      if (isOwned(f.cookie) && !hasTimeout(f)) {
        deletes.push({ kind: 'delete', reason: 'stale', line: deleteLine(f.table, f.priority, f.match, f.cookie), table: f.table, priority: f.priority, match: f.match, current: f });
      } else {
        c.foreignKept++;
      }
    }
  }
  // Foreign flows replaced by a desired one were counted above, not as kept.
  c.added = adds.length;
  c.modified = modifies.length;
  c.deleted = deletes.length;
  const mods = [...adds, ...modifies, ...deletes];
  return { ...c, mods, lines: mods.map((m) => m.line) };
}
