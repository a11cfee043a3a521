/**
 * Routing of the control socket, without any HTTP plumbing: a method and a URL in,
 * a status, headers and a body out. `handleRequest` never throws; provider failures
 * become `500 INTERNAL`, slow dry runs `504 TIMEOUT`, and every error answer is
 * `{ error, message }` JSON.
 *
 * Only `POST /resync` changes anything, and all it does is ask for a full sync.
 */
import type { Logger } from '../logging/logger.js';
import { ControlError, errorBody } from './errors.js';
import type { Metrics } from './metrics.js';
import type { ControlProvider } from './provider.js';
import { buildStatus, computeHealth, type StatusSources } from './status.js';

export interface RecentLines {
  linesFor(id: string): ReadonlyArray<Record<string, unknown>>;
}

export interface RouteContext {
  sources: StatusSources & { provider: ControlProvider };
  metrics: Metrics;
  recentLog?: RecentLines | undefined;
  logger?: Logger | undefined;
  /** Bound on diff/trace, which may read the kernel. */
  providerTimeoutMs: number;
}

export interface ControlResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `control`: the unix socket (everything); `metrics`: the TCP listener (GET /metrics only). */
export type Listener = 'control' | 'metrics';

/** Ids are uuids in practice; anything beyond this shape is refused before reaching a provider. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const REASON_MAX = 200;

type Handler = (ctx: RouteContext, params: { id?: string; query: URLSearchParams }) => Promise<ControlResponse>;

interface Route {
  path: string | RegExp;
  method: 'GET' | 'POST';
  handler: Handler;
  listeners: readonly Listener[];
}

const json = (status: number, body: unknown): ControlResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body, null, 2) + '\n',
});

const ROUTES: readonly Route[] = [
  {
    path: '/healthz', method: 'GET', listeners: ['control'],
    // 503 only for down: a degraded daemon still works and should not be restarted by a probe.
    handler: async (ctx) => {
      const h = computeHealth(ctx.sources);
      return json(h.state === 'down' ? 503 : 200, h);
    },
  },
  { path: '/status', method: 'GET', listeners: ['control'], handler: async (ctx) => json(200, buildStatus(ctx.sources)) },
  {
    path: '/metrics', method: 'GET', listeners: ['control', 'metrics'],
    handler: async (ctx) => {
      const m = await ctx.metrics.render();
      return { status: 200, headers: { 'content-type': m.contentType }, body: m.text };
    },
  },
  {
    path: '/diff', method: 'GET', listeners: ['control'],
    handler: async (ctx) => {
      const p = ctx.sources.provider;
      if (!p.diff) throw new ControlError('NOT_SUPPORTED', `${p.daemon} has no dry run (diff) yet`);
      const ops = await withTimeout(p.diff(), ctx.providerTimeoutMs, 'diff');
      return json(200, { daemon: p.daemon, host: p.host, in_sync: ops.length === 0, ops });
    },
  },
  {
    path: /^\/trace(?:\/([^/]*))?$/, method: 'GET', listeners: ['control'],
    handler: async (ctx, { id }) => {
      const p = ctx.sources.provider;
      if (id === undefined || !ID_RE.test(id)) throw new ControlError('BAD_REQUEST', 'trace needs a resource id (letters, digits, ".", "_", ":", "-"; at most 128 characters)');
      const found = p.trace ? await withTimeout(p.trace(id), ctx.providerTimeoutMs, 'trace') : {};
      return json(200, { daemon: p.daemon, host: p.host, id, traced: p.trace !== undefined, ...found, log_lines: ctx.recentLog?.linesFor(id) ?? [] });
    },
  },
  {
    path: '/resync', method: 'POST', listeners: ['control'],
    handler: async (ctx, { query }) => {
      const given = (query.get('reason') ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, REASON_MAX).trim();
      const reason = given ? `operator: ${given}` : 'operator';
      ctx.sources.provider.resync(reason);
      ctx.logger?.info({ reason }, 'full resync requested on the control socket');
      return json(202, { accepted: true, reason });
    },
  },
];

function match(route: Route, path: string): { id?: string } | null {
  if (typeof route.path === 'string') return route.path === path ? {} : null;
  const m = route.path.exec(path);
  if (!m) return null;
  try {
    return m[1] === undefined ? {} : { id: decodeURIComponent(m[1]) };
  } catch {
    return { id: '\0' }; // bad %-escape: fails the id check with the same message
  }
}

export async function handleRequest(method: string, rawUrl: string, ctx: RouteContext, listener: Listener = 'control'): Promise<ControlResponse> {
  try {
    let url: URL;
    try {
      url = new URL(rawUrl, 'http://control.invalid');
    } catch {
      throw new ControlError('BAD_REQUEST', 'malformed request target');
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const candidates = ROUTES.filter((r) => r.listeners.includes(listener));
    const hits = candidates.map((r) => ({ r, m: match(r, path) })).filter((x) => x.m !== null);
    if (hits.length === 0) {
      const known = candidates.map((r) => (typeof r.path === 'string' ? r.path : '/trace/<id>')).join(', ');
      throw new ControlError('NOT_FOUND', `no such path: ${path.slice(0, 200)} (known: ${known})`);
    }
    const hit = hits.find((x) => x.r.method === method);
    if (!hit) {
      const allow = [...new Set(hits.map((x) => x.r.method))];
      throw new ControlError('METHOD_NOT_ALLOWED', `${method.slice(0, 16)} is not allowed on ${path}; use ${allow.join(' or ')}`, allow);
    }
    return await hit.r.handler(ctx, { ...(hit.m as { id?: string }), query: url.searchParams });
  } catch (err) {
    return errorResponse(err, ctx.logger, method, rawUrl);
  }
}

export function errorResponse(err: unknown, logger: Logger | undefined, method: string, rawUrl: string): ControlResponse {
  const ce = err instanceof ControlError ? err : new ControlError('INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`);
  if (ce.code === 'INTERNAL' || ce.code === 'TIMEOUT') logger?.error({ err, method, url: rawUrl.slice(0, 200) }, 'control request failed');
  const res = json(ce.status, errorBody(ce));
  if (ce.allow) res.headers['allow'] = ce.allow.join(', ');
  return res;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new ControlError('TIMEOUT', `${what} did not finish within ${ms} ms`)), ms);
    p.then(
      (v) => { clearTimeout(t); resolve(v); },
      (e: unknown) => { clearTimeout(t); reject(e); },
    );
  });
}
