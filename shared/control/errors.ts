/**
 * The control socket's error answers: a fixed catalogue (fastify style), each with
 * its HTTP status, sent as `{ error: CODE, message }`. The CLI prints `message`.
 */

export const CONTROL_ERRORS = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  INTERNAL: 500,
  NOT_SUPPORTED: 501,
  TIMEOUT: 504,
} as const;

export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

export class ControlError extends Error {
  override readonly name = 'ControlError';
  readonly code: ControlErrorCode;
  readonly status: number;
  /** For 405: the methods the path accepts (the Allow header). */
  readonly allow: readonly string[] | undefined;

  constructor(code: ControlErrorCode, message: string, allow?: readonly string[]) {
    super(message);
    this.code = code;
    this.status = CONTROL_ERRORS[code];
    this.allow = allow;
  }
}

export interface ErrorBody {
  error: ControlErrorCode;
  message: string;
}

export function errorBody(err: ControlError): ErrorBody {
  return { error: err.code, message: err.message };
}

/** Raised by startControl/ControlServer.listen for problems an operator must fix. */
export class ControlStartError extends Error {
  override readonly name = 'ControlStartError';
}
