import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { L2POP_TOPIC, LINUXBRIDGE_TOPICS, linuxBridgeEndpoint, type L2Dirty } from '../../../agents/linuxbridge/rpc-endpoints.js';
import type { FdbChange } from '../../../agents/linuxbridge/fdb.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { samplePath } from './fixtures.js';

const HOST = 'vm';

function recorder(): { dirty: L2Dirty; marks: string[]; fdb: FdbChange[] } {
  const marks: string[] = [];
  const fdb: FdbChange[] = [];
  return {
    marks, fdb,
    dirty: {
      port: (id, reason) => void marks.push(`port:${id}:${reason}`),
      network: (id, reason) => void marks.push(`network:${id}:${reason}`),
      firewall: (reason) => void marks.push(`firewall:${reason}`),
      fdb: (c) => void fdb.push(c),
    },
  };
}

function recordedArgs(file: string): Record<string, unknown> | undefined {
  const p = samplePath(file);
  if (!existsSync(p)) return undefined;
  return (JSON.parse(readFileSync(p, 'utf8')) as { request: { args: Record<string, unknown> } }).request.args;
}

const CASES: Array<[string, string, (a: Record<string, unknown>) => string[]]> = [
  ['port_update', 'q-agent-notifier-port-update_fanout__-__port_update.json', (a) => [`port:${(a['port'] as { id: string }).id}:port_update`]],
  ['port_delete', 'q-agent-notifier-port-delete_fanout__-__port_delete.json', (a) => [`port:${a['port_id'] as string}:port_delete`]],
  ['network_update', 'q-agent-notifier-network-update_fanout__-__network_update.json', (a) => [`network:${(a['network'] as { id: string }).id}:network_update`]],
  ['network_delete', 'q-agent-notifier-network-delete_fanout__-__network_delete.json', (a) => [`network:${a['network_id'] as string}:network_delete`]],
  // Recorded for host "vm": ours.
  ['binding_deactivate', 'q-agent-notifier-binding-deactivate_fanout__-__binding_deactivate.json', (a) => [`port:${a['port_id'] as string}:binding_deactivate`]],
  // Recorded for host "vm-ovs": another host's, so nothing for us.
  ['binding_activate', 'q-agent-notifier-binding-activate_fanout__-__binding_activate.json', () => []],
  ['security_groups_rule_updated', 'q-agent-notifier-security_group-update_fanout__-__security_groups_rule_updated.json', () => ['firewall:security_groups_rule_updated']],
  ['security_groups_member_updated', 'q-agent-notifier-security_group-update_fanout__-__security_groups_member_updated.json', () => ['firewall:security_groups_member_updated']],
];

test('every recorded notification marks the right key', async (t) => {
  const ep = linuxBridgeEndpoint(HOST, recorder().dirty, silentLogger());
  assert.equal(ep.version, '1.5');
  for (const [method, file, want] of CASES) {
    const args = recordedArgs(file);
    if (!args) { t.diagnostic(`no sample ${file}`); continue; }
    const r = recorder();
    const handler = linuxBridgeEndpoint(HOST, r.dirty, silentLogger()).methods[method];
    assert.ok(handler, method);
    await handler({}, args);
    assert.deepEqual(r.marks, want(args), method);
  }
  if (!existsSync(samplePath(CASES[0]![1]))) t.skip('wire samples not found beside the checkout');
});

test('binding_activate/deactivate for our host mark the port; for another host nothing', async () => {
  const id = 'f0e7e2f2-1733-4b94-a3bc-c33fd23b92c4';
  for (const m of ['binding_activate', 'binding_deactivate']) {
    const r = recorder();
    const ep = linuxBridgeEndpoint(HOST, r.dirty, silentLogger());
    await ep.methods[m]!({}, { port_id: id, host: HOST, network_id: '623f0c80-4053-4a95-be64-ee68e1d94d44' });
    await ep.methods[m]!({}, { port_id: id, host: 'vm-ovs' });
    await ep.methods[m]!({}, { port_id: id });
    await ep.methods[m]!({}, { port_id: id, host: ['vm'] });
    assert.deepEqual(r.marks, [`port:${id}:${m}`], m);
  }
});

test('ids are lower-cased; security_groups_provider_updated marks the firewall', async () => {
  const r = recorder();
  const ep = linuxBridgeEndpoint(HOST, r.dirty, silentLogger());
  await ep.methods['port_delete']!({}, { port_id: 'C333E8E4-AC71-4BCF-AFD5-888601ED686F' });
  await ep.methods['security_groups_provider_updated']!({}, { devices_to_update: [] });
  assert.deepEqual(r.marks, ['port:c333e8e4-ac71-4bcf-afd5-888601ed686f:port_delete', 'firewall:security_groups_provider_updated']);
});

test('l2population: add/remove/update_fdb_entries hand the fdb_entries to the fdb table as they came', async () => {
  const r = recorder();
  const ep = linuxBridgeEndpoint(HOST, r.dirty, silentLogger());
  const entries = { '47ce444c-163d-468e-a0ea-18702b267e61': { segment_id: 1588, network_type: 'vxlan', ports: { '172.31.255.2': [['00:00:00:00:00:00', '0.0.0.0'], ['fa:16:3e:ae:68:53', '10.90.0.157']] } } };
  const chg = { chg_ip: { '47ce444c-163d-468e-a0ea-18702b267e61': { '172.31.255.2': { before: [['fa:16:3e:ae:68:53', '10.90.0.157']], after: [['fa:16:3e:ae:68:53', '10.90.0.158']] } } } };
  await ep.methods['add_fdb_entries']!({}, { fdb_entries: entries });
  await ep.methods['remove_fdb_entries']!({}, { fdb_entries: entries });
  await ep.methods['update_fdb_entries']!({}, { fdb_entries: chg });
  assert.deepEqual(r.fdb, [{ op: 'add', entries }, { op: 'remove', entries }, { op: 'update', entries: chg }]);
  assert.deepEqual(r.marks, []);
});

test('malformed arguments mark nothing and do not throw', async () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['port_update', {}], ['port_update', { port: null }], ['port_update', { port: 'x' }], ['port_update', { port: { id: 42 } }], ['port_update', { port: { id: 'not-a-uuid' } }], ['port_update', { port: [{ id: 'c333e8e4-ac71-4bcf-afd5-888601ed686f' }] }],
    ['port_delete', {}], ['port_delete', { port_id: null }], ['port_delete', { port_id: 7 }], ['port_delete', { port_id: 'c333e8e4' }], ['port_delete', { port_id: ['c333e8e4-ac71-4bcf-afd5-888601ed686f'] }],
    ['network_update', {}], ['network_update', { network: { name: 'x' } }], ['network_update', { network: 'x' }],
    ['network_delete', {}], ['network_delete', { network_id: {} }], ['network_delete', { network_id: 'lab-net' }],
    ['binding_activate', { host: HOST }], ['binding_activate', { port_id: 'x', host: HOST }], ['binding_deactivate', { port_id: 5, host: HOST }],
    ['security_groups_rule_updated', {}], ['security_groups_rule_updated', { security_groups: 'sg' }],
    ['security_groups_member_updated', { security_groups: null }],
    ['add_fdb_entries', {}], ['add_fdb_entries', { fdb_entries: null }], ['add_fdb_entries', { fdb_entries: [] }], ['remove_fdb_entries', { fdb_entries: 'x' }], ['update_fdb_entries', { fdb_entries: 3 }],
  ];
  for (const [m, args] of bad) {
    const r = recorder();
    const ep = linuxBridgeEndpoint(HOST, r.dirty, silentLogger());
    await assert.doesNotReject(async () => { await ep.methods[m]!({}, args); }, `${m} ${JSON.stringify(args)}`);
    assert.deepEqual([r.marks, r.fdb], [[], []], `${m} ${JSON.stringify(args)}`);
  }
});

test('topics: the six the Python agent consumes, plus l2population', () => {
  assert.deepEqual([...LINUXBRIDGE_TOPICS].sort(), [
    'q-agent-notifier-binding-activate', 'q-agent-notifier-binding-deactivate', 'q-agent-notifier-network-delete',
    'q-agent-notifier-network-update', 'q-agent-notifier-port-update', 'q-agent-notifier-security_group-update',
  ]);
  assert.equal(L2POP_TOPIC, 'q-agent-notifier-l2population-update');
});
