/**
 * The parsers behind the OVS driver's reads, on recorded ovs-vsctl 3.1 and ethtool 6.1
 * output: the integration bridge in one process (bridge, ports, interfaces), and the
 * checksum offload of a veth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChecksumOffload, parseIntegrationBridge, readIntegrationBridgeArgv } from '../../../shared/drivers/interface-driver/index.js';
import { OvsdbDecodeError } from '../../../shared/drivers/ovs/ovs-vsctl.js';

// `ovs-vsctl --format=json -- --columns=datapath_type,ports find Bridge name="br-x"
//  -- --columns=_uuid,name list Port -- --columns=name,external_ids list Interface`
const RECORDED = [
  '{"data":[["netdev",["set",[["uuid","81498164-2d79-4dcd-b4e2-25c9e824b1a2"],["uuid","d8034491-1b77-4302-9955-cc1fd45dd96e"]]]]],"headings":["datapath_type","ports"]}',
  '{"data":[[["uuid","a9b68bd4-c57b-463d-b7a5-5f94d44bd36b"],"br-y"],[["uuid","81498164-2d79-4dcd-b4e2-25c9e824b1a2"],"br-x"],[["uuid","d8034491-1b77-4302-9955-cc1fd45dd96e"],"tapa"],[["uuid","b01afe32-899b-4672-8171-e40c9d0944d9"],"tapb"]],"headings":["_uuid","name"]}',
  '{"data":[["br-y",["map",[]]],["tapb",["map",[]]],["br-x",["map",[]]],["tapa",["map",[["iface-id","a"],["nucleon-owner","dhcp"]]]]],"headings":["name","external_ids"]}',
  '',
].join('\n');

test('argv: one ovs-vsctl, per-command --columns, the bridge found by name (quoted)', () => {
  assert.deepEqual(readIntegrationBridgeArgv(['--db=unix:/x', '--timeout=10'], 'br-int'), [
    'ovs-vsctl', '--db=unix:/x', '--timeout=10', '--format=json',
    '--', '--columns=datapath_type,ports', 'find', 'Bridge', 'name="br-int"',
    '--', '--columns=_uuid,name', 'list', 'Port',
    '--', '--columns=name,external_ids', 'list', 'Interface',
  ]);
  assert.throws(() => readIntegrationBridgeArgv([], 'br int'));
});

test('recorded output: datapath type, which interfaces sit on the bridge, their external_ids', () => {
  const s = parseIntegrationBridge(RECORDED, 'br-x');
  assert.equal(s.exists, true);
  assert.equal(s.datapathType, 'netdev');
  assert.deepEqual(s.interfaces.get('tapa'), { name: 'tapa', onBridge: true, externalIds: { 'iface-id': 'a', 'nucleon-owner': 'dhcp' } });
  assert.deepEqual(s.interfaces.get('tapb'), { name: 'tapb', onBridge: false, externalIds: {} });
  assert.equal(s.interfaces.get('br-y')?.onBridge, false);
});

test('a bridge with a single port (OVSDB prints a bare uuid, not a set)', () => {
  const one = [
    '{"data":[["",["uuid","81498164-2d79-4dcd-b4e2-25c9e824b1a2"]]],"headings":["datapath_type","ports"]}',
    '{"data":[[["uuid","81498164-2d79-4dcd-b4e2-25c9e824b1a2"],"br-x"]],"headings":["_uuid","name"]}',
    '{"data":[["br-x",["map",[]]]],"headings":["name","external_ids"]}',
  ].join('\n');
  const s = parseIntegrationBridge(one, 'br-x');
  assert.equal(s.datapathType, '');
  assert.equal(s.interfaces.get('br-x')?.onBridge, true);
});

test('bridge missing: exists false, no interface on it', () => {
  const s = parseIntegrationBridge(RECORDED.replace(/^.*\n/, '{"data":[],"headings":["datapath_type","ports"]}\n'), 'br-int');
  assert.equal(s.exists, false);
  assert.ok([...s.interfaces.values()].every((i) => !i.onBridge));
});

test('output that is not three JSON tables is a decode error, not an empty switch', () => {
  assert.throws(() => parseIntegrationBridge('', 'br-int'), OvsdbDecodeError);
  assert.throws(() => parseIntegrationBridge('ovs-vsctl: no bridge\n', 'br-int'), OvsdbDecodeError);
  assert.throws(() => parseIntegrationBridge(RECORDED.split('\n').slice(0, 2).join('\n'), 'br-int'), OvsdbDecodeError);
});

test('ethtool -k: rx/tx checksumming of a veth, before and after `-K rx off tx off`', () => {
  const before = 'Features for h5t0:\nrx-checksumming: on\ntx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\n\ttx-checksum-ip-generic: on\n';
  const after = 'Features for h5t0:\nrx-checksumming: off\ntx-checksumming: off\n\ttx-checksum-ipv4: off [fixed]\n';
  assert.deepEqual(parseChecksumOffload(before), { rx: true, tx: true });
  assert.deepEqual(parseChecksumOffload(after), { rx: false, tx: false });
  // The indented sub-features never count as the top-level line.
  assert.equal(parseChecksumOffload('Features for x:\n\ttx-checksumming: off\n'), undefined);
  assert.equal(parseChecksumOffload(''), undefined);
});
