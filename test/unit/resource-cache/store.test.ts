/**
 * ResourceStore: revision ordering, tombstones, events, scope, indexes and the
 * closure of queries a host's ports need. Pure: no RPC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceStore, type ResourceChange } from '../../../shared/resource-cache/store.js';
import { decodePort, decodeSecurityGroupRule, decodeSecurityGroup, type PortRecord, type SecurityGroupRuleRecord } from '../../../shared/resource-cache/ovo.js';
import { HOST, NET, SG, SG2, portPrim, rulePrim, sgPrim, uuid } from './fixtures.js';

function port(o: Parameters<typeof portPrim>[0]): PortRecord {
  const d = decodePort(portPrim(o));
  if (!d.ok) throw new Error(d.reason);
  return d.value;
}

function rule(id: string, over: Record<string, unknown> = {}): SecurityGroupRuleRecord {
  const d = decodeSecurityGroupRule(rulePrim(id, over));
  if (!d.ok) throw new Error(d.reason);
  return d.value;
}

function newStore(now = () => 0): { store: ResourceStore; events: ResourceChange[] } {
  const events: ResourceChange[] = [];
  return { store: new ResourceStore({ host: HOST, vnicTypes: ['normal'], onChange: (c) => events.push(c), now }), events };
}

test('an older revision is ignored, an equal one accepted, an unchanged one is silent', () => {
  const { store, events } = newStore();
  const id = uuid();
  assert.equal(store.put('Port', port({ id, rev: 5, ip: '10.0.0.5' }), { scoped: false }), 'created');
  assert.equal(store.put('Port', port({ id, rev: 4, ip: '10.0.0.4' }), { scoped: false }), 'stale');
  assert.equal(store.getPort(id)?.fixedIps[0]?.ipAddress, '10.0.0.5');
  assert.equal(store.put('Port', port({ id, rev: 5, ip: '10.0.0.6' }), { scoped: false }), 'updated');
  assert.equal(store.put('Port', port({ id, rev: 6, ip: '10.0.0.6' }), { scoped: false }), 'unchanged');
  assert.equal(store.getPort(id)?.revisionNumber, 6);
  assert.deepEqual(events.map((e) => [e.event, e.previous?.revisionNumber, e.current?.revisionNumber]), [
    ['created', undefined, 5],
    ['updated', 5, 5],
  ]);
});

test('the same updates in any order end in the same state (highest revision wins)', () => {
  const id = uuid();
  const updates = [1, 2, 3, 4].map((rev) => port({ id, rev, ip: `10.0.0.${rev}` }));
  const orders = [updates, [...updates].reverse(), [updates[2]!, updates[0]!, updates[3]!, updates[1]!]];
  for (const order of orders) {
    const { store } = newStore();
    for (const u of order) store.put('Port', u, { scoped: false });
    assert.equal(store.getPort(id)?.fixedIps[0]?.ipAddress, '10.0.0.4');
  }
});

test('a deletion is final: later updates are ignored, a duplicate delete is silent', () => {
  let now = 0;
  const { store, events } = newStore(() => now);
  const id = uuid();
  store.put('Port', port({ id }), { scoped: false });
  assert.equal(store.remove('Port', id), true);
  assert.equal(store.remove('Port', id), false);
  assert.equal(store.put('Port', port({ id, rev: 99 }), { scoped: false }), 'deleted');
  assert.equal(store.getPort(id), undefined);
  assert.deepEqual(events.map((e) => e.event), ['created', 'deleted']);
  assert.equal((events[1] as { previous?: PortRecord }).previous?.id, id);
  // A delete of something never held is remembered but emits nothing.
  const other = uuid();
  assert.equal(store.remove('Port', other), true);
  assert.equal(events.length, 2);
  assert.equal(store.wasDeleted('Port', other), true);
  // Tombstones expire.
  now += 31 * 60_000;
  assert.equal(store.wasDeleted('Port', other), false);
});

test('deleting a security group deletes its rules (the server cascades them silently)', () => {
  const { store, events } = newStore();
  const g = decodeSecurityGroup(sgPrim());
  assert.ok(g.ok);
  if (!g.ok) return;
  store.put('SecurityGroup', g.value.group, { scoped: false });
  const r1 = uuid();
  const r2 = uuid();
  store.put('SecurityGroupRule', rule(r1), { scoped: false });
  store.put('SecurityGroupRule', rule(r2), { scoped: false });
  store.put('SecurityGroupRule', rule(uuid(), { security_group_id: SG2 }), { scoped: false });
  assert.equal(store.rulesOfGroup(SG).length, 2);
  store.remove('SecurityGroup', SG);
  assert.deepEqual(store.rulesOfGroup(SG), []);
  assert.equal(store.rulesOfGroup(SG2).length, 1);
  assert.deepEqual(events.filter((e) => e.event === 'deleted').map((e) => [e.resourceType, e.id]).sort(), [
    ['SecurityGroup', SG],
    ['SecurityGroupRule', r1],
    ['SecurityGroupRule', r2],
  ].sort());
});

test('scoped puts keep only objects inside an answered query or already held', () => {
  const { store } = newStore();
  const here = uuid();
  const elsewhere = uuid();
  const member = uuid();
  // Nothing asked yet: nothing is in scope.
  assert.equal(store.put('Port', port({ id: here }), { scoped: true }), 'out-of-scope');
  store.markSatisfied({ type: 'Port', by: 'host', value: HOST });
  assert.equal(store.put('Port', port({ id: here }), { scoped: true }), 'created');
  assert.equal(store.put('Port', port({ id: elsewhere, host: 'other', sgs: [SG2] }), { scoped: true }), 'out-of-scope');
  store.markSatisfied({ type: 'Port', by: 'security_group_ids', value: SG2 });
  assert.equal(store.put('Port', port({ id: member, host: 'other', sgs: [SG2] }), { scoped: true }), 'created');
  // A held port moving out of every scope is still updated.
  assert.equal(store.put('Port', port({ id: here, host: 'other', rev: 2 }), { scoped: true }), 'updated');
  // A port of another vnic type on this host is not ours.
  const direct = uuid();
  const p = port({ id: direct });
  assert.equal(store.put('Port', { ...p, bindings: p.bindings.map((b) => ({ ...b, vnicType: 'direct' })) }, { scoped: true }), 'out-of-scope');
  assert.deepEqual(store.portsInSecurityGroup(SG2).map((x) => x.id), [member]);
  assert.deepEqual(store.portsOnHost('other').map((x) => x.id).sort(), [here, member].sort());
});

test('missing queries: the host first, then each host port needs its network, subnets, groups, rules, members and address groups', () => {
  const { store } = newStore();
  assert.deepEqual(store.missingQueries(), [{ type: 'Port', by: 'host', value: HOST }]);
  store.markSatisfied({ type: 'Port', by: 'host', value: HOST });
  const p = uuid();
  store.put('Port', port({ id: p, sgs: [SG] }), { scoped: false });
  store.put('Port', port({ id: uuid(), host: 'other', sgs: [SG2] }), { scoped: false }); // not ours: no needs
  const keys = (): string[] => store.missingQueries().map((q) => `${q.type}|${q.by}|${q.value}`).sort();
  assert.deepEqual(keys(), [`Network|id|${NET}`, `SecurityGroup|id|${SG}`, `SecurityGroupRule|security_group_id|${SG}`, `Subnet|network_id|${NET}`].sort());
  for (const q of store.missingQueries()) store.markSatisfied(q);
  assert.deepEqual(keys(), []);
  const ag = uuid();
  store.put('SecurityGroupRule', rule(uuid(), { remote_group_id: SG2 }), { scoped: false });
  store.put('SecurityGroupRule', rule(uuid(), { remote_address_group_id: ag }), { scoped: false });
  assert.deepEqual(keys(), [`AddressGroup|id|${ag}`, `Port|security_group_ids|${SG2}`].sort());
  // A port pulled by id is a root too.
  const pulled = uuid();
  store.markSatisfied({ type: 'Port', by: 'id', value: pulled });
  store.put('Port', port({ id: pulled, host: 'other', sgs: ['66666666-6666-4666-8666-666666666666'] }), { scoped: false });
  assert.ok(keys().includes('SecurityGroup|id|66666666-6666-4666-8666-666666666666'));
});

test('indexes follow updates: a port leaving a group leaves its member list', () => {
  const { store } = newStore();
  const id = uuid();
  store.put('Port', port({ id, sgs: [SG, SG2] }), { scoped: false });
  assert.deepEqual(store.portsInSecurityGroup(SG2).map((p) => p.id), [id]);
  store.put('Port', port({ id, sgs: [SG], rev: 2 }), { scoped: false });
  assert.deepEqual(store.portsInSecurityGroup(SG2), []);
  assert.deepEqual(store.portsInSecurityGroup(SG).map((p) => p.id), [id]);
  store.remove('Port', id);
  assert.deepEqual(store.portsInSecurityGroup(SG), []);
});

test('a deleted object\'s queries are forgotten, and a root port still naming it does not make us ask again', () => {
  const { store } = newStore();
  store.markSatisfied({ type: 'Port', by: 'host', value: HOST });
  const p = uuid();
  store.put('Port', port({ id: p, sgs: [SG] }), { scoped: false });
  for (const q of store.missingQueries()) store.markSatisfied(q);
  store.markSatisfied({ type: 'Port', by: 'security_group_ids', value: SG });
  store.remove('SecurityGroup', SG);
  const keys = store.satisfiedQueries().map((q) => `${q.type}|${q.by}|${q.value}`);
  assert.ok(!keys.some((k) => k.endsWith(SG)), keys.join());
  assert.deepEqual(store.missingQueries(), []);
  store.remove('Network', NET);
  assert.deepEqual(store.missingQueries(), []);
  assert.ok(!store.satisfiedQueries().some((q) => q.value === NET));
});
