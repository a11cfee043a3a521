/**
 * The notifications neutron-server fans out to linuxbridge agents (LinuxBridgeRpcCallbacks
 * 1.5 with the security-group and l2population mixins). Handlers only validate and mark
 * keys dirty; the reconcile runner does the work. A malformed message is logged once
 * and dropped — nothing already wired is touched.
 */
import type { Logger } from '../../shared/logging/logger.js';
import type { RpcEndpoint } from '../../shared/rpc/index.js';
import type { FdbChange } from './fdb.js';

/** The topics the Python agent consumes (fanout + per-host queue each). */
export const LINUXBRIDGE_TOPICS = [
  'q-agent-notifier-port-update',
  'q-agent-notifier-network-delete',
  'q-agent-notifier-network-update',
  'q-agent-notifier-security_group-update',
  'q-agent-notifier-binding-deactivate',
  'q-agent-notifier-binding-activate',
] as const;
export const L2POP_TOPIC = 'q-agent-notifier-l2population-update';

export interface L2Dirty {
  port(portId: string, reason: string): void;
  network(networkId: string, reason: string): void;
  firewall(reason: string): void;
  fdb(change: FdbChange): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidArg(args: Record<string, unknown>, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' && UUID.test(v) ? v.toLowerCase() : undefined;
}

export function linuxBridgeEndpoint(host: string, dirty: L2Dirty, log: Logger): RpcEndpoint {
  const dropped = (method: string, why: string, extra: Record<string, unknown> = {}) => log.warn({ method, why, ...extra }, 'malformed notification dropped');
  return {
    version: '1.5',
    methods: {
      port_update: (_ctx, args) => {
        const port = args['port'];
        const id = port && typeof port === 'object' ? (port as Record<string, unknown>)['id'] : undefined;
        if (typeof id !== 'string' || !UUID.test(id)) return dropped('port_update', 'port.id is not a UUID');
        log.debug({ port_id: id }, 'port_update');
        dirty.port(id.toLowerCase(), 'port_update');
      },
      port_delete: (_ctx, args) => {
        const id = uuidArg(args, 'port_id');
        if (!id) return dropped('port_delete', 'port_id is not a UUID');
        dirty.port(id, 'port_delete');
      },
      network_update: (_ctx, args) => {
        const net = args['network'];
        const id = net && typeof net === 'object' ? (net as Record<string, unknown>)['id'] : undefined;
        if (typeof id !== 'string' || !UUID.test(id)) return dropped('network_update', 'network.id is not a UUID');
        dirty.network(id.toLowerCase(), 'network_update');
      },
      network_delete: (_ctx, args) => {
        const id = uuidArg(args, 'network_id');
        if (!id) return dropped('network_delete', 'network_id is not a UUID');
        dirty.network(id, 'network_delete');
      },
      binding_deactivate: (_ctx, args) => {
        const id = uuidArg(args, 'port_id');
        if (!id) return dropped('binding_deactivate', 'port_id is not a UUID');
        if (args['host'] !== host) return;
        dirty.port(id, 'binding_deactivate');
      },
      binding_activate: (_ctx, args) => {
        const id = uuidArg(args, 'port_id');
        if (!id) return dropped('binding_activate', 'port_id is not a UUID');
        if (args['host'] !== host) return;
        dirty.port(id, 'binding_activate');
      },
      security_groups_rule_updated: (_ctx, args) => {
        if (!Array.isArray(args['security_groups'])) return dropped('security_groups_rule_updated', 'security_groups is not a list');
        dirty.firewall('security_groups_rule_updated');
      },
      security_groups_member_updated: (_ctx, args) => {
        if (!Array.isArray(args['security_groups'])) return dropped('security_groups_member_updated', 'security_groups is not a list');
        dirty.firewall('security_groups_member_updated');
      },
      security_groups_provider_updated: () => {
        dirty.firewall('security_groups_provider_updated');
      },
      add_fdb_entries: (_ctx, args) => fdbCall('add', args),
      remove_fdb_entries: (_ctx, args) => fdbCall('remove', args),
      update_fdb_entries: (_ctx, args) => fdbCall('update', args),
    },
  };

  function fdbCall(op: FdbChange['op'], args: Record<string, unknown>): void {
    const entries = args['fdb_entries'];
    if (!entries || typeof entries !== 'object' || Array.isArray(entries)) return dropped(`${op}_fdb_entries`, 'fdb_entries is not an object');
    dirty.fdb({ op, entries: entries as Record<string, unknown> });
  }
}
