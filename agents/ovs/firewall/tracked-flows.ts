/**
 * Conntrack-state flows of a stateful port in the rules tables (72 egress, 82 ingress),
 * as Neutron's _initialize_tracked_egress/_ingress: replies and related packets of
 * accepted connections pass, connections marked invalid are dropped, new ones that no
 * rule accepted are dropped, and an established connection that no rule accepts any
 * more (its rule was removed) is marked invalid so its next packets are dropped.
 */
import type { FlowSpec } from '../model.js';
import { CT, CT_MARK_INVALID, CT_MARK_NORMAL, CT_ZONE, ETH, TABLE } from './constants.js';
import type { FwPort } from './firewall-port.js';
import { match, output, resubmit } from './match.js';

function trackedFlows(p: FwPort, table: number, accept: string): FlowSpec[] {
  const me = { reg5: p.ofport };
  const drop = resubmit(TABLE.DROPPED_TRAFFIC);
  const flows: FlowSpec[] = [{ table, priority: 50, match: match({ ct_mark: CT_MARK_INVALID, ...me }), actions: drop }];
  for (const state of [CT.ESTABLISHED_REPLY, CT.RELATED]) {
    flows.push({ table, priority: 50, match: match({ ct_state: state, ct_mark: CT_MARK_NORMAL, ct_zone: p.vlan, ...me }), actions: accept });
  }
  flows.push({ table, priority: 40, match: match({ ct_state: CT.NOT_ESTABLISHED, ...me }), actions: drop });
  for (const dl_type of [ETH.IP, ETH.IPV6]) {
    flows.push({ table, priority: 40, match: match({ ct_state: CT.ESTABLISHED, ...me, dl_type }), actions: `ct(commit,zone=${CT_ZONE},exec(set_field:${CT_MARK_INVALID}->ct_mark))` });
  }
  return flows;
}

export function portTrackedFlows(p: FwPort): FlowSpec[] {
  if (p.stateless) return [];
  return [
    ...trackedFlows(p, TABLE.RULES_EGRESS, resubmit(TABLE.ACCEPTED_EGRESS_TRAFFIC_NORMAL)),
    ...trackedFlows(p, TABLE.RULES_INGRESS, output(p.ofport)),
  ];
}
