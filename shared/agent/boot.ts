/**
 * Start-up shared by every daemon: argv and Neutron's INI files → typed config,
 * the pino root logger, and the broker connection. A bad config stops the daemon
 * here with one message naming file, section, option and value (exit 78,
 * EX_CONFIG, which the systemd units exclude from Restart=on-failure); an
 * unreachable broker does not: the connection retries in the background and says so.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, loadAgentConfig, mergeSchemas, NucleonSchema, parseAgentArgv, toRabbitOptions, type ConfigOf, type Schema, type CommonSchema } from '../config/index.js';
import { createRecentLog, type RecentLog } from '../logging/recent.js';
import { basicProvider, controlSocketPath, metrics, startControl, type ControlHandle, type ControlProvider } from '../control/index.js';
import { OsloConnection, OsloRpcClient, setRpcCallObserver, TransportUrlError, RpcConfigError, parseTransportUrl, maskRawTransportUrl } from '../rpc/index.js';
import { createRootLogger, type Logger } from '../logging/logger.js';
import { AGENT_KINDS, SERVER_TOPICS, type AgentKind } from './constants.js';
import { installCrashLogging, installShutdown, type StopStep } from './lifecycle.js';
import { AgentStateReporter, type AgentStateReporterOptions } from './state-reporter.js';

/** sysexits.h EX_CONFIG: the units say RestartPreventExitStatus=78. */
export const EXIT_CONFIG = 78;

type CommonConfig = ConfigOf<typeof CommonSchema> & ConfigOf<typeof NucleonSchema>;

export interface BootedAgent<S extends Schema> {
  kind: AgentKind;
  config: ConfigOf<S> & CommonConfig;
  /** Files read, in order (logged at start). */
  files: readonly string[];
  host: string;
  logger: Logger;
  /** Started by runAgent(), after the agent's start-up checks. */
  connection: OsloConnection;
  /** Client for q-reports-plugin (report_state). */
  reportsClient: OsloRpcClient;
  /** Recent log lines per resource id, for `nucleon trace`. */
  recentLog: RecentLog;
}

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * Parses argv and config, creates the logger and the broker connection (not yet
 * connected: the agent's own start-up checks come first). Throws ConfigError or
 * StartupError for anything an operator must fix.
 */
export function bootAgent<S extends Schema>(kind: AgentKind, argv: readonly string[], schema: S): BootedAgent<S> {
  const meta = AGENT_KINDS[kind];
  const args = parseAgentArgv(argv);
  const destination = args.logFile ? openLogFile(args.logDir ? join(args.logDir, args.logFile) : args.logFile) : undefined;
  // The host is not known before the config is read; the early logger says so.
  const early = createRootLogger({ agent: meta.daemon, host: '-', level: args.debug ? 'debug' : 'info', ...(destination ? { destination } : {}) });
  // [nucleon] options ride along in the same files; the Python agents ignore the section.
  const loaded = loadAgentConfig(argv, mergeSchemas(schema as Schema, NucleonSchema), early, { defaults: { project: 'neutron', prog: meta.binary } });
  const config = loaded.config as ConfigOf<S> & CommonConfig;
  const host = config.DEFAULT.host;
  const recentLog = createRecentLog(50);
  const logger = createRootLogger({ agent: meta.daemon, host, level: config.DEFAULT.debug ? 'debug' : 'info', ...(destination ? { destination } : {}), extraStreams: [{ stream: recentLog.stream }] });
  installCrashLogging(logger);

  const transportUrl = config.DEFAULT.transport_url;
  try {
    parseTransportUrl(transportUrl);
  } catch (err) {
    if (err instanceof TransportUrlError) {
      throw new ConfigError('CONFIG_VALUE', `[DEFAULT] transport_url = "${maskRawTransportUrl(transportUrl)}": ${err.message}`, {
        section: 'DEFAULT', option: 'transport_url', value: maskRawTransportUrl(transportUrl), reason: err.message,
      });
    }
    throw err;
  }
  let connection: OsloConnection;
  try {
    connection = new OsloConnection({ transportUrl, rabbit: toRabbitOptions(config), controlExchange: config.DEFAULT.control_exchange, logger, connectionName: meta.binary });
  } catch (err) {
    if (err instanceof RpcConfigError) throw new ConfigError('CONFIG_VALUE', `[oslo_messaging_rabbit]: ${err.message}`, { section: 'oslo_messaging_rabbit', reason: err.message });
    throw err;
  }
  logger.info({ files: loaded.files, transport: connection.maskedUrl, binary: meta.binary, agent_type: meta.agentType }, 'starting');
  const reportsClient = new OsloRpcClient(connection, {
    topic: SERVER_TOPICS.reports,
    version: '1.2',
    timeoutMs: config.DEFAULT.rpc_response_timeout * 1000,
    maxTimeoutMs: config.DEFAULT.rpc_response_max_timeout * 1000,
    logger,
  });
  return { kind, config, files: loaded.files, host, logger, connection, reportsClient, recentLog };
}

function openLogFile(path: string): NodeJS.WritableStream {
  mkdirSync(dirname(path), { recursive: true });
  return createWriteStream(path, { flags: 'a' });
}

/**
 * A client for one of neutron-server's topics (q-plugin, q-l3-plugin) with the agent's
 * [DEFAULT] rpc_response_timeout / rpc_response_max_timeout, and oslo's doubling of the
 * timeout after each timeout, as every Python agent's RPC APIs get it.
 */
export function serverClient<S extends Schema>(boot: BootedAgent<S>, topic: string): OsloRpcClient {
  return new OsloRpcClient(boot.connection, {
    topic,
    timeoutMs: boot.config.DEFAULT.rpc_response_timeout * 1000,
    maxTimeoutMs: boot.config.DEFAULT.rpc_response_max_timeout * 1000,
    backoffOnTimeout: true,
    logger: boot.logger,
  });
}

/**
 * Runs a daemon's main, turning start-up errors into one clear stderr line and an exit
 * code: 78 for configuration (do not restart), 1 for anything else.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: configuration error: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    if (err instanceof StartupError) {
      process.stderr.write(`${name}: cannot start: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${name}: fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}

export interface RunAgentOptions {
  /** What the reporter needs beyond transport, interval and logger (taken from boot). */
  report: Omit<AgentStateReporterOptions, 'transport' | 'intervalMs' | 'logger'>;
  /** Components to stop before the report loop and the broker connection, in order. */
  stopSteps?: () => StopStep[];
  /** What the control socket answers for diff/trace/status; identity only when absent. */
  control?: ControlProvider;
  /** The agent's reconcile loop, for /status and /healthz. */
  runner?: { status(): unknown };
  /** `nucleon resync` without a provider of its own. */
  onResync?: (reason: string) => void;
}

/**
 * Connects to the broker, starts report_state every [agent] report_interval and installs the SIGTERM/SIGINT
 * handlers; the shared tail of every daemon's main.
 */
export function runAgent<S extends Schema>(boot: BootedAgent<S>, opts: RunAgentOptions): { reporter: AgentStateReporter } {
  // Connects in the background: an unreachable broker is a logged retry loop, not an exit.
  boot.connection.start();
  const reporter = new AgentStateReporter({
    ...opts.report,
    transport: boot.reportsClient,
    intervalMs: boot.config.agent.report_interval * 1000,
    logger: boot.logger,
  });
  reporter.start();
  boot.connection.onReconnect(() => metrics.reconnect());
  setRpcCallObserver((method, ms, ok) => metrics.rpcCall(method, ms, ok));
  const meta = AGENT_KINDS[boot.kind];
  const provider = opts.control ?? basicProvider({ agentType: meta.agentType, host: boot.host, daemon: meta.daemon, ...(opts.onResync ? { resync: opts.onResync } : {}) });
  let control: ControlHandle | undefined;
  // A control socket that cannot start costs the operator visibility, not the dataplane.
  startControl({
    socketPath: controlSocketPath(boot.kind, boot.config.DEFAULT.state_path, boot.config.nucleon.control_socket),
    metricsAddress: boot.config.nucleon.metrics_address,
    provider, reporter, connection: boot.connection, runner: opts.runner, recentLog: boot.recentLog, logger: boot.logger,
  }).then(
    (h) => { control = h; },
    (err: unknown) => boot.logger.error({ err }, 'control socket not started: nucleon status/diff/trace cannot reach this daemon'),
  );
  installShutdown({
    logger: boot.logger,
    steps: () => [
      { name: 'control socket', run: () => control?.close() },
      ...(opts.stopSteps?.() ?? []),
      { name: 'state reports', run: () => reporter.stop() },
      { name: 'broker connection', run: () => boot.connection.close() },
    ],
  });
  return { reporter };
}
