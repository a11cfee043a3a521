/**
 * oslo envelope 2.0: `{"oslo.version": "2.0", "oslo.message": "<inner JSON text>"}`.
 * Decoding follows common.deserialize_msg: a dict without both envelope keys is
 * a 1.0 (un-enveloped) message and is accepted as is; an envelope whose version
 * is not compatible with 2.0 (other major, or minor > 0) is refused.
 */
import { MalformedMessageError, UnsupportedEnvelopeVersionError } from './errors.js';
import { versionIsCompatible, InvalidVersionError } from './version.js';

export const ENVELOPE_VERSION = '2.0';
export const VERSION_KEY = 'oslo.version';
export const MESSAGE_KEY = 'oslo.message';

export type JsonObject = Record<string, unknown>;

/**
 * The AMQP body for a message. Python's json.dumps writes ", "/": " separators and
 * \uXXXX escapes; JSON.stringify's compact form is equivalent JSON and every
 * oslo/kombu reader accepts it, so we do not imitate the spacing.
 * Throws TypeError for values JSON cannot hold (BigInt, cycles).
 */
export function encodeEnvelope(inner: JsonObject): Buffer {
  const env = { [VERSION_KEY]: ENVELOPE_VERSION, [MESSAGE_KEY]: JSON.stringify(inner) };
  return Buffer.from(JSON.stringify(env), 'utf8');
}

export interface DecodedMessage {
  message: JsonObject;
  /** '1.0' when the body was an un-enveloped dict. */
  envelope: '2.0' | '1.0';
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Throws MalformedMessageError or UnsupportedEnvelopeVersionError; never anything else. */
export function decodeEnvelope(body: Buffer | string): DecodedMessage {
  let outer: unknown;
  try {
    outer = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    throw new MalformedMessageError('message body is not valid JSON', { cause: err });
  }
  if (!isJsonObject(outer)) {
    throw new MalformedMessageError(`message body is a JSON ${Array.isArray(outer) ? 'array' : typeof outer}, not an object`);
  }
  if (!(VERSION_KEY in outer) || !(MESSAGE_KEY in outer)) return { message: outer, envelope: '1.0' };
  const version = outer[VERSION_KEY];
  let ok: boolean;
  try {
    ok = typeof version === 'string' && versionIsCompatible(ENVELOPE_VERSION, version);
  } catch (err) {
    if (!(err instanceof InvalidVersionError)) throw err;
    ok = false;
  }
  if (!ok) throw new UnsupportedEnvelopeVersionError(version);
  const text = outer[MESSAGE_KEY];
  if (typeof text !== 'string') throw new MalformedMessageError('oslo.message is not a string');
  let inner: unknown;
  try {
    inner = JSON.parse(text);
  } catch (err) {
    throw new MalformedMessageError('oslo.message is not valid JSON', { cause: err });
  }
  if (!isJsonObject(inner)) throw new MalformedMessageError('oslo.message is not a JSON object');
  return { message: inner, envelope: '2.0' };
}

/**
 * For a message we refuse (e.g. unsupported envelope): still find `_msg_id` and
 * `_reply_q` when the inner text parses, so a waiting caller gets a failure reply
 * instead of a timeout. oslo itself only logs and drops these.
 */
export function peekReplyAddress(body: Buffer | string): { msgId: string; replyQ: string } | null {
  try {
    const outer: unknown = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    if (!isJsonObject(outer)) return null;
    const inner: unknown = typeof outer[MESSAGE_KEY] === 'string' ? JSON.parse(outer[MESSAGE_KEY] as string) : outer;
    if (!isJsonObject(inner)) return null;
    const msgId = inner['_msg_id'];
    const replyQ = inner['_reply_q'];
    return typeof msgId === 'string' && typeof replyQ === 'string' && msgId && replyQ ? { msgId, replyQ } : null;
  } catch {
    return null;
  }
}
