/**
 * One pino root per process, created in main.ts only. Components take child
 * loggers: `log.child({ component: 'rpc' })`, resources add `port_id`,
 * `network_id`, `router_id`, `subnet_id` so `nucleon logs --resource` can follow
 * one resource's story. Messages are constant; data goes in fields; errors as `{ err }`.
 */
import { pino, type Level, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface RootLoggerOptions {
  /** Daemon name, e.g. "nucleon-dhcp-agent". */
  agent: string;
  host: string;
  level?: LevelWithSilent;
  /** Defaults to stdout (journald captures it under systemd). */
  destination?: NodeJS.WritableStream;
  /**
   * More destinations beside the main one (e.g. the recent-lines buffer of
   * shared/logging/recent.ts for `nucleon trace`). Each receives the lines at or
   * above its own `level` (default: every line the logger emits). Unset: a single
   * destination, exactly as before.
   */
  extraStreams?: ReadonlyArray<{ stream: { write(chunk: string): void }; level?: Level }>;
}

/** Fixed field names for resource ids: filters and `nucleon trace` rely on them. */
export const RESOURCE_FIELDS = ['port_id', 'network_id', 'router_id', 'subnet_id'] as const;
export type ResourceField = (typeof RESOURCE_FIELDS)[number];

export function createRootLogger(opts: RootLoggerOptions): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { agent: opts.agent, host: opts.host, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The metadata shared secret and broker passwords must never reach a log line.
    redact: {
      paths: ['password', '*.password', 'metadata_proxy_shared_secret', '*.metadata_proxy_shared_secret', 'transport_url', '*.transport_url'],
      censor: '***',
    },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (opts.extraStreams && opts.extraStreams.length > 0) {
    // The logger's level decides what is produced (and may change at run time); the
    // main destination takes all of it, as without extra streams.
    const main = { stream: opts.destination ?? pino.destination(1), level: 'trace' as Level };
    const extra = opts.extraStreams.map((e) => ({ stream: e.stream, level: e.level ?? ('trace' as Level) }));
    return pino(options, pino.multistream([main, ...extra]));
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything: for unit tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
