/**
 * One metadata request, as Neutron's MetadataProxyHandler.__call__ answers it:
 * validate headers → find the one instance → forward to Nova signed → pass
 * Nova's 200 (streamed) or map its 400/403/404/409/500 to webob's answers; on
 * Nova's 404 look the instance up again without the cache and retry once (it may
 * be a new instance on a reused address). Anything unexpected, including Nova
 * being unreachable or answering another status, is Neutron's 500 "unknown error".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logging/logger.js';
import { errorAnswer, NOVA_INTERNAL_ERROR, proxiedContentType, UNKNOWN_ERROR, type Answer } from './answers.js';
import { checkHeaders, type DistinctHeaders } from './headers.js';
import type { Instance, InstanceLookup } from './lookup.js';
import type { NovaClient } from './nova.js';
import type { MetadataStats } from './stats.js';

/** Request bodies (a password POST is ~256 bytes) are read whole, for the retry; beyond this: 413. */
export const MAX_BODY_BYTES = 64 * 1024;

type Forwarded = { kind: 'stream'; resp: IncomingMessage; contentType: string } | { kind: 'answer'; answer: Answer; nova404?: true };

class BodyTooLarge extends Error {}

export interface HandlerDeps {
  lookup: InstanceLookup;
  nova: NovaClient;
  stats: MetadataStats;
  logger: Logger;
}

export class MetadataHandler {
  private readonly log: Logger;

  constructor(private readonly d: HandlerDeps) {
    this.log = d.logger.child({ component: 'metadata-handler' });
  }

  /** Never rejects: every failure becomes an answer (or a destroyed socket mid-stream). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const accept = req.headers.accept;
    let status = 500;
    try {
      const verdict = checkHeaders(req.headersDistinct as DistinctHeaders);
      if (!verdict.ok) {
        this.log.debug({ reason: verdict.reason, status: verdict.status }, 'metadata request refused');
        status = this.answer(req, res, errorAnswer(verdict.status, accept, verdict.status === 500 ? UNKNOWN_ERROR : undefined));
        return;
      }
      const ids = verdict.target.kind === 'network' ? { network_id: verdict.target.networkId } : { router_id: verdict.target.routerId };
      const body = await readBody(req, MAX_BODY_BYTES);
      const pathAndQuery = req.url ?? '/';
      let instance = await this.d.lookup.find(verdict.target, verdict.remote);
      if (!instance) {
        this.log.debug({ ...ids, remote_address: verdict.remote.ip }, 'no single port for this address: 404');
        status = this.answer(req, res, errorAnswer(404, accept));
        return;
      }
      const forward = (inst: Instance) => this.forward(req, pathAndQuery, verdict.forwardedFor, inst, body, accept);
      let out = await forward(instance);
      if (out.kind === 'answer' && out.nova404) {
        this.log.info({ instance_id: instance.instanceId, ...ids }, 'the instance is not present anymore, skipping cache');
        instance = await this.d.lookup.find(verdict.target, verdict.remote, true);
        if (instance) out = await forward(instance);
      }
      if (out.kind === 'answer') {
        status = this.answer(req, res, out.answer);
        return;
      }
      status = 200;
      this.stream(req, res, out);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        status = 413;
        res.writeHead(413, { 'Content-Type': 'text/plain; charset=UTF-8', Connection: 'close' }).end('413 Request Entity Too Large\n');
        return;
      }
      this.log.error({ err }, 'metadata request failed');
      status = this.answer(req, res, errorAnswer(500, accept, UNKNOWN_ERROR));
    } finally {
      this.d.stats.answered(status);
      this.log.debug({ method: req.method, status, durationMs: Math.round(performance.now() - started) }, 'metadata request');
    }
  }

  private async forward(req: IncomingMessage, pathAndQuery: string, forwardedFor: string, instance: Instance, body: Buffer, accept: string | undefined): Promise<Forwarded> {
    let resp: IncomingMessage;
    try {
      resp = await this.d.nova.send({ method: req.method ?? 'GET', pathAndQuery, forwardedFor, instance, body });
    } catch (err) {
      this.d.stats.novaFailed();
      this.log.error({ err, url: this.d.nova.url(pathAndQuery) }, 'Nova metadata API unreachable');
      return { kind: 'answer', answer: errorAnswer(500, accept, UNKNOWN_ERROR) };
    }
    const code = resp.statusCode ?? 0;
    const contentType = resp.headers['content-type'];
    if (code === 200 && contentType !== undefined) return { kind: 'stream', resp, contentType: proxiedContentType(contentType) };
    resp.resume(); // drain: the keep-alive socket goes back to the pool
    switch (code) {
      case 403:
        this.log.warn({ instance_id: instance.instanceId }, 'The remote metadata server responded with Forbidden. This response usually occurs when shared secrets do not match.');
        return { kind: 'answer', answer: errorAnswer(403, accept) };
      case 400: return { kind: 'answer', answer: errorAnswer(400, accept) };
      case 404: return { kind: 'answer', answer: errorAnswer(404, accept), nova404: true };
      case 409: return { kind: 'answer', answer: errorAnswer(409, accept) };
      case 500:
        this.log.warn({ instance_id: instance.instanceId }, 'Remote metadata server experienced an internal server error.');
        return { kind: 'answer', answer: errorAnswer(500, accept, NOVA_INTERNAL_ERROR) };
      default:
        // Neutron raises on any other status (and on a 200 without Content-Type).
        this.d.stats.novaFailed();
        this.log.error({ status: code, url: this.d.nova.url(pathAndQuery) }, 'unexpected response from Nova metadata API');
        return { kind: 'answer', answer: errorAnswer(500, accept, UNKNOWN_ERROR) };
    }
  }

  private stream(req: IncomingMessage, res: ServerResponse, out: { resp: IncomingMessage; contentType: string }): void {
    const headers: Record<string, string> = { 'Content-Type': out.contentType };
    const len = out.resp.headers['content-length'];
    if (len !== undefined && req.method !== 'HEAD') headers['Content-Length'] = len;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      out.resp.resume();
      res.end();
      return;
    }
    out.resp.pipe(res);
    // A body cut short by Nova must not look complete to the client.
    out.resp.once('aborted', () => res.destroy());
    out.resp.once('error', () => res.destroy());
  }

  private answer(req: IncomingMessage, res: ServerResponse, a: Answer): number {
    res.writeHead(a.status, { 'Content-Type': a.contentType, 'Content-Length': String(a.body.length) });
    res.end(req.method === 'HEAD' ? undefined : a.body);
    return a.status;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
