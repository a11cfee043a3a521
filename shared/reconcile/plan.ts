/**
 * Pure planning: orders ops by dependency and groups them into as few commands as
 * possible. The executor runs the resulting steps in order.
 *
 * Order: all deletes first, in reverse dependency order, then all creates:
 *   delete: process.stop → file.remove → route/neigh/fdb del → addr del → link del → netns del
 *   create: netns add → link add (+ moves) → ovs-vsctl → link set → addr add →
 *           route/fdb/neigh → sysctl → iptables-restore → nft → file write → process start → signal
 * Deletes go first so an object can be recreated with other parameters in one plan.
 *
 * Consecutive `ip`/`bridge` phases merge into one step: one `ip -n NS -batch -` per
 * namespace holding that namespace's lines in phase order. Batches of different
 * namespaces are ordered by their cross-namespace dependencies (netns add/del in the
 * root batch, veth peers and links moved into another namespace); if those form a
 * cycle the step is split by phase, which is always correct.
 */
import type { IptablesRestoreOp, Op } from './ops.js';
import {
  renderAddr,
  renderFdb,
  renderLinkAdd,
  renderLinkDel,
  renderLinkMove,
  renderLinkSetAttrs,
  renderNeigh,
  renderRoute,
} from './render.js';
import { assertNetnsName } from '../exec/names.js';

export type BatchTool = 'ip' | 'bridge';

export interface BatchLine {
  /** Index into the `ops` array given to {@link planSteps}. */
  opIndex: number;
  tokens: string[];
  phase: number;
  /**
   * iproute2 6.1 calls exit(2) when `neigh add/replace` fails, even under -force:
   * such lines are placed last and re-run one by one when the batch aborts.
   */
  aborting: boolean;
}

export interface BatchCommand {
  tool: BatchTool;
  /** Absent = root namespace. */
  netns?: string;
  lines: BatchLine[];
}

export type Step =
  | { type: 'batch'; batches: BatchCommand[] }
  | { type: 'ovs'; groups: OpGroup[] }
  | { type: 'sysctl'; groups: OpGroup[] }
  | { type: 'iptables'; groups: OpGroup[] }
  | { type: 'nft'; opIndexes: number[] }
  | { type: 'file'; opIndexes: number[] }
  | { type: 'process'; opIndexes: number[] };

/** Ops merged into one command (same namespace, same family for iptables). */
export interface OpGroup { netns?: string; family?: 4 | 6; opIndexes: number[] }

type StepType = Step['type'];

/** Phase numbers: lower runs first. Deletes < 10 <= creates. */
export const PHASE = {
  processStop: 1,
  fileRemove: 2,
  l3Del: 3,
  addrDel: 4,
  linkDel: 5,
  netnsDel: 6,
  netnsAdd: 10,
  linkAdd: 20,
  linkMove: 21,
  ovs: 30,
  linkSet: 40,
  addrAdd: 50,
  l3Add: 60,
  neighReplace: 62,
  sysctl: 70,
  iptables: 80,
  nft: 81,
  fileWrite: 90,
  processStart: 100,
  signal: 101,
} as const;

interface Unit {
  opIndex: number;
  phase: number;
  type: StepType;
  /** batch units only */
  tool?: BatchTool;
  netns?: string;
  tokens?: string[];
  aborting?: boolean;
  /** Namespaces this unit makes links appear in (or creates/deletes): batch ordering. */
  feeds?: string[];
  drains?: string[];
}

function batchUnit(opIndex: number, phase: number, tool: BatchTool, netns: string | undefined, tokens: string[], extra: Partial<Unit> = {}): Unit {
  return { opIndex, phase, type: 'batch', tool, ...(netns !== undefined ? { netns } : {}), tokens, ...extra };
}

/** Expands one op into its units (most ops: one). Validates every name. Throws InvalidNameError. */
export function unitsOf(op: Op, i: number): Unit[] {
  const ns = 'netns' in op ? op.netns : undefined;
  switch (op.kind) {
    case 'netns.add':
      assertNetnsName(op.name);
      return [batchUnit(i, PHASE.netnsAdd, 'ip', undefined, ['netns', 'add', op.name], { feeds: [op.name] })];
    case 'netns.del':
      assertNetnsName(op.name);
      return [batchUnit(i, PHASE.netnsDel, 'ip', undefined, ['netns', 'del', op.name], { drains: [op.name] })];
    case 'link.add': {
      const feeds = op.link.type === 'veth' && op.link.peerNetns !== undefined ? [op.link.peerNetns] : [];
      return [batchUnit(i, PHASE.linkAdd, 'ip', ns, renderLinkAdd(op), { feeds })];
    }
    case 'link.set': {
      const out: Unit[] = [];
      const move = renderLinkMove(op);
      if (move && op.moveTo !== undefined) out.push(batchUnit(i, PHASE.linkMove, 'ip', ns, move, { feeds: [op.moveTo] }));
      const attrs = renderLinkSetAttrs(op);
      if (attrs) out.push(batchUnit(i, PHASE.linkSet, 'ip', op.moveTo ?? ns, attrs));
      return out;
    }
    case 'link.del':
      if (ns !== undefined) assertNetnsName(ns);
      return [batchUnit(i, PHASE.linkDel, 'ip', ns, renderLinkDel(op.name))];
    case 'addr.add':
    case 'addr.del':
      return [batchUnit(i, op.kind === 'addr.add' ? PHASE.addrAdd : PHASE.addrDel, 'ip', ns, renderAddr(op))];
    case 'route.replace':
    case 'route.del':
      return [batchUnit(i, op.kind === 'route.replace' ? PHASE.l3Add : PHASE.l3Del, 'ip', ns, renderRoute(op))];
    case 'neigh.replace':
      return [batchUnit(i, PHASE.neighReplace, 'ip', ns, renderNeigh(op), { aborting: true })];
    case 'neigh.del':
      return [batchUnit(i, PHASE.l3Del, 'ip', ns, renderNeigh(op))];
    case 'fdb.append':
    case 'fdb.del':
      return [batchUnit(i, op.kind === 'fdb.append' ? PHASE.l3Add : PHASE.l3Del, 'bridge', ns, renderFdb(op))];
    case 'sysctl.set':
      return [{ opIndex: i, phase: PHASE.sysctl, type: 'sysctl', ...(ns !== undefined ? { netns: ns } : {}) }];
    case 'iptables.restore':
      return [{ opIndex: i, phase: PHASE.iptables, type: 'iptables', ...(ns !== undefined ? { netns: ns } : {}) }];
    case 'nft.apply':
      return [{ opIndex: i, phase: PHASE.nft, type: 'nft' }];
    case 'ovs.vsctl':
      return [{ opIndex: i, phase: PHASE.ovs, type: 'ovs', ...(ns !== undefined ? { netns: ns } : {}) }];
    case 'file.write':
      return [{ opIndex: i, phase: PHASE.fileWrite, type: 'file' }];
    case 'file.remove':
      return [{ opIndex: i, phase: PHASE.fileRemove, type: 'file' }];
    case 'process.start':
      return [{ opIndex: i, phase: PHASE.processStart, type: 'process' }];
    case 'process.stop':
      return [{ opIndex: i, phase: PHASE.processStop, type: 'process' }];
    case 'process.signal':
      return [{ opIndex: i, phase: PHASE.signal, type: 'process' }];
  }
}

export interface Plan {
  steps: Step[];
  /** Ops that could not be rendered (invalid names): reported as FATAL failures. */
  invalid: Array<{ opIndex: number; error: Error }>;
}

/** Orders and groups `ops`. Pure; op indexes refer to the input array. */
export function planSteps(ops: readonly Op[]): Plan {
  const units: Unit[] = [];
  const invalid: Plan['invalid'] = [];
  ops.forEach((op, i) => {
    try {
      units.push(...unitsOf(op, i));
    } catch (err) {
      invalid.push({ opIndex: i, error: err instanceof Error ? err : new Error(String(err)) });
    }
  });
  // Stable sort by phase keeps the caller's order within a phase.
  units.sort((a, b) => a.phase - b.phase || a.opIndex - b.opIndex);

  const steps: Step[] = [];
  let run: Unit[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    steps.push(...toSteps(run, ops));
    run = [];
  };
  for (const u of units) {
    const prev = run[run.length - 1];
    // Batch units merge across phases; every other type forms one step per phase.
    if (prev && (prev.type !== u.type || (u.type !== 'batch' && prev.phase !== u.phase))) flush();
    run.push(u);
  }
  flush();
  return { steps, invalid };
}

function toSteps(run: Unit[], ops: readonly Op[]): Step[] {
  const first = run[0] as Unit;
  switch (first.type) {
    case 'batch':
      return batchSteps(run);
    case 'nft':
    case 'file':
    case 'process':
      return [{ type: first.type, opIndexes: run.map((u) => u.opIndex) }];
    case 'ovs':
    case 'sysctl':
      return [{ type: first.type, groups: groupBy(run, (u) => u.netns ?? '', (u) => (u.netns !== undefined ? { netns: u.netns } : {})) }];
    case 'iptables':
      return [{
        type: 'iptables',
        groups: groupBy(
          run,
          (u) => `${u.netns ?? ''}/${(ops[u.opIndex] as IptablesRestoreOp).family}`,
          (u) => ({ ...(u.netns !== undefined ? { netns: u.netns } : {}), family: (ops[u.opIndex] as IptablesRestoreOp).family }),
        ),
      }];
  }
}

function groupBy(run: Unit[], keyOf: (u: Unit) => string, init: (u: Unit) => Omit<OpGroup, 'opIndexes'>): OpGroup[] {
  const m = new Map<string, OpGroup>();
  for (const u of run) {
    const k = keyOf(u);
    let g = m.get(k);
    if (!g) m.set(k, (g = { ...init(u), opIndexes: [] }));
    if (!g.opIndexes.includes(u.opIndex)) g.opIndexes.push(u.opIndex);
  }
  return [...m.values()];
}

const chanId = (tool: BatchTool, ns: string | undefined): string => `${tool}:${ns ?? ''}`;

function batchSteps(run: Unit[]): Step[] {
  const ordered = orderBatches(run, false);
  if (ordered) return [{ type: 'batch', batches: ordered }];
  // Cross-namespace dependencies form a cycle across phases: one step per phase.
  const byPhase = new Map<number, Unit[]>();
  for (const u of run) byPhase.set(u.phase, [...(byPhase.get(u.phase) ?? []), u]);
  return [...byPhase.keys()].sort((a, b) => a - b).map((p) => ({ type: 'batch', batches: orderBatches(byPhase.get(p) ?? [], true) ?? [] }));
}

/**
 * One batch per (tool, namespace), lines in phase order with aborting lines last;
 * batches topologically ordered. Returns undefined on a cycle unless `force`.
 */
function orderBatches(run: Unit[], force: boolean): BatchCommand[] | undefined {
  const chans = new Map<string, BatchCommand>();
  for (const u of run) {
    const id = chanId(u.tool as BatchTool, u.netns);
    let c = chans.get(id);
    if (!c) chans.set(id, (c = { tool: u.tool as BatchTool, ...(u.netns !== undefined ? { netns: u.netns } : {}), lines: [] }));
    c.lines.push({ opIndex: u.opIndex, tokens: u.tokens ?? [], phase: u.phase, aborting: u.aborting ?? false });
  }
  for (const c of chans.values()) c.lines.sort((a, b) => Number(a.aborting) - Number(b.aborting) || a.phase - b.phase || a.opIndex - b.opIndex);

  // Edges a → b: b must run after a.
  const edges = new Map<string, Set<string>>();
  const addEdge = (a: string, b: string): void => {
    if (a === b || !chans.has(a) || !chans.has(b)) return;
    let s = edges.get(a);
    if (!s) edges.set(a, (s = new Set()));
    s.add(b);
  };
  for (const u of run) {
    const from = chanId(u.tool as BatchTool, u.netns);
    for (const ns of u.feeds ?? []) for (const tool of ['ip', 'bridge'] as const) addEdge(from, chanId(tool, ns));
    for (const ns of u.drains ?? []) for (const tool of ['ip', 'bridge'] as const) addEdge(chanId(tool, ns), from);
  }
  // Same namespace, different tools (fdb on a vxlan link): order by phase.
  for (const c of chans.values()) {
    if (c.tool !== 'bridge') continue;
    const ip = chans.get(chanId('ip', c.netns));
    if (!ip) continue;
    const ipId = chanId('ip', c.netns);
    const brId = chanId('bridge', c.netns);
    const minP = (b: BatchCommand): number => Math.min(...b.lines.map((l) => l.phase));
    const maxP = (b: BatchCommand): number => Math.max(...b.lines.map((l) => l.phase));
    if (minP(ip) < maxP(c)) addEdge(ipId, brId);
    if (minP(c) < maxP(ip)) addEdge(brId, ipId);
  }

  // Kahn's algorithm, ties broken by insertion order (root batch usually first).
  const indeg = new Map<string, number>([...chans.keys()].map((k) => [k, 0]));
  for (const s of edges.values()) for (const b of s) indeg.set(b, (indeg.get(b) ?? 0) + 1);
  const out: BatchCommand[] = [];
  const left = new Set(chans.keys());
  while (left.size > 0) {
    let next = [...left].find((k) => indeg.get(k) === 0);
    if (next === undefined) {
      if (!force) return undefined;
      next = [...left][0] as string;
    }
    left.delete(next);
    out.push(chans.get(next) as BatchCommand);
    for (const b of edges.get(next) ?? []) indeg.set(b, (indeg.get(b) ?? 0) - 1);
  }
  return out;
}
