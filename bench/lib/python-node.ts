/**
 * The Python agents of a harness node (`test/harness/neutron-server.sh up
 * --python-agents-only`), as every side-by-side bench drives them: start and wait for
 * their rows, check they still run, stop one by PID with its privsep helpers, relaunch.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agents, neutronTime } from './api.js';
import { harness, pythonNodePaths, readPidFile } from './harness.js';
import { cmdline, pidAlive, processTree } from './proc.js';
import { sleep } from './util.js';

/** `up --python-agents-only --no-wait`, then waits (abortable) for the node's four agent rows alive since the launch. */
export async function startPythonAgents(o: { host: string; launchFile: string; logs: string; failed: () => string | undefined; checkAbort: () => void }): Promise<void> {
  o.checkAbort();
  const up = harness(['up', '--python-agents-only', '--no-wait'], o.host);
  const code = await up.done;
  if (code !== 0) throw new Error(`harness up --python-agents-only failed (${code}): ${up.output.slice(-10).join(' | ')}`);
  const launch = Math.floor((readPidFile(o.host, o.launchFile) ?? Date.now()) / 1000) * 1000;
  const until = Date.now() + 90_000;
  for (;;) {
    o.checkAbort();
    const why = o.failed();
    if (why) throw new Error(why);
    const rows = await agents([o.host]).catch(() => []);
    const alive = rows.filter((a) => a.alive && a.started_at !== null && neutronTime(a.started_at) >= launch);
    if (new Set(alive.map((a) => a.agent_type)).size >= 4) return;
    if (Date.now() > until) throw new Error(`python agents on ${o.host}: ${alive.length}/4 alive after 90 s (logs ${o.logs})`);
    await sleep(250);
  }
}

/** Why one of these agents is not running, or undefined when they all are. */
export function pythonAgentsFailed(host: string, names: readonly string[], logs: string): string | undefined {
  for (const a of names) {
    const pid = readPidFile(host, `${a}.pid`);
    if (pid === undefined || !pidAlive(pid)) return `python ${a} agent is not running (log ${join(logs, `${a}.log`)})`;
  }
  return undefined;
}

/** SIGTERM to one agent by PID (SIGKILL to its group after graceMs), then its privsep daemons; returns the stop time. */
export async function stopPythonAgent(o: { host: string; agent: string; nodeConf: string; graceMs: number }): Promise<number> {
  const pid = readPidFile(o.host, `${o.agent}.pid`);
  if (pid === undefined) throw new Error(`python ${o.agent} agent: no pid file`);
  const kin = processTree(pid);
  const t = Date.now();
  process.kill(pid, 'SIGTERM');
  while (pidAlive(pid) && Date.now() - t < o.graceMs) await sleep(50);
  if (pidAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  const stopMs = Date.now() - t;
  await sleep(300);
  // its privsep daemons (process group, carrying this node's config)
  for (const k of kin) if (k !== pid && pidAlive(k) && cmdline(k).includes(o.nodeConf)) { try { process.kill(k, 'SIGTERM'); } catch { /* gone */ } }
  return stopMs;
}

/** `up --python-agents-only --no-wait` again (relaunches what is not running); returns the agent's launch time. */
export async function relaunchPythonAgent(host: string, agent: string, checkAbort: () => void): Promise<number> {
  checkAbort();
  const up = harness(['up', '--python-agents-only', '--no-wait'], host);
  const code = await up.done;
  if (code !== 0) throw new Error(`harness up (${agent} relaunch) failed (${code}): ${up.output.slice(-10).join(' | ')}`);
  const launch = readPidFile(host, `${agent}.launch`);
  if (launch === undefined) throw new Error(`python ${agent} agent: no launch file after relaunch`);
  return launch;
}

/**
 * `down --python-agents-only`: the node's agents and what they started. Tried `attempts`
 * times (a busy agent's short-lived children can make one attempt stop half-way); each
 * failure is printed. True once it succeeded.
 */
export async function pythonAgentsDown(host: string, attempts = 1): Promise<boolean> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const down = harness(['down', '--python-agents-only'], host);
    if ((await down.done) === 0) return true;
    console.error(`harness down failed${attempts > 1 ? ` (attempt ${attempt})` : ''}: ${down.output.slice(-10).join(' | ')}`);
  }
  return false;
}

/**
 * The one Python agent a bench measures on a harness node (`agent`: linuxbridge, dhcp, l3),
 * with the agents it needs beside it (`needs`, e.g. its L2 agent): the node started, the
 * agent's pid, why it or one it needs is gone, the agent stopped by PID and relaunched, and
 * its log from the relaunch on (where the bench finds the agent's own "done" mark).
 */
export class PythonNodeAgent {
  readonly paths: ReturnType<typeof pythonNodePaths>;
  private readonly logFile: string;
  private logOffset = 0;

  constructor(private readonly o: { host: string; agent: string; needs?: readonly string[]; graceMs: number; checkAbort: () => void }) {
    this.paths = pythonNodePaths(o.host);
    this.logFile = join(this.paths.logs, `${o.agent}.log`);
  }

  /** Starts the node's agents and waits for their rows (launch time taken from this agent's launch file). */
  start(): Promise<void> {
    return startPythonAgents({ host: this.o.host, launchFile: `${this.o.agent}.launch`, logs: this.paths.logs, failed: () => this.failed(), checkAbort: this.o.checkAbort });
  }

  pid(): number | undefined { return readPidFile(this.o.host, `${this.o.agent}.pid`); }

  failed(): string | undefined {
    return pythonAgentsFailed(this.o.host, [...(this.o.needs ?? []), this.o.agent], this.paths.logs);
  }

  /** SIGTERM, wait for the exit (SIGKILL after graceMs), then its privsep daemons; returns the stop time. */
  stop(): Promise<number> {
    return stopPythonAgent({ host: this.o.host, agent: this.o.agent, nodeConf: this.paths.nodeConf, graceMs: this.o.graceMs });
  }

  /** Launches it again (the log read from here on); returns the launch time. */
  relaunch(): Promise<number> {
    this.logOffset = existsSync(this.logFile) ? readFileSync(this.logFile).length : 0;
    return relaunchPythonAgent(this.o.host, this.o.agent, this.o.checkAbort);
  }

  /** What the agent logged since the last relaunch ('' before it has written anything). */
  logSinceRelaunch(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile).subarray(this.logOffset).toString('utf8') : '';
  }
}

/** An oslo.log line's timestamp (groups 1-7 of a match), which oslo.log writes in local time. */
export function osloLogTime(m: RegExpExecArray): number {
  return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!).getTime();
}
