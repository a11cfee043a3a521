/**
 * The OVS agent's calls to q-plugin that the resource cache does not cover
 * (PluginApi, PROTOCOL.md B4): update_device_list with port ids as device names
 * (the OVS agent's devices are iface-ids) and tunnel_sync.
 * agent_id is "ovs-agent-<host>", as the Python agent sends it (wire-samples).
 */
import type { OsloRpcClient } from '../../shared/rpc/index.js';
import { updateDeviceList, type DeviceListResult } from '../../shared/agent/device-status.js';

export type { DeviceListResult } from '../../shared/agent/device-status.js';

export interface TunnelEndpoint { ipAddress: string; host: string | undefined; udpPort: number | undefined }

export class OvsPluginApi {
  readonly agentId: string;
  constructor(
    private readonly client: OsloRpcClient,
    private readonly host: string,
  ) {
    this.agentId = `ovs-agent-${host}`;
  }

  /**
   * refreshTunnels asks the l2pop driver to send this agent the full FDB of the
   * networks of these ports again (Python sets it on its first loop after a start).
   */
  async updateDeviceList(up: string[], down: string[], refreshTunnels: boolean): Promise<DeviceListResult> {
    return updateDeviceList(this.client, { agentId: this.agentId, host: this.host }, up, down, refreshTunnels);
  }

  /**
   * The server's own answer for one port (get_device_details 1.9). Only for ports whose
   * binding here failed: asking makes ML2 retry the binding (_bind_port_if_needed).
   */
  async getDeviceDetails(portId: string): Promise<unknown> {
    return this.client.call<unknown>('get_device_details', { device: portId, agent_id: this.agentId, host: this.host }, { version: '1.9' });
  }

  /** Registers our VTEP and returns every known one (PluginApi tunnel_sync 1.4). */
  async tunnelSync(tunnelIp: string, tunnelType: string): Promise<TunnelEndpoint[]> {
    const reply = await this.client.call<Record<string, unknown> | null>('tunnel_sync', { tunnel_ip: tunnelIp, tunnel_type: tunnelType, host: this.host }, { version: '1.4' });
    const tunnels = reply && Array.isArray(reply['tunnels']) ? reply['tunnels'] : [];
    const out: TunnelEndpoint[] = [];
    for (const t of tunnels) {
      if (!t || typeof t !== 'object') continue;
      const r = t as Record<string, unknown>;
      if (typeof r['ip_address'] !== 'string') continue;
      out.push({ ipAddress: r['ip_address'], host: typeof r['host'] === 'string' ? r['host'] : undefined, udpPort: typeof r['udp_port'] === 'number' ? r['udp_port'] : undefined });
    }
    return out;
  }
}
