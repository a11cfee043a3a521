/**
 * The request to Nova's metadata API on behalf of one instance: Neutron's
 * _proxy_request URL and headers, over a keep-alive agent (Python opens one
 * connection per request). Only the configured host and port are ever contacted:
 * the client's path is sent as a path, never parsed as a URL.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIPv6 } from 'node:net';
import type { Signer } from './sign.js';
import type { Instance } from './lookup.js';

export interface NovaOptions {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  insecure: boolean;
  /** auth_ca_cert: used unless insecure. */
  caCertFile: string | null;
  /** nova_client_cert + nova_client_priv_key: both, or no client certificate. */
  clientCertFile: string;
  clientKeyFile: string;
  /** No answer (headers) from Nova within this long: the request fails (500). */
  timeoutMs?: number;
}

export interface NovaRequest {
  method: string;
  /** Path and query as the client sent them; must start with '/'. */
  pathAndQuery: string;
  forwardedFor: string;
  instance: Instance;
  body: Buffer;
}

export class NovaClient {
  private readonly agent: HttpAgent;
  private readonly hostHeader: string;
  private readonly timeoutMs: number;

  /** Reads the TLS files now: a missing file is a start-up error, not a failed request. */
  constructor(private readonly o: NovaOptions, private readonly sign: Signer) {
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.hostHeader = `${isIPv6(o.host) ? `[${o.host}]` : o.host}:${o.port}`;
    if (o.protocol === 'https') {
      this.agent = new HttpsAgent({
        keepAlive: true,
        maxSockets: 256,
        rejectUnauthorized: !o.insecure,
        ...(o.caCertFile && !o.insecure ? { ca: readFileSync(o.caCertFile) } : {}),
        ...(o.clientCertFile && o.clientKeyFile ? { cert: readFileSync(o.clientCertFile), key: readFileSync(o.clientKeyFile) } : {}),
      });
    } else {
      this.agent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
    }
  }

  /** The URL Neutron builds, for logs: protocol://host:port/path?query. */
  url(pathAndQuery: string): string {
    return `${this.o.protocol}://${this.hostHeader}${pathAndQuery}`;
  }

  /** Resolves with Nova's response (headers received, body not yet read). */
  send(r: NovaRequest): Promise<IncomingMessage> {
    if (!r.pathAndQuery.startsWith('/')) return Promise.reject(new Error('request path must start with /'));
    // urlunsplit drops an empty query: "/x?" goes out as "/x".
    const path = r.pathAndQuery.endsWith('?') ? r.pathAndQuery.slice(0, -1) : r.pathAndQuery;
    const headers: Record<string, string> = {
      Host: this.hostHeader,
      'X-Forwarded-For': r.forwardedFor,
      'X-Instance-ID': r.instance.instanceId,
      'X-Instance-ID-Signature': this.sign(r.instance.instanceId),
    };
    // requests drops a header whose value is None.
    if (r.instance.tenantId !== null) headers['X-Tenant-ID'] = r.instance.tenantId;
    if (r.body.length > 0) headers['Content-Length'] = String(r.body.length);
    const send = this.o.protocol === 'https' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send({ host: this.o.host, port: this.o.port, method: r.method, path, headers, agent: this.agent });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer from Nova within ${this.timeoutMs} ms`)));
      req.once('response', resolve);
      req.once('error', reject);
      req.end(r.body.length > 0 ? r.body : undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
