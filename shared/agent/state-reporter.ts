/**
 * report_state to q-reports-plugin, the way the Python agents do it (PROTOCOL.md B3):
 * - the body is `{agent_state: {agent_state: {...state, uuid}}, time}` (nested twice,
 *   a fresh uuid per report so server and agent logs can be matched);
 * - `start_flag: true` (and, for L2 agents, `resource_versions`) until the first
 *   report the server accepted; the OVS agent keeps start_flag until its first full
 *   sync is done, so the caller can hold it with `holdStartFlag`;
 * - the call's timeout is report_interval (Python passes it explicitly, which also
 *   turns off neutron-lib's timeout doubling for this method);
 * - "revived" means the server had us dead: the agent must resync everything.
 *
 * Reports never overlap: a tick that finds one in flight is skipped. After a failure
 * the next attempt comes after a random 50–100 % of the interval, so a fleet of agents
 * does not stampede a neutron-server that just came back, while staying well inside
 * agent_down_time (75 s by default, 2.5 × report_interval).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { isoTimeUtc, type ReportStateResult } from './constants.js';

/** The slice of OsloRpcClient the reporter needs (q-reports-plugin, version 1.2). */
export interface ReportStateTransport {
  call<T = unknown>(method: string, args: Record<string, unknown>, opts?: { timeoutMs?: number; version?: string }): Promise<T>;
  cast(method: string, args: Record<string, unknown>, opts?: { version?: string }): Promise<void>;
}

/** What an agent says about itself; configurations is re-read before every report. */
export interface AgentStateTemplate {
  binary: string;
  host: string;
  topic: string;
  agent_type: string;
  availability_zone?: string;
  configurations: Record<string, unknown>;
}

export interface ReportTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): Date;
}

const realTimers: ReportTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => new Date(),
};

export interface AgentStateReporterOptions {
  transport: ReportStateTransport;
  /** report_interval in ms; 0 disables reporting, as in Python. */
  intervalMs: number;
  state: () => AgentStateTemplate;
  /** Sent with the first reports until one succeeds (L2 agents only). */
  resourceVersions?: Readonly<Record<string, string>>;
  /** Metadata agent: call while start_flag is set, then cast. */
  castAfterStart?: boolean;
  /** Keep start_flag until releaseStartFlag() (OVS: until the first full sync). */
  holdStartFlag?: boolean;
  onRevived?: () => void;
  /** After the first accepted report (the DHCP agent starts its first sync there). */
  onFirstReport?: () => void;
  logger: Logger;
  timers?: ReportTimers;
  random?: () => number;
}

export interface ReportStatus {
  reports: number;
  consecutiveFailures: number;
  lastResult: ReportStateResult | 'cast' | undefined;
  lastReportAt: string | undefined;
  lastAttemptAt: string | undefined;
  lastError: string | undefined;
  startFlag: boolean;
}

export class AgentStateReporter {
  private readonly opts: AgentStateReporterOptions;
  private readonly timers: ReportTimers;
  private readonly random: () => number;
  private timer: unknown;
  private inFlight = false;
  private stopped = true;
  private startFlag = true;
  private startFlagHeld: boolean;
  private sendResourceVersions: boolean;
  private firstReportDone = false;
  private readonly st: ReportStatus;

  constructor(opts: AgentStateReporterOptions) {
    this.opts = opts;
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.startFlagHeld = opts.holdStartFlag ?? false;
    this.sendResourceVersions = opts.resourceVersions !== undefined;
    this.st = { reports: 0, consecutiveFailures: 0, lastResult: undefined, lastReportAt: undefined, lastAttemptAt: undefined, lastError: undefined, startFlag: true };
  }

  /** Reports at once, then every interval. */
  start(): void {
    if (this.opts.intervalMs <= 0) {
      this.opts.logger.warn({ report_interval: 0 }, 'report_interval is 0: state reporting disabled, the server will list this agent as dead');
      return;
    }
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** OVS agent: the first full sync is done, later reports drop start_flag. */
  releaseStartFlag(): void {
    this.startFlagHeld = false;
    if (this.firstReportDone) this.startFlag = false;
  }

  status(): ReportStatus {
    return { ...this.st, startFlag: this.startFlag };
  }

  /** One report now; resolves when it is answered or failed. Exposed for tests. */
  async reportOnce(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    const now = this.timers.now();
    this.st.lastAttemptAt = now.toISOString();
    const base = this.opts.state();
    const agentState: Record<string, unknown> = { ...base, configurations: { ...base.configurations } };
    if (this.sendResourceVersions && this.opts.resourceVersions) agentState['resource_versions'] = { ...this.opts.resourceVersions };
    if (this.startFlag) agentState['start_flag'] = true;
    agentState['uuid'] = randomUUID();
    const args = { agent_state: { agent_state: agentState }, time: isoTimeUtc(now) };
    const useCall = !(this.opts.castAfterStart && !this.startFlag);
    const log = this.opts.logger;
    try {
      let result: ReportStateResult | 'cast';
      if (useCall) {
        const answer = await this.opts.transport.call<unknown>('report_state', args, { timeoutMs: this.opts.intervalMs, version: '1.2' });
        result = parseResult(answer);
      } else {
        await this.opts.transport.cast('report_state', args, { version: '1.2' });
        result = 'cast';
      }
      this.onSuccess(result);
    } catch (err) {
      this.st.consecutiveFailures += 1;
      this.st.lastError = err instanceof Error ? err.message : String(err);
      // One line per failed report: an absent server or broker shows as a steady retry loop.
      log.error({ err, failures: this.st.consecutiveFailures, start_flag: this.startFlag }, 'failed reporting state to neutron-server, will retry');
      throw err;
    } finally {
      this.inFlight = false;
    }
  }

  private onSuccess(result: ReportStateResult | 'cast'): void {
    const log = this.opts.logger;
    if (this.st.consecutiveFailures > 0) log.info({ failures: this.st.consecutiveFailures }, 'reported state after previous failures');
    this.st.consecutiveFailures = 0;
    this.st.lastError = undefined;
    this.st.reports += 1;
    this.st.lastResult = result;
    this.st.lastReportAt = this.timers.now().toISOString();
    const first = !this.firstReportDone;
    this.firstReportDone = true;
    this.sendResourceVersions = false;
    if (!this.startFlagHeld) this.startFlag = false;
    if (first) log.info({ result }, 'registered with neutron-server');
    else log.debug({ result }, 'reported state');
    if (result === 'revived') {
      log.warn('neutron-server says this agent was dead and is revived: full resync');
      this.opts.onRevived?.();
    }
    if (first) this.opts.onFirstReport?.();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.reportOnce().then(
        () => this.schedule(this.opts.intervalMs),
        () => this.schedule(Math.round(this.opts.intervalMs * (0.5 + this.random() * 0.5))),
      );
    }, delayMs);
  }
}

function parseResult(answer: unknown): ReportStateResult {
  // Null when the report's time predates the server's start (neutron drops stale reports).
  if (answer === null || answer === undefined) return null;
  if (answer === 'new' || answer === 'alive' || answer === 'revived') return answer;
  throw new Error(`unexpected report_state answer: ${JSON.stringify(answer).slice(0, 200)}`);
}
