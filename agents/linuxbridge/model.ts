/**
 * What the linuxbridge agent knows about a device: the shared device-details dict
 * (shared/agent/device-details.ts) plus Python's failed_devices case, and its names.
 */
import type { WireDeviceAnswer } from '../../shared/agent/device-details.js';

export { parseDeviceAnswer } from '../../shared/agent/device-details.js';
export type { AddressPair, DeviceDetails, FixedIp, NetworkType } from '../../shared/agent/device-details.js';

/**
 * `failed` is never on the wire: the resource cache could not answer for now (a pull
 * failed, an object is still missing) — Python's failed_devices: what is known of the
 * device is kept and it is asked again later.
 */
export type DeviceAnswer = WireDeviceAnswer | { kind: 'failed'; device: string; reason: string };

/** Tap device name of a port (PROTOCOL.md B10): tap + port_id[:11]. */
export function tapName(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

/** Bridge of a network: brq + network_id[:11]. */
export function bridgeName(networkId: string): string {
  return `brq${networkId.slice(0, 11)}`;
}

export function vxlanName(vni: number): string {
  return `vxlan-${vni}`;
}
