/**
 * Differ for OVSDB: desired bridges, patch ports, tunnel ports and port tags vs what
 * OVSDB holds → the ovs-vsctl subcommands of ONE transaction (empty when nothing
 * differs). Ownership: br-int and br-tun are the agent's (created with fail_mode
 * secure); on br-tun only ports named like our tunnel ports are ever removed, and only
 * with `sweep` (after the first complete snapshot of tunnel endpoints); on br-int only
 * the tags and Neutron's other_config keys of ports with an iface-id are set. Ports
 * nobody asked for are never deleted from br-int: Nova (or the DHCP/L3 agents) own them.
 */
import type { OvsCommand } from '../../shared/reconcile/ops.js';
import type { DesiredOvs } from './desired.js';
import { DEAD_VLAN, isTunnelPortName } from './names.js';
import type { ObservedOvs } from './observed.js';

export interface PlanOvsdbInput {
  desired: DesiredOvs;
  observed: ObservedOvs;
  tunnelBridge: string;
  /** Remove stale tunnel ports (only once the tunnel endpoint list is complete). */
  sweepTunnels: boolean;
}

export function planOvsdbCommands({ desired, observed, tunnelBridge, sweepTunnels }: PlanOvsdbInput): OvsCommand[] {
  const cmds: OvsCommand[] = [];
  for (const b of desired.bridges) {
    const have = observed.bridges.get(b.name);
    if (!have) {
      cmds.push({ cmd: 'add-br', bridge: b.name, mayExist: true, datapathType: b.datapathType });
      cmds.push({ cmd: 'set', table: 'Bridge', record: b.name, values: { fail_mode: b.failMode } });
      continue;
    }
    const values: Record<string, string> = {};
    if (have.datapathType !== b.datapathType) values['datapath_type'] = b.datapathType;
    if (have.failMode !== b.failMode) values['fail_mode'] = b.failMode;
    if (Object.keys(values).length > 0) cmds.push({ cmd: 'set', table: 'Bridge', record: b.name, values });
  }

  for (const p of desired.patches) {
    const port = observed.ports.get(p.port);
    const iface = observed.interfaces.get(p.port);
    const right = port?.bridge === p.bridge && iface?.type === 'patch' && iface.options['peer'] === p.peer;
    if (right) continue;
    if (port && port.bridge !== p.bridge) cmds.push({ cmd: 'del-port', port: p.port, ifExists: true });
    cmds.push({ cmd: 'add-port', bridge: p.bridge, port: p.port, mayExist: true, iface: { type: 'patch', 'options:peer': p.peer } });
  }

  const wantTunnels = new Set<string>();
  for (const t of desired.tunnels) {
    wantTunnels.add(t.name);
    const port = observed.ports.get(t.name);
    const iface = observed.interfaces.get(t.name);
    const right = port?.bridge === tunnelBridge && iface?.type === 'vxlan' && sameOptions(iface.options, t.options);
    if (right) continue;
    if (port && port.bridge !== tunnelBridge) cmds.push({ cmd: 'del-port', port: t.name, ifExists: true });
    const iface2: Record<string, string> = { type: 'vxlan' };
    for (const [k, v] of Object.entries(t.options)) iface2[`options:${k}`] = v;
    cmds.push({ cmd: 'add-port', bridge: tunnelBridge, port: t.name, mayExist: true, iface: iface2 });
  }
  if (sweepTunnels) {
    const br = observed.bridges.get(tunnelBridge);
    for (const name of br?.ports ?? []) {
      if (!wantTunnels.has(name) && isTunnelPortName(name, 'vxlan')) cmds.push({ cmd: 'del-port', bridge: tunnelBridge, port: name, ifExists: true });
    }
  }

  for (const t of desired.portTags.values()) {
    const port = observed.ports.get(t.port);
    if (!port) continue;
    const values: Record<string, string | number> = {};
    if (port.tag !== t.tag) values['tag'] = t.tag;
    for (const [k, v] of Object.entries(t.otherConfig)) if (port.otherConfig[k] !== v) values[`other_config:${k}`] = v;
    if (Object.keys(values).length > 0) cmds.push({ cmd: 'set', table: 'Port', record: t.port, values, ifExists: true });
    // A port plugged by Neutron's replace_port (the DHCP/L3 interface drivers) waits on
    // the dead VLAN in trunk mode (vlan_mode=trunk trunks=4095); once wired it must be
    // an access port of its VLAN, as Python's _bind_devices clears both columns.
    if (t.tag !== DEAD_VLAN) {
      if (port.vlanMode !== undefined) cmds.push({ cmd: 'clear', table: 'Port', record: t.port, column: 'vlan_mode', ifExists: true });
      if (port.trunks.length > 0) cmds.push({ cmd: 'clear', table: 'Port', record: t.port, column: 'trunks', ifExists: true });
    }
  }
  return cmds;
}

function sameOptions(have: Record<string, string>, want: Record<string, string>): boolean {
  // OVS adds no options of its own to a vxlan interface; compare both ways.
  const hk = Object.keys(have);
  return hk.length === Object.keys(want).length && hk.every((k) => have[k] === want[k]);
}
