/**
 * A test Nova metadata API (node:http), checking the proxy signature as Nova does
 * (and as the lab's tools/fake-nova.py): with X-Instance-ID, X-Instance-ID-Signature
 * must be hex HMAC-SHA256(secret, id), else 403. Answers:
 * - `/<v>/meta-data/instance-id` → the X-Instance-ID it received (400 without);
 * - `/openstack/<v>/meta_data.json` → {"uuid", "name", "project_id"};
 * - `/status/<code>` → that status (to test what the proxy passes on);
 * - `/echo` → the method, query and body it received, as JSON;
 * anything else 404. Every request's headers are recorded (`requests`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NovaSeen { method: string; url: string; headers: IncomingHttpHeaders }

export interface FakeNova {
  port: number;
  requests: NovaSeen[];
  close(): Promise<void>;
}

export function sign(secret: string, id: string): string {
  return createHmac('sha256', secret).update(id).digest('hex');
}

export function startFakeNova(o: { secret: string; host?: string; port?: number; record?: boolean }): Promise<FakeNova> {
  const requests: NovaSeen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (o.record !== false) requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const send = (code: number, body: string, type = 'text/plain') => {
        res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) }).end(body);
      };
      const iid = req.headers['x-instance-id'];
      if (typeof iid === 'string') {
        const want = Buffer.from(sign(o.secret, iid));
        const got = Buffer.from(String(req.headers['x-instance-id-signature'] ?? ''));
        if (want.length !== got.length || !timingSafeEqual(want, got)) return send(403, 'Invalid proxy request signature.\n');
      }
      const [path = '', query = ''] = (req.url ?? '').split('?', 2);
      const p = path.replace(/\/+$/, '');
      const status = /^\/status\/(\d{3})$/.exec(p);
      if (status) return send(Number(status[1]), `nova says ${status[1]}\n`);
      if (p === '/echo') return send(200, JSON.stringify({ method: req.method, query, body: Buffer.concat(chunks).toString() }), 'application/json');
      if (p.endsWith('/meta-data/instance-id')) return typeof iid === 'string' ? send(200, iid) : send(400, 'X-Instance-ID header missing\n');
      if (p.startsWith('/openstack/') && p.endsWith('/meta_data.json') && typeof iid === 'string') {
        return send(200, JSON.stringify({ uuid: iid, name: 'test-instance', project_id: req.headers['x-tenant-id'] ?? null }), 'application/json');
      }
      send(404, 'not found\n');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        requests,
        close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
      });
    });
  });
}
