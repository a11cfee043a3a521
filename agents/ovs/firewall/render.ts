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
import { networkConjFlows, portConjFlows } from './conj-flows.js';
import { allocateConjIds, conjKeyText } from './conj-ids.js';
import { firewallPorts, type FwPort } from './firewall-port.js';
import { portBaseFlows } from './port-base-flows.js';
import { portRules, type PortRules } from './rule-flows.js';
import { blockedPortFlows, permittedPortFlows } from './special-port-flows.js';
import { portTrackedFlows } from './tracked-flows.js';
import type { NetworkFlows, OvsFirewallInput, OvsFirewallRender, PortFlows } from './types.js';

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

/** A filtered port's fixed flows and its rules, before conjunction ids are known. */
interface Planned {
  port: FwPort;
  rules: PortRules | undefined;
}

function flowsOf(p: Planned, ethertypes: number[], ids: ReadonlyMap<string, number>): { flows: FlowSpec[]; conjIds: number[] } {
  switch (p.port.mode) {
    case 'permitted':
      return { flows: permittedPortFlows(p.port), conjIds: [] };
    case 'blocked':
      return { flows: blockedPortFlows(p.port), conjIds: [] };
    case 'filtered': {
      const conj = portConjFlows(p.port, p.rules?.remote ?? [], ids);
      return { flows: [...portBaseFlows(p.port, ethertypes), ...portTrackedFlows(p.port), ...(p.rules?.flows ?? []), ...conj.flows], conjIds: conj.conjIds };
    }
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

  // Two passes: conjunction ids are allocated over every remote rule of every port
  // (their set decides them), then each port's flows and the networks' are rendered.
  const planned: Planned[] = firewallPorts(input, problems).map((port) => ({
    port,
    rules: port.mode === 'filtered' ? portRules(port, input.sg, problems, reported) : undefined,
  }));
  const ids = allocateConjIds(planned.flatMap((p) => (p.rules?.remote ?? []).map((r) => conjKeyText(r.key))));
  const networks: NetworkFlows[] = networkConjFlows(
    planned.flatMap((p) => (p.rules && p.rules.remote.length > 0 ? [{ port: p.port, rules: p.rules.remote }] : [])),
    input.sg,
    ids,
  ).map((n) => ({ zone: n.zone, flows: n.flows.sort(compareFlows) }));

  const ports: PortFlows[] = [];
  for (const p of planned) {
    const mine = new Map<string, FlowSpec>();
    const { flows, conjIds } = flowsOf(p, ethertypes, ids);
    const portId = p.port.portId;
    for (const f of flows) {
      const key = flowKey(f);
      const prev = owners.get(key);
      if (prev !== undefined && prev.owner !== portId) {
        if (prev.actions !== f.actions) problems.push({ path: `ports.${portId}`, reason: `flow ${key} conflicts with port ${prev.owner}'s: not installed` });
        continue;
      }
      owners.set(key, { owner: portId, actions: f.actions });
      if (!mine.has(key)) mine.set(key, f);
    }
    const { ofport, vlan: zone, mode, stateless } = p.port;
    ports.push({ portId, ofport, zone, mode, stateless, flows: [...mine.values()].sort(compareFlows), conjIds });
  }
  // Network flows match reg6 at the remote-rule priorities, port flows there match reg5
  // or conj_id: the two never share a key.
  const flows = [...common, ...networks.flatMap((n) => n.flows), ...ports.flatMap((p) => p.flows)].sort(compareFlows);
  return { flows, common, networks, ports, problems };
}
