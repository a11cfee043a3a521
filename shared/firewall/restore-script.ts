/**
 * The one `iptables-restore --noflush` input that takes a family's filter table
 * from what `iptables-save` shows to the desired owned chains. Pure.
 *
 * Contract:
 * - Owned chains (`neutron-linuxbri-*`) are declared with `:chain - [0:0]`, which
 *   with --noflush creates or flushes them (checked on iptables-nft 1.8.9), then
 *   refilled: one atomic transaction, no window without rules.
 * - Owned chains not desired are flushed, rules elsewhere that jump to them are
 *   deleted (`-D`), then they are removed (`-X`).
 * - Built-in chains are never flushed: the jumps into our chains are inserted only
 *   when missing and deduplicated when present more than once; other rules stay.
 * - `neutron-filter-top` is shared with other neutron components (Python's design):
 *   it is created if missing and gets our `-j neutron-linuxbri-local` once; it is
 *   removed only when nucleon owns nothing any more and the chain is otherwise empty.
 * - Returns null when the kernel already matches (rules compared as iptables-save
 *   prints them), so a re-apply changes nothing, not even counters.
 */
import { CH, FILTER_TOP, isOwnedChain } from './names.js';
import { ruleTarget, type SavedTable } from './iptables-save.js';
import type { OwnedFilterTable } from './types.js';

interface Jump {
  chain: string;
  target: string;
  /** Python's `top=True`: first in the chain. Otherwise right after neutron-filter-top's jump. */
  top: boolean;
}

/** Python IptablesManager: filter-top at the top of FORWARD/OUTPUT, then the wrapped built-ins. */
const JUMPS: Jump[] = [
  { chain: 'FORWARD', target: FILTER_TOP, top: true },
  { chain: 'OUTPUT', target: FILTER_TOP, top: true },
  { chain: 'INPUT', target: CH.INPUT, top: false },
  { chain: 'FORWARD', target: CH.FORWARD, top: false },
  { chain: 'OUTPUT', target: CH.OUTPUT, top: false },
  { chain: FILTER_TOP, target: CH.local, top: false },
];

const jumpLine = (chain: string, target: string): string => `-A ${chain} -j ${target}`;
/** `-A chain spec` → `-D chain spec`. */
const deleteOf = (rule: string): string => `-D ${rule.slice(3)}`;

export function composeRestore(desired: OwnedFilterTable, saved: SavedTable): string | null {
  const want = new Set(desired.chains);
  const ownedNow = saved.chains.filter(isOwnedChain);
  const removed = new Set(ownedNow.filter((c) => !want.has(c)));
  const ownNothing = want.size === 0;

  // Working copy of non-owned chains, edited as the restore will edit them.
  const foreign = new Map<string, string[]>();
  for (const c of saved.chains) if (!isOwnedChain(c)) foreign.set(c, [...(saved.rules.get(c) ?? [])]);
  const edits: string[] = [];

  // 1. Rules outside our chains that point at chains going away.
  for (const [chain, rules] of foreign) {
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

  // 2. neutron-filter-top: gone with us if nobody else uses it.
  let dropFilterTop = false;
  const topRules = foreign.get(FILTER_TOP);
  if (ownNothing && topRules !== undefined && topRules.length === 0) {
    dropFilterTop = true;
    for (const [chain, rules] of foreign) {
      if (chain === FILTER_TOP) continue;
      for (let i = rules.length - 1; i >= 0; i--) {
        const r = rules[i] ?? '';
        if (ruleTarget(r) === FILTER_TOP) {
          edits.push(deleteOf(r));
          rules.splice(i, 1);
        }
      }
    }
  }

  // 3. Jumps into our chains: exactly once each.
  const declareTop = !ownNothing && !foreign.has(FILTER_TOP);
  if (declareTop) foreign.set(FILTER_TOP, []);
  if (!ownNothing) {
    for (const j of JUMPS) {
      const rules = foreign.get(j.chain);
      if (rules === undefined) continue; // a built-in chain always exists in iptables-save output
      const line = jumpLine(j.chain, j.target);
      let count = rules.filter((r) => r === line).length;
      while (count > 1) {
        edits.push(deleteOf(line));
        rules.splice(rules.indexOf(line), 1);
        count--;
      }
      if (count === 1) continue;
      // 1-based position for -I; appending in our own chain neutron-filter-top.
      if (j.chain === FILTER_TOP) {
        edits.push(line);
        rules.push(line);
        continue;
      }
      const topAt = rules.indexOf(jumpLine(j.chain, FILTER_TOP));
      const pos = j.top ? 1 : topAt + 2;
      edits.push(`-I ${j.chain} ${pos} -j ${j.target}`);
      rules.splice(pos - 1, 0, line);
    }
  }

  // Unchanged? Same owned chain set, same rules in each, no edits elsewhere.
  const sameChains = ownedNow.length === want.size && ownedNow.every((c) => want.has(c));
  const desiredByChain = new Map<string, string[]>(desired.chains.map((c) => [c, []]));
  for (const r of desired.rules) desiredByChain.get(r.split(' ')[1] ?? '')?.push(r);
  const sameRules = sameChains && [...desiredByChain].every(([c, rs]) => {
    const now = saved.rules.get(c) ?? [];
    return now.length === rs.length && now.every((r, i) => r === rs[i]);
  });
  if (sameRules && edits.length === 0 && !declareTop) return null;

  const lines = ['*filter'];
  if (declareTop) lines.push(`:${FILTER_TOP} - [0:0]`);
  for (const c of desired.chains) lines.push(`:${c} - [0:0]`);
  for (const c of removed) lines.push(`:${c} - [0:0]`); // flush before -X
  lines.push(...edits, ...desired.rules);
  for (const c of removed) lines.push(`-X ${c}`);
  if (dropFilterTop) lines.push(`-X ${FILTER_TOP}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
