/**
 * LinuxBridgeInterfaceDriver: exactly the veth pair the agents always built (the
 * linuxbridge agent enslaves the tap), and nothing else: no OVSDB, no ethtool, no
 * command run to read anything, nothing to unplug or sweep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINUXBRIDGE_DRIVER, planVeth } from '../../../shared/drivers/interface-driver/index.js';
import { DEV, KEY, MAC, NETNS, TAP, link, port } from './fixtures.js';

test('fresh: veth with the peer in the namespace, MAC and MTU inside, both ends up; no detach, no commands', () => {
  const plan = LINUXBRIDGE_DRIVER.plug(port(), { inner: undefined, outer: undefined }, undefined);
  assert.deepEqual(plan, {
    detach: [],
    ops: [
      { kind: 'link.add', key: KEY, name: TAP, link: { type: 'veth', peer: DEV, peerNetns: NETNS }, mtu: 1450 },
      { kind: 'link.set', key: KEY, netns: NETNS, name: DEV, address: MAC, mtu: 1450, up: true },
      { kind: 'link.set', key: KEY, name: TAP, up: true },
    ],
    commands: [],
    rebuilt: true,
  });
});

test('same ops as planVeth in every case (steady, drift, half a veth)', () => {
  const cases = [
    { inner: link(DEV), outer: link(TAP) },
    { inner: link(DEV, { mac: MAC.toUpperCase() }), outer: link(TAP) },
    { inner: link(DEV, { mac: 'fa:16:3e:00:00:01', mtu: 1500, up: false }), outer: link(TAP, { mtu: 1500, up: false }) },
    { inner: link(DEV), outer: undefined },
    { inner: undefined, outer: link(TAP) },
  ];
  for (const a of cases) {
    const v = planVeth(port(), a);
    const p = LINUXBRIDGE_DRIVER.plug(port(), a, undefined);
    assert.deepEqual(p.ops, v.ops);
    assert.equal(p.rebuilt, v.rebuilt);
  }
  assert.deepEqual(LINUXBRIDGE_DRIVER.plug(port(), cases[0]!, undefined).ops, []);
  assert.deepEqual(LINUXBRIDGE_DRIVER.plug(port(), cases[1]!, undefined).ops, [], 'MAC compared case-insensitively');
});

test('reads nothing, unplugs nothing, sweeps nothing', async () => {
  assert.equal(await LINUXBRIDGE_DRIVER.readState(), undefined);
  assert.equal((await LINUXBRIDGE_DRIVER.readOffload(NETNS, [DEV], undefined)).size, 0);
  assert.deepEqual(LINUXBRIDGE_DRIVER.unplugStale(KEY, new Set(), undefined, new Map([[TAP, link(TAP)]])), []);
  assert.deepEqual(LINUXBRIDGE_DRIVER.sweep(new Set(), undefined, new Map()), []);
  assert.deepEqual(LINUXBRIDGE_DRIVER.executorOptions, {});
});

test('isWired: enslaved (a master in sysfs); a device that does not exist is not', async () => {
  assert.equal(await LINUXBRIDGE_DRIVER.isWired('nonexist-h5-00'), false);
});
