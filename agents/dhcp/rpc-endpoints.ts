/**
 * Notifications to `dhcp_agent` (DhcpAgent 1.0, PROTOCOL.md B7): every one only names
 * the network to reconcile; the runner fetches its state with get_network_info. A
 * malformed payload is logged and dropped; nothing already served is touched.
 */
import type { Logger } from '../../shared/logging/logger.js';
import type { RpcEndpoint } from '../../shared/rpc/index.js';

export const DHCP_TOPIC = 'dhcp_agent';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function uuid(v: unknown): string | undefined {
  return typeof v === 'string' && UUID.test(v) ? v.toLowerCase() : undefined;
}

export interface DhcpDirty {
  network(networkId: string, reason: string): void;
  all(reason: string): void;
}

export function dhcpEndpoint(dirty: DhcpDirty, log: Logger): RpcEndpoint {
  const drop = (method: string, why: string) => log.warn({ method, why }, 'malformed notification dropped');
  /** Where each notification keeps its network id. */
  const net = (method: string, pick: (p: Record<string, unknown>) => unknown) => (_ctx: unknown, args: Record<string, unknown>) => {
    const payload = obj(args['payload']);
    if (!payload) return drop(method, 'payload is not an object');
    const id = uuid(pick(payload));
    if (!id) return drop(method, 'no network id in payload');
    dirty.network(id, method);
  };
  return {
    version: '1.0',
    methods: {
      network_create_end: net('network_create_end', (p) => obj(p['network'])?.['id']),
      network_update_end: net('network_update_end', (p) => obj(p['network'])?.['id']),
      network_delete_end: net('network_delete_end', (p) => p['network_id']),
      subnet_create_end: net('subnet_create_end', (p) => obj(p['subnet'])?.['network_id']),
      subnet_update_end: net('subnet_update_end', (p) => obj(p['subnet'])?.['network_id']),
      subnet_delete_end: net('subnet_delete_end', (p) => p['network_id']),
      port_create_end: net('port_create_end', (p) => obj(p['port'])?.['network_id']),
      port_update_end: net('port_update_end', (p) => obj(p['port'])?.['network_id']),
      port_delete_end: net('port_delete_end', (p) => p['network_id']),
      agent_updated: (_ctx, args) => {
        const payload = obj(args['payload']);
        if (!payload) return drop('agent_updated', 'payload is not an object');
        // Python schedules a full resync on every agent_updated: admin up serves the
        // networks again; admin down makes the server list none, so all are torn down.
        dirty.all('agent_updated');
      },
    },
  };
}
