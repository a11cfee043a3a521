/**
 * The only way nucleon runs a program. Argument arrays only, never a shell;
 * every name in `argv` is expected to be validated (see `names.ts`) by the caller.
 */
import { execa } from 'execa';
import type { Logger } from '../logging/logger.js';
import { CommandError } from './errors.js';
import { assertNetnsName } from './names.js';

export interface RunOptions {
  /** Written to the child's stdin (then closed). Without it stdin is empty. */
  input?: string;
  /** Kill the child (SIGTERM) after this long; the error then has `timedOut` and kind TRANSIENT. */
  timeoutMs?: number;
  /** Run inside this network namespace: `ip netns exec NS argv...`. */
  netns?: string;
  /** Extra environment, merged over the agent's own. */
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/**
 * Port for running commands.
 * Contract: resolves only when the command exited 0; otherwise rejects with a
 * {@link CommandError} (argv as given by the caller, without the netns prefix,
 * with exit code, stdout, stderr, `timedOut` and a `kind`).
 */
export interface CommandRunner {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

export interface ExecaCommandRunnerOptions {
  logger?: Logger;
  /** Used when a call gives no `timeoutMs`. Default 30 s. */
  defaultTimeoutMs?: number;
}

/** {@link CommandRunner} on execa 9. */
export class ExecaCommandRunner implements CommandRunner {
  private readonly log: Logger | undefined;
  private readonly defaultTimeoutMs: number;

  constructor(opts: ExecaCommandRunnerOptions = {}) {
    this.log = opts.logger;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 30_000;
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const [file, ...args] = argv;
    if (file === undefined) throw new CommandError({ argv, exitCode: undefined, stdout: '', stderr: 'empty argv', timedOut: false, kind: 'FATAL' });
    let full: string[] = [file, ...args];
    if (opts.netns !== undefined) {
      assertNetnsName(opts.netns);
      full = ['ip', 'netns', 'exec', opts.netns, ...full];
    }
    const started = performance.now();
    const r = await execa(full[0] as string, full.slice(1), {
      input: opts.input ?? '',
      timeout: opts.timeoutMs ?? this.defaultTimeoutMs,
      // C locale so the stderr patterns in errors.ts match.
      env: { LC_ALL: 'C', ...opts.env },
      extendEnv: true,
      reject: false,
      shell: false,
      stripFinalNewline: false,
    });
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    const stderr = typeof r.stderr === 'string' ? r.stderr : '';
    this.log?.debug({ argv: full, netns: opts.netns, durationMs, exitCode: r.exitCode, timedOut: r.timedOut }, 'command');
    if (!r.failed && r.exitCode === 0) return { stdout, stderr, exitCode: 0, durationMs };
    // A spawn failure (binary missing: ENOENT) has no exit code. It must be FATAL,
    // never NOT_FOUND, or a delete would count a missing `ip` binary as success.
    const spawnFailed = r.exitCode === undefined && !r.timedOut;
    throw new CommandError({
      argv,
      exitCode: r.exitCode,
      stdout,
      stderr: stderr || (spawnFailed ? (r.shortMessage ?? '') : ''),
      timedOut: r.timedOut,
      ...(spawnFailed ? { kind: 'FATAL' as const } : {}),
      ...(opts.netns !== undefined ? { netns: opts.netns } : {}),
    });
  }
}
