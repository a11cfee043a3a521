/**
 * Failures of a router namespace's iptables apply, typed at the boundary.
 */
import { CommandError, OpError } from '../../../shared/exec/errors.js';

export type RouterNatStep = 'read4' | 'read6' | 'test4' | 'test6' | 'restore4' | 'restore6' | 'conntrack';

/**
 * A step failed. `cause` is the {@link CommandError} (argv, exit code, stderr);
 * `argv`/`stderr` are copied up, and for a restore the offending script line when
 * iptables-restore named one ("Error occurred at line: N"). `kind` is the cause's.
 */
export class RouterNatError extends OpError {
  override readonly name = 'RouterNatError';
  readonly argv: readonly string[];
  readonly stderr: string;
  readonly failedLine: string | undefined;

  constructor(
    readonly step: RouterNatStep,
    readonly netns: string,
    cause: unknown,
    script?: string,
  ) {
    const ce = cause instanceof CommandError ? cause : undefined;
    const n = ce ? /line:? (\d+)/i.exec(ce.stderr)?.[1] : undefined;
    const failedLine = n !== undefined && script !== undefined ? script.split('\n')[Number(n) - 1] : undefined;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`router nat ${step} in ${netns} failed: ${why}${failedLine !== undefined ? ` (line: ${failedLine})` : ''}`, cause instanceof OpError ? cause.kind : 'FATAL', { cause });
    this.argv = ce?.argv ?? [];
    this.stderr = ce?.stderr ?? '';
    this.failedLine = failedLine;
  }
}
