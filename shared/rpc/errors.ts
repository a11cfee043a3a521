/**
 * Typed errors of the RPC layer. Every error carries a stable `code` so callers
 * can branch without string matching (fastify `lib/errors.js` style).
 */

export type RpcErrorCode =
  | 'RPC_CONFIG'
  | 'RPC_TRANSPORT_URL'
  | 'RPC_REMOTE'
  | 'RPC_TIMEOUT'
  | 'RPC_CONNECTION_LOST'
  | 'RPC_NOT_CONNECTED'
  | 'RPC_CLOSED'
  | 'RPC_MALFORMED_MESSAGE'
  | 'RPC_UNSUPPORTED_ENVELOPE'
  | 'RPC_HANDLER';

export class RpcError extends Error {
  readonly code: RpcErrorCode;
  constructor(code: RpcErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Options that cannot work together, e.g. quorum + HA queues (oslo raises RuntimeError too). */
export class RpcConfigError extends RpcError {
  constructor(message: string) {
    super('RPC_CONFIG', message);
  }
}

/** A transport_url that cannot be used; `part` names what is wrong (never the password). */
export class TransportUrlError extends RpcError {
  readonly part: 'scheme' | 'host' | 'port' | 'vhost' | 'url';
  constructor(part: TransportUrlError['part'], message: string) {
    super('RPC_TRANSPORT_URL', message);
    this.part = part;
  }
}

/** The remote side's handler failed; fields come from the oslo failure JSON. */
export class RemoteError extends RpcError {
  readonly remoteClass: string;
  readonly remoteModule: string;
  readonly remoteMessage: string;
  readonly remoteTraceback: string[];
  readonly remoteArgs: unknown[];
  readonly remoteKwargs: Record<string, unknown>;
  constructor(f: {
    remoteClass: string;
    remoteModule: string;
    remoteMessage: string;
    remoteTraceback?: string[];
    remoteArgs?: unknown[];
    remoteKwargs?: Record<string, unknown>;
  }) {
    // Same shape as oslo_messaging.RemoteError's text: "Remote error: <class> <value>".
    super('RPC_REMOTE', `Remote error: ${f.remoteClass} ${f.remoteMessage}`);
    this.remoteClass = f.remoteClass;
    this.remoteModule = f.remoteModule;
    this.remoteMessage = f.remoteMessage;
    this.remoteTraceback = f.remoteTraceback ?? [];
    this.remoteArgs = f.remoteArgs ?? [];
    this.remoteKwargs = f.remoteKwargs ?? {};
  }
}

/** No reply within the call's timeout (oslo MessagingTimeout). */
export class RpcTimeoutError extends RpcError {
  readonly method: string;
  readonly topic: string;
  readonly timeoutMs: number;
  constructor(method: string, topic: string, timeoutMs: number, message?: string, code: RpcErrorCode = 'RPC_TIMEOUT') {
    super(code, message ?? `Timed out after ${timeoutMs} ms waiting for a reply to ${method} on ${topic}`);
    this.method = method;
    this.topic = topic;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The broker connection dropped while a call waited for its reply. A subclass
 * of RpcTimeoutError on purpose: callers that treat timeouts as "server did not
 * answer, resync later" handle this the same way without knowing about it.
 * The request may or may not have been processed (at-most-once, like oslo).
 */
export class RpcConnectionLostError extends RpcTimeoutError {
  constructor(method: string, topic: string, timeoutMs: number) {
    super(
      method,
      topic,
      timeoutMs,
      `Connection to the broker lost while waiting for a reply to ${method} on ${topic}`,
      'RPC_CONNECTION_LOST',
    );
  }
}

/** Publishing needed a connection and none came up in time. */
export class RpcNotConnectedError extends RpcError {
  constructor(message: string) {
    super('RPC_NOT_CONNECTED', message);
  }
}

/** The connection or server was closed by its owner. */
export class RpcClosedError extends RpcError {
  constructor(message = 'RPC connection closed') {
    super('RPC_CLOSED', message);
  }
}

/** A message that cannot be decoded (bad JSON, not a dict, bad inner message). */
export class MalformedMessageError extends RpcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RPC_MALFORMED_MESSAGE', message, options);
  }
}

/** oslo's UnsupportedRpcEnvelopeVersion (module oslo_messaging._drivers.common). */
export class UnsupportedEnvelopeVersionError extends RpcError {
  readonly version: unknown;
  constructor(version: unknown) {
    super('RPC_UNSUPPORTED_ENVELOPE', `Specified RPC envelope version, ${String(version)}, not supported by this endpoint.`);
    this.version = version;
  }
}

/**
 * Thrown by handlers to choose the exception class the remote (Python) side
 * sees, e.g. `throw new RpcHandlerError('no such device', 'DeviceNotFound',
 * 'neutron_lib.exceptions')`. Module defaults to "builtins", so a class such as
 * ValueError or KeyError is rebuilt as that exception by a Python caller.
 */
export class RpcHandlerError extends RpcError {
  readonly remoteClass: string;
  readonly remoteModule: string;
  readonly remoteArgs: unknown[];
  readonly remoteKwargs: Record<string, unknown>;
  constructor(
    message: string,
    remoteClass: string,
    remoteModule = 'builtins',
    extra?: { args?: unknown[]; kwargs?: Record<string, unknown>; cause?: unknown },
  ) {
    super('RPC_HANDLER', message, { cause: extra?.cause });
    this.remoteClass = remoteClass;
    this.remoteModule = remoteModule;
    this.remoteArgs = extra?.args ?? [message];
    this.remoteKwargs = extra?.kwargs ?? {};
  }
}
