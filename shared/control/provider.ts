/**
 * What a daemon plugs into its control socket. The control module knows the shared
 * pieces (report_state, broker connection, reconcile runner); everything specific to
 * one agent's dataplane comes through this interface.
 *
 * Contract:
 * - `status()` and `health()` are cheap and synchronous: in-memory state only, no
 *   kernel reads (they are polled by `nucleon status` and by monitoring).
 * - `diff()` is a dry run: it may read the kernel, it must not write anything.
 * - `trace(id)` returns what the agent holds about one resource id (desired state,
 *   kernel objects found); unknown ids give an empty object, not an error.
 * - `resync(reason)` only requests a full sync (marks dirty, pokes the runner); it is
 *   the one state-changing request the socket accepts.
 * Any of them may throw: the server turns that into a 500 answer and goes on.
 */

export type HealthState = 'ok' | 'degraded' | 'down';

export interface FailingKey {
  key: string;
  error: string;
  attempts: number;
}

export interface HealthReport {
  state: HealthState;
  failing: FailingKey[];
}

/** One pending change, readable: `{ key: 'port:1f3c…', op: 'link.add', description: 'tap1f3c… master brq…' }`. */
export interface DiffEntry {
  key: string;
  op: string;
  description: string;
}

export interface ControlProvider {
  /** neutron agent_type, e.g. "DHCP agent". */
  agentType: string;
  host: string;
  /** Daemon name, e.g. "nucleon-dhcp-agent". */
  daemon: string;
  /** Agent-specific extras for /status (resources known, …). */
  status(): Record<string, unknown>;
  health(): HealthReport;
  diff?(): Promise<DiffEntry[]>;
  trace?(id: string): Promise<Record<string, unknown>>;
  resync(reason: string): void;
}
