/**
 * The harness neutron-server's API for the benchmarks (auth_strategy=noauth: no token).
 * NUCLEON_TEST_API, as printed by `test/harness/neutron-server.sh env`.
 */
export const API = (process.env['NUCLEON_TEST_API'] ?? 'http://127.0.0.1:9696/v2.0').replace(/\/+$/, '');
export const TRANSPORT = process.env['NUCLEON_TEST_TRANSPORT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/nucleon-test';

export class ApiError extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, body: string) {
    super(`${method} ${path} -> ${status}: ${body.slice(0, 500)}`);
  }
}

/** One API call; `path` relative to /v2.0 ("/ports"). Throws ApiError on non-2xx. */
export async function api<T = unknown>(path: string, method = 'GET', body?: unknown, timeoutMs = 30_000): Promise<T> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new ApiError(method, path, res.status, text);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** DELETE that ignores 404 (already gone) and reports other failures as false. */
export async function apiDelete(path: string): Promise<boolean> {
  try { await api(path, 'DELETE', undefined, 60_000); return true; } catch (e) { return e instanceof ApiError && e.status === 404; }
}

export interface AgentRow { id: string; agent_type: string; host: string; alive: boolean; started_at: string | null }

export async function agents(hosts: string[]): Promise<AgentRow[]> {
  const q = hosts.map((h) => `host=${encodeURIComponent(h)}`).join('&');
  return (await api<{ agents: AgentRow[] }>(`/agents?${q}`, 'GET', undefined, 5000)).agents;
}

/** Deletes the agent rows of these hosts (best effort). */
export async function deleteAgentRows(hosts: string[]): Promise<void> {
  let rows: AgentRow[] = [];
  try { rows = await agents(hosts); } catch { return; }
  for (const r of rows) if (hosts.includes(r.host)) await apiDelete(`/agents/${r.id}`);
}

/** neutron's "YYYY-MM-DD HH:MM:SS" (UTC, whole seconds) -> epoch ms */
export function neutronTime(s: string): number { return Date.parse(`${s.replace(' ', 'T')}Z`); }
