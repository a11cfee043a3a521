/** Spawns test/interop/rpc/py/peer.py (Debian's python3-oslo.messaging 14.0.3) and reads its JSON events. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../../integration/rpc/helpers.js';

/** From dist/test/interop/rpc/ back to the source tree, where the .py lives (tsc does not copy it). */
export const PEER_PY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/interop/rpc/py/peer.py');
/** Always Debian's interpreter: the python3 on PATH is a pyenv build without the packages. */
export const PYTHON = '/usr/bin/python3';

export type PyEvent = { event: string; [k: string]: unknown };

export interface PeerOptions {
  url: string;
  exchange: string;
  topic: string;
  server?: string;
  rabbitOpts?: Record<string, string | number | boolean>;
  ops?: unknown[];
}

export class PyPeer {
  readonly events: PyEvent[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private exited: Promise<number | null>;

  constructor(o: PeerOptions) {
    const args = [PEER_PY, '--url', o.url, '--exchange', o.exchange, '--topic', o.topic, '--ops', JSON.stringify(o.ops ?? [])];
    if (o.server) args.push('--server', o.server);
    for (const [k, v] of Object.entries(o.rabbitOpts ?? {})) args.push('--rabbit-opt', `${k}=${String(v)}`);
    this.child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.events.push(JSON.parse(line) as PyEvent);
        } catch {
          this.stderr += `[stdout] ${line}\n`;
        }
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  async waitEvent(pred: (e: PyEvent) => boolean, what: string, timeoutMs = 30_000): Promise<PyEvent> {
    try {
      const found = await eventually(
        () => this.events.find(pred) ?? (this.child.exitCode !== null ? Promise.reject(new Error("python peer exited")) : undefined),
        what,
        timeoutMs,
      );
      return found as PyEvent;
    } catch (err) {
      throw new Error(`${String(err)}\n--- python stderr (tail) ---\n${this.stderr.slice(-3000)}`);
    }
  }

  ready(): Promise<PyEvent> {
    return this.waitEvent((e) => e.event === 'ready' || e.event === 'server-error', 'python server ready');
  }

  done(timeoutMs = 60_000): Promise<PyEvent> {
    return this.waitEvent((e) => e.event === 'done', 'python ops done', timeoutMs);
  }

  results(): PyEvent[] {
    return this.events.filter((e) => e.event === 'result').sort((a, b) => Number(a['i']) - Number(b['i']));
  }

  /** Queue names the peer declared (its server's three, and its reply queue). */
  queues(): string[] {
    const q: string[] = [];
    for (const e of this.events) {
      if (e.event === 'ready' && Array.isArray(e['queues'])) q.push(...(e['queues'] as string[]));
      if (e.event === 'done' && typeof e['reply_q'] === 'string') q.push(e['reply_q']);
    }
    return q;
  }

  /** Closes stdin (the peer stops its server and exits); kills our child by pid if it hangs. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}
