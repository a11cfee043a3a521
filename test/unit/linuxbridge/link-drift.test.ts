import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDesiredL2, vlanSubinterfaceName } from '../../../agents/linuxbridge/desired.js';
import { driftedOwnLinks, ownLinkPrefixes } from '../../../agents/linuxbridge/link-drift.js';
import { bridgeName } from '../../../agents/linuxbridge/model.js';
import { prefixMatcher, type LinkChangeEvent, type LinkInfo } from '../../../shared/drivers/link-watcher.js';
import { cfg, dev, NET_FLAT, NET_VLAN, NET_VX, portId } from './fixtures.js';

const ev = (over: Partial<LinkChangeEvent>): LinkChangeEvent => ({ added: [], removed: [], changed: [], full: false, ...over });
const info = (name: string, over: Partial<LinkInfo> = {}): LinkInfo => ({ name, index: 7, mac: '02:00:00:00:00:01', up: true, mtu: 1500, ...over });

const desired = computeDesiredL2(cfg(), [
  dev({ port_id: portId() }),
  dev({ port_id: portId(), network_id: NET_FLAT, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null }),
  dev({ port_id: portId(), network_id: NET_VLAN, network_type: 'vlan', physical_network: 'longnet', segmentation_id: 42 }),
  dev({ port_id: portId(), network_id: 'a1b2c3d4-0000-4000-8000-000000000001', network_type: 'flat', physical_network: 'provider', segmentation_id: null }),
]);
const BR_VX = bridgeName(NET_VX);

test('nothing before the first desired state, and nothing for the agent\'s own kind of change (a bridge MAC following its ports)', () => {
  assert.deepEqual(driftedOwnLinks(undefined, ev({ removed: ['vxlan-1588'] })), []);
  assert.deepEqual(driftedOwnLinks(desired, ev({ changed: [info(BR_VX, { mac: '02:00:00:00:00:09' }), info('vxlan-1588', { master: BR_VX })] })), []);
  assert.deepEqual(driftedOwnLinks(desired, ev({ added: [info('vxlan-1588')] })), [], 'an added device is being made by the agent');
});

test('a deleted vxlan device, a deleted or downed bridge are drift of their network', () => {
  assert.deepEqual(driftedOwnLinks(desired, ev({ removed: ['vxlan-1588'] })), [{ device: 'vxlan-1588', network_id: NET_VX, why: 'gone' }]);
  assert.deepEqual(driftedOwnLinks(desired, ev({ removed: [BR_VX], changed: [info('vxlan-1588')] })), [
    { device: BR_VX, network_id: NET_VX, why: 'gone' },
    { device: 'vxlan-1588', network_id: NET_VX, why: 'detached' },
  ]);
  assert.deepEqual(driftedOwnLinks(desired, ev({ changed: [info(BR_VX, { up: false })] })), [{ device: BR_VX, network_id: NET_VX, why: 'down' }]);
});

test('uplinks: detached from or enslaved elsewhere, or down; a vanished physical interface is not ours to recreate', () => {
  const vlan = vlanSubinterfaceName('enp0s31f6abcde', 42);
  assert.deepEqual(driftedOwnLinks(desired, ev({ changed: [info(vlan, { master: 'brother' })] })), [{ device: vlan, network_id: NET_VLAN, why: 'detached' }]);
  assert.deepEqual(driftedOwnLinks(desired, ev({ changed: [info('eth2', { master: bridgeName(NET_FLAT), up: false })] })), [{ device: 'eth2', network_id: NET_FLAT, why: 'down' }]);
  assert.deepEqual(driftedOwnLinks(desired, ev({ removed: ['eth2'] })), []);
  assert.deepEqual(driftedOwnLinks(desired, ev({ changed: [info('vxlan-1588', { master: 12 })] })), [], 'an unresolved master ifindex is left to the periodic pass');
});

test('a mapped bridge (bridge_mappings) is the operator\'s: never drift', () => {
  assert.deepEqual(driftedOwnLinks(desired, ev({ removed: ['br-provider'], changed: [info('br-provider', { up: false })] })), []);
});

test('the watcher prefixes cover bridges, vxlan devices, mapped interfaces and hashed VLAN subinterfaces', () => {
  const match = prefixMatcher(ownLinkPrefixes(cfg().interfaceMappings));
  for (const n of [BR_VX, 'vxlan-1588', 'eth2', 'eth2.100', vlanSubinterfaceName('enp0s31f6abcde', 42)]) assert.ok(match(n), n);
  assert.ok(!match('eth0'), 'the host\'s own interfaces are not watched');
});
