/**
 * OVSDB value notation (RFC 7047 §5.1) and the typed Bridge/Port/Interface rows
 * decoded from it, with the values ovsdb-server 3.1 really sends (a one-element
 * set as a bare atom, `["set",[]]` for an unassigned ofport, …).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OvsdbDecodeError,
  decodeInteger,
  decodeOptional,
  decodeSet,
  decodeString,
  decodeStringMap,
  decodeUuid,
  decodeUuidSet,
  ovsdbEncode,
} from '../../../shared/drivers/ovs/ovsdb-notation.js';
import { decodeBridge, decodeInterface, decodePort, rowsEqual } from '../../../shared/drivers/ovs/ovsdb-rows.js';
import { bridgeCols, ifaceCols, map, portCols, ref, set, uuid } from './ovsdb-fake-peer.js';

const U1 = uuid(1);
const U2 = uuid(2);

test('sets: ["set", [...]], a bare atom as a one-element set, a bare uuid atom', () => {
  assert.deepEqual(decodeSet(['set', []]), []);
  assert.deepEqual(decodeSet(['set', [1, 2]]), [1, 2]);
  assert.deepEqual(decodeSet('a'), ['a']);
  assert.deepEqual(decodeSet(7), [7]);
  assert.deepEqual(decodeSet(false), [false]);
  assert.deepEqual(decodeSet(['uuid', U1]), [['uuid', U1]]);
  assert.deepEqual(decodeSet(['named-uuid', 'row1']), [['named-uuid', 'row1']]);
  for (const bad of [['map', []], null, undefined, {}, ['set'], ['set', 'x'], ['weird', 1]]) {
    assert.throws(() => decodeSet(bad), OvsdbDecodeError, JSON.stringify(bad));
  }
});

test('uuid references: single and sets, sorted; other atoms rejected', () => {
  assert.equal(decodeUuid(['uuid', U1]), U1);
  assert.deepEqual(decodeUuidSet(['uuid', U2]), [U2]);
  assert.deepEqual(decodeUuidSet(['set', [['uuid', U2], ['uuid', U1]]]), [U1, U2]);
  assert.deepEqual(decodeUuidSet(['set', []]), []);
  assert.throws(() => decodeUuid(U1), /expected \["uuid"/);
  assert.throws(() => decodeUuidSet(['set', ['x']]), OvsdbDecodeError);
});

test('optional values: empty set → undefined, one atom → value, two → error', () => {
  assert.equal(decodeOptional(['set', []], decodeInteger), undefined);
  assert.equal(decodeOptional(5, decodeInteger), 5);
  assert.equal(decodeOptional(['set', [5]], decodeInteger), 5);
  assert.equal(decodeOptional('up', decodeString), 'up');
  assert.throws(() => decodeOptional(['set', [1, 2]], decodeInteger), /at most one element/);
  assert.throws(() => decodeOptional('5', decodeInteger), /expected an integer, got "5"/);
  assert.throws(() => decodeInteger(1.5), OvsdbDecodeError);
});

test('string maps: pairs in order, unicode, a "__proto__" key stays an ordinary key', () => {
  assert.deepEqual(decodeStringMap(['map', []]), {});
  assert.deepEqual(decodeStringMap(['map', [['iface-id', 'X'], ['attached-mac', 'fa:16:3e:00:00:01'], ['ünï', '✓']]]), { 'iface-id': 'X', 'attached-mac': 'fa:16:3e:00:00:01', 'ünï': '✓' });
  const m = decodeStringMap(['map', [['__proto__', 'x']]]);
  assert.equal(Object.getPrototypeOf(m), Object.prototype);
  assert.equal(Object.prototype.hasOwnProperty.call(m, '__proto__'), true);
  for (const bad of [['set', []], ['map', [['k']]], ['map', [['k', 1]]], ['map', [[1, 'v']]], 'x']) {
    assert.throws(() => decodeStringMap(bad), OvsdbDecodeError, JSON.stringify(bad));
  }
});

test('encoders produce the notation the decoders read', () => {
  assert.deepEqual(ovsdbEncode.map({ a: 'b' }), ['map', [['a', 'b']]]);
  assert.deepEqual(decodeStringMap(ovsdbEncode.map({ a: 'b', c: 'd' })), { a: 'b', c: 'd' });
  assert.deepEqual(decodeUuidSet(ovsdbEncode.set([ovsdbEncode.uuid(U2), ovsdbEncode.uuid(U1)])), [U1, U2]);
  assert.deepEqual(ovsdbEncode.namedUuid('n'), ['named-uuid', 'n']);
});

test('Interface: ofport [] and -1 are "no port number", link states, error and mac_in_use', () => {
  const fresh = decodeInterface(U1, ifaceCols('tap1', { external_ids: map({ 'iface-id': 'X' }) }));
  assert.deepEqual(fresh, {
    uuid: U1, name: 'tap1', ofport: undefined, type: '', external_ids: { 'iface-id': 'X' }, options: {},
    error: undefined, mac_in_use: undefined, admin_state: undefined, link_state: undefined,
  });
  assert.ok(Object.isFrozen(fresh) && Object.isFrozen(fresh.external_ids));
  const up = decodeInterface(U1, ifaceCols('tap1', { ofport: 3, mac_in_use: 'aa:bb:cc:dd:ee:ff', admin_state: 'up', link_state: 'down' }));
  assert.equal(up.ofport, 3);
  assert.equal(up.mac_in_use, 'aa:bb:cc:dd:ee:ff');
  assert.equal(up.admin_state, 'up');
  assert.equal(up.link_state, 'down');
  const failed = decodeInterface(U1, ifaceCols('bad0', { ofport: -1, error: 'could not open network device bad0 (No such device)' }));
  assert.equal(failed.ofport, undefined);
  assert.match(failed.error ?? '', /No such device/);
  assert.equal(decodeInterface(U1, ifaceCols('p', { ofport: 0 })).ofport, 0, 'port 0 is a number, not "unset"');
  const vx = decodeInterface(U1, ifaceCols('vxlan-0a000001', { type: 'vxlan', options: map({ remote_ip: '10.0.0.1', key: 'flow' }) }));
  assert.deepEqual(vx.options, { remote_ip: '10.0.0.1', key: 'flow' });
});

test('rows decode with columns missing (schema defaults) and name the column that fails', () => {
  assert.deepEqual(decodeInterface(U1, { name: 'x' }).external_ids, {});
  assert.equal(decodePort(U1, {}).name, '');
  assert.deepEqual(decodeBridge(U1, { name: 'br-int' }).ports, []);
  assert.throws(() => decodeInterface(U1, ifaceCols('x', { link_state: 'sideways' })), /column link_state: expected "up" or "down"/);
  assert.throws(() => decodeInterface(U1, ifaceCols('x', { ofport: '1' })), (e: unknown) => e instanceof OvsdbDecodeError && /column ofport/.test(e.message));
  assert.throws(() => decodePort(U1, portCols('p', [], { tag: set(1, 2) })), /column tag/);
});

test('Port: tag optional integer, interfaces as sorted UUIDs (bare atom or set)', () => {
  const p = decodePort(U1, { ...portCols('tap1', []), interfaces: ref(9), tag: 4095 });
  assert.deepEqual(p.interfaces, [uuid(9)]);
  assert.equal(p.tag, 4095);
  assert.equal(decodePort(U1, portCols('trunk', [3, 2])).tag, undefined);
  assert.deepEqual(decodePort(U1, portCols('trunk', [3, 2])).interfaces, [uuid(2), uuid(3)]);
});

test('Bridge: ports, datapath_type, fail_mode, external_ids, other_config', () => {
  const b = decodeBridge(U1, bridgeCols('br-int', [5, 4], { fail_mode: 'secure', external_ids: map({ 'bridge-id': 'br-int' }), other_config: map({ 'datapath-id': '0000aabbccddeeff' }) }));
  assert.equal(decodeBridge(U1, bridgeCols('br-ex', [])).fail_mode, undefined);
  assert.deepEqual(b, {
    uuid: U1, name: 'br-int', ports: [uuid(4), uuid(5)], datapath_type: 'netdev', fail_mode: 'secure',
    external_ids: { 'bridge-id': 'br-int' }, other_config: { 'datapath-id': '0000aabbccddeeff' },
  });
});

test('rowsEqual compares decoded values, not identity or map order', () => {
  const a = decodeInterface(U1, ifaceCols('t', { external_ids: map({ a: '1', b: '2' }) }));
  const b = decodeInterface(U1, ifaceCols('t', { external_ids: ['map', [['b', '2'], ['a', '1']]] }));
  assert.equal(rowsEqual(a, b), true);
  assert.equal(rowsEqual(a, decodeInterface(U1, ifaceCols('t', { external_ids: map({ a: '1' }) }))), false);
  assert.equal(rowsEqual(a, decodeInterface(U1, ifaceCols('t', { external_ids: map({ a: '1', b: '2' }), ofport: 1 }))), false);
  assert.equal(rowsEqual(decodeInterface(U1, ifaceCols('t', { ofport: -1 })), decodeInterface(U1, ifaceCols('t'))), true, '-1 and [] decode the same');
  assert.equal(rowsEqual(decodePort(U1, portCols('p', [1, 2])), decodePort(U1, portCols('p', [2, 1]))), true);
});
