/**
 * The metadata agent's control provider: status carries requests served, cache
 * hits/misses/bypasses and the cache state; health is degraded while a
 * configured cache is down (requests are still answered, each costing an RPC).
 * There is no dataplane here, hence no diff or trace.
 */
import type { ControlProvider } from '../../shared/control/index.js';
import type { MetadataService } from './service.js';

export function metadataProvider(o: { agentType: string; host: string; daemon: string; service: MetadataService }): ControlProvider {
  return {
    agentType: o.agentType,
    host: o.host,
    daemon: o.daemon,
    status: () => o.service.status(),
    health: () => (o.service.cache.state() === 'down'
      ? { state: 'degraded', failing: [{ key: 'cache', error: 'metadata cache unreachable', attempts: o.service.cache.counters.bypassed }] }
      : { state: 'ok', failing: [] }),
    // Nothing to resync: lookups are per request.
    resync: () => undefined,
  };
}
