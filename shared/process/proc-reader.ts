/** Reads one PID's /proc entries into a {@link ProcSnapshot}. */
import { readFile } from 'node:fs/promises';
import type { ProcSnapshot } from './identity.js';
import { parseCmdline, parseStatExitCode, parseStatusState } from './proc.js';

/**
 * Snapshot of /proc/<pid>, or undefined when the process does not exist.
 * `procRoot` is a parameter so tests can point it at a recorded tree.
 */
export async function readProc(pid: number, procRoot = '/proc'): Promise<ProcSnapshot | undefined> {
  const dir = `${procRoot}/${pid}`;
  let status: string;
  try {
    status = await readFile(`${dir}/status`, 'utf8');
  } catch {
    return undefined;
  }
  // The process may exit between the reads: a missing file then reads as empty.
  const [cmdline, stat] = await Promise.all([readFile(`${dir}/cmdline`).catch(() => Buffer.alloc(0)), readFile(`${dir}/stat`, 'utf8').catch(() => '')]);
  const state = parseStatusState(status);
  return { pid, state, cmdline: parseCmdline(cmdline), exitStatus: state === 'Z' ? parseStatExitCode(stat) : undefined };
}
