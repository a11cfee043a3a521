/**
 * oslo RPCDispatcher.dispatch, as a pure function of (endpoints, message):
 * endpoints are tried in order; one whose namespace equals the message's and
 * whose version is compatible, and which has the method, wins. If some endpoint
 * was compatible but none had the method: NoSuchMethod; if none was compatible:
 * UnsupportedVersion. Requested version defaults to "1.0". Methods starting with
 * "_" are not callable (DefaultRPCAccessPolicy).
 */
import type { RpcContext } from './context.js';
import { isJsonObject, type JsonObject } from './envelope.js';
import {
  failureFromError,
  makeFailure,
  noSuchMethodFailure,
  unsupportedVersionFailure,
  type OsloFailure,
} from './failure.js';
import { RpcConfigError } from './errors.js';
import { InvalidVersionError, parseVersion, versionIsCompatible } from './version.js';

export type RpcHandler = (ctx: RpcContext, args: Record<string, unknown>) => unknown | Promise<unknown>;

export interface RpcEndpoint {
  version: string;
  namespace?: string | null;
  methods: Record<string, RpcHandler>;
}

export type DispatchOutcome =
  | { ok: true; result: unknown; method: string }
  /** `reason` says who failed: the dispatcher (routing/validation) or the handler. */
  | { ok: false; failure: OsloFailure; reason: 'no-such-method' | 'unsupported-version' | 'bad-request' | 'handler'; method: string; error?: unknown };

/** Python's type() name of a JSON value, for error texts a Python peer would produce. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return 'dict';
}

export type Resolution =
  | { kind: 'found'; handler: RpcHandler; endpoint: RpcEndpoint }
  | { kind: 'failure'; failure: OsloFailure; reason: 'no-such-method' | 'unsupported-version' | 'bad-request' };

export class RpcDispatcher {
  readonly endpoints: readonly RpcEndpoint[];

  constructor(endpoints: readonly RpcEndpoint[]) {
    for (const ep of endpoints) {
      try {
        parseVersion(ep.version);
      } catch {
        throw new RpcConfigError(`endpoint version "${String(ep.version)}" is not of the form MAJOR.MINOR`);
      }
    }
    this.endpoints = [...endpoints];
  }

  resolve(method: unknown, version: unknown, namespace: unknown): Resolution {
    const name = typeof method === 'string' ? method : String(method);
    let foundCompatible = false;
    for (const ep of this.endpoints) {
      if ((ep.namespace ?? null) !== (namespace ?? null)) continue;
      let compatible: boolean;
      try {
        // A null/absent-but-explicit version is never compatible (version_is_compatible(x, None) is False).
        compatible = typeof version === 'string' && versionIsCompatible(ep.version, version);
      } catch (err) {
        if (!(err instanceof InvalidVersionError)) throw err;
        // Python: int('x') raises ValueError inside dispatch → a ValueError failure reply.
        return { kind: 'failure', reason: 'bad-request', failure: makeFailure('ValueError', 'builtins', err.message) };
      }
      if (!compatible) continue;
      if (
        typeof method === 'string' &&
        !method.startsWith('_') &&
        Object.hasOwn(ep.methods, method) &&
        typeof ep.methods[method] === 'function'
      ) {
        return { kind: 'found', handler: ep.methods[method]!, endpoint: ep };
      }
      foundCompatible = true;
    }
    if (foundCompatible) return { kind: 'failure', reason: 'no-such-method', failure: noSuchMethodFailure(name) };
    return {
      kind: 'failure',
      reason: 'unsupported-version',
      failure: unsupportedVersionFailure(version === null || version === undefined ? 'None' : String(version), name),
    };
  }

  /** Never throws: handler exceptions and bad requests come back as failures. */
  async dispatch(ctx: RpcContext, body: JsonObject): Promise<DispatchOutcome> {
    const method = body['method'];
    const methodName = typeof method === 'string' ? method : String(method);
    const version = 'version' in body ? body['version'] : '1.0';
    const r = this.resolve(method, version, body['namespace']);
    if (r.kind === 'failure') return { ok: false, failure: r.failure, reason: r.reason, method: methodName };
    const args = 'args' in body ? body['args'] : {};
    if (!isJsonObject(args)) {
      // What a Python server answers: _do_dispatch calls args.items().
      const failure = makeFailure('AttributeError', 'builtins', `'${pyTypeName(args)}' object has no attribute 'items'`);
      return { ok: false, failure, reason: 'bad-request', method: methodName };
    }
    try {
      const result = await r.handler(ctx, args);
      return { ok: true, result: result === undefined ? null : result, method: methodName };
    } catch (err) {
      return { ok: false, failure: failureFromError(err), reason: 'handler', method: methodName, error: err };
    }
  }
}

/** _MsgIdCache: the last 16 `_unique_id`s a listener saw (DUP_MSG_CHECK_SIZE). */
export class UniqueIdCache {
  private readonly ids: string[] = [];
  constructor(private readonly size = 16) {}
  /** True if seen before; otherwise remembers it and returns false. */
  checkAndAdd(id: string | null): boolean {
    if (id === null) return false;
    if (this.ids.includes(id)) return true;
    this.ids.push(id);
    if (this.ids.length > this.size) this.ids.shift();
    return false;
  }
}
