/**
 * The openvswitch firewall (`[securitygroup] firewall_driver = openvswitch`) as
 * OpenFlow flows on br-int: a pure function from the security-group state and the
 * br-int ports to every flow of table 60 at priority ≥ 90 and of tables 71–94.
 * Same tables, priorities, registers and conntrack usage as Neutron's Zed
 * OVSFirewallDriver; differences are listed in README.md.
 */
import type { Problem } from '../../../shared/firewall/types.js';
import type { FlowSpec } from '../model.js';
import { commonFlows } from './common-flows.js';
import { firewallPorts, type FwPort } from './firewall-port.js';
import { portBaseFlows } from './port-base-flows.js';
import { portRuleFlows } from './rule-flows.js';
import { blockedPortFlows, permittedPortFlows } from './special-port-flows.js';
import { portTrackedFlows } from './tracked-flows.js';
import type { OvsFirewallInput, OvsFirewallRender, PortFlows } from './types.js';

/** Table ascending, priority descending, then match and actions as text. */
export function compareFlows(a: FlowSpec, b: FlowSpec): number {
  if (a.table !== b.table) return a.table - b.table;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.match !== b.match) return a.match < b.match ? -1 : 1;
  if (a.actions !== b.actions) return a.actions < b.actions ? -1 : 1;
  return 0;
}

/** The identity of a flow in OVS: two flows with the same key are one flow. */
export const flowKey = (f: FlowSpec): string => `${f.table}|${f.priority}|${f.match}`;

/** `0x88cc`-style ethertypes; anything else is reported (Python logs a warning). */
function parseEthertypes(list: string[], problems: Problem[]): number[] {
  const out = new Set<number>();
  for (const [i, s] of list.entries()) {
    const n = /^0x[0-9a-f]{1,4}$/i.test(s) ? parseInt(s, 16) : NaN;
    if (Number.isNaN(n)) problems.push({ path: `permitted_ethertypes[${i}]`, reason: `${JSON.stringify(s)} is not a hexadecimal ethertype` });
    else out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

function flowsOf(p: FwPort, input: OvsFirewallInput, ethertypes: number[], problems: Problem[], reported: Set<string>): FlowSpec[] {
  switch (p.mode) {
    case 'permitted':
      return permittedPortFlows(p);
    case 'blocked':
      return blockedPortFlows(p);
    case 'filtered':
      return [...portBaseFlows(p, ethertypes), ...portTrackedFlows(p), ...portRuleFlows(p, input.sg, problems, reported)];
  }
}

export function renderOvsFirewall(input: OvsFirewallInput): OvsFirewallRender {
  const problems: Problem[] = [];
  const ethertypes = parseEthertypes(input.permittedEthertypes ?? [], problems);
  const reported = new Set<string>();
  const common = commonFlows().sort(compareFlows);
  // Flow identity → owner, to keep the first owner when two ports would install the
  // same match with different actions (two ports sharing a MAC on one network).
  const owners = new Map<string, { owner: string; actions: string }>();
  for (const f of common) owners.set(flowKey(f), { owner: 'common', actions: f.actions });

  const ports: PortFlows[] = [];
  for (const p of firewallPorts(input, problems)) {
    const mine = new Map<string, FlowSpec>();
    for (const f of flowsOf(p, input, ethertypes, problems, reported)) {
      const key = flowKey(f);
      const prev = owners.get(key);
      if (prev !== undefined && prev.owner !== p.portId) {
        if (prev.actions !== f.actions) problems.push({ path: `ports.${p.portId}`, reason: `flow ${key} conflicts with port ${prev.owner}'s: not installed` });
        continue;
      }
      owners.set(key, { owner: p.portId, actions: f.actions });
      if (!mine.has(key)) mine.set(key, f);
    }
    ports.push({ portId: p.portId, ofport: p.ofport, zone: p.vlan, mode: p.mode, stateless: p.stateless, flows: [...mine.values()].sort(compareFlows) });
  }
  const flows = [...common, ...ports.flatMap((p) => p.flows)].sort(compareFlows);
  return { flows, common, ports, problems };
}
