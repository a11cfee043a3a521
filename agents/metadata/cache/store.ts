/**
 * The cache port: string values with a TTL. Two adaptors: MemoryStore (this
 * process) and RedisStore (shared, survives agent restarts). A store may be
 * unavailable (Redis down); ResilientCache decides what that means for a request.
 */

export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** undefined = miss. Rejects when the backend cannot answer. */
  get(key: string): Promise<string | undefined>;
  /** ttlMs <= 0: no expiry (dogpile's expiration_time -1). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** false while the backend is known to be unreachable: callers skip it instead of waiting. */
  available(): boolean;
  /** Called on every availability change. */
  onAvailability(fn: (up: boolean) => void): void;
  close(): Promise<void>;
}

/** A bounded Map with per-entry deadlines; the oldest entries go first when full. */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, { value: string; until: number }>();

  constructor(private readonly maxEntries = 10_000, private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<string | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, until: ttlMs > 0 ? this.now() + ttlMs : Number.POSITIVE_INFINITY });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  get size(): number { return this.entries.size; }
  available(): boolean { return true; }
  onAvailability(): void { /* always up */ }
  async close(): Promise<void> { this.entries.clear(); }
}
