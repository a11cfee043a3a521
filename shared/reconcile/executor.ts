/**
 * Runs a plan of {@link Op}s with as few processes as possible, in dependency
 * order (see plan.ts), and attributes every failure to its op and key.
 *
 * Contract:
 * - Idempotent: applying the same ops twice succeeds twice. A delete whose target is
 *   missing (NOT_FOUND) and a create whose target exists (EXISTS) count as applied.
 * - Best effort: a failing op does not stop the others (`-force` for batches; merged
 *   commands that fail are re-run op by op to find the culprit).
 * - Ownership is the planner's job: the executor touches exactly what the ops name.
 * - Never throws for a failing op; throws only for programming errors.
 */
import type { Logger } from '../logging/logger.js';
import type { CommandRunner } from '../exec/command-runner.js';
import { CommandError, OpError, toOpError } from '../exec/errors.js';
import { assertNetnsName } from '../exec/names.js';
import { removeFile, writeFileAtomic } from './atomic-file.js';
import { parseBatchStderr } from './batch-result.js';
import { isCreate, isDelete, type IptablesRestoreOp, type NftApplyOp, type Op, type OvsVsctlOp, type SysctlSetOp } from './ops.js';
import { planSteps, type BatchCommand, type BatchLine, type OpGroup, type Step } from './plan.js';
import type { ProcessSupervisor, SignalSender } from './ports.js';
import { renderIptablesRestore, renderNft, renderOvsVsctl, renderSysctl } from './render.js';

export interface ApplyFailure {
  op: Op;
  key: string;
  /** Usually a {@link CommandError}; file and process ops fail with a plain {@link OpError}. */
  error: OpError;
}

export interface ApplyResult {
  /** Ops that reached their desired effect (including NOT_FOUND deletes / EXISTS creates). */
  applied: number;
  failed: ApplyFailure[];
  durationMs: number;
  /** Processes spawned (batches, restores, …): the cost the batching saves. */
  commands: number;
}

export interface ExecutorOptions {
  runner: CommandRunner;
  logger?: Logger;
  supervisor?: ProcessSupervisor;
  signal?: SignalSender;
  /** Global ovs-vsctl arguments, e.g. `['--db=unix:/run/ovs/db.sock', '--timeout=10']`. */
  ovsVsctlArgs?: readonly string[];
  /** Per-command timeout. Default 30 s. */
  timeoutMs?: number;
}

/** Failure slot per op: undefined = not yet run, null = ok. */
type Outcomes = Array<OpError | null | undefined>;

export class Executor {
  private readonly runner: CommandRunner;
  private readonly log: Logger | undefined;
  private readonly supervisor: ProcessSupervisor | undefined;
  private readonly signal: SignalSender;
  private readonly ovsArgs: readonly string[];
  private readonly timeoutMs: number;

  constructor(opts: ExecutorOptions) {
    this.runner = opts.runner;
    this.log = opts.logger;
    this.supervisor = opts.supervisor;
    this.signal = opts.signal ?? ((pid, sig) => void process.kill(pid, sig));
    this.ovsArgs = opts.ovsVsctlArgs ?? [];
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async apply(ops: readonly Op[]): Promise<ApplyResult> {
    const started = performance.now();
    const outcomes: Outcomes = new Array(ops.length).fill(undefined);
    const ctx = { ops, outcomes, commands: 0 };
    const plan = planSteps(ops);
    for (const { opIndex, error } of plan.invalid) outcomes[opIndex] = new OpError(error.message, 'FATAL', { cause: error });
    for (const step of plan.steps) await this.runStep(step, ctx);

    const failed: ApplyFailure[] = [];
    let applied = 0;
    ops.forEach((op, i) => {
      const e = outcomes[i];
      if (e) failed.push({ op, key: op.key, error: e });
      else applied++;
    });
    const durationMs = Math.round(performance.now() - started);
    this.log?.debug({ ops: ops.length, failed: failed.length, commands: ctx.commands, durationMs }, 'executor apply');
    return { applied, failed, durationMs, commands: ctx.commands };
  }

  private async runStep(step: Step, ctx: Ctx): Promise<void> {
    switch (step.type) {
      case 'batch':
        for (const b of step.batches) await this.runBatch(b, ctx);
        return;
      case 'ovs':
        for (const g of step.groups) await this.runOvs(g, ctx);
        return;
      case 'sysctl':
        for (const g of step.groups) await this.runMerged(g, ctx, (idx) => this.sysctl(idx, g, ctx));
        return;
      case 'iptables':
        for (const g of step.groups) await this.runMerged(g, ctx, (idx) => this.iptables(idx, g, ctx));
        return;
      case 'nft':
        for (const i of step.opIndexes) await this.runMerged({ opIndexes: [i] }, ctx, (idx) => this.nft(idx, ctx));
        return;
      case 'file':
      case 'process':
        for (const i of step.opIndexes) record(ctx, i, await this.local(ctx.ops[i] as Op));
        return;
    }
  }

  // ---- ip / bridge batches ---------------------------------------------------------

  private batchArgv(b: BatchCommand): string[] {
    if (b.netns !== undefined) assertNetnsName(b.netns);
    return [b.tool, ...(b.netns !== undefined ? ['-n', b.netns] : []), '-force', '-batch', '-'];
  }

  /** Runs one batch and records an outcome for each of its lines' ops. */
  private async runBatch(b: BatchCommand, ctx: Ctx): Promise<void> {
    const errors = await this.execBatch(b, ctx);
    b.lines.forEach((line, i) => record(ctx, line.opIndex, errors.get(i) ?? null));
  }

  /** Returns line index (0-based) → error for the failed lines. */
  private async execBatch(b: BatchCommand, ctx: Ctx): Promise<Map<number, CommandError>> {
    const argv = this.batchArgv(b);
    const input = b.lines.map((l) => l.tokens.join(' ')).join('\n') + '\n';
    const out = new Map<number, CommandError>();
    ctx.commands++;
    try {
      await this.runner.run(argv, { input, timeoutMs: this.timeoutMs });
      return out;
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      const lineErr = (line: BatchLine, stderr: string, exitCode = err.exitCode): CommandError =>
        new CommandError({
          // The equivalent single command: what actually failed.
          argv: [b.tool, ...(b.netns !== undefined ? ['-n', b.netns] : []), ...line.tokens],
          exitCode,
          stdout: '',
          stderr,
          timedOut: err.timedOut,
          ...(err.timedOut ? { kind: 'TRANSIENT' as const } : {}),
        });
      if (err.timedOut) {
        b.lines.forEach((l, i) => out.set(i, lineErr(l, err.stderr)));
        return out;
      }
      const parsed = parseBatchStderr(err.stderr);
      for (const [n, text] of parsed.failed) {
        const line = b.lines[n - 1];
        if (line) out.set(n - 1, lineErr(line, text));
      }
      if (parsed.trailing === '' && parsed.failed.size > 0) return out;
      const rest = b.lines.slice(parsed.lastMarkedLine);
      const firstAborting = rest.findIndex((l) => l.aborting);
      if (parsed.trailing !== '' && err.exitCode === 2 && firstAborting >= 0 && b.lines.length > 1) {
        // An aborting line (neigh replace) killed the batch somewhere at or after
        // `firstAborting`; lines before it succeeded (a failing non-aborting line would
        // have printed a marker). Re-run the tail one line at a time: all idempotent.
        const tailStart = parsed.lastMarkedLine + firstAborting;
        for (let i = tailStart; i < b.lines.length; i++) {
          const single: BatchCommand = { ...b, lines: [b.lines[i] as BatchLine] };
          const e = (await this.execBatch(single, ctx)).get(0);
          if (e) out.set(i, e);
        }
        return out;
      }
      // Died before or while reading (namespace missing, …), or failed with no detail:
      // every unreported line shares the error.
      const text = parsed.trailing || err.stderr || err.message;
      for (let i = parsed.lastMarkedLine; i < b.lines.length; i++) out.set(i, lineErr(b.lines[i] as BatchLine, text));
      return out;
    }
  }

  // ---- merged commands: run once for a group, op by op on failure -------------------

  /**
   * Runs `exec` for the whole group; if that fails and the group has more than one op,
   * runs each op alone so the failure lands on the right key (all these commands are
   * idempotent: restore/replace semantics or --may-exist/--if-exists).
   */
  private async runMerged(g: OpGroup, ctx: Ctx, exec: (idx: number[]) => Promise<void>): Promise<void> {
    try {
      await exec(g.opIndexes);
      for (const i of g.opIndexes) record(ctx, i, null);
      return;
    } catch (err) {
      if (g.opIndexes.length === 1) {
        record(ctx, g.opIndexes[0] as number, toOpError(err, 'command'));
        return;
      }
    }
    await this.runEach(g.opIndexes, ctx, exec);
  }

  private async runEach(opIndexes: readonly number[], ctx: Ctx, exec: (idx: number[]) => Promise<void>): Promise<void> {
    for (const i of opIndexes) {
      try {
        await exec([i]);
        record(ctx, i, null);
      } catch (err) {
        record(ctx, i, toOpError(err, 'command'));
      }
    }
  }

  /**
   * Like {@link runMerged}, except for the rc-0 "Error detected while setting up" quirk:
   * that transaction has COMMITTED, so re-running op by op would find the bridge/port
   * already there (`--may-exist` prints nothing) and report success, losing the failure.
   * The names in the message are attributed to the ops that add or set them instead
   * (every op of the group fails if none matches). A later apply still sees success:
   * only a read-back of `Interface.error`/`ofport` can tell a broken port then.
   */
  private async runOvs(g: OpGroup, ctx: Ctx): Promise<void> {
    try {
      await this.ovs(g.opIndexes, g, ctx);
      for (const i of g.opIndexes) record(ctx, i, null);
      return;
    } catch (err) {
      if (err instanceof CommandError && err.exitCode === 0) {
        const names = ovsSetupErrorNames(err.stderr);
        const hit = g.opIndexes.filter((i) => (ctx.ops[i] as OvsVsctlOp).commands.some((c) => names.has(ovsCommandTarget(c) ?? '')));
        const failing = hit.length > 0 ? hit : g.opIndexes;
        for (const i of g.opIndexes) record(ctx, i, failing.includes(i) ? err : null);
        return;
      }
      if (g.opIndexes.length === 1) {
        record(ctx, g.opIndexes[0] as number, toOpError(err, 'command'));
        return;
      }
    }
    // Exit ≠ 0: ovs-vsctl committed nothing; find the culprit op by op.
    await this.runEach(g.opIndexes, ctx, (idx) => this.ovs(idx, g, ctx));
  }

  private async ovs(idx: number[], g: OpGroup, ctx: Ctx): Promise<void> {
    const cmds = idx.flatMap((i) => (ctx.ops[i] as OvsVsctlOp).commands);
    const argv = renderOvsVsctl(cmds, this.ovsArgs);
    ctx.commands++;
    const r = await this.runner.run(argv, { timeoutMs: this.timeoutMs, ...(g.netns !== undefined ? { netns: g.netns } : {}) });
    // OVS 3.1 quirk: a bridge/port vswitchd could not set up still commits with exit 0
    // and only prints "Error detected while setting up 'X'" on stderr.
    if (/Error detected while setting up/i.test(r.stderr)) {
      throw new CommandError({ argv, exitCode: 0, stdout: r.stdout, stderr: r.stderr, timedOut: false, kind: 'FATAL', ...(g.netns !== undefined ? { netns: g.netns } : {}) });
    }
  }

  private async sysctl(idx: number[], g: OpGroup, ctx: Ctx): Promise<void> {
    const argv = renderSysctl(idx.map((i) => ctx.ops[i] as SysctlSetOp));
    ctx.commands++;
    await this.runner.run(argv, { timeoutMs: this.timeoutMs, ...(g.netns !== undefined ? { netns: g.netns } : {}) });
  }

  private async iptables(idx: number[], g: OpGroup, ctx: Ctx): Promise<void> {
    const { argv, input } = renderIptablesRestore(idx.map((i) => ctx.ops[i] as IptablesRestoreOp));
    ctx.commands++;
    await this.runner.run(argv, { input, timeoutMs: this.timeoutMs, ...(g.netns !== undefined ? { netns: g.netns } : {}) });
  }

  private async nft(idx: number[], ctx: Ctx): Promise<void> {
    const op = ctx.ops[idx[0] as number] as NftApplyOp;
    const { argv, input } = renderNft(op);
    ctx.commands++;
    await this.runner.run(argv, { input, timeoutMs: this.timeoutMs, ...(op.netns !== undefined ? { netns: op.netns } : {}) });
  }

  // ---- in-process ops: files, processes, signals ------------------------------------

  private async local(op: Op): Promise<OpError | null> {
    try {
      switch (op.kind) {
        case 'file.write':
          await writeFileAtomic(op.path, op.content, op.mode !== undefined ? { mode: op.mode } : {});
          return null;
        case 'file.remove':
          await removeFile(op.path);
          return null;
        case 'process.signal':
          this.signal(op.pid, op.signal);
          return null;
        case 'process.start':
          await this.requireSupervisor().start(op.spec);
          return null;
        case 'process.stop':
          await this.requireSupervisor().stop(op.id);
          return null;
        default:
          return new OpError(`op kind ${op.kind} is not a local op`, 'FATAL');
      }
    } catch (err) {
      return toOpError(err, op.kind);
    }
  }

  private requireSupervisor(): ProcessSupervisor {
    if (!this.supervisor) throw new OpError('no process supervisor configured', 'FATAL');
    return this.supervisor;
  }
}

/** Names in ovs-vsctl's "Error detected while setting up 'X'" lines. */
function ovsSetupErrorNames(stderr: string): Set<string> {
  return new Set([...stderr.matchAll(/Error detected while setting up '([^']+)'/gi)].map((m) => m[1] as string));
}

/** The bridge/port/interface a subcommand creates or configures (what vswitchd sets up). */
function ovsCommandTarget(c: OvsVsctlOp['commands'][number]): string | undefined {
  switch (c.cmd) {
    case 'add-br': return c.bridge;
    case 'add-port': return c.port;
    case 'set':
    case 'clear': return c.record;
    default: return undefined;
  }
}

interface Ctx {
  ops: readonly Op[];
  outcomes: Outcomes;
  commands: number;
}

/**
 * Records an op's outcome; an op with several units fails if any unit fails (first
 * error kept). NOT_FOUND on delete and EXISTS on create are successes.
 */
function record(ctx: Ctx, i: number, err: OpError | null): void {
  const op = ctx.ops[i] as Op;
  const tolerated = err !== null && ((isDelete(op) && err.kind === 'NOT_FOUND') || (isCreate(op) && err.kind === 'EXISTS'));
  const value = tolerated ? null : err;
  if (ctx.outcomes[i]) return;
  ctx.outcomes[i] = value;
}
