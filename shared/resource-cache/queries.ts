/**
 * What the cache asked the server, as single-valued queries (Python's
 * RemoteResourceCache._get_query_ids splits `{id: [a, b]}` into `{id: [a]}` and
 * `{id: [b]}` the same way): the union of the answered queries is the cache's
 * *scope*. A push for an object outside the scope that we do not hold is dropped;
 * everything inside it is kept current by pushes; `refresh()` re-asks them all.
 *
 * The queries the Python OVS agent's cache makes in Zed (agent/rpc.py
 * CacheBackedPluginApi, api/rpc/handlers/securitygroups_rpc.py
 * SecurityGroupServerAPIShim), which we make too:
 *   Port {id}                      — get_device_details on a miss
 *   Network {id}                   — the network of a port, for details
 *   SecurityGroupRule {security_group_id}, SecurityGroup {id} — rules, stateful
 *   Port {security_group_ids}      — members of a remote group
 *   AddressGroup {id}              — remote address groups
 * plus, because we flood at start instead of waiting for the first miss:
 *   Port bound to <host>           — ids from get_ports_by_vnic_type_and_host, then Port {id}
 *   Subnet {network_id}            — the subnets of our networks
 */
import type { PortRecord, ResourceRecords, ResourceType } from './ovo.js';

export type Query =
  | { type: 'Port'; by: 'host'; value: string }
  | { type: 'Port'; by: 'id'; value: string }
  | { type: 'Port'; by: 'security_group_ids'; value: string }
  | { type: 'Network'; by: 'id'; value: string }
  | { type: 'Subnet'; by: 'network_id'; value: string }
  | { type: 'SecurityGroup'; by: 'id'; value: string }
  | { type: 'SecurityGroupRule'; by: 'security_group_id'; value: string }
  | { type: 'AddressGroup'; by: 'id'; value: string };

export type QueryField = Query['by'];

export function queryKey(q: Query): string {
  return `${q.type}|${q.by}|${q.value}`;
}

/** Does a record fall inside the answer of query q? */
export function queryMatches<T extends ResourceType>(q: Query, type: T, rec: ResourceRecords[T], vnicTypes: ReadonlySet<string>): boolean {
  if (q.type !== type) return false;
  switch (q.by) {
    case 'id':
      return (rec as { id: string }).id === q.value;
    case 'host':
      return boundToHost(rec as PortRecord, q.value, vnicTypes);
    case 'security_group_ids':
      return (rec as PortRecord).securityGroupIds.includes(q.value);
    case 'network_id':
      return (rec as ResourceRecords['Subnet']).networkId === q.value;
    case 'security_group_id':
      return (rec as ResourceRecords['SecurityGroupRule']).securityGroupId === q.value;
  }
}

/**
 * A port this host serves: it has a binding (active or not: a live-migration target
 * has an INACTIVE one) for the host, with a vnic type we handle.
 */
export function boundToHost(p: PortRecord, host: string, vnicTypes: ReadonlySet<string>): boolean {
  return p.bindings.some((b) => b.host === host && vnicTypes.has(b.vnicType));
}

/** The object a query is about (the host listing is about none). */
export function querySubject(q: Query): { type: ResourceType; id: string } | undefined {
  switch (q.by) {
    case 'host':
      return undefined;
    case 'id':
      return { type: q.type, id: q.value };
    case 'network_id':
      return { type: 'Network', id: q.value };
    case 'security_group_id':
    case 'security_group_ids':
      return { type: 'SecurityGroup', id: q.value };
  }
}

/** Queries grouped into one bulk_pull each (multiple values of one field are ORed by the server). */
export function groupQueries(queries: readonly Query[]): Array<{ type: ResourceType; by: QueryField; values: string[] }> {
  const groups = new Map<string, { type: ResourceType; by: QueryField; values: string[] }>();
  for (const q of queries) {
    const k = `${q.type}|${q.by}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { type: q.type, by: q.by, values: [] }));
    if (!g.values.includes(q.value)) g.values.push(q.value);
  }
  return [...groups.values()];
}
