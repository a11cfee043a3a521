/**
 * oslo failure strings (common.serialize_remote_exception): the reply's
 * `failure` field is the JSON text of {class, module, message, tb, args, kwargs}.
 */
import { RemoteError, RpcHandlerError, UnsupportedEnvelopeVersionError } from './errors.js';
import { isJsonObject } from './envelope.js';

export interface OsloFailure {
  class: string;
  module: string;
  message: string;
  /** traceback.format_exception lines, each ending in "\n". */
  tb: string[];
  args: unknown[];
  kwargs: Record<string, unknown>;
}

export const DISPATCHER_MODULE = 'oslo_messaging.rpc.dispatcher';
export const COMMON_MODULE = 'oslo_messaging._drivers.common';

/** Python-looking traceback lines so Python callers logging `tb` see something familiar. */
function tbLines(cls: string, module: string, message: string, stack?: string): string[] {
  const frames = (stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .map((l) => `  ${l}\n`);
  const qualified = module === 'builtins' ? cls : `${module}.${cls}`;
  return ['Traceback (most recent call last):\n', ...frames, `${qualified}: ${message}\n`];
}

export function makeFailure(cls: string, module: string, message: string, opts?: { args?: unknown[]; kwargs?: Record<string, unknown>; stack?: string }): OsloFailure {
  return {
    class: cls,
    module,
    message,
    tb: tbLines(cls, module, message, opts?.stack),
    args: opts?.args ?? [message],
    kwargs: opts?.kwargs ?? {},
  };
}

/** oslo_messaging.rpc.dispatcher.NoSuchMethod */
export function noSuchMethodFailure(method: string): OsloFailure {
  return makeFailure('NoSuchMethod', DISPATCHER_MODULE, `Endpoint does not support RPC method ${method}`);
}

/** oslo_messaging.rpc.dispatcher.UnsupportedVersion */
export function unsupportedVersionFailure(version: string, method: string | null): OsloFailure {
  let msg = `Endpoint does not support RPC version ${version}`;
  if (method) msg = `${msg}. Attempted method: ${method}`;
  return makeFailure('UnsupportedVersion', DISPATCHER_MODULE, msg);
}

/** oslo_messaging._drivers.common.UnsupportedRpcEnvelopeVersion (an RPCException: kwargs hold the format args). */
export function unsupportedEnvelopeFailure(err: UnsupportedEnvelopeVersionError): OsloFailure {
  return makeFailure('UnsupportedRpcEnvelopeVersion', COMMON_MODULE, err.message, { kwargs: { version: err.version ?? null } });
}

/**
 * JS error → the Python class a Python caller should see. RpcHandlerError chooses
 * explicitly; otherwise TypeError maps to builtins.TypeError, RangeError to
 * ValueError, and anything else to builtins.Exception (a Python caller rebuilds
 * builtins exceptions as real exceptions; other modules become RemoteError).
 */
export function failureFromError(err: unknown): OsloFailure {
  if (err instanceof RpcHandlerError) {
    return makeFailure(err.remoteClass, err.remoteModule, err.message, {
      args: err.remoteArgs,
      kwargs: err.remoteKwargs,
      stack: err.stack,
    });
  }
  if (err instanceof Error) {
    const cls = err instanceof TypeError ? 'TypeError' : err instanceof RangeError ? 'ValueError' : 'Exception';
    return makeFailure(cls, 'builtins', err.message, { stack: err.stack });
  }
  return makeFailure('Exception', 'builtins', String(err));
}

export function encodeFailure(f: OsloFailure): string {
  return JSON.stringify(f);
}

/** The reply's failure string → RemoteError. Malformed strings still give a RemoteError. */
export function decodeFailure(failure: unknown): RemoteError {
  let f: unknown = failure;
  if (typeof failure === 'string') {
    try {
      f = JSON.parse(failure);
    } catch {
      return new RemoteError({ remoteClass: 'Unknown', remoteModule: '', remoteMessage: failure });
    }
  }
  if (!isJsonObject(f)) return new RemoteError({ remoteClass: 'Unknown', remoteModule: '', remoteMessage: String(failure) });
  const s = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);
  return new RemoteError({
    remoteClass: s(f['class'], 'Unknown'),
    remoteModule: s(f['module'], ''),
    remoteMessage: s(f['message'], ''),
    remoteTraceback: Array.isArray(f['tb']) ? f['tb'].map(String) : [],
    remoteArgs: Array.isArray(f['args']) ? f['args'] : [],
    remoteKwargs: isJsonObject(f['kwargs']) ? f['kwargs'] : {},
  });
}
