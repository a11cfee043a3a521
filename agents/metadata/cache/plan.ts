/**
 * `[cache]` (oslo.cache 3.2, as the Python agent reads it) → which store to use.
 *
 * - `enabled = false` (oslo's default): no cache, as in Neutron; concurrent
 *   identical lookups are still merged into one RPC (see lookup.ts).
 * - `backend = dogpile.cache.redis`: Redis through ioredis, with dogpile's
 *   arguments from `backend_argument = <name>:<value>`: `url` (redis://, rediss://,
 *   unix://path?db=N, as redis-py's from_url), else `host`, `port`, `db`,
 *   `password`; `socket_timeout` (seconds) bounds each cache command.
 * - `dogpile.cache.null`: no cache (dogpile's null backend stores nothing).
 * - any other backend (memory, dict, memcache, mongo, etcd…): a cache in this
 *   process. nucleon speaks no memcache; the daemon logs which backend it replaced.
 * TTL: `expiration_time` seconds for every entry (dogpile's region expiry).
 */
import { ConfigError } from '../../../shared/config/index.js';
import type { RedisOptions } from 'ioredis';

export type CachePlan =
  | { kind: 'none'; reason: 'disabled' | 'null-backend' }
  | { kind: 'memory'; ttlMs: number; replaces: string | null }
  | { kind: 'redis'; ttlMs: number; url: string | null; options: RedisOptions; display: string; commandTimeoutMs: number };

export interface CacheSection {
  enabled: boolean;
  backend: string;
  expiration_time: number;
  backend_argument: readonly string[] | null;
}

const MEMORY_BACKENDS = new Set(['dogpile.cache.memory', 'dogpile.cache.memory_pickle', 'oslo_cache.dict']);

function bad(item: string, reason: string): ConfigError {
  const shown = item.replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/^password:.*/, 'password:***');
  return new ConfigError('CONFIG_VALUE', `[cache] backend_argument = "${shown}": ${reason}`, { section: 'cache', option: 'backend_argument', value: shown, reason });
}

/** Parses `name:value` items; later items win, as dogpile's dict does. */
export function backendArguments(items: readonly string[] | null): Map<string, string> {
  const args = new Map<string, string>();
  for (const item of items ?? []) {
    const i = item.indexOf(':');
    // oslo.cache logs and skips an item without ':'; so do we (nothing to log it with here).
    if (i < 0) continue;
    args.set(item.slice(0, i), item.slice(i + 1));
  }
  return args;
}

/** The URL with its password masked, for logs and /status. */
export function maskRedisUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

export function planCache(c: CacheSection): CachePlan {
  if (!c.enabled) return { kind: 'none', reason: 'disabled' };
  if (c.backend === 'dogpile.cache.null') return { kind: 'none', reason: 'null-backend' };
  const ttlMs = c.expiration_time > 0 ? c.expiration_time * 1000 : 0;
  if (c.backend !== 'dogpile.cache.redis') return { kind: 'memory', ttlMs, replaces: MEMORY_BACKENDS.has(c.backend) ? null : c.backend };
  const args = backendArguments(c.backend_argument);
  const timeoutRaw = args.get('socket_timeout');
  const commandTimeoutMs = timeoutRaw !== undefined ? Number(timeoutRaw) * 1000 : 250;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) throw bad(`socket_timeout:${timeoutRaw}`, 'expected a positive number of seconds');
  const url = args.get('url');
  if (url !== undefined) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw bad(`url:${url}`, 'not a URL');
    }
    if (u.protocol === 'unix:') {
      const db = Number(u.searchParams.get('db') ?? '0');
      if (!Number.isInteger(db) || db < 0) throw bad(`url:${url}`, 'db must be a non-negative integer');
      return { kind: 'redis', ttlMs, url: null, options: { path: u.pathname, db, ...(u.password ? { password: decodeURIComponent(u.password) } : {}) }, display: maskRedisUrl(url), commandTimeoutMs };
    }
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`url:${url}`, 'expected redis://, rediss:// or unix://');
    return { kind: 'redis', ttlMs, url, options: {}, display: maskRedisUrl(url), commandTimeoutMs };
  }
  const host = args.get('host') ?? 'localhost';
  const port = Number(args.get('port') ?? '6379');
  const db = Number(args.get('db') ?? '0');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port:${args.get('port')}`, 'expected a port number');
  if (!Number.isInteger(db) || db < 0) throw bad(`db:${args.get('db')}`, 'expected a non-negative integer');
  const password = args.get('password');
  return { kind: 'redis', ttlMs, url: null, options: { host, port, db, ...(password ? { password } : {}) }, display: `redis://${password ? ':***@' : ''}${host}:${port}/${db}`, commandTimeoutMs };
}
