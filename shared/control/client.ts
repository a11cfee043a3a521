/**
 * The CLI's side of the control socket: one HTTP request over a unix socket, with a
 * timeout, answered as status + parsed JSON (or text for /metrics). Failures to reach
 * the daemon come back as `{ ok: false, reason }` rather than exceptions: "not
 * answering" is a normal result for `nucleon status`.
 */
import { request } from 'node:http';

export type ControlAnswer =
  | { ok: true; status: number; contentType: string; text: string; json: unknown }
  | { ok: false; reason: string };

export interface ControlRequestOptions {
  method?: 'GET' | 'POST';
  timeoutMs?: number;
  /** Answers larger than this are cut off as an error (a status is a few KiB). Default 16 MiB. */
  maxBytes?: number;
}

export function controlRequest(socketPath: string, path: string, opts: ControlRequestOptions = {}): Promise<ControlAnswer> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (a: ControlAnswer): void => {
      if (settled) return;
      settled = true;
      resolve(a);
    };
    const req = request({ socketPath, path, method: opts.method ?? 'GET', timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          req.destroy();
          finish({ ok: false, reason: `answer larger than ${maxBytes} bytes` });
        } else chunks.push(c);
      });
      res.on('error', (err) => finish({ ok: false, reason: err.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        let json: unknown;
        if (contentType.startsWith('application/json')) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        finish({ ok: true, status: res.statusCode ?? 0, contentType, text, json });
      });
    });
    req.on('timeout', () => {
      req.destroy();
      finish({ ok: false, reason: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: describeConnectError(err, socketPath) }));
    req.end();
  });
}

function describeConnectError(err: NodeJS.ErrnoException, socketPath: string): string {
  switch (err.code) {
    case 'ENOENT': return `no socket at ${socketPath} (daemon not running?)`;
    case 'ECONNREFUSED': return `nobody listening on ${socketPath} (daemon stopped?)`;
    case 'EACCES': return `permission denied on ${socketPath} (run as root)`;
    default: return `${err.code ?? 'error'}: ${err.message}`;
  }
}

/** `{ error, message }` from an error answer, or a generic line. */
export function errorMessage(a: Extract<ControlAnswer, { ok: true }>): string {
  const j = a.json;
  if (typeof j === 'object' && j !== null && typeof (j as { message?: unknown }).message === 'string') return (j as { message: string }).message;
  return `HTTP ${a.status}`;
}
