/**
 * Runs a {@link PlugPlan}'s three stages in order: `detach` (an executor apply of its
 * own, so OVSDB forgets a port before its device is re-created), `ops`, then the
 * device commands (ethtool) once the devices exist. Stops after a stage whose ops
 * failed; command failures are returned, not thrown: they cost TCP through the
 * netdev datapath, not the port itself.
 */
import type { CommandRunner } from '../../exec/command-runner.js';
import { toOpError, type OpError } from '../../exec/errors.js';
import type { ApplyFailure, Executor } from '../../reconcile/executor.js';
import type { DeviceCommand, PlugPlan } from './types.js';

export interface PlugApplyResult {
  applied: number;
  failed: ApplyFailure[];
  durationMs: number;
  commandFailures: Array<{ command: DeviceCommand; error: OpError }>;
}

export async function applyPlugPlan(executor: Executor, runner: CommandRunner, plan: PlugPlan): Promise<PlugApplyResult> {
  const out: PlugApplyResult = { applied: 0, failed: [], durationMs: 0, commandFailures: [] };
  for (const stage of [plan.detach, plan.ops]) {
    if (stage.length === 0) continue;
    const r = await executor.apply(stage);
    out.applied += r.applied;
    out.failed.push(...r.failed);
    out.durationMs += r.durationMs;
    if (r.failed.length > 0) return out;
  }
  for (const c of plan.commands) {
    try {
      await runner.run(c.argv, c.netns !== undefined ? { netns: c.netns } : {});
    } catch (err) {
      out.commandFailures.push({ command: c, error: toOpError(err, c.argv[0] ?? 'command') });
    }
  }
  return out;
}
