/**
 * The Bridge/Port/Interface replica: inserts, merged modifies, deletes, one diff per
 * update message, no-effect updates, resync diffs, lookups, undecodable rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OvsdbTables, isEmptyChange } from '../../../shared/drivers/ovs/ovsdb-tables.js';
import type { OvsdbTableUpdates } from '../../../shared/drivers/ovs/ovsdb-client.js';
import { bridgeCols, ifaceCols, map, portCols, uuid } from './ovsdb-fake-peer.js';

const names = (rows: Array<{ name: string }>): string[] => rows.map((r) => r.name).sort();

/** br-int (1) with port/interface br-int (2/3). */
function initial(): OvsdbTableUpdates {
  return {
    Bridge: { [uuid(1)]: { new: bridgeCols('br-int', [2]) } },
    Port: { [uuid(2)]: { new: portCols('br-int', [3]) } },
    Interface: { [uuid(3)]: { new: ifaceCols('br-int', { type: 'internal', ofport: 65534 }) } },
  };
}

/** add-port tap1 (port 12, interface 13) to br-int: one message, as ovs-vsctl's transaction gives. */
function addTap(): OvsdbTableUpdates {
  return {
    Bridge: { [uuid(1)]: { old: { ports: ['uuid', uuid(2)] }, new: bridgeCols('br-int', [2, 12]) } },
    Port: { [uuid(12)]: { new: portCols('tap1', [13], { tag: 1 }) } },
    Interface: { [uuid(13)]: { new: ifaceCols('tap1', { external_ids: map({ 'iface-id': 'X' }) }) } },
  };
}

test('replace() on an empty replica reports every row as added', () => {
  const t = new OvsdbTables();
  const { change, issues } = t.replace(initial());
  assert.deepEqual(issues, []);
  assert.deepEqual(names(change.bridges.added), ['br-int']);
  assert.deepEqual(names(change.ports.added), ['br-int']);
  assert.deepEqual(names(change.interfaces.added), ['br-int']);
  assert.equal(change.interfaces.added[0]?.ofport, 65534);
  assert.deepEqual(t.counts, { bridges: 1, ports: 1, interfaces: 1 });
});

test('one update message gives one diff across tables; the ofport follow-up is a change', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  const add = t.apply(addTap()).change;
  assert.deepEqual(names(add.ports.added), ['tap1']);
  assert.deepEqual(names(add.interfaces.added), ['tap1']);
  assert.equal(add.interfaces.added[0]?.ofport, undefined);
  assert.deepEqual(names(add.bridges.changed), ['br-int']);
  assert.deepEqual(add.bridges.changed[0]?.ports, [uuid(2), uuid(12)]);
  // vswitchd's own transaction: ofport, mac_in_use, states.
  const ofport = t.apply({ Interface: { [uuid(13)]: { old: { ofport: ['set', []] }, new: ifaceCols('tap1', { external_ids: map({ 'iface-id': 'X' }), ofport: 7, admin_state: 'up', link_state: 'up' }) } } }).change;
  assert.deepEqual(ofport.interfaces.added, []);
  assert.equal(ofport.interfaces.changed[0]?.ofport, 7);
  assert.equal(t.interfaceByName('tap1')?.ofport, 7);
});

test('a modify that sends only some columns is merged over the row, not a reset', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  t.apply(addTap());
  const c = t.apply({ Interface: { [uuid(13)]: { new: { ofport: 9 } } } }).change;
  assert.equal(c.interfaces.changed[0]?.ofport, 9);
  assert.deepEqual(c.interfaces.changed[0]?.external_ids, { 'iface-id': 'X' }, 'other columns kept');
});

test('updates without decoded effect produce an empty diff (and keep the same row object)', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  const before = t.interfaceByName('br-int');
  const r = t.apply({ Interface: { [uuid(3)]: { new: ifaceCols('br-int', { type: 'internal', ofport: 65534 }) } }, Unrelated: { x: { new: {} } } });
  assert.equal(isEmptyChange(r.change), true);
  // Equal rows are replaced by an equal value; either object is fine for consumers.
  assert.deepEqual(t.interfaceByName('br-int'), before);
});

test('delete reports the last known row; lookups follow', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  t.apply(addTap());
  assert.equal(t.portOfInterface(uuid(13))?.name, 'tap1');
  assert.equal(t.bridgeOfPort(uuid(12))?.name, 'br-int');
  const del = t.apply({
    Bridge: { [uuid(1)]: { new: bridgeCols('br-int', [2]) } },
    Port: { [uuid(12)]: { old: portCols('tap1', [13]) } },
    Interface: { [uuid(13)]: { old: ifaceCols('tap1') } },
  }).change;
  assert.deepEqual(names(del.ports.removed), ['tap1']);
  assert.deepEqual(del.interfaces.removed[0]?.external_ids, { 'iface-id': 'X' }, 'the last known row, not the old columns');
  assert.equal(t.interfaceByName('tap1'), undefined);
  assert.equal(t.portOfInterface(uuid(13)), undefined);
  assert.equal(t.bridgeOfPort(uuid(12)), undefined);
  assert.deepEqual(t.apply({ Interface: { [uuid(99)]: { old: ifaceCols('ghost') } } }).change.interfaces.removed, [], 'deleting an unknown row is no change');
});

test('lookups: by name, by iface-id, port of interface (uuid or row), bridge of port', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  t.apply(addTap());
  const tap = t.interfaceByName('tap1');
  assert.ok(tap);
  assert.equal(t.portOfInterface(tap)?.uuid, uuid(12));
  const port = t.portByName('tap1');
  assert.ok(port);
  assert.equal(t.bridgeOfPort(port)?.name, 'br-int');
  assert.equal(t.bridgeByName('br-int')?.uuid, uuid(1));
  assert.deepEqual(t.interfacesByIfaceId('X').map((i) => i.name), ['tap1']);
  assert.deepEqual(t.interfacesByIfaceId('Y'), []);
  assert.equal(t.interface(uuid(3))?.name, 'br-int');
  assert.equal(t.port(uuid(99)), undefined);
  assert.equal(t.bridge(uuid(1))?.name, 'br-int');
});

test('replace() after a gap diffs against the old replica: added, changed, removed', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  t.apply(addTap());
  // While disconnected: tap1 deleted, tap2 added, br-int got external_ids.
  const next: OvsdbTableUpdates = {
    Bridge: { [uuid(1)]: { new: bridgeCols('br-int', [2, 22], { external_ids: map({ 'bridge-id': 'br-int' }) }) } },
    Port: { [uuid(2)]: { new: portCols('br-int', [3]) }, [uuid(22)]: { new: portCols('tap2', [23]) } },
    Interface: { [uuid(3)]: { new: ifaceCols('br-int', { type: 'internal', ofport: 65534 }) }, [uuid(23)]: { new: ifaceCols('tap2', { ofport: 8 }) } },
  };
  const { change } = t.replace(next);
  assert.deepEqual(names(change.bridges.changed), ['br-int']);
  assert.deepEqual(names(change.ports.added), ['tap2']);
  assert.deepEqual(names(change.ports.removed), ['tap1']);
  assert.deepEqual(names(change.interfaces.added), ['tap2']);
  assert.deepEqual(names(change.interfaces.removed), ['tap1']);
  assert.deepEqual(change.interfaces.changed, [], 'br-int interface unchanged');
  assert.equal(t.interfaceByName('tap1'), undefined);
  assert.equal(t.portOfInterface(uuid(23))?.name, 'tap2');
  // The same initial rows again: an empty diff.
  assert.equal(isEmptyChange(t.replace(next).change), true);
});

test('replace() applies updates that arrived before the initial rows were handled, in order', () => {
  const t = new OvsdbTables();
  const { change } = t.replace(initial(), [addTap(), { Interface: { [uuid(13)]: { new: { ofport: 4 } } } }]);
  assert.deepEqual(names(change.interfaces.added), ['br-int', 'tap1']);
  assert.equal(t.interfaceByName('tap1')?.ofport, 4);
});

test('an undecodable row is left out and reported; a later good update brings it back', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  t.apply(addTap());
  const bad = t.apply({ Interface: { [uuid(13)]: { new: { link_state: 'sideways' } } } });
  assert.equal(bad.issues.length, 1);
  assert.equal(bad.issues[0]?.table, 'Interface');
  assert.equal(bad.issues[0]?.uuid, uuid(13));
  assert.match(bad.issues[0]?.err.message ?? '', /link_state/);
  assert.deepEqual(names(bad.change.interfaces.removed), ['tap1']);
  assert.equal(t.interfaceByName('tap1'), undefined);
  const good = t.apply({ Interface: { [uuid(13)]: { new: { link_state: 'up' } } } });
  assert.deepEqual(good.issues, []);
  assert.deepEqual(names(good.change.interfaces.added), ['tap1']);
  assert.deepEqual(t.interfaceByName('tap1')?.external_ids, { 'iface-id': 'X' }, 'columns kept while undecodable');
});

test('snapshot() is a copy: later updates do not show in an earlier snapshot', () => {
  const t = new OvsdbTables();
  t.replace(initial());
  const snap = t.snapshot();
  t.apply(addTap());
  assert.equal(snap.interfaces.size, 1);
  assert.equal(t.snapshot().interfaces.size, 2);
});
