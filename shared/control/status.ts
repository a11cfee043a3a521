/**
 * /status and /healthz from the pieces the control module is handed: the provider,
 * the report_state loop, the broker connection and the reconcile runner. Those are
 * typed `unknown` at this boundary (the control module must not depend on their
 * classes), so their status objects are read field by field with type checks: a
 * field that is missing or of another type is reported as absent, never trusted.
 */
import type { ControlProvider, FailingKey, HealthReport, HealthState } from './provider.js';

export interface StatusSources {
  provider: ControlProvider;
  reporter?: { status(): unknown } | undefined;
  connection?: { connected: boolean } | undefined;
  runner?: { status(): unknown } | undefined;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
  startedAt?: number;
}

export interface ReportSummary {
  last_result: string | null;
  last_report_at: string | null;
  last_attempt_at: string | null;
  consecutive_failures: number;
  last_error: string | null;
}

export interface ApplySummary {
  at: string;
  duration_ms: number;
  full_sync: boolean;
  keys: number | null;
  ops: number | null;
  failed: number | null;
  error: string | null;
}

export interface ReconcileSummary {
  last_full_sync_at: string | null;
  last_apply: ApplySummary | null;
  dirty_keys: number | null;
  running: boolean | null;
}

export interface StatusDocument {
  daemon: string;
  agent_type: string;
  host: string;
  pid: number;
  uptime_s: number;
  broker: { connected: boolean } | null;
  report_state: ReportSummary | null;
  reconcile: ReconcileSummary | null;
  health: HealthReport;
  agent: Record<string, unknown>;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
/** The runner's times are epoch ms (systemClock); shown as ISO strings. */
const isoOf = (v: unknown): string | null => {
  const n = num(v);
  return n === null ? null : new Date(n).toISOString();
};

export function summarizeReport(raw: unknown): ReportSummary | null {
  if (!isRec(raw)) return null;
  const result = raw['lastResult'];
  return {
    // null is a real answer (a stale report the server dropped); undefined means none yet.
    last_result: result === null ? 'null' : str(result),
    last_report_at: str(raw['lastReportAt']),
    last_attempt_at: str(raw['lastAttemptAt']),
    consecutive_failures: num(raw['consecutiveFailures']) ?? 0,
    last_error: str(raw['lastError']),
  };
}

export function summarizeRunner(raw: unknown): ReconcileSummary | null {
  if (!isRec(raw)) return null;
  const la = raw['lastApply'];
  let lastApply: ApplySummary | null = null;
  if (isRec(la) && num(la['at']) !== null) {
    lastApply = {
      at: isoOf(la['at']) as string,
      duration_ms: num(la['durationMs']) ?? 0,
      full_sync: bool(la['fullSync']) ?? false,
      keys: num(la['keys']),
      ops: num(la['ops']),
      failed: num(la['failed']),
      error: str(la['error']),
    };
  }
  return { last_full_sync_at: isoOf(raw['lastFullSyncAt']), last_apply: lastApply, dirty_keys: num(raw['dirtyKeys']), running: bool(raw['running']) };
}

/** The runner's backing-off keys as failing keys. */
export function runnerFailing(raw: unknown): FailingKey[] {
  if (!isRec(raw) || !Array.isArray(raw['degraded'])) return [];
  const out: FailingKey[] = [];
  for (const d of raw['degraded'] as unknown[]) {
    if (!isRec(d) || typeof d['key'] !== 'string') continue;
    out.push({ key: d['key'], error: str(d['lastError']) ?? 'unknown error', attempts: num(d['attempts']) ?? 0 });
  }
  return out;
}

const RANK: Record<HealthState, number> = { ok: 0, degraded: 1, down: 2 };

/**
 * Health = the worst of: the provider's own verdict; the runner's failing keys
 * (degraded); the broker connection being down (degraded, key `broker`); failed
 * report_state calls (degraded, key `report_state`). `down` only comes from the
 * provider (or from a provider that throws): the control plane retries by itself,
 * the dataplane may still be forwarding.
 */
export function computeHealth(src: StatusSources): HealthReport {
  let base: HealthReport;
  try {
    const h = src.provider.health();
    base = { state: h.state in RANK ? h.state : 'down', failing: Array.isArray(h.failing) ? [...h.failing] : [] };
  } catch (err) {
    base = { state: 'down', failing: [{ key: 'agent', error: `health check failed: ${err instanceof Error ? err.message : String(err)}`, attempts: 0 }] };
  }
  const extra: FailingKey[] = [];
  if (src.runner) extra.push(...runnerFailing(safeStatus(src.runner)));
  if (src.connection && !src.connection.connected) extra.push({ key: 'broker', error: 'not connected to the message broker', attempts: 0 });
  const rep = src.reporter ? summarizeReport(safeStatus(src.reporter)) : null;
  if (rep && rep.consecutive_failures > 0) extra.push({ key: 'report_state', error: rep.last_error ?? 'report_state failed', attempts: rep.consecutive_failures });
  const seen = new Set(base.failing.map((f) => f.key));
  for (const f of extra) if (!seen.has(f.key)) { seen.add(f.key); base.failing.push(f); }
  let state = base.state;
  if (base.failing.length > 0 && RANK[state] < RANK.degraded) state = 'degraded';
  return { state, failing: base.failing };
}

export function buildStatus(src: StatusSources): StatusDocument {
  const now = src.now?.() ?? Date.now();
  let agent: Record<string, unknown>;
  try {
    agent = src.provider.status();
  } catch (err) {
    agent = { error: `status failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  return {
    daemon: src.provider.daemon,
    agent_type: src.provider.agentType,
    host: src.provider.host,
    pid: process.pid,
    uptime_s: Math.max(0, Math.round((now - (src.startedAt ?? now)) / 1000)),
    broker: src.connection ? { connected: src.connection.connected } : null,
    report_state: src.reporter ? summarizeReport(safeStatus(src.reporter)) : null,
    reconcile: src.runner ? summarizeRunner(safeStatus(src.runner)) : null,
    health: computeHealth(src),
    agent,
  };
}

/** A status() that throws reads as absent rather than failing the whole answer. */
function safeStatus(s: { status(): unknown }): unknown {
  try {
    return s.status();
  } catch {
    return undefined;
  }
}
