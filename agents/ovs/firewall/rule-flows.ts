/**
 * Security group rules → accept flows in table 72 (egress) / 82 (ingress), as Neutron's
 * rules.py (create_flows_from_rule_and_port, create_protocol_flows, flow_priority_offset).
 *
 * Rules with a remote group (remote_group_id, remote_address_group_id) are not
 * rendered here: they come back as {@link RemoteRule}s, which conj-flows.ts turns into
 * conjunction flows (rules + members flows, not rules × members).
 */
import type { Direction, Problem, SgInfo, SgRule } from '../../../shared/firewall/types.js';
import type { FlowSpec } from '../model.js';
import { constrainingPrefix } from './addresses.js';
import type { ConjKey } from './conj-ids.js';
import { CT, CT_ZONE, ETH, PORT_MATCH_FIELD, PROTO, RULE_BASE_PRIORITY, TABLE } from './constants.js';
import type { FwPort } from './firewall-port.js';
import { match, output, resubmit, type MatchFields } from './match.js';
import { portRangeMasks, PortRangeError } from './port-masks.js';
import { protocolMatch } from './protocol.js';

class RuleSkipped extends Error {}

/** rules.flow_priority_offset: more specific rules first; remote-group rules below plain ones. */
function priorityOffset(rule: SgRule, proto: number | undefined, remote: boolean): number {
  const base = remote ? 0 : 4;
  if (proto === undefined) return base;
  if (proto === PROTO.ICMP || proto === PROTO.IPV6_ICMP) {
    if (rule.port_range_min === undefined) return base + 1;
    if (rule.port_range_max === undefined) return base + 2;
  }
  return base + 3;
}

/**
 * Port matches of a TCP/UDP/SCTP rule: every combination of source and destination
 * masks. One bound alone means that single port (Python would match every port).
 */
function portMatches(rule: SgRule, proto: number): Array<Pick<MatchFields, 'tp_src' | 'tp_dst'>> {
  const name = PORT_MATCH_FIELD[proto];
  // Python's OVS firewall ignores ports of other protocols (dccp, udplite): it cannot match them.
  if (name === undefined) return [{}];
  const masks = (min: number | undefined, max: number | undefined): string[] | undefined => {
    if (min === undefined && max === undefined) return undefined;
    try {
      return portRangeMasks(min ?? (max as number), max ?? (min as number));
    } catch (e) {
      if (e instanceof PortRangeError) throw new RuleSkipped(e.message);
      throw e;
    }
  };
  const src = masks(rule.source_port_range_min, rule.source_port_range_max);
  const dst = masks(rule.port_range_min, rule.port_range_max);
  const out: Array<Pick<MatchFields, 'tp_src' | 'tp_dst'>> = [];
  for (const s of src ?? [undefined]) {
    for (const d of dst ?? [undefined]) {
      out.push({
        ...(s !== undefined ? { tp_src: { field: `${name}_src`, value: s } } : {}),
        ...(d !== undefined ? { tp_dst: { field: `${name}_dst`, value: d } } : {}),
      });
    }
  }
  return out;
}

/** ICMP: port_range_min is the type, port_range_max the code. */
function icmpMatch(rule: SgRule): Pick<MatchFields, 'icmp_type' | 'icmp_code'> {
  const t = rule.port_range_min;
  const c = rule.port_range_max;
  if (t === undefined) return {};
  if (t > 255 || (c !== undefined && c > 255)) throw new RuleSkipped(`ICMP type/code ${t}/${c ?? ''} out of range 0-255`);
  return { icmp_type: t, ...(c !== undefined ? { icmp_code: c } : {}) };
}

/** The match for the remote side's address (or prefix, as OVS prints it). */
export function addressField(ethertype: SgRule['ethertype'], side: 'src' | 'dst', text: string): MatchFields {
  if (ethertype === 'IPv4') return side === 'src' ? { nw_src: text } : { nw_dst: text };
  return side === 'src' ? { ipv6_src: text } : { ipv6_dst: text };
}

function prefixField(rule: SgRule, side: 'src' | 'dst'): MatchFields {
  const raw = side === 'src' ? rule.source_ip_prefix : rule.dest_ip_prefix;
  const p = constrainingPrefix(raw);
  if (p === null) throw new RuleSkipped(`${side === 'src' ? 'source' : 'dest'}_ip_prefix ${JSON.stringify(raw)} is not a prefix`);
  if (p === 'any') return {};
  if (p.version !== (rule.ethertype === 'IPv4' ? 4 : 6)) throw new RuleSkipped(`prefix ${raw} is not ${rule.ethertype}`);
  return addressField(rule.ethertype, side, p.text);
}

/**
 * Accept actions of a rule: ingress outputs to the port, and a new stateful connection
 * is committed in the port's zone first; egress goes on to table 73 (which commits it,
 * or hands it to a local destination's ingress filtering).
 */
export function acceptActions(p: FwPort, direction: Direction, isNew: boolean): string {
  if (direction === 'egress') return resubmit(TABLE.ACCEPT_OR_INGRESS);
  if (p.stateless || !isNew) return output(p.ofport);
  return `ct(commit,zone=${CT_ZONE}),${output(p.ofport)},${resubmit(TABLE.ACCEPTED_INGRESS_TRAFFIC)}`;
}

/**
 * Conntrack states a rule's flows are split by: established-not-reply (index 0) and
 * new (index 1), Neutron's CT_STATES; one state without ct_state for a stateless port.
 */
export function ruleStates(p: FwPort): Array<{ ctState: string | undefined; isNew: boolean; index: number }> {
  if (p.stateless) return [{ ctState: undefined, isNew: false, index: 0 }];
  return [
    { ctState: CT.ESTABLISHED_NOT_REPLY, isNew: false, index: 0 },
    { ctState: CT.NEW_NOT_ESTABLISHED, isNew: true, index: 1 },
  ];
}

function acceptFlows(p: FwPort, rule: SgRule, priority: number, m: MatchFields): FlowSpec[] {
  const table = rule.direction === 'egress' ? TABLE.RULES_EGRESS : TABLE.RULES_INGRESS;
  return ruleStates(p).map((s) => ({ table, priority, match: match({ ct_state: s.ctState, ...m }), actions: acceptActions(p, rule.direction, s.isNew) }));
}

/**
 * A rule with a remote group (remote_group_id / remote_address_group_id), rendered as
 * a conjunction (conj-flows.ts): its own matches here are dimension 2 of 2, the remote
 * group's member addresses (shared by the network) dimension 1.
 */
export interface RemoteRule {
  key: ConjKey;
  /** rules.flow_priority_offset of a remote rule: 0–3; the flows' priority is 70 + offset. */
  offset: number;
  /** reg5, dl_type, the prefix of the non-remote side, protocol, ports; no ct_state. */
  matches: MatchFields[];
}

/** The port's flows of one rule: plain accept flows, or a remote rule for the conjunctions. */
type RuleOutput = { flows: FlowSpec[] } | { remote: RemoteRule };

function ruleOrThrow(p: FwPort, sgId: string, rule: SgRule): RuleOutput {
  const pm = protocolMatch(rule.protocol, rule.ethertype);
  if (pm.kind === 'unknown') throw new RuleSkipped(`unknown protocol ${JSON.stringify(pm.name)}`);
  const proto = pm.kind === 'number' ? pm.proto : undefined;
  const remoteId = rule.remote_group_id ?? rule.remote_address_group_id;
  const remoteSide = rule.direction === 'ingress' ? 'src' : 'dst';
  const base: MatchFields = {
    reg5: p.ofport,
    dl_type: rule.ethertype === 'IPv4' ? ETH.IP : ETH.IPV6,
    ...prefixField(rule, 'src'),
    ...prefixField(rule, 'dst'),
    ...(proto !== undefined ? { nw_proto: proto } : {}),
  };
  if (remoteId !== undefined && Object.keys(prefixField(rule, remoteSide)).length > 0) throw new RuleSkipped('a remote group together with a remote IP prefix');
  let l4: MatchFields[] = [{}];
  if (proto === PROTO.ICMP || proto === PROTO.IPV6_ICMP) l4 = [icmpMatch(rule)];
  else if (proto !== undefined) l4 = portMatches(rule, proto);
  const offset = priorityOffset(rule, proto, remoteId !== undefined);
  const matches = l4.map((l) => ({ ...base, ...l }));
  if (remoteId !== undefined) {
    const key: ConjKey = { sgId, remoteId, direction: rule.direction, ethertype: rule.ethertype, stateless: p.stateless };
    return { remote: { key, offset, matches } };
  }
  return { flows: matches.flatMap((m) => acceptFlows(p, rule, RULE_BASE_PRIORITY + offset, m)) };
}

export interface PortRules {
  /** Accept flows of the rules without a remote group. */
  flows: FlowSpec[];
  /** Rules with a remote group, for conj-flows.ts. */
  remote: RemoteRule[];
}

/**
 * The rules of the port's groups. A rule that cannot be rendered exactly is skipped
 * (rules only allow: skipping one denies what it allowed) and reported under
 * `security_groups.<sg>[<index>]`.
 */
export function portRules(p: FwPort, sg: SgInfo, problems: Problem[], reported: Set<string>): PortRules {
  const out: PortRules = { flows: [], remote: [] };
  for (const sgId of p.securityGroups) {
    (sg.security_groups[sgId] ?? []).forEach((rule, i) => {
      try {
        const r = ruleOrThrow(p, sgId, rule);
        if ('remote' in r) out.remote.push(r.remote);
        else out.flows.push(...r.flows);
      } catch (e) {
        if (!(e instanceof RuleSkipped)) throw e;
        // A group's rule is reported once, not once per port that uses it.
        const path = `security_groups.${sgId}[${i}]`;
        if (!reported.has(path)) {
          reported.add(path);
          problems.push({ path, reason: `${e.message}: rule skipped` });
        }
      }
    });
  }
  return out;
}
