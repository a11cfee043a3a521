/** Narrow ports the executor needs besides the CommandRunner; wired in main.ts. */
import type { ProcessSpec } from './ops.js';

/**
 * Starts and stops long-running helpers (dnsmasq, haproxy, keepalived).
 * Contract: `start` is idempotent (already running with the same spec = success);
 * `stop` of an unknown or dead process is success. Errors should be `OpError`s
 * (or carry an errno `code`) so they can be classified.
 */
export interface ProcessSupervisor {
  start(spec: ProcessSpec): Promise<void>;
  stop(id: string): Promise<void>;
}

/** Sends a signal; default `process.kill`. Throws with `code` ESRCH when the pid is gone. */
export type SignalSender = (pid: number, signal: NodeJS.Signals) => void;
