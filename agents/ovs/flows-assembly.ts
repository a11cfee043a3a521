/**
 * Every bridge's desired flows for one apply: br-int (base tables, plus the openvswitch
 * firewall's tables when it is the driver), br-tun (when tunnelling and its patch port
 * has an ofport), and each provider bridge. Ports whose ofports OVSDB has not given yet
 * are left out; the monitor event that brings the ofport triggers the next apply.
 */
import type { Logger } from '../../shared/logging/logger.js';
import { parseSgInfo } from '../../shared/firewall/validate.js';
import type { FdbTable } from '../../shared/l2pop/fdb-table.js';
import type { FlowSpec } from './model.js';
import { ofportOf, type ObservedOvs } from './observed.js';
import { tunnellingEnabled, type DesiredOvs, type OvsAgentConfig } from './desired.js';
import { INT_PEER_PREFIX, PHY_PEER_PREFIX, interfaceName } from './names.js';
import { l2popFdbFromTable, renderBrIntFlows, renderBrPhysFlows, renderBrTunFlows } from './flows/index.js';
import { renderOvsFirewall, type OvsFirewallRender } from './firewall/index.js';

export interface FlowAssemblyInput {
  config: OvsAgentConfig;
  desired: DesiredOvs;
  observed: ObservedOvs;
  fdb: FdbTable;
  /** Raw security_group_info_for_devices-shaped info for the wired ports (resource cache). */
  sgInfo: (portIds: string[]) => unknown;
  /** ofports of plugged ports that must pass nothing. */
  deadOfports: number[];
  logger: Logger;
}

export interface FlowAssembly {
  flows: Map<string, FlowSpec[]>;
  firewall: OvsFirewallRender | undefined;
}

export function assembleFlows(a: FlowAssemblyInput): FlowAssembly {
  const { config: c, desired, observed } = a;
  const flows = new Map<string, FlowSpec[]>();
  const localVlans = [...desired.localVlans.values()];
  const physPatchOfports = new Map<string, number>();
  for (const [physnet, bridge] of desired.physicalBridges) {
    const of = ofportOf(observed, interfaceName(bridge, INT_PEER_PREFIX));
    if (of !== undefined) physPatchOfports.set(physnet, of);
  }
  const firewallEnabled = c.firewallDriver === 'openvswitch';
  const brInt = renderBrIntFlows({
    patchTunOfport: tunnellingEnabled(c) ? ofportOf(observed, c.intPeerPatchPort) : undefined,
    physPatchOfports,
    localVlans,
    ports: desired.wired,
    firewallEnabled,
    preventArpSpoofing: !firewallEnabled && c.firewallDriver !== 'noop',
    deadOfports: a.deadOfports,
  });
  let firewall: OvsFirewallRender | undefined;
  if (firewallEnabled) {
    const parsed = parseSgInfo(a.sgInfo(desired.wired.map((w) => w.portId)));
    for (const p of parsed.problems) a.logger.warn({ path: p.path, reason: p.reason }, 'security-group entry skipped');
    firewall = renderOvsFirewall({ sg: parsed.info, ports: desired.wired, blocked: parsed.blockedDevices });
    for (const p of firewall.problems) a.logger.warn({ path: p.path, reason: p.reason }, 'firewall rule skipped');
  }
  flows.set(c.integrationBridge, [...brInt, ...(firewall?.flows ?? [])]);

  if (tunnellingEnabled(c) && c.localIp) {
    const patchInt = ofportOf(observed, c.tunPeerPatchPort);
    if (patchInt !== undefined) {
      const tunnels = desired.tunnels
        .map((t) => ({ name: t.name, remoteIp: t.remoteIp, ofport: ofportOf(observed, t.name) }))
        .filter((t): t is { name: string; remoteIp: string; ofport: number } => t.ofport !== undefined);
      flows.set(c.tunnelBridge, renderBrTunFlows({
        patchIntOfport: patchInt, tunnels, localVlans, l2Population: c.l2Population, arpResponder: c.arpResponder,
        fdb: l2popFdbFromTable(a.fdb), localIp: c.localIp,
      }));
    }
  }
  for (const [physnet, bridge] of desired.physicalBridges) {
    const phy = ofportOf(observed, interfaceName(bridge, PHY_PEER_PREFIX));
    if (phy === undefined) continue;
    flows.set(bridge, renderBrPhysFlows({ bridge, physicalNetwork: physnet, phyPatchOfport: phy, localVlans }));
  }
  return { flows, firewall };
}
