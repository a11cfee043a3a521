/**
 * Request context as neutron_lib.context.Context.to_dict() packs it: one
 * `_context_<key>` field per key (amqp.pack_context). The key set and order are
 * those of the recorded report_state of a Zed agent (admin context without
 * session); see wire-samples/neutron__q-reports-plugin__report_state.*.json.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from './envelope.js';

/** The decoded `_context_*` fields, without the prefix. */
export interface RpcContext {
  [key: string]: unknown;
}

export const CONTEXT_PREFIX = '_context_';

/** Every key a Python agent sends, in its order. */
export const CONTEXT_KEYS = [
  'user',
  'project_id',
  'system_scope',
  'project',
  'domain',
  'user_domain',
  'project_domain',
  'is_admin',
  'read_only',
  'show_deleted',
  'auth_token',
  'request_id',
  'global_request_id',
  'resource_uuid',
  'roles',
  'user_identity',
  'is_admin_project',
  'user_id',
  'tenant_id',
  'timestamp',
  'tenant_name',
  'project_name',
  'user_name',
] as const;

/**
 * str(datetime.utcnow()) as Neutron sends it: "YYYY-MM-DD HH:MM:SS.ffffff" in UTC.
 * (Python drops ".ffffff" when microseconds are exactly 0; the server parses both
 * with parse_isotime, so we always write six digits.)
 */
export function formatContextTimestamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 1000, 6)}`
  );
}

/** An admin context like neutron_lib.context.get_admin_context(): every key, null where unknown. */
export function adminContext(now: Date = new Date()): RpcContext {
  return {
    user: null,
    project_id: null,
    system_scope: null,
    project: null,
    domain: null,
    user_domain: null,
    project_domain: null,
    is_admin: true,
    read_only: false,
    show_deleted: false,
    auth_token: null,
    request_id: `req-${randomUUID()}`,
    global_request_id: null,
    resource_uuid: null,
    roles: [],
    user_identity: '- - - - -',
    is_admin_project: true,
    user_id: null,
    tenant_id: null,
    timestamp: formatContextTimestamp(now),
    tenant_name: null,
    project_name: null,
    user_name: null,
  };
}

/** Adds `_context_*` fields: the admin defaults first (fixed order), then the caller's overrides/extras. */
export function packContext(msg: JsonObject, ctx?: RpcContext): void {
  const full: RpcContext = { ...adminContext(), ...(ctx ?? {}) };
  for (const [k, v] of Object.entries(full)) msg[CONTEXT_PREFIX + k] = v === undefined ? null : v;
}

export interface UnpackedMessage {
  context: RpcContext;
  msgId: string | null;
  replyQ: string | null;
  /** `_timeout` (call-monitor timeout in seconds); null in Neutron. */
  clientTimeout: unknown;
  uniqueId: string | null;
  /** What remains: method, args, version, namespace, and anything unknown. */
  body: JsonObject;
}

/** amqp.unpack_context plus the `_unique_id` pop of _MsgIdCache. */
export function unpackMessage(msg: JsonObject): UnpackedMessage {
  const context: RpcContext = {};
  const body: JsonObject = {};
  for (const [k, v] of Object.entries(msg)) {
    if (k.startsWith(CONTEXT_PREFIX)) context[k.slice(CONTEXT_PREFIX.length)] = v;
    else if (k !== '_msg_id' && k !== '_reply_q' && k !== '_timeout' && k !== '_unique_id') body[k] = v;
  }
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return {
    context,
    msgId: str(msg['_msg_id']),
    replyQ: str(msg['_reply_q']),
    clientTimeout: msg['_timeout'] ?? null,
    uniqueId: str(msg['_unique_id']),
    body,
  };
}
