/**
 * Remote-group rules as conjunction flows, as Neutron's ConjIPFlowManager and
 * rules.create_conj_flows / substitute_conjunction_actions / create_flows_for_ip_address:
 *
 * - dimension 2/2, per port: the rule's own match (reg5, protocol, ports, ct_state)
 *   → `conjunction(id,2/2)`;
 * - dimension 1/2, per network (reg6 = the local VLAN): one flow per remote member
 *   address (and ct_state) → `conjunction(id,1/2)`, shared by every port of the network
 *   whose rules name that remote group;
 * - per port: `conj_id=id` → the rule's accept actions, with the id in reg7.
 *
 * So a group whose rule admits its own members costs ports + members flows instead of
 * ports × members. Ids: a block of 8 per {@link ConjKey} (conj-ids.ts), + 2 × priority
 * offset, + 1 for the new-connection state.
 *
 * OVS rules (ovs-fields(7), "Conjunctive match fields"): all flows of a conjunction have
 * one priority (70 + offset here, as Neutron); flows with the same match and priority
 * are one flow, so their conjunction actions are merged into one action list (two rules
 * naming different remote groups with the same port range; two groups with a shared
 * member); the constituent flows of different conjunctions may overlap. A packet that
 * satisfies two conjunctions at one priority gets either one's actions: both accept it.
 */
import { assertMac, InvalidNameError } from '../../../shared/exec/names.js';
import type { Direction, Ethertype, SgInfo } from '../../../shared/firewall/types.js';
import type { FlowSpec } from '../model.js';
import { matchPrefix } from './addresses.js';
import { conjKeyText } from './conj-ids.js';
import { ETH, REG_REMOTE_GROUP, RULE_BASE_PRIORITY, TABLE } from './constants.js';
import type { FwPort } from './firewall-port.js';
import { match, setReg, type MatchFields } from './match.js';
import { acceptActions, addressField, ruleStates, type RemoteRule } from './rule-flows.js';
import type { NetworkFlows } from './types.js';

const conjunction = (id: number, dimension: 1 | 2): string => `conjunction(${id},${dimension}/2)`;

/** The conjunction ids of a flow's `conjunction(id,dimension/2)` actions. */
export function conjunctionIds(actions: string, dimension: 1 | 2): number[] {
  const re = new RegExp(`conjunction\\((\\d+),${dimension}/2\\)`, 'g');
  return [...actions.matchAll(re)].map((m) => Number(m[1]));
}

/** Flows keyed by table/priority/match, each with the set of conjunction ids it feeds. */
class ConjFlowSet {
  private readonly flows = new Map<string, { spec: Omit<FlowSpec, 'actions'>; ids: Set<number> }>();

  add(spec: Omit<FlowSpec, 'actions'>, id: number): void {
    const key = `${spec.table}|${spec.priority}|${spec.match}`;
    const cur = this.flows.get(key);
    if (cur) cur.ids.add(id);
    else this.flows.set(key, { spec, ids: new Set([id]) });
  }

  /** One flow per match, its conjunction actions in id order (OVS: order is not significant). */
  render(dimension: 1 | 2): FlowSpec[] {
    return [...this.flows.values()].map(({ spec, ids }) => ({
      ...spec,
      actions: [...ids].sort((a, b) => a - b).map((id) => conjunction(id, dimension)).join(','),
    }));
  }
}

const tableOf = (direction: Direction): number => (direction === 'egress' ? TABLE.RULES_EGRESS : TABLE.RULES_INGRESS);
const dlTypeOf = (ethertype: Ethertype): number => (ethertype === 'IPv4' ? ETH.IP : ETH.IPV6);

/** The first id of a remote rule's conjunctions (its established-state one). */
function ruleConjId(r: RemoteRule, ids: ReadonlyMap<string, number>): number {
  const base = ids.get(conjKeyText(r.key));
  if (base === undefined) throw new Error(`no conjunction id allocated for ${conjKeyText(r.key)}`);
  return base + 2 * r.offset;
}

export interface PortConjFlows {
  flows: FlowSpec[];
  /** Every conjunction id the port's flows use, ascending. */
  conjIds: number[];
}

/** A port's 2/2 flows and its `conj_id=` accept flows. */
export function portConjFlows(p: FwPort, rules: readonly RemoteRule[], ids: ReadonlyMap<string, number>): PortConjFlows {
  const twoOfTwo = new ConjFlowSet();
  const accept = new Map<number, FlowSpec>();
  for (const r of rules) {
    const table = tableOf(r.key.direction);
    const priority = RULE_BASE_PRIORITY + r.offset;
    for (const s of ruleStates(p)) {
      const id = ruleConjId(r, ids) + s.index;
      for (const m of r.matches) twoOfTwo.add({ table, priority, match: match({ ct_state: s.ctState, ...m }) }, id);
      // Neutron matches reg5 here too (redundant after the 2/2 flow: it keeps the port's
      // flows findable by reg5), and ct_state and dl_type.
      accept.set(id, {
        table,
        priority,
        match: match({ conj_id: id, ct_state: s.ctState, reg5: p.ofport, dl_type: dlTypeOf(r.key.ethertype) }),
        actions: `${setReg(REG_REMOTE_GROUP, id)},${acceptActions(p, r.key.direction, s.isNew)}`,
      });
    }
  }
  return { flows: [...twoOfTwo.render(2), ...accept.values()], conjIds: [...accept.keys()].sort((a, b) => a - b) };
}

/**
 * The remote group's members as match fragments of dimension 1, one per distinct
 * address. A member that is a /0 (an allowed-address-pair 0.0.0.0/0) is matched by its
 * MAC instead, as Neutron does (Python puts the MAC in dl_src for both directions; for
 * egress the member is the destination, so here it is dl_dst); a /0 without a MAC (an
 * address group's) matches every address. A member MAC that is not a MAC is left out.
 */
function memberMatches(sg: SgInfo, remoteId: string, ethertype: Ethertype, direction: Direction): MatchFields[] {
  const side = direction === 'ingress' ? 'src' : 'dst';
  const out = new Map<string, MatchFields>();
  for (const [ip, mac] of sg.sg_member_ips[remoteId]?.[ethertype] ?? []) {
    const p = matchPrefix(ip);
    if (p === null || p.version !== (ethertype === 'IPv4' ? 4 : 6)) continue; // parseSgInfo has already reported it
    if (p.prefixlen > 0) {
      out.set(p.text, addressField(ethertype, side, p.text));
      continue;
    }
    if (mac === null) {
      out.set('any', {});
      continue;
    }
    try {
      assertMac(mac);
    } catch (e) {
      if (e instanceof InvalidNameError) continue;
      throw e;
    }
    const m = mac.toLowerCase();
    out.set(`mac ${m}`, side === 'src' ? { dl_src: m } : { dl_dst: m });
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, m]) => m);
}

/**
 * The 1/2 flows of every network: for each conjunction a port of the network uses,
 * each member of its remote group, in the port's zone. Ports of one network naming one
 * remote group from one group share the flows (same match, same id), and are visited
 * once per id, so the work, like the output, grows with ids × members, not ports × members.
 */
export function networkConjFlows(ports: ReadonlyArray<{ port: FwPort; rules: readonly RemoteRule[] }>, sg: SgInfo, ids: ReadonlyMap<string, number>): NetworkFlows[] {
  // zone → conjunction id → what its 1/2 flows match on.
  const wanted = new Map<number, Map<number, { rule: RemoteRule; ctState: string | undefined }>>();
  for (const { port: p, rules } of ports) {
    let byId = wanted.get(p.vlan);
    if (byId === undefined) {
      byId = new Map();
      wanted.set(p.vlan, byId);
    }
    for (const r of rules) {
      for (const s of ruleStates(p)) byId.set(ruleConjId(r, ids) + s.index, { rule: r, ctState: s.ctState });
    }
  }
  const members = new Map<string, MatchFields[]>();
  const out: NetworkFlows[] = [];
  for (const [zone, byId] of [...wanted.entries()].sort(([a], [b]) => a - b)) {
    const set = new ConjFlowSet();
    for (const [id, { rule: r, ctState }] of byId) {
      const { remoteId, ethertype, direction } = r.key;
      const memoKey = JSON.stringify([remoteId, ethertype, direction]);
      let ms = members.get(memoKey);
      if (ms === undefined) {
        ms = memberMatches(sg, remoteId, ethertype, direction);
        members.set(memoKey, ms);
      }
      const spec = { table: tableOf(direction), priority: RULE_BASE_PRIORITY + r.offset };
      for (const m of ms) set.add({ ...spec, match: match({ ct_state: ctState, reg6: zone, dl_type: dlTypeOf(ethertype), ...m }) }, id);
    }
    const flows = set.render(1);
    if (flows.length > 0) out.push({ zone, flows });
  }
  return out;
}
