/**
 * One family's `iptables-restore --noflush` input for a router namespace: a block
 * per table that differs (shared/firewall/restore-script.ts with the L3 agent's
 * names), or null when the kernel already matches. Pure.
 *
 * Quirk (iptables-nft 1.8.9, checked): each `COMMIT` is its own nft transaction, so
 * a restore with several tables is atomic per table, not across tables: a bad rule
 * in the last table leaves the earlier tables committed. The driver therefore runs
 * the same input with `--test` first (parse errors change nothing), and every
 * block is computed against the kernel, so a later apply converges after a
 * kernel-side failure.
 */
import { parseIptablesSave, type SavedTable } from '../../../shared/firewall/iptables-save.js';
import { composeTableRestore } from '../../../shared/firewall/restore-script.js';
import { BUILTIN_CHAINS, isOwnedNatChain } from './names.js';
import type { NatTableName, OwnedTable } from './types.js';

/** Python's `sorted(tables)` order; nat last, so the NAT it relies on (marks) is in place first. */
export const TABLE_ORDER: readonly NatTableName[] = ['filter', 'mangle', 'raw', 'nat'];

/**
 * A table as plain `iptables-save` (no `-t`) shows it. iptables-nft only prints tables
 * that exist, and a fresh namespace has none: their built-in chains count as empty,
 * so the jumps into ours are inserted (iptables-restore creates the built-ins).
 */
export function savedTable(saveText: string, table: NatTableName): SavedTable {
  const t = parseIptablesSave(saveText, table);
  const missing = BUILTIN_CHAINS[table].filter((c) => !t.rules.has(c));
  for (const c of missing) t.rules.set(c, []);
  return { chains: [...missing, ...t.chains], rules: t.rules };
}

export function composeFamilyRestore(desired: Partial<Record<NatTableName, OwnedTable>>, saveText: string): string | null {
  const blocks: string[] = [];
  for (const table of TABLE_ORDER) {
    const want = desired[table];
    if (want === undefined) continue;
    const block = composeTableRestore({ table, isOwned: isOwnedNatChain, shared: want.shared, jumps: want.jumps }, want, savedTable(saveText, table));
    if (block !== null) blocks.push(block);
  }
  return blocks.length === 0 ? null : blocks.join('');
}
