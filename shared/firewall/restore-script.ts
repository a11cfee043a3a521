/**
 * The one `iptables-restore --noflush` table block that takes a table from what
 * `iptables-save` shows to the desired owned chains. Pure. Used by the
 * security-group firewall (filter table, {@link composeRestore}) and by the L3
 * agent's router NAT (agents/l3/nat: raw, mangle, filter, nat), each with its
 * own {@link TablePolicy}.
 *
 * Contract:
 * - Owned chains (`policy.isOwned`) are declared with `:chain - [0:0]`, which
 *   with --noflush creates or flushes them (checked on iptables-nft 1.8.9), then
 *   refilled: one atomic transaction per table, no window without rules.
 * - Owned chains not desired are flushed, rules elsewhere that jump to them are
 *   deleted (`-D`), then they are removed (`-X`).
 * - Built-in chains are never flushed: the jumps into our chains are inserted only
 *   when missing and deduplicated when present more than once; other rules stay.
 * - Shared chains (Python's unwrapped `neutron-filter-top`, `neutron-postrouting-bottom`,
 *   shared between neutron components) are created if missing and get our jumps
 *   once (appended); one is removed only when nucleon owns nothing any more in the
 *   table and the chain is otherwise empty.
 * - Returns null when the kernel already matches (rules compared as iptables-save
 *   prints them), so a re-apply changes nothing, not even counters.
 */
import { FILTER_TOP, LINUXBRIDGE_CHAINS, type ChainNames } from './names.js';
import { ruleTarget, type SavedTable } from './iptables-save.js';
import type { OwnedFilterTable } from './types.js';

/** A rule in a built-in or shared chain that enters one of our chains. */
export interface TableJump {
  chain: string;
  target: string;
  /** Rule text after `-A chain ` as iptables-save prints it; default `-j <target>`. */
  spec?: string;
}

export interface TablePolicy {
  table: string;
  isOwned: (chain: string) => boolean;
  /** Unwrapped chains shared with other components (never in `isOwned`). */
  shared: readonly string[];
  /**
   * In order. Into a built-in chain a missing jump is inserted right after the
   * previous jump of this list into the same chain (first when there is none), so
   * ours stay on top in Python's order; into a shared chain it is appended.
   */
  jumps: readonly TableJump[];
}

/** Python IptablesManager: filter-top at the top of FORWARD/OUTPUT, then the wrapped built-ins. */
export function securityGroupFilterPolicy(CH: ChainNames): TablePolicy {
  return {
    table: 'filter',
    isOwned: CH.isOwned,
    shared: [FILTER_TOP],
    jumps: [
      { chain: 'FORWARD', target: FILTER_TOP },
      { chain: 'OUTPUT', target: FILTER_TOP },
      { chain: 'INPUT', target: CH.INPUT },
      { chain: 'FORWARD', target: CH.FORWARD },
      { chain: 'OUTPUT', target: CH.OUTPUT },
      { chain: FILTER_TOP, target: CH.local },
    ],
  };
}
export const LINUXBRIDGE_FILTER: TablePolicy = securityGroupFilterPolicy(LINUXBRIDGE_CHAINS);

const specOf = (j: TableJump): string => j.spec ?? `-j ${j.target}`;
/** `-A chain spec` → `-D chain spec`. */
const deleteOf = (rule: string): string => `-D ${rule.slice(3)}`;

/** The security-group firewall's filter table (linuxbridge names unless told). */
export function composeRestore(desired: OwnedFilterTable, saved: SavedTable, policy: TablePolicy = LINUXBRIDGE_FILTER): string | null {
  return composeTableRestore(policy, desired, saved);
}

/** Desired owned chains and their rules (`-A <owned chain> …`, in order). */
export interface OwnedChains {
  chains: readonly string[];
  rules: readonly string[];
}

export function composeTableRestore(policy: TablePolicy, desired: OwnedChains, saved: SavedTable): string | null {
  const { isOwned } = policy;
  const want = new Set(desired.chains);
  const ownedNow = saved.chains.filter(isOwned);
  const removed = new Set(ownedNow.filter((c) => !want.has(c)));
  const ownNothing = want.size === 0;

  // Working copy of non-owned chains, edited as the restore will edit them.
  const foreign = new Map<string, string[]>();
  for (const c of saved.chains) if (!isOwned(c)) foreign.set(c, [...(saved.rules.get(c) ?? [])]);
  const edits: string[] = [];

  // 1. Rules outside our chains that point at chains going away.
  for (const [, rules] of foreign) {
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i] ?? '';
      const t = ruleTarget(r);
      if (t !== undefined && removed.has(t)) {
        edits.push(deleteOf(r));
        rules.splice(i, 1);
      }
    }
  }
  // -D removes the first match; deleting from the end with identical lines is still right,
  // but keep them in chain order for readability.
  edits.reverse();

  // 2. Shared chains: gone with us if nobody else uses them.
  const dropShared: string[] = [];
  for (const s of policy.shared) {
    const sharedRules = foreign.get(s);
    if (!ownNothing || sharedRules === undefined || sharedRules.length > 0) continue;
    dropShared.push(s);
    for (const [chain, rules] of foreign) {
      if (chain === s) continue;
      for (let i = rules.length - 1; i >= 0; i--) {
        const r = rules[i] ?? '';
        if (ruleTarget(r) === s) {
          edits.push(deleteOf(r));
          rules.splice(i, 1);
        }
      }
    }
  }

  // 3. Jumps into our chains: exactly once each.
  const declareShared = ownNothing ? [] : policy.shared.filter((s) => !foreign.has(s));
  for (const s of declareShared) foreign.set(s, []);
  if (!ownNothing) {
    const shared = new Set(policy.shared);
    policy.jumps.forEach((j, k) => {
      const rules = foreign.get(j.chain);
      if (rules === undefined) return; // a built-in chain always exists in `iptables-save -t <table>` output
      const line = `-A ${j.chain} ${specOf(j)}`;
      let count = rules.filter((r) => r === line).length;
      while (count > 1) {
        edits.push(deleteOf(line));
        rules.splice(rules.indexOf(line), 1);
        count--;
      }
      if (count === 1) return;
      if (shared.has(j.chain)) {
        edits.push(line);
        rules.push(line);
        return;
      }
      // After the previous jump of ours in this chain that is present (1-based for -I).
      let after = -1;
      for (const p of policy.jumps.slice(0, k)) if (p.chain === j.chain) after = Math.max(after, rules.indexOf(`-A ${p.chain} ${specOf(p)}`));
      const pos = after + 2;
      edits.push(`-I ${j.chain} ${pos} ${specOf(j)}`);
      rules.splice(pos - 1, 0, line);
    });
  }

  // Unchanged? Same owned chain set, same rules in each, no edits elsewhere.
  const sameChains = ownedNow.length === want.size && ownedNow.every((c) => want.has(c));
  const desiredByChain = new Map<string, string[]>(desired.chains.map((c) => [c, []]));
  for (const r of desired.rules) desiredByChain.get(r.split(' ')[1] ?? '')?.push(r);
  const sameRules = sameChains && [...desiredByChain].every(([c, rs]) => {
    const now = saved.rules.get(c) ?? [];
    return now.length === rs.length && now.every((r, i) => r === rs[i]);
  });
  if (sameRules && edits.length === 0 && declareShared.length === 0) return null;

  const lines = [`*${policy.table}`];
  for (const s of declareShared) lines.push(`:${s} - [0:0]`);
  for (const c of desired.chains) lines.push(`:${c} - [0:0]`);
  for (const c of removed) lines.push(`:${c} - [0:0]`); // flush before -X
  lines.push(...edits, ...desired.rules);
  for (const c of removed) lines.push(`-X ${c}`);
  for (const s of dropShared) lines.push(`-X ${s}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
