/**
 * A throwaway "node" for agent tests: a network namespace (per-run name) in which a
 * daemon under test runs as if it were a compute/network node, with the host's
 * RabbitMQ reachable at 127.0.0.1:5672 through a socat relay (root-ns TCP ->
 * unix socket -> TCP listener inside the namespace). Everything the agent builds
 * (bridges, veths, iptables) stays inside the namespace, so the host is never touched.
 * cleanup() ends only the processes this node started (by PID) and deletes the namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createConnection } from 'node:net';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const RUN_DIR = '/run/nucleon-test';

export interface LineLog { lines: string[]; json: Array<Record<string, unknown>> }

export interface SpawnedProcess {
  child: ChildProcess;
  pid: number;
  log: LineLog;
  exited: Promise<number | null>;
}

export class TestNode {
  readonly netns: string;
  private readonly procs: SpawnedProcess[] = [];
  private readonly sock: string;

  private constructor(netns: string) {
    this.netns = netns;
    this.sock = `${RUN_DIR}/${netns}.amqp.sock`;
  }

  /** Creates the namespace and the AMQP relay; waits until 127.0.0.1:5672 answers inside. */
  static async create(netns: string): Promise<TestNode> {
    if (!/^[a-z0-9][a-z0-9-]{0,14}$/.test(netns)) throw new Error(`bad test netns name ${netns}`);
    const node = new TestNode(netns);
    mkdirSync(RUN_DIR, { recursive: true });
    await run('ip', ['netns', 'add', netns]);
    try {
      await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      node.start(['socat', `UNIX-LISTEN:${node.sock},fork,unlink-early,mode=600`, 'TCP:127.0.0.1:5672']);
      await waitFor(() => existsSync(node.sock), { timeoutMs: 5000, intervalMs: 50, description: 'AMQP relay socket' });
      node.start(['ip', 'netns', 'exec', netns, 'socat', 'TCP-LISTEN:5672,bind=127.0.0.1,reuseaddr,fork', `UNIX-CONNECT:${node.sock}`]);
      await waitFor(() => node.amqpReachable(), { timeoutMs: 5000, intervalMs: 100, description: 'AMQP relay inside the namespace' });
    } catch (err) {
      await node.cleanup();
      throw err;
    }
    return node;
  }

  /** Runs a command inside the namespace and returns its stdout. */
  async exec(argv: string[]): Promise<string> {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty argv');
    const { stdout } = await run('ip', ['netns', 'exec', this.netns, cmd, ...args]);
    return stdout;
  }

  /** Starts a long-running process inside the namespace; its output lines are kept. */
  spawnInside(argv: string[], env?: NodeJS.ProcessEnv): SpawnedProcess {
    // Not `ip netns exec`: it makes the whole mount tree a slave, so namespaces the
    // daemon creates (qdhcp-*, qrouter-*) would exist only in its private mount
    // namespace, invisible to the host and to the tests. Enter the network namespace,
    // take a private mount namespace that keeps shared propagation (/run/netns mounts
    // reach the host), and remount only /sys so it shows this namespace's links.
    return this.start([
      'nsenter', `--net=/run/netns/${this.netns}`, '--', 'unshare', '--mount', '--propagation', 'unchanged', '--',
      '/bin/sh', '-c', 'mount --make-rprivate /sys && mount -t sysfs -o nosuid,nodev,noexec sysfs /sys && exec "$@"', 'sh', ...argv,
    ], env);
  }

  private start(argv: string[], env?: NodeJS.ProcessEnv): SpawnedProcess {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty argv');
    // detached: its own process group, so socat's forked children go with it.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    const log: LineLog = { lines: [], json: [] };
    const onData = (buf: Buffer) => {
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line) continue;
        log.lines.push(line);
        if (line.startsWith('{')) { try { log.json.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not JSON */ } }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const p = { child, pid: child.pid, log, exited };
    this.procs.push(p);
    return p;
  }

  amqpReachable(): Promise<boolean> {
    // Connect from inside the namespace: a one-shot socat probe.
    return run('ip', ['netns', 'exec', this.netns, 'socat', '-u', 'OPEN:/dev/null', 'TCP:127.0.0.1:5672,connect-timeout=1']).then(() => true, () => false);
  }

  /** Stops a process we started: SIGTERM to its group, SIGKILL after graceMs. */
  async stopProcess(p: SpawnedProcess, graceMs = 5000): Promise<number | null> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
    try { process.kill(-p.pid, 'SIGTERM'); } catch { /* gone */ }
    const t = setTimeout(() => { try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
    const code = await p.exited;
    clearTimeout(t);
    return code;
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs.reverse()) await this.stopProcess(p, 3000);
    await run('ip', ['netns', 'pids', this.netns]).then(async ({ stdout }) => {
      // Anything still inside was started by the agent under test on our behalf.
      for (const pid of stdout.split('\n').filter(Boolean)) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
    }, () => undefined);
    await run('ip', ['netns', 'del', this.netns]).catch(() => undefined);
    rmSync(this.sock, { force: true });
  }
}

/** True when something listens on host:port in this (the test's) namespace. */
export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host, port });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}
