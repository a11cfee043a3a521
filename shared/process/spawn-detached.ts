/**
 * Spawns a child that outlives the agent: own session (setsid via `detached`),
 * stdin from /dev/null, stdout/stderr to a log file or /dev/null (never a pipe to
 * the agent: a pipe would break, and the child get SIGPIPE, when the agent exits),
 * and unref'd so it does not keep the agent's event loop alive. With systemd
 * `KillMode=process` a restart of the agent then leaves it running.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toOpError } from '../exec/errors.js';
import { assertNetnsName } from '../exec/names.js';

export interface DetachedSpawnOptions {
  netns?: string;
  env?: Record<string, string>;
  logFile?: string;
}

/** How the launched process ended, as far as this agent saw it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DetachedChild {
  pid: number;
  /**
   * Settles when the launched process exits (only observable while this agent
   * lives; Node reaps it, so no zombie is left). For a daemonizing program this is
   * the launcher, not the daemon.
   */
  exited: Promise<ChildExit>;
}

/** argv prefixed with `ip netns exec NS` when a namespace is given (ip execs in place: same PID). */
export function launchArgv(argv: readonly string[], netns: string | undefined): string[] {
  if (netns === undefined) return [...argv];
  assertNetnsName(netns);
  return ['ip', 'netns', 'exec', netns, ...argv];
}

export async function spawnDetached(argv: readonly string[], opts: DetachedSpawnOptions = {}): Promise<DetachedChild> {
  const full = launchArgv(argv, opts.netns);
  const [file, ...args] = full;
  if (file === undefined) throw toOpError(new Error('empty argv'), 'spawn');
  let log: FileHandle | undefined;
  if (opts.logFile !== undefined) {
    await mkdir(dirname(opts.logFile), { recursive: true });
    log = await open(opts.logFile, 'a', 0o640);
  }
  try {
    const out = log ? log.fd : 'ignore';
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...opts.env },
      shell: false,
    });
    const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    }).catch((err: unknown) => {
      throw toOpError(err, `spawn ${file}`);
    });
    child.unref();
    if (child.pid === undefined) throw toOpError(new Error('no pid after spawn'), `spawn ${file}`);
    return { pid: child.pid, exited };
  } finally {
    // The child has its own copy of the descriptor.
    await log?.close();
  }
}
