/**
 * Helpers for the real-OVSDB tests: polling, a unix-socket proxy we control (to
 * inject bytes into a client's stream), and a bare ovsdb-server we can kill and
 * start again on the same database file (the fixture of test/harness/ovs.ts owns
 * its daemons and does not restart them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Listens on a fresh unix socket and relays every connection to `upstream`. */
export class UnixProxy {
  accepted = 0;
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(readonly path: string, private readonly dir: string, private readonly server: Server) {}

  static async start(upstream: string): Promise<UnixProxy> {
    const dir = mkdtempSync(join(tmpdir(), 'nucleon-ovsdb-proxy-'));
    const path = join(dir, 'proxy.sock');
    let proxy: UnixProxy | undefined;
    const server = createServer((client) => {
      if (!proxy) return;
      proxy.accepted++;
      const up = createConnection({ path: upstream });
      const pair: [Socket, Socket] = [client, up];
      proxy.pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        up.destroy();
        proxy?.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      up.on('error', drop).on('close', drop);
      client.pipe(up);
      up.pipe(client);
    });
    await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(path, res); });
    proxy = new UnixProxy(path, dir, server);
    return proxy;
  }

  /** Writes raw bytes to every client, in the middle of the server's stream. */
  injectToClients(bytes: string): void {
    for (const [client] of this.pairs) client.write(bytes);
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) { a.destroy(); b.destroy(); }
    this.pairs.clear();
    await new Promise<void>((res) => this.server.close(() => res()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A lone ovsdb-server (no vswitchd) on a fresh Open_vSwitch database, run as our
 * child (PID 1 here reaps no orphans) inside `netns`. `kill()` stops it by PID and
 * waits for the exit; `start()` runs it again on the same conf.db and socket path.
 */
export class LoneOvsdbServer {
  readonly dir: string;
  readonly dbPath: string;
  readonly sock: string;
  readonly ctl: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(private readonly netns: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'nucleon-ovsdb-lone-'));
    this.dbPath = join(this.dir, 'conf.db');
    this.sock = join(this.dir, 'db.sock');
    this.ctl = join(this.dir, 'ovsdb-server.ctl');
  }

  get dbUrl(): string {
    return `unix:${this.sock}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Creates conf.db and the Open_vSwitch row, then starts the server. */
  async create(): Promise<void> {
    await execa('ovsdb-tool', ['create', this.dbPath, '/usr/share/openvswitch/vswitch.ovsschema']);
    await this.start();
    await this.vsctl(['init']);
  }

  async start(): Promise<void> {
    const log = openSync(join(this.dir, 'ovsdb-server.console.log'), 'a');
    try {
      this.child = spawn('ip', ['netns', 'exec', this.netns, 'ovsdb-server', this.dbPath,
        `--remote=punix:${this.sock}`, `--unixctl=${this.ctl}`, `--log-file=${join(this.dir, 'ovsdb-server.log')}`, '--no-chdir'],
      { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    const child = this.child;
    this.exited = new Promise((res) => { child.once('exit', () => res()); child.once('error', () => res()); });
    await waitFor(() => existsSync(this.sock), 10_000, 'ovsdb-server socket');
  }

  /** `ovs-vsctl --no-wait` (there is no vswitchd to wait for). */
  async vsctl(args: string[]): Promise<string> {
    return (await execa('ovs-vsctl', [`--db=${this.dbUrl}`, '--timeout=10', '--no-wait', ...args])).stdout;
  }

  /** SIGTERM by PID (SIGKILL after 5 s); resolves once the process has exited. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
