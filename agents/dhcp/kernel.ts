/**
 * The kernel side of one served network, as Neutron's DeviceManager.setup builds it
 * with the linuxbridge interface driver: namespace qdhcp-<network>; a veth whose root
 * end tap<port[:11]> the L2 agent enslaves and whose end ns-<port[:11]> inside carries
 * the DHCP port's MAC, the network MTU, one address per DHCP-enabled subnet (plus
 * 169.254.169.254/32 when metadata is served here), lo up and a default route to the
 * first subnet gateway; IPv6 router advertisements are not accepted on it.
 * Pure: desired + what was read → ops. Equal objects yield no op.
 */
import type { ActualAddress, ActualLink } from '../../shared/drivers/ip-links.js';
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
}

export function dhcpNamespace(networkId: string): string {
  return `qdhcp-${networkId}`;
}

export function dhcpDevices(portId: string): { tap: string; ns: string } {
  return { tap: `tap${portId.slice(0, 11)}`, ns: `ns-${portId.slice(0, 11)}` };
}

export function planDhcpNetns(d: DesiredDhcpNetns, a: ActualDhcpNetns, rootLinks: Map<string, ActualLink>): Op[] {
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
  const inner = a.links.get(ns);
  const outer = rootLinks.get(tap);
  // Stale devices in the namespace (an old DHCP port's ns-*) go, as in _cleanup_stale_devices.
  for (const l of a.links.values()) if (l.name !== 'lo' && l.name !== ns) ops.push({ kind: 'link.del', key, netns, name: l.name });
  // A rebuilt veth comes up bare: whatever was read on the old ns- end is gone with it.
  const rebuilt = !inner || !outer;
  if (rebuilt) {
    if (outer) ops.push({ kind: 'link.del', key, name: tap });
    if (inner) ops.push({ kind: 'link.del', key, netns, name: ns });
    ops.push({ kind: 'link.add', key, name: tap, link: { type: 'veth', peer: ns, peerNetns: netns }, ...(d.mtu ? { mtu: d.mtu } : {}) });
    ops.push({ kind: 'link.set', key, netns, name: ns, address: d.mac, ...(d.mtu ? { mtu: d.mtu } : {}), up: true });
    ops.push({ kind: 'link.set', key, name: tap, up: true });
  } else {
    if (inner.mac?.toLowerCase() !== d.mac.toLowerCase()) ops.push({ kind: 'link.set', key, netns, name: ns, address: d.mac });
    if (d.mtu && inner.mtu !== d.mtu) ops.push({ kind: 'link.set', key, netns, name: ns, mtu: d.mtu });
    if (d.mtu && outer.mtu !== d.mtu) ops.push({ kind: 'link.set', key, name: tap, mtu: d.mtu });
    if (!inner.up) ops.push({ kind: 'link.set', key, netns, name: ns, up: true });
    if (!outer.up) ops.push({ kind: 'link.set', key, name: tap, up: true });
  }
  const want = new Set([...d.cidrs, ...(d.metadata ? [METADATA_V4_CIDR] : [])]);
  const have = new Set(a.addresses.filter((x) => x.dev === ns && x.scope !== 'link').map((x) => x.cidr));
  for (const c of want) if (!have.has(c) || rebuilt) ops.push({ kind: 'addr.add', key, netns, dev: ns, cidr: c });
  for (const c of have) if (!want.has(c) && !rebuilt) ops.push({ kind: 'addr.del', key, netns, dev: ns, cidr: c });
  if (d.gateway && (a.defaultVia !== d.gateway || rebuilt)) ops.push({ kind: 'route.replace', key, netns, dst: 'default', via: d.gateway, dev: ns });
  // No DHCP subnet has a gateway any more: drop the old default route (_set_default_route).
  else if (!d.gateway && a.defaultVia && !rebuilt) ops.push({ kind: 'route.del', key, netns, dst: 'default', via: a.defaultVia });
  return ops;
}
