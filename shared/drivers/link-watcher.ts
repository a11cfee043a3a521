/**
 * LinkWatcher: notices devices whose names start with a prefix (e.g. "tap") the
 * moment they appear, change or disappear, and never misses one.
 *
 * Contract
 * - Subscribes to RTNLGRP_LINK in the process's own network namespace (run the
 *   process under `ip netns exec` to watch another one), then does a full scan.
 *   Subscription first, scan second: nothing can fall between the two.
 * - Emits `change` events `{ added, removed, changed, full }` relative to the
 *   previous event (the state `snapshot()` returns). Level-triggered: a device
 *   created and deleted inside one coalescing window produces no event at all; a
 *   device deleted and recreated under the same name is reported as `changed`
 *   (its `index` differs).
 * - "changed" means mac, up, master, mtu or ifindex changed; operstate-only
 *   changes update the snapshot silently.
 * - Coalescing: notifications only mark names dirty; one event is emitted once
 *   `debounceMs` passed without notifications, at the latest `maxDelayMs` after the
 *   first pending one. A burst of 300 devices is a handful of events.
 * - Overflow (ENOBUFS, socket error, undecodable message) is logged once at warn
 *   and triggers a full rescan. Every full scan (start, overflow, periodic every
 *   `rescanIntervalMs`) diffs the dump against the last snapshot and emits an event
 *   with `full: true`, even when nothing changed (a liveness signal for consumers).
 *   Notifications that arrive while the dump runs are replayed on top of it, so a
 *   device deleted during the dump is not resurrected.
 * - A failing scan is logged at warn and retried after `scanRetryMs`; only the
 *   scan in `start()` rejects (and closes the subscription).
 * - Listeners run synchronously; one that throws is logged and does not stop the
 *   others or the watcher.
 * - `stop()` closes the socket and clears every timer: nothing keeps the process
 *   alive afterwards, and no event follows.
 */
import type { Logger } from '../logging/logger.js';
import type { CommandRunner } from '../exec/command-runner.js';
import { ExecaCommandRunner } from '../exec/command-runner.js';
import { systemClock, type Clock, type TimerHandle } from '../reconcile/clock.js';
import { IpLinkScanner } from './link-watcher-scan.js';
import { NetlinkLinkSource } from './link-watcher-netlink.js';
import type { LinkEventSink, LinkEventSource, LinkInfo, LinkRecord, LinkScanner, OverflowReason } from './link-watcher-types.js';

export type { LinkInfo, LinkRecord, LinkEventSource, LinkEventSink, LinkScanner, OverflowReason } from './link-watcher-types.js';

export interface LinkChangeEvent {
  added: LinkInfo[];
  removed: string[];
  changed: LinkInfo[];
  /** True when the event comes from a full scan (start, overflow, periodic). */
  full: boolean;
}

export type LinkChangeListener = (ev: LinkChangeEvent) => void;

export interface LinkWatcherOptions {
  /** Name prefix(es) of the devices to report, e.g. 'tap'. '' matches every device. */
  prefix: string | string[];
  logger: Logger;
  /** Periodic full scan, the safety net. Default 30000. */
  rescanIntervalMs?: number;
  /** Runs `ip -json link show` for the default scanner. Default: an ExecaCommandRunner. */
  runner?: CommandRunner;
  /** Quiet time that closes a burst. Default 15. */
  debounceMs?: number;
  /** Longest a notification waits before it is emitted. Default 100. */
  maxDelayMs?: number;
  /** Delay before retrying a failed scan. Default min(1000, rescanIntervalMs). */
  scanRetryMs?: number;
  /** SO_RCVBUF of the default netlink source. Default 4 MiB. */
  recvBufferSize?: number;
  /** Ports, for tests. Defaults: NetlinkLinkSource, IpLinkScanner, systemClock. */
  source?: LinkEventSource;
  scanner?: LinkScanner;
  clock?: Clock;
}

/** Compares the fields that make a device "changed". */
export function linkDiffers(a: LinkInfo, b: LinkInfo): boolean {
  return a.index !== b.index || a.mac !== b.mac || a.up !== b.up || a.master !== b.master || a.mtu !== b.mtu;
}

/**
 * Pure diff of two snapshots, restricted to `names` when given. Output arrays are
 * sorted by name.
 */
export function diffLinks(
  prev: ReadonlyMap<string, LinkInfo>,
  next: ReadonlyMap<string, LinkInfo>,
  names?: Iterable<string>,
): { added: LinkInfo[]; removed: string[]; changed: LinkInfo[] } {
  const keys = names !== undefined ? new Set(names) : new Set([...prev.keys(), ...next.keys()]);
  const added: LinkInfo[] = [];
  const removed: string[] = [];
  const changed: LinkInfo[] = [];
  for (const k of [...keys].sort()) {
    const p = prev.get(k);
    const n = next.get(k);
    if (p === undefined && n !== undefined) added.push(n);
    else if (p !== undefined && n === undefined) removed.push(k);
    else if (p !== undefined && n !== undefined && linkDiffers(p, n)) changed.push(n);
  }
  return { added, removed, changed };
}

export function prefixMatcher(prefix: string | readonly string[]): (name: string) => boolean {
  const list = typeof prefix === 'string' ? [prefix] : [...prefix];
  if (list.length === 0) throw new Error('LinkWatcher: at least one prefix is required');
  return (name) => list.some((p) => name.startsWith(p));
}

type State = 'new' | 'running' | 'stopped';

export class LinkWatcher {
  private readonly log: Logger;
  private readonly matches: (name: string) => boolean;
  private readonly source: LinkEventSource;
  private readonly scanner: LinkScanner;
  private readonly clock: Clock;
  private readonly rescanIntervalMs: number;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly scanRetryMs: number;
  private readonly listeners = new Set<LinkChangeListener>();

  private state: State = 'new';
  /** Live state of prefixed devices, updated per notification. */
  private current = new Map<string, LinkInfo>();
  /** ifindex → name for `current`. */
  private currentByIndex = new Map<number, string>();
  /** ifindex → name of every device seen (masters are resolved through it). */
  private names = new Map<number, string>();
  /** What the last event described: `snapshot()`. */
  private emitted = new Map<string, LinkInfo>();
  private readonly dirty = new Set<string>();

  private flushTimer: TimerHandle | undefined;
  private firstDirtyAt = 0;
  private lastDirtyAt = 0;
  private rescanTimer: TimerHandle | undefined;
  /** Notifications received while a scan runs: replayed over its result. */
  private scanLog: LinkRecord[] | undefined;
  private rescanQueued = false;
  private overflowWarned = false;

  constructor(opts: LinkWatcherOptions) {
    this.log = opts.logger;
    this.matches = prefixMatcher(opts.prefix);
    this.rescanIntervalMs = opts.rescanIntervalMs ?? 30_000;
    this.debounceMs = opts.debounceMs ?? 15;
    this.maxDelayMs = Math.max(opts.maxDelayMs ?? 100, this.debounceMs);
    this.scanRetryMs = opts.scanRetryMs ?? Math.min(1000, this.rescanIntervalMs);
    this.clock = opts.clock ?? systemClock;
    this.source = opts.source ?? new NetlinkLinkSource(opts.recvBufferSize !== undefined ? { recvBufferSize: opts.recvBufferSize } : {});
    this.scanner = opts.scanner ?? new IpLinkScanner({ runner: opts.runner ?? new ExecaCommandRunner({ logger: opts.logger }) });
  }

  on(event: 'change', listener: LinkChangeListener): this {
    if (event !== 'change') throw new Error(`LinkWatcher: unknown event ${String(event)}`);
    this.listeners.add(listener);
    return this;
  }

  off(event: 'change', listener: LinkChangeListener): this {
    if (event === 'change') this.listeners.delete(listener);
    return this;
  }

  /** The prefixed devices as of the last `change` event (a copy). */
  snapshot(): Map<string, LinkInfo> {
    return new Map(this.emitted);
  }

  /**
   * Subscribes, then scans. Resolves after the first `change` event (full: true,
   * every existing prefixed device in `added`). Rejects if subscribing or that
   * first scan fails; the watcher is then stopped.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('LinkWatcher: start() can be called once');
    this.state = 'running';
    const sink: LinkEventSink = {
      link: (rec) => this.onRecord(rec),
      overflow: (reason, err) => this.onOverflow(reason, err),
    };
    try {
      this.source.open(sink);
      await this.fullScan();
    } catch (err) {
      this.stop();
      throw err;
    }
    this.log.info({ links: this.emitted.size }, 'link watcher started');
  }

  /** Closes the subscription and clears all timers. Idempotent. */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.source.close();
    this.cancelFlush();
    if (this.rescanTimer !== undefined) this.clock.clearTimeout(this.rescanTimer);
    this.rescanTimer = undefined;
    this.scanLog = undefined;
    this.dirty.clear();
  }

  /** Requests a full rescan now (e.g. after the consumer suspects drift). */
  requestRescan(): void {
    if (this.state === 'running') this.rescan('requested');
  }

  // ---- notifications -------------------------------------------------------

  private onRecord(rec: LinkRecord): void {
    if (this.state !== 'running') return;
    this.scanLog?.push(rec);
    this.apply(rec);
    if (this.dirty.size > 0) this.scheduleFlush();
  }

  /** Applies one notification to `current`; marks touched prefixed names dirty. */
  private apply(rec: LinkRecord): void {
    if (rec.kind === 'del') {
      if (this.names.get(rec.index) === rec.name) this.names.delete(rec.index);
      const tracked = this.currentByIndex.get(rec.index);
      if (tracked !== undefined) this.forget(tracked);
      else if (this.current.get(rec.name)?.index === rec.index) this.forget(rec.name);
      return;
    }
    this.names.set(rec.index, rec.name);
    // Renamed: the ifindex is tracked under another name.
    const previousName = this.currentByIndex.get(rec.index);
    if (previousName !== undefined && previousName !== rec.name) this.forget(previousName);
    if (!this.matches(rec.name)) return;
    const old = this.current.get(rec.name);
    if (old !== undefined && old.index !== rec.index) this.currentByIndex.delete(old.index);
    const link: LinkInfo = { name: rec.name, index: rec.index, mac: rec.mac, up: rec.up, mtu: rec.mtu };
    if (rec.masterIndex !== undefined) link.master = this.names.get(rec.masterIndex) ?? rec.masterIndex;
    if (rec.operstate !== undefined) link.operstate = rec.operstate;
    this.current.set(rec.name, link);
    this.currentByIndex.set(rec.index, rec.name);
    this.dirty.add(rec.name);
  }

  private forget(name: string): void {
    const l = this.current.get(name);
    if (l !== undefined && this.currentByIndex.get(l.index) === name) this.currentByIndex.delete(l.index);
    this.current.delete(name);
    this.dirty.add(name);
  }

  private scheduleFlush(): void {
    const now = this.clock.now();
    this.lastDirtyAt = now;
    if (this.flushTimer !== undefined) return;
    this.firstDirtyAt = now;
    this.flushTimer = this.clock.setTimeout(() => this.onFlushTimer(), this.debounceMs);
  }

  /** Re-arms instead of resetting the timer per notification (cheap under bursts). */
  private onFlushTimer(): void {
    this.flushTimer = undefined;
    if (this.state !== 'running') return;
    const now = this.clock.now();
    const due = Math.min(this.lastDirtyAt + this.debounceMs, this.firstDirtyAt + this.maxDelayMs);
    if (now < due) {
      this.flushTimer = this.clock.setTimeout(() => this.onFlushTimer(), due - now);
      return;
    }
    this.flush(false);
  }

  private cancelFlush(): void {
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private flush(full: boolean): void {
    this.cancelFlush();
    const names = [...this.dirty];
    this.dirty.clear();
    const d = diffLinks(this.emitted, this.current, names);
    for (const l of d.added) this.emitted.set(l.name, l);
    for (const l of d.changed) this.emitted.set(l.name, l);
    for (const n of d.removed) this.emitted.delete(n);
    // Silent updates (operstate) still reach the snapshot.
    for (const n of names) {
      const c = this.current.get(n);
      if (c !== undefined) this.emitted.set(n, c);
    }
    if (!full && d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0) return;
    const ev: LinkChangeEvent = { ...d, full };
    this.log.debug({ added: d.added.length, removed: d.removed.length, changed: d.changed.length, full }, 'link change');
    for (const fn of [...this.listeners]) {
      try {
        fn(ev);
      } catch (err) {
        this.log.error({ err }, 'link change listener failed');
      }
    }
  }

  // ---- full scans ------------------------------------------------------------

  private onOverflow(reason: OverflowReason, err: unknown): void {
    if (this.state !== 'running') return;
    if (!this.overflowWarned) {
      this.overflowWarned = true;
      this.log.warn({ reason, err }, 'link notifications lost, full rescan');
    } else {
      this.log.debug({ reason }, 'link notifications lost again');
    }
    this.rescan(reason);
  }

  /** Starts a full scan, or queues one if a scan is running. Never rejects. */
  private rescan(reason: string): void {
    if (this.state !== 'running') return;
    if (this.scanLog !== undefined) {
      this.rescanQueued = true;
      return;
    }
    this.fullScan().catch((err: unknown) => {
      if (this.state !== 'running') return;
      this.log.warn({ err, reason }, 'link scan failed, retrying');
      this.armRescan(this.scanRetryMs);
    });
  }

  private armRescan(ms: number): void {
    if (this.rescanTimer !== undefined) this.clock.clearTimeout(this.rescanTimer);
    this.rescanTimer = this.clock.setTimeout(() => {
      this.rescanTimer = undefined;
      this.rescan('periodic');
    }, ms);
  }

  /** One dump → replace `current` → replay notifications seen meanwhile → full event. */
  private async fullScan(): Promise<void> {
    this.scanLog = [];
    let links: LinkInfo[];
    try {
      links = await this.scanner.scan();
    } catch (err) {
      this.scanLog = undefined;
      // The retry scan covers any rescan queued meanwhile.
      this.rescanQueued = false;
      throw err;
    }
    if (this.state !== 'running') return;
    const log = this.scanLog;
    this.scanLog = undefined;

    this.names = new Map(links.map((l) => [l.index, l.name]));
    const current = new Map<string, LinkInfo>();
    const byIndex = new Map<number, string>();
    for (const l of links) {
      if (!this.matches(l.name)) continue;
      current.set(l.name, l);
      byIndex.set(l.index, l.name);
    }
    for (const n of this.emitted.keys()) this.dirty.add(n);
    for (const n of current.keys()) this.dirty.add(n);
    this.current = current;
    this.currentByIndex = byIndex;
    for (const rec of log ?? []) this.apply(rec);
    this.flush(true);
    this.overflowWarned = false;
    this.armRescan(this.rescanIntervalMs);
    if (this.rescanQueued) {
      this.rescanQueued = false;
      this.rescan('queued');
    }
  }
}
