/**
 * update_device_list (PluginApi 1.9, PROTOCOL.md B4) as both L2 agents send it: devices
 * up and down together, 20 per call (Neutron's rpc_resources_processing_step), the
 * answers merged. Device names are taps for linuxbridge, port ids for OVS.
 */
import type { OsloRpcClient } from '../rpc/index.js';

export const STATUS_CHUNK = 20;

export interface DeviceListResult {
  devicesUp: string[];
  failedDevicesUp: string[];
  devicesDown: string[];
  failedDevicesDown: string[];
}

export async function updateDeviceList(
  client: OsloRpcClient,
  who: { agentId: string; host: string },
  up: string[],
  down: string[],
  refreshTunnels: boolean,
): Promise<DeviceListResult> {
  const result: DeviceListResult = { devicesUp: [], failedDevicesUp: [], devicesDown: [], failedDevicesDown: [] };
  for (let i = 0; i < Math.max(up.length, down.length); i += STATUS_CHUNK) {
    const reply = await client.call<Record<string, unknown> | null>('update_device_list', {
      devices_up: up.slice(i, i + STATUS_CHUNK), devices_down: down.slice(i, i + STATUS_CHUNK), agent_id: who.agentId, host: who.host, refresh_tunnels: refreshTunnels,
    }, { version: '1.9' });
    // devices_down entries are {device, exists}; the others are names.
    const list = (k: string): string[] => (reply && Array.isArray(reply[k]) ? (reply[k] as unknown[]).map((x) => (typeof x === 'object' && x !== null && 'device' in x ? String((x as { device: unknown }).device) : String(x))) : []);
    result.devicesUp.push(...list('devices_up'));
    result.failedDevicesUp.push(...list('failed_devices_up'));
    result.devicesDown.push(...list('devices_down'));
    result.failedDevicesDown.push(...list('failed_devices_down'));
  }
  return result;
}
