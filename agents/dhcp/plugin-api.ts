/**
 * The DHCP agent's calls to q-plugin (DhcpPluginApi, PROTOCOL.md B7), with the Python
 * agent's argument names and versions.
 */
import type { OsloRpcClient } from '../../shared/rpc/index.js';

/** dhcp_ready_on_ports takes at most 64 port ids per call in the Python agent. */
export const READY_CHUNK = 64;

export type RawNetwork = Record<string, unknown>;
export type RawPort = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class DhcpPluginApi {
  constructor(private readonly client: OsloRpcClient, private readonly host: string) {}

  async getActiveNetworksInfo(): Promise<RawNetwork[]> {
    const r = await this.client.call<unknown>('get_active_networks_info', { host: this.host, enable_dhcp_filter: false }, { version: '1.1' });
    if (!Array.isArray(r)) throw new TypeError('get_active_networks_info: reply is not a list');
    return r.filter(isRecord);
  }

  /** null when the network is gone (the server answers None). */
  async getNetworkInfo(networkId: string): Promise<RawNetwork | null> {
    const r = await this.client.call<unknown>('get_network_info', { network_id: networkId, host: this.host }, { version: '1.0' });
    return isRecord(r) ? r : null;
  }

  async createDhcpPort(port: Record<string, unknown>): Promise<RawPort | null> {
    const r = await this.client.call<unknown>('create_dhcp_port', { port: { port }, host: this.host }, { version: '1.1' });
    return isRecord(r) ? r : null;
  }

  async updateDhcpPort(portId: string, port: Record<string, unknown>): Promise<RawPort | null> {
    const r = await this.client.call<unknown>('update_dhcp_port', { port_id: portId, port: { port }, host: this.host }, { version: '1.1' });
    return isRecord(r) ? r : null;
  }

  async releaseDhcpPort(networkId: string, deviceId: string): Promise<void> {
    await this.client.call('release_dhcp_port', { network_id: networkId, device_id: deviceId, host: this.host }, { version: '1.0' });
  }

  async dhcpReadyOnPorts(portIds: string[]): Promise<void> {
    for (let i = 0; i < portIds.length; i += READY_CHUNK) {
      await this.client.call('dhcp_ready_on_ports', { port_ids: portIds.slice(i, i + READY_CHUNK) }, { version: '1.5' });
    }
  }
}
