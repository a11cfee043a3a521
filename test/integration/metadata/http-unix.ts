/** One HTTP request over a unix socket, as haproxy would send it to the agent. */
import { request } from 'node:http';

export interface UnixAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export function unixRequest(socketPath: string, path: string, headers: Record<string, string | string[]>, o: { method?: string; body?: string; timeoutMs?: number } = {}): Promise<UnixAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: o.method ?? 'GET', headers, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}
