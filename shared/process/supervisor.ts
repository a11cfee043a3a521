/**
 * {@link ProcessSupervisor} for the long-running children the agents keep per
 * resource (dnsmasq per network, haproxy per router/network).
 *
 * Contract:
 * - Identity: a process is its id plus a pid file plus a cmdline marker. A PID
 *   counts as ours only while /proc/<pid>/cmdline contains the marker and its
 *   state is not Z/X; nothing else is ever signalled (checked before every signal).
 * - No memory needed: after an agent restart a new instance reads the pid file and
 *   /proc and adopts what is running (no outage). The kernel's cmdline is the
 *   record of the argv a process runs with; env changes are not detected.
 * - Children are detached (own session, no pipes, unref'd) and survive the agent.
 * - `ensure` registers the spec as desired before starting, so `check()` keeps
 *   retrying a spec whose start failed; `stop` unregisters before signalling, so
 *   `check()` can never respawn what is being stopped (Neutron's ordering rule).
 * - Operations on one id are serialised; different ids run concurrently.
 * - `stop` of an unknown or dead process is success; `start` of a running one too.
 */
import type { Logger } from '../logging/logger.js';
import { OpError } from '../exec/errors.js';
import { assertNetnsName } from '../exec/names.js';
import { removeFile } from '../reconcile/atomic-file.js';
import type { ProcessSupervisor, SignalSender } from '../reconcile/ports.js';
import { assertRecognisable, decideEnsure, markerOf, observe, type Observation, type ProcSnapshot } from './identity.js';
import { launch, sleep } from './launch.js';
import { defaultPidFile, readPidFile } from './pid-file.js';
import { describeWaitStatus } from './proc.js';
import { readProc } from './proc-reader.js';
import type { ChildExit } from './spawn-detached.js';
import type { EnsureResult, SupervisedProcessSpec } from './types.js';

export interface DetachedProcessSupervisorOptions {
  /** Directory for default pid files (`$state_path/external/pids`). */
  pidDir: string;
  logger?: Logger;
  /** SIGTERM → SIGKILL grace. Default 5 s (Neutron's SIGTERM_TIMEOUT). */
  stopGraceMs?: number;
  /** Wait for a launcher to exit / a pid file to appear / exec. Default 10 s. */
  startTimeoutMs?: number;
  /** Default `process.kill`. */
  signal?: SignalSender;
  /** Default `/proc`; tests may point it elsewhere. */
  readProc?: (pid: number) => Promise<ProcSnapshot | undefined>;
}

/** Where to find a process the supervisor has no spec for (e.g. stop after a restart). */
export interface ProcessLocator {
  pidFile?: string;
  marker?: string;
}

export interface CheckResult {
  /** Ids found dead and started again. */
  respawned: string[];
  /** Ids found dead whose restart failed (they stay registered; the next check retries). */
  failed: Array<{ id: string; error: OpError }>;
}

const POLL_MS = 25;
const KILL_WAIT_MS = 2_000;

export class DetachedProcessSupervisor implements ProcessSupervisor {
  private readonly pidDir: string;
  private readonly log: Logger | undefined;
  private readonly stopGraceMs: number;
  private readonly startTimeoutMs: number;
  private readonly kill: SignalSender;
  private readonly readProc: (pid: number) => Promise<ProcSnapshot | undefined>;
  /** Desired processes: what check() keeps alive. */
  private readonly specs = new Map<string, SupervisedProcessSpec>();
  /** Exit reasons of children this instance spawned, by PID, until check() reports them. */
  private readonly exits = new Map<number, string>();
  private readonly locks = new Map<string, Promise<void>>();
  private checking = false;

  constructor(opts: DetachedProcessSupervisorOptions) {
    this.pidDir = opts.pidDir;
    this.log = opts.logger;
    this.stopGraceMs = opts.stopGraceMs ?? 5_000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 10_000;
    this.kill = opts.signal ?? ((pid, sig) => void process.kill(pid, sig));
    this.readProc = opts.readProc ?? ((pid) => readProc(pid));
  }

  /** Port method for the Executor's `process.start`: {@link ensure} without the result. */
  async start(spec: SupervisedProcessSpec): Promise<void> {
    await this.ensure(spec);
  }

  /**
   * Makes the process run with exactly `spec.argv`: adopts a live process of ours
   * with the same cmdline, restarts one whose cmdline differs, starts one otherwise
   * (pid file missing, dead or zombie PID, or a PID reused by a foreign process).
   */
  async ensure(spec: SupervisedProcessSpec): Promise<EnsureResult> {
    assertRecognisable(spec);
    if (spec.netns !== undefined) assertNetnsName(spec.netns);
    const pidFile = this.pidFileOf(spec);
    return this.locked(spec.id, async () => {
      const known = this.specs.has(spec.id);
      this.specs.set(spec.id, spec);
      const obs = await this.observe(spec, pidFile);
      const d = decideEnsure(obs);
      if (d.action === 'keep') {
        if (!known) this.log?.info({ process_id: spec.id, pid: d.pid }, 'process adopted');
        return { pid: d.pid, action: known ? 'running' : 'adopted' };
      }
      if (d.action === 'restart') {
        this.log?.info({ process_id: spec.id, pid: d.pid }, 'process argv changed; restarting');
        await this.terminate(d.pid, markerOf(spec));
        const pid = await this.launch(spec, pidFile);
        return { pid, action: 'restarted' };
      }
      if (obs.kind === 'foreign') this.log?.warn({ process_id: spec.id, pid: obs.pid, pid_file: pidFile }, 'pid file names a process that is not ours; ignored');
      const pid = await this.launch(spec, pidFile);
      this.log?.info({ process_id: spec.id, pid }, 'process started');
      return { pid, action: 'started' };
    });
  }

  /**
   * Stops the process: unregister, SIGTERM, wait `stopGraceMs`, SIGKILL, remove the
   * pid file. Unknown ids are found through `where` or the default pid file and
   * marker. Success when nothing of ours is running.
   */
  async stop(id: string, where: ProcessLocator = {}): Promise<void> {
    await this.locked(id, async () => {
      const { pidFile, marker } = this.locate(id, where);
      this.specs.delete(id);
      const pid = await readPidFile(pidFile);
      if (pid !== undefined) {
        const stopped = await this.terminate(pid, marker);
        if (stopped) this.log?.info({ process_id: id, pid }, 'process stopped');
        // Give the exit event of a child of ours a moment, then forget its reason.
        setTimeout(() => this.exits.delete(pid), 1_000).unref();
      }
      await removeFile(pidFile);
    });
  }

  /** Sends `sig` (e.g. SIGHUP for a reload) if the process is running and ours. */
  async signal(id: string, sig: NodeJS.Signals, where: ProcessLocator = {}): Promise<boolean> {
    return this.locked(id, async () => {
      const { pidFile, marker } = this.locate(id, where);
      const pid = await readPidFile(pidFile);
      return pid !== undefined && (await this.signalIfOurs(pid, marker, sig));
    });
  }

  /** Whether a live (non-zombie) process of ours is behind the id's pid file. */
  async isAlive(id: string, where: ProcessLocator = {}): Promise<boolean> {
    return (await this.pidOf(id, where)) !== undefined;
  }

  /** The live PID of ours behind the id, or undefined. */
  async pidOf(id: string, where: ProcessLocator = {}): Promise<number | undefined> {
    const { pidFile, marker } = this.locate(id, where);
    const pid = await readPidFile(pidFile);
    if (pid === undefined) return undefined;
    return (await this.owns(pid, marker)) ? pid : undefined;
  }

  /** Ids this instance keeps alive. */
  registered(): string[] {
    return [...this.specs.keys()];
  }

  /**
   * Respawns every registered process that is not running (dead, zombie, pid file
   * gone, or PID reused). A running one with a changed argv is left alone: that is
   * `ensure`'s business. Never throws; failures are returned and logged.
   */
  async check(): Promise<CheckResult> {
    const result: CheckResult = { respawned: [], failed: [] };
    await Promise.all(
      [...this.specs.keys()].map((id) =>
        this.locked(id, async () => {
          const spec = this.specs.get(id);
          if (!spec) return; // stopped meanwhile
          const pidFile = this.pidFileOf(spec);
          const obs = await this.observe(spec, pidFile);
          if (obs.kind === 'ours') return;
          this.log?.warn({ process_id: id, pid: 'pid' in obs ? obs.pid : undefined, reason: this.deathReason(obs) }, 'process not running; respawning');
          try {
            const pid = await this.launch(spec, pidFile);
            this.log?.info({ process_id: id, pid }, 'process respawned');
            result.respawned.push(id);
          } catch (err) {
            const error = err instanceof OpError ? err : new OpError(String(err), 'FATAL', { cause: err });
            this.log?.error({ process_id: id, err: error }, 'process respawn failed');
            result.failed.push({ id, error });
          }
        }),
      ),
    );
    return result;
  }

  /**
   * Runs {@link check} every `intervalMs` (skipping a tick while one runs). The timer
   * does not keep the agent alive. Returns the function that stops watching.
   */
  watch(intervalMs: number): () => void {
    const t = setInterval(() => {
      if (this.checking) return;
      this.checking = true;
      void this.check().finally(() => {
        this.checking = false;
      });
    }, intervalMs);
    t.unref();
    return () => clearInterval(t);
  }

  // ---- internals --------------------------------------------------------------------

  private pidFileOf(spec: SupervisedProcessSpec): string {
    return spec.pidFile ?? defaultPidFile(this.pidDir, spec.id);
  }

  private locate(id: string, where: ProcessLocator): { pidFile: string; marker: string } {
    const spec = this.specs.get(id);
    return {
      pidFile: where.pidFile ?? spec?.pidFile ?? defaultPidFile(this.pidDir, id),
      marker: where.marker ?? markerOf(spec ?? { id }),
    };
  }

  private async observe(spec: SupervisedProcessSpec, pidFile: string): Promise<Observation> {
    const pid = await readPidFile(pidFile);
    return observe(pid, pid === undefined ? undefined : await this.readProc(pid), spec);
  }

  private async owns(pid: number, marker: string): Promise<boolean> {
    // argv is irrelevant for ownership: observe() with the pid's own cmdline as argv.
    const snap = await this.readProc(pid);
    return observe(pid, snap, { id: '', marker, argv: snap?.cmdline ?? [] }).kind === 'ours';
  }

  /** Signals only after re-reading /proc: the PID may have been reused since. */
  private async signalIfOurs(pid: number, marker: string, sig: NodeJS.Signals): Promise<boolean> {
    if (!(await this.owns(pid, marker))) return false;
    try {
      this.kill(pid, sig);
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ESRCH') return false;
      throw err;
    }
  }

  /** SIGTERM, grace, SIGKILL. Returns whether a process of ours was there. */
  private async terminate(pid: number, marker: string): Promise<boolean> {
    if (!(await this.signalIfOurs(pid, marker, 'SIGTERM'))) return false;
    if (await this.waitGone(pid, marker, this.stopGraceMs)) return true;
    this.log?.warn({ pid, graceMs: this.stopGraceMs }, 'process ignored SIGTERM; sending SIGKILL');
    await this.signalIfOurs(pid, marker, 'SIGKILL');
    if (await this.waitGone(pid, marker, KILL_WAIT_MS)) return true;
    throw new OpError(`pid ${pid} still running after SIGKILL`, 'TRANSIENT');
  }

  private async waitGone(pid: number, marker: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!(await this.owns(pid, marker))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }

  private launch(spec: SupervisedProcessSpec, pidFile: string): Promise<number> {
    return launch(spec, pidFile, {
      readProc: this.readProc,
      timeoutMs: this.startTimeoutMs,
      onExit: (pid: number, e: ChildExit) => {
        // A daemonizing launcher exiting 0 is normal, not a death worth reporting.
        if (spec.daemonizes === true && e.code === 0) return;
        this.exits.set(pid, e.signal ? `signal ${e.signal}` : `exit ${e.code ?? 'n/a'}`);
      },
    });
  }

  private deathReason(obs: Observation): string {
    switch (obs.kind) {
      case 'absent':
        return 'no pid in pid file';
      case 'foreign':
        return 'pid reused by a process that is not ours';
      case 'ours':
        return 'running';
      case 'dead': {
        const seen = this.exits.get(obs.pid);
        this.exits.delete(obs.pid);
        if (seen !== undefined) return seen;
        if (obs.exitStatus !== undefined) return `${describeWaitStatus(obs.exitStatus)} (zombie)`;
        return 'exited, reason unknown';
      }
    }
  }

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}
