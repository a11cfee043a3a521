/**
 * The kernel side of one served network, as Neutron's DeviceManager.setup builds it:
 * namespace qdhcp-<network>; a veth whose root end tap<port[:11]> is attached by the
 * interface driver (linuxbridge: the L2 agent enslaves it; openvswitch: plugged into
 * br-int here, see shared/drivers/interface-driver) and whose end ns-<port[:11]> inside
 * carries the DHCP port's MAC, the network MTU, one address per DHCP-enabled subnet
 * (plus 169.254.169.254/32 when metadata is served here), lo up and a default route to
 * the first subnet gateway; IPv6 router advertisements are not accepted on it.
 * Pure: desired + what was read → ops. Equal objects yield no op.
 */
import type { ActualAddress, ActualLink } from '../../shared/drivers/ip-links.js';
import { LINUXBRIDGE_DRIVER, type ChecksumOffload, type InterfaceDriver, type PlugPlan, type PlugState } from '../../shared/drivers/interface-driver/index.js';
import type { Op } from '../../shared/reconcile/ops.js';

export const METADATA_V4_CIDR = '169.254.169.254/32';

export interface DesiredDhcpNetns {
  networkId: string;
  portId: string;
  mac: string;
  mtu: number | null;
  /** ip/prefixlen of the DHCP port on each DHCP-enabled subnet. */
  cidrs: string[];
  gateway: string | undefined;
  metadata: boolean;
}

export interface ActualDhcpNetns {
  exists: boolean;
  links: Map<string, ActualLink>;
  addresses: ActualAddress[];
  defaultVia: string | undefined;
  /** Checksum offload of the ns- device, where the interface driver reads it (OVS netdev). */
  offload?: Map<string, ChecksumOffload>;
}

export function dhcpNamespace(networkId: string): string {
  return `qdhcp-${networkId}`;
}

export function dhcpDevices(portId: string): { tap: string; ns: string } {
  return { tap: `tap${portId.slice(0, 11)}`, ns: `ns-${portId.slice(0, 11)}` };
}

/** The linuxbridge plan (the L2 agent attaches the tap): kernel ops only. */
export function planDhcpNetns(d: DesiredDhcpNetns, a: ActualDhcpNetns, rootLinks: Map<string, ActualLink>): Op[] {
  return planDhcpKernel(d, a, rootLinks, LINUXBRIDGE_DRIVER, undefined).ops;
}

/** The plan with the configured interface driver (see applyPlugPlan for its stages). */
export function planDhcpKernel(d: DesiredDhcpNetns, a: ActualDhcpNetns, rootLinks: Map<string, ActualLink>, driver: InterfaceDriver, state: PlugState): PlugPlan {
  const key = `network:${d.networkId}`;
  const netns = dhcpNamespace(d.networkId);
  const { tap, ns } = dhcpDevices(d.portId);
  const ops: Op[] = [];
  if (!a.exists) {
    ops.push({ kind: 'netns.add', key, name: netns });
    ops.push({ kind: 'sysctl.set', key, netns, name: 'net.ipv6.conf.default.accept_ra', value: '0' });
    // dnsmasq and the metadata proxy may bind addresses before they are configured.
    ops.push({ kind: 'sysctl.set', key, netns, name: 'net.ipv4.ip_nonlocal_bind', value: '1' });
  }
  const lo = a.links.get('lo');
  if (!lo || !lo.up) ops.push({ kind: 'link.set', key, netns, name: 'lo', up: true });
  // Stale devices in the namespace (an old DHCP port's ns-*) go, as in _cleanup_stale_devices.
  for (const l of a.links.values()) if (l.name !== 'lo' && l.name !== ns) ops.push({ kind: 'link.del', key, netns, name: l.name });
  // A rebuilt veth comes up bare: whatever was read on the old ns- end is gone with it.
  const plug = driver.plug({ key, portId: d.portId, mac: d.mac, mtu: d.mtu, netns, device: ns, tap }, { inner: a.links.get(ns), outer: rootLinks.get(tap), offload: a.offload?.get(ns) }, state);
  const rebuilt = plug.rebuilt;
  ops.push(...plug.ops);
  const want = new Set([...d.cidrs, ...(d.metadata ? [METADATA_V4_CIDR] : [])]);
  const have = new Set(a.addresses.filter((x) => x.dev === ns && x.scope !== 'link').map((x) => x.cidr));
  for (const c of want) if (!have.has(c) || rebuilt) ops.push({ kind: 'addr.add', key, netns, dev: ns, cidr: c });
  for (const c of have) if (!want.has(c) && !rebuilt) ops.push({ kind: 'addr.del', key, netns, dev: ns, cidr: c });
  if (d.gateway && (a.defaultVia !== d.gateway || rebuilt)) ops.push({ kind: 'route.replace', key, netns, dst: 'default', via: d.gateway, dev: ns });
  // No DHCP subnet has a gateway any more: drop the old default route (_set_default_route).
  else if (!d.gateway && a.defaultVia && !rebuilt) ops.push({ kind: 'route.del', key, netns, dst: 'default', via: a.defaultVia });
  // A replaced DHCP port's old tap, still plugged into the integration bridge.
  ops.push(...driver.unplugStale(key, new Set([tap]), state, rootLinks));
  return { detach: plug.detach, ops, commands: plug.commands };
}
