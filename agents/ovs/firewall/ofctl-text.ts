/**
 * FlowSpec → one line of an `ovs-ofctl add-flows/replace-flows` file. For tools and
 * tests that install the firewall without the cookie synchroniser.
 */
import type { FlowSpec } from '../model.js';

export function flowText(f: FlowSpec, cookie?: string): string {
  const head = [...(cookie !== undefined ? [`cookie=${cookie}`] : []), `table=${f.table}`, `priority=${f.priority}`];
  if (f.match !== '') head.push(f.match);
  return `${head.join(',')},actions=${f.actions}`;
}

/** The lines of `flows`, newline-terminated. */
export function flowsText(flows: readonly FlowSpec[], cookie?: string): string {
  return flows.map((f) => `${flowText(f, cookie)}\n`).join('');
}
