/**
 * The linuxbridge agent's calls to q-plugin (PluginApi 1.9, SecurityGroupServerRpcApi
 * 1.3), with the Python agent's argument names and chunking.
 */
import type { OsloRpcClient } from '../../shared/rpc/index.js';
import { parseDeviceAnswer, type DeviceAnswer } from './model.js';
import { STATUS_CHUNK, updateDeviceList, type DeviceListResult } from '../../shared/agent/device-status.js';

export { STATUS_CHUNK } from '../../shared/agent/device-status.js';
export type { DeviceListResult } from '../../shared/agent/device-status.js';

export class LinuxBridgePluginApi {
  constructor(
    private readonly client: OsloRpcClient,
    private readonly agentId: string,
    private readonly host: string,
  ) {}

  async getDevicesDetailsList(devices: string[]): Promise<DeviceAnswer[]> {
    const out: DeviceAnswer[] = [];
    // One call per 100 devices keeps a reply well under the broker's frame limits.
    for (let i = 0; i < devices.length; i += 100) {
      const chunk = devices.slice(i, i + 100);
      const reply = await this.client.call<unknown>('get_devices_details_list', { devices: chunk, agent_id: this.agentId, host: this.host }, { version: '1.9' });
      if (!Array.isArray(reply)) throw new TypeError('get_devices_details_list: reply is not a list');
      out.push(...reply.map(parseDeviceAnswer));
    }
    return out;
  }

  async updateDeviceList(up: string[], down: string[]): Promise<DeviceListResult> {
    return updateDeviceList(this.client, { agentId: this.agentId, host: this.host }, up, down, false);
  }

  /** security_group_info_for_devices in chunks of 20, merged (SecurityGroupServerRpcApi 1.3). */
  async securityGroupInfoForDevices(devices: string[]): Promise<{ devices: Record<string, unknown>; security_groups: Record<string, unknown>; sg_member_ips: Record<string, unknown> }> {
    const merged = { devices: {} as Record<string, unknown>, security_groups: {} as Record<string, unknown>, sg_member_ips: {} as Record<string, unknown> };
    for (let i = 0; i < devices.length; i += STATUS_CHUNK) {
      // Without call_version the server assumes a 1.2 agent: it logs a warning per call and
      // flattens sg_member_ips to bare IPs (make_compatible_sg_member_ips), losing the MACs.
      const reply = await this.client.call<Record<string, unknown>>('security_group_info_for_devices', { devices: devices.slice(i, i + STATUS_CHUNK), call_version: '1.3' }, { version: '1.3' });
      if (!reply || typeof reply !== 'object') throw new TypeError('security_group_info_for_devices: reply is not an object');
      for (const k of ['devices', 'security_groups', 'sg_member_ips'] as const) {
        const part = reply[k];
        if (part && typeof part === 'object') Object.assign(merged[k], part);
      }
    }
    return merged;
  }
}
