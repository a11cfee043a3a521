/**
 * startControl: the one call a daemon makes (from runAgent) to serve its control
 * socket. It ties the shared pieces (report_state loop, broker connection, reconcile
 * runner, recent log lines) and the agent's provider to a ControlServer, labels the
 * process's metrics with the daemon name, and binds the broker/health gauges.
 */
import type { Logger } from '../logging/logger.js';
import { metrics as processMetrics, type Metrics } from './metrics.js';
import type { ControlProvider } from './provider.js';
import type { RecentLines } from './routes.js';
import { ControlServer } from './server.js';
import { computeHealth, type StatusSources } from './status.js';

export interface StartControlOptions {
  socketPath: string;
  /** `[nucleon] metrics_address`; unset/null: no TCP listener. */
  metricsAddress?: string | null | undefined;
  provider: ControlProvider;
  reporter?: { status(): unknown } | undefined;
  connection?: { connected: boolean } | undefined;
  runner?: { status(): unknown } | undefined;
  /** The buffer from shared/logging/recent.ts, for the log lines of /trace/<id>. */
  recentLog?: RecentLines | undefined;
  logger: Logger;
  /** Defaults to the process registry (`metrics`); tests pass their own. */
  metrics?: Metrics;
  /** Bound on /diff and /trace. Default 30 s. */
  providerTimeoutMs?: number;
  /** Defaults to 0600. */
  socketMode?: number;
}

export interface ControlHandle {
  close(): Promise<void>;
  /** The bound TCP metrics port, if any. */
  readonly metricsPort: number | undefined;
}

/** Throws ControlStartError when the socket is in use, the path is unusable or the TCP address is bad/taken. */
export async function startControl(opts: StartControlOptions): Promise<ControlHandle> {
  const logger = opts.logger.child({ component: 'control' });
  const m = opts.metrics ?? processMetrics;
  const sources: StatusSources = {
    provider: opts.provider,
    reporter: opts.reporter,
    connection: opts.connection,
    runner: opts.runner,
    startedAt: Date.now(),
  };
  m.setDefaultLabels({ agent: opts.provider.daemon });
  const connection = opts.connection;
  m.bind({
    ...(connection ? { brokerConnected: () => connection.connected } : {}),
    degradedKeys: () => computeHealth(sources).failing.length,
  });
  const server = new ControlServer({
    socketPath: opts.socketPath,
    metricsAddress: opts.metricsAddress ?? undefined,
    context: { sources, metrics: m, recentLog: opts.recentLog, logger, providerTimeoutMs: opts.providerTimeoutMs ?? 30_000 },
    logger,
    ...(opts.socketMode !== undefined ? { socketMode: opts.socketMode } : {}),
  });
  await server.listen();
  return {
    close: () => server.close(),
    get metricsPort() {
      return server.metricsPort;
    },
  };
}
