/**
 * Assembles the metadata proxy from its options and ports (the get_ports API, a
 * logger, a metrics registry): cache plan → store, lookup, Nova client, handler,
 * unix-socket server. main.ts supplies the RPC-backed ports; tests may supply fakes.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/logging/logger.js';
import { planCache, type CachePlan, type CacheSection } from './cache/plan.js';
import { RedisStore } from './cache/redis-store.js';
import { MemoryStore } from './cache/store.js';
import { NoCache, ResilientCache, type LookupCache } from './cache/resilient.js';
import { MetadataHandler } from './handler.js';
import { InstanceLookup } from './lookup.js';
import { NovaClient, type NovaOptions } from './nova.js';
import type { PortsApi } from './plugin-api.js';
import { MetadataServer } from './server.js';
import { instanceSigner } from './sign.js';
import { currentIdentity, socketModeBits, type SocketMode } from './socket-mode.js';
import { MetadataStats } from './stats.js';

export interface MetadataServiceOptions {
  socketPath: string;
  socketMode: SocketMode;
  proxyUser: string;
  proxyGroup: string;
  backlog: number;
  nova: NovaOptions;
  sharedSecret: string;
  cache: CacheSection;
  ports: PortsApi;
  logger: Logger;
  registry?: Registry;
  /** Cache keys start with this (tests isolate runs sharing one Redis). */
  cacheKeyPrefix?: string;
}

export interface MetadataService {
  listen(): Promise<void>;
  close(): Promise<void>;
  status(): Record<string, unknown>;
  readonly cache: LookupCache;
  readonly stats: MetadataStats;
  readonly lookup: InstanceLookup;
  readonly plan: CachePlan;
}

function buildCache(plan: CachePlan, log: Logger): LookupCache {
  switch (plan.kind) {
    case 'none': return new NoCache();
    case 'memory': return new ResilientCache(new MemoryStore(), plan.ttlMs, log);
    case 'redis': return new ResilientCache(new RedisStore({ ...(plan.url ? { url: plan.url } : {}), options: plan.options, commandTimeoutMs: plan.commandTimeoutMs }), plan.ttlMs, log, plan.display);
  }
}

export function createMetadataService(o: MetadataServiceOptions): MetadataService {
  const log = o.logger.child({ component: 'metadata' });
  const plan = planCache(o.cache);
  if (plan.kind === 'memory' && plan.replaces) log.warn({ backend: plan.replaces }, 'cache backend not supported by nucleon: caching in this process instead');
  log.info({ cache: plan.kind, ...(plan.kind === 'redis' ? { url: plan.display } : {}), ttlS: plan.kind === 'none' ? undefined : plan.ttlMs / 1000 }, 'metadata lookup cache');
  const cache = buildCache(plan, log);
  const stats = new MetadataStats(o.registry);
  stats.bindCache(cache);
  const lookup = new InstanceLookup(o.ports, cache, o.cacheKeyPrefix);
  const nova = new NovaClient(o.nova, instanceSigner(o.sharedSecret));
  const handler = new MetadataHandler({ lookup, nova, stats, logger: log });
  const mode = socketModeBits(o.socketMode, o.proxyUser, o.proxyGroup, currentIdentity());
  const server = new MetadataServer({ socketPath: o.socketPath, mode, backlog: o.backlog, handler });
  return {
    cache, stats, lookup, plan,
    async listen() {
      await server.listen();
      log.info({ socket: o.socketPath, mode: `0${mode.toString(8)}`, nova: nova.url('/') }, 'serving metadata');
    },
    async close() {
      await server.close();
      nova.close();
      await cache.close();
    },
    status: () => ({
      socket: o.socketPath,
      requests: { total: stats.requests, byStatus: { ...stats.byStatus }, novaFailures: stats.novaErrors },
      getPortsCalls: lookup.rpcCalls,
      cache: { backend: cache.backend(), state: cache.state(), ...(plan.kind === 'redis' ? { url: plan.display } : {}), ...cache.counters },
    }),
  };
}
