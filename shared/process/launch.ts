/**
 * Starts one process and learns its PID, for both kinds of program:
 * - daemonizing (dnsmasq `--pid-file`, haproxy `daemon`): wait for the launcher to
 *   exit 0, then for the pid file it writes to name a live process of ours;
 * - foreground: the spawned PID is the program (`ip netns exec` execs in place);
 *   wait until /proc shows the program's own argv (not `ip netns exec …` any more),
 *   then write the pid file ourselves.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OpError } from '../exec/errors.js';
import { removeFile } from '../reconcile/atomic-file.js';
import { observe, type ProcSnapshot } from './identity.js';
import { readPidFile, writePidFile } from './pid-file.js';
import { spawnDetached, type ChildExit } from './spawn-detached.js';
import type { SupervisedProcessSpec } from './types.js';

export interface LaunchDeps {
  readProc(pid: number): Promise<ProcSnapshot | undefined>;
  /** How long to wait for the launcher / pid file / exec. */
  timeoutMs: number;
  /** Called with the exit of a foreground child (its reason for check() logs). */
  onExit(pid: number, exit: ChildExit): void;
}

const POLL_MS = 20;

export async function launch(spec: SupervisedProcessSpec, pidFile: string, deps: LaunchDeps): Promise<number> {
  await mkdir(dirname(pidFile), { recursive: true });
  // A stale pid file must not be mistaken for the new daemon's.
  await removeFile(pidFile);
  const child = await spawnDetached(spec.argv, {
    ...(spec.netns !== undefined ? { netns: spec.netns } : {}),
    ...(spec.env !== undefined ? { env: spec.env } : {}),
    ...(spec.logFile !== undefined ? { logFile: spec.logFile } : {}),
  });
  const deadline = Date.now() + deps.timeoutMs;
  let exit: ChildExit | undefined;
  void child.exited.then((e) => {
    exit = e;
    deps.onExit(child.pid, e);
  });

  if (spec.daemonizes === true) {
    while (exit === undefined) {
      if (Date.now() > deadline) throw new OpError(`process ${spec.id}: launcher pid ${child.pid} did not exit within ${deps.timeoutMs} ms`, 'TRANSIENT');
      await sleep(POLL_MS);
    }
    if (exit.code !== 0) throw await launchFailed(spec, exit);
    for (;;) {
      const pid = await readPidFile(pidFile);
      if (pid !== undefined) {
        const obs = observe(pid, await deps.readProc(pid), spec);
        if (obs.kind === 'ours') return pid;
        if (obs.kind === 'dead') throw await launchFailed(spec, undefined, `daemon pid ${pid} died right after start`);
      }
      if (Date.now() > deadline) throw new OpError(`process ${spec.id}: no live pid in ${pidFile} within ${deps.timeoutMs} ms`, 'TRANSIENT');
      await sleep(POLL_MS);
    }
  }

  for (;;) {
    if (exit !== undefined) throw await launchFailed(spec, exit);
    const obs = observe(child.pid, await deps.readProc(child.pid), spec);
    if (obs.kind === 'ours' && obs.sameArgv) break;
    if (Date.now() > deadline) throw new OpError(`process ${spec.id}: pid ${child.pid} did not exec ${spec.argv[0] ?? ''} within ${deps.timeoutMs} ms`, 'TRANSIENT');
    await sleep(POLL_MS);
  }
  await writePidFile(pidFile, child.pid);
  return child.pid;
}

async function launchFailed(spec: SupervisedProcessSpec, exit: ChildExit | undefined, what?: string): Promise<OpError> {
  const why = what ?? (exit?.signal ? `killed by ${exit.signal}` : `exited ${exit?.code ?? 'n/a'}`);
  const tail = spec.logFile !== undefined ? await logTail(spec.logFile) : '';
  return new OpError(`process ${spec.id}: ${why} at start${tail ? `: ${tail}` : ''}`, 'FATAL');
}

/** Last non-empty line of the log, so a config error reaches the caller's error. */
async function logTail(path: string): Promise<string> {
  try {
    const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    return (lines[lines.length - 1] ?? '').slice(0, 300);
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
