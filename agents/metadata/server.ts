/**
 * The HTTP server on the unix socket the namespace proxies forward to
 * ([DEFAULT] metadata_proxy_socket). Like Neutron: the directory is created, a
 * stale socket file removed, the socket chmod'ed to the resolved mode, and the
 * listen backlog is metadata_backlog. One event loop serves all requests, so
 * metadata_workers is not needed (the Python agent forks cpu_count // 2).
 *
 * Headers are bounded: more than MAX_HEADER_BYTES of request line plus headers
 * is refused by node's parser before any handler code runs, answered as eventlet
 * (the Python agent's server) answers an over-long header: a bare 400 and close.
 * eventlet's limits are 8 KiB per line and 64 KiB in all; 8 KiB in all is
 * stricter and still far above what haproxy forwards for a metadata request.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import type { MetadataHandler } from './handler.js';

export const MAX_HEADER_BYTES = 8192;

export interface MetadataServerOptions {
  socketPath: string;
  mode: number;
  backlog: number;
  handler: MetadataHandler;
}

export class MetadataServer {
  private readonly server: Server;

  constructor(private readonly o: MetadataServerOptions) {
    this.server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 120_000, headersTimeout: 30_000 }, (req, res) => {
      void o.handler.handle(req, res);
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const reason = err.code === 'HPE_HEADER_OVERFLOW' ? 'Headers Too Large' : 'Bad Request';
      socket.end(`HTTP/1.0 400 ${reason}\r\nConnection: close\r\nContent-length: 0\r\n\r\n`);
    });
    // haproxy keeps connections open between requests; idle ones should not pile up.
    this.server.keepAliveTimeout = 30_000;
  }

  async listen(): Promise<void> {
    await mkdir(dirname(this.o.socketPath), { recursive: true });
    await rm(this.o.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ path: this.o.socketPath, backlog: this.o.backlog }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await chmod(this.o.socketPath, this.o.mode);
  }

  /** Stops accepting, lets requests in flight finish, then closes idle connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}
