/**
 * Splits an OVSDB JSON-RPC byte stream into messages. RFC 7047 sends JSON objects
 * back to back with no delimiter (ovsdb-server writes `{…}{…}` with no newline), so
 * a message ends where its outermost brace closes.
 *
 * Contract
 * - Works on bytes, not text: braces and quotes are ASCII and never occur inside a
 *   multi-byte UTF-8 sequence, so a chunk boundary in the middle of a character (or
 *   anywhere else) is harmless; each complete message is decoded once, whole.
 * - Tracks strings and backslash escapes, so `"}"`, `"\""` and `"\\"` inside
 *   strings do not end a message.
 * - Every message must be an object: any other non-whitespace byte between messages
 *   is a framing error (a JSON-RPC peer never sends one).
 * - Bounded: a message longer than `maxMessageBytes` is an error as soon as the
 *   bytes held exceed the bound (memory use stays ≤ bound + one chunk).
 * - After an error the splitter stays failed: the position of the next message
 *   cannot be known, so the connection must be dropped.
 */

/** The byte stream is not a sequence of JSON objects (or one is too big). */
export class JsonFramingError extends Error {
  override readonly name = 'JsonFramingError';
}

/** 64 MiB: an initial Open_vSwitch monitor dump of a few thousand ports is a few MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export class JsonMessageSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of the unfinished message from earlier chunks. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private failure: JsonFramingError | undefined;

  constructor(private readonly maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {
    if (!(maxMessageBytes > 0)) throw new RangeError('maxMessageBytes must be positive');
  }

  /** Bytes held for a message not complete yet. */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /**
   * Feeds the next chunk; returns the messages it completed, parsed, in order.
   * Throws {@link JsonFramingError} (and keeps throwing it) on a framing error.
   * Messages completed earlier in the same chunk than the error are lost with it;
   * the caller drops the connection anyway.
   */
  push(chunk: Uint8Array): unknown[] {
    if (this.failure) throw this.failure;
    try {
      return this.scan(chunk);
    } catch (err) {
      this.failure = err instanceof JsonFramingError ? err : new JsonFramingError(String(err));
      this.held = [];
      this.heldBytes = 0;
      throw this.failure;
    }
  }

  // A plain byte loop: V8 runs it at well over 100 MB/s, so JSON.parse dominates;
  // it is linear whatever the strings hold (escapes included).
  private scan(bytes: Uint8Array): unknown[] {
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const out: unknown[] = [];
    // Start (in this chunk) of the message being scanned; 0 when it began in an earlier chunk.
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.depth === 0) {
        if (isJsonWhitespace(b)) continue;
        if (b !== OPEN_BRACE) {
          throw new JsonFramingError(`expected '{' to start a message, got byte 0x${b.toString(16).padStart(2, '0')}`);
        }
        this.depth = 1;
        start = i;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          const piece = chunk.subarray(start, i + 1);
          const size = this.heldBytes + piece.length;
          if (size > this.maxMessageBytes) throw this.tooBig(size);
          const message = this.held.length === 0 ? piece : Buffer.concat([...this.held, piece]);
          this.held = [];
          this.heldBytes = 0;
          start = -1;
          out.push(parse(message));
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      const piece = chunk.subarray(start);
      this.heldBytes += piece.length;
      if (this.heldBytes > this.maxMessageBytes) throw this.tooBig(this.heldBytes);
      // A copy: the caller may reuse its chunk once push() returns.
      this.held.push(Buffer.from(piece));
    }
    return out;
  }

  private tooBig(size: number): JsonFramingError {
    return new JsonFramingError(`message exceeds ${this.maxMessageBytes} bytes (${size} bytes so far)`);
  }
}

function parse(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    const head = bytes.subarray(0, 80).toString('utf8');
    throw new JsonFramingError(`invalid JSON message (${err instanceof Error ? err.message : String(err)}) starting ${JSON.stringify(head)}`);
  }
}
