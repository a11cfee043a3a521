/**
 * Resource-cache changes → dirty keys, as the RPC notifications mark them; a status-only
 * update (what our own update_device_list causes) marks nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirtyMarksFor } from '../../../shared/resource-cache/l2-dirty-marks.js';
import { decodeNetwork, decodePort, type NetworkRecord, type PortRecord } from '../../../shared/resource-cache/ovo.js';
import type { ResourceChange } from '../../../shared/resource-cache/store.js';
import { NET, SG, networkPrim, portPrim, uuid } from '../resource-cache/fixtures.js';

function port(id: string, ip = '10.0.0.5'): PortRecord {
  const p = decodePort(portPrim({ id, ip }));
  if (!p.ok) throw new Error(p.reason);
  return p.value;
}

function network(): NetworkRecord {
  const n = decodeNetwork(networkPrim());
  if (!n.ok) throw new Error(n.reason);
  return n.value;
}

test('Port created or deleted: port:<id> and the firewall (its addresses are remote-group members)', () => {
  const id = uuid();
  const p = port(id);
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Port', id, event: 'created', current: p }), [{ kind: 'port', id }, { kind: 'firewall' }]);
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Port', id, event: 'deleted', previous: p }), [{ kind: 'port', id }, { kind: 'firewall' }]);
});

test('Port updated: a status-only change marks nothing, any other change marks the port and the firewall', () => {
  const id = uuid();
  const before = port(id);
  const active: PortRecord = { ...before, status: 'ACTIVE', revisionNumber: before.revisionNumber + 1 };
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Port', id, event: 'updated', previous: before, current: active }), []);
  const moved: PortRecord = { ...active, fixedIps: [{ ...active.fixedIps[0]!, ipAddress: '10.0.0.6' }], revisionNumber: active.revisionNumber + 1 };
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Port', id, event: 'updated', previous: active, current: moved }), [{ kind: 'port', id }, { kind: 'firewall' }]);
  const down: PortRecord = { ...active, adminStateUp: false, status: 'DOWN' };
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Port', id, event: 'updated', previous: active, current: down }), [{ kind: 'port', id }, { kind: 'firewall' }]);
  const rebound: PortRecord = { ...active, bindings: active.bindings.map((b) => ({ ...b, host: 'elsewhere' })) };
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Port', id, event: 'updated', previous: active, current: rebound }), [{ kind: 'port', id }, { kind: 'firewall' }]);
});

test('Network: network:<id>, except a status-only update', () => {
  const n = network();
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Network', id: NET, event: 'created', current: n }), [{ kind: 'network', id: NET }]);
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Network', id: NET, event: 'updated', previous: n, current: { ...n, status: 'DOWN' } }), []);
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Network', id: NET, event: 'updated', previous: n, current: { ...n, mtu: 1400 } }), [{ kind: 'network', id: NET }]);
  assert.deepEqual(dirtyMarksFor({ resourceType: 'Network', id: NET, event: 'deleted', previous: n }), [{ kind: 'network', id: NET }]);
});

test('security groups, rules, address groups (and subnets): the firewall', () => {
  for (const resourceType of ['SecurityGroup', 'SecurityGroupRule', 'AddressGroup', 'Subnet'] as const) {
    const change = { resourceType, id: SG, event: 'updated' } as ResourceChange;
    assert.deepEqual(dirtyMarksFor(change), [{ kind: 'firewall' }], resourceType);
  }
});
