/**
 * Reads `ovs-ofctl dump-flows --no-stats --no-names` lines back into FlowSpecs (for
 * the real-OVS tests): the cookie is dropped, other flow metadata (hard_timeout of
 * learnt flows …) kept apart.
 */
import type { FlowSpec } from '../../../agents/ovs/model.js';

export interface DumpedFlow extends FlowSpec { extra: string[] }

export function parseDump(text: string): DumpedFlow[] {
  const out: DumpedFlow[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('NXST_FLOW') || line.startsWith('OFPST_FLOW')) continue;
    const at = line.indexOf(' actions=');
    if (at < 0) throw new Error(`unparsable dump line: ${line}`);
    const actions = line.slice(at + ' actions='.length);
    let head = line.slice(0, at);
    let table = 0;
    const extra: string[] = [];
    // Metadata fields end with ", "; the match follows "priority=N".
    for (;;) {
      const m = /^([a-z_]+)=([^,]*), /.exec(head);
      if (!m) break;
      if (m[1] === 'table') table = Number(m[2]);
      else if (m[1] !== 'cookie') extra.push(`${m[1]}=${m[2]}`);
      head = head.slice(m[0].length);
    }
    const p = /^priority=(\d+)(?:,(.*))?$/.exec(head);
    // Priority 32768 (the default) is not printed.
    const priority = p ? Number(p[1]) : 32768;
    const match = p ? (p[2] ?? '') : head;
    out.push({ table, priority, match, actions, extra });
  }
  return out;
}

/** Sorted as the renderers sort, so two lists compare with deepEqual. */
export function sortFlows<T extends FlowSpec>(flows: T[]): T[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...flows].sort((a, b) => a.table - b.table || b.priority - a.priority || cmp(a.match, b.match) || cmp(a.actions, b.actions));
}
