/**
 * The device_id of this agent's DHCP port: neutron.common.utils.get_dhcp_agent_device_id.
 * Only the short host name counts (`host.split('.')[0]`), so an agent that
 * reports `node1` or `node1.example.org` claims the same port.
 */
import { createHash } from 'node:crypto';

const NAMESPACE_DNS = '6ba7b8109dad11d180b400c04fd430c8';

/** uuid.uuid5(namespace, name) */
export function uuid5(namespaceHex: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespaceHex, 'hex')).update(Buffer.from(name, 'utf8')).digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `dhcp<uuid5(NAMESPACE_DNS, short host)>-<network_id>[-<segmentation_id>]` */
export function dhcpDeviceId(host: string, networkId: string, segmentationId?: number | string | null): string {
  const short = host.split('.')[0] as string;
  const base = `dhcp${uuid5(NAMESPACE_DNS, short)}-${networkId}`;
  // Python tests `if not segmentation_id`: 0 and '' mean none.
  return segmentationId ? `${base}-${segmentationId}` : base;
}

/** The DHCP port's device inside qdhcp-<net>: `ns-` + port_id, cut to IFNAMSIZ-1 (interface.py get_device_name). */
export function dhcpInterfaceName(portId: string): string {
  return `ns-${portId}`.slice(0, 14);
}
