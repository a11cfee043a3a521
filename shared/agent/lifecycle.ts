/**
 * Process lifecycle shared by every daemon: SIGTERM/SIGINT stop the control plane
 * (RPC consumers, report loop, broker connection) and leave the dataplane alone —
 * bridges, namespaces, dnsmasq and proxies keep serving while the agent restarts.
 */
import type { Logger } from '../logging/logger.js';

export type StopStep = { name: string; run: () => Promise<void> | void };

export interface ShutdownOptions {
  logger: Logger;
  /** Run in order; a failing step is logged and the next one still runs. */
  steps: () => StopStep[];
  /** After this the process exits anyway (a hung broker must not block a restart). */
  graceMs?: number;
  /** Longest wait for one step before the next runs. Default 2 s. */
  stepTimeoutMs?: number;
  exit?: (code: number) => void;
}

/** Installs the signal handlers; returns the stop function (also used by tests). */
export function installShutdown(opts: ShutdownOptions): (reason: string) => Promise<void> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    if (stopping) return stopping;
    opts.logger.info({ reason }, 'stopping; the dataplane is left as it is');
    const guard = setTimeout(() => {
      opts.logger.error({ graceMs: opts.graceMs ?? 10000 }, 'shutdown took too long, exiting anyway');
      exit(1);
    }, opts.graceMs ?? 10000);
    guard.unref();
    stopping = (async () => {
      for (const step of opts.steps()) {
        // A step waiting on the broker or on an apply in flight must not hold the others:
        // everything the daemon does is idempotent, the next start reconciles.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((res) => { timer = setTimeout(() => res('late'), opts.stepTimeoutMs ?? 2000); });
        try {
          const r = await Promise.race([Promise.resolve(step.run()).then(() => 'done' as const), late]);
          if (r === 'late') opts.logger.warn({ step: step.name, timeoutMs: opts.stepTimeoutMs ?? 2000 }, 'shutdown step did not finish in time; going on');
        } catch (err) {
          opts.logger.warn({ err, step: step.name }, 'shutdown step failed');
        } finally {
          clearTimeout(timer);
        }
      }
      clearTimeout(guard);
      opts.logger.info('stopped');
      exit(0);
    })();
    return stopping;
  };
  // `on`, not `once`: with `once` a second signal during the orderly stop (a process-group
  // signal plus a supervisor's, a second Ctrl-C) would hit Node's default action and kill
  // the daemon mid-shutdown. The stop is idempotent; the grace timer bounds it.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return stop;
}

/**
 * Last-resort handlers: a bug in one handler must be logged with its stack, and an
 * unhandled rejection must not silently kill a daemon serving a whole node.
 */
export function installCrashLogging(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection (bug): continuing');
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception (bug): exiting so systemd restarts the daemon');
    process.exit(70);
  });
}
