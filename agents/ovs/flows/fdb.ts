/**
 * Adapter from the l2pop table the agents keep (shared/l2pop/fdb-table.ts:
 * network → VTEP → Set of "mac|ip") to the renderer's L2popFdb (pairs). Pure.
 */
import type { FdbTable } from '../../../shared/l2pop/fdb-table.js';
import type { L2popFdb } from '../model.js';

export function l2popFdbFromTable(table: FdbTable): L2popFdb {
  const out: L2popFdb = new Map();
  for (const [net, vteps] of table) {
    const m = new Map<string, Array<[string, string]>>();
    for (const [vtep, set] of vteps) {
      m.set(vtep, [...set].map((s): [string, string] => {
        const i = s.indexOf('|');
        return [s.slice(0, i), s.slice(i + 1)];
      }));
    }
    out.set(net, m);
  }
  return out;
}
