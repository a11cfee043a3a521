/**
 * Flow synchroniser: makes a bridge's flows equal to the desired set, with ONE atomic
 * OpenFlow bundle per bridge per apply, touching only flows with a nucleon cookie
 * (flow-cookie.ts) plus foreign flows a desired flow must replace (flow-plan.ts).
 *
 * Per call: canonicalise the desired flows not seen before (one offline
 * `ovs-ofctl parse-flows`, cached by flow text), dump the bridge, plan, and, only if
 * the plan is not empty, one `ovs-ofctl --bundle add-flows BR -`. Steady state is one
 * dump-flows and no flow mod. After a bundle the bridge is read again and planned once
 * more: anything left over (`unconverged`) means the canonical text did not predict the
 * switch's (or someone changed the bridge meanwhile); it is reported, never looped on.
 *
 * Restart without a traffic gap (Neutron: new cookie, install, then cleanup_stale_flows
 * deletes the old cookie's flows): here the new run's flows are re-added over the old
 * ones (same key: replaced in place) and the old run's leftovers deleted in the same
 * bundle, so a packet sees either the old table or the new one.
 *
 * `plan()` is the same without the bundle: what `nucleon diff` shows.
 *
 * Contract: calls for one bridge (syncs and plans) are serialised; errors are
 * {@link FlowSyncError}s and leave the bridge as it was.
 */
import type { FlowSpec } from '../../../agents/ovs/model.js';
import { OpError } from '../../exec/errors.js';
import { assertIfName } from '../../exec/names.js';
import type { Logger } from '../../logging/logger.js';
import { formatCookie, isNucleonCookie } from './flow-cookie.js';
import type { DumpedFlow } from './flow-dump.js';
import { describeSpec, FlowSpecError, FlowSyncError, type FlowSyncPhase } from './flow-errors.js';
import { planFlowSync, type DesiredFlow, type FlowSyncCounts, type FlowSyncPlan } from './flow-plan.js';
import { assertFlowSpec, specText } from './flow-spec.js';
import { describeOfctlFailure, type CanonicalFlow, type OvsOfctl } from './ovs-ofctl.js';

export { planFlowSync } from './flow-plan.js';
export type { DesiredFlow, FlowSyncCounts, FlowSyncPlan, PlannedFlowMod } from './flow-plan.js';

/** The part of {@link OvsOfctl} the synchroniser uses (a fake switch implements it in unit tests). */
export type OfctlPort = Pick<OvsOfctl, 'dumpFlows' | 'canonicalise' | 'bundle'>;

export interface SyncFlowsOptions {
  /** This agent run's cookie (newRunCookie()). */
  cookie: bigint;
  /** Which cookies are ours. Default isNucleonCookie. */
  isOwned?: (cookie: bigint) => boolean;
  /** Re-read the bridge after a bundle and count what still differs. Default true. */
  verify?: boolean;
}

export interface FlowSyncResult extends FlowSyncCounts {
  bridge: string;
  /** Lines sent in the bundle (added + modified + deleted); 0 in steady state. */
  flowMods: number;
  /** Flow mods a re-plan right after the bundle still wanted (expected 0). */
  unconverged: number;
  durationMs: number;
}

export interface FlowSyncDeps {
  logger?: Logger;
  /** Canonical forms kept (by flow text). Default 100 000. */
  canonicalCacheSize?: number;
}

export class FlowSync {
  private readonly log: Logger | undefined;
  private readonly cacheSize: number;
  /** Flow text (table/priority/match/actions) → canonical text; insertion order = LRU order. */
  private readonly canonical = new Map<string, CanonicalFlow>();
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ofctl: OfctlPort,
    deps: FlowSyncDeps = {},
  ) {
    this.log = deps.logger;
    this.cacheSize = deps.canonicalCacheSize ?? 100_000;
  }

  /** Synchronises one bridge; see the module comment. */
  syncFlows(bridge: string, desired: readonly FlowSpec[], opts: SyncFlowsOptions): Promise<FlowSyncResult> {
    return this.serialised(bridge, () => this.syncOnce(bridge, desired, opts));
  }

  /**
   * Dry run (`nucleon diff`): the bundle {@link syncFlows} would send now — validated,
   * canonicalised and planned against a fresh dump — without sending it. Queued behind
   * a sync in progress on the same bridge, so it never plans against a bridge that is
   * about to change under it. Same errors as syncFlows (phases validate, canonicalise,
   * dump); `opts.verify` is ignored.
   */
  plan(bridge: string, desired: readonly FlowSpec[], opts: SyncFlowsOptions): Promise<FlowSyncPlan> {
    return this.serialised(bridge, async () => {
      const { withCanon, isOwned } = await this.prepare(bridge, desired, opts);
      return this.planAgainstBridge(bridge, withCanon, opts.cookie, isOwned);
    });
  }

  /** Calls for one bridge run one after the other (a failed one does not stop the next). */
  private serialised<T>(bridge: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(bridge) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    this.busy.set(bridge, tail);
    void tail.then(() => { if (this.busy.get(bridge) === tail) this.busy.delete(bridge); });
    return run;
  }

  /** Validation and canonical forms, shared by syncFlows and plan. */
  private async prepare(bridge: string, desired: readonly FlowSpec[], opts: SyncFlowsOptions): Promise<{ withCanon: DesiredFlow[]; isOwned: (c: bigint) => boolean }> {
    const isOwned = opts.isOwned ?? isNucleonCookie;
    try {
      assertIfName(bridge);
      if (!isOwned(opts.cookie)) throw new RangeError(`run cookie ${formatCookie(opts.cookie)} is not one isOwned() accepts`);
      desired.forEach((d, i) => assertFlowSpec(d, i));
    } catch (err) {
      throw this.fail(bridge, 'validate', err);
    }
    try {
      return { withCanon: await this.withCanonical(desired), isOwned };
    } catch (err) {
      throw this.fail(bridge, 'canonicalise', err);
    }
  }

  private async syncOnce(bridge: string, desired: readonly FlowSpec[], opts: SyncFlowsOptions): Promise<FlowSyncResult> {
    const started = performance.now();
    const { withCanon, isOwned } = await this.prepare(bridge, desired, opts);

    const plan = await this.planAgainstBridge(bridge, withCanon, opts.cookie, isOwned);
    let unconverged = 0;
    if (plan.lines.length > 0) {
      try {
        await this.ofctl.bundle(bridge, plan.lines);
      } catch (err) {
        throw this.applyFailure(bridge, plan, err);
      }
      if (opts.verify !== false) {
        const again = await this.planAgainstBridge(bridge, withCanon, opts.cookie, isOwned);
        unconverged = again.lines.length;
        if (unconverged > 0) this.log?.warn({ bridge, unconverged, sample: again.lines.slice(0, 5) }, 'flows still differ right after the bundle');
      }
    }
    const result: FlowSyncResult = {
      bridge,
      added: plan.added,
      modified: plan.modified,
      deleted: plan.deleted,
      unchanged: plan.unchanged,
      recookied: plan.recookied,
      replacedForeign: plan.replacedForeign,
      foreignKept: plan.foreignKept,
      flowMods: plan.lines.length,
      unconverged,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
    this.log?.debug(result, 'flow sync');
    return result;
  }

  private async planAgainstBridge(bridge: string, desired: DesiredFlow[], cookie: bigint, isOwned: (c: bigint) => boolean): Promise<FlowSyncPlan> {
    let current: DumpedFlow[];
    try {
      current = await this.ofctl.dumpFlows(bridge);
    } catch (err) {
      throw this.fail(bridge, 'dump', err);
    }
    try {
      return planFlowSync(current, desired, cookie, isOwned);
    } catch (err) {
      throw this.fail(bridge, 'validate', err);
    }
  }

  /** Desired flows with their canonical text; asks OVS only about flow texts not cached. */
  private async withCanonical(desired: readonly FlowSpec[]): Promise<DesiredFlow[]> {
    const keys = desired.map((d) => specText(d));
    const missing = new Map<string, FlowSpec>();
    keys.forEach((k, i) => { if (!this.canonical.has(k) && !missing.has(k)) missing.set(k, desired[i] as FlowSpec); });
    if (missing.size > 0) {
      const specs = [...missing.values()];
      let canon: CanonicalFlow[];
      try {
        canon = await this.ofctl.canonicalise(specs);
      } catch (err) {
        // canonicalise() numbers the flows it was given; name the caller's flow instead.
        if (err instanceof FlowSpecError && err.spec) {
          const at = keys.indexOf(specText(err.spec));
          throw new FlowSpecError(at >= 0 ? at : undefined, err.spec, err.reason, err.stderr);
        }
        throw err;
      }
      [...missing.keys()].forEach((k, i) => this.canonical.set(k, canon[i] as CanonicalFlow));
    }
    const out = desired.map((d, i) => {
      const k = keys[i] as string;
      const c = this.canonical.get(k) as CanonicalFlow;
      // Refresh the LRU position.
      this.canonical.delete(k);
      this.canonical.set(k, c);
      return { table: d.table, priority: d.priority, match: d.match, actions: d.actions, canonical: c };
    });
    while (this.canonical.size > this.cacheSize) {
      const oldest = this.canonical.keys().next().value;
      if (oldest === undefined) break;
      this.canonical.delete(oldest);
    }
    return out;
  }

  /** A bundle failure, with the offending line found from ovs-ofctl's stderr. */
  private applyFailure(bridge: string, plan: FlowSyncPlan, err: unknown): FlowSyncError {
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String((err as { stderr: unknown }).stderr) : '';
    const f = describeOfctlFailure(stderr);
    let line: string | undefined;
    if (f.lineNumber !== undefined) line = plan.lines[f.lineNumber - 1];
    if (line === undefined && f.refused) {
      const kind = f.refused.command === 'ADD' ? 'add' : f.refused.command === 'MOD_STRICT' ? 'modify' : f.refused.command === 'DEL_STRICT' ? 'delete' : undefined;
      const r = f.refused;
      line = plan.mods.find((m) => m.kind === kind && m.table === r.table && m.priority === r.priority && m.match === r.match)?.line;
    }
    return new FlowSyncError({
      bridge,
      phase: 'apply',
      message: f.reason || (err instanceof Error ? err.message : String(err)),
      kind: err instanceof OpError ? err.kind : 'FATAL',
      stderr,
      ...(line !== undefined ? { line } : {}),
      cause: err,
    });
  }

  private fail(bridge: string, phase: FlowSyncPhase, err: unknown): FlowSyncError {
    if (err instanceof FlowSyncError) return err;
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String((err as { stderr: unknown }).stderr) : '';
    let kind = err instanceof OpError ? err.kind : 'FATAL';
    // ovs-ofctl names a missing bridge this way; CommandError's patterns do not know it.
    if (/is not a bridge or a socket/.test(stderr)) kind = 'NOT_FOUND';
    const line = err instanceof FlowSpecError && err.spec ? describeSpec(err.spec) : undefined;
    const message = err instanceof FlowSpecError ? err.message : err instanceof Error ? err.message : String(err);
    return new FlowSyncError({ bridge, phase, message, kind, stderr, ...(line !== undefined ? { line } : {}), cause: err });
  }
}
