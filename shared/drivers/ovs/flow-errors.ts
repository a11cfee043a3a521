/**
 * Typed failures of the OpenFlow driver (ovs-ofctl.ts) and the flow synchroniser
 * (flow-sync.ts). Every one names the bridge or flow concerned and keeps ovs-ofctl's
 * stderr, so a log line is enough to see which flow OVS refused and why.
 */
import { OpError, type ErrorKind } from '../../exec/errors.js';
import type { FlowSpec } from '../../../agents/ovs/model.js';

/** A desired flow that cannot become a flow mod: bad text, or OVS's parser refused it. */
export class FlowSpecError extends Error {
  override readonly name: string = 'FlowSpecError';
  constructor(
    /** Position in the desired list (undefined when OVS did not say which flow). */
    readonly index: number | undefined,
    readonly spec: FlowSpec | undefined,
    readonly reason: string,
    /** ovs-ofctl's stderr when OVS's parser gave the reason. */
    readonly stderr = '',
  ) {
    super(`${index !== undefined ? `desired flow #${index}` : 'desired flows'}${spec ? ` (${describeSpec(spec)})` : ''}: ${reason}`);
  }
}

/** Output of ovs-ofctl this driver cannot read (a format change would surface here). */
export class OfctlOutputError extends Error {
  override readonly name: string = 'OfctlOutputError';
  constructor(
    readonly line: string,
    readonly reason: string,
  ) {
    super(`unreadable ovs-ofctl output (${reason}): ${line.slice(0, 300)}`);
  }
}

export type FlowSyncPhase = 'validate' | 'canonicalise' | 'dump' | 'apply';

export interface FlowSyncErrorFields {
  bridge: string;
  phase: FlowSyncPhase;
  message: string;
  kind: ErrorKind;
  stderr?: string;
  /** The offending flow-mod line (apply) or desired flow text (validate/canonicalise), when known. */
  line?: string;
  cause?: unknown;
}

/**
 * One bridge's synchronisation failed. Nothing was changed on the bridge: the bundle is
 * atomic (apply phase), and the earlier phases fail before anything is sent.
 */
export class FlowSyncError extends OpError {
  override readonly name: string = 'FlowSyncError';
  readonly bridge: string;
  readonly phase: FlowSyncPhase;
  readonly stderr: string;
  readonly line: string | undefined;

  constructor(f: FlowSyncErrorFields) {
    super(`flow sync of ${f.bridge} failed (${f.phase}): ${f.message}${f.line ? ` [flow: ${f.line}]` : ''}`, f.kind, { cause: f.cause });
    this.bridge = f.bridge;
    this.phase = f.phase;
    this.stderr = f.stderr ?? '';
    this.line = f.line;
  }
}

export function describeSpec(s: FlowSpec): string {
  return `table=${String(s.table)},priority=${String(s.priority)}${typeof s.match === 'string' && s.match ? `,${s.match}` : ''},actions=${String(s.actions)}`;
}
