/**
 * The casts neutron-server sends an OVS agent besides the resource pushes (which the
 * resource cache consumes): tunnel_update / tunnel_delete (fanout, TUNNEL topics),
 * dvr-update (consumed so the queues match the Python agent's; DVR is not
 * implemented and is ignored), and l2population fdb_add / fdb_remove / fdb_update.
 * Endpoint version 1.7 as OVSNeutronAgent's target. Handlers only validate and mark
 * keys dirty; a malformed message is logged once and dropped.
 */
import { isIP } from 'node:net';
import type { Logger } from '../../shared/logging/logger.js';
import type { RpcEndpoint } from '../../shared/rpc/index.js';
import type { FdbChange } from '../../shared/l2pop/fdb-table.js';

export const OVS_TOPICS = [
  'q-agent-notifier-tunnel-update',
  'q-agent-notifier-tunnel-delete',
  'q-agent-notifier-dvr-update',
] as const;
export const L2POP_TOPIC = 'q-agent-notifier-l2population-update';

export interface OvsDirty {
  tunnelAdded(ip: string, type: string): void;
  tunnelRemoved(ip: string, type: string): void;
  fdb(change: FdbChange): void;
}

export function ovsEndpoint(dirty: OvsDirty, log: Logger): RpcEndpoint {
  const dropped = (method: string, why: string) => log.warn({ method, why }, 'malformed notification dropped');
  const tunnel = (method: string, args: Record<string, unknown>): { ip: string; type: string } | undefined => {
    const ip = args['tunnel_ip'];
    const type = args['tunnel_type'];
    if (typeof ip !== 'string' || isIP(ip) === 0) { dropped(method, 'tunnel_ip is not an IP address'); return undefined; }
    if (typeof type !== 'string' || type.length === 0) { dropped(method, 'no tunnel_type'); return undefined; }
    return { ip, type };
  };
  const fdb = (op: FdbChange['op'], args: Record<string, unknown>): void => {
    const entries = args['fdb_entries'];
    if (!entries || typeof entries !== 'object' || Array.isArray(entries)) return dropped(`${op}_fdb_entries`, 'fdb_entries is not an object');
    dirty.fdb({ op, entries: entries as Record<string, unknown> });
  };
  return {
    version: '1.7',
    methods: {
      tunnel_update: (_ctx, args) => { const t = tunnel('tunnel_update', args); if (t) dirty.tunnelAdded(t.ip, t.type); },
      tunnel_delete: (_ctx, args) => { const t = tunnel('tunnel_delete', args); if (t) dirty.tunnelRemoved(t.ip, t.type); },
      add_fdb_entries: (_ctx, args) => fdb('add', args),
      remove_fdb_entries: (_ctx, args) => fdb('remove', args),
      update_fdb_entries: (_ctx, args) => fdb('update', args),
      // DVR (dvr-update): accepted and ignored; nucleon has no distributed routing.
      dvr_mac_address_update: () => { log.debug('dvr_mac_address_update ignored (no DVR)'); },
    },
  };
}
