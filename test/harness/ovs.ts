/**
 * A private Open vSwitch for tests: one ovsdb-server and one ovs-vswitchd of our own,
 * optionally inside a network namespace, with every file (conf.db, db.sock, pidfiles,
 * unixctl sockets, bridge .mgmt sockets, logs) under a per-run temp dir. Nothing is
 * shared with a system OVS or with other tests' instances.
 *
 * Contract:
 * - The daemons run WITHOUT --detach, as children of the test process (own process
 *   group each): PID 1 here does not reap orphans, so a daemonised OVS would leave
 *   zombies; as our children they are reaped by Node.
 * - `startOvs` returns only when ovsdb-server answers `ovs-vsctl show` and
 *   ovs-vswitchd answers on its unixctl socket and has completed one reconfiguration
 *   (`ovs-vsctl sync`), so `datapath_types`/`iface_types` are filled in.
 * - `stop()` signals only the two PIDs it started (SIGTERM, SIGKILL after a grace
 *   period), waits for them to exit (a zombie counts as gone), then removes the temp
 *   dir. Bridges live in conf.db and die with the instance; netdev taps close with
 *   vswitchd. It is idempotent and safe to call after a failed start.
 *
 * Quirks (see shared/design/KERNEL.md §1): there is no openvswitch kernel module, so
 * only `datapath_type=netdev` bridges work; a `system` bridge is committed anyway and
 * `ovs-vsctl` returns 0 with "Error detected while setting up" on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface StartOvsOptions {
  /** Short label for the temp dir and diagnostics (letters, digits, '-'). */
  name: string;
  /** Run both daemons inside this (existing) network namespace via `ip netns exec`. */
  netns?: string;
  /** How long to wait for the daemons to come up. Default 20 s. */
  startTimeoutMs?: number;
}

export interface OvsDaemon {
  readonly pid: number;
  /** Resolves with the exit code (or signal name) once the process has exited and was reaped. */
  readonly exited: Promise<number | string | null>;
}

export interface OvsInstance {
  readonly name: string;
  readonly netns: string | undefined;
  /** The temp dir holding everything below. */
  readonly dir: string;
  readonly dbPath: string;
  readonly dbSock: string;
  readonly dbUrl: `unix:${string}`;
  /** OVS_RUNDIR: pidfiles, unixctl sockets, `<bridge>.mgmt`. */
  readonly runDir: string;
  readonly logDir: string;
  /** OVS_RUNDIR, OVS_LOGDIR, OVS_DBDIR, OVS_SYSCONFDIR: pass to ovs-ofctl/ovs-appctl. */
  readonly env: Record<string, string>;
  readonly ovsdbServer: OvsDaemon;
  readonly vswitchd: OvsDaemon;
  /** vswitchd's unixctl socket (for `ovs-appctl -t`). */
  readonly vswitchdCtl: string;
  /** Global args for ovs-vsctl against this instance (`--db=…`, `--timeout=…`). */
  vsctlArgs(timeoutSec?: number): string[];
  /** `ovs-vsctl --db=… --timeout=10 ARGS…` from the root namespace; stdout. Rejects on rc≠0. */
  vsctl(args: string[]): Promise<string>;
  /** `ovs-appctl -t <vswitchd ctl> ARGS…`; stdout. */
  appctl(args: string[]): Promise<string>;
  /** `ovs-ofctl ARGS…` with OVS_RUNDIR set (finds `<bridge>.mgmt`); stdout. */
  ofctl(args: string[]): Promise<string>;
  /** The tail of both daemons' log files, for failure messages. */
  logs(): string;
  /** Stops both daemons (by PID) and removes the temp dir. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * True while `pid` exists and is not a zombie. (A zombie has exited; it only waits to
 * be reaped by its parent, which for our daemons is this process.)
 */
export function pidAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) S …": comm may contain spaces and parens; the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

interface Spawned extends OvsDaemon { child: ChildProcess }

function spawnDaemon(argv: string[], env: Record<string, string>, logFile: string): Spawned {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty argv');
  // Console output (startup failures before the log file opens) goes to a file, never
  // to a pipe that nobody drains.
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // detached: own process group, so a Ctrl-C to the test's group does not race our
    // orderly stop; we still signal only this PID.
    child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, ...env } });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const exited = new Promise<number | string | null>((res) => {
    child.once('exit', (code, signal) => res(code ?? signal));
    child.once('error', () => res(null));
  });
  // Never keep the test process alive just for a daemon handle.
  child.unref();
  return { child, pid: child.pid, exited };
}

async function waitUntil(pred: () => Promise<boolean> | boolean, timeoutMs: number, what: string, dead?: () => string | undefined): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    const why = dead?.();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with p's value, or undefined after ms; the timer never outlives the race. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((res) => { timer = setTimeout(() => res(undefined), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopDaemon(d: Spawned, graceMs: number): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null || !pidAlive(d.pid)) {
    // Already gone (or a zombie about to be reaped by Node): just wait for the reap.
    await within(d.exited, 1000);
    return;
  }
  try { process.kill(d.pid, 'SIGTERM'); } catch { /* exited meanwhile */ }
  if ((await within(d.exited.then(() => true), graceMs)) === undefined) {
    try { process.kill(d.pid, 'SIGKILL'); } catch { /* gone */ }
    // The exit event follows the SIGKILL; wait for it (bounded) so the PID is reaped.
    await within(d.exited, 5000);
  }
}

/** Starts a private ovsdb-server + ovs-vswitchd; see the module comment. */
export async function startOvs(opts: StartOvsOptions): Promise<OvsInstance> {
  if (!/^[A-Za-z0-9-]{1,20}$/.test(opts.name)) throw new Error(`bad OVS instance name ${opts.name}`);
  if (opts.netns !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(opts.netns)) throw new Error(`bad netns name ${opts.netns}`);
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  // Short base path: unix socket paths (db.sock, <bridge>.mgmt) must stay under 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), `nucleon-ovs-${opts.name}-`));
  const runDir = join(dir, 'run');
  const logDir = join(dir, 'log');
  mkdirSync(runDir);
  mkdirSync(logDir);
  const dbPath = join(dir, 'conf.db');
  const dbSock = join(runDir, 'db.sock');
  const dbUrl = `unix:${dbSock}` as const;
  const env: Record<string, string> = { OVS_RUNDIR: runDir, OVS_LOGDIR: logDir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
  const inNs = (argv: string[]): string[] => (opts.netns !== undefined ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv);
  const vsctlArgs = (timeoutSec = 10): string[] => [`--db=${dbUrl}`, `--timeout=${timeoutSec}`];
  const daemons: Spawned[] = [];
  let stopped: Promise<void> | undefined;

  const logs = (): string =>
    ['ovsdb-server', 'ovs-vswitchd']
      .flatMap((n) => [`${n}.log`, `${n}.console.log`])
      .map((f) => {
        try {
          const lines = readFileSync(join(logDir, f), 'utf8').trimEnd().split('\n');
          return `--- ${f}\n${lines.slice(-20).join('\n')}`;
        } catch {
          return '';
        }
      })
      .filter(Boolean)
      .join('\n');

  // Last resort if the test process exits without stop() (a crash, a forgotten stop):
  // SIGKILL our own daemons so they are not left running as orphans. (A SIGKILL of the
  // test process itself cannot be caught; those daemons are then left behind.)
  const onExit = (): void => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) { try { process.kill(d.pid, 'SIGKILL'); } catch { /* gone */ } }
  };
  process.once('exit', onExit);

  const stop = (graceMs = 5000): Promise<void> => {
    stopped ??= (async () => {
      // vswitchd first: it removes its ports cleanly while the db is still there.
      for (const d of [...daemons].reverse()) await stopDaemon(d, graceMs);
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadMsg = (): string | undefined => {
    const d = daemons.find((x) => x.child.exitCode !== null || x.child.signalCode !== null);
    return d ? `${d.child.spawnfile} (pid ${d.pid}) exited early (${d.child.exitCode ?? d.child.signalCode})\n${logs()}` : undefined;
  };

  try {
    await execa('ovsdb-tool', ['create', dbPath, SCHEMA]);
    daemons.push(spawnDaemon(inNs([
      'ovsdb-server', dbPath,
      `--remote=punix:${dbSock}`,
      '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
      `--pidfile=${join(runDir, 'ovsdb-server.pid')}`,
      `--log-file=${join(logDir, 'ovsdb-server.log')}`,
      '--no-chdir',
    ]), env, join(logDir, 'ovsdb-server.console.log')));
    await waitUntil(() => existsSync(dbSock), timeoutMs, 'ovsdb-server db.sock', deadMsg);
    // `init` first: every other ovs-vsctl command (even `show`) blocks until the
    // Open_vSwitch row exists, i.e. until --timeout on a fresh conf.db.
    await waitUntil(
      () => execa('ovs-vsctl', [...vsctlArgs(5), '--no-wait', 'init'], { env, reject: false }).then((r) => r.exitCode === 0),
      timeoutMs, 'ovs-vsctl init', deadMsg,
    );
    await execa('ovs-vsctl', [...vsctlArgs(5), 'show'], { env });

    const vswitchd = spawnDaemon(inNs([
      'ovs-vswitchd', dbUrl,
      `--pidfile=${join(runDir, 'ovs-vswitchd.pid')}`,
      `--log-file=${join(logDir, 'ovs-vswitchd.log')}`,
      '--no-chdir',
    ]), env, join(logDir, 'ovs-vswitchd.console.log'));
    daemons.push(vswitchd);
    // The default unixctl path: ovs-appctl -t ovs-vswitchd finds it through OVS_RUNDIR too.
    const vswitchdCtl = join(runDir, `ovs-vswitchd.${vswitchd.pid}.ctl`);
    await waitUntil(
      () => execa('ovs-appctl', ['-t', vswitchdCtl, 'version'], { env, reject: false }).then((r) => r.exitCode === 0),
      timeoutMs, 'ovs-vswitchd unixctl', deadMsg,
    );
    // One full reconfiguration round trip (ovs-vsctl 3.1 has no `sync`: `init` without
    // --no-wait bumps next_cfg and waits for cur_cfg): vswitchd is connected to the db
    // and has published datapath_types/iface_types.
    await execa('ovs-vsctl', [...vsctlArgs(Math.ceil(timeoutMs / 1000)), 'init'], { env });

    const inst: OvsInstance = {
      name: opts.name,
      netns: opts.netns,
      dir,
      dbPath,
      dbSock,
      dbUrl,
      runDir,
      logDir,
      env,
      ovsdbServer: daemons[0] as Spawned,
      vswitchd,
      vswitchdCtl,
      vsctlArgs,
      vsctl: async (args) => (await execa('ovs-vsctl', [...vsctlArgs(), ...args], { env })).stdout,
      appctl: async (args) => (await execa('ovs-appctl', ['-t', vswitchdCtl, ...args], { env })).stdout,
      ofctl: async (args) => (await execa('ovs-ofctl', args, { env })).stdout,
      logs,
      stop,
    };
    return inst;
  } catch (err) {
    const detail = logs();
    await stop(2000);
    if (err instanceof Error && detail && !err.message.includes(detail)) err.message += `\n${detail}`;
    throw err;
  }
}
