/**
 * Prometheus metrics of one daemon (prom-client), all named `nucleon_*`.
 *
 * One registry per process (`metrics`, below); modules record through the small
 * hooks instead of touching prom-client, so the names and labels stay in this file.
 * Hooks never throw: a bad number is dropped, because a metrics call must not break
 * an apply or an RPC. Label values are bounded by construction (op kinds, RPC
 * method names, resource kinds), never resource ids.
 *
 * Durations come in milliseconds (what the callers measure) and are exported in
 * seconds, as Prometheus conventions want.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const APPLY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RPC_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type CountsByKind = Readonly<Record<string, number>>;

const usable = (n: number): boolean => Number.isFinite(n) && n >= 0;

export class Metrics {
  readonly registry: Registry;
  private readonly applies: Counter<'outcome'>;
  private readonly applyDuration: Histogram;
  private readonly opsApplied: Counter<'kind'>;
  private readonly opsFailed: Counter<'kind'>;
  private readonly rpcCalls: Counter<'method'>;
  private readonly rpcFailures: Counter<'method'>;
  private readonly rpcDuration: Histogram<'method'>;
  private readonly reconnects: Counter;
  private readonly managed: Gauge<'kind'>;
  private brokerConnected: (() => boolean) | undefined;
  private degradedKeys: (() => number) | undefined;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.applies = new Counter({ name: 'nucleon_applies_total', help: 'Reconcile applies run, by outcome (failed: at least one op failed)', labelNames: ['outcome'], registers });
    this.applyDuration = new Histogram({ name: 'nucleon_apply_duration_seconds', help: 'Duration of reconcile applies', buckets: APPLY_BUCKETS_S, registers });
    this.opsApplied = new Counter({ name: 'nucleon_ops_applied_total', help: 'Dataplane operations applied successfully, by op kind', labelNames: ['kind'], registers });
    this.opsFailed = new Counter({ name: 'nucleon_ops_failed_total', help: 'Dataplane operations that failed, by op kind', labelNames: ['kind'], registers });
    this.rpcCalls = new Counter({ name: 'nucleon_rpc_calls_total', help: 'RPC calls to neutron-server, by method', labelNames: ['method'], registers });
    this.rpcFailures = new Counter({ name: 'nucleon_rpc_call_failures_total', help: 'RPC calls that failed (error answer, timeout, lost connection), by method', labelNames: ['method'], registers });
    this.rpcDuration = new Histogram({ name: 'nucleon_rpc_call_duration_seconds', help: 'RPC call latency, by method', labelNames: ['method'], buckets: RPC_BUCKETS_S, registers });
    this.reconnects = new Counter({ name: 'nucleon_broker_reconnects_total', help: 'Broker connections re-established after a loss', registers });
    this.managed = new Gauge({ name: 'nucleon_resources_managed', help: 'Resources this daemon manages, by kind', labelNames: ['kind'], registers });
    // Read at scrape time only: no timers of our own in the daemon.
    new Gauge({ name: 'nucleon_process_resident_memory_bytes', help: 'Resident set size of the daemon process', registers, collect() { this.set(process.memoryUsage.rss()); } });
    new Gauge({ name: 'nucleon_process_heap_used_bytes', help: 'V8 heap in use by the daemon process', registers, collect() { this.set(process.memoryUsage().heapUsed); } });
    const self = this;
    new Gauge({ name: 'nucleon_broker_connected', help: '1 while connected to the broker', registers, collect() { if (self.brokerConnected) this.set(self.brokerConnected() ? 1 : 0); } });
    new Gauge({ name: 'nucleon_degraded_keys', help: 'Resource keys failing right now (backing off)', registers, collect() { if (self.degradedKeys) this.set(self.degradedKeys()); } });
  }

  /** One apply finished: its duration, the ops that succeeded and those that failed, by op kind. */
  applyObserved(durationMs: number, opsByKind: CountsByKind = {}, failedByKind: CountsByKind = {}): void {
    let failed = 0;
    for (const [kind, n] of Object.entries(failedByKind)) {
      if (!usable(n)) continue;
      failed += n;
      this.opsFailed.inc({ kind }, n);
    }
    for (const [kind, n] of Object.entries(opsByKind)) if (usable(n)) this.opsApplied.inc({ kind }, n);
    this.applies.inc({ outcome: failed > 0 ? 'failed' : 'ok' });
    if (usable(durationMs)) this.applyDuration.observe(durationMs / 1000);
  }

  /** One RPC call answered (ok) or failed. */
  rpcCall(method: string, durationMs: number, ok: boolean): void {
    this.rpcCalls.inc({ method });
    if (!ok) this.rpcFailures.inc({ method });
    if (usable(durationMs)) this.rpcDuration.observe({ method }, durationMs / 1000);
  }

  /** The broker connection came back after a loss. */
  reconnect(): void {
    this.reconnects.inc();
  }

  /** How many resources of one kind the daemon manages now (networks, ports, routers…). */
  resources(kind: string, n: number): void {
    if (usable(n)) this.managed.set({ kind }, n);
  }

  /** Gauges read at scrape time from the live objects (wired by startControl). */
  bind(sources: { brokerConnected?: () => boolean; degradedKeys?: () => number }): void {
    if (sources.brokerConnected) this.brokerConnected = sources.brokerConnected;
    if (sources.degradedKeys) this.degradedKeys = sources.degradedKeys;
  }

  /** Labels added to every sample, e.g. `{ agent: 'nucleon-dhcp-agent' }`. */
  setDefaultLabels(labels: Record<string, string>): void {
    this.registry.setDefaultLabels(labels);
  }

  /** The text exposition format, and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** The process's registry: import it where an apply, RPC call or reconnect happens. */
export const metrics = new Metrics();

/**
 * Op counts for `applyObserved` from what an apply ran and what failed (the
 * executor's `failed` list): succeeded = ran − failed, per kind. Structural types,
 * so any `{ kind }` op model fits.
 */
export function opCountsByKind(ran: ReadonlyArray<{ kind: string }>, failed: ReadonlyArray<{ op: { kind: string } }>): { applied: Record<string, number>; failed: Record<string, number> } {
  const applied: Record<string, number> = {};
  const bad: Record<string, number> = {};
  for (const o of ran) applied[o.kind] = (applied[o.kind] ?? 0) + 1;
  for (const f of failed) {
    bad[f.op.kind] = (bad[f.op.kind] ?? 0) + 1;
    applied[f.op.kind] = Math.max(0, (applied[f.op.kind] ?? 0) - 1);
  }
  for (const k of Object.keys(applied)) if (applied[k] === 0) delete applied[k];
  return { applied, failed: bad };
}
