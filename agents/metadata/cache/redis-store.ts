/**
 * Redis adaptor on ioredis. Chosen so that a dead Redis never slows a metadata
 * request: no offline queue (commands fail at once while disconnected), one try
 * per command, a short command timeout, and reconnects in the background (capped
 * backoff). Availability follows ioredis' `ready` / `close` events.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { CacheStore } from './store.js';

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL, or a unix socket path with `path`. */
  url?: string;
  options?: RedisOptions;
  /** Per-command deadline; a request waits at most this long for the cache. */
  commandTimeoutMs?: number;
}

export class RedisStore implements CacheStore {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private up = false;
  private readonly listeners: Array<(up: boolean) => void> = [];

  constructor(o: RedisStoreOptions) {
    const opts: RedisOptions = {
      ...o.options,
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: o.commandTimeoutMs ?? 250,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    };
    this.client = o.url ? new Redis(o.url, opts) : new Redis(opts);
    this.client.on('ready', () => this.flip(true));
    this.client.on('close', () => this.flip(false));
    // Errors are reported through availability; an 'error' without listener would throw.
    this.client.on('error', () => this.flip(false));
  }

  private flip(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    for (const fn of this.listeners) fn(up);
  }

  async get(key: string): Promise<string | undefined> {
    const v = await this.client.get(key);
    return v ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (ttlMs > 0) await this.client.set(key, value, 'PX', ttlMs);
    else await this.client.set(key, value);
  }

  available(): boolean { return this.up; }

  onAvailability(fn: (up: boolean) => void): void { this.listeners.push(fn); }

  async close(): Promise<void> {
    this.client.disconnect(false);
  }
}
