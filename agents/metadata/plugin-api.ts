/**
 * MetadataPluginAPI (agent → q-plugin): `get_ports(filters)` at version 1.0, no
 * namespace, as neutron.agent.metadata.agent sends it (recorded in
 * wire-samples/neutron__q-plugin__get_ports.json). Replies are checked at the
 * boundary: a port without string device_id and network_id makes the whole reply
 * malformed (Python would hit a KeyError: a 500), never silently dropped, since
 * dropping one of two matches would turn "several ports" into "exactly one".
 */
import type { OsloRpcClient } from '../../shared/rpc/index.js';

/** neutron_lib.constants.ROUTER_INTERFACE_OWNERS, in its order. */
export const ROUTER_INTERFACE_OWNERS = [
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
] as const;

export type PortFilters =
  | { device_id: [string]; device_owner: string[] }
  | { fixed_ips: { ip_address: [string] }; network_id: string[] }
  | { mac_address: [string]; network_id: string[] };

export interface PortRow {
  device_id: string;
  /** Neutron sends tenant_id and project_id; X-Tenant-ID takes tenant_id. */
  tenant_id: string | null;
  network_id: string;
}

export interface PortsApi {
  getPorts(filters: PortFilters): Promise<PortRow[]>;
}

export class MalformedReplyError extends Error {
  override readonly name = 'MalformedReplyError';
}

export function toPortRows(reply: unknown): PortRow[] {
  if (!Array.isArray(reply)) throw new MalformedReplyError(`get_ports returned ${reply === null ? 'null' : typeof reply}, not a list`);
  const rows: PortRow[] = [];
  for (const p of reply as unknown[]) {
    if (typeof p !== 'object' || p === null) throw new MalformedReplyError('get_ports returned a non-object port');
    const r = p as Record<string, unknown>;
    if (typeof r['device_id'] !== 'string' || typeof r['network_id'] !== 'string') throw new MalformedReplyError('get_ports returned a port without device_id/network_id');
    const tenant = typeof r['tenant_id'] === 'string' ? r['tenant_id'] : typeof r['project_id'] === 'string' ? r['project_id'] : null;
    rows.push({ device_id: r['device_id'], tenant_id: tenant, network_id: r['network_id'] });
  }
  return rows;
}

export class MetadataPluginApi implements PortsApi {
  constructor(private readonly client: OsloRpcClient) {}

  async getPorts(filters: PortFilters): Promise<PortRow[]> {
    return toPortRows(await this.client.call('get_ports', { filters }, { version: '1.0' }));
  }
}
