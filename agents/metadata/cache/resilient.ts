/**
 * What the lookup sees of the cache: hits, misses, and "bypass" while the store is
 * unreachable. A broken cache never fails a request: the lookup just asks
 * neutron-server. The transition is logged once each way (down, back), not per
 * request, and counted for /status and /metrics.
 */
import type { Logger } from '../../../shared/logging/logger.js';
import type { CacheStore } from './store.js';

/** How long a store may take to connect at start before it counts as down. */
const STARTUP_GRACE_MS = 2500;

export interface CacheCounters { hits: number; misses: number; bypassed: number; errors: number }

export interface LookupCache {
  /** undefined: not cached (miss, or the store could not answer). */
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  readonly counters: Readonly<CacheCounters>;
  state(): 'disabled' | 'up' | 'down';
  backend(): 'none' | 'memory' | 'redis';
  close(): Promise<void>;
}

/** [cache] enabled = false (Neutron's default): every lookup asks the server. */
export class NoCache implements LookupCache {
  readonly counters: CacheCounters = { hits: 0, misses: 0, bypassed: 0, errors: 0 };
  async get(): Promise<string | undefined> { this.counters.misses++; return undefined; }
  async set(): Promise<void> { /* nothing kept */ }
  state(): 'disabled' { return 'disabled'; }
  backend(): 'none' { return 'none'; }
  async close(): Promise<void> { /* nothing */ }
}

export class ResilientCache implements LookupCache {
  readonly counters: CacheCounters = { hits: 0, misses: 0, bypassed: 0, errors: 0 };
  private down = false;
  private downAt = 0;

  /**
   * `probeAfterMs`: after a failed command on a connection that still looks up
   * (a timeout, say), one request per interval tries the store again; a closed
   * connection comes back through the store's availability event instead.
   */
  constructor(
    private readonly store: CacheStore,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly display: string = store.kind,
    private readonly probeAfterMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    store.onAvailability((up) => (up ? this.markUp() : this.markDown()));
    this.startedAt = now();
    // A store still connecting is not "down" yet; one that has not come up within
    // the grace period is, and says so even if no request arrived meanwhile.
    if (!store.available()) {
      setTimeout(() => { if (!store.available()) this.markDown(); }, STARTUP_GRACE_MS).unref();
    }
  }

  private readonly startedAt: number;

  private markDown(err?: unknown): void {
    this.downAt = this.now();
    if (this.down) return;
    this.down = true;
    this.log.warn({ cache: this.display, ...(err ? { err } : {}) }, 'metadata cache unreachable: serving without it (every lookup asks neutron-server)');
  }

  private markUp(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info({ cache: this.display }, 'metadata cache reachable again');
  }

  private usable(): boolean {
    if (!this.store.available()) {
      if (this.down || this.now() - this.startedAt >= STARTUP_GRACE_MS) this.markDown();
      return false;
    }
    if (!this.down) return true;
    if (this.now() - this.downAt < this.probeAfterMs) return false;
    this.downAt = this.now(); // this request is the probe; others keep bypassing
    return true;
  }

  async get(key: string): Promise<string | undefined> {
    if (!this.usable()) {
      this.counters.bypassed++;
      return undefined;
    }
    try {
      const v = await this.store.get(key);
      this.markUp();
      if (v === undefined) this.counters.misses++;
      else this.counters.hits++;
      return v;
    } catch (err) {
      this.counters.errors++;
      this.counters.bypassed++;
      this.markDown(err);
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    if (this.down || !this.store.available()) return;
    try {
      await this.store.set(key, value, this.ttlMs);
    } catch (err) {
      this.counters.errors++;
      this.markDown(err);
    }
  }

  state(): 'up' | 'down' { return this.down ? 'down' : 'up'; }
  backend(): 'memory' | 'redis' { return this.store.kind; }
  close(): Promise<void> { return this.store.close(); }
}
