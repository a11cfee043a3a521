/**
 * Driver for the iptables state of one qrouter namespace: reads it back, applies
 * the rendered desired state only where it differs.
 *
 * Contract:
 * - `apply(desired, netns)` makes the namespace's owned chains (`neutron-l3-agent-*`,
 *   Python's names: a namespace the Python agent left is adopted) and the jumps into
 *   them (from the built-in chains, `neutron-filter-top`, `neutron-postrouting-bottom`)
 *   match `desired` (see render.ts). Rules that are not ours stay.
 * - Per family: one `iptables-save` (all tables), then, only if something differs,
 *   one `iptables-restore --noflush --test` and one `iptables-restore --noflush`
 *   with every differing table, rules on stdin (KERNEL.md §3: `-w FILE` would read
 *   FILE as the wait time and load nothing). Each table is one atomic transaction;
 *   see restore.ts for why not across tables.
 * - Applying the same desired again runs only the reads; nothing changes, not even
 *   counters. A rule deleted by hand comes back at the next apply.
 * - A floating IP whose DNAT rule was in the kernel and is not desired any more has
 *   its conntrack entries deleted after the restore (conntrack.ts, as Neutron does),
 *   so established connections through it are cut too. Found from the kernel's
 *   rules, not from a previous payload, so it also works after a restart.
 * - Failures throw {@link RouterNatError} (step, argv, stderr); nothing is retried
 *   here, the caller keeps the router dirty.
 * - Not here: `net.ipv4.ip_forward=1` in the namespace, the agent's sysctl op
 *   (agents/l3/kernel.ts); without it nothing is routed, NAT or not.
 * - One apply per namespace at a time (the agent's runner guarantees it): two
 *   concurrent applies could both insert a missing jump.
 */
import type { CommandRunner } from '../../../shared/exec/command-runner.js';
import { assertNetnsName } from '../../../shared/exec/names.js';
import { deleteFloatingIpConntrack } from './conntrack.js';
import { RouterNatError, type RouterNatStep } from './errors.js';
import { wrapped } from './names.js';
import { composeFamilyRestore, savedTable } from './restore.js';
import type { RouterNatDesired } from './types.js';

export interface RouterNatOptions {
  runner: CommandRunner;
  /** Per command. Default 30 s. */
  timeoutMs?: number;
}

export interface RouterNatApplyResult {
  /** Which families were restored. */
  changed: { 4: boolean; 6: boolean };
  /** The restore inputs that ran, for logs and tests. */
  scripts: { 4?: string; 6?: string };
  /** Floating IPs whose DNAT was in the kernel and is not desired: their conntrack entries were deleted. */
  removedFloatingIps: string[];
  commands: number;
}

export interface RouterNatPlan {
  /** Restore input per family; null when that family is in sync. */
  4: string | null;
  6: string | null;
  /** `iptables-save` as read. */
  save4: string;
}

const TOOLS = {
  4: { save: 'iptables-save', restore: 'iptables-restore' },
  6: { save: 'ip6tables-save', restore: 'ip6tables-restore' },
} as const;

const PREROUTING = wrapped('PREROUTING');

/** Floating IPs of `-A neutron-l3-agent-PREROUTING -d <fip>/32 -j DNAT …` rules. */
function dnatTargets(rules: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of rules) {
    const m = /^-A (\S+) -d (\S+)\/32 -j DNAT /.exec(r);
    if (m && m[1] === PREROUTING && m[2] !== undefined) out.push(m[2]);
  }
  return out;
}

export class RouterNat {
  private readonly runner: CommandRunner;
  private readonly timeoutMs: number;

  constructor(opts: RouterNatOptions) {
    this.runner = opts.runner;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async run(step: RouterNatStep, netns: string, argv: string[], input?: string): Promise<string> {
    try {
      const r = await this.runner.run(argv, { netns, timeoutMs: this.timeoutMs, ...(input !== undefined ? { input } : {}) });
      return r.stdout;
    } catch (e) {
      throw new RouterNatError(step, netns, e, input);
    }
  }

  /** Reads the namespace back: what `apply` would restore now. */
  async plan(desired: RouterNatDesired, netns: string): Promise<RouterNatPlan> {
    assertNetnsName(netns);
    const v6 = desired[6];
    const [s4, s6] = await Promise.all([
      this.run('read4', netns, [TOOLS[4].save]),
      v6 !== undefined ? this.run('read6', netns, [TOOLS[6].save]) : Promise.resolve(''),
    ]);
    return { 4: composeFamilyRestore(desired[4], s4), 6: v6 !== undefined ? composeFamilyRestore(v6, s6) : null, save4: s4 };
  }

  /** Makes the namespace match `desired` (see the class contract). */
  async apply(desired: RouterNatDesired, netns: string): Promise<RouterNatApplyResult> {
    const plan = await this.plan(desired, netns);
    const result: RouterNatApplyResult = { changed: { 4: false, 6: false }, scripts: {}, removedFloatingIps: [], commands: desired[6] !== undefined ? 2 : 1 };
    for (const fam of [4, 6] as const) {
      const script = plan[fam];
      if (script === null) continue;
      // --test parses the whole input without committing: a bad rule then changes no table.
      await this.run(fam === 4 ? 'test4' : 'test6', netns, [TOOLS[fam].restore, '--noflush', '--test'], script);
      await this.run(fam === 4 ? 'restore4' : 'restore6', netns, [TOOLS[fam].restore, '--noflush'], script);
      result.changed[fam] = true;
      result.scripts[fam] = script;
      result.commands += 2;
    }
    if (plan[4] !== null) {
      const want = new Set(dnatTargets(desired[4].nat.rules));
      const gone = dnatTargets(savedTable(plan.save4, 'nat').rules.get(PREROUTING) ?? []).filter((ip) => !want.has(ip));
      for (const ip of gone) {
        await deleteFloatingIpConntrack(this.runner, netns, ip);
        result.commands += 2;
      }
      result.removedFloatingIps = gone;
    }
    return result;
  }
}
