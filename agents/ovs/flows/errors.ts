/**
 * Typed failures of the flow renderers. They are pure functions, so every failure is a
 * bad input (a caller bug or data the desired-state computation should have refused):
 * it names the field by its path in the input (`localVlans[2].localVlan`), the value
 * and why, and never carries a half-rendered result.
 */

/** A value in a BrInt/BrTun/BrPhys input that no flow can be rendered from. */
export class FlowInputError extends Error {
  override readonly name: string = 'FlowInputError';
  constructor(
    /** Path of the value in the input, e.g. `ports[0].ofport`. */
    readonly field: string,
    readonly value: unknown,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid ${field} ${safeJson(value)}: ${reason}`, options);
  }
}

/** Two rendered flows with the same table, priority and match but different actions. */
export class FlowConflictError extends Error {
  override readonly name: string = 'FlowConflictError';
  constructor(
    readonly table: number,
    readonly priority: number,
    readonly match: string,
    readonly actions: readonly [string, string],
  ) {
    super(`conflicting flows in table ${table} priority ${priority} match "${match}": "${actions[0]}" vs "${actions[1]}"`);
  }
}

function safeJson(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
