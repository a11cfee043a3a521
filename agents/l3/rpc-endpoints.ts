/**
 * Notifications to `l3_agent` (L3NATAgent 1.4) and the network-update fanout. They only
 * mark routers dirty; router_added_to_agent is a call the server waits on, answered as
 * soon as the routers are queued. Malformed payloads are logged and dropped.
 */
import type { Logger } from '../../shared/logging/logger.js';
import type { RpcEndpoint } from '../../shared/rpc/index.js';

export const L3_TOPIC = 'l3_agent';
export const NETWORK_UPDATE_TOPIC = 'q-agent-notifier-network-update';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface L3Dirty {
  router(id: string, reason: string): void;
  network(id: string, reason: string): void;
  all(reason: string): void;
}

export function l3Endpoint(dirty: L3Dirty, log: Logger): RpcEndpoint {
  const drop = (method: string, why: string) => { log.warn({ method, why }, 'malformed notification dropped'); };
  const ids = (method: string, v: unknown): string[] => {
    if (!Array.isArray(v)) { drop(method, 'router ids are not a list'); return []; }
    const good = v.filter((x): x is string => typeof x === 'string' && UUID.test(x));
    if (good.length !== v.length) drop(method, 'some router ids are not UUIDs');
    return good.map((x) => x.toLowerCase());
  };
  return {
    version: '1.4',
    methods: {
      routers_updated: (_ctx, args) => { for (const id of ids('routers_updated', args['routers'])) dirty.router(id, 'routers_updated'); },
      router_deleted: (_ctx, args) => {
        const id = args['router_id'];
        if (typeof id !== 'string' || !UUID.test(id)) return drop('router_deleted', 'router_id is not a UUID');
        dirty.router(id.toLowerCase(), 'router_deleted');
      },
      router_removed_from_agent: (_ctx, args) => {
        const p = args['payload'];
        const id = p && typeof p === 'object' ? (p as Record<string, unknown>)['router_id'] : undefined;
        if (typeof id !== 'string' || !UUID.test(id)) return drop('router_removed_from_agent', 'payload.router_id is not a UUID');
        dirty.router(id.toLowerCase(), 'router_removed_from_agent');
      },
      // A call: the server waits for this answer (null), so only queue the routers.
      router_added_to_agent: (_ctx, args) => {
        for (const id of ids('router_added_to_agent', args['payload'])) dirty.router(id, 'router_added_to_agent');
        return null;
      },
      agent_updated: (_ctx, args) => {
        const p = args['payload'];
        if (p && typeof p === 'object' && (p as Record<string, unknown>)['admin_state_up'] === true) dirty.all('agent_updated');
      },
      network_update: (_ctx, args) => {
        const n = args['network'];
        const id = n && typeof n === 'object' ? (n as Record<string, unknown>)['id'] : undefined;
        if (typeof id !== 'string' || !UUID.test(id)) return drop('network_update', 'network.id is not a UUID');
        dirty.network(id.toLowerCase(), 'network_update');
      },
      // DVR only: legacy routers have no FIP namespace.
      fipnamespace_delete_on_ext_net: () => undefined,
    },
  };
}
