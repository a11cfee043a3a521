/**
 * The level-triggered loop (kube-proxy's BoundedFrequencyRunner + a workqueue of keys).
 *
 * Triggers are hints: `markDirty(key)` and `requestFullSync(reason)` only record what
 * to look at and poke the loop. The loop runs one apply at a time, merges every
 * trigger that arrived meanwhile into the next apply, and never runs applies closer
 * than `minIntervalMs` apart (measured start to start).
 *
 * Failure policy:
 * - A key reported in `failedKeys` stays dirty with exponential backoff (100 ms → 60 s);
 *   incremental applies skip it until its backoff expires, other keys go on. Success
 *   (or a full sync that does not report it) resets its backoff.
 * - An apply that throws tells us nothing about its keys: they stay dirty and a full
 *   sync is scheduled after `retryIntervalMs` (a failed full sync is retried likewise).
 * - Every `maxIntervalMs` without a full sync, a periodic full sync runs (drift repair).
 *
 * A full sync gets every dirty key (backoff ignored: it reconciles everything anyway).
 *
 * Splitting work: an apply may hand back `deferredKeys` (keys of its work it chose not
 * to do now, or new keys for follow-up work). They are marked dirty again without
 * backoff and go into the next apply, together with whatever was marked meanwhile, so
 * a long job done in slices never keeps a fresh trigger waiting for more than a slice.
 */
import type { Logger } from '../logging/logger.js';
import { KeyBackoff, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface ApplyWork {
  fullSync: boolean;
  /** Dirty keys to reconcile (in a full sync: all dirty keys; everything is reconciled anyway). */
  keys: Set<string>;
  /** Why this apply runs (`startup`, `periodic`, `revived`, `retry`, reasons given to markDirty…). */
  reason: string[];
  /**
   * In a full sync: only why the full sync runs (reasons given to requestFullSync,
   * `periodic`, `retry-full-sync`, `incremental-failed`), without markDirty's reasons,
   * so an apply can tell a periodic pass from a sync someone asked for. Empty otherwise.
   */
  fullSyncReasons?: string[];
}

export interface ApplyOutcome {
  /** Keys that failed, with their error; all other keys of the work are considered in sync. */
  failedKeys: Map<string, Error>;
  /** Ops executed, for status and the summary log. */
  ops?: number;
  /**
   * Work left for a later apply (the rest of a job done in slices): marked dirty again,
   * without backoff, and handed to the next apply after `minIntervalMs`. May name keys
   * that were not in this work. A key both failed and deferred counts as failed.
   */
  deferredKeys?: Iterable<string>;
}

export type ApplyFn = (work: ApplyWork) => Promise<ApplyOutcome>;

export interface ReconcileRunnerOptions {
  apply: ApplyFn;
  logger?: Logger;
  clock?: Clock;
  /** Minimum time between apply starts. Default 100 ms. */
  minIntervalMs?: number;
  /** Delay before retrying after a thrown apply (as a full sync). Default 1 s. */
  retryIntervalMs?: number;
  /** Periodic full resync. Default 5 min. */
  maxIntervalMs?: number;
  backoff?: BackoffOptions;
}

export interface DegradedKey {
  key: string;
  attempts: number;
  lastError: string;
  nextAttemptAt: number;
}

export interface LastApply {
  at: number;
  durationMs: number;
  fullSync: boolean;
  keys: number;
  failed: number;
  ops?: number;
  /** Keys handed back for a later apply. */
  deferred?: number;
  /** Set when the apply threw. */
  error?: string;
}

export interface RunnerStatus {
  started: boolean;
  running: boolean;
  dirtyKeys: number;
  fullSyncPending: boolean;
  lastFullSyncAt?: number;
  lastApply?: LastApply;
  /** Keys failing right now, for the health report. */
  degraded: DegradedKey[];
}

const MAX_REASONS = 32;

export class ReconcileRunner {
  private readonly applyFn: ApplyFn;
  private readonly log: Logger | undefined;
  private readonly clock: Clock;
  private readonly minInterval: number;
  private readonly retryInterval: number;
  private readonly maxInterval: number;
  private readonly backoff: KeyBackoff;

  private readonly dirty = new Set<string>();
  /** Keys of a thrown apply: they wait for the retry full sync instead of hammering. */
  private readonly held = new Set<string>();
  private reasons: string[] = [];
  /** The subset of `reasons` that asked for the pending full sync. */
  private fullReasons: string[] = [];
  private fullPending = false;
  private fullNotBefore = -Infinity;
  private lastStart = -Infinity;
  private lastFullSyncAt: number | undefined;
  private lastApply: LastApply | undefined;
  private started = false;
  private stopped = false;
  private inflight: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(opts: ReconcileRunnerOptions) {
    this.applyFn = opts.apply;
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.minInterval = opts.minIntervalMs ?? 100;
    this.retryInterval = opts.retryIntervalMs ?? 1000;
    this.maxInterval = opts.maxIntervalMs ?? 300_000;
    this.backoff = new KeyBackoff(opts.backoff);
  }

  /** Starts the loop with a full sync (`startup`). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.lastFullSyncAt = undefined;
    this.requestFullSync('startup');
  }

  /** Stops scheduling and waits for an in-flight apply to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    this.cancelTimer();
    await this.inflight;
  }

  /** Marks a resource key for reconciliation; cheap, call it from message handlers. */
  markDirty(key: string, reason?: string): void {
    this.dirty.add(key);
    if (reason) this.addReason(reason);
    this.schedule();
  }

  /** Asks for a full reconciliation (startup, reconnect, `revived`, lost events). */
  requestFullSync(reason: string): void {
    this.fullPending = true;
    this.fullNotBefore = -Infinity;
    this.addReason(reason);
    this.addFullReason(reason);
    this.schedule();
  }

  status(): RunnerStatus {
    const degraded: DegradedKey[] = [];
    for (const [key, f] of this.backoff.entries()) degraded.push({ key, attempts: f.attempts, lastError: f.lastError.message, nextAttemptAt: f.notBefore });
    return {
      started: this.started,
      running: this.inflight !== undefined,
      dirtyKeys: new Set([...this.dirty, ...this.held]).size,
      fullSyncPending: this.fullPending,
      ...(this.lastFullSyncAt !== undefined ? { lastFullSyncAt: this.lastFullSyncAt } : {}),
      ...(this.lastApply ? { lastApply: { ...this.lastApply } } : {}),
      degraded,
    };
  }

  private addReason(r: string): void {
    if (!this.reasons.includes(r) && this.reasons.length < MAX_REASONS) this.reasons.push(r);
  }

  private addFullReason(r: string): void {
    if (!this.fullReasons.includes(r) && this.fullReasons.length < MAX_REASONS) this.fullReasons.push(r);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Earliest time the next apply should start, or Infinity when there is nothing to do. */
  private nextDue(): number {
    let due = Infinity;
    if (this.fullPending) due = Math.min(due, this.fullNotBefore);
    for (const k of this.dirty) due = Math.min(due, this.backoff.get(k)?.notBefore ?? -Infinity);
    if (this.lastFullSyncAt !== undefined) due = Math.min(due, this.lastFullSyncAt + this.maxInterval);
    return due === Infinity ? due : Math.max(due, this.lastStart + this.minInterval);
  }

  private schedule(): void {
    if (!this.started || this.stopped || this.inflight) return;
    const due = this.nextDue();
    if (due === Infinity) return this.cancelTimer();
    if (this.timer !== undefined && this.timerAt <= due) return;
    this.cancelTimer();
    // Even when due now, go through a timer: a synchronous burst of triggers coalesces.
    this.timerAt = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.inflight = this.runOnce().finally(() => {
        this.inflight = undefined;
        this.schedule();
      });
    }, Math.max(0, due - this.clock.now()));
  }

  private async runOnce(): Promise<void> {
    const now = this.clock.now();
    if (this.lastFullSyncAt !== undefined && now >= this.lastFullSyncAt + this.maxInterval && !this.fullPending) {
      this.fullPending = true;
      this.fullNotBefore = -Infinity;
      this.addReason('periodic');
      this.addFullReason('periodic');
    }
    const fullSync = this.fullPending && this.fullNotBefore <= now;
    const keys = new Set<string>();
    for (const k of this.dirty) if (fullSync || this.backoff.ready(k, now)) keys.add(k);
    if (fullSync) for (const k of this.held) keys.add(k);
    if (!fullSync && keys.size === 0) return;

    for (const k of keys) this.dirty.delete(k);
    if (fullSync) this.held.clear();
    const reason = this.reasons;
    this.reasons = [];
    const fullSyncReasons = fullSync ? this.fullReasons : [];
    if (fullSync) {
      this.fullPending = false;
      this.fullReasons = [];
    }
    this.lastStart = now;

    let outcome: ApplyOutcome | undefined;
    let thrown: unknown;
    try {
      outcome = await this.applyFn({ fullSync, keys, reason, fullSyncReasons });
    } catch (err) {
      thrown = err;
    }
    const end = this.clock.now();
    const durationMs = end - now;

    if (outcome === undefined) {
      // Nothing is known about any key: hold them for a full sync after retryIntervalMs.
      for (const k of keys) this.held.add(k);
      this.fullPending = true;
      this.fullNotBefore = end + this.retryInterval;
      this.addReason(fullSync ? 'retry-full-sync' : 'incremental-failed');
      this.addFullReason(fullSync ? 'retry-full-sync' : 'incremental-failed');
      const error = thrown instanceof Error ? thrown.message : String(thrown);
      this.lastApply = { at: now, durationMs, fullSync, keys: keys.size, failed: keys.size, error };
      this.log?.error({ err: thrown, durationMs, fullSync, keys: keys.size, reason }, 'reconcile apply threw; full sync scheduled');
      return;
    }

    for (const [k, err] of outcome.failedKeys) {
      this.dirty.add(k);
      this.backoff.fail(k, err, end);
    }
    // Deferred keys were not attempted: dirty again, their backoff (if any) untouched.
    const deferred = new Set<string>();
    for (const k of outcome.deferredKeys ?? []) {
      if (outcome.failedKeys.has(k)) continue;
      deferred.add(k);
      this.dirty.add(k);
    }
    for (const k of keys) if (!outcome.failedKeys.has(k) && !deferred.has(k)) this.backoff.succeed(k);
    if (fullSync) {
      // A full sync reconciled everything: keys it did not report are in sync.
      for (const [k] of [...this.backoff.entries()]) if (!outcome.failedKeys.has(k) && !deferred.has(k)) this.backoff.succeed(k);
      this.lastFullSyncAt = now;
    }
    this.lastApply = {
      at: now,
      durationMs,
      fullSync,
      keys: keys.size,
      failed: outcome.failedKeys.size,
      ...(outcome.ops !== undefined ? { ops: outcome.ops } : {}),
      ...(deferred.size > 0 ? { deferred: deferred.size } : {}),
    };
    const summary = { durationMs, keys: keys.size, failed: outcome.failedKeys.size, fullSync, ops: outcome.ops, reason, ...(deferred.size > 0 ? { deferred: deferred.size } : {}) };
    if (outcome.failedKeys.size > 0) {
      this.log?.info({ ...summary, failedKeys: [...outcome.failedKeys.keys()].slice(0, 20) }, 'reconcile apply');
    } else {
      this.log?.info(summary, 'reconcile apply');
    }
  }
}
