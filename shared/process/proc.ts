/**
 * Pure parsers for what /proc says about a process. No I/O here: proc-reader.ts
 * reads the files, these functions decide, so the decisions are unit-testable
 * with recorded texts.
 */

/**
 * argv from /proc/<pid>/cmdline: NUL-separated, NUL-terminated. Empty for a
 * zombie or a kernel thread.
 *
 * Quirk (as Neutron's get_cmdline_from_pid): a program that rewrites its argv
 * area (setproctitle) may leave one space-separated string; a single element
 * containing spaces is split on spaces so it can still be compared.
 */
export function parseCmdline(raw: string | Buffer): string[] {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && (parts[0] ?? '').includes(' ')) return (parts[0] ?? '').split(' ').filter((p) => p !== '');
  return parts;
}

/**
 * The one-letter scheduler state from /proc/<pid>/status (`State:\tZ (zombie)`),
 * or undefined when the line is missing.
 */
export function parseStatusState(status: string): string | undefined {
  const m = /^State:\s*([A-Za-z])/m.exec(status);
  return m?.[1];
}

/**
 * True when the status text says the process is gone but not reaped: `Z` (zombie)
 * or `X` (dead, being torn down).
 *
 * Why it matters: PID 1 on these machines does not reap orphans, and a daemon that
 * forked away from the agent is an orphan, so a crashed dnsmasq stays a zombie with
 * its PID still "existing" in /proc. Such a PID counts as dead.
 */
export function isDeadState(state: string | undefined): boolean {
  return state === 'Z' || state === 'X';
}

/**
 * The exit status of a zombie from /proc/<pid>/stat field 52 (`exit_code`, Linux ≥ 3.5,
 * in waitpid(2) form), or undefined. The comm field may hold spaces and parentheses,
 * so fields are counted after the last `)`.
 */
export function parseStatExitCode(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state); field 52 is fields[49].
  const raw = fields[49];
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** Human-readable waitpid(2) status: `exit 1`, `signal SIGKILL`. */
export function describeWaitStatus(status: number): string {
  const sig = status & 0x7f;
  if (sig === 0) return `exit ${(status >> 8) & 0xff}`;
  return `signal ${signalName(sig)}${status & 0x80 ? ' (core dumped)' : ''}`;
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

function signalName(n: number): string {
  return SIGNALS[n] ?? String(n);
}
