/**
 * Conjunction ids without allocation state.
 *
 * Neutron's ConjIdMap hands out blocks in arrival order and re-reads the highest id from
 * br-int after a restart, so its ids depend on history. Here a block is a function of
 * the key alone (a hash of it), so the same security-group state renders the same ids
 * in every apply and after every restart: a re-render is byte-identical and the flow
 * synchroniser sends nothing. Keys that are not in the state do not move the others.
 *
 * Two keys hashing to one block would merge two conjunctions (one rule's members
 * allowed through another's ports): the keys are placed in sorted order and a taken
 * block moves the later key on to the next free one, so the result still depends on
 * the set of keys only.
 */
import { createHash } from 'node:crypto';
import type { Direction, Ethertype } from '../../../shared/firewall/types.js';
import { CONJ_ID_BLOCK, CONJ_ID_BLOCKS } from './constants.js';

/** What one block of conjunction ids stands for (Neutron's ConjIdMap key, plus statefulness). */
export interface ConjKey {
  /** The group whose rule it is. */
  sgId: string;
  /** remote_group_id or remote_address_group_id: whose members the rule accepts. */
  remoteId: string;
  direction: Direction;
  ethertype: Ethertype;
  /**
   * Stateless ports' conjunctions match without ct_state, so they cannot share ids
   * with stateful ones of the same rule.
   */
  stateless: boolean;
}

/** The key as text: the map key of {@link allocateConjIds}, and the hash input. */
export function conjKeyText(k: ConjKey): string {
  return JSON.stringify([k.sgId, k.remoteId, k.direction, k.ethertype, k.stateless ? 'stateless' : 'stateful']);
}

/** Block number 1..CONJ_ID_BLOCKS (0 is never used: conj ids start at 8). */
function hashBlock(text: string): number {
  const h = createHash('sha256').update(text).digest().readUInt32BE(0);
  return (h % CONJ_ID_BLOCKS) + 1;
}

/**
 * The first conjunction id of each key's block (a multiple of 8), keyed by
 * {@link conjKeyText}. Deterministic for a set of keys, whatever their order.
 */
export function allocateConjIds(keyTexts: Iterable<string>): Map<string, number> {
  const sorted = [...new Set(keyTexts)].sort();
  const taken = new Set<number>();
  const out = new Map<string, number>();
  for (const text of sorted) {
    let block = hashBlock(text);
    while (taken.has(block)) block = (block % CONJ_ID_BLOCKS) + 1;
    taken.add(block);
    out.set(text, block * CONJ_ID_BLOCK);
  }
  return out;
}
