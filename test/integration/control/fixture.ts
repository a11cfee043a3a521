/** A temp directory for control sockets, and raw HTTP helpers for misbehaving clients. */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempSocketDir(): { dir: string; path(name: string): string; remove(): void } {
  // Short base: sun_path is 107 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'nt-ctl-'));
  return { dir, path: (n) => join(dir, n), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over a unix socket; `body` may be a size (bytes of "x" streamed in 16 KiB chunks). */
export function httpUnix(socketPath: string, method: string, path: string, opts: { body?: number; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    // The server may close while we still send a refused body; the answer came first.
    req.on('error', (err) => reject(err));
    const total = opts.body ?? 0;
    if (total === 0) {
      req.end();
      return;
    }
    const chunk = Buffer.alloc(16 * 1024, 'x');
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** Raw bytes to a unix socket; resolves with everything the server sent before closing. */
export function rawUnix(socketPath: string, bytes: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socketPath });
    let out = '';
    const t = setTimeout(() => { s.destroy(); resolve(out); }, timeoutMs);
    s.on('connect', () => s.write(bytes));
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => { clearTimeout(t); resolve(out); });
    s.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}
