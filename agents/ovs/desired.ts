/**
 * Desired OVSDB state of an OVS node, computed by a pure function from the agent's
 * configuration, what OVSDB holds (for the VLAN ids already in use and the ports
 * plugged on br-int), what the server says about those ports, and the tunnel
 * endpoints / l2pop entries the server sent. Flows are rendered separately
 * (flows.ts), once OVSDB has given the new patch and tunnel ports their ofports.
 *
 * What the Python agent does and we keep: br-int and br-tun are created with
 * fail_mode=secure (no flows, no traffic: a node whose agent has not run yet does not
 * flood between tenants); provider bridges from bridge_mappings must exist (the
 * operator creates them; Python exits when one is missing, we mark that physnet's
 * ports unwirable and say so); every port with an iface-id gets a tag: its network's
 * local VLAN, or the dead VLAN 4095 when it cannot be wired or is admin-down.
 */
import { isIPv4 } from 'node:net';
import type { FdbTable } from '../../shared/l2pop/fdb-table.js';
import type { LocalVlan, WiredPort } from './model.js';
import type { ObservedOvs } from './observed.js';
import type { PortFacts } from './port-facts.js';
import { allocateLocalVlans } from './local-vlans.js';
import { DEAD_VLAN, INT_PEER_PREFIX, interfaceName, PHY_PEER_PREFIX, tunnelPortName } from './names.js';

export interface OvsAgentConfig {
  integrationBridge: string;
  tunnelBridge: string;
  intPeerPatchPort: string;
  tunPeerPatchPort: string;
  datapathType: 'system' | 'netdev';
  bridgeMappings: Record<string, string>;
  /** Tunnelling is on when this holds 'vxlan' and localIp is set. */
  tunnelTypes: string[];
  localIp: string | undefined;
  vxlanUdpPort: number;
  dontFragment: boolean;
  tunnelCsum: boolean;
  l2Population: boolean;
  arpResponder: boolean;
  firewallDriver: string;
}

export interface DesiredBridge { name: string; datapathType: 'system' | 'netdev'; failMode: 'secure' }
export interface DesiredPatch { bridge: string; port: string; peer: string }
export interface DesiredTunnel { name: string; remoteIp: string; options: Record<string, string> }
export interface DesiredPortTag {
  /** OVSDB Port (= interface) name. */
  port: string;
  tag: number;
  /** Neutron's Port other_config, read back to restore VLANs after a restart. */
  otherConfig: Record<string, string>;
}

export interface DesiredOvs {
  /** Bridges the agent creates and owns. */
  bridges: DesiredBridge[];
  /** physnet → provider bridge that must already exist. */
  physicalBridges: Map<string, string>;
  patches: DesiredPatch[];
  /** Tunnel ports on br-tun (empty when tunnelling is off). */
  tunnels: DesiredTunnel[];
  portTags: Map<string, DesiredPortTag>;
  localVlans: Map<string, LocalVlan>;
  /** Ports that will be wired once OVSDB has the tags (ofport known). */
  wired: WiredPort[];
  /** port id → why it cannot be wired (reported down, tagged dead). */
  unwirable: Map<string, string>;
  /** Problems with the node's configuration, for the log. */
  problems: string[];
}

/** A port plugged on br-int with an iface-id, and what the server says about it. */
export interface PluggedPort {
  /** OVSDB Port/Interface name. */
  name: string;
  portId: string;
  ofport: number | undefined;
  /** undefined: the server does not know the port, or it is not bound here. */
  facts: PortFacts | undefined;
  /** Why facts are missing, when they are. */
  missing?: string;
}

export function tunnellingEnabled(c: OvsAgentConfig): boolean {
  return c.tunnelTypes.includes('vxlan') && c.localIp !== undefined;
}

/** Local VLANs already in use, read back from OVSDB Port other_config (net_uuid + tag). */
export function existingLocalVlans(observed: ObservedOvs, integrationBridge: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of observed.ports.values()) {
    if (p.bridge !== integrationBridge) continue;
    const net = p.otherConfig['net_uuid'];
    const tag = p.tag ?? Number(p.otherConfig['tag']);
    if (net && Number.isInteger(tag) && tag >= 1 && tag <= 4094 && !out.has(net)) out.set(net, tag);
  }
  return out;
}

export function computeDesiredOvs(
  c: OvsAgentConfig,
  observed: ObservedOvs,
  plugged: PluggedPort[],
  tunnelEndpoints: ReadonlySet<string>,
  fdb: FdbTable,
): DesiredOvs {
  const problems: string[] = [];
  const tunnelling = tunnellingEnabled(c);
  const bridges: DesiredBridge[] = [{ name: c.integrationBridge, datapathType: c.datapathType, failMode: 'secure' }];
  const patches: DesiredPatch[] = [];
  if (tunnelling) {
    bridges.push({ name: c.tunnelBridge, datapathType: c.datapathType, failMode: 'secure' });
    patches.push({ bridge: c.integrationBridge, port: c.intPeerPatchPort, peer: c.tunPeerPatchPort });
    patches.push({ bridge: c.tunnelBridge, port: c.tunPeerPatchPort, peer: c.intPeerPatchPort });
  }
  const physicalBridges = new Map<string, string>();
  for (const [physnet, bridge] of Object.entries(c.bridgeMappings)) {
    if (!observed.bridges.has(bridge)) {
      problems.push(`bridge ${bridge} for physical network ${physnet} does not exist`);
      continue;
    }
    physicalBridges.set(physnet, bridge);
    const intSide = interfaceName(bridge, INT_PEER_PREFIX);
    const phySide = interfaceName(bridge, PHY_PEER_PREFIX);
    patches.push({ bridge: c.integrationBridge, port: intSide, peer: phySide });
    patches.push({ bridge, port: phySide, peer: intSide });
  }

  // Which ports can be wired, and on which network.
  const unwirable = new Map<string, string>();
  const wirable: Array<{ p: PluggedPort; f: PortFacts }> = [];
  for (const p of plugged) {
    const f = p.facts;
    if (!f) { unwirable.set(p.portId, p.missing ?? 'unknown to the server'); continue; }
    const why = cannotWire(c, f, tunnelling, physicalBridges);
    if (why) { unwirable.set(p.portId, why); continue; }
    wirable.push({ p, f });
  }
  const alloc = allocateLocalVlans(wirable.map((w) => w.f.networkId), existingLocalVlans(observed, c.integrationBridge));
  for (const net of alloc.exhausted) problems.push(`no free local VLAN for network ${net}`);

  const localVlans = new Map<string, LocalVlan>();
  const portTags = new Map<string, DesiredPortTag>();
  const wired: WiredPort[] = [];
  for (const { p, f } of wirable) {
    const vlan = alloc.vlans.get(f.networkId);
    if (vlan === undefined) { unwirable.set(p.portId, 'no free local VLAN'); continue; }
    if (!localVlans.has(f.networkId)) {
      localVlans.set(f.networkId, { networkId: f.networkId, localVlan: vlan, networkType: f.networkType, segmentationId: f.segmentationId, physicalNetwork: f.physicalNetwork, mtu: f.mtu });
    }
    // Admin-down ports keep their network's VLAN in other_config but are tagged dead, as
    // Python's port_dead does, so they pass no traffic.
    portTags.set(p.name, {
      port: p.name,
      tag: f.adminStateUp ? vlan : DEAD_VLAN,
      otherConfig: {
        net_uuid: f.networkId,
        network_type: f.networkType,
        physical_network: f.physicalNetwork ?? 'None',
        segmentation_id: f.segmentationId !== undefined ? String(f.segmentationId) : 'None',
        tag: String(vlan),
      },
    });
    if (!f.adminStateUp || p.ofport === undefined) continue;
    wired.push({
      portId: f.portId, networkId: f.networkId, device: p.name, ofport: p.ofport, mac: f.mac, localVlan: vlan,
      fixedIps: f.fixedIps, allowedAddressPairs: f.allowedAddressPairs, portSecurityEnabled: f.portSecurityEnabled,
      securityGroupIds: f.securityGroupIds, deviceOwner: f.deviceOwner, adminStateUp: f.adminStateUp,
    });
  }
  for (const p of plugged) {
    if (unwirable.has(p.portId) && !portTags.has(p.name)) portTags.set(p.name, { port: p.name, tag: DEAD_VLAN, otherConfig: {} });
  }

  const tunnels: DesiredTunnel[] = [];
  if (tunnelling && c.localIp) {
    const remotes = new Set<string>();
    if (c.l2Population) {
      // l2pop: a tunnel only to VTEPs that host ports of networks present here.
      for (const lv of localVlans.values()) {
        if (lv.networkType !== 'vxlan') continue;
        for (const ip of fdb.get(lv.networkId)?.keys() ?? []) remotes.add(ip);
      }
    } else {
      for (const ip of tunnelEndpoints) remotes.add(ip);
    }
    remotes.delete(c.localIp);
    for (const ip of [...remotes].sort()) {
      if (!isIPv4(ip)) { problems.push(`tunnel endpoint ${ip} is not IPv4; skipped`); continue; }
      tunnels.push({ name: tunnelPortName('vxlan', ip), remoteIp: ip, options: tunnelOptions(c, ip) });
    }
  }
  return { bridges, physicalBridges, patches, tunnels, portTags, localVlans, wired, unwirable, problems };
}

/** Interface options of a VXLAN port, as ovs_lib.add_tunnel_port sets them. */
export function tunnelOptions(c: OvsAgentConfig, remoteIp: string): Record<string, string> {
  const o: Record<string, string> = {
    remote_ip: remoteIp,
    local_ip: c.localIp ?? '',
    in_key: 'flow',
    out_key: 'flow',
    df_default: String(c.dontFragment),
  };
  if (c.vxlanUdpPort !== 4789) o['dst_port'] = String(c.vxlanUdpPort);
  if (c.tunnelCsum) o['csum'] = 'true';
  return o;
}

function cannotWire(c: OvsAgentConfig, f: PortFacts, tunnelling: boolean, physicalBridges: Map<string, string>): string | undefined {
  switch (f.networkType) {
    case 'vxlan':
      return tunnelling ? undefined : 'vxlan network but tunnelling (tunnel_types = vxlan, local_ip) is not enabled';
    case 'flat':
    case 'vlan':
      if (!f.physicalNetwork || !physicalBridges.has(f.physicalNetwork)) return `physical network ${f.physicalNetwork ?? '?'} has no usable bridge in bridge_mappings`;
      return undefined;
    case 'local':
      return undefined;
  }
}
