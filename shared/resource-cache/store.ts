/**
 * The cache's state, without I/O: records per type and id, the indexes the agent
 * reads by (ports of a security group, rules of a group, subnets of a network), the
 * queries answered so far (the scope, see queries.ts) and tombstones of deleted ids.
 *
 * Rules, as in Python's RemoteResourceCache (neutron/agent/resource_cache.py):
 * - an update whose revision_number is lower than the one held is stale and ignored
 *   (equal is accepted: the server does not always bump it);
 * - a deleted id is final: later updates for it (an out-of-order push, a bulk_pull
 *   answer that raced the delete) are ignored; the tombstone is kept for
 *   TOMBSTONE_TTL_MS, well beyond any RPC round trip, then forgotten (ids are UUIDs);
 * - an update that changes nothing but revision_number emits no event;
 * - deleting a security group deletes its rules: the server cascades them in the
 *   database without a push per rule (SecurityGroupServerAPIShim._clear_child_sg_rules).
 */
import { isDeepStrictEqual } from 'node:util';
import type { AddressGroupRecord, NetworkRecord, PortRecord, ResourceRecords, ResourceType, SecurityGroupRecord, SecurityGroupRuleRecord, SubnetRecord } from './ovo.js';
import { RESOURCE_TYPES } from './ovo.js';
import { boundToHost, queryKey, queryMatches, querySubject, type Query } from './queries.js';

export type ChangeKind = 'created' | 'updated' | 'deleted';

/** The `'changed'` event: one per record that appeared, changed or disappeared. */
export type ResourceChange = {
  [T in ResourceType]: { resourceType: T; id: string; event: ChangeKind; previous?: ResourceRecords[T]; current?: ResourceRecords[T] };
}[ResourceType];

export type PutOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'deleted' | 'out-of-scope';

/** What the pure readers (device-details.ts, sg-info.ts) need from a cache. */
export interface CacheReader {
  getPort(id: string): PortRecord | undefined;
  getNetwork(id: string): NetworkRecord | undefined;
  getSecurityGroup(id: string): SecurityGroupRecord | undefined;
  getAddressGroup(id: string): AddressGroupRecord | undefined;
  /** Rules of a group, sorted by id; complete only when hasRulesOf(sgId). */
  rulesOfGroup(sgId: string): SecurityGroupRuleRecord[];
  /** Ports held that are in the group, sorted by id; complete only when hasMembersOf(sgId). */
  portsInSecurityGroup(sgId: string): PortRecord[];
  /** The server was asked for this group's rules (and pushes keep them current). */
  hasRulesOf(sgId: string): boolean;
  /** The server was asked for this group's member ports. */
  hasMembersOf(sgId: string): boolean;
  /** Deleted recently (the tombstone is still held). */
  wasDeleted(type: ResourceType, id: string): boolean;
}

export interface ResourceStoreOptions {
  /** This agent's host: ports bound here are the roots of what the cache follows. */
  host: string;
  /** vnic types of the ports this agent serves (binding:vnic_type). */
  vnicTypes: readonly string[];
  onChange?: (change: ResourceChange) => void;
  now?: () => number;
  tombstoneTtlMs?: number;
}

export const TOMBSTONE_TTL_MS = 30 * 60_000;

type RecordMaps = { [T in ResourceType]: Map<string, ResourceRecords[T]> };

/** A multimap key → ids, for the secondary indexes. */
class Index {
  private readonly m = new Map<string, Set<string>>();
  add(key: string, id: string): void {
    let s = this.m.get(key);
    if (!s) this.m.set(key, (s = new Set()));
    s.add(id);
  }
  remove(key: string, id: string): void {
    const s = this.m.get(key);
    if (!s) return;
    s.delete(id);
    if (s.size === 0) this.m.delete(key);
  }
  get(key: string): string[] {
    return [...(this.m.get(key) ?? [])].sort();
  }
}

export class ResourceStore implements CacheReader {
  readonly host: string;
  readonly vnicTypes: ReadonlySet<string>;
  private readonly records: RecordMaps = {
    Port: new Map(),
    Network: new Map(),
    Subnet: new Map(),
    SecurityGroup: new Map(),
    SecurityGroupRule: new Map(),
    AddressGroup: new Map(),
  };
  private readonly tombstones = new Map<ResourceType, Map<string, number>>(RESOURCE_TYPES.map((t) => [t, new Map()]));
  private readonly satisfied = new Map<string, Query>();
  private readonly portsBySg = new Index();
  private readonly rulesBySg = new Index();
  private readonly subnetsByNet = new Index();
  private readonly onChange: (change: ResourceChange) => void;
  private readonly now: () => number;
  private readonly tombstoneTtlMs: number;

  constructor(opts: ResourceStoreOptions) {
    this.host = opts.host;
    this.vnicTypes = new Set(opts.vnicTypes);
    this.onChange = opts.onChange ?? (() => undefined);
    this.now = opts.now ?? Date.now;
    this.tombstoneTtlMs = opts.tombstoneTtlMs ?? TOMBSTONE_TTL_MS;
  }

  // ---- writes -------------------------------------------------------------

  /**
   * Stores a record. `scoped`: only if we hold it already or it falls inside an
   * answered query (pushes); answers to our own queries are stored unconditionally.
   */
  put<T extends ResourceType>(type: T, rec: ResourceRecords[T], opts: { scoped: boolean }): PutOutcome {
    if (this.wasDeleted(type, rec.id)) return 'deleted';
    const map = this.records[type] as Map<string, ResourceRecords[T]>;
    const existing = map.get(rec.id);
    if (existing && existing.revisionNumber > rec.revisionNumber) return 'stale';
    if (!existing && opts.scoped && !this.inScope(type, rec)) return 'out-of-scope';
    if (existing) this.unindex(type, existing);
    map.set(rec.id, rec);
    this.index(type, rec);
    if (existing && isDeepStrictEqual({ ...existing, revisionNumber: 0 }, { ...rec, revisionNumber: 0 })) return 'unchanged';
    const event: ChangeKind = existing ? 'updated' : 'created';
    this.onChange({ resourceType: type, id: rec.id, event, ...(existing ? { previous: existing } : {}), current: rec } as ResourceChange);
    return event;
  }

  /**
   * Records a deletion. Returns false for a duplicate (already tombstoned). A
   * `deleted` event is emitted only for a record we held.
   */
  remove(type: ResourceType, id: string): boolean {
    if (this.wasDeleted(type, id)) return false;
    this.tombstone(type, id);
    const map = this.records[type] as Map<string, ResourceRecords[ResourceType]>;
    const existing = map.get(id);
    if (type === 'SecurityGroup') {
      for (const ruleId of this.rulesBySg.get(id)) this.remove('SecurityGroupRule', ruleId);
    }
    // Queries about a deleted object would only be re-asked by every refresh for nothing.
    for (const q of queriesAbout(type, id)) this.satisfied.delete(queryKey(q));
    if (!existing) return true;
    map.delete(id);
    this.unindex(type, existing);
    this.onChange({ resourceType: type, id, event: 'deleted', previous: existing } as ResourceChange);
    return true;
  }

  markSatisfied(q: Query): void {
    this.satisfied.set(queryKey(q), q);
  }

  // ---- scope --------------------------------------------------------------

  isSatisfied(q: Query): boolean {
    return this.satisfied.has(queryKey(q));
  }

  satisfiedQueries(): Query[] {
    return [...this.satisfied.values()];
  }

  inScope<T extends ResourceType>(type: T, rec: ResourceRecords[T]): boolean {
    for (const q of this.satisfied.values()) if (queryMatches(q, type, rec, this.vnicTypes)) return true;
    return false;
  }

  /** The ports whose dependencies the cache follows: bound to this host, or pulled by id. */
  rootPorts(): PortRecord[] {
    return [...this.records.Port.values()].filter(
      (p) => boundToHost(p, this.host, this.vnicTypes) || this.isSatisfied({ type: 'Port', by: 'id', value: p.id }),
    );
  }

  /**
   * Queries still to ask so that every root port's network, subnets, security
   * groups, rules, remote-group members and remote address groups are held.
   */
  missingQueries(): Query[] {
    const out = new Map<string, Query>();
    const need = (q: Query): void => {
      // A root port may still name a group or network deleted a moment ago: not worth asking.
      const subject = querySubject(q);
      if (subject && this.wasDeleted(subject.type, subject.id)) return;
      if (!this.isSatisfied(q)) out.set(queryKey(q), q);
    };
    need({ type: 'Port', by: 'host', value: this.host });
    for (const p of this.rootPorts()) {
      need({ type: 'Network', by: 'id', value: p.networkId });
      need({ type: 'Subnet', by: 'network_id', value: p.networkId });
      for (const sg of p.securityGroupIds) {
        need({ type: 'SecurityGroup', by: 'id', value: sg });
        need({ type: 'SecurityGroupRule', by: 'security_group_id', value: sg });
        for (const r of this.rulesOfGroup(sg)) {
          if (r.remoteGroupId) need({ type: 'Port', by: 'security_group_ids', value: r.remoteGroupId });
          if (r.remoteAddressGroupId) need({ type: 'AddressGroup', by: 'id', value: r.remoteAddressGroupId });
        }
      }
    }
    return [...out.values()];
  }

  // ---- reads --------------------------------------------------------------

  get<T extends ResourceType>(type: T, id: string): ResourceRecords[T] | undefined {
    return (this.records[type] as Map<string, ResourceRecords[T]>).get(id);
  }

  /** Every record of a type, sorted by id. */
  all<T extends ResourceType>(type: T): ResourceRecords[T][] {
    return [...(this.records[type] as Map<string, ResourceRecords[T]>).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  ids(type: ResourceType): string[] {
    return [...this.records[type].keys()];
  }

  counts(): Record<ResourceType, number> {
    return Object.fromEntries(RESOURCE_TYPES.map((t) => [t, this.records[t].size])) as Record<ResourceType, number>;
  }

  getPort(id: string): PortRecord | undefined {
    return this.records.Port.get(id);
  }
  getNetwork(id: string): NetworkRecord | undefined {
    return this.records.Network.get(id);
  }
  getSubnet(id: string): SubnetRecord | undefined {
    return this.records.Subnet.get(id);
  }
  getSecurityGroup(id: string): SecurityGroupRecord | undefined {
    return this.records.SecurityGroup.get(id);
  }
  getSecurityGroupRule(id: string): SecurityGroupRuleRecord | undefined {
    return this.records.SecurityGroupRule.get(id);
  }
  getAddressGroup(id: string): AddressGroupRecord | undefined {
    return this.records.AddressGroup.get(id);
  }

  /** Ports with a binding (any status, any vnic type) on `host`, sorted by id. */
  portsOnHost(host: string): PortRecord[] {
    return this.all('Port').filter((p) => p.bindings.some((b) => b.host === host));
  }

  portsInSecurityGroup(sgId: string): PortRecord[] {
    return this.portsBySg.get(sgId).map((id) => this.records.Port.get(id)!);
  }

  rulesOfGroup(sgId: string): SecurityGroupRuleRecord[] {
    return this.rulesBySg.get(sgId).map((id) => this.records.SecurityGroupRule.get(id)!);
  }

  subnetsOfNetwork(networkId: string): SubnetRecord[] {
    return this.subnetsByNet.get(networkId).map((id) => this.records.Subnet.get(id)!);
  }

  hasRulesOf(sgId: string): boolean {
    return this.isSatisfied({ type: 'SecurityGroupRule', by: 'security_group_id', value: sgId });
  }

  hasMembersOf(sgId: string): boolean {
    return this.isSatisfied({ type: 'Port', by: 'security_group_ids', value: sgId });
  }

  wasDeleted(type: ResourceType, id: string): boolean {
    const t = this.tombstones.get(type)!.get(id);
    return t !== undefined && this.now() - t < this.tombstoneTtlMs;
  }

  // ---- internals ----------------------------------------------------------

  private tombstone(type: ResourceType, id: string): void {
    const m = this.tombstones.get(type)!;
    const now = this.now();
    m.delete(id);
    m.set(id, now);
    // Insertion order is time order: drop expired ones from the front.
    for (const [k, t] of m) {
      if (now - t < this.tombstoneTtlMs) break;
      m.delete(k);
    }
  }

  private index(type: ResourceType, rec: ResourceRecords[ResourceType]): void {
    if (type === 'Port') for (const sg of (rec as PortRecord).securityGroupIds) this.portsBySg.add(sg, rec.id);
    else if (type === 'SecurityGroupRule') this.rulesBySg.add((rec as SecurityGroupRuleRecord).securityGroupId, rec.id);
    else if (type === 'Subnet') this.subnetsByNet.add((rec as SubnetRecord).networkId, rec.id);
  }

  private unindex(type: ResourceType, rec: ResourceRecords[ResourceType]): void {
    if (type === 'Port') for (const sg of (rec as PortRecord).securityGroupIds) this.portsBySg.remove(sg, rec.id);
    else if (type === 'SecurityGroupRule') this.rulesBySg.remove((rec as SecurityGroupRuleRecord).securityGroupId, rec.id);
    else if (type === 'Subnet') this.subnetsByNet.remove((rec as SubnetRecord).networkId, rec.id);
  }
}

/** The queries whose only subject is the object `type`/`id` (dropped when it is deleted). */
function queriesAbout(type: ResourceType, id: string): Query[] {
  switch (type) {
    case 'Port':
      return [{ type: 'Port', by: 'id', value: id }];
    case 'Network':
      return [
        { type: 'Network', by: 'id', value: id },
        { type: 'Subnet', by: 'network_id', value: id },
      ];
    case 'SecurityGroup':
      return [
        { type: 'SecurityGroup', by: 'id', value: id },
        { type: 'SecurityGroupRule', by: 'security_group_id', value: id },
        { type: 'Port', by: 'security_group_ids', value: id },
      ];
    case 'AddressGroup':
      return [{ type: 'AddressGroup', by: 'id', value: id }];
    default:
      return [];
  }
}
