/**
 * Sends the one reply of a call (amqpdriver.AMQPIncomingMessage.reply): to the
 * default exchange, routing key `_reply_q`, mandatory. While the reply queue is
 * missing (basic.return, e.g. the caller's broker connection is recovering) it
 * retries every 0.25 s for kombu_missing_consumer_retry_timeout, then remembers
 * the queue as gone for 60 s (ObsoleteReplyQueuesCache, 200 entries) so later
 * replies to it are dropped at once instead of each waiting a minute.
 */
import type { Logger } from '../logging/logger.js';
import { delay, type OsloConnection } from './connection.js';
import { encodeEnvelope, type JsonObject } from './envelope.js';
import { RpcClosedError } from './errors.js';
import { encodeFailure, makeFailure, type OsloFailure } from './failure.js';
import { uuidHex } from './ids.js';

const RETRY_EVERY_MS = 250;
const OBSOLETE_TTL_MS = 60_000;
const OBSOLETE_SIZE = 200;

export class ReplySender {
  private readonly obsolete = new Map<string, number>();

  constructor(
    private readonly conn: OsloConnection,
    private readonly log: Logger,
  ) {}

  /** Builds the reply body; a result JSON cannot hold becomes a TypeError failure. */
  static body(msgId: string, result: unknown, failure: OsloFailure | null, ending = true): Buffer {
    const make = (r: unknown, f: OsloFailure | null): JsonObject => ({
      result: r,
      failure: f ? encodeFailure(f) : null,
      ending,
      _msg_id: msgId,
      _unique_id: uuidHex(),
    });
    try {
      return encodeEnvelope(make(result, failure));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return encodeEnvelope(make(null, makeFailure('TypeError', 'builtins', `result is not JSON serializable: ${msg}`)));
    }
  }

  isObsolete(replyQ: string): boolean {
    const t = this.obsolete.get(replyQ);
    if (t === undefined) return false;
    if (Date.now() - t > OBSOLETE_TTL_MS) {
      this.obsolete.delete(replyQ);
      return false;
    }
    return true;
  }

  private markObsolete(replyQ: string): void {
    this.obsolete.set(replyQ, Date.now());
    while (this.obsolete.size > OBSOLETE_SIZE) {
      const first = this.obsolete.keys().next().value;
      if (first === undefined) break;
      this.obsolete.delete(first);
    }
  }

  /** Never throws; logs one line when the reply has to be abandoned. */
  async send(replyQ: string, msgId: string, body: Buffer): Promise<boolean> {
    if (this.isObsolete(replyQ)) {
      this.log.warn({ reply_q: replyQ, msg_id: msgId }, 'reply queue does not exist, dropping reply');
      return false;
    }
    const budgetMs = this.conn.rabbit.kombuMissingConsumerRetryTimeout * 1000;
    const deadline = Date.now() + budgetMs;
    for (;;) {
      let returned = false;
      try {
        ({ returned } = await this.conn.publish({
          exchange: null,
          routingKey: replyQ,
          body,
          mandatory: true,
          waitMs: Math.max(1, deadline - Date.now()),
        }));
        if (!returned) return true;
      } catch (err) {
        if (err instanceof RpcClosedError) {
          this.log.warn({ reply_q: replyQ, msg_id: msgId }, 'connection closed, reply not sent');
          return false;
        }
        if (Date.now() >= deadline) {
          this.log.error({ err, reply_q: replyQ, msg_id: msgId, budgetMs }, 'reply could not be sent (broker issue), abandoning');
          return false;
        }
      }
      if (Date.now() + RETRY_EVERY_MS > deadline) {
        this.markObsolete(replyQ);
        this.log.error({ reply_q: replyQ, msg_id: msgId, budgetMs }, 'reply queue missing, abandoning reply');
        return false;
      }
      await delay(RETRY_EVERY_MS);
    }
  }
}
