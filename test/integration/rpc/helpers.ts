/**
 * Shared by the RabbitMQ and interop RPC tests: per-run names, a log capture, a
 * raw amqplib connection for poking at the broker, and cleanup of what a test
 * declared (channel.deleteQueue/deleteExchange: no management plugin needed).
 */
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { Logger } from '../../../shared/logging/logger.js';

export const BROKER_URL = process.env['NUCLEON_TEST_TRANSPORT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672/';

export function runPrefix(): string {
  return `nucleon-test-${randomBytes(4).toString('hex')}`;
}

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export interface CapturedLogger {
  logger: Logger;
  lines: LogLine[];
  raw: string[];
  find(msg: string | RegExp): LogLine[];
}

/** A real pino logger whose JSON lines are kept for assertions (set NUCLEON_TEST_LOG=1 to echo them). */
export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const echo = process.env['NUCLEON_TEST_LOG'] === '1';
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) {
        if (!l) continue;
        raw.push(l);
        if (echo) process.stderr.write(l + '\n');
        try {
          lines.push(JSON.parse(l) as LogLine);
        } catch {
          // not JSON: kept in raw only
        }
      }
      cb();
    },
  });
  const logger = pino({ level, formatters: { level: (label: string) => ({ level: label }) } }, dest);
  return {
    logger,
    lines,
    raw,
    find: (m) => lines.filter((l) => (typeof m === 'string' ? l.msg === m : m.test(l.msg))),
  };
}

/** Raw broker access for tests: publish hand-made bodies, inspect, clean up. */
export class RawBroker {
  private constructor(
    readonly model: ChannelModel,
    readonly ch: Channel,
  ) {}

  static async open(): Promise<RawBroker> {
    const model = await amqp.connect(AMQP_URL);
    model.on('error', () => undefined);
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    return new RawBroker(model, ch);
  }

  /** A channel for one risky operation (a 406 closes the channel it happens on). */
  async scratch(): Promise<Channel> {
    const ch = await this.model.createChannel();
    ch.on('error', () => undefined);
    return ch;
  }

  async deleteAll(queues: Iterable<string>, exchanges: Iterable<string>): Promise<void> {
    for (const q of queues) {
      const ch = await this.scratch();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const e of exchanges) {
      const ch = await this.scratch();
      await ch.deleteExchange(e).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

export async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
