/**
 * Desired flows (FlowSpec, agents/ovs/model.ts) checked and turned into the lines of
 * an `ovs-ofctl add-flows` file, whose first word says what to do with each flow
 * (ovs-ofctl(8): `add`, `modify_strict`, `delete_strict`).
 *
 * The synchroniser owns cookie, table, priority and timeouts, so a match may not set
 * them; a line break would end the flow mod early and start another, so no control
 * characters anywhere.
 */
import type { FlowSpec } from '../../../agents/ovs/model.js';
import { formatCookie } from './flow-cookie.js';
import { FlowSpecError } from './flow-errors.js';

/** OpenFlow tables 0..254 (255 means "all tables"). */
export const MAX_TABLE = 254;
export const MAX_PRIORITY = 0xffff;
/** OpenFlow's default priority: ovs-ofctl omits `priority=` when a flow has it. */
export const DEFAULT_PRIORITY = 32768;

/**
 * Keys a match may not carry: they are flow-mod fields the synchroniser sets (or would
 * make a flow that never compares equal to its dump: timeouts, flags). ovs-ofctl also
 * reads `key:value` as `key=value`, hence both separators.
 */
const RESERVED_KEYS = new Set([
  'cookie', 'table', 'priority', 'actions', 'idle_timeout', 'hard_timeout', 'importance',
  'out_port', 'out_group', 'send_flow_rem', 'check_overlap', 'reset_counts',
  'no_packet_counts', 'no_byte_counts', 'no_readonly_table', 'allow_hidden_fields',
]);

const CONTROL = /[\x00-\x1f\x7f]/;

/** Throws {@link FlowSpecError} unless `s` can be written as one flow-mod line. */
export function assertFlowSpec(s: unknown, index?: number): asserts s is FlowSpec {
  const fail = (reason: string): never => { throw new FlowSpecError(index, isObj(s) ? (s as unknown as FlowSpec) : undefined, reason); };
  if (!isObj(s)) fail('not an object');
  const f = s as Record<string, unknown>;
  if (typeof f['table'] !== 'number' || !Number.isInteger(f['table']) || f['table'] < 0 || f['table'] > MAX_TABLE) fail(`table must be an integer in [0, ${MAX_TABLE}]`);
  if (typeof f['priority'] !== 'number' || !Number.isInteger(f['priority']) || f['priority'] < 0 || f['priority'] > MAX_PRIORITY) fail(`priority must be an integer in [0, ${MAX_PRIORITY}]`);
  const match = f['match'];
  const actions = f['actions'];
  if (typeof match !== 'string') return fail('match is not a string');
  if (typeof actions !== 'string') return fail('actions is not a string');
  if (CONTROL.test(match) || CONTROL.test(actions)) fail('line break or control character in the flow text');
  if (actions.trim() === '') fail("empty actions (write 'drop')");
  if (/(^|[\s,])actions\s*[=:]/i.test(actions)) fail("actions contain 'actions='");
  for (const token of match.split(',')) {
    const key = token.split(/[=:]/, 1)[0]?.trim().toLowerCase() ?? '';
    if (RESERVED_KEYS.has(key)) fail(`match sets '${key}', which the synchroniser owns`);
  }
}

function isObj(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

/** The identity of a flow in OpenFlow: one table entry per table, priority and exact match. */
export function flowKey(table: number, priority: number, match: string): string {
  return `${table}/${priority}/${match}`;
}

function body(table: number, priority: number, match: string): string {
  return `table=${table},priority=${priority}${match ? `,${match}` : ''}`;
}

/** Adds the flow, replacing any flow with the same table, priority and match (whatever its cookie). */
export function addLine(s: FlowSpec, cookie: bigint): string {
  return `add cookie=${formatCookie(cookie)},${body(s.table, s.priority, s.match)},actions=${s.actions}`;
}

/**
 * Sets the actions of the flow with exactly this table, priority and match, only if its
 * cookie is `cookie` (`/-1`: all 64 bits must match); keeps its counters and age.
 * Without such a flow it does nothing (OpenFlow 1.2+; 1.0 would add one).
 */
export function modifyLine(s: FlowSpec, cookie: bigint): string {
  return `modify_strict cookie=${formatCookie(cookie)}/-1,${body(s.table, s.priority, s.match)},actions=${s.actions}`;
}

/** Deletes exactly this flow, only if its cookie is `cookie`. */
export function deleteLine(table: number, priority: number, match: string, cookie: bigint): string {
  return `delete_strict cookie=${formatCookie(cookie)}/-1,${body(table, priority, match)}`;
}

/** The flow as plain `ovs-ofctl add-flow` text (for messages and the canonicaliser). */
export function specText(s: FlowSpec, cookie?: bigint): string {
  return `${cookie !== undefined ? `cookie=${formatCookie(cookie)},` : ''}${body(s.table, s.priority, s.match)},actions=${s.actions}`;
}
