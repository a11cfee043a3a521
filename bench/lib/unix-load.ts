/**
 * A closed-loop HTTP load over a unix socket: `concurrency` clients, each sending
 * its next request as soon as the previous answer is complete, for `durationMs`.
 * One connection per request (haproxy's `http-server-close` towards the agent).
 * Latencies are per request, from send to the last body byte.
 */
import { request } from 'node:http';

export interface LoadResult { requests: number; errors: number; statuses: Record<string, number>; seconds: number; rps: number; p50Ms: number; p99Ms: number; maxMs: number }

export interface LoadOptions {
  socketPath: string;
  concurrency: number;
  durationMs: number;
  /** Path and headers of the i-th request. */
  next: (i: number) => { path: string; headers: Record<string, string> };
  timeoutMs?: number;
}

function once(socketPath: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(0));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

const pct = (sorted: number[], p: number) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]! : 0;

export async function unixLoad(o: LoadOptions): Promise<LoadResult> {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let i = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + o.durationMs;
  const client = async () => {
    while (performance.now() < deadline) {
      const { path, headers } = o.next(i++);
      const t = performance.now();
      const status = await once(o.socketPath, path, headers, o.timeoutMs ?? 10_000);
      lat.push(performance.now() - t);
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return { requests: lat.length, errors, statuses, seconds, rps: lat.length / seconds, p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), maxMs: lat.at(-1) ?? 0 };
}
