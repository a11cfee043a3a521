// Access to the real neutron-server that interop tests run against.
//
// ensureNeutronServer() uses the server described by NUCLEON_TEST_API /
// NUCLEON_TEST_TRANSPORT_URL / NUCLEON_TEST_CONF_DIR when those are set and the API
// answers (test/run.sh exports them); otherwise it runs `test/harness/neutron-server.sh up`
// once per process and reads `neutron-server.sh env`. The API runs with auth_strategy=noauth:
// no token; put "project_id" in POST bodies to own resources as a project.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NeutronServer {
  /** e.g. http://127.0.0.1:9696/v2.0 */
  apiUrl: string;
  /** oslo.messaging URL, e.g. rabbit://guest:guest@127.0.0.1:5672/nucleon-test */
  transportUrl: string;
  /** neutron.conf, ml2_conf.ini and agent .ini templates */
  confDir: string;
}

export interface NeutronAgent {
  id: string;
  agent_type: string;
  binary: string;
  host: string;
  topic: string;
  alive: boolean;
  admin_state_up: boolean;
  started_at: string;
  created_at: string;
  heartbeat_timestamp: string;
  configurations: Record<string, unknown>;
  availability_zone: string | null;
  description: string | null;
  resources_synced: boolean | null;
}

export type AgentFilter =
  | ((agent: NeutronAgent) => boolean)
  | { host?: string; hostPrefix?: string; agentType?: string; binary?: string };

export class NeutronApiError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} -> ${status}: ${body.slice(0, 2000)}`);
    this.name = 'NeutronApiError';
  }
}

const ENV_KEYS = ['NUCLEON_TEST_API', 'NUCLEON_TEST_TRANSPORT_URL', 'NUCLEON_TEST_CONF_DIR'] as const;
const UP_TIMEOUT_MS = 20 * 60_000; // a first run on a fresh machine installs packages

/** Repository root (the directory holding test/harness/neutron-server.sh). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'test', 'harness', 'neutron-server.sh')) && existsSync(join(dir, 'package.json'))) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find test/harness/neutron-server.sh above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function harnessScript(): string {
  return join(repoRoot(), 'test', 'harness', 'neutron-server.sh');
}

function run(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [harnessScript(), ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`neutron-server.sh ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-4000)}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Parses `neutron-server.sh env` output (KEY=value / KEY='value' lines). */
export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (v.length >= 2 && ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"')))) {
      v = v.slice(1, -1);
    }
    out[m[1]] = v;
  }
  return out;
}

function fromEnv(): NeutronServer | undefined {
  const [api, transport, conf] = ENV_KEYS.map((k) => process.env[k]);
  if (!api || !transport || !conf) return undefined;
  return { apiUrl: api.replace(/\/+$/, ''), transportUrl: transport, confDir: conf };
}

async function apiAnswers(apiUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/networks?limit=1`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

let ensured: Promise<NeutronServer> | undefined;

/** Makes sure the harness neutron-server runs; at most one `up` per process. */
export function ensureNeutronServer(): Promise<NeutronServer> {
  ensured ??= (async () => {
    const env = fromEnv();
    if (env && (await apiAnswers(env.apiUrl))) return env;
    await run(['up'], UP_TIMEOUT_MS);
    const vars = parseEnv(await run(['env'], 60_000));
    for (const [k, v] of Object.entries(vars)) process.env[k] = v; // inherited by agents under test
    const server = fromEnv();
    if (!server) throw new Error('neutron-server.sh env did not print the NUCLEON_TEST_* variables');
    return server;
  })();
  ensured.catch(() => {
    ensured = undefined; // let a later call retry
  });
  return ensured;
}

/** oslo.messaging `rabbit://` URL -> `amqp://` URL for amqplib (vhost kept, URL-encoded). */
export function transportToAmqpUrl(transportUrl: string): string {
  const u = new URL(transportUrl.replace(/^rabbit:/, 'amqp:'));
  const vhost = decodeURIComponent(u.pathname.replace(/^\//, ''));
  u.pathname = vhost === '' ? '/' : '/' + encodeURIComponent(vhost);
  return u.toString();
}

function apiBase(): string {
  const env = fromEnv();
  if (!env) throw new Error('no neutron-server: call ensureNeutronServer() first (or set NUCLEON_TEST_API)');
  return env.apiUrl;
}

/**
 * Calls the neutron API. `path` is relative to /v2.0 ("/networks", "networks/<id>",
 * "/v2.0/agents" all work). Returns the parsed JSON (undefined for an empty body, e.g. 204).
 * Throws NeutronApiError carrying status and body for any non-2xx answer.
 */
export async function neutronApi<T = unknown>(path: string, method = 'GET', body?: unknown): Promise<T> {
  const base = apiBase();
  const rel = path.replace(/^\/?(v2\.0\/?)?/, '');
  const url = `${base}/${rel}`;
  const res = await fetch(url, {
    method,
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new NeutronApiError(method, url, res.status, text);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** GET /v2.0/agents, optionally filtered server-side by host / agent_type / binary. */
export async function listAgents(filter: { host?: string; agentType?: string; binary?: string } = {}): Promise<NeutronAgent[]> {
  const res = await neutronApi<{ agents: NeutronAgent[] }>(
    `/agents${query({ host: filter.host, agent_type: filter.agentType, binary: filter.binary })}`,
  );
  return res.agents;
}

function matches(filter: AgentFilter, a: NeutronAgent): boolean {
  if (typeof filter === 'function') return filter(a);
  if (filter.host !== undefined && a.host !== filter.host) return false;
  if (filter.hostPrefix !== undefined && !a.host.startsWith(filter.hostPrefix)) return false;
  if (filter.agentType !== undefined && a.agent_type !== filter.agentType) return false;
  if (filter.binary !== undefined && a.binary !== filter.binary) return false;
  return true;
}

/**
 * Deletes the agent rows matching `filter` (DELETE /v2.0/agents/<id>); rows already gone
 * are ignored. An empty object filter is refused (it would delete every agent).
 * Returns the deleted agents.
 */
export async function deleteAgents(filter: AgentFilter): Promise<NeutronAgent[]> {
  if (typeof filter !== 'function' && Object.values(filter).every((v) => v === undefined)) {
    throw new Error('deleteAgents: refusing an empty filter');
  }
  const deleted: NeutronAgent[] = [];
  for (const a of await listAgents()) {
    if (!matches(filter, a)) continue;
    try {
      await neutronApi(`/agents/${a.id}`, 'DELETE');
      deleted.push(a);
    } catch (e) {
      if (!(e instanceof NeutronApiError && e.status === 404)) throw e;
    }
  }
  return deleted;
}

export { waitFor, type WaitOptions } from './wait.js';

/** Reads a file from the harness config dir (e.g. to derive a per-test agent config). */
export function readHarnessConfig(server: NeutronServer, file: string): string {
  return readFileSync(join(server.confDir, file), 'utf8');
}
