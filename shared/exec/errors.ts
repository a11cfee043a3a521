/**
 * Typed errors at the command boundary. Every failure that leaves `shared/exec`
 * or the reconcile executor carries a {@link ErrorKind} so callers decide on
 * policy (success for delete-if-missing, retry with backoff for TRANSIENT, …)
 * without parsing strings themselves.
 */

/**
 * Failure classes:
 * - `NOT_FOUND`: the object (device, route, namespace, file, process) is absent.
 *   A delete that fails this way is a success.
 * - `EXISTS`: the object is already there. An add that fails this way is a success.
 * - `TRANSIENT`: busy/locked/timeout; the same command may succeed later.
 * - `FATAL`: anything else (bad argument, unsupported kind, …).
 */
export type ErrorKind = 'NOT_FOUND' | 'EXISTS' | 'TRANSIENT' | 'FATAL';

/** Base of every classified failure; `CommandError` is the usual subclass. */
export class OpError extends Error {
  override readonly name: string = 'OpError';
  readonly kind: ErrorKind;

  constructor(message: string, kind: ErrorKind, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

export interface CommandErrorFields {
  argv: readonly string[];
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Defaults to {@link classifyStderr} of `stderr` (TRANSIENT when timed out). */
  kind?: ErrorKind;
  /** Namespace the command ran in, for the message only. */
  netns?: string;
  cause?: unknown;
}

/** A command that ran (or failed to spawn) and did not succeed. */
export class CommandError extends OpError {
  override readonly name: string = 'CommandError';
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;

  constructor(f: CommandErrorFields) {
    const kind = f.kind ?? (f.timedOut ? 'TRANSIENT' : classifyStderr(f.stderr));
    const where = f.netns ? ` (netns ${f.netns})` : '';
    const why = f.timedOut ? 'timed out' : `exit ${f.exitCode ?? 'n/a'}`;
    const detail = firstLine(f.stderr);
    super(`${f.argv.join(' ')}${where}: ${why}${detail ? `: ${detail}` : ''}`, kind, { cause: f.cause });
    this.argv = f.argv;
    this.exitCode = f.exitCode;
    this.stdout = f.stdout;
    this.stderr = f.stderr;
    this.timedOut = f.timedOut;
  }
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '');
  return line ? line.trim().slice(0, 300) : '';
}

// Ordered: the first matching class wins. Texts seen from iproute2 6.1, bridge,
// iptables 1.8.9, nft 1.0.6, ovs-vsctl 3.1 and procps sysctl on this kernel.
const PATTERNS: ReadonlyArray<readonly [ErrorKind, RegExp]> = [
  // `ip netns exec NS nft` with nft not installed prints `exec of "nft" failed: No such
  // file or directory`: a missing binary, never a missing object.
  ['FATAL', /^exec of ".*" failed/m],
  // "Resource busy" / "Device or resource busy" (EBUSY), EAGAIN, xtables lock, ENOBUFS.
  ['TRANSIENT', /resource busy|resource temporarily unavailable|try again|holding the xtables lock|no buffer space available|interrupted system call|timed out/i],
  // "File exists" (EEXIST), "Error: ipv4: Address already assigned.", ovs-vsctl "... already exists".
  ['EXISTS', /file exists|address already assigned|already exists/i],
  // "Cannot find device", ENOENT, ENODEV, ESRCH ("route del" of a missing route),
  // "Error: ipv4: Address not found.", EADDRNOTAVAIL ("addr del" of a missing v6 address),
  // "Cannot open network namespace", ovs-vsctl "no port named X" / "no bridge named X".
  ['NOT_FOUND', /cannot find device|no such file or directory|no such device|no such process|address not found|cannot assign requested address|cannot open network namespace|\bno (port|bridge|interface|row) named\b|does not exist/i],
];

/** Derives the failure class from a command's stderr. Pure. */
export function classifyStderr(stderr: string): ErrorKind {
  for (const [kind, re] of PATTERNS) if (re.test(stderr)) return kind;
  return 'FATAL';
}

/** Maps a Node.js errno code (from fs or spawn) to a failure class. */
export function classifyErrno(code: string | undefined): ErrorKind {
  switch (code) {
    case 'ENOENT':
    case 'ESRCH':
    case 'ENODEV':
      return 'NOT_FOUND';
    case 'EEXIST':
      return 'EXISTS';
    case 'EBUSY':
    case 'EAGAIN':
    case 'EINTR':
    case 'ETIMEDOUT':
      return 'TRANSIENT';
    default:
      return 'FATAL';
  }
}

/** Wraps any thrown value into an {@link OpError}, keeping typed errors as they are. */
export function toOpError(err: unknown, context: string): OpError {
  if (err instanceof OpError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return new OpError(`${context}: ${msg}`, classifyErrno(code), { cause: err });
}
