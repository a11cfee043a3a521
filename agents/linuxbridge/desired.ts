/**
 * Desired L2 state of a linuxbridge node: a pure function of the agent's config and
 * the details of the taps present on the node (no I/O, no clock). The same inputs in
 * any order give the same result.
 *
 * Python's rules (LinuxBridgeManager) kept here:
 * - the bridge is bridge_mappings[physnet] when mapped (never created or deleted by
 *   us), else brq + network_id[:11];
 * - vxlan networks get vxlan-<vni> (multicast group per VNI, or with l2_population
 *   unicast with `local` and `proxy` = arp_responder); flat networks enslave the mapped
 *   interface; vlan networks enslave <phys>.<vlan>;
 * - compute:* taps are plugged by Nova (os-vif/libvirt), so we never enslave them,
 *   but we set their MTU and admin state and report them; other taps (DHCP, router)
 *   are enslaved by us.
 */
import { createHash } from 'node:crypto';
import { bridgeName, vxlanName, type DeviceDetails } from './model.js';

export interface L2Config {
  interfaceMappings: Record<string, string>;
  bridgeMappings: Record<string, string>;
  vxlan?: {
    localIp: string;
    /** The link carrying local_ip (vxlan `dev`). */
    localDev: string;
    l2Population: boolean;
    arpResponder: boolean;
    /** vxlan_group, a single address or a CIDR. */
    group: string;
    ttl: number | null;
    tos: number | null;
    dstport: number | null;
  };
}

export type Uplink =
  | { kind: 'vxlan'; name: string; vni: number; group?: string; local?: string; dev: string; dstport: number; ttl?: number; tos?: number; proxy: boolean; mtu: number | null }
  | { kind: 'physical'; name: string }
  | { kind: 'vlan'; name: string; parent: string; vlanId: number };

export interface DesiredBridge {
  name: string;
  networkId: string;
  /** false for bridge_mappings bridges: they are the operator's. */
  owned: boolean;
  uplink?: Uplink;
}

export interface DesiredTap {
  name: string;
  portId: string;
  networkId: string;
  bridge: string;
  /** Python leaves compute:* taps to Nova. */
  enslave: boolean;
  mtu: number | null;
  up: boolean;
}

export interface DesiredL2 {
  bridges: Map<string, DesiredBridge>;
  taps: Map<string, DesiredTap>;
  /** Devices that cannot be wired, with why (logged, reported down). */
  unwirable: Map<string, string>;
}

/**
 * [vxlan] udp_dstport unset: Neutron passes no dstport and iproute2 then leaves the
 * kernel's legacy default, 8472; we say it explicitly so actual and desired compare.
 */
const LINUX_VXLAN_DEFAULT_PORT = 8472;

export function computeDesiredL2(cfg: L2Config, devices: Iterable<DeviceDetails>): DesiredL2 {
  const bridges = new Map<string, DesiredBridge>();
  const taps = new Map<string, DesiredTap>();
  const unwirable = new Map<string, string>();
  // Sorted for determinism: the result must not depend on arrival order.
  const sorted = [...devices].sort((a, b) => a.device.localeCompare(b.device));
  for (const d of sorted) {
    const target = bridgeFor(cfg, d);
    if ('error' in target) {
      unwirable.set(d.device, target.error);
      continue;
    }
    const existing = bridges.get(target.bridge.name);
    if (existing && existing.networkId !== d.network_id) {
      unwirable.set(d.device, `bridge ${target.bridge.name} already serves network ${existing.networkId}`);
      continue;
    }
    if (!existing) bridges.set(target.bridge.name, target.bridge);
    taps.set(d.device, {
      name: d.device,
      portId: d.port_id,
      networkId: d.network_id,
      bridge: target.bridge.name,
      enslave: !d.device_owner.startsWith('compute:'),
      mtu: d.mtu,
      up: d.admin_state_up,
    });
  }
  return { bridges, taps, unwirable };
}

function bridgeFor(cfg: L2Config, d: DeviceDetails): { bridge: DesiredBridge } | { error: string } {
  const mapped = d.physical_network ? cfg.bridgeMappings[d.physical_network] : undefined;
  const name = mapped ?? bridgeName(d.network_id);
  const owned = mapped === undefined;
  switch (d.network_type) {
    case 'local':
      return { bridge: { name, networkId: d.network_id, owned } };
    case 'vxlan': {
      if (!cfg.vxlan) return { error: 'VXLAN is not enabled on this agent' };
      const vni = d.segmentation_id ?? -1;
      const v = cfg.vxlan;
      const uplink: Uplink = {
        kind: 'vxlan', name: vxlanName(vni), vni, dev: v.localDev, dstport: v.dstport ?? LINUX_VXLAN_DEFAULT_PORT, proxy: v.l2Population && v.arpResponder, mtu: d.mtu,
        ...(v.l2Population ? { local: v.localIp } : { group: vxlanGroup(v.group, vni) }),
        ...(v.ttl !== null ? { ttl: v.ttl } : {}),
        ...(v.tos !== null ? { tos: v.tos } : {}),
      };
      return { bridge: { name: bridgeName(d.network_id), networkId: d.network_id, owned: true, uplink } };
    }
    case 'flat':
    case 'vlan': {
      if (!d.physical_network) return { error: `${d.network_type} network without physical_network` };
      const iface = cfg.interfaceMappings[d.physical_network];
      if (mapped) return { bridge: { name, networkId: d.network_id, owned: false } };
      if (!iface) return { error: `No bridge or interface mappings for physical network ${d.physical_network}` };
      if (d.network_type === 'flat') return { bridge: { name, networkId: d.network_id, owned, uplink: { kind: 'physical', name: iface } } };
      const vlanId = d.segmentation_id ?? 0;
      if (vlanId < 1 || vlanId > 4094) return { error: `VLAN id ${vlanId} out of range` };
      return { bridge: { name, networkId: d.network_id, owned, uplink: { kind: 'vlan', name: vlanSubinterfaceName(iface, vlanId), parent: iface, vlanId } } };
    }
  }
}

/** Python's get_vxlan_group: the group network plus (vni & hostmask). */
export function vxlanGroup(group: string, vni: number): string {
  const [addr, lenText] = group.split('/');
  const parts = (addr ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return group;
  const len = lenText === undefined ? 32 : Number(lenText);
  const base = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const hostmask = len >= 32 ? 0 : (2 ** (32 - len) - 1);
  const network = (base & ~hostmask) >>> 0;
  const ip = (network + (vni & hostmask)) >>> 0;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/**
 * Python's get_subinterface_name: `<phys>.<vlan>`, or when that exceeds 15 chars the
 * physical name cut to 4 chars plus 6 hex of its SHA-1 (neutron_lib get_interface_name
 * with max_len = 15 - 5), then `.<vlan>`.
 */
export function vlanSubinterfaceName(phys: string, vlanId: number): string {
  const postfix = `.${vlanId}`;
  if (phys.length + postfix.length <= 15) return `${phys}${postfix}`;
  const maxLen = 15 - 5;
  const hashed = phys.length <= maxLen ? phys : `${phys.slice(0, maxLen - 6)}${createHash('sha1').update(phys).digest('hex').slice(0, 6)}`;
  return `${hashed}${postfix}`;
}
