/**
 * Flows that belong to no port: table defaults and conntrack bookkeeping, as Neutron's
 * OVSFirewallDriver._drop_all_unmatched_flows, _initialize_common_flows,
 * _initialize_third_party_tables and the (port-independent) invalid-state drops of
 * _initialize_tracked_egress/_ingress.
 */
import type { FlowSpec } from '../model.js';
import { CT, TABLE } from './constants.js';
import { match, resubmit } from './match.js';

export function commonFlows(): FlowSpec[] {
  const flows: FlowSpec[] = [];
  for (const table of [TABLE.BASE_EGRESS, TABLE.RULES_EGRESS, TABLE.ACCEPT_OR_INGRESS, TABLE.BASE_INGRESS, TABLE.RULES_INGRESS]) {
    flows.push({ table, priority: 0, match: '', actions: 'drop' });
  }
  // A packet that reaches egress filtering already tracked (conntrack state from an
  // earlier pipeline stage) must be tracked again in its port's zone: forget the state.
  flows.push({ table: TABLE.BASE_EGRESS, priority: 110, match: match({ ct_state: CT.TRACKED }), actions: `ct_clear,${resubmit(TABLE.BASE_EGRESS)}` });
  // Hooks for other features; with none installed, accepted egress goes to NORMAL.
  flows.push({ table: TABLE.ACCEPTED_EGRESS_TRAFFIC_NORMAL, priority: 1, match: '', actions: 'NORMAL' });
  flows.push({ table: TABLE.ACCEPTED_EGRESS_TRAFFIC, priority: 1, match: '', actions: resubmit(TABLE.ACCEPTED_EGRESS_TRAFFIC_NORMAL) });
  flows.push({ table: TABLE.ACCEPTED_INGRESS_TRAFFIC, priority: 0, match: '', actions: 'drop' });
  flows.push({ table: TABLE.DROPPED_TRAFFIC, priority: 0, match: '', actions: 'drop' });
  // Invalid conntrack state: dropped in both directions, whatever the port.
  for (const table of [TABLE.RULES_EGRESS, TABLE.RULES_INGRESS]) {
    flows.push({ table, priority: 50, match: match({ ct_state: CT.INVALID }), actions: resubmit(TABLE.DROPPED_TRAFFIC) });
  }
  return flows;
}
