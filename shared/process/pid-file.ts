/**
 * Pid files: parsing (pure), reading, writing (atomic) and the default layout.
 *
 * Layout follows Neutron's ProcessManager so an operator finds them where the
 * Python agents kept them: `$external_pids/<uuid>.pid.<service>`, with
 * `$external_pids` defaulting to `$state_path/external/pids`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OpError } from '../exec/errors.js';
import { writeFileAtomic } from '../reconcile/atomic-file.js';

/** Largest PID Linux hands out (pid_max limit, 2^22). */
const PID_MAX = 4_194_304;

/**
 * The PID in a pid file's text, or undefined when it is not one positive integer
 * (surrounding whitespace allowed; dnsmasq and haproxy end it with a newline).
 * haproxy writes one PID per line when it runs several processes; the first is
 * the one we track.
 */
export function parsePidFile(text: string): number | undefined {
  const first = text.trim().split('\n')[0]?.trim() ?? '';
  if (!/^\d{1,7}$/.test(first)) return undefined;
  const pid = Number(first);
  return pid >= 1 && pid <= PID_MAX ? pid : undefined;
}

/** Reads and parses a pid file; a missing or unreadable file is undefined. */
export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    return parsePidFile(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Writes `<pid>\n` atomically (a reader never sees a half-written PID). */
export async function writePidFile(path: string, pid: number): Promise<void> {
  await writeFileAtomic(path, `${pid}\n`);
}

/**
 * Default pid file for a process id `service:uuid` → `<dir>/<uuid>.pid.<service>`
 * (Neutron's name); any other id → `<dir>/<id>.pid`. The id must be a safe file name.
 */
export function defaultPidFile(dir: string, id: string): string {
  const i = id.indexOf(':');
  const base = i > 0 ? `${id.slice(i + 1)}.pid.${id.slice(0, i)}` : `${id}.pid`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(base) || base.includes('..')) throw new OpError(`process id not usable as a file name: ${JSON.stringify(id)}`, 'FATAL');
  return join(dir, base);
}
