/**
 * Security group rules → accept flows in table 72 (egress) / 82 (ingress), as Neutron's
 * rules.py (create_flows_from_rule_and_port, create_protocol_flows, flow_priority_offset).
 *
 * Remote groups (remote_group_id, remote_address_group_id): Neutron shares one set of
 * conjunction flows per network; here each member address gets its own flows on each
 * port (no conj_id allocation state, flows are a pure function of the input, and a
 * removed member is exactly a removed flow). Cost: rules × members × port masks flows
 * per port instead of rules + members.
 */
import type { Problem, SgInfo, SgRule } from '../../../shared/firewall/types.js';
import type { FlowSpec } from '../model.js';
import { constrainingPrefix, matchPrefix } from './addresses.js';
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
function addressField(ethertype: SgRule['ethertype'], side: 'src' | 'dst', text: string): MatchFields {
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
 * The remote group's members as match fragments, one per distinct address. A member
 * that is a /0 (an allowed-address-pair 0.0.0.0/0) is matched by its MAC instead, as
 * Neutron does (Python puts the MAC in dl_src for both directions; for egress the
 * member is the destination, so here it is dl_dst).
 */
function memberMatches(rule: SgRule, remoteId: string, sg: SgInfo): MatchFields[] {
  const members = sg.sg_member_ips[remoteId]?.[rule.ethertype] ?? [];
  const side = rule.direction === 'ingress' ? 'src' : 'dst';
  const out = new Map<string, MatchFields>();
  for (const [ip, mac] of members) {
    const p = matchPrefix(ip);
    if (p === null) continue; // parseSgInfo has already reported it
    if (p.prefixlen === 0) {
      if (mac === null) out.set('any', {});
      else out.set(`mac ${mac}`, side === 'src' ? { dl_src: mac.toLowerCase() } : { dl_dst: mac.toLowerCase() });
    } else out.set(p.text, addressField(rule.ethertype, side, p.text));
  }
  return [...out.values()];
}

/** Accept actions: stateful ingress commits the connection in the port's zone; egress commits in table 73. */
function acceptFlows(p: FwPort, rule: SgRule, priority: number, m: MatchFields): FlowSpec[] {
  const table = rule.direction === 'egress' ? TABLE.RULES_EGRESS : TABLE.RULES_INGRESS;
  const accept = rule.direction === 'egress' ? resubmit(TABLE.ACCEPT_OR_INGRESS) : output(p.ofport);
  if (p.stateless) return [{ table, priority, match: match(m), actions: accept }];
  const commit = rule.direction === 'egress' ? accept : `ct(commit,zone=${CT_ZONE}),${accept},${resubmit(TABLE.ACCEPTED_INGRESS_TRAFFIC)}`;
  return [
    { table, priority, match: match({ ct_state: CT.ESTABLISHED_NOT_REPLY, ...m }), actions: accept },
    { table, priority, match: match({ ct_state: CT.NEW_NOT_ESTABLISHED, ...m }), actions: commit },
  ];
}

function ruleFlowsOrThrow(p: FwPort, rule: SgRule, sg: SgInfo): FlowSpec[] {
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
  let remotes: MatchFields[] = [{}];
  if (remoteId !== undefined) {
    if (Object.keys(prefixField(rule, remoteSide)).length > 0) throw new RuleSkipped('a remote group together with a remote IP prefix');
    remotes = memberMatches(rule, remoteId, sg);
  }
  let l4: MatchFields[] = [{}];
  if (proto === PROTO.ICMP || proto === PROTO.IPV6_ICMP) l4 = [icmpMatch(rule)];
  else if (proto !== undefined) l4 = portMatches(rule, proto);
  const priority = RULE_BASE_PRIORITY + priorityOffset(rule, proto, remoteId !== undefined);
  const flows: FlowSpec[] = [];
  for (const r of remotes) for (const l of l4) flows.push(...acceptFlows(p, rule, priority, { ...base, ...r, ...l }));
  return flows;
}

/**
 * The accept flows of every rule of the port's groups. A rule that cannot be rendered
 * exactly is skipped (rules only allow: skipping one denies what it allowed) and
 * reported under `security_groups.<sg>[<index>]`.
 */
export function portRuleFlows(p: FwPort, sg: SgInfo, problems: Problem[], reported: Set<string>): FlowSpec[] {
  const flows: FlowSpec[] = [];
  for (const sgId of p.securityGroups) {
    (sg.security_groups[sgId] ?? []).forEach((rule, i) => {
      try {
        flows.push(...ruleFlowsOrThrow(p, rule, sg));
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
  return flows;
}
