/**
 * Typed failures of the OVSDB JSON-RPC client (RFC 7047). They extend the project's
 * classified {@link OpError}, so callers apply the usual policy by `kind`:
 * connection trouble and timeouts are TRANSIENT (retry), an error the server
 * answered is FATAL (the same request would fail again).
 */
import { OpError } from '../../exec/errors.js';

/** Could not connect, or the connection broke (EOF, reset, closed by us). */
export class OvsdbConnectionError extends OpError {
  override readonly name: string = 'OvsdbConnectionError';
  /** The `[ovs] ovsdb_connection` string, e.g. "unix:/run/openvswitch/db.sock". */
  readonly connection: string;

  constructor(connection: string, message: string, options?: { cause?: unknown }) {
    super(`ovsdb ${connection}: ${message}`, 'TRANSIENT', options);
    this.connection = connection;
  }
}

/**
 * The peer sent bytes that are not OVSDB JSON-RPC (bad JSON, a message over the
 * size bound, a message that is not an object). The client drops the connection
 * with this error: after garbage, framing cannot be trusted any more.
 */
export class OvsdbProtocolError extends OvsdbConnectionError {
  override readonly name: string = 'OvsdbProtocolError';
}

/** The `[ovs] ovsdb_connection` value cannot be used by a client. */
export class OvsdbConfigError extends OpError {
  override readonly name: string = 'OvsdbConfigError';
  readonly connection: string;

  constructor(connection: string, reason: string) {
    super(`invalid ovsdb_connection ${JSON.stringify(connection)}: ${reason}`, 'FATAL');
    this.connection = connection;
  }
}

/** No reply within the request's timeout. The connection stays open. */
export class OvsdbTimeoutError extends OpError {
  override readonly name: string = 'OvsdbTimeoutError';
  readonly method: string;
  readonly timeoutMs: number;

  constructor(method: string, timeoutMs: number) {
    super(`ovsdb ${method}: no reply within ${timeoutMs} ms`, 'TRANSIENT');
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The server answered a request with a JSON-RPC `error` (RFC 7047 §4.1: e.g.
 * "unknown database", "unknown method", or a syntax error in a monitor request).
 */
export class OvsdbRpcError extends OpError {
  override readonly name: string = 'OvsdbRpcError';
  readonly method: string;
  /** The server's `error` member (usually a short string such as "syntax error"). */
  readonly error: unknown;
  /** The server's `details` member, when it gave one. */
  readonly details: string | undefined;

  constructor(method: string, error: unknown, details?: string) {
    const code = typeof error === 'string' ? error : describeRpcError(error);
    super(`ovsdb ${method}: ${code}${details ? `: ${details}` : ''}`, 'FATAL');
    this.method = method;
    this.error = error;
    this.details = details;
  }
}

/**
 * A `transact` whose reply holds an operation error (RFC 7047 §5.2: the result array
 * has `{"error": …, "details": …}` at the failing operation, or one element more than
 * there were operations when the commit itself failed). Nothing was committed.
 */
export class OvsdbTransactionError extends OvsdbRpcError {
  override readonly name: string = 'OvsdbTransactionError';
  /** Index of the failing operation; equal to the number of operations for a commit failure. */
  readonly opIndex: number;
  /** The whole result array, as the server sent it. */
  readonly results: readonly unknown[];

  constructor(opIndex: number, error: unknown, details: string | undefined, results: readonly unknown[]) {
    super('transact', error, details);
    this.message = `ovsdb transact: operation ${opIndex}: ${this.message.slice('ovsdb transact: '.length)}`;
    this.opIndex = opIndex;
    this.results = results;
  }
}

function describeRpcError(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'error' in error) {
    const e = (error as { error: unknown }).error;
    if (typeof e === 'string') return e;
  }
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
