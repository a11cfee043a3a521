/**
 * Request counters for /status and the nucleon_metadata_* Prometheus series,
 * registered on the daemon's shared registry (label values bounded: HTTP status
 * codes and cache results, never ids or addresses).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LookupCache } from './cache/resilient.js';

export class MetadataStats {
  requests = 0;
  readonly byStatus: Record<string, number> = {};
  novaErrors = 0;
  private readonly requestsTotal: Counter<'code'> | undefined;
  private readonly novaFailures: Counter | undefined;

  constructor(private readonly registry?: Registry) {
    if (!registry) return;
    const registers = [registry];
    this.requestsTotal = new Counter({ name: 'nucleon_metadata_requests_total', help: 'Metadata requests answered, by HTTP status', labelNames: ['code'], registers });
    this.novaFailures = new Counter({ name: 'nucleon_metadata_nova_failures_total', help: 'Requests to Nova that failed (unreachable, timeout, unexpected status)', registers });
  }

  /** Cache series read at scrape time from the cache's own counters. */
  bindCache(cache: LookupCache): void {
    if (!this.registry) return;
    const registers = [this.registry];
    new Counter({
      name: 'nucleon_metadata_cache_lookups_total', help: 'Instance lookups in the cache, by result (bypass: cache unreachable)', labelNames: ['result'], registers,
      collect() {
        this.reset();
        const c = cache.counters;
        this.inc({ result: 'hit' }, c.hits);
        this.inc({ result: 'miss' }, c.misses);
        this.inc({ result: 'bypass' }, c.bypassed);
      },
    });
    new Gauge({ name: 'nucleon_metadata_cache_up', help: '1 while the cache answers (0: down or disabled)', registers, collect() { this.set(cache.state() === 'up' ? 1 : 0); } });
  }

  answered(status: number): void {
    this.requests++;
    const code = String(status);
    this.byStatus[code] = (this.byStatus[code] ?? 0) + 1;
    this.requestsTotal?.inc({ code });
  }

  novaFailed(): void {
    this.novaErrors++;
    this.novaFailures?.inc();
  }
}
