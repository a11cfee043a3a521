/** What the supervisor needs to know about one long-running child. */
import type { ProcessSpec } from '../reconcile/ops.js';

/**
 * A {@link ProcessSpec} with the supervisor's optional extras. Every extra has a
 * default, so the executor's plain `ProcessSpec` works too.
 */
export interface SupervisedProcessSpec extends ProcessSpec {
  /**
   * Text that must appear in /proc/<pid>/cmdline for the PID to count as ours
   * (the network/router id, or the config path holding it). Default: the id after
   * its first `:` (`dnsmasq:<network_id>` → `<network_id>`). Must occur in `argv`.
   */
  marker?: string;
  /**
   * The program forks into the background and writes `pidFile` itself (dnsmasq
   * `--pid-file`, haproxy with `daemon` + `pidfile`). Then the supervisor waits for the
   * launcher to exit and reads the pid file; otherwise it writes the pid file itself.
   * Default false.
   */
  daemonizes?: boolean;
  /** stdout and stderr are appended here; default /dev/null. */
  logFile?: string;
}

/** Why a process is (re)started, for logs and tests. */
export type StartReason = 'not-running' | 'argv-changed' | 'respawn';

/** Outcome of {@link ProcessSupervisor.ensure}-style calls. */
export interface EnsureResult {
  pid: number;
  action: 'adopted' | 'running' | 'started' | 'restarted';
}
