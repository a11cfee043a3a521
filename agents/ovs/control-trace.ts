/**
 * `nucleon trace <id>` for the OVS agent. For a port id: what the resource cache says
 * (network, segment, admin state, security groups), its OVSDB row, the tag and local
 * VLAN the last apply wanted, whether it was reported up, and br-int's flows that
 * concern it: by its ofport or MAC (the port's own flows) and by its local VLAN (its
 * network's flows, shared with the other ports on it), and with iptables_hybrid its
 * iptables lines (chains, zone rules). For a network id with a local
 * VLAN here: that VLAN, the network's ports, and its flows. Unknown ids: `{}`.
 * Read-only: OVSDB comes from the monitor's snapshot, flows from one dump-flows.
 */
import { formatCookie } from '../../shared/drivers/ovs/flow-cookie.js';
import type { DumpedFlow } from '../../shared/drivers/ovs/flow-dump.js';
import type { OvsAgent } from './agent.js';
import type { DesiredOvs } from './desired.js';
import type { LocalVlan } from './model.js';
import type { ObservedInterface, ObservedOvs, ObservedPort } from './observed.js';
import type { PortAnswer } from './port-facts.js';

export interface FlowReader {
  dumpFlows(bridge: string): Promise<DumpedFlow[]>;
}

export interface TraceDeps {
  agent: Pick<OvsAgent, 'config' | 'observed' | 'desired' | 'reported' | 'portAnswer'>;
  ofctl: FlowReader;
  /** Lines listed per flow group (the count is always complete). */
  maxFlowLines: number;
  /** iptables_hybrid only: the port's iptables lines (filter and raw tables). */
  firewallLines?: (portId: string) => Promise<string[]>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function traceOvs(d: TraceDeps, rawId: string): Promise<Record<string, unknown>> {
  const id = rawId.toLowerCase();
  const observed = d.agent.observed();
  const desired = d.agent.desired();
  const lv = desired?.localVlans.get(id);
  if (lv) return traceNetwork(d, lv, desired as DesiredOvs, observed);
  const iface = findInterface(observed, id, d.agent.config.integrationBridge);
  // Only uuid-shaped ids go to the cache: an unknown one may be pulled from the server.
  const answer = iface || UUID.test(id) ? await d.agent.portAnswer(id, iface?.name ?? `tap${id.slice(0, 11)}`) : undefined;
  if (!iface && answer?.kind !== 'port') return {};
  const facts = answer?.kind === 'port' ? answer.facts : undefined;
  const row = iface ? portOf(observed, iface.name) : undefined;
  const tag = iface ? desired?.portTags.get(iface.name) : undefined;
  const wired = desired?.wired.find((w) => w.portId === id);
  const unwirable = desired?.unwirable.get(id);
  const networkId = facts?.networkId ?? row?.otherConfig['net_uuid'];
  const vlan = networkId !== undefined ? desired?.localVlans.get(networkId) : undefined;
  const localVlan = vlan?.localVlan ?? numberOr(row?.otherConfig['tag']);
  const ofport = iface?.ofport !== undefined && iface.ofport > 0 ? iface.ofport : undefined;
  const mac = facts?.mac ?? iface?.externalIds['attached-mac']?.toLowerCase();
  return {
    cache: cacheView(answer),
    ovsdb: iface ? ovsdbView(iface, row) : { plugged: false },
    wiring: {
      state: wired ? 'wired' : unwirable !== undefined ? 'unwirable' : tag?.tag === 4095 ? 'dead (admin down)' : tag ? 'waiting for an ofport' : 'not seen by the last apply',
      ...(unwirable !== undefined ? { why: unwirable } : {}),
      ...(tag ? { desired_tag: tag.tag } : {}),
    },
    local_vlan: vlan ? vlanView(vlan) : localVlan !== undefined ? { local_vlan: localVlan, from: 'OVSDB other_config' } : undefined,
    reported: d.agent.reported(id) ?? 'not reported',
    flows: await flowsView(d, { ofport, mac, localVlan }),
    ...(d.firewallLines ? { iptables: await d.firewallLines(id) } : {}),
  };
}

async function traceNetwork(d: TraceDeps, lv: LocalVlan, desired: DesiredOvs, observed: ObservedOvs): Promise<Record<string, unknown>> {
  return {
    network: vlanView(lv),
    ports: desired.wired.filter((w) => w.networkId === lv.networkId).map((w) => ({ port_id: w.portId, device: w.device, ofport: w.ofport, mac: w.mac, tag: observed.ports.get(w.device)?.tag, reported: d.agent.reported(w.portId) ?? 'not reported' })),
    flows: await flowsView(d, { localVlan: lv.localVlan }),
  };
}

function findInterface(observed: ObservedOvs, portId: string, integrationBridge: string): ObservedInterface | undefined {
  const all = [...observed.interfaces.values()].filter((i) => i.externalIds['iface-id']?.toLowerCase() === portId);
  // The same iface-id on two interfaces (a stale one left by hand): the one on br-int is the agent's.
  return all.find((i) => portOf(observed, i.name)?.bridge === integrationBridge) ?? all[0];
}

function portOf(observed: ObservedOvs, ifaceName: string): ObservedPort | undefined {
  return observed.ports.get(ifaceName) ?? [...observed.ports.values()].find((p) => p.interfaces.some((i) => i.name === ifaceName));
}

function numberOr(v: string | undefined): number | undefined {
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n > 0 && n < 4095 ? n : undefined;
}

function cacheView(a: PortAnswer | undefined): Record<string, unknown> {
  if (!a) return { state: 'not asked (not plugged here)' };
  switch (a.kind) {
    case 'unknown': return { state: 'unknown to the server' };
    case 'no_active_binding': return { state: 'binding not active on this host' };
    case 'invalid': return { state: 'invalid details', reason: a.reason };
    case 'port': {
      const f = a.facts;
      return {
        network_id: f.networkId, network_type: f.networkType, segmentation_id: f.segmentationId ?? null, physical_network: f.physicalNetwork ?? null, mtu: f.mtu ?? null,
        mac_address: f.mac, fixed_ips: f.fixedIps, admin_state_up: f.adminStateUp, port_security_enabled: f.portSecurityEnabled,
        security_groups: f.securityGroupIds, allowed_address_pairs: f.allowedAddressPairs, device_owner: f.deviceOwner,
      };
    }
  }
}

function ovsdbView(i: ObservedInterface, p: ObservedPort | undefined): Record<string, unknown> {
  return {
    bridge: p?.bridge ?? null, port: p?.name ?? null, interface: i.name, type: i.type || 'system', ofport: i.ofport ?? null,
    ...(i.error ? { error: i.error } : {}),
    tag: p?.tag ?? null, ...(p?.vlanMode ? { vlan_mode: p.vlanMode } : {}), ...(p && p.trunks.length > 0 ? { trunks: p.trunks } : {}),
    other_config: p?.otherConfig ?? {}, external_ids: i.externalIds,
  };
}

function vlanView(v: LocalVlan): Record<string, unknown> {
  return { network_id: v.networkId, local_vlan: v.localVlan, network_type: v.networkType, segmentation_id: v.segmentationId ?? null, physical_network: v.physicalNetwork ?? null, mtu: v.mtu ?? null };
}

interface FlowKeys { ofport?: number | undefined; mac?: string | undefined; localVlan?: number | undefined }

async function flowsView(d: TraceDeps, k: FlowKeys): Promise<Record<string, unknown>> {
  const bridge = d.agent.config.integrationBridge;
  let flows: DumpedFlow[];
  try {
    flows = await d.ofctl.dumpFlows(bridge);
  } catch (err) {
    return { bridge, error: err instanceof Error ? err.message : String(err) };
  }
  const port = flows.filter((f) => flowTouchesPort(f, k));
  const network = k.localVlan !== undefined ? flows.filter((f) => !flowTouchesPort(f, k) && flowTouchesVlan(f, k.localVlan as number)) : [];
  const group = (list: DumpedFlow[]): Record<string, unknown> => ({ count: list.length, lines: list.slice(0, d.maxFlowLines).map(formatFlow) });
  return {
    bridge,
    matched_on: { ofport: k.ofport ?? null, mac: k.mac ?? null, local_vlan: k.localVlan ?? null },
    ...(k.ofport !== undefined || k.mac !== undefined ? { port: group(port) } : {}),
    ...(k.localVlan !== undefined ? { network: group(network) } : {}),
  };
}

const tok = (s: string): string => `(?:^|[,:(])${s}(?=[,)]|$)`;

/** The port's own flows: its ofport in the match (in_port, reg5) or actions (output, load/set_field into reg5), or its MAC anywhere. */
export function flowTouchesPort(f: DumpedFlow, k: FlowKeys): boolean {
  if (k.ofport !== undefined) {
    const n = k.ofport;
    const hex = `0x${n.toString(16)}`;
    if (new RegExp(tok(`(?:in_port=${n}|reg5=${hex})`)).test(f.match)) return true;
    if (new RegExp(`${tok(`output:${n}`)}|(?:^|[,(])(?:load|set_field):${hex}->(?:NXM_NX_REG5\\[\\]|reg5)(?=[,)]|$)`).test(f.actions)) return true;
  }
  if (k.mac !== undefined) {
    const mac = k.mac.toLowerCase();
    if (f.match.toLowerCase().includes(mac) || f.actions.toLowerCase().includes(mac)) return true;
  }
  return false;
}

/** The network's flows on br-int: its local VLAN matched (dl_vlan, vlan_tci, reg6 = conntrack zone) or set (vlan_vid, reg6). */
export function flowTouchesVlan(f: DumpedFlow, vlan: number): boolean {
  const hex = `0x${vlan.toString(16)}`;
  const tci = `0x${(0x1000 | vlan).toString(16).padStart(4, '0')}`;
  if (new RegExp(tok(`(?:dl_vlan=${vlan}|vlan_tci=${tci}(?:/0x[0-9a-f]+)?|reg6=${hex})`)).test(f.match)) return true;
  return new RegExp(`${tok(`mod_vlan_vid:${vlan}`)}|(?:^|[,:(])set_field:(?:${4096 + vlan}|${tci})->vlan_vid|(?:^|[,(])(?:load|set_field):${hex}->(?:NXM_NX_REG6\\[\\]|reg6)(?=[,)]|$)`).test(f.actions);
}

/** A flow as `ovs-ofctl dump-flows` prints it (statistics kept to the packet count). */
export function formatFlow(f: DumpedFlow): string {
  const timeouts = `${f.idleTimeout ? `idle_timeout=${f.idleTimeout}, ` : ''}${f.hardTimeout ? `hard_timeout=${f.hardTimeout}, ` : ''}`;
  const packets = f.nPackets !== undefined ? `n_packets=${f.nPackets}, ` : '';
  return `cookie=${formatCookie(f.cookie)}, table=${f.table}, ${packets}${timeouts}priority=${f.priority}${f.match ? `,${f.match}` : ''} actions=${f.actions}`;
}
